package csvio

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"agora/internal/catalog"
	"agora/internal/money"
)

// Updates (issue 16). A row whose handle the catalog has changes that
// product, and a SKU it has changes that variant: the file's columns are
// the truth for what they hold (a column the header leaves out is left
// alone, attributes included; so are a blank status, variant name or stock, which on a new
// product mean "the default"), a SKU new to the product adds a variant, and
// variants the file does not mention stay as they are. Images are not
// changed by an update (the admin reorders and removes them): a file whose
// images differ from the product's is refused on that row, so an edit
// there is never silently dropped. Stock is set as of the import's start:
// units sold while it runs are taken off the file's level
// (catalog.VariantPatch.StockSince), neither lost nor sold twice.

// Change is one difference an import makes, or that a dry run would.
type Change struct {
	Kind   ChangeKind
	Row    int // the product's or variant's row; 0 for an archived product
	Handle string
	SKU    string // the variant's; "" for a product's own field
	// Field is the column changed (ChangeField); Old and New its values.
	// For a new product New says how many variants it has.
	Field    string
	Old, New string
}

// ChangeKind is what a Change does.
type ChangeKind int

const (
	ChangeField      ChangeKind = iota // a column of an existing product or variant
	ChangeNewProduct                   // a product created
	ChangeNewVariant                   // a variant added to an existing product
	ChangeArchive                      // a product the file leaves out, archived (ArchiveMissing)
)

// String is the change as the dry run prints it.
func (c Change) String() string {
	where := c.Handle
	if c.SKU != "" {
		where += " " + c.SKU
	}
	switch c.Kind {
	case ChangeNewProduct:
		return fmt.Sprintf("+ %s: new product, %s", where, c.New)
	case ChangeNewVariant:
		return fmt.Sprintf("+ %s: new variant", where)
	case ChangeArchive:
		return fmt.Sprintf("- %s: archived (not in the file)", where)
	}
	return fmt.Sprintf("~ %s: %s %s → %s", where, c.Field, quoteShort(c.Old), quoteShort(c.New))
}

func quoteShort(s string) string { return strconv.Quote(truncate(s, 60)) }

