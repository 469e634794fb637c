package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"agora/internal/fault"
	"agora/internal/loginlimit"
	"agora/internal/mail"
	"agora/internal/password"
	"agora/internal/store"
)

// Register creates an account, for the operator's tools and tests; the shop
// offers SignUp, which tells nobody whether an address has an account.
// Invalid input gives field errors for
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

// Defaults of registration throttling.
const (
	// DefaultMaxSignUps is how many sign-ups one client address may send
	// within FailureWindow; if Service.MaxSignUps is zero.
	DefaultMaxSignUps = 10
	// maxSignUpNotices bounds the "someone tried to register" mails one
	// account gets within FailureWindow, so nobody can flood an inbox.
	maxSignUpNotices = 3
)

var errSignUpThrottled = fault.New(fault.RateLimited, "Too many sign-ups from your network. Please wait a few minutes and try again.")

// SignUp is registration as the shop offers it to anyone. Its answer never
// tells whether the address already has an account (issue 9: a 409 would,
// while login and reset are careful not to): valid input gives nil either
// way, and neither case logs anyone in. The address gets a mail either way
// — a new account a welcome with the login link, an existing one a note
// that someone tried to register with it, with the login and reset links —
// written in the same transaction as the account (the outbox). So the
// owner of the address learns what happened, and nobody else does. Both
// cases hash the password and write one mail, so they cost the same.
//
// Invalid input gives field errors, as Register. Sign-ups are throttled per
// client address (MaxSignUps per FailureWindow; "" skips it). Without
// PublicURL it answers fault.Unavailable: the mails carry links.
func (s *Service) SignUp(ctx context.Context, email, name, pw, client string) error {
	email, name = normEmail(email), strings.TrimSpace(name)
	if err := join(checkEmail(email), checkText("name", "Name", name, maxName, true), password.Check(pw)); err != nil {
		return err
	}
	if s.PublicURL == "" {
		return errNoPublicURL
	}
	now := s.now()
	if client != "" {
		_, blocked, err := s.limiter().Take(ctx, now, loginlimit.Limit{Key: loginlimit.Key("signup:client", client), Max: s.maxSignUps()})
		if err != nil {
			return fmt.Errorf("customer: sign up: %w", err)
		}
		if blocked {
			return errSignUpThrottled
		}
	}
	hash := password.Hash(pw) // outside the transaction, and for known addresses too
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO customers (email, name, password_hash, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id`, email, name, hash, now).Scan(&id)
		if err == nil {
			return mail.Enqueue(ctx, tx, welcomeMail(email, name, s.link("/account/login")), now)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The address has an account: tell its owner, a few times a window.
		var known string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM customers WHERE email = $1`, email).Scan(&known); err != nil {
			return err
		}
		return s.noticeTx(ctx, tx, now, email, known)
	})
	if err != nil {
		return fmt.Errorf("customer: sign up: %w", err)
	}
	return nil
}

// noticeTx queues the "someone tried to register" mail unless the account
// has had maxSignUpNotices of them within the window.
func (s *Service) noticeTx(ctx context.Context, tx *sql.Tx, now time.Time, email, name string) error {
	full, err := s.limiter().TakeTx(ctx, tx, now, loginlimit.Limit{Key: loginlimit.Key("signup:notice", email), Max: maxSignUpNotices})
	if err != nil || full {
		return err // full: enough notices for now; the answer stays the same
	}
	return mail.Enqueue(ctx, tx, existingAccountMail(email, name, s.link("/account/login"), s.link("/account/reset")), now)
}

func (s *Service) maxSignUps() int {
	if s.MaxSignUps > 0 {
		return s.MaxSignUps
	}
	return DefaultMaxSignUps
}

func welcomeMail(to, name, login string) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "Your account is ready",
		Text: fmt.Sprintf("Hello %s,\n\nyour account for %s is ready. Log in with the password you chose:\n\n%s\n\n"+
			"If you did not create this account, ignore this email, or write to us.\n", name, to, login),
	}
}

func existingAccountMail(to, name, login, reset string) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "Someone tried to create an account with your address",
		Text: fmt.Sprintf("Hello %s,\n\nsomeone (perhaps you) tried to create a new account with %s, "+
			"which already has one. Nothing was changed.\n\nLog in here:\n\n%s\n\n"+
			"Forgot your password? Choose a new one here:\n\n%s\n\n"+
			"If it was not you, you can ignore this email: your account stays as it is.\n", name, to, login, reset),
	}
}
