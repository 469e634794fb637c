package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/store"
)

// TestBackupSQLiteWhileWriting: a backup taken while another goroutine
// keeps committing is a whole database as of one commit (its rows are a
// prefix of the writes, with no gap), passes quick_check, and refuses to
// overwrite a file.
func TestBackupSQLiteWhileWriting(t *testing.T) {
	db, _ := openSQLiteFile(t, 0)
	ctx := context.Background()
	var written atomic.Int64
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				_, err := tx.Exec(`INSERT INTO purge_log (tags, created_at) VALUES ('w', $1)`, time.Now().UTC())
				return err
			})
			if err != nil {
				done <- err
				return
			}
			written.Add(1)
		}
	}()
	for written.Load() < 50 {
		time.Sleep(time.Millisecond) // a poll's pace, not a synchronisation
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	err := db.BackupSQLite(ctx, dst)
	close(stop)
	if werr := <-done; werr != nil {
		t.Fatal(werr)
	}
	if err != nil {
		t.Fatal(err)
	}
	cp, err := store.Open(ctx, "sqlite:"+dst, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var n, maxSeq int64
	if err := cp.Read.QueryRow(`SELECT count(*), coalesce(max(seq), 0) FROM purge_log WHERE tags = 'w'`).Scan(&n, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if n < 50 || n > written.Load() {
		t.Errorf("the copy holds %d writes; %d were committed before it began, %d by the end", n, 50, written.Load())
	}
	var first int64
	cp.Read.QueryRow(`SELECT min(seq) FROM purge_log WHERE tags = 'w'`).Scan(&first)
	if maxSeq-first+1 != n {
		t.Errorf("the copy's writes have gaps: %d rows from seq %d to %d", n, first, maxSeq)
	}
	counts, err := cp.TableRows(ctx)
	if err != nil || counts["purge_log"] != n || len(counts) < 10 {
		t.Errorf("TableRows = %v, %v", counts, err)
	}
	if err := db.BackupSQLite(ctx, dst); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second backup onto the same file: %v", err)
	}
}
