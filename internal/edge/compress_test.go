package edge

import (
	"github.com/andybalholm/brotli"

	"compress/gzip"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

var bigPage = strings.Repeat("<p>Widget 42, blue, in stock.</p>\n", 64) // > 1 KiB

func TestCompressedVariants(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.Header.Get("Accept-Encoding"))
		mu.Unlock()
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Vary", "Accept-Encoding")
		w.Header().Set("ETag", `"v1"`)
		io.WriteString(w, bigPage)
	})
	e, _ := newEdge(t, o.URL)
	steps := []struct {
		ae, coding string
	}{
		{"gzip, deflate", ""},     // the miss: stored, served identity, not compressed
		{"gzip, deflate", "gzip"}, // its first coded hit compresses
		{"", ""},
		{"gzip;q=0", ""},
		{"br", "br"},
		{"br, gzip", "br"},
		{"br;q=0, gzip", "gzip"},
		{"identity", ""},
		{"*", "br"},
	}
	for i, s := range steps {
		resp := do(e, "GET", "http://shop.test/p", http.Header{"Accept-Encoding": {s.ae}})
		raw := body(t, resp)
		if c := e.Status().Compressions; i == 0 && c != 0 {
			t.Errorf("the miss compressed (%d): a page fetched once must cost no compression", c)
		}
		if got := resp.Header.Get("Content-Encoding"); got != s.coding {
			t.Fatalf("step %d (%q): Content-Encoding %q, want %q", i, s.ae, got, s.coding)
		}
		if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(raw)) {
			t.Errorf("step %d: Content-Length %s for %d bytes", i, cl, len(raw))
		}
		if vary := resp.Header.Values("Vary"); len(vary) != 1 || vary[0] != "Accept-Encoding" {
			t.Errorf("step %d: Vary %q", i, vary)
		}
		if got := decode(t, s.coding, raw); got != bigPage {
			t.Errorf("step %d: decoded body differs (%d bytes)", i, len(got))
		}
		if s.coding != "" && resp.Header.Get("ETag") != `W/"v1"` {
			t.Errorf("step %d: coded variant ETag %q, want weak", i, resp.Header.Get("ETag"))
		}
	}
	if n := o.hits.Load(); n != 1 || asked[0] != "identity" {
		t.Errorf("origin hits %d asked %q, want 1 for identity", n, asked)
	}
	if c := e.Status().Compressions; c != 1 {
		t.Errorf("compressions %d, want 1 per stored object", c)
	}
}

func TestNotCompressed(t *testing.T) {
	tests := []struct {
		name string
		hdr  http.Header
		body string
	}{
		{"small", http.Header{"Content-Type": {"text/html"}}, "tiny"},
		{"image", http.Header{"Content-Type": {"image/png"}}, bigPage},
		{"already coded", http.Header{"Content-Type": {"text/html"}, "Content-Encoding": {"gzip"}}, bigPage},
		{"no-transform", http.Header{"Content-Type": {"text/html"}, "Cache-Control": {"public, max-age=60, no-transform"}}, bigPage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "public, max-age=60")
				for k, v := range tt.hdr {
					w.Header()[k] = v
				}
				io.WriteString(w, tt.body)
			})
			e, _ := newEdge(t, o.URL)
			for range 2 {
				resp := do(e, "GET", "http://shop.test/p", http.Header{"Accept-Encoding": {"gzip"}})
				if got := body(t, resp); got != tt.body {
					t.Errorf("body changed: %d bytes", len(got))
				}
				if got, want := resp.Header.Get("Content-Encoding"), tt.hdr.Get("Content-Encoding"); got != want {
					t.Errorf("Content-Encoding %q, want %q", got, want)
				}
			}
			if c := e.Status().Compressions; c != 0 {
				t.Errorf("compressions %d, want 0", c)
			}
		})
	}
}

// TestOtherVaryKept checks that a Vary on another header still selects
// variants, while Accept-Encoding no longer does.
func TestOtherVaryKept(t *testing.T) {
	o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=60")
		w.Header().Set("Vary", "Accept-Encoding, Accept-Language")
		io.WriteString(w, "lang="+r.Header.Get("Accept-Language"))
	})
	e, _ := newEdge(t, o.URL)
	steps := []struct {
		lang, ae, body string
		hit            bool
	}{
		{"en", "gzip", "lang=en", false},
		{"fr", "gzip", "lang=fr", false},
		{"en", "", "lang=en", true},
		{"fr", "br", "lang=fr", true},
	}
	for i, s := range steps {
		resp := do(e, "GET", "http://shop.test/v", http.Header{"Accept-Language": {s.lang}, "Accept-Encoding": {s.ae}})
		if got := body(t, resp); got != s.body || isHit(resp) != s.hit {
			t.Errorf("step %d: body %q hit %v, want %q %v", i, got, isHit(resp), s.body, s.hit)
		}
	}
}

func decode(t *testing.T, coding, raw string) string {
	t.Helper()
	var zr io.Reader
	switch coding {
	case "":
		return raw
	case "br":
		zr = brotli.NewReader(strings.NewReader(raw))
	default:
		gz, err := gzip.NewReader(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		zr = gz
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
