package checkout

import (
	"crypto/rand"
	"strings"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so numbers
// read aloud or typed by hand survive (lookups map the look-alikes back).
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newNumber returns an order number "XXXX-XXXX": 40 random bits from
// crypto/rand, so numbers are unguessable and say nothing about volume.
// Collisions are retried by the insert (place.go).
func newNumber() string {
	var b [5]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	v := uint64(b[0])<<32 | uint64(b[1])<<24 | uint64(b[2])<<16 | uint64(b[3])<<8 | uint64(b[4])
	var out [9]byte
	for i := 8; i >= 0; i-- {
		if i == 4 {
			out[i] = '-'
			continue
		}
		out[i] = crockford[v&31]
		v >>= 5
	}
	return string(out[:])
}

// normalizeNumber reads a number as a shopper may type it ("abcd efgh",
// "ABCDEFGH", with O for 0 or l for 1) and returns its canonical form.
func normalizeNumber(s string) (string, bool) {
	if n, ok := numberPrefix(s); ok && len(n) == 9 {
		return n, true
	}
	return "", false
}

// numberPrefix reads q as the beginning of an order number typed as
// normalizeNumber accepts a whole one, and returns it in canonical form
// ("ABCD", "ABCD-E", "ABCD-EFGH"); ok is false when q cannot begin a
// number. The staff's order search matches numbers by it.
func numberPrefix(q string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToUpper(q) {
		switch r {
		case '-', ' ':
			continue
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 'Z' || !strings.ContainsRune(crockford, r) || b.Len() >= 8 {
			return "", false
		}
		b.WriteRune(r)
	}
	n := b.String()
	switch {
	case n == "":
		return "", false
	case len(n) <= 4:
		return n, true
	default:
		return n[:4] + "-" + n[4:], true
	}
}
