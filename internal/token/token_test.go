package token_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"agora/internal/token"
)

func TestNew(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		plain, hash := token.New()
		if len(plain) != 43 || !token.Valid(plain) || strings.ContainsAny(plain, "+/=") {
			t.Fatalf("token %q: not 43 characters of unpadded base64url", plain)
		}
		sum := sha256.Sum256([]byte(plain))
		if hash != hex.EncodeToString(sum[:]) || hash != token.Hash(plain) {
			t.Fatalf("hash of %q = %q, want its SHA-256", plain, hash)
		}
		if seen[plain] {
			t.Fatalf("token %q repeated within 1000", plain)
		}
		seen[plain] = true
	}
}

func TestValid(t *testing.T) {
	t.Parallel()
	plain, hash := token.New()
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{plain, true},
		{"", false},
		{plain[:42], false},
		{plain + "A", false},
		{hash, false},                          // the hash is no token
		{strings.Repeat("A", 42) + "B", false}, // 43 characters whose last has bits past 256
		{strings.Repeat("A", 42) + "=", false},
		{strings.Repeat("/", 43), false},
		{strings.Repeat("_", 42) + "w", true},
	} {
		if got := token.Valid(tc.in); got != tc.want {
			t.Errorf("Valid(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
