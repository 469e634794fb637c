package customer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"agora/internal/fault"
	"agora/internal/password"
	"agora/internal/store"
)

// Register creates an account. Invalid input gives field errors for
// "email", "name" and "password" (password: 10 to 128 characters); an email
// that already has an account gives fault.Conflict with a message that
// points to login and reset rather than confirming anything else.
func (s *Service) Register(ctx context.Context, email, name, pw string) (Customer, error) {
	email, name = normEmail(email), strings.TrimSpace(name)
	if err := join(checkEmail(email), checkText("name", "Name", name, maxName, true), password.Check(pw)); err != nil {
		return Customer{}, err
	}
	// Hash before the transaction: 28 ms of CPU must not hold SQLite's
	// single writer.
	hash := password.Hash(pw)
	c := Customer{Email: email, Name: name, CreatedAt: s.now()}
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO customers (email, name, password_hash, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, c.Email, c.Name, hash, c.CreatedAt).Scan(&c.ID)
	})
	if store.IsUniqueViolation(err) {
		return Customer{}, &fault.Error{Code: fault.Conflict, Field: "email",
			Message: "This email address cannot be used to register. If you have an account, log in or reset your password."}
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: register: %w", err)
	}
	return c, nil
}
