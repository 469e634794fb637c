// Package certstore keeps what edges share to hold ACME certificates once
// for the whole store (issue 12): certmagic's key/value blobs (account
// keys, certificates, challenge tokens) in acme_blobs, and its locks, with
// an expiry so that a dead edge's lock is taken over, in acme_locks. It
// knows keys as slash-separated paths and values as bytes; what they mean
// is certmagic's business (internal/edge/acme). The app tier serves it to
// edges behind the cluster secret (internal/app, /_internal/acme/); the
// edge has no database.
package certstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"agora/internal/store"
)

// ErrNotFound says a key holds no value (and is no directory, for Stat).
var ErrNotFound = errors.New("certstore: not found")

// KeyError is a key or value refused before reaching the database: the
// caller's mistake, not a failure.
type KeyError struct{ msg string }

func (e *KeyError) Error() string { return e.msg }

func keyErrorf(format string, args ...any) error { return &KeyError{fmt.Sprintf(format, args...)} }

// MaxValueBytes bounds one value: certificates, keys and their metadata
// are a few KiB; the bound keeps a mistaken or hostile writer from filling
// the database through one request.
const MaxValueBytes = 1 << 20

// Info describes a key. A directory (a prefix of other keys) has no
// value: Terminal false, Size 0, Modified zero.
type Info struct {
	Key      string    `json:"key"`
	Modified time.Time `json:"modified"`
	Size     int64     `json:"size"`
	Terminal bool      `json:"terminal"`
}

// CheckKey says what is wrong with key, if anything: certmagic's keys are
// relative paths of non-empty segments.
func CheckKey(key string) error {
	if key == "" || len(key) > 1024 || !utf8.ValidString(key) {
		return keyErrorf("certstore: key %.40q: want 1 to 1024 bytes of UTF-8", key)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return keyErrorf("certstore: key %.80q: want a relative path without empty, . or .. segments", key)
		}
	}
	return nil
}

// Put stores value at key, replacing what was there.
func Put(ctx context.Context, db *store.DB, key string, value []byte, now time.Time) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if len(value) > MaxValueBytes {
		return keyErrorf("certstore: %s: %d bytes, at most %d", key, len(value), MaxValueBytes)
	}
	if value == nil {
		value = []byte{} // NOT NULL
	}
	_, err := db.Write.ExecContext(ctx, `INSERT INTO acme_blobs (key, value, modified_ms) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, modified_ms = excluded.modified_ms`,
		key, value, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("certstore: put %s: %w", key, store.Unavailable(err))
	}
	return nil
}

// Get returns the value at key and when it was stored, or ErrNotFound.
func Get(ctx context.Context, db *store.DB, key string) ([]byte, time.Time, error) {
	var v []byte
	var ms int64
	err := db.Read.QueryRowContext(ctx, "SELECT value, modified_ms FROM acme_blobs WHERE key = $1", key).Scan(&v, &ms)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("certstore: get %s: %w", key, store.Unavailable(err))
	}
	return v, time.UnixMilli(ms), nil
}

// underPrefix matches the keys below directory $1 ($1 ends in "/", $2 is
// its length in characters). substr rather than LIKE: no escaping of % and
// _, and rather than a range: PostgreSQL compares text by locale.
const underPrefix = "substr(key, 1, $2) = $1"

func dirArgs(key string) (string, int) {
	p := key + "/"
	return p, utf8.RuneCountInString(p)
}

// Delete removes key and every key below it (certmagic's directories); a
// key that does not exist is no error.
func Delete(ctx context.Context, db *store.DB, key string) error {
	p, n := dirArgs(key)
	_, err := db.Write.ExecContext(ctx, "DELETE FROM acme_blobs WHERE key = $3 OR "+underPrefix, p, n, key)
	if err != nil {
		return fmt.Errorf("certstore: delete %s: %w", key, store.Unavailable(err))
	}
	return nil
}

// Stat describes key: a value, a directory, or ErrNotFound.
func Stat(ctx context.Context, db *store.DB, key string) (Info, error) {
	var size, ms int64
	err := db.Read.QueryRowContext(ctx, "SELECT length(value), modified_ms FROM acme_blobs WHERE key = $1", key).Scan(&size, &ms)
	switch {
	case err == nil:
		return Info{Key: key, Modified: time.UnixMilli(ms), Size: size, Terminal: true}, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Info{}, fmt.Errorf("certstore: stat %s: %w", key, store.Unavailable(err))
	}
	p, n := dirArgs(key)
	var below int
	if err := db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM acme_blobs WHERE "+underPrefix, p, n).Scan(&below); err != nil {
		return Info{}, fmt.Errorf("certstore: stat %s: %w", key, store.Unavailable(err))
	}
	if below == 0 {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	return Info{Key: key}, nil
}

// List returns the keys below dir ("" is the root), sorted: every value's
// key when recursive, else the direct children, values and directories
// alike, as full keys (dir/child), as certmagic's FileStorage does.
func List(ctx context.Context, db *store.DB, dir string, recursive bool) ([]string, error) {
	var rows *sql.Rows
	var err error
	if dir == "" {
		rows, err = db.Read.QueryContext(ctx, "SELECT key FROM acme_blobs ORDER BY key")
	} else {
		p, n := dirArgs(dir)
		rows, err = db.Read.QueryContext(ctx, "SELECT key FROM acme_blobs WHERE "+underPrefix+" ORDER BY key", p, n)
	}
	if err != nil {
		return nil, fmt.Errorf("certstore: list %s: %w", dir, store.Unavailable(err))
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("certstore: list %s: %w", dir, store.Unavailable(err))
		}
		if !recursive {
			rest := strings.TrimPrefix(k, dir+"/")
			if dir == "" {
				rest = k
			}
			child, _, _ := strings.Cut(rest, "/")
			k = strings.TrimPrefix(dir+"/"+child, "/")
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("certstore: list %s: %w", dir, store.Unavailable(err))
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
