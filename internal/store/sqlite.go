package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// sqlitePragmas are applied to every connection, in this order:
//   - busy_timeout first (Options.BusyTimeout, added in openSQLite),
//     so even the pragmas below wait for a lock instead of failing with
//     SQLITE_BUSY while another process (seed, migrate, another app) writes;
//   - journal_mode=WAL lets readers run beside the single writer;
//   - synchronous=NORMAL is durable across process crashes in WAL mode (only
//     a power loss may drop the last transactions) and much faster than FULL;
//   - foreign_keys=on, off by default in SQLite for compatibility;
//   - a 64 MiB page cache per connection and memory-mapped reads keep hot
//     catalog pages out of syscalls; the map covers files up to 2 GiB
//     (SQLite's own ceiling): with a 256 MiB map a 300,000-product
//     catalog (730 MiB) read most pages through pread into each
//     connection's cache, and category pages at 32 connections served 73–102
//     req/s where the whole map serves 300–527. Mapped pages are the
//     kernel's page cache, shared and reclaimable, not the process's heap;
//   - journal_size_limit (SQLiteJournalSizeLimit): a checkpoint cannot reset
//     the WAL while a read is open, so a long read (an export) during writes
//     (an import, a sale) grows it, and SQLite otherwise keeps the file at its
//     largest size for good, never giving the disk space back; with the
//     limit, the next reset truncates it.
var sqlitePragmas = []string{
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(1)",
	"journal_size_limit(" + strconv.Itoa(SQLiteJournalSizeLimit) + ")",
	"cache_size(-65536)",
	"mmap_size(2147418112)",
	"temp_store(MEMORY)",
}

// SQLiteJournalSizeLimit is the size, in bytes, a WAL file is cut back to
// when a checkpoint resets it: about 16,000 pages, room for the bursts of an
// ordinary day without regrowing the file each time.
const SQLiteJournalSizeLimit = 64 << 20

func openSQLite(ctx context.Context, path string, opts Options) (*DB, error) {
	if path == "" {
		return nil, errors.New("store: sqlite: needs a file path, as in --db sqlite:./agora-data/agora.db")
	}
	loc := "sqlite:" + path
	dir := filepath.Dir(path)
	if opts.CreateDir {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: cannot create directory %s for %s: %w", dir, loc, err)
		}
	} else if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("store: directory %s of %s does not exist: create it or run `agora migrate --db %s`", dir, loc, loc)
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store: %s is a directory, not a database file", loc)
	}

	busy := "busy_timeout(" + strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10) + ")"
	q := url.Values{}
	q.Add("_pragma", busy)
	for _, p := range sqlitePragmas {
		q.Add("_pragma", p)
	}
	// IMMEDIATE transactions take the write lock at BEGIN: with one writer
	// connection per process they wait only for other processes (busy_timeout,
	// then InTx's retry), it rules out deadlocks on lock upgrade, and a busy
	// BEGIN is safe to retry since nothing has run yet.
	q.Set("_txlock", "immediate")
	wdsn, err := sqliteDSN(path, q)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", loc, err)
	}
	write, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", loc, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := checkSQLite(ctx, write, loc); err != nil {
		write.Close()
		return nil, err
	}

	rq := url.Values{}
	rq.Add("_pragma", busy)
	for _, p := range sqlitePragmas {
		if !strings.HasPrefix(p, "journal_mode") { // set once by the writer
			rq.Add("_pragma", p)
		}
	}
	rq.Add("_pragma", "query_only(1)")
	rdsn, err := sqliteDSN(path, rq)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: %s: %w", loc, err)
	}
	read, err := sql.Open("sqlite", rdsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open %s: %w", loc, err)
	}
	read.SetMaxOpenConns(opts.MaxConns)
	read.SetMaxIdleConns(opts.MaxConns)
	read.SetConnMaxIdleTime(0)
	return &DB{Dialect: SQLite, Read: read, Write: write, Location: loc}, nil
}

// sqliteDSN is the driver's address of the file at path with the
// parameters q: a SQLite URI (file:///ABS/PATH?…) built with net/url, so a
// path holding '?', '#' or '%' stays a path (escaped, and decoded by SQLite)
// instead of starting the parameters. The path is made absolute first: a
// relative one cannot be written as a URI path without an authority.
func sqliteDSN(path string, q url.Values) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // C:/dir on Windows: file:///C:/dir
	}
	u := url.URL{Scheme: "file", Path: p, RawQuery: q.Encode()}
	return u.String(), nil
}

// checkSQLite turns the driver's terse errors into one line saying what is
// wrong with the file.
func checkSQLite(ctx context.Context, db *sql.DB, loc string) error {
	var n int
	err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n)
	if err == nil {
		return nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "not a database"), strings.Contains(msg, "malformed"):
		return fmt.Errorf("store: %s is not a valid SQLite database (corrupt, or a file of another kind): restore it from a backup or point --db elsewhere", loc)
	case strings.Contains(msg, "unable to open"), strings.Contains(msg, "permission denied"), strings.Contains(msg, "readonly"):
		return fmt.Errorf("store: cannot open %s: check that the file and its directory are readable and writable (%v)", loc, err)
	default:
		return fmt.Errorf("store: cannot use %s: %w", loc, err)
	}
}
