package csvio_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"agora/internal/cachehdr"
	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// exported is the catalog as Export writes it.
func exported(t *testing.T, db *store.DB) string { return string(export(t, db)) }

func purgeHead(t *testing.T, db *store.DB) int64 {
	t.Helper()
	all, err := purge.Since(context.Background(), db, 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Seq
}

// replaceLine swaps one line of an exported file for another.
func replaceLine(t *testing.T, file, prefix string, edit func(cells []string)) string {
	t.Helper()
	lines := strings.Split(file, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			cells := strings.Split(l, ",")
			edit(cells)
			lines[i] = strings.Join(cells, ",")
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return ""
}

// TestUpdateRoundTrip: export, change a price, a stock level and a name
// in the file; the dry run shows exactly those changes and writes
// nothing; the import applies them in one purge log entry naming only the
// products whose pages changed; exporting again gives the edited file.
func TestUpdateRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		makeTree(t, db)
		if _, err := csvio.Import(ctx, db, bytes.NewReader(generated(20, 3)), csvio.Options{}); err != nil {
			t.Fatal(err)
		}
		before := exported(t, db)
		edited := replaceLine(t, before, "shirt-3,", func(c []string) { c[1] = "Shirt Three" })
		edited = replaceLine(t, edited, "shirt-7,,,,,,,SH-7-1,", func(c []string) { c[13] = "99.00" })
		edited = replaceLine(t, edited, "shirt-9,,,,,,,SH-9-2,", func(c []string) { c[15] = "30" })

		rep, err := csvio.Import(ctx, db, strings.NewReader(edited), csvio.Options{DryRun: true})
		if err != nil {
			t.Fatalf("dry run: %v %v", err, rep.Errors)
		}
		var got []string
		for _, c := range rep.Changes {
			got = append(got, c.String())
		}
		want := []string{
			`~ shirt-3: name "Shirt 3" → "Shirt Three"`,
			`~ shirt-7 SH-7-1: price "17.05" → "99.00"`,
			`~ shirt-9 SH-9-2: stock "11" → "30"`,
		}
		if !slices.Equal(got, want) || rep.Updated != 3 || rep.Unchanged != 17 || rep.Products != 0 {
			t.Fatalf("dry run: changes %q (updated %d, unchanged %d, created %d), want %q", got, rep.Updated, rep.Unchanged, rep.Products, want)
		}
		if exported(t, db) != before {
			t.Fatal("a dry run changed the catalog")
		}

		head := purgeHead(t, db)
		if rep, err = csvio.Import(ctx, db, strings.NewReader(edited), csvio.Options{}); err != nil || rep.Updated != 3 {
			t.Fatalf("import: %v, %+v", err, rep)
		}
		if after := exported(t, db); after != edited {
			t.Errorf("exported after the update differs from the edited file:\n%s", firstDiff(after, edited))
		}
		entries, err := purge.Since(ctx, db, head, 100)
		if err != nil {
			t.Fatal(err)
		}
		cat := catalog.New(db)
		var tags []string
		for _, slug := range []string{"shirt-3", "shirt-7"} { // not shirt-9: its stock stays in stock
			p, err := cat.ProductBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			tags = append(tags, cachehdr.ProductTag(p.ID))
		}
		if len(entries) != 1 || !slices.Equal(entries[0].Tags, tags) {
			t.Errorf("purge log after the update: %+v, want one entry with %v", entries, tags)
		}
		// A stock cell cleared in the spreadsheet leaves the stock alone.
		blank := replaceLine(t, edited, "shirt-9,,,,,,,SH-9-2,", func(c []string) { c[15] = "" })
		if rep, err = csvio.Import(ctx, db, strings.NewReader(blank), csvio.Options{DryRun: true}); err != nil || len(rep.Changes) != 0 {
			t.Errorf("a blank stock cell: %v, changes %v; want none", err, rep.Changes)
		}
		// The same file again changes nothing and purges nothing.
		head = purgeHead(t, db)
		if rep, err = csvio.Import(ctx, db, strings.NewReader(edited), csvio.Options{}); err != nil || rep.Updated != 0 || rep.Unchanged != 20 || purgeHead(t, db) != head {
			t.Errorf("the same file again: %v, %+v, purge head %d → %d", err, rep, head, purgeHead(t, db))
		}
	})
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			return "got  " + al[i] + "\nwant " + bl[i]
		}
	}
	return "lengths differ"
}

