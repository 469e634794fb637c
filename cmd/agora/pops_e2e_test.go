package main_test

// Many PoPs as one network (issue 13): three `agora edge` processes, each
// following a different one of two `agora app` instances on one
// PostgreSQL database, seen the way a shopper at each PoP and an operator
// see them.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// popNet is a seeded PostgreSQL store, app instances and edges (PoPs).
type popNet struct {
	bin               string // the agora binary the processes run
	db, media, secret string
	apps              []*server
	pops              []*pop
}

// pop is one edge; mu protects its URLs, which change on a restart.
type pop struct {
	name string
	bin  string
	args []string
	mu   sync.Mutex
	srv  *server
	base string // public listener
	adm  string // admin listener
}

func (p *pop) urls() (base, admin string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.base, p.adm
}

// start runs the edge (again) and publishes its new addresses.
func (p *pop) start(t *testing.T) {
	t.Helper()
	s, adm := startEdgeBinary(t, p.bin, p.args...)
	p.mu.Lock()
	p.srv, p.base, p.adm = s, s.url, adm
	p.mu.Unlock()
}

// startPoPs seeds a PostgreSQL store and starts apps app instances and
// len(heartbeats) edges, edge i following app i%apps, named pop-i and
// reporting every heartbeats[i].
func startPoPs(t *testing.T, apps int, heartbeats ...string) *popNet {
	t.Helper()
	n := &popNet{bin: binary, db: storetest.URL(t, store.Postgres), media: t.TempDir(), secret: "pops-cluster-secret"}
	if os.Getenv("AGORA_POPS_CHANGES") != "" {
		// bench/pops.sh measures latency: a race build is several times
		// slower, and would measure itself.
		n.bin = plainBinary(t)
	}
	if code, out, errOut := run(t, "migrate", "--db", n.db); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "seed", "--db", n.db, "--media", n.media, "--products", "12", "--categories", "3", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	for range apps {
		n.apps = append(n.apps, startBinary(t, n.bin, "app", "--db", n.db, "--media", n.media, "--listen", "127.0.0.1:0", "--metrics-listen", "",
			"--cluster-secret", n.secret, "--drain-delay", "0s", "--access-log=false"))
	}
	for i, hb := range heartbeats {
		p := &pop{name: fmt.Sprintf("pop-%d", i), bin: n.bin, args: []string{"--backends", n.apps[i%apps].url, "--cluster-secret", n.secret,
			"--edge-name", fmt.Sprintf("pop-%d", i), "--heartbeat-interval", hb, "--cache-size", "64MiB"}}
		p.start(t)
		n.pops = append(n.pops, p)
	}
	return n
}

// head is the newest seq of the purge log, asked of app instance i.
func (n *popNet) head(t *testing.T, i int) int64 {
	t.Helper()
	req := newGet(t, n.apps[i%len(n.apps)].url+"/_internal/purges", "Authorization", "Bearer "+n.secret)
	resp, body := fetch(t, http.DefaultClient, req)
	var ans struct{ Head int64 }
	if err := json.Unmarshal([]byte(body), &ans); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET /_internal/purges: %d %q %v", resp.StatusCode, body, err)
	}
	return ans.Head
}

// priceBase is the first price the tests set, in cents: €9876.00, shown
// in a product page's offers as "price":"9876.00", which no seeded price
// makes. Change i sets priceBase+i.
const priceBase = 987600

var offerPrice = regexp.MustCompile(`"price":"(\d+)\.(\d\d)"`)

// changeIndex is the change whose price the page shows, or -1 for none
// of the tests' (the seeded price).
func changeIndex(body string) int {
	best := -1
	for _, m := range offerPrice.FindAllStringSubmatch(body, -1) {
		euros, _ := strconv.Atoi(m[1])
		cents, _ := strconv.Atoi(m[2])
		if i := euros*100 + cents - priceBase; i >= 0 && i < 100000 {
			best = max(best, i)
		}
	}
	return best
}

// sighting is one look at a PoP: the purge seq it reported applied just
// before the request, and the change its page showed.
type sighting struct {
	seq    int64
	change int
	at     time.Time
}

// watcher polls one PoP's status and product page until stopped.
type watcher struct {
	p     *pop
	path  string
	mu    sync.Mutex // protects seen and latest
	seen  []sighting
	moved chan struct{} // closed and replaced on each new sighting
	stop  chan struct{}
	done  chan struct{}
}

