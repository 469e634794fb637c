package seed_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/media"
	"agora/internal/seed"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var testOpts = seed.Options{Products: 60, Categories: 8, Seed: 7}

type seeded struct {
	cat   *catalog.Catalog
	media *media.Store
	srv   *httptest.Server // serves the media at /media/{key}
	res   seed.Result
}

func seedDB(t *testing.T, db *store.DB, opts seed.Options) *seeded {
	t.Helper()
	ms, err := media.Open(context.Background(), filepath.Join(t.TempDir(), "media"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	mux := http.NewServeMux()
	mux.Handle("GET /media/{key}", ms.Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	s := &seeded{cat: catalog.New(db), media: ms, srv: srv}
	s.res, err = seed.Run(context.Background(), s.cat, ms, opts)
	if err != nil {
		t.Fatalf("seed: %v", err)
	}
	return s
}

// products reads back every seeded product, in creation order.
func (s *seeded) products(t *testing.T) []*catalog.Product {
	t.Helper()
	ctx := context.Background()
	entries, err := s.cat.SitemapProducts(ctx, 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]*catalog.Product, len(entries))
	for i, e := range entries {
		if out[i], err = s.cat.ProductBySlug(ctx, e.Slug); err != nil {
			t.Fatalf("product %s: %v", e.Slug, err)
		}
	}
	return out
}

func countTree(cs []*catalog.Category, depth int, maxDepth *int) int {
	if len(cs) > 0 {
		*maxDepth = max(*maxDepth, depth)
	}
	n := len(cs)
	for _, c := range cs {
		n += countTree(c.Children, depth+1, maxDepth)
	}
	return n
}

func TestSeedBuildsACompleteCatalog(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := seedDB(t, db, testOpts)
		if s.res.Products != 60 || s.res.Categories != 8 || s.res.Images != 60 {
			t.Fatalf("Result = %+v; want 60 products, 8 categories, 60 images", s.res)
		}
		if n, err := s.cat.CountProducts(ctx); err != nil || n != 60 {
			t.Fatalf("CountProducts = %d, %v; want 60", n, err)
		}
		if db.Dialect == store.Postgres {
			// The seed ends with a vacuum: listings' index-only scans
			// then read no table rows (issue 15).
			var visible, pages int
			if err := db.Read.QueryRowContext(ctx, `SELECT relallvisible, relpages FROM pg_class
				WHERE oid = 'category_listing'::regclass`).Scan(&visible, &pages); err != nil {
				t.Fatal(err)
			}
			if pages == 0 || visible != pages {
				t.Errorf("category_listing: %d of %d pages all-visible after the seed; want all", visible, pages)
			}
		}
		tree, err := s.cat.Tree(ctx)
		if err != nil {
			t.Fatal(err)
		}
		depth := 0
		if n := countTree(tree, 1, &depth); n != s.res.Categories || depth < 2 || depth > 3 {
			t.Errorf("tree has %d categories, %d levels; want %d, 2–3 levels", n, depth, s.res.Categories)
		}

		skus := map[string]bool{}
		variants := 0
		products := s.products(t)
		for _, p := range products {
			if len(p.Variants) == 0 || len(p.Variants) > 6 || len(p.Images) == 0 || len(p.Images) > 3 {
				t.Errorf("%s: %d variants, %d images; want 1–6 and 1–3", p.Name, len(p.Variants), len(p.Images))
			}
			if len(p.Breadcrumb) < 2 || p.Description == "" || p.Brand == "" {
				t.Errorf("%s: breadcrumb %d deep, description %q, brand %q", p.Name, len(p.Breadcrumb), p.Description, p.Brand)
			}
			for _, v := range p.Variants {
				if skus[v.SKU] {
					t.Errorf("SKU %s is used twice", v.SKU)
				}
				skus[v.SKU] = true
				if v.PriceCents <= 0 || v.PriceCents > 5000_00 || v.Currency != "EUR" {
					t.Errorf("%s: price %d %s", v.SKU, v.PriceCents, v.Currency)
				}
			}
			variants += len(p.Variants)
			for _, img := range p.Images {
				if img.Alt != p.Name || img.Width != seed.ImageSize || img.Height != seed.ImageSize {
					t.Errorf("%s: image %+v", p.Name, img)
				}
				resp, err := http.Head(s.srv.URL + s.media.URL(img.Key))
				if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" {
					t.Errorf("%s: picture %s is not served: %v %v", p.Name, img.Key, resp.Status, err)
				}
			}
		}
		if variants != s.res.Variants {
			t.Errorf("%d variants in the catalog, Result says %d", variants, s.res.Variants)
		}
		for _, p := range products[:5] {
			assertFoundBySearch(t, s.cat, p)
		}
	})
}

