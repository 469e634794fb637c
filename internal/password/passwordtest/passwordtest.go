// Package passwordtest makes password hashes for tests of the code that
// stores them.
package passwordtest

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"golang.org/x/crypto/argon2"
)

// Weak returns an argon2id PHC string for pw at 8 KiB and one pass: below
// any cost agora hashes at, as an account made before a cost was raised
// would hold (password.NeedsRehash is true for it).
func Weak(pw string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, 1, 8, 1, 32)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=8,t=1,p=1$%s$%s", argon2.Version, b64(salt), b64(key))
}
