package edge

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAdminPurge(t *testing.T) {
	var mu sync.Mutex
	version := 0
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		version++
		v := version
		mu.Unlock()
		w.Header().Set("Cache-Control", "public, max-age=600, stale-while-revalidate=60")
		w.Header().Set("Surrogate-Key", "product-42 home")
		fmt.Fprintf(w, "v%d", v)
	})
	e, _ := newEdge(t, o.URL)
	admin := httptest.NewServer(e.AdminHandler("s3cret"))
	t.Cleanup(admin.Close)

	purge := func(auth, body string) int {
		req, _ := http.NewRequest("POST", admin.URL+"/_agora/purge", strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", "Bearer "+auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	get := func() (string, string) {
		resp := do(e, "GET", "http://shop.test/p/42", nil)
		return body(t, resp), resp.Header.Get("Cache-Status")
	}

	get()
	for _, auth := range []string{"", "wrong"} {
		if st := purge(auth, `{"tags":["product-42"]}`); st != 401 {
			t.Errorf("auth %q: status %d", auth, st)
		}
	}
	if b, _ := get(); b != "v1" {
		t.Fatalf("unauthorized purge applied: %q", b)
	}

	// Soft: the old page once more, one refresh behind it.
	if st := purge("s3cret", `{"tags":["product-42"],"soft":true}`); st != 200 {
		t.Fatalf("soft purge: %d", st)
	}
	if b, cs := get(); b != "v1" || !strings.Contains(cs, "stale-while-revalidate") {
		t.Errorf("after soft purge: %q %q", b, cs)
	}
	e.Wait()
	if b, cs := get(); b != "v2" || !isHit(&http.Response{Header: http.Header{"Cache-Status": {cs}}}) {
		t.Errorf("after refresh: %q %q", b, cs)
	}

	// Hard: gone, the next request goes to origin.
	if st := purge("s3cret", `{"tags":["home"],"soft":false}`); st != 200 {
		t.Fatalf("hard purge: %d", st)
	}
	if b, cs := get(); b != "v3" || cs != "agora; fwd=uri-miss; stored" {
		t.Errorf("after hard purge: %q %q", b, cs)
	}
	if st := purge("s3cret", `{"urls":["http://shop.test/p/42"]}`); st != 200 {
		t.Fatalf("url purge: %d", st)
	}
	if b, _ := get(); b != "v4" {
		t.Errorf("after URL purge: %q", b)
	}

	resp, err := http.Get(admin.URL + "/_agora/status")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Entries != 1 || st.Hits == 0 || st.Misses == 0 || st.StaleServed != 1 || len(st.Backends) != 1 || st.PurgeSeq != nil {
		t.Errorf("status %+v", st)
	}
}

// TestPrivacy sends a random mix of anonymous, cookie-carrying and
// authenticated requests to an origin that answers at random with
// Set-Cookie, private, no-store or public pages: no personal response may
// ever reach another request.
func TestPrivacy(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Id")
		n, _ := strconv.Atoi(id)
		rng := rand.New(rand.NewPCG(uint64(n), 7))
		switch rng.IntN(5) {
		case 0:
			w.Header().Set("Cache-Control", "public, max-age=60")
			w.Header().Set("Set-Cookie", "sid="+id)
			io.WriteString(w, "personal "+id)
		case 1:
			w.Header().Set("Cache-Control", "private, max-age=60")
			io.WriteString(w, "personal "+id)
		case 2:
			w.Header().Set("Cache-Control", "no-store")
			io.WriteString(w, "personal "+id)
		case 3:
			if r.Header.Get("Authorization") != "" {
				// Public, but for an authenticated request.
				w.Header().Set("Cache-Control", "public, s-maxage=60")
				io.WriteString(w, "personal "+id)
				return
			}
			fallthrough
		default:
			w.Header().Set("Cache-Control", "public, max-age=60")
			io.WriteString(w, "public "+r.URL.Path)
		}
	})
	e, clk := newEdge(t, o.URL)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3000
	type req struct {
		path   string
		header http.Header
	}
	reqs := make([]req, n)
	for i := range reqs {
		h := http.Header{"X-Id": {strconv.Itoa(i)}}
		switch rng.IntN(3) {
		case 1:
			h.Set("Cookie", "sid=c"+strconv.Itoa(i))
		case 2:
			h.Set("Authorization", "Bearer t"+strconv.Itoa(i))
		}
		reqs[i] = req{fmt.Sprintf("/p/%d", rng.IntN(30)), h}
	}
	var wg sync.WaitGroup
	var next sync.Mutex
	i := 0
	for range 8 {
		wg.Go(func() {
			for {
				next.Lock()
				k := i
				i++
				if k%200 == 0 {
					clk.Advance(61 * time.Second) // let entries expire now and then
				}
				next.Unlock()
				if k >= n {
					return
				}
				resp := do(e, "GET", "http://shop.test"+reqs[k].path, reqs[k].header)
				b := body(t, resp)
				id := strconv.Itoa(k)
				if strings.HasPrefix(b, "personal ") && b != "personal "+id {
					t.Errorf("request %d got another's page %q (%s)", k, b, resp.Header.Get("Cache-Status"))
				}
				for _, c := range resp.Header.Values("Set-Cookie") {
					if c != "sid="+id {
						t.Errorf("request %d got another's cookie %q", k, c)
					}
				}
				if isHit(resp) && strings.HasPrefix(b, "personal") {
					t.Errorf("request %d: personal page served from cache", k)
				}
			}
		})
	}
	wg.Wait()
	if st := e.Status(); st.Hits == 0 {
		t.Errorf("no hits at all: %+v", st)
	}
}
