package customer_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"agora/internal/clocktest"
	"agora/internal/customer"
	"agora/internal/fault"
	"agora/internal/store"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newService(db *store.DB) (*customer.Service, *clocktest.Clock) {
	clk := clocktest.New(t0)
	return &customer.Service{DB: db, Now: clk.Now, PublicURL: "https://shop.example"}, clk
}

const goodPassword = "correct horse battery"

func register(t *testing.T, s *customer.Service, email string) customer.Customer {
	t.Helper()
	c, err := s.Register(context.Background(), email, "Ada Lovelace", goodPassword)
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return c
}

// fields returns the field names of every fault.Error in err (joined or not).
func fields(err error) []string {
	var out []string
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *fault.Error
		if errors.As(e, &fe) {
			out = append(out, fe.Field)
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
