package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// replicaSetup is a primary with one streaming replica, a table kv holding
// (1, 'one') on both, and a DB that routes reads under FromReplica.
type replicaSetup struct {
	db               *store.DB
	primary, replica *storetest.Cluster
}

// newReplicaSetup returns once the replica is in rotation.
func newReplicaSetup(t *testing.T, maxLag time.Duration) replicaSetup {
	t.Helper()
	return newReplicaSetupLog(t, maxLag, nil)
}

func newReplicaSetupLog(t *testing.T, maxLag time.Duration, log *slog.Logger) replicaSetup {
	t.Helper()
	p := storetest.NewCluster(t)
	p.Exec(t, "CREATE TABLE kv (k int PRIMARY KEY, v text NOT NULL); INSERT INTO kv VALUES (1, 'one')")
	r := p.NewReplica(t)
	db, err := store.Open(context.Background(), p.URL, store.Options{
		Replicas:      []string{r.URL},
		MaxReplicaLag: maxLag,
		Log:           log,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	waitFor(t, "the replica to enter rotation", func() bool { return db.Replicas()[0].InRotation })
	return replicaSetup{db: db, primary: p, replica: r}
}

// waitFor polls cond until it holds, failing t after 20 s: a failsafe,
// not a timing assumption; each poll is a real check.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// inRecovery asks, through db.QueryRow, whether the server that answered
// is a standby: which one served a read is visible, not inferred.
func inRecovery(t *testing.T, ctx context.Context, db *store.DB) bool {
	t.Helper()
	var standby bool
	if err := db.QueryRow(ctx, "SELECT pg_is_in_recovery()").Scan(&standby); err != nil {
		t.Fatal(err)
	}
	return standby
}

func TestReplicaServesMarkedReads(t *testing.T) {
	t.Parallel()
	s := newReplicaSetup(t, 0)
	db, ctx := s.db, context.Background()
	fromReplica := store.FromReplica(ctx, 0)

	if !inRecovery(t, fromReplica, db) {
		t.Error("QueryRow under FromReplica ran on the primary with a replica in rotation")
	}
	rows, err := db.Query(fromReplica, "SELECT pg_is_in_recovery()")
	if err != nil {
		t.Fatal(err)
	}
	var standby bool
	for rows.Next() {
		if err := rows.Scan(&standby); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Close(); err != nil || !standby {
		t.Errorf("Query under FromReplica: standby %v, err %v; want the replica", standby, err)
	}
	if inRecovery(t, ctx, db) {
		t.Error("an unmarked read ran on the replica")
	}
	err = db.InTx(fromReplica, func(tx *sql.Tx) error {
		return tx.QueryRowContext(fromReplica, "SELECT pg_is_in_recovery()").Scan(&standby)
	})
	if err != nil || standby {
		t.Errorf("a transaction under FromReplica: standby %v, err %v; want the primary", standby, err)
	}
	if got := db.Replicas()[0].Reads; got != 2 {
		t.Errorf("replica Reads = %d, want 2", got)
	}
	if got := db.PrimaryReads(); got != 0 {
		t.Errorf("PrimaryReads = %d, want 0", got)
	}

	// Read your own write: with the position after it, the read sees the
	// row wherever it runs (the replica if it has replayed it, else the
	// primary), and is counted where it ran.
	if _, err := db.Write.ExecContext(ctx, "INSERT INTO kv VALUES (2, 'two')"); err != nil {
		t.Fatal(err)
	}
	lsn, err := db.CurrentLSN(ctx)
	if err != nil || lsn == 0 {
		t.Fatalf("CurrentLSN = %v, %v", lsn, err)
	}
	var v string
	if err := db.QueryRow(store.FromReplica(ctx, lsn), "SELECT v FROM kv WHERE k = 2").Scan(&v); err != nil || v != "two" {
		t.Fatalf("own write read back as %q, %v; want two", v, err)
	}
	if got := db.Replicas()[0].Reads + db.PrimaryReads(); got != 3 {
		t.Errorf("replica and primary reads = %d, want 3", got)
	}

	// A position no replica has reached goes to the primary.
	if inRecovery(t, store.FromReplica(ctx, lsn+1<<40), db) {
		t.Error("a read past every replica's position ran on a replica")
	}
	if got := db.PrimaryReads(); got < 1 {
		t.Errorf("PrimaryReads = %d after a read no replica fitted", got)
	}
	st := db.Replicas()[0]
	if st.Location != s.replica.URL || st.Err != "" || st.ReplayLSN == 0 {
		t.Errorf("status = %+v", st)
	}
}

func TestReplicaLaggingLeavesRotation(t *testing.T) {
	t.Parallel()
	const maxLag = 300 * time.Millisecond
	var logged lockedBuffer
	s := newReplicaSetupLog(t, maxLag, slog.New(slog.NewTextHandler(&logged, nil)))
	db, ctx := s.db, context.Background()
	write := func(k int) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, "INSERT INTO kv VALUES ($1, 'x')", k); err != nil {
			t.Fatal(err)
		}
	}

	s.replica.Exec(t, "SELECT pg_wal_replay_pause()")
	write(100)
	lsn, err := db.CurrentLSN(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// At once, whether or not the monitor has seen the lag yet: the
	// replica has not replayed lsn, so the read is the primary's.
	before := db.PrimaryReads()
	still := db.Replicas()[0].InRotation
	if inRecovery(t, store.FromReplica(ctx, lsn), db) {
		t.Fatal("a read needing a write the paused replica has not replayed ran on it")
	}
	if db.PrimaryReads() != before+1 {
		t.Errorf("PrimaryReads went from %d to %d, want one more", before, db.PrimaryReads())
	}
	t.Logf("replica still in rotation at that read: %v", still)

	k := 101
	waitFor(t, "the paused replica to leave rotation", func() bool {
		write(k) // the primary keeps writing
		k++
		return !db.Replicas()[0].InRotation
	})
	if st := db.Replicas()[0]; st.Lag <= maxLag || st.Err != "" {
		t.Errorf("out of rotation with lag %v (max %v), err %q; want a lag over the maximum and no error", st.Lag, maxLag, st.Err)
	}
	if inRecovery(t, store.FromReplica(ctx, 0), db) {
		t.Error("a read ran on a replica out of rotation")
	}
	if l := logged.String(); !strings.Contains(l, `msg="store: replica out of rotation"`) || !strings.Contains(l, `reason="lag over maximum"`) {
		t.Errorf("leaving rotation was not logged with its reason:\n%s", l)
	}

	s.replica.Exec(t, "SELECT pg_wal_replay_resume()")
	waitFor(t, "the resumed replica to return to rotation", func() bool { return db.Replicas()[0].InRotation })
	if !inRecovery(t, store.FromReplica(ctx, 0), db) {
		t.Error("the replica back in rotation served no read")
	}
}

// TestReplicaStoppedUnderLoad: a replica that goes away while reads run on
// it costs no read an error: each one it fails is answered by the primary,
// and it leaves rotation.
func TestReplicaStoppedUnderLoad(t *testing.T) {
	t.Parallel()
	s := newReplicaSetup(t, 0)
	db := s.db
	ctx := store.FromReplica(context.Background(), 0)

	var (
		stop     = make(chan struct{})
		wg       sync.WaitGroup
		reads    atomic.Uint64
		failures atomic.Uint64
		firstErr atomic.Value
	)
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				var v string
				err := db.QueryRow(ctx, "SELECT v FROM kv WHERE k = 1").Scan(&v)
				if err == nil && v != "one" {
					err = fmt.Errorf("read %q, want one", v)
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				reads.Add(1)
			}
		})
	}
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt()

	waitFor(t, "reads on the replica", func() bool { return db.Replicas()[0].Reads >= 100 })
	s.replica.Stop(t)
	primaryBefore := db.PrimaryReads()
	waitFor(t, "reads on the primary after the stop", func() bool { return db.PrimaryReads() >= primaryBefore+200 })
	waitFor(t, "a failed check of the stopped replica", func() bool { return db.Replicas()[0].Err != "" })
	halt()

	if n := failures.Load(); n != 0 {
		t.Errorf("%d of %d reads failed; first: %v", n, reads.Load(), firstErr.Load())
	}
	if st := db.Replicas()[0]; st.InRotation {
		t.Errorf("the stopped replica is in rotation: %+v", st)
	}
	t.Logf("%d reads: %d on the replica, %d on the primary", reads.Load(), db.Replicas()[0].Reads, db.PrimaryReads())

	// A replica down when the DB opens does not stop it from opening: it
	// waits out of rotation, and reads go to the primary.
	db2, err := store.Open(context.Background(), s.primary.URL, store.Options{Replicas: []string{s.replica.URL}})
	if err != nil {
		t.Fatalf("Open with a replica down: %v", err)
	}
	defer db2.Close()
	waitFor(t, "a failed check of the replica down at Open", func() bool { return db2.Replicas()[0].Err != "" })
	if inRecovery(t, ctx, db2) || db2.PrimaryReads() != 1 || db2.Replicas()[0].InRotation {
		t.Errorf("with the replica down at Open: status %+v, primary reads %d", db2.Replicas()[0], db2.PrimaryReads())
	}
}

