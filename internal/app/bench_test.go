package app

import (
	"io"
	"net/http"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// discardWriter is the cheapest ResponseWriter, so the benchmark measures
// the middleware and not the network.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(int)             {}

// BenchmarkMiddlewareOverhead compares a trivial handler served bare and
// through the whole chain (request id, defaults, limits, recovery,
// cross-origin check, metrics, access log off).
func BenchmarkMiddlewareOverhead(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	s, err := New(Config{}, Deps{DB: db, Catalog: catalog.New(db), Log: discardLog()})
	if err != nil {
		b.Fatal(err)
	}
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	})
	mux := http.NewServeMux()
	mux.Handle("GET /hello", hello)
	cop, err := s.crossOrigin()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", mux},
		{"middleware", s.middleware(cop.Handler(mux))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			req, _ := http.NewRequest("GET", "http://shop.example/hello", nil)
			req.RequestURI = "/hello"
			w := &discardWriter{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				bc.h.ServeHTTP(w, req)
			}
		})
	}
}
