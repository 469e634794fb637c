package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"time"

	"agora/internal/store"
)

// The layout of agora up's --data directory (cmd_up.go), which a backup
// copies and a restore recreates.
const (
	dataDBFile   = "agora.db"
	dataMediaDir = "media"
	// manifestFile is written last into a backup: a directory without it
	// is a backup that did not finish.
	manifestFile = "agora-backup.json"
)

// manifest describes a backup: what it holds, to check a restore against.
type manifest struct {
	Format     int              `json:"format"` // 1
	Created    time.Time        `json:"created"`
	Version    string           `json:"agora_version"`
	Rows       map[string]int64 `json:"rows"` // per table
	MediaFiles int64            `json:"media_files"`
	MediaBytes int64            `json:"media_bytes"`
}

func backupCommand() *command {
	var data string
	return &command{
		name:    "backup",
		summary: "copy the embedded store (database and media) to a new directory, while it serves",
		usage: `Usage: agora backup [--data ./agora-data] DIR

Copies the store of 'agora up --data DATA' (DATA/agora.db and DATA/media)
into DIR, which must not exist or be empty. The store keeps serving: the
database is copied as of one moment (SQLite's VACUUM INTO, inside one read
transaction, which blocks no sale), compacted, synced and checked; media
files (content-addressed, never changed in place) are copied after it, so
every image the copy names is in it. DIR/agora-backup.json, written last,
records the rows per table and the media files, and marks the backup whole.

Restore with 'agora restore DIR'. For PostgreSQL and S3 media use their own
tools (pg_dump, bucket versioning): see docs/OPERATIONS.md.

Example:
  agora backup --data ./agora-data /backups/agora-$(date +%F)`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&data, "data", "./agora-data", "data directory of the store to back up (agora up --data)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			if len(env.args) != 1 {
				return fmt.Errorf("%w: give one directory to write the backup into", errUsage)
			}
			return backup(ctx, env, data, env.args[0])
		},
	}
}

func restoreCommand() *command {
	var data string
	return &command{
		name:    "restore",
		summary: "recreate the embedded store from a backup, in a new data directory",
		usage: `Usage: agora restore [--data ./agora-data] DIR

Recreates a store from DIR, a backup written by 'agora backup', in the data
directory --data, which must not exist or be empty: a restore never
overwrites a store. It refuses while a store runs on --data (stop agora up
first). The database is checked before and after the copy, and the rows per
table and the media files must match what the backup recorded. Then start
the store with 'agora up --data DATA' (it applies any newer migrations).

To replace a store: stop it, restore into a new directory, start agora up on
it, and keep the old directory until you are sure.

Example:
  agora restore --data ./agora-data-restored /backups/agora-2026-12-05`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&data, "data", "./agora-data", "data directory to create the store in (agora up --data); must not exist or be empty")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			if len(env.args) != 1 {
				return fmt.Errorf("%w: give the backup directory to restore from", errUsage)
			}
			return restore(ctx, env, env.args[0], data)
		},
	}
}

func backup(ctx context.Context, env *cmdEnv, data, dir string) (err error) {
	start := time.Now()
	dbPath := filepath.Join(data, dataDBFile)
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no store to back up at %s: give --data, the directory agora up keeps its data in (%v); a store on PostgreSQL is backed up with pg_dump", dbPath, errors.Unwrap(err))
	}
	if err := makeEmptyDir(dir, "the backup"); err != nil {
		return err
	}
	defer func() {
		if err != nil { // leave no half backup that looks whole
			os.RemoveAll(dir)
		}
	}()
	d, err := store.Open(ctx, "sqlite:"+dbPath, store.Options{})
	if err != nil {
		return err
	}
	err = d.BackupSQLite(ctx, filepath.Join(dir, dataDBFile))
	d.Close()
	if err != nil {
		return err
	}
	rows, err := tableRows(ctx, filepath.Join(dir, dataDBFile))
	if err != nil {
		return err
	}
	files, size, err := copyMedia(ctx, env, filepath.Join(data, dataMediaDir), filepath.Join(dir, dataMediaDir))
	if err != nil {
		return err
	}
	m := manifest{Format: 1, Created: time.Now().UTC(), Version: version, Rows: rows, MediaFiles: files, MediaBytes: size}
	if err := writeManifest(dir, m); err != nil {
		return err
	}
	env.log.Info("backed up", "data", data, "to", dir, "tables", len(rows), "rows", sum(rows), "media_files", files, "media_bytes", size,
		"took", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(env.stdout, "backed up %s to %s: %d rows in %d tables, %d media files (%s)\n", data, dir, sum(rows), len(rows), files, mib(size))
	return nil
}

