package main_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// freePortPair returns a free loopback port p whose p+1000 is free too.
func freePortPair(t *testing.T) int {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if p+1000 > 65535 {
			continue
		}
		if ln2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p+1000)); err == nil {
			ln2.Close()
			return p
		}
	}
	t.Fatal("no free pair of ports")
	return 0
}

// TestTwoAppsOnOneHost: two `agora app` that differ only in --listen both
// start, each with its metrics on 127.0.0.1 at its own port + 1000 (a fixed
// default, once 127.0.0.1:9090, Prometheus's own port, let only the first
// one start).
func TestTwoAppsOnOneHost(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, _, errOut := run(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	var first int
	for range 2 {
		p := freePortPair(t)
		if first == 0 {
			first = p
		}
		s := start(t, "app", "--db", db, "--media", filepath.Join(data, "media"), "--listen", "127.0.0.1:"+strconv.Itoa(p), "--drain-delay", "0s")
		metrics := fmt.Sprintf("http://127.0.0.1:%d/metrics", p+1000)
		if !strings.Contains(s.ready, "metrics="+metrics) {
			t.Errorf("serving line %q does not name %s", s.ready, metrics)
		}
		if resp, body := get(t, metrics); resp.StatusCode != 200 || !strings.Contains(body, "agora_") {
			t.Errorf("GET %s: %d %.200s", metrics, resp.StatusCode, body)
		}
	}

	// A third on the first one's port: one clear line, the command named
	// once ("agora app: serve: app: listen on …" before).
	code, _, errOut := run(t, "app", "--db", db, "--media", filepath.Join(data, "media"), "--listen", "127.0.0.1:"+strconv.Itoa(first), "--metrics-listen", "")
	want := "agora app: listen on 127.0.0.1:" + strconv.Itoa(first) + ": "
	if code != 1 || !strings.Contains(errOut, want) || strings.Contains(errOut, "app: app:") || strings.Contains(errOut, "serve: ") {
		t.Errorf("an app on a taken port: exit %d, %q; want 1 and %q", code, errOut, want)
	}
}
