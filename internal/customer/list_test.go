package customer_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestList is the admin's customer list, read here since this package owns
// the customers table: e-mail or name, any case, wildcards as characters.
func TestList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s, _ := newService(db)
		for i, c := range []struct{ email, name string }{
			{"ada@example.com", "Ada Lovelace"},
			{"grace_h@navy.test", "Grace Hopper"},
			{"alan@example.com", "Alan 100% Turing"},
		} {
			if _, err := db.Write.Exec(`INSERT INTO customers (email, name, password_hash, created_at) VALUES ($1, $2, 'x', $3)`,
				c.email, c.name, t0.Add(time.Duration(i)*time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			q         string
			page, per int
			want      []string // e-mails, newest first
			wantTotal int
		}{
			{"", 1, 10, []string{"alan@example.com", "grace_h@navy.test", "ada@example.com"}, 3},
			{"EXAMPLE", 1, 10, []string{"alan@example.com", "ada@example.com"}, 2},
			{"hopper", 1, 10, []string{"grace_h@navy.test"}, 1},
			{"  LOVELACE ", 1, 10, []string{"ada@example.com"}, 1},
			{"_", 1, 10, []string{"grace_h@navy.test"}, 1},
			{"0%", 1, 10, []string{"alan@example.com"}, 1},
			{"", 2, 2, []string{"ada@example.com"}, 3},
			{"nobody", 1, 10, nil, 0},
		} {
			list, total, err := s.List(ctx, c.q, c.page, c.per)
			if err != nil {
				t.Fatalf("List(%q): %v", c.q, err)
			}
			var got []string
			for _, cu := range list {
				got = append(got, cu.Email)
				if cu.ID == 0 || cu.Name == "" || cu.CreatedAt.Location() != time.UTC {
					t.Errorf("List(%q): row %+v", c.q, cu)
				}
			}
			if !slices.Equal(got, c.want) || total != c.wantTotal {
				t.Errorf("List(%q, page %d) = %v of %d; want %v of %d", c.q, c.page, got, total, c.want, c.wantTotal)
			}
		}
		for _, bad := range []string{"\xff", "a\x00", strings.Repeat("x", 201)} {
			if _, _, err := s.List(ctx, bad, 1, 10); fault.FieldOf(err) != "q" {
				t.Errorf("List(%q) = %v; want a fault for q", bad, err)
			}
		}
	})
}
