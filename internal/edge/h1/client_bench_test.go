package h1

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkClientRoundTrip is one GET of a 512-byte page over a pooled
// connection, as the edge's pass-through does, with the Client and with
// net/http's Transport (-benchmem shows the allocations).
func BenchmarkClientRoundTrip(b *testing.B) {
	page := pattern(512)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	}))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		rt   http.RoundTripper
	}{
		{"h1", &Client{ResponseHeaderTimeout: 10 * time.Second}},
		{"std", &http.Transport{ResponseHeaderTimeout: 10 * time.Second, DisableCompression: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/p", nil)
			req.Header.Set("User-Agent", "")
			b.ReportAllocs()
			for b.Loop() {
				resp, err := tc.rt.RoundTrip(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