func watch(p *pop, path string) *watcher {
	w := &watcher{p: p, path: path, moved: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *watcher) run() {
	defer close(w.done)
	c := &http.Client{Timeout: 10 * time.Second}
	for {
		select {
		case <-w.stop:
			return
		default:
		}
		base, admin := w.p.urls()
		seq, ok := statusSeq(c, admin) // false while the PoP is down
		if !ok {
			time.Sleep(5 * time.Millisecond) // the PoP is down or restarting: the poll's pace
			continue
		}
		resp, err := c.Get(base + w.path)
		if err != nil {
			continue
		}
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || base == "" {
			continue
		}
		s := sighting{seq: seq, change: changeIndex(b.String()), at: time.Now()}
		w.mu.Lock()
		w.seen = append(w.seen, s)
		close(w.moved)
		w.moved = make(chan struct{})
		w.mu.Unlock()
	}
}

// statusSeq is the purge seq the PoP reports applied; ok is false while
// it does not know one yet (its follower has had no answer).
func statusSeq(c *http.Client, admin string) (int64, bool) {
	resp, err := c.Get(admin + "/_agora/status")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	var st edge.Status
	if json.NewDecoder(resp.Body).Decode(&st) != nil || st.PurgeSeq == nil || *st.PurgeSeq == 0 {
		return 0, false
	}
	return *st.PurgeSeq, true
}

// firstSeen waits until the PoP has shown change i (or a later one) and
// returns when it first did; ok is false after the failsafe.
func (w *watcher) firstSeen(i int, from int) (time.Time, bool) {
	deadline := time.After(15 * time.Second) // a failsafe: each wake is a real check
	for {
		w.mu.Lock()
		for _, s := range w.seen[from:] {
			if s.change >= i {
				w.mu.Unlock()
				return s.at, true
			}
		}
		moved := w.moved
		w.mu.Unlock()
		select {
		case <-moved:
		case <-deadline:
			return time.Time{}, false
		}
	}
}

func (w *watcher) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.seen)
}

func (w *watcher) halt() []sighting {
	close(w.stop)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.seen)
}

