package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"agora/internal/fault"
)

// unavailableMessage is what a shopper reads when the database is out of
// reach for a moment (a restart, a failover, a lock held by a migration).
const unavailableMessage = "The shop is busy for a moment. Please try again in a few seconds."

// Unavailable returns err as a fault.Unavailable error (503 with
// Retry-After, which the edge retries on another instance or covers with a
// stale page) when it says the database cannot be reached for now: a
// connection the server ended or could not open (connLost), or SQLite busy
// past its busy_timeout. Any other error, nil included, comes back as is,
// so sql.ErrNoRows and constraint violations keep their meaning.
func Unavailable(err error) error {
	if err == nil || !(connLost(err) || sqliteBusy(err)) {
		return err
	}
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == fault.Unavailable {
		return err // already classified (a caller's own retry)
	}
	return &fault.Error{Code: fault.Unavailable, Message: unavailableMessage, Cause: err}
}

// connLost reports whether err says the connection to PostgreSQL ended, or
// a new one could not be made, rather than that the statement was wrong:
// the server shut down or restarted (57P01 admin_shutdown, 57P02
// crash_shutdown), is starting or stopping (57P03 cannot_connect_now), a
// connection exception (class 08), or the socket was refused, reset or
// closed under pgx. A read that failed this way is worth one more try on
// another connection. A canceled or timed-out context is not a lost
// connection: it was the caller who gave up.
func connLost(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03",
			strings.HasPrefix(pgErr.Code, "08"):
			return true
		}
		return false // the server answered: a wrong query, a bad password, a constraint
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}

// sqliteBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// (any extended code): another connection held a lock for longer than
// busy_timeout (10 s, see sqlitePragmas) — a migration, a seed, a WAL
// recovery. Retrying at once would wait as long again, so it is not
// retried here; it is reported as unavailable for now.
func sqliteBusy(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff { // the primary code of an extended one
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
		return true
	}
	return false
}
