package app

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"agora/internal/catalog"
	"agora/internal/media"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// logBuffer collects log output written from server goroutines.
type logBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	*Server
	db    *store.DB
	logs  *logBuffer
	http  *httptest.Server
	media *media.Store
}

// newTestServer builds a Server over db with a media directory, serving
// its public handler on a loopback httptest server.
func newTestServer(t *testing.T, db *store.DB, cfg Config) *testServer {
	t.Helper()
	m, err := media.Open(context.Background(), "file://"+t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	logs := &logBuffer{}
	s, err := New(cfg, Deps{DB: db, Catalog: catalog.New(db), Media: m,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, db: db, logs: logs, media: m, http: httptest.NewServer(s.Handler())}
	t.Cleanup(ts.http.Close)
	t.Cleanup(ts.http.Client().CloseIdleConnections)
	return ts
}

func sqliteServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	return newTestServer(t, storetest.Open(t, store.SQLite), cfg)
}

type response struct {
	status int
	header http.Header
	body   string
}

func (ts *testServer) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := ts.http.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{res.StatusCode, res.Header, string(body)}
}

func (ts *testServer) get(t *testing.T, target string) response {
	t.Helper()
	return ts.do(t, newRequest(t, "GET", ts.http.URL+target, ""))
}

// scrapeMetrics answers one GET /metrics from ts's metrics handler.
func (ts *testServer) scrapeMetrics() *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	ts.MetricsHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return w
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// pngBytes is a tiny valid PNG for media tests.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }
