// Package cart holds shopping carts: one per guest session or per customer,
// with lines of variants and quantities. Prices, names and stock always come
// from the catalog tables at read time, never from the client or a copy in
// the cart. It writes carts and cart_items only; orders belong to checkout,
// sessions to session.
package cart

import (
	"errors"
	"time"

	"agora/internal/catalog"
	"agora/internal/store"
)

// MaxQuantity bounds the units of one variant in a cart.
const MaxQuantity = 99

// Owner names a cart: a customer's when CustomerID != 0, else the guest
// session's (SessionHash is the session's database key, the SHA-256 hex of
// the cookie value).
type Owner struct {
	SessionHash string
	CustomerID  int64
}

// Line is one variant in a cart, priced from the database.
type Line struct {
	VariantID, ProductID                       int64
	SKU, ProductSlug, ProductName, VariantName string
	Options                                    []catalog.Option
	ImageKey                                   string
	UnitPriceCents                             int64
	Currency                                   string
	Quantity, Stock                            int
	LineTotalCents                             int64
}

// Cart is the priced content of a cart. The zero Cart is an empty cart.
type Cart struct {
	Lines         []Line
	Count         int // units over all lines
	SubtotalCents int64
	Currency      string // of the first line; "" when empty
}

// Service reads and writes carts.
type Service struct {
	DB *store.DB
	// Now is the clock for updated_at/added_at. If nil, time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// errNoOwner is a programming error: the handler did not resolve a session.
var errNoOwner = errors.New("cart: owner has neither a customer nor a session")

// key returns the column and value that select o's cart.
func (o Owner) key() (column string, value any, err error) {
	switch {
	case o.CustomerID != 0:
		return "customer_id", o.CustomerID, nil
	case o.SessionHash != "":
		return "session_hash", o.SessionHash, nil
	}
	return "", nil, errNoOwner
}

func newCart(lines []Line) Cart {
	c := Cart{Lines: lines}
	for _, l := range lines {
		c.Count += l.Quantity
		c.SubtotalCents += l.LineTotalCents
		if c.Currency == "" {
			c.Currency = l.Currency
		}
	}
	return c
}
