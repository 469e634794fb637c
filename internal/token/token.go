// Package token makes the secrets Agora hands out and keeps only as
// hashes: shopper and staff session ids, API keys, password-reset tokens.
// A database that leaks holds hashes that open nothing; a token is 256 bits
// from crypto/rand, so a plain SHA-256 (no salt, no stretching) is enough:
// nobody can guess one to hash.
//
// It knows nothing of cookies, tables or lifetimes; its callers do.
package token

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Bytes is a token's entropy: 256 bits.
const Bytes = 32

// Len is the length of a token New makes: Bytes as unpadded base64url.
const Len = (Bytes*8 + 5) / 6

// New returns a fresh token, safe in URLs and cookies (43 characters of
// base64url), and its Hash, the form to store.
func New() (plain, hash string) {
	var b [Bytes]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	plain = base64.RawURLEncoding.EncodeToString(b[:])
	return plain, Hash(plain)
}

// Hash returns the SHA-256 of s in hex: the database key of a token (or of
// a longer secret built from one, such as an API key with its prefix).
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Valid reports whether s has the shape of a token New makes, so garbage
// from a cookie or a link never reaches the database.
func Valid(s string) bool {
	if len(s) != Len {
		return false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s) // one spelling per token
	return err == nil && len(b) == Bytes
}
