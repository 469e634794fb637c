package csvio_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// attrHeader is the export's header: the old one and the attributes column.
var attrHeader = strings.TrimSuffix(header, "\n") + ",attributes\n"

// teeAttributes hold what the cell format must escape or leave alone: a
// ":" in a value, a "|" in a name and a value, a backslash.
var teeAttributes = []catalog.Option{{Name: "Material", Value: "Cotton"}, {Name: "Care", Value: "Wash at 30°C: gentle"},
	{Name: "Pattern", Value: "A|B stripes"}, {Name: "Back|front", Value: `C:\temp`}}

const teeCell = `Material: Cotton|Care: Wash at 30°C: gentle|Pattern: A\|B stripes|Back\|front: C:\\temp`

func attributesOf(t *testing.T, db *store.DB, slug string) []catalog.Option {
	t.Helper()
	p, err := catalog.New(db).ProductBySlug(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return p.Attributes
}

// withAttributes is a catalog of a tee with teeAttributes and two
// variants, and a mug without attributes.
func withAttributes(t *testing.T, db *store.DB) {
	t.Helper()
	_, err := catalog.New(db).CreateProducts(context.Background(), []catalog.NewProduct{
		{Slug: "tee", Name: "Tee", Attributes: teeAttributes, Variants: []catalog.NewVariant{
			{SKU: "TEE-S", PriceCents: 1000, Stock: 3}, {SKU: "TEE-M", PriceCents: 1000, Stock: 3}}},
		{Slug: "mug", Name: "Mug", Variants: []catalog.NewVariant{{SKU: "MUG-1", PriceCents: 500, Stock: 9}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestAttributesExportImport: the attributes column round-trips what its
// format must escape; an unedited export imports as no change at all; an
// edited cell is one change in the dry run, then applied and filterable;
// a file without the column leaves attributes alone; a blank cell removes
// them (issue 15).
func TestAttributesExportImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withAttributes(t, db)
		before := exported(t, db)
		if !strings.HasPrefix(before, "\ufeff"+attrHeader) || !strings.Contains(before, `,"`+teeCell+`"`+"\n") && !strings.Contains(before, ","+teeCell+"\n") {
			t.Fatalf("export:\n%s\nwant the header %q and the cell %s", before, attrHeader, teeCell)
		}

		// Unedited: nothing to do, nothing written, nothing purged.
		rep, err := csvio.Import(ctx, db, strings.NewReader(before), csvio.Options{DryRun: true})
		if err != nil || len(rep.Changes) != 0 || rep.Unchanged != 2 {
			t.Fatalf("the export itself: %v, changes %v, unchanged %d", err, rep.Changes, rep.Unchanged)
		}
		head := purgeHead(t, db)
		if rep, err := csvio.Import(ctx, db, strings.NewReader(before), csvio.Options{}); err != nil || rep.Updated != 0 || purgeHead(t, db) != head {
			t.Fatalf("importing the export: %v, %+v", err, rep)
		}

		// Into an empty catalog: the same attributes, the same file.
		fresh := storetest.Open(t, db.Dialect)
		if rep, err := csvio.Import(ctx, fresh, strings.NewReader(before), csvio.Options{}); err != nil {
			t.Fatalf("into an empty catalog: %v %v", err, rep.Errors)
		}
		if got := attributesOf(t, fresh, "tee"); !slices.Equal(got, teeAttributes) {
			t.Fatalf("created from the file: %q, want %q", got, teeAttributes)
		}
		if again := exported(t, fresh); again != before {
			t.Fatalf("export → import → export differs:\n%s", firstDiff(again, before))
		}

		// Edited: Cotton becomes Linen.
		edited := strings.Replace(before, "Material: Cotton|", "Material: Linen|", 1)
		rep, err = csvio.Import(ctx, db, strings.NewReader(edited), csvio.Options{DryRun: true})
		var got []string
		for _, c := range rep.Changes {
			got = append(got, c.String())
		}
		want := []string{`~ tee: attributes "Material: Cotton" → "Material: Linen"`}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("dry run of an edit: %v, changes %q, want %q", err, got, want)
		}
		if rep, err := csvio.Import(ctx, db, strings.NewReader(edited), csvio.Options{}); err != nil || rep.Updated != 1 {
			t.Fatalf("import of an edit: %v, %+v", err, rep)
		}
		linen := slices.Clone(teeAttributes)
		linen[0].Value = "Linen"
		if got := attributesOf(t, db, "tee"); !slices.Equal(got, linen) {
			t.Fatalf("after the edit: %q, want %q", got, linen)
		}
		res, err := catalog.New(db).List(ctx, catalog.ListQuery{Filters: catalog.Filters{Options: map[string][]string{"material": {"Linen"}}}})
		if err != nil || len(res.Items) != 1 || res.Items[0].Slug != "tee" {
			t.Fatalf("opt_material=Linen: %v %v, want the tee", res.Items, err)
		}

		// An older file, without the column: a rename, attributes kept.
		old := header + "tee,Tee Shirt,,,,,,TEE-S,,,,,,10.00,EUR,3,\n"
		if rep, err := csvio.Import(ctx, db, strings.NewReader(old), csvio.Options{}); err != nil || rep.Updated != 1 {
			t.Fatalf("a file without the column: %v, %+v", err, rep)
		}
		if got := attributesOf(t, db, "tee"); !slices.Equal(got, linen) {
			t.Fatalf("after a file without the column: %q, want %q", got, linen)
		}

		// The column present and the cell blank: the file says "none".
		blank := attrHeader + "tee,Tee Shirt,,,,,,TEE-S,,,,,,10.00,EUR,3,,\n"
		if rep, err := csvio.Import(ctx, db, strings.NewReader(blank), csvio.Options{}); err != nil || rep.Updated != 1 {
			t.Fatalf("a blank cell: %v, %+v", err, rep)
		}
		if got := attributesOf(t, db, "tee"); len(got) != 0 {
			t.Fatalf("after a blank cell: %q, want none", got)
		}
	})
}

// TestAttributesRefusals: a malformed attributes cell, or attributes the
// catalog would refuse, are refused on their row and column, saying what
// to write, and change nothing.
func TestAttributesRefusals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withAttributes(t, db)
		before := exported(t, db)
		row := func(cell string) string {
			return attrHeader + "tee,Tee,,,,,,TEE-S,,,,,,10.00,EUR,3,,\"" + cell + "\"\nnew-cap,Cap,,,,,,CAP-1,,,,,,5.00,EUR,1,,\n"
		}
		for _, tc := range []struct{ name, cell, says string }{
			{"no colon", "Material Cotton", `"Material Cotton" is not Name: Value. Write attributes as "Material: Cotton|Fit: Slim"`},
			{"no value", "Material: |Fit: Slim", `"Material:" is not Name: Value`},
			{"one name twice", "Fit: Slim|fit: Loose", "give each name once"},
			{"a long value", "Care: " + strings.Repeat("w", 101), "at most 100 characters"},
			{"a line break", "Care: wash\ncold", "plain text"},
		} {
			rep, err := csvio.Import(ctx, db, strings.NewReader(row(tc.cell)), csvio.Options{})
			if !errors.Is(err, csvio.ErrRefused) || len(rep.Errors) != 1 || rep.Errors[0].Row != 2 || rep.Errors[0].Column != "attributes" ||
				!strings.Contains(rep.Errors[0].Message, tc.says) {
				t.Errorf("%s: %v %v, want a refusal of row 2, attributes, saying %q", tc.name, err, rep.Errors, tc.says)
			}
		}
		if exported(t, db) != before {
			t.Error("a refused file changed the catalog")
		}
	})
}

