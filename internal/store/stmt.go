package store

import (
	"context"
	"database/sql"
	"sync"

	"github.com/jackc/pgx/v5"
)

// maxCachedStmts bounds the statement cache; queries past it run unprepared.
// Agora's read queries are a fixed set of texts (a few dozen), so the bound
// only guards against a caller building SQL with values in it by mistake.
const maxCachedStmts = 512

// stmtCache holds prepared statements of the read pool by SQL text.
// Preparing costs more than running a point query on SQLite (the profile of
// a product page showed a sixth of its CPU in SQLite's parser), and
// database/sql does not cache statements by itself.
type stmtCache struct {
	mu sync.RWMutex // protects m
	m  map[string]*sql.Stmt
}

func (c *stmtCache) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.m == nil {
		c.m = make(map[string]*sql.Stmt)
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// Query runs a read query on the read pool through a cached prepared
// statement, once more if the connection was lost (retryRead); an error
// that remains from a lost database is fault.Unavailable. Under
// FromReplica it may run on a replica instead; should that fail before the
// first row arrives (the driver reads it in Query), the primary runs it.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	args = db.planArgs(args)
	if r := db.replicaFor(ctx); r != nil {
		rows, err := r.stmts.query(ctx, r.pool, query, args...)
		if db.replicas.served(ctx, r, err) {
			return rows, Unavailable(err)
		}
	}
	var rows *sql.Rows
	err := db.retryRead(ctx, func() (err error) {
		rows, err = db.stmts.query(ctx, db.Read, query, args...)
		return err
	})
	return rows, err
}

// PlanForValues, as the first argument of Query, has PostgreSQL plan the
// query for its arguments at every run rather than through a prepared
// statement, whose generic plan is the same whatever the values: for a
// query whose best plan depends on them, such as a name prefix that
// 100,000 products have or none (catalog's suggest). Planning costs each
// run a little; use it only there. SQLite ignores it.
var PlanForValues planForValues

type planForValues struct{}

// planArgs turns a leading PlanForValues into what the driver reads:
// pgx's exec mode, which sends the query unnamed with its arguments, so
// the server plans it for them.
func (db *DB) planArgs(args []any) []any {
	if len(args) == 0 {
		return args
	}
	if _, ok := args[0].(planForValues); !ok {
		return args
	}
	if db.Dialect != Postgres {
		return args[1:]
	}
	return append([]any{pgx.QueryExecModeExec}, args[1:]...)
}

func (c *stmtCache) query(ctx context.Context, pool *sql.DB, query string, args ...any) (*sql.Rows, error) {
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok { // planArgs: never prepared
			return pool.QueryContext(ctx, query, args...)
		}
	}
	st, err := c.get(ctx, pool, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return pool.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// Row is the result of QueryRow: a *sql.Row whose Scan reports a lost
// database as fault.Unavailable rather than as an internal error.
type Row struct{ row *sql.Row }

// Scan is sql.Row's: sql.ErrNoRows when there is no row.
func (r *Row) Scan(dest ...any) error { return Unavailable(r.row.Scan(dest...)) }

// Err is sql.Row's: the error of the query, if it failed, without scanning.
func (r *Row) Err() error { return Unavailable(r.row.Err()) }

// QueryRow is Query for at most one row; errors surface at Scan. The query
// runs once more if the connection was lost before it answered, and on the
// primary if it failed on a replica (see Query).
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	if r := db.replicaFor(ctx); r != nil {
		row := r.stmts.queryRow(ctx, r.pool, query, args...)
		if db.replicas.served(ctx, r, row.Err()) {
			return &Row{row: row}
		}
	}
	row := db.stmts.queryRow(ctx, db.Read, query, args...)
	if connLost(row.Err()) {
		db.lost.saw()
		if ctx.Err() == nil {
			row = db.stmts.queryRow(ctx, db.Read, query, args...)
		}
	}
	return &Row{row: row}
}

func (c *stmtCache) queryRow(ctx context.Context, pool *sql.DB, query string, args ...any) *sql.Row {
	st, err := c.get(ctx, pool, query)
	if err != nil || st == nil {
		// Preparing failed (a syntax error, a closed pool): running the
		// query unprepared reports the same error through Row.Scan.
		return pool.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
