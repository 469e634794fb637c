package main_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/purge"
	"agora/internal/store"
)

// relay forwards TCP connections to target until cut: then it closes
// every connection and refuses new ones (accepts and closes them) until
// mended. A partition between an edge and the app tier, on loopback.
type relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex // protects cut and conns
	cut    bool
	conns  map[net.Conn]bool
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go r.serve()
	t.Cleanup(func() { ln.Close(); r.setCut(true) })
	return r
}

func (r *relay) url() string { return "http://" + r.ln.Addr().String() }

func (r *relay) serve() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		cut := r.cut
		if !cut {
			r.conns[c] = true
		}
		r.mu.Unlock()
		if cut {
			c.Close()
			continue
		}
		go r.pipe(c)
	}
}

func (r *relay) pipe(c net.Conn) {
	defer func() {
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
		c.Close()
	}()
	up, err := net.Dial("tcp", r.target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

// setCut cuts (closing every open connection) or mends the relay.
func (r *relay) setCut(cut bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cut = cut
	if cut {
		for c := range r.conns {
			c.Close()
		}
	}
}

// TestPoPPartitionedPastTrimmedEntriesDropsItsCache: an edge cut off from
// the app tier while entries it never read are trimmed from the log finds
// the gap on its return and drops its whole cache (DESIGN.md "Purge log"),
// so it shows the new price at once, and pages no purge named are fetched
// anew too (issue 13).
func TestPoPPartitionedPastTrimmedEntriesDropsItsCache(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	tier := &edgeTier{db: "sqlite:" + filepath.Join(data, "agora.db"), media: filepath.Join(data, "media"), secret: "partition-secret"}
	if code, out, errOut := run(t, "migrate", "--db", tier.db); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "seed", "--db", tier.db, "--media", tier.media, "--products", "12", "--categories", "3", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	app := start(t, "app", "--db", tier.db, "--media", tier.media, "--listen", "127.0.0.1:0", "--metrics-listen", "",
		"--cluster-secret", tier.secret, "--drain-delay", "0s", "--access-log=false")
	link := startRelay(t, strings.TrimPrefix(app.url, "http://"))
	pop, admin := startEdge(t, "--backends", link.url(), "--cluster-secret", tier.secret, "--edge-name", "pop-far")
	key := tier.ownerKey(t)
	p := firstProduct(t, app.url, key)
	page, home := pop.url+"/products/"+p.Slug, pop.url+"/"
	// A purge the edge answers once applied: its follower is at the head.
	tier.admin = admin
	if code, out, errOut := tier.purgeRun(t, "--cluster-secret", tier.secret, "home"); code != 0 {
		t.Fatalf("agora purge: %d %s %s", code, out, errOut)
	}
	c := &http.Client{}
	warm(t, c, page)
	warm(t, c, home)

	link.setCut(true)
	for i := range 2 {
		adminDo(t, "PATCH", fmt.Sprintf("%s/api/v1/admin/variants/%d", app.url, p.Variants[0].ID), key, fmt.Sprintf(`{"price_cents":%d}`, priceBase+i), nil)
	}
	db, err := store.Open(context.Background(), tier.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The app trims daily; this trims now, all but the newest entry.
	if n, err := purge.Trim(context.Background(), db, time.Now().Add(time.Hour), 1); err != nil || n == 0 {
		t.Fatalf("trim: %d, %v; want entries trimmed", n, err)
	}
	db.Close()
	link.setCut(false)

	pop.waitLog(t, "entries were missed; dropped the cache") // logged after the drop
	resp, body := fetch(t, c, newGet(t, page))
	if changeIndex(body) != 1 || isHit(resp) {
		t.Errorf("GET %s after the return: change %d shown (Cache-Status %q), want change 1 from the app", page, changeIndex(body), resp.Header.Get("Cache-Status"))
	}
	if resp, _ := fetch(t, c, newGet(t, home)); isHit(resp) {
		t.Errorf("GET / after the return: Cache-Status %q, want a miss: the cache was dropped", resp.Header.Get("Cache-Status"))
	}
}