// TestAttributesUndo: an import's undo puts the attributes it changed
// back, as they were, and removes those it added.
func TestAttributesUndo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		withAttributes(t, db)
		cat := catalog.New(db)
		file := strings.Replace(exported(t, db), teeCell, "Material: Linen", 1)
		file = strings.Replace(file, "MUG-1,Mug,,,,,5.00,EUR,9,,", "MUG-1,Mug,,,,,5.00,EUR,9,,Origin: Portugal", 1)
		p, err := csvio.Prepare(ctx, db, strings.NewReader(file), csvio.Options{})
		if err != nil {
			t.Fatalf("prepare: %v %v", err, p.Report.Errors)
		}
		steps, undos := p.Steps()
		if len(steps) != 1 {
			t.Fatalf("%d steps, want 1", len(steps))
		}
		if err := steps[0].Apply(ctx, cat); err != nil {
			t.Fatal(err)
		}
		if got := attributesOf(t, db, "mug"); !slices.Equal(got, []catalog.Option{{Name: "Origin", Value: "Portugal"}}) {
			t.Fatalf("applied: mug %q", got)
		}
		if err := undos[0].Apply(ctx, db, cat); err != nil {
			t.Fatal(err)
		}
		if got := attributesOf(t, db, "tee"); !slices.Equal(got, teeAttributes) {
			t.Errorf("undone: tee %q, want %q", got, teeAttributes)
		}
		if got := attributesOf(t, db, "mug"); len(got) != 0 {
			t.Errorf("undone: mug %q, want none", got)
		}
	})
}
