package csvio_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// tricky holds what spreadsheets and CSV get wrong: formulas, quotes,
// commas, line breaks, non-Latin text, a quote the merchant typed.
const tricky = "formula,\"=cmd|' /C calc'!A0\",\"+1 more\nline\",@SUM(A1),draft,false,,-X1,,,,,,0.50,EUR,0,\n" +
	"quoted,'=literally,\"He said \"\"hi\"\", then left\",,archived,true,Clothing > Women,Q-1,\"Big, blue\",Size,XL,Fit,Slim,1234.05,USD,7,\n" +
	"creme,Crème brûlée 🍮,,,,,Home|Clothing,CR-1,,,,,,3,EUR,2,\n" +
	"creme,,,,,,,CR-2,Large,Size,L,,,4,EUR,0,\n"

func export(t *testing.T, db *store.DB) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := csvio.Export(context.Background(), db, &b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		makeTree(t, db)
		file := append(generated(40, 3), tricky...)
		if rep, err := csvio.Import(ctx, db, bytes.NewReader(file), csvio.Options{}); err != nil {
			t.Fatalf("import: %v %v", err, rep.Errors)
		}
		first := export(t, db)

		fresh := storetest.Open(t, db.Dialect)
		makeTree(t, fresh)
		rep, err := csvio.Import(ctx, fresh, bytes.NewReader(first), csvio.Options{})
		if err != nil {
			t.Fatalf("import of the export: %v %v", err, rep.Errors)
		}
		if rep.Products != 43 || rep.Variants != 124 {
			t.Errorf("report %+v", rep)
		}
		if second := export(t, fresh); !bytes.Equal(first, second) {
			t.Errorf("export → import → export differs:\n%s\n---\n%s", first, second)
		}
		// What came back is what went in, not its escaped form.
		var name, brand, sku string
		err = fresh.Read.QueryRow(`SELECT p.name, p.brand, v.sku FROM products p JOIN variants v ON v.product_id = p.id WHERE p.slug = 'formula'`).Scan(&name, &brand, &sku)
		if err != nil || name != "=cmd|' /C calc'!A0" || brand != "@SUM(A1)" || sku != "-X1" {
			t.Errorf("formula product: %q %q %q %v", name, brand, sku, err)
		}
		if err := fresh.Read.QueryRow(`SELECT name FROM products WHERE slug = 'quoted'`).Scan(&name); err != nil || name != "=literally" {
			t.Errorf("quoted product: %q %v", name, err)
		}
	})
}

func TestExportIsSafeInSpreadsheets(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		makeTree(t, db)
		if rep, err := csvio.Import(context.Background(), db, strings.NewReader(header+tricky), csvio.Options{}); err != nil {
			t.Fatalf("import: %v %v", err, rep.Errors)
		}
		out := export(t, db)
		if !bytes.HasPrefix(out, []byte("\ufeffhandle,name,")) {
			t.Errorf("export starts %q, want a BOM and the header", out[:20])
		}
		recs, err := csv.NewReader(bytes.NewReader(out[3:])).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range recs {
			for _, cell := range rec {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("cell %q would run as a formula", cell)
				}
			}
		}
		want := map[string]string{
			"name":  "'=cmd|' /C calc'!A0",
			"brand": "'@SUM(A1)",
			"sku":   "'-X1",
		}
		formula := recs[1]
		for i, col := range csvio.Columns {
			if w, ok := want[col]; ok && formula[i] != w {
				t.Errorf("%s = %q, want %q", col, formula[i], w)
			}
		}
		// A product's columns are on its first row only.
		creme2 := recs[len(recs)-1]
		if creme2[0] != "creme" || creme2[1] != "" || creme2[6] != "" || creme2[7] != "CR-2" || creme2[13] != "4.00" {
			t.Errorf("second creme row %q", creme2)
		}
		if got := recs[len(recs)-2][6]; got != "Clothing|Home" {
			t.Errorf("categories %q, want sorted full paths", got)
		}
	})
}

func TestExportRefusesWhatTheFormatCannotHold(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		_, err := catalog.New(db).CreateProduct(context.Background(), catalog.NewProduct{Name: "Cube",
			Variants: []catalog.NewVariant{{SKU: "CUBE-1", PriceCents: 100, Options: []catalog.Option{{Name: "Size", Value: "S"}, {Name: "Colour", Value: "Red"}, {Name: "Finish", Value: "Matte"}}}}})
		if err != nil {
			t.Fatal(err)
		}
		err = csvio.Export(context.Background(), db, new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), `"CUBE-1" has 3 options`) {
			t.Errorf("export of a 3-option variant: %v", err)
		}
	})
}
