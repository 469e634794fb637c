package main_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

// csvHeader is a file's header without the attributes column, as exports
// wrote it before issue 15 added it: such files still import.
const csvHeader = "handle,name,description,brand,status,featured,categories,sku,variant_name,option1_name,option1_value,option2_name,option2_value,price,currency,stock,images\n"

// exportHeader is the header agora export writes.
const exportHeader = "handle,name,description,brand,status,featured,categories,sku,variant_name,option1_name,option1_value,option2_name,option2_value,price,currency,stock,images,attributes\n"

func writeCSV(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// exportedSKUs runs agora export and returns the SKUs of its rows.
func exportedSKUs(t *testing.T, db string) []string {
	t.Helper()
	code, out, errOut := run(t, "export", "--db", db)
	if code != 0 || !strings.HasPrefix(out, "\ufeff"+exportHeader) {
		t.Fatalf("agora export: exit %d\n%s\n%s", code, out, errOut)
	}
	var skus []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n")[1:] {
		skus = append(skus, strings.Split(line, ",")[7])
	}
	return skus
}

func TestImportCommand(t *testing.T) {
	t.Parallel()
	good := csvHeader +
		"linen-shirt,Linen Shirt,Light.,Acme,,,,LS-S,,Size,S,,,49.90,EUR,12,\n" +
		"linen-shirt,,,,,,,LS-M,,Size,M,,,49.90,EUR,3,\n" +
		"mug,Mug,,,draft,,,MUG-1,,,,,,9.00,EUR,0,\n"
	var bad strings.Builder
	bad.WriteString(csvHeader)
	for i := range 60 {
		fmt.Fprintf(&bad, "p-%d,Product %d,,,,,,P-%d,,,,,,\"12,5€\",EUR,1,\n", i, i, i)
	}
	mixed := csvHeader +
		"cap,Cap,,,,,,CAP-1,,,,,,7.00,EUR,1,\n" +
		"bag,Bag,,,,,,BAG-1,,,,,,abc,EUR,1,\n"

	for _, dialect := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(dialect), func(t *testing.T) {
			t.Parallel()
			db := storetest.URL(t, dialect)
			if code, _, errOut := run(t, "migrate", "--db", db); code != 0 {
				t.Fatalf("migrate: %s", errOut)
			}
			goodFile := writeCSV(t, "good.csv", good)

			// A dry run, flags after the file: checked, nothing written.
			code, out, errOut := run(t, "import", goodFile, "--dry-run", "--db", db)
			if code != 0 || !strings.Contains(out, "would create 2 products (3 variants), update 0") || !strings.Contains(out, "+ linen-shirt: new product, 2 variants") {
				t.Errorf("dry run: exit %d\n%s\n%s", code, out, errOut)
			}
			if skus := exportedSKUs(t, db); len(skus) != 0 {
				t.Errorf("a dry run wrote %v", skus)
			}

			// 60 bad rows: the first 50 listed, the rest counted, nothing written.
			code, _, errOut = run(t, "import", "--db", db, writeCSV(t, "bad.csv", bad.String()))
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if code != 1 || len(lines) != 52 ||
				!strings.HasPrefix(lines[0], `row 2, price: The price "12,5€" has a currency sign`) ||
				lines[50] != "… and 10 more problems" ||
				!strings.Contains(lines[51], "nothing was imported") {
				t.Errorf("bad file: exit %d, %d lines\n%s", code, len(lines), errOut)
			}

			code, out, errOut = run(t, "import", goodFile, "--db", db)
			if code != 0 || !strings.Contains(out, "created 2 products (3 variants)") || errOut != "" {
				t.Errorf("import: exit %d\n%s\n%s", code, out, errOut)
			}
			if skus := exportedSKUs(t, db); strings.Join(skus, " ") != "LS-S LS-M MUG-1" {
				t.Errorf("exported SKUs %v", skus)
			}

			// Again: every product is there as the file says.
			code, out, errOut = run(t, "import", goodFile, "--db", db)
			if code != 0 || !strings.Contains(out, "created 0 products (0 variants), updated 0, archived 0, 2 unchanged") {
				t.Errorf("second import: exit %d\n%s\n%s", code, out, errOut)
			}
			// An update: the export with one price changed, dry run first.
			_, exported, _ := run(t, "export", "--db", db)
			edited := strings.Replace(exported, ",LS-M,", ",LS-L,", 1) // a new SKU: a new variant
			edited = strings.Replace(edited, ",Size,M,", ",Size,L,", 1)
			edited = strings.Replace(edited, ",9.00,EUR,0,", ",9.50,EUR,0,", 1)
			editedFile := writeCSV(t, "edited.csv", edited)
			code, out, errOut = run(t, "import", editedFile, "--dry-run", "--update-only", "--db", db)
			if code != 0 || !strings.Contains(out, `~ mug MUG-1: price "9.00" → "9.50"`) || !strings.Contains(out, "+ linen-shirt LS-L: new variant") ||
				!strings.Contains(out, "update 2, archive 0, leave 0 as they are") {
				t.Errorf("dry run of an update: exit %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = run(t, "import", editedFile, "--update-only", "--db", db)
			if code != 0 || !strings.Contains(out, "updated 2") {
				t.Errorf("update: exit %d\n%s\n%s", code, out, errOut)
			}
			if _, again, _ := run(t, "export", "--db", db); !strings.Contains(again, ",9.50,EUR,0,") || !strings.Contains(again, ",LS-L,") || !strings.Contains(again, ",LS-M,") {
				t.Errorf("after the update, the export shows:\n%s", again)
			}

			code, out, errOut = run(t, "import", "--skip-invalid", "--db", db, writeCSV(t, "mixed.csv", mixed))
			if code != 1 || !strings.Contains(out, "created 1 product (1 variant)") ||
				!strings.Contains(errOut, `row 3, price: The price "abc" is not a number`) ||
				!strings.Contains(errOut, "1 of 2 rows were skipped") {
				t.Errorf("skip invalid: exit %d\n%s\n%s", code, out, errOut)
			}
			if skus := exportedSKUs(t, db); len(skus) != 5 || skus[4] != "CAP-1" {
				t.Errorf("exported SKUs %v", skus)
			}
		})
	}
}

