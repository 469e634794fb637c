package store

import (
	"fmt"
	"strconv"
	"strings"
)

// LSN is a PostgreSQL WAL position (pg_lsn) as a number: the high 32 bits
// are the part before the slash, the low 32 bits the part after it. Larger
// is later, so positions compare with < and >=.
type LSN uint64

// ParseLSN parses PostgreSQL's text form of a pg_lsn, "16/B374D848": two
// groups of one to eight hex digits (either case), as pg_lsn_in accepts.
func ParseLSN(s string) (LSN, error) {
	hi, lo, ok := strings.Cut(s, "/")
	if ok {
		h, herr := parseLSNHalf(hi)
		l, lerr := parseLSNHalf(lo)
		if herr == nil && lerr == nil {
			return LSN(h<<32 | l), nil
		}
	}
	return 0, fmt.Errorf("store: invalid WAL position %q: want two groups of hex digits, as 16/B374D848", s)
}

// parseLSNHalf parses one side of the slash. strconv alone would take a
// sign or a ninth leading zero; base 16 already refuses "0x" and "_".
func parseLSNHalf(s string) (uint64, error) {
	if len(s) == 0 || len(s) > 8 || s[0] == '+' || s[0] == '-' {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseUint(s, 16, 32)
}

// String is the position as PostgreSQL prints it: upper-case hex, no
// leading zeros ("0/0", "16/B374D848").
func (l LSN) String() string {
	return fmt.Sprintf("%X/%X", uint64(l)>>32, uint64(l)&0xFFFFFFFF)
}
