package checkout

import (
	"fmt"
	"strings"

	"agora/internal/fault"
)

// OutOfStockError says which lines of a cart cannot be sold as asked. It
// unwraps to a *fault.Error with code out_of_stock (HTTP 409) whose message
// names the SKUs, so handlers need no special case; the API may list Lines.
type OutOfStockError struct {
	Lines []OutOfStockLine
	f     *fault.Error
}

// OutOfStockLine is one line that cannot be sold.
type OutOfStockLine struct {
	VariantID int64
	SKU, Name string
	Requested int
	Available int
}

func newOutOfStock(lines []OutOfStockLine) *OutOfStockError {
	parts := make([]string, len(lines))
	for i, l := range lines {
		if l.Available <= 0 {
			parts[i] = fmt.Sprintf("%s (%s) is sold out", l.Name, l.SKU)
		} else {
			parts[i] = fmt.Sprintf("only %d left of %s (%s), you asked for %d", l.Available, l.Name, l.SKU, l.Requested)
		}
	}
	msg := "Not enough stock: " + strings.Join(parts, "; ") + ". Please update your cart."
	return &OutOfStockError{Lines: lines, f: &fault.Error{Code: fault.OutOfStock, Field: "cart", Message: msg}}
}

func (e *OutOfStockError) Error() string { return e.f.Error() }

// Unwrap lets errors.As find the *fault.Error.
func (e *OutOfStockError) Unwrap() error { return e.f }
