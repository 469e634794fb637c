package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoListen is Listen's answer on SQLite, which has no notifications: a
// single machine's processes learn of commits by polling.
var ErrNoListen = errors.New("store: this database has no LISTEN/NOTIFY")

// Bounds of Listen's pause between reconnections: the first comes soon,
// a long outage costs one attempt every few seconds.
const (
	listenRetryMin = 100 * time.Millisecond
	listenRetryMax = 5 * time.Second
)

// Listen runs LISTEN channel on a PostgreSQL connection of its own (one
// per call, outside the pool, so it never takes a connection a request
// needs) and calls notify for each notification, until ctx ends. A lost
// connection is reopened with backoff; lost, if not nil, hears why. notify
// is also called after each (re)connection, since notifications sent
// while nobody listened are gone: a caller treats notify as "look again",
// never as "exactly one change". On SQLite it returns ErrNoListen at once.
func (db *DB) Listen(ctx context.Context, channel string, notify func(), lost func(error)) error {
	if db.pgConfig == nil {
		return ErrNoListen
	}
	failures := 0
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, channel, notify, func() { failures = 0 })
		if ctx.Err() != nil {
			break
		}
		failures++
		if lost != nil {
			lost(err)
		}
		d := min(listenRetryMin<<min(failures-1, 16), listenRetryMax)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
		}
	}
	return ctx.Err()
}

// listenOnce connects, listens and relays notifications until the
// connection fails or ctx ends; connected is called once LISTEN took.
func (db *DB) listenOnce(ctx context.Context, channel string, notify, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	conn, err := pgx.ConnectConfig(cctx, db.pgConfig.Copy())
	cancel()
	if err != nil {
		return fmt.Errorf("store: listen: connect: %s", pgReason(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("store: listen: %s", pgReason(err))
	}
	connected()
	notify()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("store: listen: %s", pgReason(err))
		}
		notify()
	}
}
