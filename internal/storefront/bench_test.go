package storefront_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// BenchmarkProductPage measures server time for one product page on SQLite:
// the database reads, the template and the response, without the network.
func BenchmarkProductPage(b *testing.B) {
	s := newShop(b, storetest.Open(b, store.SQLite))
	req := httptest.NewRequest(http.MethodGet, "/products/oxford-shirt", nil)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.mux.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d", w.Code)
		}
	}
}
