package main_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHeadlessCheckout runs a real process with an SMTP URL holding a
// password and buys something through the JSON API: the order is placed,
// and the password never shows in the log, even when the mail server
// cannot be reached.
func TestHeadlessCheckout(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	db, media := "sqlite:"+filepath.Join(data, "agora.db"), filepath.Join(data, "media")
	if code, out, errOut := run(t, "migrate", "--db", db); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run(t, "seed", "--db", db, "--media", media, "--products", "30", "--categories", "4", "--quiet"); code != 0 {
		t.Fatalf("seed: %d %s %s", code, out, errOut)
	}
	s := start(t, "up", "--data", data, "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--drain-delay", "0s",
		"--smtp", "smtp://shop:hunter2@127.0.0.1:1?from=shop@example.com&tls=none", "--session-ttl", "1h",
		"--public-url", "https://shop.example")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	call := func(method, path, body string, hdr ...string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var v map[string]any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s %s: %d, not JSON: %s", method, path, res.StatusCode, b)
		}
		return res.StatusCode, v
	}

	variant := inStockItems(t, s.url, 1)[0].variant
	if code, v := call("POST", "/api/v1/cart/items", `{"variant_id":`+strconv.FormatInt(variant, 10)+`,"quantity":1}`); code != 200 {
		t.Fatalf("add to cart: %d %v", code, v)
	}
	body := `{"email":"kim@example.com","shipping_address":{"name":"Kim","line1":"Hauptstraße 1","line2":"","city":"Berlin","postal_code":"10115","country":"DE","phone":""}}`
	code, placed := call("POST", "/api/v1/checkout", body, "Idempotency-Key", "e2e-1")
	if code != 201 || placed["order_number"] == "" {
		t.Fatalf("checkout: %d %v", code, placed)
	}
	if code, again := call("POST", "/api/v1/checkout", body, "Idempotency-Key", "e2e-1"); code != 200 || again["order_number"] != placed["order_number"] {
		t.Errorf("checkout retried: %d %v, want 200 and %v", code, again, placed["order_number"])
	}
	s.stop(t)
	if log := s.log(); strings.Contains(log, "hunter2") || !strings.Contains(log, "smtp://shop:xxxxx@127.0.0.1:1") {
		t.Errorf("the SMTP URL is not logged redacted:\n%s", log)
	}
}

// TestShopFlagsRefuseMistakes: a bad --smtp, --session-ttl or --public-url,
// or mail leaving the machine without a --public-url, is a command line
// mistake (exit 2) named in one line, without the password.
func TestShopFlagsRefuseMistakes(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown mail scheme", []string{"--smtp", "ftp://u:hunter2@host"}, "--smtp"},
		{"smtp without a host", []string{"--smtp", "smtp://u:hunter2@?from=a@b.c"}, "--smtp"},
		{"session ttl zero", []string{"--session-ttl", "0s"}, "--session-ttl"},
		// Issue 9: without a public URL a reset link could only come from
		// the request, whose Host an attacker chooses.
		{"real mail without a public URL", []string{"--smtp", "smtp://u:hunter2@127.0.0.1:1?from=a@b.c"}, "--public-url"},
		{"public URL with a path", []string{"--public-url", "https://shop.example/shop"}, "--public-url"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"up", "--db", db, "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"}, c.args...)
			code, _, errOut := run(t, args...)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q; want 2 naming %s", code, errOut, c.want)
			}
			if strings.Contains(errOut, "hunter2") {
				t.Errorf("the password leaked: %q", errOut)
			}
		})
	}
}
