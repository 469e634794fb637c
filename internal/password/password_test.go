package password

import (
	"strings"
	"testing"

	"agora/internal/fault"
)

func TestHashAndVerify(t *testing.T) {
	t.Parallel()
	h := hashWith("correct horse battery", production)
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string with the documented parameters", h)
	}
	if h2 := hashWith("correct horse battery", production); h2 == h {
		t.Error("two hashes of one password are equal: no salt")
	}
	tests := []struct {
		phc, pw string
		ok      bool
		bad     bool
	}{
		{h, "correct horse battery", true, false},
		{h, "correct horse batterY", false, false},
		{h, "", false, false},
		{"$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", "x", false, true},
		{"$argon2id$v=19$m=0,t=2,p=1$c2FsdA$aGFzaA", "x", false, true},
		{"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaA", "x", false, true},
		{"plaintext", "plaintext", false, true},
		{"", "", false, true},
	}
	for _, tc := range tests {
		ok, err := Verify(tc.phc, tc.pw)
		if ok != tc.ok || (err != nil) != tc.bad {
			t.Errorf("Verify(%q, %q) = %v, %v; want %v, bad=%v", tc.phc, tc.pw, ok, err, tc.ok, tc.bad)
		}
	}
	// Parameters are read from the string: an older, cheaper hash still verifies.
	cheap := b64(argonKey("pw", []byte("saltsalt"), 1, 8, 1, 32))
	if ok, err := Verify("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$"+cheap, "pw"); !ok || err != nil {
		t.Errorf("hash with other parameters: %v, %v", ok, err)
	}
}

// TestTestCost: test binaries hash cheaply (see testCost), and those
// hashes verify like any other.
func TestTestCost(t *testing.T) {
	t.Parallel()
	h := Hash("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("a test binary's hash %q, want the test cost", h)
	}
	if ok, err := Verify(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("Verify(test-cost hash) = %v, %v", ok, err)
	}
	if ok, _ := Verify(h, "correct horse batterY"); ok {
		t.Error("a test-cost hash verified the wrong password")
	}
}

// TestNeedsRehash: a hash below today's cost in memory or passes needs a
// new one; today's, a costlier one and a malformed string do not.
func TestNeedsRehash(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		phc  string
		want bool
	}{
		{hashWith("pw", cost{memory: 8, time: 1}), true},
		{hashWith("pw", cost{memory: testCost.memory, time: 0 + 1}), testCost.time > 1},
		{hashWith("pw", cost{memory: testCost.memory / 2, time: testCost.time + 1}), true},
		{Hash("pw"), false},
		{hashWith("pw", production), false},
		{"not a hash", false},
		{"$argon2id$v=19$m=x$a$b", false},
	} {
		if got := NeedsRehash(c.phc); got != c.want {
			t.Errorf("NeedsRehash(%.40s…) = %v, want %v", c.phc, got, c.want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pw   string
		want string // "" for accepted, else a part of the message
	}{
		{"ten chars!", ""},
		{strings.Repeat("é", 10), ""}, // characters, not bytes
		{"nine char", "at least 10"},
		{"", "at least 10"},
		{strings.Repeat("x", 129), "too long"},
		{"bad utf-8 \xff\xfe here", "invalid characters"},
	}
	for _, tc := range tests {
		err := Check(tc.pw)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%q) = %v, want nil", tc.pw, err)
		case tc.want != "" && (err == nil || err.Field != "password" || err.Code != fault.Invalid || !strings.Contains(err.Message, tc.want)):
			t.Errorf("Check(%q) = %v, want a password field error with %q", tc.pw, err, tc.want)
		}
	}
}

// BenchmarkHash measures one argon2id hash with the production parameters
// (issue 3 asks for 10–30 ms).
func BenchmarkHash(b *testing.B) {
	for b.Loop() {
		hashWith("correct horse battery staple", production)
	}
}
