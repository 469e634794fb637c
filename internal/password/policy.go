package password

import (
	"crypto/rand"
	"encoding/base64"
	"unicode/utf8"

	"agora/internal/fault"
)

// Length limits of a new password, in characters (runes). There is no
// composition rule (NIST SP 800-63B §3.1.1.2): length is what counts.
const (
	MinLength = 10
	MaxLength = 128 // hashing cost is flat, but a cap keeps requests small
)

// Check validates a new password and returns nil or a field error on
// "password".
func Check(pw string) *fault.Error {
	switch n := utf8.RuneCountInString(pw); {
	case !utf8.ValidString(pw):
		return fault.Field("password", "Password contains invalid characters.")
	case n < MinLength:
		return fault.Field("password", "Password must have at least %d characters.", MinLength)
	case n > MaxLength:
		return fault.Field("password", "Password is too long (at most %d characters).", MaxLength)
	}
	return nil
}

// Generate returns a new random password: 160 bits in base64url (27
// characters), strong enough for an owner, short enough to type once.
// `agora user create` and the admin's staff page hand it over once.
func Generate() string {
	var b [20]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}