// lockedBuffer is a bytes.Buffer the monitor may log into while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestOpenRefusesBadReplicas(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, primary, replica, want string
	}{
		{"sqlite primary", "sqlite:" + t.TempDir() + "/a.db", "postgres://u:hunter2@127.0.0.1:1/db", "--db-replica needs a PostgreSQL primary"},
		{"not postgres", "postgres://u:hunter2@127.0.0.1:1/db", "mysql://u:hunter2@127.0.0.1/db", "--db-replica mysql://u:xxxxx@127.0.0.1/db"},
		{"key=value", "postgres://u@127.0.0.1:1/db", "host=h password=hunter2", "--db-replica host=h password=xxxxx"},
	} {
		_, err := store.Open(context.Background(), c.primary, store.Options{Replicas: []string{c.replica}})
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: Open = %v; want an error with %q and no password", c.name, err, c.want)
		}
	}
}

func TestParseLSN(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want store.LSN
		out  string // String of the result; "" if in must be refused
	}{
		{"16/B374D848", 0x16_B374D848, "16/B374D848"},
		{"0/0", 0, "0/0"},
		{"16/b374d848", 0x16_B374D848, "16/B374D848"},
		{"FFFFFFFF/FFFFFFFF", 1<<64 - 1, "FFFFFFFF/FFFFFFFF"},
		{"00000001/0000000A", 1<<32 | 10, "1/A"},
		{"", 0, ""},
		{"16", 0, ""},
		{"16/", 0, ""},
		{"/B374D848", 0, ""},
		{"16/B374D848/1", 0, ""},
		{"1FFFFFFFF/0", 0, ""},
		{"000000001/0", 0, ""},
		{"0x16/0", 0, ""},
		{"+16/0", 0, ""},
		{"-1/0", 0, ""},
		{"16/B374_D848", 0, ""},
		{" 16/B374D848", 0, ""},
		{"G/0", 0, ""},
	} {
		got, err := store.ParseLSN(c.in)
		if c.out == "" {
			if err == nil {
				t.Errorf("ParseLSN(%q) = %v, want an error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want || got.String() != c.out {
			t.Errorf("ParseLSN(%q) = %#x (%v), %v; want %#x (%s)", c.in, uint64(got), got, err, uint64(c.want), c.out)
		}
	}
}
