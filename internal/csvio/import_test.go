package csvio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/fault"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

func countProducts(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM products`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// existing adds the product "existing" with the SKU EXIST-1.
func existing(t *testing.T, db *store.DB) {
	t.Helper()
	_, err := catalog.New(db).CreateProduct(context.Background(), catalog.NewProduct{
		Slug: "existing", Name: "Existing Mug",
		Variants: []catalog.NewVariant{{SKU: "EXIST-1", PriceCents: 900, Stock: 3}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// good is a valid row of its own product; bad files add it so that a
// refusal visibly refuses the good rows too.
const good = "good-tee,Good Tee,,,,,,GOOD-1,,,,,,9.99,EUR,5,\n"

func TestImportRefusesBadFiles(t *testing.T) {
	t.Parallel()
	type want struct {
		row    int
		column string
		text   string
	}
	cases := []struct {
		name string
		file string
		want []want
	}{
		{"unknown column", "handle,name,colour,sku,price\nx,X,red,X-1,1\n",
			[]want{{1, "", `Unknown columns "colour": the columns are handle, name, description`}}},
		{"missing columns", "handle,name,stock\nx,X,1\n",
			[]want{{1, "", "Missing required columns: sku, price."}}},
		{"column given twice", "handle,name,sku,price,price\nx,X,X-1,1,2\n",
			[]want{{1, "", "Columns given twice: price."}}},
		{"semicolons", "handle;name;sku;price\nx;X;X-1;1\n",
			[]want{{1, "", "separated by semicolons"}}},
		{"empty file", "", []want{{1, "", "The file is empty"}}},
		{"UTF-16", "\xff\xfeh\x00a\x00", []want{{1, "", "UTF-16"}}},
		{"Latin-1 text", header + good + "chemise,Chemise brod\xe9e,,,,,,CH-1,,,,,,30.00,EUR,1,\n",
			[]want{{3, "name", "not valid UTF-8"}}},
		{"duplicate SKU in the file", header + good + "mug,Mug,,,,,,GOOD-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "sku", `The SKU "GOOD-1" is also on row 2`}}},
		{"SKU already in the database", header + good + "mug,Mug,,,,,,EXIST-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "sku", `The SKU "EXIST-1" already belongs to the product "existing"`}}},
		{"decimal comma and euro sign", header + good + "mug,Mug,,,,,,MUG-1,,,,,,\"12,5€\",EUR,1,\n",
			[]want{{3, "price", `The price "12,5€" has a currency sign`}}},
		{"decimal comma", header + good + "mug,Mug,,,,,,MUG-1,,,,,,\"12,5\",EUR,1,\n",
			[]want{{3, "price", "uses a comma: write it with a dot, like 12.50"}}},
		{"price not a number", header + good + "mug,Mug,,,,,,MUG-1,,,,,,abc,EUR,1,\n",
			[]want{{3, "price", `The price "abc" is not a number`}}},
		{"negative price", header + good + "mug,Mug,,,,,,MUG-1,,,,,,-3,EUR,1,\n",
			[]want{{3, "price", "cannot be negative"}}},
		{"three decimals", header + good + "mug,Mug,,,,,,MUG-1,,,,,,1.999,EUR,1,\n",
			[]want{{3, "price", "more than two decimals"}}},
		{"stock in words", header + good + "mug,Mug,,,,,,MUG-1,,,,,,1.00,EUR,ten,\n",
			[]want{{3, "stock", `The stock "ten" is not a whole number`}}},
		{"missing name", header + good + "mug,,,,,,,MUG-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "name", "The name is required"}}},
		{"5,000-character name", header + good + "mug," + strings.Repeat("é", 5000) + ",,,,,,MUG-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "name", "too long: 5000 characters, at most 200"}}},
		{"unknown category", header + good + "mug,Mug,,,,,Clothing > Kids,MUG-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "categories", `Unknown category "Clothing > Kids"`}}},
		{"handle that is not a slug", header + good + "Linen Shirt,Linen Shirt,,,,,,LS-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "handle", `like "linen-shirt"`}}},
		{"path as an image", header + good + "mug,Mug,,,,,,MUG-1,,,,,,5.00,EUR,1,../../etc/passwd\n",
			[]want{{3, "images", `"../../etc/passwd" is not a media key`}}},
		{"product column that differs", header + good + "mug,Mug,,,,,,MUG-1,,,,,,5.00,EUR,1,\nmug,Cup,,,,,,MUG-2,,,,,,5.00,EUR,1,\n",
			[]want{{4, "name", "differs from row 3"}}},
		{"blank handle", header + good + ",Mug,,,,,,MUG-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "handle", "The handle is required on every row"}}},
		{"too few cells", header + good + "mug,Mug,,MUG-1\n",
			[]want{{3, "", "The row has 4 cells but the header has 17"}}},
		{"broken quoting", header + good + "mug,Mug \"the\" best,,,,,,MUG-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "", "not valid CSV"}}},
		{"unknown status", header + good + "mug,Mug,,,sold,,,MUG-1,,,,,,5.00,EUR,1,\n",
			[]want{{3, "status", `"sold" is not one of active, draft or archived`}}},
		{"option value without a name", header + good + "mug,Mug,,,,,,MUG-1,,,Red,,,5.00,EUR,1,\n",
			[]want{{3, "option1_name", "required when option1_value is given"}}},
		{"two currencies", header + good + "mug,Mug,,,,,,MUG-1,,,,,,5.00,EUR,1,\nmug,,,,,,,MUG-2,,,,,,5.00,USD,1,\n",
			[]want{{4, "currency", `row 3 has "EUR"`}}},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		makeTree(t, db)
		existing(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				for _, dry := range []bool{false, true} {
					rep, err := csvio.Import(context.Background(), db, strings.NewReader(tc.file), csvio.Options{DryRun: dry})
					if !errors.Is(err, csvio.ErrRefused) || fault.CodeOf(err) != fault.Invalid {
						t.Fatalf("dry run %v: err = %v, want a refusal", dry, err)
					}
					if len(rep.Errors) != len(tc.want) {
						t.Fatalf("dry run %v: errors %v, want %d", dry, rep.Errors, len(tc.want))
					}
					for i, w := range tc.want {
						got := rep.Errors[i]
						if got.Row != w.row || got.Column != w.column || !strings.Contains(got.Message, w.text) {
							t.Errorf("error %d = %s, want row %d, %q, containing %q", i, got, w.row, w.column, w.text)
						}
					}
					if rep.Products != 0 {
						t.Errorf("report says %d products imported", rep.Products)
					}
				}
				if n := countProducts(t, db); n != 1 {
					t.Errorf("%d products in the catalog, want only the existing one", n)
				}
			})
		}
	})
}

func TestImportCreatesProducts(t *testing.T) {
	t.Parallel()
	// Columns in another order and case, a BOM, option names on the first
	// row only, a blank currency, rows of one product apart.
	file := "\ufeffSKU, Handle ,name,price,option1_name,option1_value,categories,images,status,featured,stock,currency,brand,description\n" +
		"LS-S,linen-shirt,Linen Shirt,49.90,Size,S,Clothing > Men > Shirts|home,|" + imageKey + ",,yes,12,,Acme,\"Cool, light\nlinen.\"\n" +
		"MUG-1,mug,Mug,9,,,Home,,draft,,0,usd,,\n" +
		"LS-M,linen-shirt,,52.5,,M,,,,,3,,,\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ids := makeTree(t, db)
		ctx := context.Background()
		rep, err := csvio.Import(ctx, db, strings.NewReader(file), csvio.Options{})
		if err != nil {
			t.Fatalf("import: %v %v", err, rep.Errors)
		}
		if rep.Rows != 3 || rep.Products != 2 || rep.Variants != 3 || rep.Skipped != 0 || len(rep.Errors) != 0 {
			t.Errorf("report %+v", rep)
		}
		p, err := catalog.New(db).ProductBySlug(ctx, "linen-shirt")
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Linen Shirt" || p.Brand != "Acme" || p.Description != "Cool, light\nlinen." || !p.Featured || p.Stock != 15 || p.PriceCents != 4990 {
			t.Errorf("product %+v", p)
		}
		if len(p.CategoryIDs) != 2 || p.CategoryIDs[0] != min(ids["Clothing > Men > Shirts"], ids["Home"]) {
			t.Errorf("categories %v, want Shirts and Home %v", p.CategoryIDs, ids)
		}
		if len(p.Images) != 1 || p.Images[0].Key != imageKey {
			t.Errorf("images %+v", p.Images)
		}
		if len(p.Variants) != 2 {
			t.Fatalf("variants %+v", p.Variants)
		}
		v := p.Variants[1]
		if v.SKU != "LS-M" || v.PriceCents != 5250 || v.Stock != 3 || v.Currency != "EUR" || v.Name != "Linen Shirt" ||
			len(v.Options) != 1 || v.Options[0] != (catalog.Option{Name: "Size", Value: "M"}) {
			t.Errorf("variant %+v", v)
		}
		// The mug is a draft: not on the storefront, but imported, in USD.
		if _, err := catalog.New(db).ProductBySlug(ctx, "mug"); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("draft mug on the storefront: %v", err)
		}
		var currency, status string
		if err := db.Read.QueryRow(`SELECT currency, status FROM products WHERE slug = 'mug'`).Scan(&currency, &status); err != nil || currency != "USD" || status != "draft" {
			t.Errorf("mug: %s %s %v", currency, status, err)
		}
	})
}

func TestImportSkipInvalidImportsTheGoodProducts(t *testing.T) {
	t.Parallel()
	file := header +
		"tee,Tee,,,,,,TEE-1,,,,,,10.00,EUR,1,\n" +
		"mug,Mug,,,,,,MUG-1,,,,,,5.00,EUR,1,\n" +
		"mug,,,,,,,MUG-2,,,,,,\"12,5€\",EUR,1,\n" + // bad: the whole mug is skipped
		"cap,Cap,,,,,,TEE-1,,,,,,7.00,EUR,1,\n" + // bad: duplicate SKU
		"bag,Bag,,,,,,BAG-1,,,,,,20.00,EUR,1,\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, dry := range []bool{true, false} {
			rep, err := csvio.Import(ctx, db, strings.NewReader(file), csvio.Options{SkipInvalid: true, DryRun: dry})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Rows != 5 || rep.Products != 2 || rep.Variants != 2 || rep.Skipped != 3 {
				t.Errorf("dry run %v: report %+v", dry, rep)
			}
			var got []string
			for _, e := range rep.Errors {
				got = append(got, e.String())
			}
			want := []string{
				`row 3: Skipped with its product "mug": see row 4.`,
				`row 4, price: The price "12,5€" has a currency sign`,
				`row 5, sku: The SKU "TEE-1" is also on row 2`,
			}
			for i := range want {
				if i >= len(got) || !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("dry run %v: errors\n%s\nwant\n%s", dry, strings.Join(got, "\n"), strings.Join(want, "\n"))
					break
				}
			}
			wantCount := map[bool]int{true: 0, false: 2}[dry]
			if n := countProducts(t, db); n != wantCount {
				t.Errorf("dry run %v: %d products in the catalog, want %d", dry, n, wantCount)
			}
		}
		for _, slug := range []string{"tee", "bag"} {
			if _, err := catalog.New(db).ProductBySlug(ctx, slug); err != nil {
				t.Errorf("%s: %v", slug, err)
			}
		}
	})
}

func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		makeTree(t, db)
		rep, err := csvio.Import(context.Background(), db, strings.NewReader(string(generated(30, 2))), csvio.Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Products != 30 || rep.Variants != 60 || len(rep.Errors) != 0 {
			t.Errorf("report %+v", rep)
		}
		if n := countProducts(t, db); n != 0 {
			t.Errorf("a dry run wrote %d products", n)
		}
	})
}

// A SKU taken by someone else between the check and the write: without
// SkipInvalid nothing is imported; with it, only that product is skipped.
// The competing write happens in the progress callback, which Import calls
// between transactions.
func TestImportRaceWithAnotherWriter(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		makeTree(t, db)
		ctx := context.Background()
		file := string(generated(520, 1))
		steal := func(sku string) func(done, total int) {
			return func(done, total int) {
				if done == 0 {
					_, err := catalog.New(db).CreateProduct(ctx, catalog.NewProduct{Name: "Thief " + sku,
						Variants: []catalog.NewVariant{{SKU: sku, PriceCents: 1}}})
					if err != nil {
						t.Error(err)
					}
				}
			}
		}
		_, err := csvio.Import(ctx, db, strings.NewReader(file), csvio.Options{Progress: steal("SH-400-0")})
		if err == nil || !strings.Contains(fault.MessageOf(err), `"SH-400-0" is already used`) {
			t.Errorf("all-or-nothing import after a race: %v", err)
		}
		if n := countProducts(t, db); n != 1 {
			t.Fatalf("%d products, want the thief's alone", n)
		}

		var last [2]int
		rep, err := csvio.Import(ctx, db, strings.NewReader(file), csvio.Options{SkipInvalid: true, Progress: func(done, total int) {
			steal("SH-510-0")(done, total)
			last = [2]int{done, total}
		}})
		if err != nil {
			t.Fatal(err)
		}
		// SH-400-0 is refused by the check, SH-510-0 at the write.
		if rep.Products != 518 || rep.Skipped != 2 || len(rep.Errors) != 2 || rep.Errors[1].Row != 512 ||
			!strings.Contains(rep.Errors[1].Message, `"SH-510-0" is already used`) {
			t.Errorf("report: %d products, %d skipped, %v", rep.Products, rep.Skipped, rep.Errors)
		}
		if last != [2]int{518, 519} {
			t.Errorf("last progress %v, want 518 of 519", last)
		}
	})
}
