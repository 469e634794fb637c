package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"agora/internal/redact"
)

func openPostgres(ctx context.Context, rawURL string, opts Options) (*DB, error) {
	out := &DB{Dialect: Postgres, Location: Redact(rawURL)}
	db, cfg, err := newPGPool(rawURL, opts, &out.lost)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		if ctx.Err() != nil { // the caller gave up (a stop signal): say so, as context.Canceled
			return nil, fmt.Errorf("store: stopped while reaching PostgreSQL at %s: %w", out.Location, ctx.Err())
		}
		return nil, fmt.Errorf("store: cannot reach PostgreSQL at %s: %s", out.Location, pgReason(err))
	}
	out.Read, out.Write, out.pgConfig = db, db, cfg
	if len(opts.Replicas) > 0 {
		if err := out.openReplicas(opts); err != nil {
			db.Close()
			return nil, err
		}
	}
	return out, nil
}

// newPGPool opens (without connecting) a pool on one PostgreSQL server,
// the primary or a replica, both tuned the same way. lost is the connLoss
// its connections consult before reuse. Errors never repeat a password and
// have no "store:" prefix: the caller adds its own context.
func newPGPool(rawURL string, opts Options, lost *connLoss) (*sql.DB, *pgx.ConnConfig, error) {
	loc := Redact(rawURL)
	// Parsed here, not at the first connection, so a malformed address is
	// reported as such (and with no part of it: pgx's own message repeats
	// it, and a mistyped address hides its password from the redaction).
	if _, err := pgconn.ParseConfig(rawURL); err != nil || loc == redact.Unparsable {
		return nil, nil, fmt.Errorf("invalid PostgreSQL address: %s; use postgres://USER:PASSWORD@HOST:PORT/DB (percent-encode special characters) or host=… port=… dbname=…", pgParseReason(err))
	}
	cfg, err := pgx.ParseConfig(rawURL)
	if err != nil {
		return nil, nil, fmt.Errorf("invalid PostgreSQL address %s: %v", loc, redact.Err(errors.Unwrap(err)))
	}
	// database/sql has no background health check (pgxpool's
	// HealthCheckPeriod): a connection the server ended is found at its
	// next use. connLoss makes that use a ping after any loss is seen.
	db := stdlib.OpenDB(*cfg, stdlib.OptionShouldPing(lost.shouldPing))
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(30 * time.Minute)
	return db, cfg, nil
}

// pgReason shortens a connection error to the part an operator acts on.
func pgReason(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Message
	}
	var netErr *net.OpError
	if errors.As(err, &netErr) {
		return netErr.Err.Error()
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "no answer within 10s"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && len(msg)-i > 8 {
		return msg[i+2:]
	}
	return msg
}

// pgParseReason is what is wrong with an address pgconn.ParseConfig
// refused, without the address: its message repeats the address (redacted
// by pgx, but only in the forms pgx recognizes), and so may a *url.Error
// inside it.
func pgParseReason(err error) string {
	if err == nil {
		return "it does not parse"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	msg := err.Error()
	if _, rest, ok := strings.Cut(msg, "`: "); ok && strings.HasPrefix(msg, "cannot parse `") {
		return rest
	}
	return "it does not parse"
}