func TestImportExportCommandLineMistakes(t *testing.T) {
	t.Parallel()
	db := storetest.URL(t, store.SQLite)
	for _, tc := range []struct {
		args []string
		code int
		text string
	}{
		{[]string{"import", "--help"}, 0, "Usage: agora import"},
		{[]string{"export", "--help"}, 0, "Usage: agora export"},
		{[]string{"import", "--db", db}, 2, "give the CSV file to import"},
		{[]string{"import", "a.csv", "b.csv", "--db", db}, 2, "one file at a time"},
		{[]string{"import", "a.csv", "--frobnicate"}, 2, "frobnicate"},
		// Flags on both sides of the file are all read.
		{[]string{"import", "--quiet", "a.csv", "--frobnicate"}, 2, "frobnicate"},
		{[]string{"import", "--quiet", "a.csv", "--help"}, 0, "Usage: agora import"},
		{[]string{"import", "--quiet", "a.csv", "b.csv"}, 2, "one file at a time"},
		{[]string{"import", "/nonexistent/products.csv", "--db", db}, 1, "no such file"},
		{[]string{"export", "extra", "--db", db}, 2, "export writes to stdout"},
		{[]string{"export", "--db", db}, 1, "agora migrate"}, // not migrated
		{[]string{"import", "a.csv", "--finish-pending", "--db", db}, 2, "give no file"},
		{[]string{"migrate", "--db", db}, 0, "applied"},
		{[]string{"import", "--finish-pending", "--db", db}, 0, "no import was waiting"},
	} {
		code, out, errOut := run(t, tc.args...)
		if code != tc.code || !strings.Contains(out+errOut, tc.text) {
			t.Errorf("agora %s: exit %d, want %d with %q\n%s%s", strings.Join(tc.args, " "), code, tc.code, tc.text, out, errOut)
		}
	}
}
