package cdnpurge

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/edge/purgelog"
)

// standIn plays Cloudflare's and Fastly's purge APIs on loopback, after
// their documented request and response formats: the real ones are paid
// services this machine cannot reach. It answers the first calls with the
// statuses in fail, then accepts.
type standIn struct {
	*httptest.Server
	mu    sync.Mutex // protects calls, fail
	fail  []int
	calls []call
}

type call struct {
	path, auth string
	tags       []string
	files      []string // Cloudflare's URL purge
	soft, all  bool
	at         time.Time
}

func newStandIn(t *testing.T, fail ...int) *standIn {
	s := &standIn{fail: fail}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *standIn) serve(w http.ResponseWriter, r *http.Request) {
	c := call{path: r.URL.Path, at: time.Now()}
	switch {
	case strings.HasPrefix(r.URL.Path, "/client/v4/zones/"):
		c.auth = r.Header.Get("Authorization")
		var body struct {
			Tags  []string `json:"tags"`
			Files []string `json:"files"`
			All   bool     `json:"purge_everything"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &body) != nil || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"success":false,"errors":[{"code":1012,"message":"bad request"}]}`)
			return
		}
		c.tags, c.files, c.all = body.Tags, body.Files, body.All
	case strings.HasPrefix(r.URL.Path, "/purge/"): // Fastly's URL purge
		c.path = r.URL.RequestURI()
		c.auth = r.Header.Get("Fastly-Key")
		c.soft = r.Header.Get("Fastly-Soft-Purge") == "1"
	case strings.HasPrefix(r.URL.Path, "/service/"):
		c.auth = r.Header.Get("Fastly-Key")
		c.tags = strings.Fields(r.Header.Get("Surrogate-Key"))
		c.soft = r.Header.Get("Fastly-Soft-Purge") == "1"
		c.all = strings.HasSuffix(r.URL.Path, "/purge_all")
	}
	s.mu.Lock()
	var status int
	if len(s.fail) > 0 {
		status, s.fail = s.fail[0], s.fail[1:]
	}
	if status == 0 {
		s.calls = append(s.calls, c)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(status)
		io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"rate limited"}]}`)
	case status != 0:
		w.WriteHeader(status)
		io.WriteString(w, `{"success":false,"errors":[{"code":10000,"message":"failed"}]}`)
	case strings.HasPrefix(r.URL.Path, "/client/"):
		io.WriteString(w, `{"success":true,"errors":[],"messages":[],"result":{"id":"abc"}}`)
	default:
		io.WriteString(w, `{"status":"ok","id":"abc"}`)
	}
}

func (s *standIn) accepted() []call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func newAdapter(cdn Provider) *Adapter {
	return &Adapter{CDN: cdn, Rate: 1000, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Log: slog.New(slog.DiscardHandler)}
}

func tagsN(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("%s-%03d", prefix, i))
	}
	return out
}

// TestCloudflareBatchedAndRetried: 250 tags go in calls of at most 100,
// with the zone's token; a 429 is waited out for its Retry-After and a
// 500 retried, and every tag is purged.
func TestCloudflareBatchedAndRetried(t *testing.T) {
	s := newStandIn(t, http.StatusTooManyRequests, http.StatusInternalServerError)
	a := newAdapter(&Cloudflare{Zone: "z1", Token: "tok", API: s.URL})
	tags := tagsN("product", 250)
	start := time.Now()
	if !a.purge(context.Background(), []purgelog.Entry{{Seq: 1, Tags: tags[:120]}, {Seq: 2, Tags: tags[120:], Soft: true}}) {
		t.Fatal("purge gave up")
	}
	calls := s.accepted()
	var got []string
	for _, c := range calls {
		if c.path != "/client/v4/zones/z1/purge_cache" || c.auth != "Bearer tok" || len(c.tags) > 100 {
			t.Errorf("call %+v: want POST /client/v4/zones/z1/purge_cache, Bearer tok, at most 100 tags", c)
		}
		got = append(got, c.tags...)
	}
	slices.Sort(got)
	if !slices.Equal(got, tags) {
		t.Errorf("purged %d tags, want the 250 given", len(got))
	}
	if len(calls) != 4 {
		t.Errorf("%d accepted calls for 250 tags (120 hard, 130 soft), want 4 (100+20, 100+30)", len(calls))
	}
	if waited := calls[0].at.Sub(start); waited < time.Second {
		t.Errorf("the retry after a 429 with Retry-After: 1 came after %v", waited)
	}
}

// TestFastlySoftAndHard: soft purges carry Fastly-Soft-Purge: 1, hard
// ones do not; a tag purged both ways in one batch is purged hard only; a
// purge of everything is purge_all.
func TestFastlySoftAndHard(t *testing.T) {
	s := newStandIn(t)
	a := newAdapter(&Fastly{Service: "svc", Token: "tok", API: s.URL})
	a.purge(context.Background(), []purgelog.Entry{
		{Seq: 1, Tags: []string{"product-1", "home"}, Soft: true},
		{Seq: 2, Tags: []string{"home"}},
	})
	calls := s.accepted()
	if len(calls) != 2 {
		t.Fatalf("calls %+v, want one hard and one soft", calls)
	}
	hard, soft := calls[0], calls[1]
	if hard.soft || !slices.Equal(hard.tags, []string{"home"}) || hard.path != "/service/svc/purge" || hard.auth != "tok" {
		t.Errorf("hard call %+v", hard)
	}
	if !soft.soft || !slices.Equal(soft.tags, []string{"product-1"}) {
		t.Errorf("soft call %+v", soft)
	}
	a.purge(context.Background(), []purgelog.Entry{{Seq: 3, Tags: []string{"agora:all"}}})
	if c := s.accepted()[2]; !c.all || c.path != "/service/svc/purge_all" {
		t.Errorf("a purge of everything made %+v", c)
	}
}

// TestURLPurges: an operator's URL purge (agora:url:…) reaches the CDN as
// its URL purge — Cloudflare's "files", Fastly's /purge/{host}/{path} —
// next to the tag purges of the same batch, not as a purge of everything.
func TestURLPurges(t *testing.T) {
	const page = "https://shop.example/products/wren?colour=red"
	entries := []purgelog.Entry{{Seq: 1, Tags: []string{"product-1", "agora:url:" + page}}, {Seq: 2, Tags: []string{"agora:url:" + page}, Soft: true}}

	cf := newStandIn(t)
	newAdapter(&Cloudflare{Zone: "z1", Token: "tok", API: cf.URL}).purge(context.Background(), entries)
	calls := cf.accepted()
	if len(calls) != 2 || !slices.Equal(calls[0].tags, []string{"product-1"}) || !slices.Equal(calls[1].files, []string{page}) || calls[1].all {
		t.Errorf("cloudflare calls %+v, want the tag, then the URL once in files", calls)
	}

	fa := newStandIn(t)
	newAdapter(&Fastly{Service: "svc", Token: "tok", API: fa.URL}).purge(context.Background(), entries)
	calls = fa.accepted()
	if len(calls) != 2 || calls[1].path != "/purge/shop.example/products/wren?colour=red" || calls[1].auth != "tok" || calls[1].soft || calls[1].all {
		t.Errorf("fastly calls %+v, want the key, then POST /purge/shop.example/products/wren?colour=red, hard", calls)
	}
}

// TestFinalRefusalGivesUp: a 400 (a tag the CDN refuses) is not retried
// forever: the adapter logs it and goes on.
func TestFinalRefusalGivesUp(t *testing.T) {
	s := newStandIn(t, http.StatusBadRequest)
	a := newAdapter(&Cloudflare{Zone: "z1", Token: "tok", API: s.URL})
	if !a.purge(context.Background(), []purgelog.Entry{{Seq: 1, Tags: []string{"x"}}}) {
		t.Fatal("purge reported a cancel")
	}
	if n := len(s.accepted()); n != 0 {
		t.Errorf("%d calls after a 400, want none retried", n)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
	}{{"", 0}, {"3", 3 * time.Second}, {"-1", 0}, {"soon", 0}, {now.Add(5 * time.Second).Format(http.TimeFormat), 5 * time.Second}} {
		if got := retryAfter(tc.v, now); got != tc.want {
			t.Errorf("Retry-After %q: %v, want %v", tc.v, got, tc.want)
		}
	}
}
