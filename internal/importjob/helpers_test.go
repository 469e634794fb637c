package importjob

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var dialects = []store.Dialect{store.SQLite, store.Postgres}

// clock is a settable time for leases.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fixture struct {
	db    *store.DB
	cat   *catalog.Catalog
	clock *clock
}

// newFixture is a database with n products of two variants each (SKU
// P{i}-A and P{i}-B, 10.00 and 12.00 EUR, stock 5).
func newFixture(t *testing.T, d store.Dialect, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, d)
	cat := catalog.New(db)
	c, err := cat.CreateCategory(ctx, catalog.NewCategory{Name: "Shirts", Slug: "shirts"})
	if err != nil {
		t.Fatal(err)
	}
	var nps []catalog.NewProduct
	for i := range n {
		nps = append(nps, catalog.NewProduct{Slug: fmt.Sprintf("p-%d", i), Name: fmt.Sprintf("Product %d", i), CategoryIDs: []int64{c.ID},
			Variants: []catalog.NewVariant{
				{SKU: fmt.Sprintf("P%d-A", i), Name: "A", PriceCents: 1000, Stock: 5},
				{SKU: fmt.Sprintf("P%d-B", i), Name: "B", PriceCents: 1200, Stock: 5},
			}})
	}
	if _, err := cat.CreateProducts(ctx, nps); err != nil {
		t.Fatal(err)
	}
	return &fixture{db: db, cat: cat, clock: &clock{now: time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)}}
}

// service is a worker on the fixture's database, on its clock.
func (f *fixture) service(owner string) *Service {
	return &Service{DB: f.db, Catalog: f.cat, Now: f.clock.Now, Owner: owner, Lease: time.Hour}
}

// exported is the catalog as `agora export` writes it, parsed.
func (f *fixture) exported(t *testing.T) [][]string {
	t.Helper()
	var b bytes.Buffer
	if err := csvio.Export(context.Background(), f.db, &b); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// edit changes column col of every data row with change.
func edit(t *testing.T, recs [][]string, col string, change func(string) string) [][]string {
	t.Helper()
	at := -1
	for i, h := range recs[0] {
		if h == col {
			at = i
		}
	}
	if at < 0 {
		t.Fatalf("no column %q in %v", col, recs[0])
	}
	for _, r := range recs[1:] {
		r[at] = change(r[at])
	}
	return recs
}

func encode(recs [][]string) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.WriteAll(recs)
	return b.Bytes()
}

// raise adds 1.00 to a price cell.
func raise(p string) string {
	f, _ := strconv.ParseFloat(p, 64)
	return strconv.FormatFloat(f+1, 'f', 2, 64)
}

// prices is every variant's price and stock by SKU.
func (f *fixture) variants(t *testing.T) map[string][2]int64 {
	t.Helper()
	rows, err := f.db.Write.Query(`SELECT sku, price_cents, stock FROM variants`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]int64{}
	for rows.Next() {
		var sku string
		var p, s int64
		if err := rows.Scan(&sku, &p, &s); err != nil {
			t.Fatal(err)
		}
		out[sku] = [2]int64{p, s}
	}
	return out
}

func (f *fixture) purges(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.Write.QueryRow(`SELECT COUNT(*) FROM purge_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// workUntilIdle runs s.Work until it finds nothing to do.
func workUntilIdle(t *testing.T, s *Service) {
	t.Helper()
	for range 20 {
		worked, err := s.Work(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if !worked {
			return
		}
	}
	t.Fatal("the worker never ran out of work")
}

func mustGet(t *testing.T, s *Service, id int64) Job {
	t.Helper()
	j, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// confirmed uploads file, has it checked and confirms it, for s's next
// Work to apply.
func confirmed(t *testing.T, s *Service, file []byte, opts Options) Job {
	t.Helper()
	ctx := context.Background()
	j, err := s.Submit(ctx, "p.csv", file, opts, "o@example.com")
	if err != nil {
		t.Fatal(err)
	}
	workUntilIdle(t, s)
	if j = mustGet(t, s, j.ID); j.State != Checked {
		t.Fatalf("check: %s %+v", j.State, j.Summary)
	}
	if err := s.Confirm(ctx, j.ID); err != nil {
		t.Fatal(err)
	}
	return j
}
