package main_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge/purgelog"
)

var popsAttr = regexp.MustCompile(`pops="([^"]+)"`)

// TestUpEdgesRunsPoPsThatConverge: `agora up --edges 3` serves the store
// from three PoPs, each with its own cache; the app tier lists all three,
// and once `agora purge --wait` says every one applied the purge log past
// a price change, every PoP shows the new price on its next request.
func TestUpEdgesRunsPoPsThatConverge(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "agora.db")
	if code, out, errOut := run(t, "seed", "--db", db, "--media", filepath.Join(data, "media"), "--products", "10", "--categories", "2", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	const secret = "up-edges-secret"
	s := start(t, "up", "--demo", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--edges", "3", "--shield",
		"--cluster-secret", secret, "--min", "1", "--max", "1", "--slow-start", "0s", "--drain-delay", "0s", "--access-log=false")
	m := popsAttr.FindStringSubmatch(s.ready)
	a := adminAttr.FindStringSubmatch(s.ready)
	if m == nil || a == nil {
		t.Fatalf("agora up --edges 3 did not log its PoPs and admin address: %s", s.ready)
	}
	pops, admin := strings.Fields(m[1]), a[1]
	if len(pops) != 3 || pops[0] != s.url {
		t.Fatalf("PoPs %q, want 3, the first the store's address %s", pops, s.url)
	}
	s.waitOut(t, fmt.Sprintf("PoP 1: %s/ (admin API, and the links in pages; the shield of the others)", pops[0]))
	for i, p := range pops[1:] {
		s.waitOut(t, fmt.Sprintf("PoP %d: %s/ (behind PoP 1)", i+2, p))
	}

	code, keyOut, errOut := run(t, "apikey", "create", "--db", db, "--email", "owner@example.com", "--name", "edges test")
	if code != 0 {
		t.Fatalf("apikey create: %d %s", code, errOut)
	}
	key := strings.TrimSpace(keyOut)
	p := firstProduct(t, s.url, key)
	page := "/products/" + p.Slug

	// Each PoP has its own cache: a miss at each, then a hit. PoPs 2 and
	// 3 are asked first: their misses went through PoP 1, their shield,
	// which then has the page without a shopper of its own asking. Every
	// PoP is asked for the store's one name (PoP 1's), which is part of
	// the shield's cache key.
	c := &http.Client{}
	host := strings.TrimPrefix(pops[0], "http://")
	getAt := func(base string) (*http.Response, string) {
		req := newGet(t, base+page)
		req.Host = host
		return fetch(t, c, req)
	}
	for _, i := range []int{2, 1} {
		if resp, body := getAt(pops[i]); resp.StatusCode != 200 || strings.Contains(resp.Header.Get("Cache-Status"), "hit") || changeIndex(body) != -1 {
			t.Fatalf("PoP %d first GET %s: %d, Cache-Status %q; want 200, a miss, the seeded price", i+1, page, resp.StatusCode, resp.Header.Get("Cache-Status"))
		}
		if resp, _ := getAt(pops[i]); !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
			t.Errorf("PoP %d second GET %s: Cache-Status %q, want a hit (it stores what its shield sends)", i+1, page, resp.Header.Get("Cache-Status"))
		}
	}
	if resp, _ := getAt(pops[0]); !strings.Contains(resp.Header.Get("Cache-Status"), "hit") {
		t.Errorf("PoP 1 (the shield) first GET %s: Cache-Status %q, want a hit: PoPs 2 and 3 fetched through it", page, resp.Header.Get("Cache-Status"))
	}

	// The app tier knows three live edges before the purge is waited for:
	// --wait waits for the live edges, and must not pass for lack of them.
	for deadline := time.Now().Add(60 * time.Second); ; {
		var n purgelog.Network
		adminGet(t, admin+"/_agora/edges", &n)
		live := 0
		for _, e := range n.Edges {
			if e.State == "live" {
				live++
			}
		}
		if live == 3 {
			break
		}
		if time.Now().After(deadline) { // a failsafe: each turn is a real check
			t.Fatalf("the app tier lists %d live edges 10 s after the start, want 3: %+v\n%s", live, n.Edges, s.log())
		}
		time.Sleep(20 * time.Millisecond) // the poll's pace, not a synchronization
	}

	adminDo(t, "PATCH", fmt.Sprintf("%s/api/v1/admin/variants/%d", s.url, p.Variants[0].ID), key, fmt.Sprintf(`{"price_cents":%d}`, priceBase), nil)
	// A purge after the price change's: applied by all, so is the change's.
	code, out, errOut := run(t, "purge", "--admin", admin, "--cluster-secret", secret, "--wait", "--wait-timeout", "10s", "home")
	if code != 0 || !strings.Contains(out, "applied by every live edge (3)") {
		t.Fatalf("purge --wait: exit %d\n%s%s\nwant 0 and three edges", code, out, errOut)
	}
	for i, base := range pops {
		if resp, body := get(t, base+page); changeIndex(body) != 0 {
			t.Errorf("PoP %d after purge --wait: Cache-Status %q, the new price %q not shown", i+1, resp.Header.Get("Cache-Status"), "9876.00")
		}
	}

	// SIGUSR2: a new agora up serves every PoP's socket, the old one stops.
	s.signal(t, syscall.SIGUSR2)
	s.waitLog(t, "edge upgrade: the new process serves")
	um := upgradedPID.FindStringSubmatch(s.log())
	if um == nil {
		t.Fatalf("no new pid in the log:\n%s", ownLines(s.log()))
	}
	newUp, _ := strconv.Atoi(um[1])
	t.Cleanup(func() { _ = syscall.Kill(newUp, syscall.SIGKILL) }) // its instances die with it (Pdeathsig)
	s.waitLog(t, m[0]+" admin="+admin+"/_agora/ upgraded=true")
	pollUntil(t, "the old agora up to exit", func() bool { return exitedPID(s.cmd.Process.Pid) })
	for i, base := range pops {
		if resp, body := get(t, base+page); resp.StatusCode != 200 || changeIndex(body) != 0 {
			t.Errorf("PoP %d after the upgrade: %d, the new price not shown", i+1, resp.StatusCode)
		}
	}
	if err := syscall.Kill(newUp, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-s.done; err != nil { // stderr ends with the new agora up
		t.Errorf("the old agora up exited with %v", err)
	}
	if n := strings.Count(s.log(), "stopped cleanly"); n < 2 {
		t.Errorf("%d clean stops in the log, want one per agora up:\n%s", n, ownLines(s.log()))
	}
}
