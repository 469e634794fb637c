package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"agora/internal/fault"
	"agora/internal/loginlimit"
	"agora/internal/mail"
	"agora/internal/password"
	"agora/internal/session"
	"agora/internal/token"
)

// maxResetsPerHour bounds reset mails per account, so nobody can flood a
// shopper's inbox by asking again and again.
const maxResetsPerHour = 3

var errBadToken = fault.Field("token", "This password reset link is invalid, used or expired. Please ask for a new one.")

func (s *Service) resetTTL() time.Duration {
	if s.ResetTTL > 0 {
		return s.ResetTTL
	}
	return DefaultResetTTL
}

// ResetPath is the storefront page a reset link opens; the token follows.
const ResetPath = "/account/reset/"

// errNoPublicURL refuses to mail a link the store cannot name: the
// operator must configure the public URL, never the request supply it.
var errNoPublicURL = fault.New(fault.Unavailable,
	"Password reset by e-mail is not available: the store has no public URL configured (set --public-url).")

// DefaultMaxResetsPerClient is how many password reset requests one
// client address may send within FailureWindow, whatever the accounts;
// if Service.MaxResetsPerClient is zero.
const DefaultMaxResetsPerClient = 10

var errResetThrottled = fault.New(fault.RateLimited, "Too many password reset requests from your network. Please wait a few minutes and try again.")

// RequestPasswordReset mails a single-use link (PublicURL + ResetPath +
// token) to the account of email, if there is one. An unknown email returns
// nil and sends nothing, so the answer does not tell who has an account; so
// does a fourth request for one account within an hour. The token row and
// the mail are written in one transaction (the outbox): both or neither.
// Requests are also counted per client address, for every address asked
// about alike (MaxResetsPerClient per FailureWindow, then
// fault.RateLimited; "" skips it), so one client cannot make the store mail
// every shopper. Without PublicURL it answers fault.Unavailable and sends
// nothing.
func (s *Service) RequestPasswordReset(ctx context.Context, email, client string) error {
	email = normEmail(email)
	if err := checkEmail(email); err != nil {
		return err
	}
	if s.PublicURL == "" {
		return errNoPublicURL
	}
	now := s.now()
	if client != "" {
		max := s.MaxResetsPerClient
		if max <= 0 {
			max = DefaultMaxResetsPerClient
		}
		_, blocked, err := s.limiter().Take(ctx, now, loginlimit.Limit{Key: loginlimit.Key("reset:client", client), Max: max})
		if err != nil {
			return fmt.Errorf("customer: request password reset: %w", err)
		}
		if blocked {
			return errResetThrottled
		}
	}
	resetURL := s.link(ResetPath)
	plain, hash := token.New() // base64url in the link, its SHA-256 in password_resets
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		var id int64
		var name string
		err := tx.QueryRowContext(ctx, `SELECT id, name FROM customers WHERE email = $1`, email).Scan(&id, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		var recent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM password_resets WHERE customer_id = $1 AND created_at > $2`,
			id, now.Add(-time.Hour)).Scan(&recent); err != nil {
			return err
		}
		if recent >= maxResetsPerHour {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO password_resets (token_hash, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4)`,
			hash, id, now, now.Add(s.resetTTL())); err != nil {
			return err
		}
		return mail.Enqueue(ctx, tx, resetMail(email, name, resetURL+plain, s.resetTTL()), now)
	})
	if err != nil {
		return fmt.Errorf("customer: request password reset: %w", err)
	}
	return nil
}

func resetMail(to, name, link string, ttl time.Duration) mail.Message {
	return mail.Message{
		To:      to,
		Subject: "Reset your password",
		Text: fmt.Sprintf("Hello %s,\n\nsomeone (hopefully you) asked to reset the password of your account.\n"+
			"Open this link within %s to choose a new one:\n\n%s\n\n"+
			"The link works once. If you did not ask for it, ignore this email: your password stays as it is.\n",
			name, ttl, link),
	}
}

// ResetPassword sets a new password with a token from a reset mail. An
// unknown, used or expired token gives a field error on "token"; a bad
// password one on "password". On success the token is spent, every other
// outstanding token of the account is dropped, and every session of the
// customer ends (whoever knew the old password is logged out).
func (s *Service) ResetPassword(ctx context.Context, plain, newPassword string) (Customer, error) {
	if err := password.Check(newPassword); err != nil {
		return Customer{}, err
	}
	if !token.Valid(plain) {
		return Customer{}, errBadToken
	}
	hash := password.Hash(newPassword) // outside the transaction: CPU, not database, time
	now := s.now()
	var id int64
	err := s.DB.InTx(ctx, func(tx *sql.Tx) error {
		// The conditional update spends the token exactly once, even when
		// two requests race with it.
		err := tx.QueryRowContext(ctx, `UPDATE password_resets SET used_at = $1
			WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING customer_id`,
			now, token.Hash(plain)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return errBadToken
		}
		if err != nil {
			return err
		}
		var email string
		if err := tx.QueryRowContext(ctx, `UPDATE customers SET password_hash = $1 WHERE id = $2 RETURNING email`, hash, id).Scan(&email); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM password_resets WHERE customer_id = $1 AND used_at IS NULL`, id); err != nil {
			return err
		}
		if err := loginlimit.ClearTx(ctx, tx, s.guard().AccountKey(email)); err != nil {
			return err
		}
		return session.DeleteCustomerTx(ctx, tx, id)
	})
	if fault.CodeOf(err) == fault.Invalid {
		return Customer{}, err
	}
	if err != nil {
		return Customer{}, fmt.Errorf("customer: reset password: %w", err)
	}
	return s.ByID(ctx, id)
}

// resetCleanupBatch bounds one delete of CleanupResets.
const resetCleanupBatch = 1000

// CleanupResets deletes expired password-reset tokens, in batches, and
// returns how many it removed. Any instance may run it at any time.
func (s *Service) CleanupResets(ctx context.Context) (int64, error) {
	n, err := s.DB.DeleteBatches(ctx,
		`DELETE FROM password_resets WHERE token_hash IN (SELECT token_hash FROM password_resets WHERE expires_at <= $1 LIMIT $2)`,
		s.now(), resetCleanupBatch)
	if err != nil {
		return n, fmt.Errorf("customer: cleanup resets: %w", err)
	}
	return n, nil
}
