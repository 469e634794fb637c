package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// BackupSQLite writes a consistent copy of the SQLite database to dst, a
// file that must not exist yet, while the store keeps serving: VACUUM INTO
// reads inside one read transaction, so the copy is the database as of one
// commit, and in WAL mode it blocks no writer (other processes go on
// selling). The copy is compacted, fsynced, and checked (quick_check)
// before BackupSQLite returns. PostgreSQL has its own tools (pg_dump,
// a CloudNativePG backup): on it BackupSQLite refuses.
func (db *DB) BackupSQLite(ctx context.Context, dst string) error {
	if db.Dialect != SQLite {
		return errors.New("store: backup: only the embedded SQLite store is backed up by agora; use pg_dump for PostgreSQL")
	}
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("store: backup: %s already exists", dst)
	}
	if _, err := db.Write.ExecContext(ctx, "VACUUM INTO $1", dst); err != nil {
		os.Remove(dst)
		return fmt.Errorf("store: backup to %s: %w", dst, err)
	}
	// VACUUM INTO does not sync what it wrote; a backup that a power cut
	// can tear is no backup.
	if err := syncFile(dst); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return CheckSQLiteFile(ctx, dst)
}

// CheckSQLiteFile opens the SQLite file at path read-only and runs
// quick_check on it: a torn or foreign file fails here, not at the first
// shopper's request after a restore.
func CheckSQLiteFile(ctx context.Context, path string) error {
	dsn, err := sqliteDSN(path, url.Values{"mode": {"ro"}})
	if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	f, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: %s: %w", path, err)
	}
	defer f.Close()
	var res string
	if err := f.QueryRowContext(ctx, "PRAGMA quick_check").Scan(&res); err != nil {
		return fmt.Errorf("store: %s is not a readable SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("store: %s is damaged: %s", path, res)
	}
	return nil
}

// TableRows counts the rows of every table of a SQLite database in one
// read transaction (one snapshot): what a backup holds, to compare a
// restore against.
func (db *DB) TableRows(ctx context.Context) (map[string]int64, error) {
	if db.Dialect != SQLite {
		return nil, errors.New("store: table rows: SQLite only")
	}
	counts := map[string]int64{}
	err := db.InReadTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
		if err != nil {
			return err
		}
		var names []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				rows.Close()
				return err
			}
			names = append(names, n)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, n := range names {
			var c int64
			// The name comes from sqlite_master, not from a user; quoted
			// as an identifier all the same.
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM "`+n+`"`).Scan(&c); err != nil {
				return err
			}
			counts[n] = c
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: count rows: %w", err)
	}
	return counts, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir makes the names just created in dir durable (a rename or a new
// file survives a power cut only once its directory is synced).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
