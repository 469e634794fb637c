package customer

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"agora/internal/fault"
	"agora/internal/store"
)

// The customer list for staff (the admin's customers page): read here
// because this package owns the customers table.

// MaxListQueryLen bounds a search of the customer list, in characters.
const MaxListQueryLen = 200

// List returns page (from 1) of the customers whose e-mail or name holds q
// (any case: ASCII letters only on SQLite, whose lower() folds nothing
// else), perPage to a page, newest first, and how many match in all. An
// empty q lists everyone; text that is not text is a fault for "q".
func (s *Service) List(ctx context.Context, q string, page, perPage int) ([]Customer, int, error) {
	q = strings.TrimSpace(q)
	if !utf8.ValidString(q) || strings.ContainsRune(q, 0) || utf8.RuneCountInString(q) > MaxListQueryLen {
		return nil, 0, fault.Field("q", "Search by an e-mail address or a name (at most %d characters of text).", MaxListQueryLen)
	}
	page, perPage = max(page, 1), max(perPage, 1)
	cond, args := "", []any{}
	if q != "" {
		// E-mails are stored lower-case (normEmail); names as typed, so
		// they are folded here: PostgreSQL's LIKE is case-sensitive.
		cond = ` WHERE email LIKE $1 ESCAPE '\' OR lower(name) LIKE $1 ESCAPE '\'`
		args = append(args, store.LikeContains(strings.ToLower(q)))
	}
	var total int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM customers`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("customer: count: %w", err)
	}
	n := len(args)
	args = append(args, perPage, (page-1)*perPage)
	rows, err := s.DB.Query(ctx, fmt.Sprintf(`SELECT id, email, name, created_at FROM customers%s
		ORDER BY created_at DESC, id DESC LIMIT $%d OFFSET $%d`, cond, n+1, n+2), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("customer: list: %w", err)
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		var c Customer
		if err := rows.Scan(&c.ID, &c.Email, &c.Name, &c.CreatedAt); err != nil {
			return nil, 0, fmt.Errorf("customer: list: %w", err)
		}
		c.CreatedAt = c.CreatedAt.UTC()
		out = append(out, c)
	}
	return out, total, rows.Err()
}