// assertFoundBySearch searches for the last word of p's name (its noun:
// "Shirt", "Kettle"…) and expects p among the results.
func assertFoundBySearch(t *testing.T, cat *catalog.Catalog, p *catalog.Product) {
	t.Helper()
	words := strings.Fields(p.Name)
	word := strings.Trim(words[len(words)-1], "()")
	res, err := cat.List(context.Background(), catalog.ListQuery{Query: word, PerPage: catalog.MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Items {
		if it.Slug == p.Slug {
			return
		}
	}
	t.Errorf("searching %q does not find %q (%d results)", word, p.Name, res.Total)
}

func TestSeedRefusesACatalogWithProducts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := seedDB(t, db, seed.Options{Products: 3, Categories: 2, Seed: 1})
		_, err := seed.Run(context.Background(), s.cat, s.media, seed.Options{Products: 3, Categories: 2})
		if fault.CodeOf(err) != fault.Conflict || !strings.Contains(fault.MessageOf(err), "--db") {
			t.Fatalf("second seed: %v; want a conflict saying to use another --db", err)
		}
		if n, _ := s.cat.CountProducts(context.Background()); n != 3 {
			t.Errorf("the refused seed changed the catalog: %d products", n)
		}
	})
}

// fingerprint is what a shopper would see of a catalog.
func fingerprint(t *testing.T, s *seeded) []string {
	var out []string
	for _, p := range s.products(t) {
		line := fmt.Sprintf("%s|%s|%s|%d|%v|%s|%d", p.Slug, p.Name, p.Brand, p.PriceCents, p.Featured, p.CreatedAt.UTC(), p.Stock)
		for _, v := range p.Variants {
			line += fmt.Sprintf("|%s:%d:%d", v.SKU, v.PriceCents, v.Stock)
		}
		for _, img := range p.Images {
			line += "|" + img.Key
		}
		for _, c := range p.Breadcrumb {
			line += "|" + c.Slug
		}
		out = append(out, line)
	}
	return out
}

func TestSeedIsDeterministic(t *testing.T) {
	t.Parallel()
	opts := seed.Options{Products: 24, Categories: 8, Seed: 7}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := fingerprint(t, seedDB(t, db, opts))
		b := fingerprint(t, seedDB(t, storetest.Open(t, db.Dialect), opts))
		other := opts
		other.Seed++
		c := fingerprint(t, seedDB(t, storetest.Open(t, db.Dialect), other))
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Fatalf("same seed, different catalogs; first difference:\n%s\n%s", a[i], b[i])
				}
			}
			t.Fatalf("same seed, %d and %d products", len(a), len(b))
		}
		same := 0
		for i := range min(len(a), len(c)) {
			if a[i] == c[i] {
				same++
			}
		}
		if same > 0 {
			t.Errorf("seeds %d and %d share %d identical products", opts.Seed, other.Seed, same)
		}
	})
}

func TestSeedStopsWhenCancelled(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	ms, err := media.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := seed.Run(ctx, catalog.New(db), ms, testOpts); err == nil {
		t.Fatal("a cancelled seed succeeded")
	}
}
