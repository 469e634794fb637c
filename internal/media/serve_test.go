package media

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"agora/internal/cachehdr"
)

// serve starts a server with the store mounted as the app mounts it.
func serve(t *testing.T, s *Store) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("GET /media/{key}", s.Handler())
	mux.Handle("/stripped/", http.StripPrefix("/stripped/", s.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func TestHandlerServesStoredMedia(t *testing.T) {
	t.Parallel()
	eachBackend(t, testHandlerServes)
}

func testHandlerServes(t *testing.T, s *Store, _ string) {
	srv := serve(t, s)
	data := encoded(t, "jpg")
	key, err := s.Put(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	etag := `"` + key + `"`
	tests := []struct {
		name, method, path string
		hdr                []string
		wantStatus         int
		wantBody           []byte
	}{
		{"GET", "GET", s.URL(key), nil, 200, data},
		{"HEAD has no body", "HEAD", s.URL(key), nil, 200, nil},
		{"stripped prefix mount", "GET", "/stripped/" + key, nil, 200, data},
		{"matching If-None-Match", "GET", s.URL(key), []string{"If-None-Match", etag}, 304, nil},
		{"one of several If-None-Match", "GET", s.URL(key), []string{"If-None-Match", `"x", ` + etag}, 304, nil},
		{"other If-None-Match", "GET", s.URL(key), []string{"If-None-Match", `"other"`}, 200, data},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, tt.method, srv.URL+tt.path, tt.hdr...)
			if resp.StatusCode != tt.wantStatus || !bytes.Equal(body, tt.wantBody) {
				t.Fatalf("%s %s = %d with %d bytes; want %d with %d bytes", tt.method, tt.path, resp.StatusCode, len(body), tt.wantStatus, len(tt.wantBody))
			}
			h := resp.Header
			if h.Get("ETag") != etag || h.Get("Cache-Control") != cachehdr.Immutable {
				t.Errorf("ETag %q, Cache-Control %q; want %q, %q", h.Get("ETag"), h.Get("Cache-Control"), etag, cachehdr.Immutable)
			}
			if resp.StatusCode == 200 {
				if h.Get("Content-Type") != "image/jpeg" || h.Get("Content-Length") != strconv.Itoa(len(data)) || h.Get("X-Content-Type-Options") != "nosniff" {
					t.Errorf("Content-Type %q, Content-Length %q, X-Content-Type-Options %q", h.Get("Content-Type"), h.Get("Content-Length"), h.Get("X-Content-Type-Options"))
				}
			}
		})
	}
}

func TestHandlerMissingAndHostileKeys(t *testing.T) {
	t.Parallel()
	eachBackend(t, testHandlerHostile)
}

func testHandlerHostile(t *testing.T, s *Store, dir string) {
	srv := serve(t, s)
	const secret = "TOP-SECRET-CONTENT"
	// A file beside the bucket, and files inside it whose names are not keys:
	// none of them may ever be served.
	if err := os.WriteFile(filepath.Join(filepath.Dir(dir), "passwd"), []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	key, err := s.Put(context.Background(), encoded(t, "png"))
	if err != nil {
		t.Fatal(err)
	}
	upper := strings.ToUpper(key[:64]) + ".png"
	for _, name := range []string{upper, key + ".attrs.png", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(secret), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	paths := []string{
		"/media/" + strings.Repeat("0", 64) + ".png", // well-formed, missing
		"/media/" + upper,
		"/media/notes.txt",
		"/media/" + key + ".attrs",
		"/media/../passwd",
		"/media/..%2fpasswd",
		"/media/%2e%2e%2fpasswd",
		"/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/media/..%5cpasswd",
		"/media/" + key[:64] + "%00.png",
		"/media/" + key + "%00",
		"/media/" + strings.Repeat("a", 8000) + ".png",
		"/stripped/../passwd",
		"/stripped/%2e%2e/passwd",
		"/stripped/" + key + "/x",
		"/stripped/",
	}
	for _, p := range paths {
		t.Run(p[:min(len(p), 40)], func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+p)
			if resp.StatusCode != http.StatusNotFound || bytes.Contains(body, []byte(secret)) {
				t.Fatalf("GET %s = %d %q; want 404 without the file", p, resp.StatusCode, body[:min(len(body), 80)])
			}
			if strings.HasPrefix(p, "/media/") && len(p) < 200 && !strings.Contains(p, "/../") {
				// Our own 404, not the mux's: short, and briefly cacheable.
				if resp.Header.Get("Cache-Control") != cachehdr.NotFound || len(body) > 64 {
					t.Errorf("Cache-Control %q, body %q", resp.Header.Get("Cache-Control"), body)
				}
			}
		})
	}
}

func TestHandlerReportsBucketFailure(t *testing.T) {
	t.Parallel()
	eachBackend(t, testHandlerBucketFailure)
}

func testHandlerBucketFailure(t *testing.T, s *Store, _ string) {
	srv := serve(t, s)
	var logged bytes.Buffer
	s.Logger = slog.New(slog.NewTextHandler(&logged, nil))
	key, err := s.Put(context.Background(), encoded(t, "gif"))
	if err != nil {
		t.Fatal(err)
	}
	s.Close() // as at shutdown: the bucket no longer answers
	resp, _ := do(t, "GET", srv.URL+s.URL(key))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Cache-Control") != cachehdr.Private {
		t.Fatalf("GET on a closed bucket = %d, Cache-Control %q; want 503, %q", resp.StatusCode, resp.Header.Get("Cache-Control"), cachehdr.Private)
	}
	if !strings.Contains(logged.String(), key) {
		t.Errorf("the failure was not logged with its key: %q", logged.String())
	}
}
