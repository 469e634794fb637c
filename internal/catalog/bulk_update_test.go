package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/fault"
)

// TestUpdateManyAppliesABatchAsOne pins what a CSV update batch
// (catalog.UpdateMany, issue 16) does, whatever the statements behind it:
// the tags of every change in one deduplicated purge entry, stock set as of
// the import's start, and a batch with one bad change writes nothing.
func TestUpdateManyAppliesABatchAsOne(t *testing.T) {
	p := func(id int64) string { return fmt.Sprintf("product-%d", id) }
	c := func(id int64) string { return fmt.Sprintf("category-%d", id) }
	type (
		vu = catalog.VariantUpdate
		pu = catalog.ProductUpdate
	)
	cases := []struct {
		name string
		// before runs first, outside the batch: a shopper's sale while
		// the import runs.
		before  func(ctx context.Context, s *shop) error
		updates func(t *testing.T, s *shop) []catalog.ProductUpdate
		want    func(s *shop) []string
		refused fault.Code           // the batch fails with this code and changes nothing
		names   func(s *shop) string // what the error of a refused batch names
		check   func(t *testing.T, s *shop)
	}{
		{name: "prices purge each active product once, drafts not at all",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3500))}},
						{ID: s.linenL, Patch: catalog.VariantPatch{PriceCents: ptr(int64(4500))}}}},
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(5000))}}}},
					{ID: s.pan, Variants: []vu{{ID: s.panV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3000))}}}},
				}
			},
			want: func(s *shop) []string { return []string{p(s.linen), p(s.oxford)} },
			check: func(t *testing.T, s *shop) {
				wantVariant(t, s, s.linenS, "L-S", 3500, 20)
				wantVariant(t, s, s.linenL, "L-L", 4500, 0)
				wantVariant(t, s, s.oxfordV, "O-1", 5000, 3)
				wantVariant(t, s, s.panV, "P-1", 3000, 9)
			}},
		{name: "every price and stock, as the CSV benchmark changes them",
			updates: everyVariant,
			want: func(s *shop) []string {
				var want []string
				for id := s.linen; id <= s.pan+catalog.HomeShelf; id++ {
					if id != s.pan { // a draft
						want = append(want, p(id))
					}
				}
				return want
			}},
		{name: "stock within its class purges nothing",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: stockPatch(25, 20)}}}}
			},
			want:  func(s *shop) []string { return nil },
			check: func(t *testing.T, s *shop) { wantVariant(t, s, s.linenS, "L-S", 3900, 25) }},
		{name: "stock crossing a class purges that product only",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: stockPatch(19, 20)}}},
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: stockPatch(10, 3)}}},
				}
			},
			want: func(s *shop) []string { return []string{p(s.oxford)} },
			check: func(t *testing.T, s *shop) {
				wantVariant(t, s, s.linenS, "L-S", 3900, 19)
				wantVariant(t, s, s.oxfordV, "O-1", 4900, 10)
			}},
		{name: "a sale during the import is taken off the file's level",
			before: func(ctx context.Context, s *shop) error {
				_, err := s.cat.UpdateVariant(ctx, s.linenS, catalog.VariantPatch{Stock: ptr(17)})
				return err
			},
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: stockPatch(30, 20)}}}}
			},
			want:  func(s *shop) []string { return nil },
			check: func(t *testing.T, s *shop) { wantVariant(t, s, s.linenS, "L-S", 3900, 27) }},
		{name: "more sold meanwhile than the file's level leaves none, and purges",
			before: func(ctx context.Context, s *shop) error {
				_, err := s.cat.UpdateVariant(ctx, s.oxfordV, catalog.VariantPatch{Stock: ptr(1)})
				return err
			},
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: stockPatch(2, 3)}}}}
			},
			want:  func(s *shop) []string { return []string{p(s.oxford)} },
			check: func(t *testing.T, s *shop) { wantVariant(t, s, s.oxfordV, "O-1", 4900, 0) }},
		{name: "a negative level as of the start is taken as none",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: stockPatch(-1, 3)}}}}
			},
			want:  func(s *shop) []string { return []string{p(s.oxford)} },
			check: func(t *testing.T, s *shop) { wantVariant(t, s, s.oxfordV, "O-1", 4900, 0) }},
		{name: "category moves and a price: every tag once",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Patch: catalog.ProductPatch{CategoryIDs: &[]int64{s.kitchen}},
						Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3000))}}}},
					{ID: s.oxford, Patch: catalog.ProductPatch{CategoryIDs: &[]int64{s.kitchen}}},
				}
			},
			want: func(s *shop) []string {
				return []string{c(s.clothing), c(s.kitchen), c(s.shirts), p(s.linen), p(s.oxford)}
			}},
		{name: "archive one product, reprice another",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Patch: catalog.ProductPatch{Status: ptr("archived")}},
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(100))}}}},
				}
			},
			want: func(s *shop) []string { return []string{c(s.clothing), c(s.shirts), p(s.linen), p(s.oxford)} }},
		{name: "a new variant and new options reach the facets",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.linen,
					Variants:    []vu{{ID: s.linenL, Patch: catalog.VariantPatch{Options: &[]catalog.Option{{Name: "Size", Value: "L"}}}}},
					NewVariants: []catalog.NewVariant{{SKU: "L-M", PriceCents: 100, Stock: 1, Options: []catalog.Option{{Name: "Size", Value: "M"}}}}}}
			},
			want: func(s *shop) []string { return []string{p(s.linen)} },
			check: func(t *testing.T, s *shop) {
				if got, want := productOptions(t, s, s.linen), []string{"size=L", "size=M"}; !slices.Equal(got, want) {
					t.Errorf("product_options %q, want %q", got, want)
				}
			}},
		{name: "sku, name, options and price of one variant",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.linen, Variants: []vu{{ID: s.linenL, Patch: catalog.VariantPatch{SKU: ptr("L-XL"),
					Name: ptr("Extra large"), PriceCents: ptr(int64(4600)), Options: &[]catalog.Option{{Name: "size", Value: "XL"}}}}}}}
			},
			want: func(s *shop) []string { return []string{p(s.linen)} },
			check: func(t *testing.T, s *shop) {
				wantVariant(t, s, s.linenL, "L-XL", 4600, 0)
				if got, want := productOptions(t, s, s.linen), []string{"size=XL"}; !slices.Equal(got, want) {
					t.Errorf("product_options %q, want %q", got, want)
				}
			}},
		{name: "unchanged values write nothing",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3900)),
					Stock: ptr(20), StockSince: ptr(20)}}}}}
			},
			want: func(s *shop) []string { return nil }},
		{name: "a bad variant fails the whole batch",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3000))}}}},
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(-1))}}}},
				}
			},
			refused: fault.Invalid,
			names:   func(s *shop) string { return fmt.Sprintf("product %d, variant %d", s.oxford, s.oxfordV) }},
		{name: "a negative stock alone fails the whole batch",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3000))}}}},
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: catalog.VariantPatch{Stock: ptr(-1)}}}},
				}
			},
			refused: fault.Invalid},
		{name: "a SKU taken by another variant fails the whole batch",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(100))}}}},
					{ID: s.linen, Variants: []vu{{ID: s.linenL, Patch: catalog.VariantPatch{SKU: ptr("O-1")}}}},
				}
			},
			refused: fault.Invalid},
		{name: "an unknown variant fails the whole batch",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3000))}}}},
					{ID: s.oxford, Variants: []vu{{ID: 999999, Patch: catalog.VariantPatch{PriceCents: ptr(int64(1))}}}},
				}
			},
			refused: fault.NotFound},
		{name: "another product's variant fails the whole batch",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.oxford, Variants: []vu{{ID: s.oxfordV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(100))}}}},
					{ID: s.linen, Variants: []vu{{ID: s.panV, Patch: catalog.VariantPatch{PriceCents: ptr(int64(1))}}}},
				}
			},
			refused: fault.Internal,
			names:   func(s *shop) string { return fmt.Sprintf("product %d, variant %d", s.linen, s.panV) }},
		{name: "a bad product patch fails the whole batch",
			updates: func(_ *testing.T, s *shop) []pu {
				return []pu{
					{ID: s.linen, Variants: []vu{{ID: s.linenS, Patch: catalog.VariantPatch{PriceCents: ptr(int64(3000))}}}},
					{ID: s.oxford, Patch: catalog.ProductPatch{Status: ptr("gone")}},
				}
			},
			refused: fault.Invalid,
			names:   func(s *shop) string { return fmt.Sprintf("product %d", s.oxford) }},
	}
	names := make([]string, len(cases))
	for i, tc := range cases {
		names[i] = tc.name
	}
	eachFreshShop(t, names, func(t *testing.T, i int, s *shop) {
		tc := cases[i]
		ctx := context.Background()
		if tc.before != nil {
			if err := tc.before(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		seq := head(t, s.db)
		was := variantRows(t, s)
		tags, err := s.cat.UpdateMany(ctx, tc.updates(t, s))
		if tc.refused != "" {
			if fault.CodeOf(err) != tc.refused {
				t.Fatalf("err = %v, want %q", err, tc.refused)
			}
			if tc.names != nil && !strings.Contains(err.Error(), tc.names(s)) {
				t.Errorf("err = %v, want it to name %q", err, tc.names(s))
			}
			if got := tagsSince(t, s.db, seq); got != nil {
				t.Errorf("a failed batch purged %q", got)
			}
			if now := variantRows(t, s); !slices.Equal(now, was) {
				t.Errorf("a failed batch changed the variants:\n%q\nwas\n%q", now, was)
			}
			checkDenormalized(t, s)
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		want := tc.want(s)
		slices.Sort(want)
		got := tagsSince(t, s.db, seq)
		if !slices.Equal(got, want) {
			t.Errorf("purged %q, want %q", got, want)
		}
		slices.Sort(tags)
		if !slices.Equal(tags, got) {
			t.Errorf("UpdateMany returned %q, purged %q", tags, got)
		}
		checkDenormalized(t, s)
		if tc.check != nil {
			tc.check(t, s)
		}
	})
}

// everyVariant raises every variant's price by 10% and its stock by one,
// one update per product.
func everyVariant(t *testing.T, s *shop) []catalog.ProductUpdate {
	rows, err := s.db.Query(context.Background(), `SELECT id, product_id, price_cents, stock FROM variants ORDER BY product_id, id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []catalog.ProductUpdate
	for rows.Next() {
		var id, product, price int64
		var stock int
		if err := rows.Scan(&id, &product, &price, &stock); err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 || out[len(out)-1].ID != product {
			out = append(out, catalog.ProductUpdate{ID: product})
		}
		u := &out[len(out)-1]
		u.Variants = append(u.Variants, catalog.VariantUpdate{ID: id, Patch: catalog.VariantPatch{
			PriceCents: ptr(price * 11 / 10), Stock: ptr(stock + 1), StockSince: ptr(stock)}})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stockPatch sets the stock to level, as of a read that saw since.
func stockPatch(level, since int) catalog.VariantPatch {
	return catalog.VariantPatch{Stock: &level, StockSince: &since}
}

func wantVariant(t *testing.T, s *shop, id int64, sku string, price int64, stock int) {
	t.Helper()
	var gotSKU string
	var gotPrice int64
	var gotStock int
	if err := s.db.QueryRow(context.Background(), `SELECT sku, price_cents, stock FROM variants WHERE id = $1`, id).
		Scan(&gotSKU, &gotPrice, &gotStock); err != nil {
		t.Fatal(err)
	}
	if gotSKU != sku || gotPrice != price || gotStock != stock {
		t.Errorf("variant %d: %s %d ×%d, want %s %d ×%d", id, gotSKU, gotPrice, gotStock, sku, price, stock)
	}
}

// variantRows is every variant as text, in id order.
func variantRows(t *testing.T, s *shop) []string {
	t.Helper()
	rows, err := s.db.Query(context.Background(), `SELECT id, sku, name, options, price_cents, stock FROM variants ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, price, stock int64
		var sku, name, opts string
		if err := rows.Scan(&id, &sku, &name, &opts, &price, &stock); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d %s %s %s %d %d", id, sku, name, opts, price, stock))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// productOptions is product id's rows of product_options, "name=value",
// sorted: what the facets count.
func productOptions(t *testing.T, s *shop, id int64) []string {
	t.Helper()
	rows, err := s.db.Query(context.Background(), `SELECT name, value FROM product_options WHERE product_id = $1`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name, value string
		if err := rows.Scan(&name, &value); err != nil {
			t.Fatal(err)
		}
		out = append(out, name+"="+value)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}
