package app

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"agora/internal/cart"
	"agora/internal/catalog"
	"agora/internal/checkout"
	"agora/internal/customer"
	"agora/internal/mail"
	"agora/internal/session"
	"agora/internal/staff"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// sentTo is a log handler that reports the recipient of each mail the
// LogSender "sends", so a test can wait for delivery without polling.
type sentTo chan string

func (c sentTo) Enabled(context.Context, slog.Level) bool { return true }
func (c sentTo) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c sentTo) WithGroup(string) slog.Handler            { return c }
func (c sentTo) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "to" {
			c <- a.Value.String()
		}
		return true
	})
	return nil
}

func shopDeps(db *store.DB, sender mail.Sender) Deps {
	return Deps{DB: db, Catalog: catalog.New(db), Log: discardLog(),
		Sessions: &session.Manager{DB: db}, Customers: &customer.Service{DB: db},
		Carts: &cart.Service{DB: db}, Checkout: &checkout.Service{DB: db}, Mail: sender}
}

// TestRunDeliversMail: the outbox worker Run owns sends what a checkout
// queued, and it and the session cleanup stop with Run (TestMain's goleak
// fails the package otherwise).
func TestRunDeliversMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if err := db.InTx(ctx, func(tx *sql.Tx) error {
			return mail.Enqueue(ctx, tx, mail.Message{To: "kim@example.com", Subject: "Your order", Text: "Thank you."}, time.Now())
		}); err != nil {
			t.Fatal(err)
		}
		sent := make(sentTo, 1)
		s, err := New(Config{Listen: "127.0.0.1:0"}, shopDeps(db, &mail.LogSender{Log: slog.New(sent)}))
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Run(runCtx, nil) }()
		if to := <-sent; to != "kim@example.com" {
			t.Errorf("mail sent to %q", to)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("Run: %v", err)
		}
		var pending int
		if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM email_outbox WHERE sent_at IS NULL`).Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending != 0 {
			t.Errorf("%d mails still pending after delivery", pending)
		}
	})
}

// TestShoppingThroughTheApp: the assembled server routes the shopping API
// behind its middleware: cross-site writes are refused, oversized bodies
// stopped, and a cart answer is private and sets the session cookie.
func TestShoppingThroughTheApp(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	p, err := catalog.New(db).CreateProduct(context.Background(), catalog.NewProduct{Name: "Mug",
		Variants: []catalog.NewVariant{{SKU: "MUG", Name: "Mug", PriceCents: 900, Stock: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{}, shopDeps(db, nil))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	client := srv.Client()
	defer client.CloseIdleConnections()
	base := srv.URL

	post := func(body string, hdr ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/api/v1/cart/items", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	item := `{"variant_id":` + itoa(p.Variants[0].ID) + `,"quantity":1}`
	if res := post(item, "Sec-Fetch-Site", "cross-site"); res.StatusCode != 403 {
		t.Errorf("cross-site add to cart: %d, want 403", res.StatusCode)
	}
	if res := post(`{"pad":"` + strings.Repeat("x", 2<<20) + `"}`); res.StatusCode != 413 {
		t.Errorf("2 MiB body: %d, want 413", res.StatusCode)
	}
	res := post(item, "Sec-Fetch-Site", "same-origin")
	if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "private, no-store" || len(res.Cookies()) != 1 {
		t.Errorf("add to cart: %d, Cache-Control %q, cookies %v", res.StatusCode, res.Header.Get("Cache-Control"), res.Cookies())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestCleanupsCoverEveryExpiringTable: the cleanups Run schedules delete
// expired shopper sessions, staff sessions and old login failures, and keep
// live ones.
func TestCleanupsCoverEveryExpiringTable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		deps := shopDeps(db, nil)
		deps.Staff = &staff.Service{DB: db}
		old, now := time.Now().Add(-48*time.Hour).UTC(), time.Now().UTC()
		if _, err := deps.Staff.Create(ctx, "owner@example.com", "Olivia", staff.Owner, "a long enough password"); err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO sessions (id_hash, created_at, expires_at) VALUES ($1, $2, $3)`, []any{"expired", old, old}},
			{`INSERT INTO sessions (id_hash, created_at, expires_at) VALUES ($1, $2, $3)`, []any{"live", now, now.Add(time.Hour)}},
			{`INSERT INTO staff_sessions (id_hash, staff_id, created_at, expires_at) SELECT $1, id, $2, $3 FROM staff`, []any{"expired", old, old}},
			{`INSERT INTO staff_sessions (id_hash, staff_id, created_at, expires_at) SELECT $1, id, $2, $3 FROM staff`, []any{"live", now, now.Add(time.Hour)}},
			{`INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 3, $2)`, []any{"account:old@example.com", old}},
			{`INSERT INTO login_failures (key, failures, window_start) VALUES ($1, 3, $2)`, []any{"account:new@example.com", now}},
		} {
			if _, err := db.Write.ExecContext(ctx, q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range cleanupsOf(deps) {
			if _, err := c.run(ctx); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		for _, table := range []string{"sessions", "staff_sessions", "login_failures"} {
			var n int
			if err := db.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("%s: %d rows left, want only the live one", table, n)
			}
		}
	})
}
