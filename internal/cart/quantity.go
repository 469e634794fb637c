package cart

import (
	"strconv"
	"strings"

	"agora/internal/fault"
)

// checkQuantity rejects quantities outside min..MaxQuantity.
func checkQuantity(qty, min int) error {
	if qty < min {
		if min == 0 {
			return fault.Field("quantity", "The quantity cannot be negative.")
		}
		return fault.Field("quantity", "The quantity must be at least %d.", min)
	}
	if qty > MaxQuantity {
		return fault.Field("quantity", "At most %d of one item fit in a cart.", MaxQuantity)
	}
	return nil
}

// ParseQuantity reads a quantity typed into a form field ("2", " 3 "): a
// whole number of at most MaxQuantity, else a field error for "quantity".
// The range below (0 or 1) is checked by Add and Set.
func ParseQuantity(s string) (int, error) {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || len(s) > 6 {
		return 0, fault.Field("quantity", "The quantity must be a whole number from 1 to %d.", MaxQuantity)
	}
	return n, nil
}
