package waf

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// loaded are the firewalls the tests share: loading the CRS takes most of
// a second each.
var (
	loadOnce        sync.Once
	blockFW, detFW  *Firewall
	loadErr         error
	blockLog, detLg syncBuffer
)

type syncBuffer struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func firewalls(t *testing.T) (block, detect *Firewall) {
	t.Helper()
	loadOnce.Do(func() {
		blockFW, loadErr = New(Config{Mode: Block, Log: slog.New(slog.NewJSONHandler(&blockLog, nil))})
		if loadErr == nil {
			detFW, loadErr = New(Config{Mode: Detect, Log: slog.New(slog.NewJSONHandler(&detLg, nil))})
		}
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return blockFW, detFW
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"off": Off, "detect": Detect, "BLOCK": Block} {
		if m, err := ParseMode(in); err != nil || m != want {
			t.Errorf("ParseMode(%q) = %v, %v; want %v", in, m, err, want)
		}
	}
	if _, err := ParseMode("on"); err == nil || !strings.Contains(err.Error(), "off, detect or block") {
		t.Errorf("ParseMode(on): %v", err)
	}
}

func TestNewRefusesAParanoiaLevelOutOfRange(t *testing.T) {
	for _, p := range []int{-1, 5} {
		if _, err := New(Config{Mode: Block, Paranoia: p}); err == nil || !strings.Contains(err.Error(), "want 1 to 4") {
			t.Errorf("paranoia %d: %v", p, err)
		}
	}
	if f, err := New(Config{Mode: Off}); f != nil || err != nil {
		t.Errorf("off: %v, %v; want no firewall", f, err)
	}
}

func TestParseExclusions(t *testing.T) {
	xs, err := ParseExclusions(" /search=942100,941000-941999 ; /admin/pages=attack-xss@ARGS:body;")
	if err != nil || len(xs) != 2 {
		t.Fatalf("%v %v", xs, err)
	}
	if got := xs[0].ctl(); got != "ctl:ruleRemoveById=942100,ctl:ruleRemoveById=941000-941999" {
		t.Errorf("ctl: %s", got)
	}
	if got := xs[1].ctl(); got != "ctl:ruleRemoveTargetByTag=attack-xss;ARGS:body" {
		t.Errorf("ctl: %s", got)
	}
	for _, bad := range []string{"search=942100", "/search", "/search=", "/search=attack-xss", "/s=942100@ARGS:a'b", `/s"=1`} {
		if _, err := ParseExclusions(bad); err == nil {
			t.Errorf("ParseExclusions(%q): no error", bad)
		}
	}
}

// An operator's exclusion lets the one request through, on its path only.
func TestOperatorExclusion(t *testing.T) {
	xs, err := ParseExclusions("/notes=941000-941999,942000-942999,949110")
	if err != nil {
		t.Fatal(err)
	}
	f, err := New(Config{Mode: Block, Exclusions: xs, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	q := "?q=" + url.QueryEscape("<script>alert(1)</script>")
	if v := f.Inspect(httptest.NewRequest("GET", "/notes/1"+q, nil), "x"); v.Block {
		t.Errorf("excluded path blocked: %+v", v)
	}
	if v := f.Inspect(httptest.NewRequest("GET", "/search"+q, nil), "x"); !v.Block {
		t.Errorf("other path not blocked: %+v", v)
	}
}

func TestBodyOverTheLimit(t *testing.T) {
	f, err := New(Config{Mode: Block, BodyLimit: 1024, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	form := "a=" + strings.Repeat("x", 2000)
	r := httptest.NewRequest("POST", "/account/addresses", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if v := f.Inspect(r, "x"); !v.Block || v.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a form over the limit: %+v, want 413", v)
	}
	// An upload past the limit goes on whole: the first KiB inspected.
	var mp bytes.Buffer
	mp.WriteString("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n")
	mp.Write(bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 1000))
	mp.WriteString("\r\n--B--\r\n")
	want := mp.String()
	r = httptest.NewRequest("POST", "/admin/products/1/images", strings.NewReader(want))
	r.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	if v := f.Inspect(r, "x"); v.Block {
		t.Fatalf("an upload over the limit: %+v", v)
	}
	if got, _ := io.ReadAll(r.Body); string(got) != want {
		t.Errorf("the upload forwarded is %d bytes, want the %d sent", len(got), len(want))
	}
}

// A client that addresses the edge by IP (a health check, a local run)
// spends no anomaly points on that: with an empty User-Agent (2 points)
// it would otherwise reach the 5 that block (rule 920350 is removed).
func TestNumericHostIsNotAnAttack(t *testing.T) {
	block, _ := firewalls(t)
	r := httptest.NewRequest("GET", "http://127.0.0.1:8080/products/tee", nil)
	r.Header["User-Agent"] = []string{""}
	if v := block.Inspect(r, "x"); v.Block {
		t.Errorf("GET by IP with an empty User-Agent blocked: rules %v", v.Rules)
	}
}