// checkNeverOlder fails t for every sighting that showed a price older
// than the last purge the PoP reported applied: seqs[i] is the last purge
// log seq of change i.
func checkNeverOlder(t *testing.T, name string, seen []sighting, seqs []int64) {
	t.Helper()
	bad := 0
	for _, s := range seen {
		want := -1 // the newest change whose purge the PoP had applied
		for i, q := range seqs {
			if q <= s.seq {
				want = i
			}
		}
		if s.change < want {
			if bad++; bad <= 5 {
				t.Errorf("%s reported purge seq %d applied, then served change %d's price; change %d (seq %d) was purged by then", name, s.seq, s.change, want, seqs[want])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d such responses in all", name, bad)
	}
}

// popsChanges is how many price changes the convergence test makes: a
// short run by default, 200 for bench/pops.sh (AGORA_POPS_CHANGES, which
// also runs the processes from a build without the race detector).
func popsChanges(t *testing.T) int {
	n := 20
	if v := os.Getenv("AGORA_POPS_CHANGES"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 2 {
			t.Fatalf("AGORA_POPS_CHANGES=%q: want a count of at least 2", v)
		}
	}
	return n
}

// TestPoPsConvergeOnPostgres: three PoPs following two app instances on
// PostgreSQL show every price change, each PoP within a fraction of a
// second (p50/p99 logged per PoP: bench/pops.sh records them), whichever
// instance committed it; no PoP ever serves a price older than the last
// purge it reports applied; agora purge --wait sees them all, names one
// that cannot apply as not applied and one that stopped as gone; a PoP
// killed during a storm of changes and restarted starts at the head and
// never serves a purged price.
func TestPoPsConvergeOnPostgres(t *testing.T) {
	t.Parallel()
	// pop-1 reports rarely, so that while it is stopped it stays live (not
	// gone) long enough for --wait to find it has not applied a purge; the
	// others every second, so that a busy machine's delays do not make a
	// live one look gone (3 silent intervals).
	n := startPoPs(t, 2, "1s", "30s", "1s")
	key := (&edgeTier{db: n.db}).ownerKey(t)
	p := firstProduct(t, n.apps[0].url, key)
	path := "/products/" + p.Slug
	variant := fmt.Sprintf("/api/v1/admin/variants/%d", p.Variants[0].ID)
	var ws []*watcher
	for _, pp := range n.pops {
		ws = append(ws, watch(pp, path))
	}
	seqs := []int64{} // seqs[i]: the last purge log seq of change i
	var changed time.Time
	change := func(i int) {
		// Alternate instances: each PoP hears of half the changes from an
		// instance other than the one it follows.
		adminDo(t, "PATCH", n.apps[i%2].url+variant, key, fmt.Sprintf(`{"price_cents":%d}`, priceBase+i), nil)
		changed = time.Now()
		seqs = append(seqs, n.head(t, i+1))
	}

	changes := popsChanges(t)
	lat := make([][]time.Duration, len(n.pops))
	// cross[j]: the latencies of changes committed through the instance
	// pop j does not follow (heard of through LISTEN/NOTIFY on PostgreSQL).
	cross := make([][]time.Duration, len(n.pops))
	for i := range changes {
		from := make([]int, len(ws))
		for j, w := range ws {
			from[j] = w.count()
		}
		change(i)
		for j, w := range ws {
			at, ok := w.firstSeen(i, from[j])
			if !ok {
				t.Fatalf("change %d: %s does not show it 15 s later\nedge log:\n%s", i, n.pops[j].name, n.pops[j].srv.log())
			}
			lat[j] = append(lat[j], max(at.Sub(changed), 0))
			if i%2 != j%2 {
				cross[j] = append(cross[j], max(at.Sub(changed), 0))
			}
		}
	}
	for j := range lat {
		slices.Sort(lat[j])
		slices.Sort(cross[j])
		l, c := lat[j], cross[j]
		t.Logf("purge-to-visible at %s over %d changes (2 apps, PostgreSQL): p50 %v p99 %v max %v; through the other instance: p50 %v max %v",
			n.pops[j].name, len(l), l[len(l)/2], l[(len(l)*99+99)/100-1], l[len(l)-1], c[len(c)/2], c[len(c)-1])
	}

	t.Run("purge --wait", func(t *testing.T) {
		_, admin := n.pops[0].urls()
		wait := func(timeout string) (int, string, string) {
			return run(t, "purge", "--admin", admin, "--cluster-secret", n.secret, "--wait", "--wait-timeout", timeout, "home")
		}
		code, out, errOut := wait("10s")
		if code != 0 || !strings.Contains(out, "applied by every live edge (3): pop-0, pop-1, pop-2") {
			t.Fatalf("purge --wait with every PoP up: exit %d\n%s%s\nwant 0 and the three PoPs named", code, out, errOut)
		}
		// Stopped, pop-1 stays live (heartbeat 30 s) but applies nothing.
		n.pops[1].srv.signal(t, syscall.SIGSTOP)
		code, out, errOut = wait("1s")
		n.pops[1].srv.signal(t, syscall.SIGCONT)
		if code == 0 || !strings.Contains(errOut, "not applied by pop-1 (applied seq") || strings.Contains(errOut, "pop-0") || strings.Contains(errOut, "pop-2") {
			t.Errorf("purge --wait with pop-1 frozen: exit %d\n%s%s\nwant non-zero, naming pop-1 alone as not applied", code, out, errOut)
		}
		// Killed, pop-2 goes silent: gone after 3 × 1 s, not waited for.
		n.pops[2].srv.kill(t)
		n.pops[2].mu.Lock()
		n.pops[2].base, n.pops[2].adm = "", "" // unwatched until restarted
		n.pops[2].mu.Unlock()
		code, out, errOut = wait("10s")
		if code != 0 || !regexp.MustCompile(`applied by every live edge \(2\): pop-0, pop-1; gone, not waited for: pop-2 \(last seen`).MatchString(out) {
			t.Errorf("purge --wait with pop-2 killed: exit %d\n%s%s\nwant 0, pop-2 named as gone", code, out, errOut)
		}
	})

	t.Run("killed during a storm, restarted", func(t *testing.T) {
		// pop-2 is down (killed above): a storm of changes, pop-2 back in
		// the middle of it, watched throughout.
		from := len(seqs)
		for i := from; i < from+10; i++ {
			change(i)
		}
		// Restarted; watched again only once checked.
		p2 := n.pops[2]
		s, admin := startEdgeBinary(t, p2.bin, p2.args...)
		seq, ok := statusSeq(http.DefaultClient, admin)
		for deadline := time.Now().Add(60 * time.Second); !ok && time.Now().Before(deadline); seq, ok = statusSeq(http.DefaultClient, admin) {
			time.Sleep(5 * time.Millisecond) // the poll's pace, not a synchronization: the condition is checked each turn
		}
		var st edge.Status
		adminGet(t, admin+"/_agora/status", &st)
		if !ok || seq < seqs[len(seqs)-1] || st.Entries != 0 {
			t.Errorf("restarted pop-2: purge seq %d (known: %v), %d entries; want at least the head %d, and none", seq, ok, st.Entries, seqs[len(seqs)-1])
		}
		p2.mu.Lock()
		p2.srv, p2.base, p2.adm = s, s.url, admin
		p2.mu.Unlock()
		for i := from + 10; i < from+20; i++ {
			change(i)
		}
		last := len(seqs) - 1
		for j, w := range ws {
			if _, ok := w.firstSeen(last, 0); !ok {
				t.Errorf("%s does not show the storm's last change", n.pops[j].name)
			}
		}
	})

	for j, w := range ws {
		checkNeverOlder(t, n.pops[j].name, w.halt(), seqs)
	}
}

// adminGet decodes the JSON at url into out.
func adminGet(t *testing.T, url string, out any) {
	t.Helper()
	resp, body := fetch(t, http.DefaultClient, newGet(t, url))
	if err := json.Unmarshal([]byte(body), out); resp.StatusCode != 200 || err != nil {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
}
