package main_test

import (
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSecondSignalStopsAtOnce: the first SIGTERM starts a drain (here one
// that would last an hour); the second ends the process at once with a
// non-zero code (128+15), and `agora up` takes its app instance with it.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, _, errOut := run(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	cases := []struct {
		name  string
		args  []string
		drain string // logged once the first signal's drain runs
	}{
		{"app", []string{"app", "--db", db, "--media", filepath.Join(data, "media"), "--listen", "127.0.0.1:0", "--metrics-listen", "", "--drain-delay", "1h"}, `msg=draining`},
		{"up", []string{"up", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "", "--drain-delay", "1h"}, `msg="app: draining"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, c.args...)
			child := 0
			if c.name == "up" {
				m := regexp.MustCompile(`msg="app: serving".* pid=(\d+)`).FindStringSubmatch(s.log())
				if m == nil {
					t.Fatalf("no app instance in the log:\n%s", s.log())
				}
				child, _ = strconv.Atoi(m[1])
			}
			if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			s.waitLog(t, c.drain)
			if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-s.done:
			case <-time.After(30 * time.Second): // a failsafe; the drain would take an hour
				t.Fatalf("still running 30s after the second SIGTERM:\n%s", s.log())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 128+int(syscall.SIGTERM) {
				t.Errorf("exit after the second SIGTERM: %v, want code %d\n%s", err, 128+int(syscall.SIGTERM), s.log())
			}
			if child != 0 {
				if err := syscall.Kill(child, 0); !errors.Is(err, syscall.ESRCH) {
					t.Errorf("the app instance (pid %d) outlived agora up: kill(0) = %v", child, err)
					syscall.Kill(child, syscall.SIGKILL)
				}
			}
		})
	}
}

// TestStopWhileStarting: a server asked to stop before it serves (here
// while its database does not answer yet; `agora up` stops an instance
// still starting the same way) stops cleanly, exit code 0, and says so. It
// exited 1 with "context canceled", and `agora up` then reported that its
// app tier "did not stop cleanly".
func TestStopWhileStarting(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- c // held open, never answered
		}
	}()
	cmd := exec.Command(binary, "app", "--db", "postgres://agora@"+ln.Addr().String()+"/agora?sslmode=disable",
		"--media", t.TempDir(), "--listen", "127.0.0.1:0", "--metrics-listen", "")
	cmd.Env = cleanEnv()
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-accepted: // the app is waiting for its database
		defer c.Close()
	case <-time.After(time.Minute): // a failsafe
		cmd.Process.Kill()
		t.Fatal("the app never connected to the database")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("exit after SIGTERM while starting: %v, want 0\n%s", err, errb.String())
	}
	if !strings.Contains(errb.String(), "stopped before serving") {
		t.Errorf("the log does not say it stopped before serving:\n%s", errb.String())
	}
}
