package edge

import (
	"net/http"
	"testing"
)

// TestDownstreamFields: with a CDN in front, a stored page leaves with
// that CDN's fields, its hits too; a private page never gets them.
func TestDownstreamFields(t *testing.T) {
	tests := []struct {
		d                  Downstream
		control, tagField  string
		wantTags, wantCtrl string
	}{
		{DownstreamCloudflare, "Cdn-Cache-Control", "Cache-Tag", "product-42,home", "max-age=300, stale-while-revalidate=60"},
		{DownstreamFastly, "Surrogate-Control", "Surrogate-Key", "product-42 home", "max-age=300, stale-while-revalidate=60"},
		{DownstreamGeneric, "Cdn-Cache-Control", "Surrogate-Key", "product-42 home", "max-age=300, stale-while-revalidate=60"},
	}
	for _, tc := range tests {
		t.Run(string(tc.d), func(t *testing.T) {
			o := newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/private" {
					w.Header().Set("Cache-Control", "private, no-store")
				} else {
					w.Header().Set("Cache-Control", "public, s-maxage=300, stale-while-revalidate=60")
				}
				w.Header().Set("Surrogate-Key", "product-42 home")
				w.Write([]byte("page"))
			})
			e, _ := newEdge(t, o.URL)
			e.Downstream = tc.d
			for i, name := range []string{"miss", "hit"} {
				resp := do(e, "GET", "http://shop.test/p", nil)
				if i == 1 && !isHit(resp) {
					t.Fatalf("second GET not a hit: %s", resp.Header.Get("Cache-Status"))
				}
				if got := resp.Header.Get(tc.tagField); got != tc.wantTags {
					t.Errorf("%s: %s %q, want %q", name, tc.tagField, got, tc.wantTags)
				}
				if got := resp.Header.Get(tc.control); got != tc.wantCtrl {
					t.Errorf("%s: %s %q, want %q", name, tc.control, got, tc.wantCtrl)
				}
			}
			resp := do(e, "GET", "http://shop.test/private", nil)
			for _, f := range []string{"Cdn-Cache-Control", "Surrogate-Control", "Surrogate-Key", "Cache-Tag"} {
				if v := resp.Header.Get(f); v != "" {
					t.Errorf("a private page left with %s: %q", f, v)
				}
			}
		})
	}
	if _, err := ParseDownstream("akamai"); err == nil {
		t.Error("ParseDownstream accepted an unknown CDN")
	}
}