func restore(ctx context.Context, env *cmdEnv, dir, data string) (err error) {
	start := time.Now()
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	dbPath := filepath.Join(data, dataDBFile)
	if pid, err := store.SQLiteInUse(dbPath); err != nil {
		return fmt.Errorf("cannot tell whether a store runs on %s: %w", data, err)
	} else if pid != 0 {
		return fmt.Errorf("a store is running on %s (process %d has %s open): stop it first (Ctrl-C where agora up runs, `kill -TERM %d`, or `systemctl stop` its unit), then restore into a new directory", data, pid, dbPath, pid)
	}
	if err := makeEmptyDir(data, "the restored store"); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(data)
		}
	}()
	src := filepath.Join(dir, dataDBFile)
	if err := store.CheckSQLiteFile(ctx, src); err != nil {
		return fmt.Errorf("the backup's database: %w", err)
	}
	if err := copyFile(src, dbPath); err != nil {
		return err
	}
	files, size, err := copyMedia(ctx, env, filepath.Join(dir, dataMediaDir), filepath.Join(data, dataMediaDir))
	if err != nil {
		return err
	}
	rows, err := tableRows(ctx, dbPath)
	if err != nil {
		return err
	}
	if !maps.Equal(rows, m.Rows) || files != m.MediaFiles || size != m.MediaBytes {
		return fmt.Errorf("the restored store does not match the backup's record (%d rows, %d media files of %d bytes; recorded %d rows, %d files of %d bytes): the backup in %s is damaged",
			sum(rows), files, size, sum(m.Rows), m.MediaFiles, m.MediaBytes, dir)
	}
	env.log.Info("restored", "from", dir, "data", data, "backup_created", m.Created, "rows", sum(rows), "media_files", files,
		"took", time.Since(start).Round(time.Millisecond).String())
	fmt.Fprintf(env.stdout, "restored %s (taken %s) into %s: %d rows, %d media files; start it with: agora up --data %s\n",
		dir, m.Created.Format(time.RFC3339), data, sum(rows), files, data)
	return nil
}

// makeEmptyDir creates dir, or accepts it when it exists and is empty.
func makeEmptyDir(dir, what string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("cannot create %s for %s: %w", dir, what, errors.Unwrap(err))
		}
		return nil
	case err != nil:
		return fmt.Errorf("cannot use %s for %s: %w", dir, what, err)
	case len(entries) > 0:
		return fmt.Errorf("%s exists and is not empty: give a new directory for %s (nothing is ever overwritten)", dir, what)
	}
	return nil
}

func tableRows(ctx context.Context, path string) (map[string]int64, error) {
	d, err := store.Open(ctx, "sqlite:"+path, store.Options{MaxConns: 1})
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return d.TableRows(ctx)
}

func writeManifest(dir string, m manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, manifestFile)
	if err := os.WriteFile(path, append(b, '\n'), 0o640); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return err
	}
	return store.SyncDir(dir)
}

func readManifest(dir string) (manifest, error) {
	var m manifest
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return m, fmt.Errorf("no backup at %s: give the directory agora backup wrote", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, manifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("%s is not a whole agora backup (no %s: not written by agora backup, or the backup did not finish)", dir, manifestFile)
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Format != 1 {
		return m, fmt.Errorf("%s/%s is not a backup record this agora reads (format %d): %v", dir, manifestFile, m.Format, err)
	}
	return m, nil
}

// copyMedia copies the media directory src into dst, file by file, showing
// progress: media directories grow to many gigabytes. A missing src is an
// empty store's (no upload yet). fileblob's unfinished uploads (*.tmp) are
// left out, and so is a file deleted while the copy runs: the store deletes
// only images no row names any more.
func copyMedia(ctx context.Context, env *cmdEnv, src, dst string) (files, size int64, err error) {
	var todo []string
	var total int64
	err = filepath.WalkDir(src, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == src {
				return filepath.SkipAll
			}
			return err
		}
		if de.Type().IsRegular() && !strings.HasSuffix(p, ".tmp") {
			if fi, err := de.Info(); err == nil {
				todo = append(todo, p)
				total += fi.Size()
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("read media %s: %w", src, err)
	}
	if err := os.MkdirAll(dst, 0o750); err != nil {
		return 0, 0, err
	}
	p := newProgress(env, "media", len(todo), total)
	defer p.done()
	for _, from := range todo {
		if err := ctx.Err(); err != nil {
			return files, size, fmt.Errorf("interrupted after %d of %d media files: %w", files, len(todo), err)
		}
		rel, _ := filepath.Rel(src, from)
		to := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
			return files, size, err
		}
		n, err := copyFileSize(from, to)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the walk
		}
		if err != nil {
			return files, size, err
		}
		files++
		size += n
		p.add(n)
	}
	return files, size, store.SyncDir(dst)
}

func copyFile(from, to string) error {
	_, err := copyFileSize(from, to)
	return err
}

// copyFileSize copies one file to a new name, synced.
func copyFileSize(from, to string) (int64, error) {
	in, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	return n, nil
}

// progress reports a long copy: a line rewritten on a terminal, else a log
// line every progressEvery, so a cron job's log shows a backup moving.
type progress struct {
	env           *cmdEnv
	what          string
	files, copied int
	total, n      int64
	last          time.Time
}

const progressEvery = 5 * time.Second

func newProgress(env *cmdEnv, what string, files int, total int64) *progress {
	return &progress{env: env, what: what, files: files, total: total, last: time.Now()}
}

func (p *progress) add(n int64) {
	p.copied++
	p.n += n
	every := progressEvery
	if p.env.progress != nil {
		every = 200 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	if p.env.progress != nil {
		fmt.Fprintf(p.env.progress, "\r\033[K%s: %d of %d files, %s of %s", p.what, p.copied, p.files, mib(p.n), mib(p.total))
		return
	}
	p.env.log.Info("copying "+p.what, "files", p.copied, "of", p.files, "bytes", p.n, "of_bytes", p.total)
}

func (p *progress) done() {
	if p.env.progress != nil {
		fmt.Fprint(p.env.progress, "\r\033[K")
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func sum(m map[string]int64) int64 {
	var s int64
	for _, v := range m {
		s += v
	}
	return s
}