// plan compares an existing product with its rows and fills it.update
// with what they change (nil when nothing), returning the changes; a
// problem is the item's, on its row.
func (it *item) plan(cur *catalog.Product, present [numColumns]bool, paths *categoryPaths) []Change {
	var out []Change
	// u is what the file changes, back what puts it back (a rollback).
	var u, back catalog.ProductUpdate
	u.ID, back.ID = cur.ID, cur.ID
	np := it.np
	text := func(col int, old, next string, dst, undo **string) {
		if present[col] && old != next {
			v, was := next, old
			*dst, *undo = &v, &was
			out = append(out, Change{Row: it.rowOf(col), Handle: it.handle, Field: Columns[col], Old: old, New: next})
		}
	}
	text(colName, cur.Name, np.Name, &u.Patch.Name, &back.Patch.Name)
	text(colDescription, cur.Description, np.Description, &u.Patch.Description, &back.Patch.Description)
	text(colBrand, cur.Brand, np.Brand, &u.Patch.Brand, &back.Patch.Brand)
	if np.Status != "" {
		text(colStatus, cur.Status, np.Status, &u.Patch.Status, &back.Patch.Status)
	}
	if present[colFeatured] && cur.Featured != np.Featured {
		f, was := np.Featured, cur.Featured
		u.Patch.Featured, back.Patch.Featured = &f, &was
		out = append(out, Change{Row: it.rowOf(colFeatured), Handle: it.handle, Field: Columns[colFeatured],
			Old: strconv.FormatBool(cur.Featured), New: strconv.FormatBool(f)})
	}
	if present[colCategories] {
		was, now := slices.Sorted(slices.Values(cur.CategoryIDs)), slices.Sorted(slices.Values(np.CategoryIDs))
		if !slices.Equal(was, now) {
			ids, wasIDs := slices.Clone(now), slices.Clone(was)
			u.Patch.CategoryIDs, back.Patch.CategoryIDs = &ids, &wasIDs
			out = append(out, Change{Row: it.rowOf(colCategories), Handle: it.handle, Field: Columns[colCategories],
				Old: categoryList(paths, was), New: categoryList(paths, now)})
		}
	}
	if present[colAttributes] && !slices.Equal(cur.Attributes, np.Attributes) {
		attrs, was := slices.Clone(np.Attributes), slices.Clone(cur.Attributes)
		if attrs == nil {
			attrs = []catalog.Option{} // a blank cell removes them
		}
		if was == nil {
			was = []catalog.Option{}
		}
		u.Patch.Attributes, back.Patch.Attributes = &attrs, &was
		gone, came := attributesDiff(cur.Attributes, attrs)
		out = append(out, Change{Row: it.rowOf(colAttributes), Handle: it.handle, Field: Columns[colAttributes],
			Old: gone, New: came})
	}
	if present[colImages] {
		var had, has []string
		for _, img := range cur.Images {
			had = append(had, img.Key)
		}
		for _, img := range np.Images {
			has = append(has, img.Key)
		}
		if !slices.Equal(had, has) {
			it.fail(it.rowOf(colImages), colImages, "An import does not change the images of an existing product (%q): reorder or remove them in the admin, or leave the column as exported.", it.handle)
		}
	}
	bySKU := map[string]catalog.Variant{}
	for _, v := range cur.Variants {
		bySKU[v.SKU] = v
	}
	for i, nv := range np.Variants {
		rw := it.rows[i]
		if rw.broken || nv.SKU == "" {
			continue
		}
		if present[colPrice] && rw.cells[colCurrency] == "" {
			// Read in the product's currency, not the catalog default.
			if p, err := parsePrice(rw.cells[colPrice], cur.Currency); err == nil {
				nv.PriceCents = p
			}
		}
		if nv.Currency != "" && nv.Currency != cur.Currency {
			it.fail(rw.n, colCurrency, "The product %q is priced in %s: a file cannot change its currency.", it.handle, cur.Currency)
			continue
		}
		old, ok := bySKU[nv.SKU]
		if !ok {
			nv.Currency = cur.Currency
			u.NewVariants = append(u.NewVariants, nv)
			it.added = append(it.added, nv.SKU)
			out = append(out, Change{Kind: ChangeNewVariant, Row: rw.n, Handle: it.handle, SKU: nv.SKU})
			continue
		}
		vu, vback := catalog.VariantUpdate{ID: old.ID}, catalog.VariantUpdate{ID: old.ID}
		changed := false
		note := func(col int, was, now string) {
			changed = true
			out = append(out, Change{Row: rw.n, Handle: it.handle, SKU: nv.SKU, Field: Columns[col], Old: was, New: now})
		}
		if present[colPrice] && old.PriceCents != nv.PriceCents {
			p, was := nv.PriceCents, old.PriceCents
			vu.Patch.PriceCents, vback.Patch.PriceCents = &p, &was
			note(colPrice, money.Decimal(old.PriceCents, cur.Currency), money.Decimal(p, cur.Currency))
		}
		// A blank stock cell leaves the level alone: on a new product it
		// means 0, but zeroing a live variant's stock because a cell was
		// cleared would take it off sale.
		if present[colStock] && rw.cells[colStock] != "" && old.Stock != nv.Stock {
			st, since := nv.Stock, old.Stock
			vu.Patch.Stock, vu.Patch.StockSince = &st, &since
			// Put back as of the file's level: units sold after the
			// import are taken off the old level too.
			vback.Patch.Stock, vback.Patch.StockSince = &since, &st
			note(colStock, strconv.Itoa(old.Stock), strconv.Itoa(st))
		}
		if present[colVariantName] && nv.Name != "" && old.Name != nv.Name {
			n, was := nv.Name, old.Name
			vu.Patch.Name, vback.Patch.Name = &n, &was
			note(colVariantName, old.Name, n)
		}
		if (present[colOption1Value] || present[colOption2Value]) && !slices.Equal(old.Options, nv.Options) {
			opts, was := slices.Clone(nv.Options), slices.Clone(old.Options)
			vu.Patch.Options, vback.Patch.Options = &opts, &was
			note(colOption1Value, optionList(old.Options), optionList(opts))
		}
		if changed {
			u.Variants = append(u.Variants, vu)
			back.Variants = append(back.Variants, vback)
		}
	}
	if len(out) > 0 {
		it.update, it.undo = &u, &back
	}
	return out
}

func categoryList(paths *categoryPaths, ids []int64) string {
	var names []string
	for _, id := range ids {
		names = append(names, paths.byID[id])
	}
	slices.Sort(names)
	return strings.Join(names, " "+listSep+" ")
}

func optionList(opts []catalog.Option) string {
	parts := make([]string, len(opts))
	for i, o := range opts {
		parts[i] = o.Name + "=" + o.Value
	}
	return strings.Join(parts, ", ")
}