// TestUpdateRefusals: an update that cannot be applied as written is
// refused, by row, and changes nothing.
func TestUpdateRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		makeTree(t, db)
		existing(t, db)
		if _, err := csvio.Import(ctx, db, strings.NewReader(header+good), csvio.Options{}); err != nil {
			t.Fatal(err)
		}
		before := exported(t, db)
		cases := []struct {
			name, file string
			opts       csvio.Options
			want       string
		}{
			{"a new handle with update-only", header + "new-mug,New Mug,,,,,,NEW-1,,,,,,5.00,EUR,1,\n", csvio.Options{UpdateOnly: true},
				`No product has the handle "new-mug": with update-only`},
			{"another product's SKU", header + "good-tee,Good Tee,,,,,,EXIST-1,,,,,,9.99,EUR,5,\n", csvio.Options{},
				`The SKU "EXIST-1" already belongs to the product "existing"`},
			{"a changed image", header + "good-tee,Good Tee,,,,,,GOOD-1,,,,,,9.99,EUR,5," + imageKey + "\n", csvio.Options{},
				"does not change the images of an existing product"},
			{"another currency", header + "good-tee,Good Tee,,,,,,GOOD-1,,,,,,9.99,USD,5,\n", csvio.Options{},
				"cannot change its currency"},
			{"a price of abc", header + "good-tee,Good Tee,,,,,,GOOD-1,,,,,,abc,EUR,5,\n", csvio.Options{},
				`The price "abc" is not a number`},
		}
		for _, tc := range cases {
			rep, err := csvio.Import(ctx, db, strings.NewReader(tc.file), tc.opts)
			if !errors.Is(err, csvio.ErrRefused) || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, tc.want) {
				t.Errorf("%s: %v %v, want a refusal saying %q", tc.name, err, rep.Errors, tc.want)
			}
		}
		if exported(t, db) != before {
			t.Error("a refused update changed the catalog")
		}
	})
}

// TestArchiveMissing: with archive-missing, products the file does not
// name are archived (the dry run lists them first); a file naming no
// product is refused rather than archive everything.
func TestArchiveMissing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		makeTree(t, db)
		existing(t, db)
		if _, err := csvio.Import(ctx, db, strings.NewReader(header+good), csvio.Options{}); err != nil {
			t.Fatal(err)
		}
		opts := csvio.Options{ArchiveMissing: true, DryRun: true}
		rep, err := csvio.Import(ctx, db, strings.NewReader(header+good), opts)
		if err != nil || rep.Archived != 1 || len(rep.Changes) != 1 || rep.Changes[0].String() != "- existing: archived (not in the file)" {
			t.Fatalf("dry run: %v %+v", err, rep)
		}
		opts.DryRun = false
		if _, err := csvio.Import(ctx, db, strings.NewReader(header+good), opts); err != nil {
			t.Fatal(err)
		}
		p, err := catalog.New(db).ProductByID(ctx, productID(t, db, "existing"))
		if err != nil || p.Status != "archived" {
			t.Errorf("the product missing from the file: %v, status %q; want archived", err, p.Status)
		}
		if _, err := csvio.Import(ctx, db, strings.NewReader(header), opts); err == nil || !strings.Contains(err.Error(), "archive the whole catalog") {
			t.Errorf("an empty file with archive-missing: %v, want a refusal", err)
		}
	})
}

func productID(t *testing.T, db *store.DB, slug string) int64 {
	t.Helper()
	var id int64
	if err := db.Read.QueryRow(`SELECT id FROM products WHERE slug = $1`, slug).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestUpdateStockAsOfItsStart: units sold while an update runs are taken
// off the file's stock level: set to 30 when 11 were in stock, and 2 sold
// between the import's check and its write, the variant ends at 28.
func TestUpdateStockAsOfItsStart(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		makeTree(t, db)
		if _, err := csvio.Import(ctx, db, bytes.NewReader(generated(20, 3)), csvio.Options{}); err != nil {
			t.Fatal(err)
		}
		edited := replaceLine(t, exported(t, db), "shirt-9,,,,,,,SH-9-2,", func(c []string) { c[15] = "30" })
		sold := false
		opts := csvio.Options{Progress: func(done, total int) {
			if !sold { // after the check, before the write: a checkout takes 2
				sold = true
				if _, err := db.Write.Exec(`UPDATE variants SET stock = stock - 2 WHERE sku = 'SH-9-2'`); err != nil {
					t.Fatal(err)
				}
			}
		}}
		if _, err := csvio.Import(ctx, db, strings.NewReader(edited), opts); err != nil {
			t.Fatal(err)
		}
		var stock int
		if err := db.Read.QueryRow(`SELECT stock FROM variants WHERE sku = 'SH-9-2'`).Scan(&stock); err != nil {
			t.Fatal(err)
		}
		if !sold || stock != 28 {
			t.Errorf("stock %d (sale made: %v), want 28: 30 as of the import's start, less the 2 sold since", stock, sold)
		}
	})
}
