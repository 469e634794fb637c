package store

import (
	"context"
	"database/sql"
)

// A commit hook writes a caller's own bookkeeping in the transaction of a
// write it does not own: an import job marks a step applied in the very
// transaction that applies it (catalog.UpdateMany), so a crash leaves the
// step either applied and marked or neither, and a resumed job never
// applies it twice.

type commitHookKey struct{}

// WithCommitHook returns a context whose InTx calls run hook in their
// transaction after fn succeeds and before COMMIT; an error from hook rolls
// the transaction back. Give it only to a call that makes one transaction:
// every InTx reached with the context runs the hook.
func WithCommitHook(ctx context.Context, hook func(ctx context.Context, tx *sql.Tx) error) context.Context {
	return context.WithValue(ctx, commitHookKey{}, hook)
}

func commitHook(ctx context.Context) func(context.Context, *sql.Tx) error {
	h, _ := ctx.Value(commitHookKey{}).(func(context.Context, *sql.Tx) error)
	return h
}
