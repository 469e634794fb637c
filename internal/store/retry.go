package store

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// connLoss remembers when a lost connection (connLost) was last seen, so
// that every connection which sat in the pool at that moment is checked
// with a ping before its next use. A server restart ends all of them at
// once (issue 10: 1,428 product pages answered 500 during one fast
// restart); unchecked, each would fail a request of its own before the
// pool learned it was dead. The zero value has seen no loss.
type connLoss struct {
	at atomic.Int64 // unix nanoseconds of the latest loss; 0: none
}

func (l *connLoss) saw() { l.at.Store(time.Now().UnixNano()) }

// shouldPing decides, for pgx's stdlib (OptionShouldPing), whether a pooled
// connection is pinged before reuse: pgx's default (idle for over a
// second) or last used before the latest loss. A failed ping makes
// database/sql discard the connection and take another, or open a new
// one; the cost, one round trip, is paid only after a loss.
func (l *connLoss) shouldPing(_ context.Context, p stdlib.ShouldPingParams) bool {
	if p.IdleDuration > time.Second {
		return true
	}
	at := l.at.Load()
	return at != 0 && time.Now().Add(-p.IdleDuration).UnixNano() <= at
}

// retryRead runs read, a read whose every effect is on the database, and
// once more if it failed on a lost connection: by then connLoss has every
// connection older than the loss pinged before use, so the second try
// runs on a live connection or a new one. What still fails is returned
// through Unavailable. Writes must not come here once they may have
// reached the server: whether a COMMIT the server never acknowledged took
// effect is unknown, and running it again could, say, place an order twice.
func (db *DB) retryRead(ctx context.Context, read func() error) error {
	err := read()
	if connLost(err) {
		db.lost.saw()
		if ctx.Err() == nil {
			err = read()
		}
	}
	return Unavailable(err)
}
