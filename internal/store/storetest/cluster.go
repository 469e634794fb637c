package storetest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"agora/internal/testdep"
)

// Cluster is a PostgreSQL server of the test's own, on a free loopback
// port with its data in a temporary directory, for tests that inject
// faults (a restart, a stop) which the shared server on 5432 must never
// see: other packages' tests use that one at the same time.
type Cluster struct {
	// URL is the address of the cluster's "postgres" database, as the
	// superuser "postgres", with no password (trust on loopback).
	URL string

	port int
	opts string // the server's options (-o) at start
	bin  string // directory of initdb and pg_ctl
	dir  string // parent of data/ and server.log, removed at cleanup
	data string
	// asPostgres is set when the test runs as root: initdb and postgres
	// refuse to run as root, so every command runs as the postgres user
	// (runuser -u postgres) on a directory that user owns.
	asPostgres bool
}

// NewCluster creates, starts and returns a private cluster, stopped and
// deleted when t ends. It fails t, saying how to get them, when the
// PostgreSQL server binaries are missing (AGORA_TEST_SKIP_POSTGRES=1 skips
// instead, outside CI). AGORA_TEST_PG_BIN names the directory of initdb and
// pg_ctl if they are not in /usr/lib/postgresql/*/bin (Debian's layout).
func NewCluster(t testing.TB) *Cluster {
	t.Helper()
	bin, err := pgBin()
	if err != nil {
		testdep.Missing(t, "AGORA_TEST_SKIP_POSTGRES", err,
			"install the PostgreSQL server (apt-get install postgresql) or set AGORA_TEST_PG_BIN")
	}
	c := &Cluster{bin: bin}
	c.makeDir(t)
	// trust: loopback only, and the cluster lives as long as the test.
	if out, err := c.run("initdb", "-D", c.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		t.Fatalf("storetest: initdb: %v\n%s", err, out)
	}
	c.start(t)
	t.Cleanup(func() {
		// immediate: nothing in the cluster is worth a checkpoint.
		_, _ = c.run("pg_ctl", "stop", "-D", c.data, "-m", "immediate", "-w")
	})
	return c
}

// makeDir sets the cluster's user and creates its directory, owned by
// that user and removed when t ends.
func (c *Cluster) makeDir(t testing.TB) {
	t.Helper()
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		c.asPostgres = true
	}
	// Not t.TempDir: its parents are private to the test's user (0700),
	// which the postgres user could not enter when the test runs as root.
	var err error
	c.dir, err = os.MkdirTemp("", "agora-pg-")
	if err != nil {
		t.Fatalf("storetest: cluster dir: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(c.dir) })
	c.data = filepath.Join(c.dir, "data")
	if c.asPostgres {
		pg, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("storetest: running as root, and there is no postgres user to run the server as: %v", err)
		}
		uid, _ := strconv.Atoi(pg.Uid)
		gid, _ := strconv.Atoi(pg.Gid)
		if err := os.Chown(c.dir, uid, gid); err != nil {
			t.Fatalf("storetest: chown cluster dir: %v", err)
		}
	}
}

// NewReplica creates a streaming replica of c (pg_basebackup -R: a hot
// standby that follows c over a replication connection) and starts it on a
// free port of its own. The returned Cluster is the replica: its URL
// answers read-only queries, and Stop, Start and Restart act on it alone.
// It is stopped and deleted when t ends. initdb's defaults are enough:
// wal_level=replica, max_wal_senders=10, and --auth=trust lets
// replication connections in from loopback.
func (c *Cluster) NewReplica(t testing.TB) *Cluster {
	t.Helper()
	r := &Cluster{bin: c.bin}
	r.makeDir(t)
	// --checkpoint=fast: the backup starts at once instead of after a
	// checkpoint spread over minutes.
	if out, err := r.run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(c.port), "-U", "postgres",
		"-D", r.data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"); err != nil {
		t.Fatalf("storetest: pg_basebackup: %v\n%s", err, out)
	}
	r.start(t)
	t.Cleanup(func() {
		_, _ = r.run("pg_ctl", "stop", "-D", r.data, "-m", "immediate", "-w")
	})
	return r
}

