package page_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"agora/internal/page"
)

func TestLocalPath(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		raw, root string
		ok        bool
	}{
		{"/account", "/", true},
		{"/", "/", true},
		{"/search?q=red%20shirt&page=2#results", "/", true},
		{"/products/caf%C3%A9-table", "/", true},
		{"/products/café-table", "/", true},
		{"/admin/orders?status=paid", "/admin", true},
		{"/admin", "/admin", true},
		{"/admin/", "/admin", true},

		// Another origin, as browsers read it.
		{"/\t/evil.example/x", "/", false}, // ?next=/%09/evil.example/x (issue 9)
		{"/\n/evil.example/x", "/", false},
		{"/\r/evil.example/x", "/", false},
		{" //evil.example/x", "/", false},
		{"/ /evil.example/x", "/", false},
		{"//evil.example/x", "/", false},
		{"/\\evil.example/x", "/", false},
		{"\\/evil.example/x", "/", false},
		{"https://evil.example/x", "/", false},
		{"http:/evil.example/x", "/", false},
		{"javascript:alert(1)", "/", false},
		{"//user@evil.example", "/", false},
		// Whitespace, controls and invisible characters anywhere, raw or
		// percent-encoded in the path.
		{"/%09/evil.example/x", "/", false},
		{"/%0a/evil.example/x", "/", false},
		{"/%2F/evil.example/x", "/", false},
		{"/%5Cevil.example/x", "/", false},
		{"/%E2%80%A8/x", "/", false},
		{"/x\x00", "/", false},
		{"/x\x7f", "/", false},
		{"/\u00a0/x", "/", false},
		{"/\u2028/x", "/", false},
		{"/\u200b/x", "/", false},
		{"/\u202e/x", "/", false},
		{"/search?q=a\tb", "/", false},
		{"/\xff", "/", false},
		{"/%ff", "/", false},
		// Not a path.
		{"", "/", false},
		{"evil.example/x", "/", false},
		{"/%zz", "/", false},
		{"/a/../b", "/", false},
		{"/a/%2e%2e/b", "/", false},
		// Outside root.
		{"/account", "/admin", false},
		{"/administrator", "/admin", false},
		{"/admin/../account", "/admin", false},
	} {
		want := ""
		if tc.ok {
			want = tc.raw
		}
		if got := page.LocalPath(tc.raw, tc.root); got != want {
			t.Errorf("LocalPath(%q, %q) = %q, want %q", tc.raw, tc.root, got, want)
		}
	}
}

func TestSeeOtherStaysOnSite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ target, want string }{
		{"/cart", "/cart"},
		{"/account#addresses", "/account#addresses"},
		{"//evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"https://evil.example/", "/"},
	} {
		w := httptest.NewRecorder()
		page.SeeOther(w, httptest.NewRequest(http.MethodPost, "/form", nil), tc.target)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != tc.want {
			t.Errorf("SeeOther(%q): %d to %q, want 303 to %q", tc.target, w.Code, w.Header().Get("Location"), tc.want)
		}
		if cc := w.Header().Get("Cache-Control"); cc == "" {
			t.Errorf("SeeOther(%q): no Cache-Control", tc.target)
		}
	}
}
