package checkout

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/store"
)

// The order list for staff, one for the admin pages and the admin API, so a
// search finds the same orders in both (issue 9: they searched differently,
// each with its own copy of the status list).

// statuses are the order statuses in workflow order: what a status filter
// offers and accepts.
var statuses = []Status{StatusPendingPayment, StatusPaid, StatusFulfilled, StatusCancelled, StatusRefunded}

// Statuses returns every order status, in workflow order.
func Statuses() []Status { return slices.Clone(statuses) }

// ParseStatus returns the status named s, if there is one.
func ParseStatus(s string) (Status, bool) {
	i := slices.Index(statuses, Status(s))
	if i < 0 {
		return "", false
	}
	return statuses[i], true
}

// Order lists: DefaultOrdersPerPage to a page unless asked otherwise, at
// most MaxOrdersPerPage; a search is at most MaxOrderQueryLen characters.
const (
	DefaultOrdersPerPage = 50
	MaxOrdersPerPage     = 100
	MaxOrderQueryLen     = 200
)

// OrderFilter selects orders for ListOrders. Zero fields select everything.
type OrderFilter struct {
	Status Status // "" = any
	// Query is what a merchant types in the search box: the beginning of an
	// order number, typed as shoppers type them (any case, the dash or a
	// space optional, O for 0, I or L for 1), or any part of the e-mail
	// address, in any case (ASCII letters only on SQLite, whose lower()
	// folds nothing else).
	Query      string
	CustomerID int64 // 0 = any
	Page       int   // from 1; less is 1
	PerPage    int   // 0 = DefaultOrdersPerPage; more than MaxOrdersPerPage is that
}

// OrderSummary is an order as a list shows it.
type OrderSummary struct {
	Number     string
	Status     Status
	Email      string
	CustomerID int64 // 0 for a guest
	TotalCents int64
	Currency   string
	CreatedAt  time.Time // UTC
}

// OrderList is one page of a listing and how many orders match in all.
type OrderList struct {
	Orders  []OrderSummary // never nil
	Total   int
	Page    int
	PerPage int
}

// ListOrders returns one page of the orders f selects, newest first. An
// unknown status or an unusable search is a fault for the field "status"
// or "q".
func (s *Service) ListOrders(ctx context.Context, f OrderFilter) (OrderList, error) {
	out := OrderList{Orders: []OrderSummary{}, Page: max(f.Page, 1), PerPage: f.PerPage}
	if out.PerPage <= 0 {
		out.PerPage = DefaultOrdersPerPage
	}
	out.PerPage = min(out.PerPage, MaxOrdersPerPage)
	if f.Status != "" {
		if _, ok := ParseStatus(string(f.Status)); !ok {
			names := make([]string, len(statuses))
			for i, st := range statuses {
				names[i] = string(st)
			}
			return out, fault.Field("status", "Unknown status %q: use one of %s.", truncate(string(f.Status), 40), strings.Join(names, ", "))
		}
	}
	q := strings.TrimSpace(f.Query)
	if !utf8.ValidString(q) || strings.ContainsRune(q, 0) || utf8.RuneCountInString(q) > MaxOrderQueryLen {
		return out, fault.Field("q", "Search by an order number or an e-mail address (at most %d characters of text).", MaxOrderQueryLen)
	}

	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.Status != "" {
		where = append(where, "status = "+arg(string(f.Status)))
	}
	if f.CustomerID != 0 {
		where = append(where, "customer_id = "+arg(f.CustomerID))
	}
	if q != "" {
		// Orders keep the e-mail as typed: lower() on both sides, since
		// PostgreSQL's LIKE is case-sensitive.
		match := []string{`lower(email) LIKE ` + arg(store.LikeContains(strings.ToLower(q))) + ` ESCAPE '\'`}
		if p, ok := numberPrefix(q); ok {
			// Numbers are stored canonical (upper case, dash): p is too,
			// and holds no LIKE wildcard.
			match = append(match, "number LIKE "+arg(p+"%"))
		}
		where = append(where, "("+strings.Join(match, " OR ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM orders`+cond, args...).Scan(&out.Total); err != nil {
		return out, fmt.Errorf("checkout: count orders: %w", err)
	}
	offset := (out.Page - 1) * out.PerPage
	if offset >= out.Total {
		return out, nil
	}
	rows, err := s.DB.Query(ctx, `SELECT number, status, email, COALESCE(customer_id, 0), total_cents, currency, created_at
		FROM orders`+cond+` ORDER BY created_at DESC, id DESC LIMIT `+arg(out.PerPage)+` OFFSET `+arg(offset), args...)
	if err != nil {
		return out, fmt.Errorf("checkout: list orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var o OrderSummary
		if err := rows.Scan(&o.Number, &o.Status, &o.Email, &o.CustomerID, &o.TotalCents, &o.Currency, &o.CreatedAt); err != nil {
			return out, fmt.Errorf("checkout: list orders: %w", err)
		}
		o.CreatedAt = o.CreatedAt.UTC()
		out.Orders = append(out.Orders, o)
	}
	return out, rows.Err()
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