// Exec runs query on the cluster's "postgres" database and fails t if it
// fails: setup, or a command to the server (pg_wal_replay_pause()).
func (c *Cluster) Exec(t testing.TB, query string) {
	t.Helper()
	db, err := sql.Open("pgx", c.URL)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), query); err != nil {
		t.Fatalf("storetest: %s: %v", query, err)
	}
}

// start picks a free port and starts the server on it, trying again on
// another port if one was taken between the pick and the start.
func (c *Cluster) start(t testing.TB) {
	t.Helper()
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("storetest: free port: %v", err)
		}
		// fsync off: a test cluster need not survive a power cut. The
		// socket directory is the cluster's own, not /var/run/postgresql.
		c.opts = fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off -c max_connections=100",
			port, c.dir)
		out, err := c.run("pg_ctl", "start", "-D", c.data, "-w", "-t", "60", "-l", filepath.Join(c.dir, "server.log"), "-o", c.opts)
		if err == nil {
			c.port = port
			c.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
			return
		}
		lastErr = fmt.Errorf("%v\n%s\n%s", err, out, c.Log())
	}
	t.Fatalf("storetest: pg_ctl start: %v", lastErr)
}

// Restart restarts the server with a fast shutdown, as an operator's
// `pg_ctl restart -m fast` does: every session is terminated
// (SQLSTATE 57P01), open transactions roll back, and new connections are
// refused until the server is back. It returns once the server accepts
// connections again.
func (c *Cluster) Restart(t testing.TB) {
	t.Helper()
	// pg_ctl restart reuses the options of the last start (postmaster.opts).
	if out, err := c.run("pg_ctl", "restart", "-D", c.data, "-m", "fast", "-w", "-t", "60", "-l", filepath.Join(c.dir, "server.log")); err != nil {
		t.Fatalf("storetest: pg_ctl restart: %v\n%s\n%s", err, out, c.Log())
	}
}

// Stop shuts the server down (fast: sessions are terminated) and returns
// once it has exited; connections are refused until Start.
func (c *Cluster) Stop(t testing.TB) {
	t.Helper()
	if out, err := c.run("pg_ctl", "stop", "-D", c.data, "-m", "fast", "-w", "-t", "60"); err != nil {
		t.Fatalf("storetest: pg_ctl stop: %v\n%s", err, out)
	}
}

// Start starts a stopped server again on the same port.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if out, err := c.run("pg_ctl", "start", "-D", c.data, "-w", "-t", "60", "-l", filepath.Join(c.dir, "server.log"), "-o", c.opts); err != nil {
		t.Fatalf("storetest: pg_ctl start: %v\n%s\n%s", err, out, c.Log())
	}
}

// Log returns the server's log, for a failing test to show.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "server.log"))
	return string(b)
}

// CreateDatabase creates an empty database on the cluster and returns its
// address.
func (c *Cluster) CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	db, err := sql.Open("pgx", c.URL)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: create database %s: %v", name, err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, name)
}

// run runs one of the server's programs, as the postgres user when the
// test is root, and returns its combined output.
func (c *Cluster) run(prog string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.asPostgres {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir // the postgres user may not be able to enter the test's cwd
	// Output to a file, not a pipe: a server started by pg_ctl that kept a
	// pipe open would make Wait block until the server exits.
	out, err := os.CreateTemp("", "agora-pg-out-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(out.Name())
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	err = cmd.Run()
	b, _ := os.ReadFile(out.Name())
	return b, err
}

// pgBin finds the directory of initdb and pg_ctl: AGORA_TEST_PG_BIN, else
// the newest /usr/lib/postgresql/VERSION/bin.
func pgBin() (string, error) {
	if d := os.Getenv("AGORA_TEST_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("AGORA_TEST_PG_BIN=%s has no initdb", d)
		}
		return d, nil
	}
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(found) == 0 {
		return "", errors.New("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
	}
	sort.Slice(found, func(i, j int) bool { return versionOf(found[i]) > versionOf(found[j]) })
	return filepath.Dir(found[0]), nil
}

// versionOf is the major version in /usr/lib/postgresql/VERSION/bin/initdb.
func versionOf(initdb string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return v
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
