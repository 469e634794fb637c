package edge

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"agora/internal/edge/h1"
	"agora/internal/edge/waf"
)

// browserHeader is what a browser sends with a page request.
func browserHeader() http.Header {
	return http.Header{
		"User-Agent":      {"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
		"Accept":          {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
		"Accept-Language": {"en-GB,en;q=0.5"},
		"Accept-Encoding": {"gzip, deflate, br, zstd"},
		"Referer":         {"http://shop.test/categories/shirts?page=2"},
		"Cookie":          {"agora_session=3f2a9c0d8e7b6a5f4e3d2c1b0a998877"},
	}
}

// BenchmarkWAF is the firewall's cost (issue 12): Inspect alone on the
// store's common requests, then whole requests through the edge with the
// firewall off and in block mode — a miss (a page the app does not let be
// stored, over loopback to a real server) and hits on the fast and the
// ordinary paths, which must not change. Results: docs/BENCHMARKS.md.
func BenchmarkWAF(b *testing.B) {
	fw, err := waf.New(waf.Config{Mode: waf.Block, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	form := "email=kim%40example.com&shipping_method=standard&payment_method=manual&shipping_address.name=Kim+Lee" +
		"&shipping_address.line1=12+High+Street&shipping_address.city=Leeds&shipping_address.postal_code=LS1+4AP" +
		"&shipping_address.country=GB&idempotency_key=8c1f0e2d3b4a59687766554433221100&action=place"
	json := `{"email":"kim@example.com","shipping_address":{"name":"Kim Lee","line1":"12 High Street","line2":"","city":"Leeds","postal_code":"LS1 4AP","country":"GB","phone":""}}`
	inspect := []struct {
		name, method, target, ctype, body string
	}{
		{"inspect/page-get", "GET", "/products/oxford-shirt?colour=blue&utm_source=news", "", ""},
		{"inspect/search-get", "GET", "/search?q=linen+shirt&sort=price", "", ""},
		{"inspect/checkout-form", "POST", "/checkout", "application/x-www-form-urlencoded", form},
		{"inspect/checkout-json", "POST", "/api/v1/checkout", "application/json", json},
	}
	for _, c := range inspect {
		b.Run(c.name, func(b *testing.B) {
			h := browserHeader()
			if c.ctype != "" {
				h.Set("Content-Type", c.ctype)
			}
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				r := httptest.NewRequest(c.method, "http://shop.test"+c.target, strings.NewReader(c.body))
				r.Header = h.Clone()
				if v := fw.Inspect(r, "bench"); v.Block {
					b.Fatalf("blocked: %+v", v)
				}
			}
		})
	}

	for _, mode := range []waf.Mode{waf.Off, waf.Block} {
		fw := fw
		if mode == waf.Off {
			fw = nil
		}
		page := strings.Repeat("<p>a product page</p>", 1000) // 21 KB
		b.Run("miss/"+mode.String(), func(b *testing.B) {
			o := newOrigin(b, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "no-store")
				io.WriteString(w, page)
			})
			e, _ := newEdge(b, o.URL)
			e.WAF = fw
			benchServe(b, e, "/products/oxford-shirt?colour=blue")
		})
		b.Run("hit/"+mode.String(), func(b *testing.B) {
			e := storedPageEdge(b, page)
			e.WAF = fw
			before := fw.Counts().Inspected
			benchServe(b, e, "/products/oxford-shirt")
			if n := fw.Counts().Inspected; n != before {
				b.Fatalf("hits inspected: %d", n-before)
			}
		})
		b.Run("hit-fast/"+mode.String(), func(b *testing.B) {
			e := storedPageEdge(b, page)
			e.WAF = fw
			req := &h1.Request{Method: []byte("GET"), Path: []byte("/products/oxford-shirt"), Host: []byte("shop.test"), Minor: 1}
			for k, v := range browserHeader() {
				req.Fields = append(req.Fields, h1.Field{Name: []byte(k), Value: []byte(v[0])})
			}
			var rep h1.Reply
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				rep.Head = rep.Head[:0]
				if !e.ServeFast(req, &rep) {
					b.Fatal("hit declined")
				}
			}
		})
	}
}

// storedPageEdge is an edge holding /products/oxford-shirt, with its
// codings made.
func storedPageEdge(b *testing.B, page string) *Edge {
	o := newOrigin(b, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page)
	})
	e, _ := newEdge(b, o.URL)
	for range 2 { // the second use makes the codings
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "http://shop.test/products/oxford-shirt", nil)
		r.Header = browserHeader()
		e.ServeHTTP(w, r)
	}
	return e
}

// benchServe serves GET target through e's ordinary path, in process,
// with a browser's header fields.
func benchServe(b *testing.B, e *Edge, target string) {
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "http://shop.test"+target, nil)
		r.Header = browserHeader()
		e.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}

// reportCPU starts counting the process's CPU time; the function it
// returns reports it per operation as cpu-ns/op. On a machine shared with
// other work ns/op is wall time and says more of the neighbours than of
// the code; the CPU time is what the edge spends (the in-process origin's
// included, the same with and without the firewall).
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
