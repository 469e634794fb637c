package catalog_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// shop is the catalog the purge cases change: Clothing › Shirts, Kitchen
// and an empty Sale; Linen Shirt (oldest, not on the home page), Oxford
// Shirt (featured), a draft pan, and eight newer kitchen products that fill
// the home page's "newest" shelf.
type shop struct {
	db                              *store.DB
	cat                             *catalog.Catalog
	clothing, shirts, kitchen, sale int64
	linen, oxford, pan              int64
	linenS, linenL, panV            int64 // variants: linenS 3900 ×20, linenL 4400 ×0
	oxfordV                         int64 // 4900 ×3
	created                         int64 // set by cases that create a product
}

func newShop(t *testing.T, db *store.DB) *shop {
	t.Helper()
	ctx := context.Background()
	s := &shop{db: db, cat: catalog.New(db)}
	mkCat := func(name string, parent int64) int64 {
		c, err := s.cat.CreateCategory(ctx, catalog.NewCategory{Name: name, ParentID: parent})
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	s.clothing = mkCat("Clothing", 0)
	s.shirts = mkCat("Shirts", s.clothing)
	s.kitchen = mkCat("Kitchen", 0)
	s.sale = mkCat("Sale", 0)
	mk := func(np catalog.NewProduct) *catalog.Product {
		p, err := s.cat.CreateProduct(ctx, np)
		if err != nil {
			t.Fatalf("create %s: %v", np.Name, err)
		}
		return p
	}
	p := mk(catalog.NewProduct{Name: "Linen Shirt", CategoryIDs: []int64{s.shirts}, CreatedAt: base,
		Variants: []catalog.NewVariant{{SKU: "L-S", PriceCents: 3900, Stock: 20}, {SKU: "L-L", PriceCents: 4400}}})
	s.linen, s.linenS, s.linenL = p.ID, p.Variants[0].ID, p.Variants[1].ID
	p = mk(catalog.NewProduct{Name: "Oxford Shirt", Featured: true, CategoryIDs: []int64{s.shirts},
		CreatedAt: base.Add(time.Hour), Variants: []catalog.NewVariant{{SKU: "O-1", PriceCents: 4900, Stock: 3}}})
	s.oxford, s.oxfordV = p.ID, p.Variants[0].ID
	p = mk(catalog.NewProduct{Name: "Cast Iron Pan", Status: "draft", CategoryIDs: []int64{s.kitchen},
		CreatedAt: base.Add(2 * time.Hour), Variants: []catalog.NewVariant{{SKU: "P-1", PriceCents: 2900, Stock: 9}}})
	s.pan, s.panV = p.ID, p.Variants[0].ID
	for i := range catalog.HomeShelf {
		mk(catalog.NewProduct{Name: fmt.Sprintf("Bowl %d", i), CategoryIDs: []int64{s.kitchen},
			CreatedAt: base.Add(time.Duration(10+i) * time.Hour),
			Variants:  []catalog.NewVariant{{SKU: fmt.Sprintf("B-%d", i), PriceCents: 900, Stock: 50}}})
	}
	// An upload on record, for SetImages.
	if err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO media (key, content_type, width, height, bytes, variants, created_at)
			VALUES ($1, 'image/jpeg', 800, 600, 1234, '{}', $2)`, uploadKey, base)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

var uploadKey = strings.Repeat("b", 64) + ".jpg"

func ptr[T any](v T) *T { return &v }

// head returns the last purge-log seq.
func head(t *testing.T, db *store.DB) int64 {
	t.Helper()
	entries, err := purge.Since(context.Background(), db, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		return 0
	}
	return entries[len(entries)-1].Seq
}

// tagsSince returns the tags appended after seq, sorted, and fails if a
// single change wrote more than one entry.
func tagsSince(t *testing.T, db *store.DB, seq int64) []string {
	t.Helper()
	entries, err := purge.Since(context.Background(), db, seq, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 1 {
		t.Errorf("one change appended %d purge entries, want at most 1", len(entries))
	}
	var tags []string
	for _, e := range entries {
		tags = append(tags, e.Tags...)
	}
	slices.Sort(tags)
	return tags
}

func TestEveryAdminChangePurgesExactlyItsTags(t *testing.T) {
	p := func(id int64) string { return fmt.Sprintf("product-%d", id) }
	c := func(id int64) string { return fmt.Sprintf("category-%d", id) }
	type change func(ctx context.Context, s *shop) error
	cases := []struct {
		name    string
		change  change
		want    func(s *shop) []string
		refused fault.Code // the change is refused (with this code) and appends nothing
	}{
		{"price of the cheapest variant", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenS, catalog.VariantPatch{PriceCents: ptr(int64(3500))})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"price of another variant", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenL, catalog.VariantPatch{PriceCents: ptr(int64(4500))})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"stock within its class", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenS, catalog.VariantPatch{Stock: ptr(15)})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"stock falls to low", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenS, catalog.VariantPatch{Stock: ptr(4)})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"a sold-out variant comes back; the product stays in stock", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenL, catalog.VariantPatch{Stock: ptr(50)})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"stock of a draft", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.panV, catalog.VariantPatch{Stock: ptr(0), PriceCents: ptr(int64(1))})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"sku, name and options", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenL, catalog.VariantPatch{SKU: ptr("L-XL"), Name: ptr("Extra large"),
				Options: &[]catalog.Option{{Name: "size", Value: "XL"}}})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"same price again", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenS, catalog.VariantPatch{PriceCents: ptr(int64(3900))})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"negative stock is refused", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateVariant(ctx, s.linenS, catalog.VariantPatch{Stock: ptr(-1)})
			return err
		}, func(s *shop) []string { return nil }, fault.Invalid},
		{"rename", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{Name: ptr("Linen Shirt II"), Description: ptr("New.")})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"rename a draft", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.pan, catalog.ProductPatch{Name: ptr("Pan")})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"archive", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{Status: ptr("archived")})
			return err
		}, func(s *shop) []string { return []string{c(s.clothing), c(s.shirts), p(s.linen)} }, ""},
		{"archive a featured product", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.oxford, catalog.ProductPatch{Status: ptr("archived")})
			return err
		}, func(s *shop) []string { return []string{c(s.clothing), c(s.shirts), "home", p(s.oxford)} }, ""},
		{"publish a draft", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.pan, catalog.ProductPatch{Status: ptr("active")})
			return err
		}, func(s *shop) []string { return []string{c(s.kitchen), p(s.pan)} }, ""},
		{"feature", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{Featured: ptr(true)})
			return err
		}, func(s *shop) []string { return []string{c(s.clothing), c(s.shirts), "home"} }, ""},
		{"move to another category", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{CategoryIDs: &[]int64{s.kitchen}})
			return err
		}, func(s *shop) []string { return []string{c(s.clothing), c(s.kitchen), c(s.shirts), p(s.linen)} }, ""},
		{"add a category", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{CategoryIDs: &[]int64{s.shirts, s.kitchen}})
			return err
		}, func(s *shop) []string { return []string{c(s.kitchen), p(s.linen)} }, ""},
		{"a patch that changes nothing", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{Name: ptr("Linen Shirt"), CategoryIDs: &[]int64{s.shirts}})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"a slug taken by another product is refused", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{Slug: ptr("oxford-shirt"), Name: ptr("X")})
			return err
		}, func(s *shop) []string { return nil }, fault.Invalid},
		{"an unknown category is refused", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateProduct(ctx, s.linen, catalog.ProductPatch{CategoryIDs: &[]int64{99999}})
			return err
		}, func(s *shop) []string { return nil }, fault.Invalid},
		{"add an image", func(ctx context.Context, s *shop) error {
			return s.cat.SetImages(ctx, s.linen, []catalog.Image{{Key: uploadKey, Alt: "Front"}})
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"an image never uploaded is refused", func(ctx context.Context, s *shop) error {
			return s.cat.SetImages(ctx, s.linen, []catalog.Image{{Key: strings.Repeat("c", 64) + ".png"}})
		}, func(s *shop) []string { return nil }, fault.Invalid},
		{"add a variant", func(ctx context.Context, s *shop) error {
			_, err := s.cat.AddVariant(ctx, s.linen, catalog.NewVariant{SKU: "L-M", PriceCents: 100, Stock: 1})
			return err
		}, func(s *shop) []string { return []string{p(s.linen)} }, ""},
		{"add a variant to a draft", func(ctx context.Context, s *shop) error {
			_, err := s.cat.AddVariant(ctx, s.pan, catalog.NewVariant{SKU: "P-2", PriceCents: 100})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"a duplicate SKU is refused", func(ctx context.Context, s *shop) error {
			_, err := s.cat.AddVariant(ctx, s.linen, catalog.NewVariant{SKU: "O-1", PriceCents: 100})
			return err
		}, func(s *shop) []string { return nil }, fault.Invalid},
		{"create a product among the newest", func(ctx context.Context, s *shop) error {
			_, err := s.cat.CreateProduct(ctx, catalog.NewProduct{Name: "Sale Mug", CategoryIDs: []int64{s.sale},
				CreatedAt: base.Add(100 * time.Hour), Variants: []catalog.NewVariant{{SKU: "M-1", PriceCents: 500}}})
			return err
		}, func(s *shop) []string {
			return []string{c(s.sale), "home", fmt.Sprintf("product-%d", s.pan+catalog.HomeShelf+1)}
		}, ""},
		{"create an old product", func(ctx context.Context, s *shop) error {
			return s.create(ctx, catalog.NewProduct{Name: "Old Shirt", CategoryIDs: []int64{s.shirts},
				CreatedAt: base.Add(-time.Hour), Variants: []catalog.NewVariant{{SKU: "OS-1", PriceCents: 500}}})
		}, func(s *shop) []string { return []string{c(s.clothing), c(s.shirts), p(s.created)} }, ""},
		{"create a draft", func(ctx context.Context, s *shop) error {
			_, err := s.cat.CreateProduct(ctx, catalog.NewProduct{Name: "Secret", Status: "draft", CategoryIDs: []int64{s.shirts},
				Variants: []catalog.NewVariant{{SKU: "S-1", PriceCents: 500}}})
			return err
		}, func(s *shop) []string { return nil }, ""},
		{"create a category", func(ctx context.Context, s *shop) error {
			_, err := s.cat.CreateCategory(ctx, catalog.NewCategory{Name: "Ties", ParentID: s.clothing})
			return err
		}, func(s *shop) []string { return []string{"categories"} }, ""},
		{"rename a category", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateCategory(ctx, s.shirts, catalog.CategoryPatch{Name: ptr("Tops"), Slug: ptr("tops")})
			return err
		}, func(s *shop) []string { return []string{"categories", c(s.shirts)} }, ""},
		{"reorder a category", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateCategory(ctx, s.kitchen, catalog.CategoryPatch{Position: ptr(-1)})
			return err
		}, func(s *shop) []string { return []string{"categories"} }, ""},
		{"move a category with products", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateCategory(ctx, s.shirts, catalog.CategoryPatch{ParentID: ptr(s.kitchen)})
			return err
		}, func(s *shop) []string { return []string{"categories", c(s.clothing), c(s.kitchen), c(s.shirts)} }, ""},
		{"move an empty category", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateCategory(ctx, s.sale, catalog.CategoryPatch{ParentID: ptr(s.kitchen)})
			return err
		}, func(s *shop) []string { return []string{"categories", c(s.sale)} }, ""},
		{"moving a category under its own subcategory is refused", func(ctx context.Context, s *shop) error {
			_, err := s.cat.UpdateCategory(ctx, s.clothing, catalog.CategoryPatch{ParentID: ptr(s.shirts)})
			return err
		}, func(s *shop) []string { return nil }, fault.Invalid},
		{"delete an empty category", func(ctx context.Context, s *shop) error {
			return s.cat.DeleteCategory(ctx, s.sale)
		}, func(s *shop) []string { return []string{"categories", c(s.sale)} }, ""},
		{"delete a category with products", func(ctx context.Context, s *shop) error {
			return s.cat.DeleteCategory(ctx, s.shirts)
		}, func(s *shop) []string {
			return []string{"categories", c(s.clothing), c(s.shirts), p(s.linen), p(s.oxford)}
		}, ""},
		{"deleting a category with subcategories is refused", func(ctx context.Context, s *shop) error {
			return s.cat.DeleteCategory(ctx, s.clothing)
		}, func(s *shop) []string { return nil }, fault.Conflict},
	}
	names := make([]string, len(cases))
	for i, tc := range cases {
		names[i] = tc.name
	}
	eachFreshShop(t, names, func(t *testing.T, i int, s *shop) {
		tc := cases[i]
		seq := head(t, s.db)
		err := tc.change(context.Background(), s)
		if fault.CodeOf(err) != tc.refused && (tc.refused != "" || err != nil) {
			t.Fatalf("err = %v, want %q", err, tc.refused)
		}
		want := tc.want(s)
		slices.Sort(want)
		if got := tagsSince(t, s.db, seq); !slices.Equal(got, want) {
			t.Errorf("purged %q, want %q", got, want)
		}
		checkDenormalized(t, s)
	})
}

// eachFreshShop runs fn for each case, as parallel subtests dialect/name,
// each on a fresh shop (a schema of its own on PostgreSQL), so cases
// cannot see each other's changes.
func eachFreshShop(t *testing.T, names []string, fn func(t *testing.T, i int, s *shop)) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			for i, name := range names {
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					fn(t, i, newShop(t, storetest.Open(t, d)))
				})
			}
		})
	}
}

func (s *shop) create(ctx context.Context, np catalog.NewProduct) error {
	p, err := s.cat.CreateProduct(ctx, np)
	if err == nil {
		s.created = p.ID
	}
	return err
}

// checkDenormalized checks every product's listing columns against its
// variants, images and categories: what every writer must keep current.
func checkDenormalized(t *testing.T, s *shop) {
	t.Helper()
	ctx := context.Background()
	paths := map[int64]string{}
	rows, err := s.db.Query(ctx, `SELECT id, path FROM categories`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var path string
		if err := rows.Scan(&id, &path); err != nil {
			t.Fatal(err)
		}
		paths[id] = path
	}
	rows.Close()
	res, err := s.cat.AdminList(ctx, catalog.AdminQuery{PerPage: catalog.MaxPerPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range res.Items {
		p, err := s.cat.ProductByID(ctx, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		price, stock := p.Variants[0].PriceCents, 0
		for _, v := range p.Variants {
			price, stock = min(price, v.PriceCents), stock+v.Stock
		}
		image := ""
		if len(p.Images) > 0 {
			image = p.Images[0].Key
		}
		if p.PriceCents != price || p.Stock != stock || p.ImageKey != image {
			t.Errorf("%s: price %d, stock %d, image %q; variants and images say %d, %d, %q",
				p.Slug, p.PriceCents, p.Stock, p.ImageKey, price, stock, image)
		}
		var rank int
		var nameKey string
		var featured bool
		if err := s.db.QueryRow(ctx, `SELECT rank, name_key, featured FROM products WHERE id = $1`, p.ID).
			Scan(&rank, &nameKey, &featured); err != nil {
			t.Fatal(err)
		}
		if nameKey != catalog.NameKey(p.Name) || (rank < 0) != featured {
			t.Errorf("%s: name_key %q, rank %d for name %q, featured %v", p.Slug, nameKey, rank, p.Name, featured)
		}
		var want []string
		if p.Status == "active" {
			for _, cid := range p.CategoryIDs {
				for a, path := range paths {
					if strings.HasPrefix(paths[cid], path) {
						want = append(want, fmt.Sprintf("%d %d %d %s", a, rank, price, nameKey))
					}
				}
			}
		}
		slices.Sort(want)
		want = slices.Compact(want)
		var got []string
		rows, err := s.db.Query(ctx, `SELECT category_id, rank, price_cents, name_key, created_at FROM category_listing WHERE product_id = $1`, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var cid, lrank, lprice int64
			var lname string
			var created time.Time
			if err := rows.Scan(&cid, &lrank, &lprice, &lname, &created); err != nil {
				t.Fatal(err)
			}
			if !created.Equal(p.CreatedAt) {
				t.Errorf("%s: listed with created_at %v, product has %v", p.Slug, created, p.CreatedAt)
			}
			got = append(got, fmt.Sprintf("%d %d %d %s", cid, lrank, lprice, lname))
		}
		rows.Close()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: category_listing %q, want %q", p.Slug, got, want)
		}
	}
}

// TestConcurrentVariantEditsKeepTheProductTotals: staff (or scripts) editing
// the variants of one product at once still leave the product's price the
// lowest variant price and its stock the sum, and its listings in step.
func TestConcurrentVariantEditsKeepTheProductTotals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		ctx := context.Background()
		var variants []int64
		for i := range 6 {
			v, err := s.cat.AddVariant(ctx, s.linen, catalog.NewVariant{SKU: fmt.Sprintf("L-%d", i), PriceCents: 5000, Stock: 1})
			if err != nil {
				t.Fatal(err)
			}
			variants = append(variants, v.ID)
		}
		var wg sync.WaitGroup
		errs := make(chan error, len(variants))
		for i, id := range variants {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for round := range 5 {
					_, err := s.cat.UpdateVariant(ctx, id, catalog.VariantPatch{
						PriceCents: ptr(int64(1000 + 100*i + round)), Stock: ptr(i*10 + round)})
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		checkDenormalized(t, s)
		p, err := s.cat.ProductByID(ctx, s.linen)
		if err != nil {
			t.Fatal(err)
		}
		if p.PriceCents != 1004 {
			t.Errorf("price %d, want 1004 (the lowest variant's last price)", p.PriceCents)
		}
	})
}

func TestAdminListFindsEveryStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newShop(t, db)
		ctx := context.Background()
		if _, err := s.cat.UpdateProduct(ctx, s.oxford, catalog.ProductPatch{Status: ptr("archived")}); err != nil {
			t.Fatal(err)
		}
		names := func(q catalog.AdminQuery) []string {
			t.Helper()
			res, err := s.cat.AdminList(ctx, q)
			if err != nil {
				t.Fatalf("%+v: %v", q, err)
			}
			var out []string
			for _, it := range res.Items {
				out = append(out, it.Slug+":"+it.Status)
			}
			if res.Total != len(out) {
				t.Errorf("%+v: total %d for %d items", q, res.Total, len(out))
			}
			return out
		}
		cases := []struct {
			name string
			q    catalog.AdminQuery
			want []string
		}{
			{"a word", catalog.AdminQuery{Query: "shirt"}, []string{"oxford-shirt:archived", "linen-shirt:active"}},
			{"a SKU", catalog.AdminQuery{Query: "P-1"}, []string{"cast-iron-pan:draft"}},
			{"drafts", catalog.AdminQuery{Status: "draft"}, []string{"cast-iron-pan:draft"}},
			{"a category with its subcategories, any status", catalog.AdminQuery{CategoryID: s.clothing},
				[]string{"oxford-shirt:archived", "linen-shirt:active"}},
			{"a word and a status", catalog.AdminQuery{Query: "shirt", Status: "active"}, []string{"linen-shirt:active"}},
			{"nothing matches", catalog.AdminQuery{Query: "zebra"}, nil},
		}
		for _, c := range cases {
			if got := names(c.q); !slices.Equal(got, c.want) {
				t.Errorf("%s: %q, want %q", c.name, got, c.want)
			}
		}
		for _, bad := range []catalog.AdminQuery{{Status: "gone"}, {Query: "a\x00b"}, {Query: "\xff"}, {Page: -1}} {
			if _, err := s.cat.AdminList(ctx, bad); fault.CodeOf(err) != fault.Invalid {
				t.Errorf("%+v: err %v, want invalid", bad, err)
			}
		}
	})
}
