package main_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// cloudflareStandIn answers POST /client/v4/zones/{zone}/purge_cache as
// Cloudflare documents it: the real API is a paid service this machine
// cannot reach. It fails the calls listed in fail first, and holds a call
// when asked, so that a test can kill the adapter in the middle of it.
type cloudflareStandIn struct {
	*httptest.Server
	mu     sync.Mutex // protects the fields below
	fail   []int
	purged map[string]bool
	alls   int
	hold   chan struct{} // non-nil: the next call with tags reports on held and waits
	held   chan []string
	moved  chan struct{} // closed and replaced on each accepted call
}

func newCloudflareStandIn(t *testing.T, fail ...int) *cloudflareStandIn {
	s := &cloudflareStandIn{fail: fail, purged: map[string]bool{}, moved: make(chan struct{})}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Tags []string `json:"tags"`
			All  bool     `json:"purge_everything"`
		}
		if r.URL.Path != "/client/v4/zones/z1/purge_cache" || r.Header.Get("Authorization") != "Bearer cf-token-e2e" ||
			json.NewDecoder(r.Body).Decode(&body) != nil {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"success":false,"errors":[{"code":1012,"message":"bad request"}]}`)
			return
		}
		s.mu.Lock()
		hold, held := s.hold, s.held
		if hold != nil && len(body.Tags) > 0 {
			s.hold = nil
			s.mu.Unlock()
			held <- body.Tags
			<-hold // the adapter is killed meanwhile: this answer reaches nobody
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		status := 0
		if len(s.fail) > 0 {
			status, s.fail = s.fail[0], s.fail[1:]
		}
		if status == 0 {
			for _, tag := range body.Tags {
				s.purged[tag] = true
			}
			if body.All {
				s.alls++
			}
			close(s.moved)
			s.moved = make(chan struct{})
		}
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(status)
			io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"try later"}]}`)
			return
		}
		io.WriteString(w, `{"success":true,"errors":[],"messages":[],"result":{"id":"e2e"}}`)
	}))
	t.Cleanup(s.Close)
	return s
}

// waitUntil waits, on each accepted call, until cond (called with mu
// held) is true.
func (s *cloudflareStandIn) waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	timeout := time.After(30 * time.Second) // a failsafe, not a synchronization
	for {
		s.mu.Lock()
		ok, moved := cond(), s.moved
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-moved:
		case <-timeout:
			t.Fatalf("the CDN stand-in never saw %s", what)
		}
	}
}

func (s *cloudflareStandIn) allPurged(tags []string) func() bool {
	return func() bool {
		for _, tag := range tags {
			if !s.purged[tag] {
				return false
			}
		}
		return true
	}
}

// appendPurge appends tags to the app tier's purge log, as an edge does.
func appendPurge(t *testing.T, app, secret string, tags ...string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"tags": tags, "soft": false})
	req, _ := http.NewRequest("POST", app+"/_internal/purges", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	resp, body := fetch(t, http.DefaultClient, req)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("appending a purge: %s %s", resp.Status, body)
	}
}

// lockedBuffer collects a process's log.
type lockedBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCDNPurgeE2E: `agora cdn-purge` against a Cloudflare stand-in: the
// first run purges everything once; purges of the log reach the CDN
// through 429s and 500s; an adapter killed in the middle of a call and
// restarted purges every tag of that call, without purging everything
// again; its token is never logged.
func TestCDNPurgeE2E(t *testing.T) {
	t.Parallel()
	tier := startEdgeTier(t, 1)
	app := tier.apps[0].url
	cdn := newCloudflareStandIn(t, http.StatusTooManyRequests, http.StatusInternalServerError)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte("cf-token-e2e\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "state.json")
	adapter := func() (*exec.Cmd, *lockedBuffer) {
		cmd := exec.Command(binary, "cdn-purge", "--provider", "cloudflare", "--zone", "z1", "--purge-origin", app,
			"--api-token-file", tokenFile, "--state", state, "--api-url", cdn.URL, "--rate", "1000")
		cmd.Env = append(cleanEnv(), "AGORA_CLUSTER_SECRET="+tier.secret)
		logs := &lockedBuffer{}
		cmd.Stderr = logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if cmd.ProcessState == nil {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
			}
		})
		return cmd, logs
	}
	first, logs1 := adapter()
	cdn.waitUntil(t, "the first run's purge of everything", func() bool { return cdn.alls == 1 })
	appendPurge(t, app, tier.secret, "product-1", "home")
	appendPurge(t, app, tier.secret, "category-2")
	cdn.waitUntil(t, "the first tags", cdn.allPurged([]string{"product-1", "home", "category-2"}))

	// Kill the adapter while the CDN holds its call.
	cdn.mu.Lock()
	hold, held := make(chan struct{}), make(chan []string, 1)
	cdn.hold, cdn.held = hold, held
	cdn.mu.Unlock()
	var lost []string
	for i := range 40 {
		lost = append(lost, fmt.Sprintf("product-%d", 100+i))
	}
	appendPurge(t, app, tier.secret, lost...)
	select {
	case <-held:
	case <-time.After(30 * time.Second): // a failsafe
		t.Fatalf("the adapter never called the CDN for the new tags:\n%s", logs1.String())
	}
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	close(hold)

	_, logs2 := adapter()
	cdn.waitUntil(t, "every tag of the call cut by the kill", cdn.allPurged(lost))
	cdn.mu.Lock()
	alls := cdn.alls
	cdn.mu.Unlock()
	if alls != 1 {
		t.Errorf("the CDN was purged whole %d times, want once (the restart resumes from its saved position)", alls)
	}
	for _, l := range []string{logs1.String(), logs2.String()} {
		if strings.Contains(l, "cf-token-e2e") {
			t.Errorf("the API token was logged:\n%s", l)
		}
	}
}
