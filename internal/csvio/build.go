package csvio

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"agora/internal/catalog"
	"agora/internal/media"
)

// item is one product of the file: the rows it came from and what they say.
type item struct {
	handle string
	rows   []row // in file order
	np     catalog.NewProduct
	cats   []catRef // category paths, resolved against the tree later
	errs   []RowError
	// existing is the id of the product the handle names, 0 for a new
	// one; update is what the file changes of it (update.go).
	existing int64
	update   *catalog.ProductUpdate
	// undo puts back what update changes; added are the SKUs of the
	// variants it adds (an undo takes them off sale: variants are not
	// deleted, orders may name them).
	undo  *catalog.ProductUpdate
	added []string
}

// catRef is a category path as written, and the row it came from.
type catRef struct {
	row  int
	path string
}

func (it *item) fail(rowN, col int, format string, args ...any) {
	name := ""
	if col >= 0 {
		name = Columns[col]
	}
	it.errs = append(it.errs, RowError{Row: rowN, Column: name, Message: fmt.Sprintf(format, args...)})
}

// bad reports whether the product must not be imported. A broken row has
// its problem reported already, by readRows.
func (it *item) bad() bool {
	if len(it.errs) > 0 {
		return true
	}
	for _, rw := range it.rows {
		if rw.broken {
			return true
		}
	}
	return false
}

// group gathers rows into products by handle, in the order handles first
// appear. Rows of one product need not be adjacent. Rows without a handle
// are problems of their own.
func group(rows []row) (items []*item, orphans []RowError) {
	byHandle := map[string]*item{}
	for _, rw := range rows {
		h := rw.cells[colHandle]
		if h == "" {
			if !rw.broken {
				orphans = append(orphans, RowError{Row: rw.n, Column: Columns[colHandle], Message: "The handle is required on every row: it names the product the variant belongs to, like \"linen-shirt\"."})
			}
			continue
		}
		it := byHandle[h]
		if it == nil {
			it = &item{handle: h}
			byHandle[h] = it
			items = append(items, it)
		}
		it.rows = append(it.rows, rw)
	}
	return items, orphans
}

// build checks the item's rows and fills it.np, except what needs the
// database (categories, image sizes, existing handles and SKUs).
func (it *item) build() {
	if it.bad() && allBroken(it.rows) {
		return // refused already, and nothing left to check
	}
	first := it.rows[0].n
	np := &it.np
	np.Slug = it.handle
	if !catalog.ValidSlug(it.handle) {
		it.fail(first, colHandle, "The handle %q must be lower-case letters, digits and single hyphens, at most %d characters, like %q.",
			truncate(it.handle, 60), catalog.MaxSlugLen, catalog.Slugify(it.handle))
	}
	np.Name = it.productValue(colName)
	switch {
	case np.Name == "":
		it.fail(first, colName, "The name is required on the product's first row.")
	default:
		it.checkLength(colName, np.Name, catalog.MaxNameLen)
	}
	np.Description = it.productValue(colDescription)
	it.checkLength(colDescription, np.Description, catalog.MaxDescriptionLen)
	np.Brand = it.productValue(colBrand)
	it.checkLength(colBrand, np.Brand, catalog.MaxNameLen)
	switch s := strings.ToLower(it.productValue(colStatus)); s {
	case "", "active", "draft", "archived":
		np.Status = s
	default:
		it.fail(it.rowOf(colStatus), colStatus, "The status %q is not one of active, draft or archived.", truncate(s, 40))
	}
	featured, ok := parseBool(it.productValue(colFeatured))
	if !ok {
		it.fail(it.rowOf(colFeatured), colFeatured, "Featured is true or false (or yes/no, 1/0), not %q.", truncate(it.productValue(colFeatured), 40))
	}
	np.Featured = featured
	for _, p := range splitList(it.productValue(colCategories)) {
		it.cats = append(it.cats, catRef{row: it.rowOf(colCategories), path: p})
	}
	it.buildImages()
	it.buildAttributes()
	it.buildVariants()
}

// productValue is the product column's value: the first non-blank cell of
// the product's rows. Other non-blank cells must repeat it exactly.
func (it *item) productValue(col int) string {
	v, at := "", 0
	for _, rw := range it.rows {
		c := rw.cells[col]
		switch {
		case c == "":
		case v == "":
			v, at = c, rw.n
		case c != v && !rw.broken:
			it.fail(rw.n, col, "The %s differs from row %d of the same handle: leave product columns blank on the product's other rows, or repeat them exactly.", Columns[col], at)
		}
	}
	return v
}

// rowOf is the row a product column's value came from, for messages.
func (it *item) rowOf(col int) int {
	for _, rw := range it.rows {
		if rw.cells[col] != "" {
			return rw.n
		}
	}
	return it.rows[0].n
}

// checkLength reports a value longer than max characters; reported once per
// product, on the row the value came from.
func (it *item) checkLength(col int, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		it.fail(it.rowOf(col), col, "The %s is too long: %d characters, at most %d.", Columns[col], n, max)
	}
}

func (it *item) buildImages() {
	keys := splitList(it.productValue(colImages))
	if len(keys) > catalog.MaxImages {
		it.fail(it.rowOf(colImages), colImages, "A product has at most %d images, not %d.", catalog.MaxImages, len(keys))
		return
	}
	for _, k := range keys {
		if !media.ValidKey(k) {
			it.fail(it.rowOf(colImages), colImages, "%q is not a media key: upload the image in the admin and copy its key (64 hex digits and an extension, like 3f…a9.jpg).", truncate(k, 40))
			continue
		}
		it.np.Images = append(it.np.Images, catalog.Image{Key: k})
	}
}

func (it *item) buildVariants() {
	if len(it.rows) > catalog.MaxVariants {
		it.fail(it.rows[catalog.MaxVariants].n, -1, "A product has at most %d variants (rows); %q has %d.", catalog.MaxVariants, it.handle, len(it.rows))
		return
	}
	// Option names may be given on the first row only, as in Shopify's CSV.
	optNames := [2]string{it.firstCell(colOption1Name), it.firstCell(colOption2Name)}
	currency, currencyRow := "", 0
	priced := it.priceCurrency()
	combos := map[string]int{}
	for _, rw := range it.rows {
		if rw.broken { // refused already; keep Variants aligned with rows
			it.np.Variants = append(it.np.Variants, catalog.NewVariant{})
			continue
		}
		v := catalog.NewVariant{SKU: rw.cells[colSKU], Name: rw.cells[colVariantName]}
		switch {
		case v.SKU == "":
			it.fail(rw.n, colSKU, "The SKU is required on every row.")
		case len(v.SKU) > 64:
			it.fail(rw.n, colSKU, "The SKU is too long: %d bytes, at most 64.", len(v.SKU))
		}
		if n := utf8.RuneCountInString(v.Name); n > catalog.MaxNameLen {
			it.fail(rw.n, colVariantName, "The variant name is too long: %d characters, at most %d.", n, catalog.MaxNameLen)
		}
		v.Options = it.options(rw, optNames)
		if len(v.Options) > 0 {
			key := fmt.Sprint(v.Options)
			if at, dup := combos[key]; dup {
				it.fail(rw.n, colOption1Value, "The same options as row %d: each variant of a product needs its own.", at)
			}
			combos[key] = rw.n
		}
		var err error
		if v.PriceCents, err = parsePrice(rw.cells[colPrice], priced); err != nil {
			it.fail(rw.n, colPrice, "%s", err.Error())
		}
		if v.Stock, err = parseStock(rw.cells[colStock]); err != nil {
			it.fail(rw.n, colStock, "%s", err.Error())
		}
		v.Currency = strings.ToUpper(rw.cells[colCurrency])
		switch {
		case v.Currency == "":
		case !isCurrencyCode(v.Currency):
			it.fail(rw.n, colCurrency, "The currency %q is not a three-letter ISO code such as EUR.", truncate(v.Currency, 20))
		case currencyRow == 0:
			currency, currencyRow = v.Currency, rw.n
		case v.Currency != currency:
			it.fail(rw.n, colCurrency, "All variants of a product share one currency: row %d has %q.", currencyRow, currency)
		}
		it.np.Variants = append(it.np.Variants, v)
	}
	// A blank currency is the product's (or, if none is given, the catalog's default).
	for i := range it.np.Variants {
		it.np.Variants[i].Currency = currency
	}
}

// priceCurrency is the currency the product's prices are read in: the
// first one its rows name, else the catalog's default (catalog.NewVariant:
// EUR). A row naming another is refused by buildVariants anyway.
func (it *item) priceCurrency() string {
	for _, rw := range it.rows {
		if c := strings.ToUpper(rw.cells[colCurrency]); c != "" && !rw.broken {
			return c
		}
	}
	return "EUR"
}

// options reads a row's two option slots; a blank name takes the name given
// on an earlier row of the product.
func (it *item) options(rw row, names [2]string) []catalog.Option {
	var opts []catalog.Option
	for i, cols := range [2][2]int{{colOption1Name, colOption1Value}, {colOption2Name, colOption2Value}} {
		name, value := rw.cells[cols[0]], rw.cells[cols[1]]
		if name == "" {
			name = names[i]
		}
		switch {
		case value == "" && rw.cells[cols[0]] != "":
			it.fail(rw.n, cols[1], "The %s is required when %s is given.", Columns[cols[1]], Columns[cols[0]])
		case value == "":
		case name == "":
			it.fail(rw.n, cols[0], "The %s is required when %s is given.", Columns[cols[0]], Columns[cols[1]])
		case utf8.RuneCountInString(name) > catalog.MaxNameLen || utf8.RuneCountInString(value) > catalog.MaxNameLen:
			it.fail(rw.n, cols[1], "Option names and values are at most %d characters.", catalog.MaxNameLen)
		default:
			opts = append(opts, catalog.Option{Name: name, Value: value})
		}
	}
	return opts
}

func (it *item) firstCell(col int) string {
	for _, rw := range it.rows {
		if c := rw.cells[col]; c != "" {
			return c
		}
	}
	return ""
}

func allBroken(rows []row) bool {
	for _, rw := range rows {
		if !rw.broken {
			return false
		}
	}
	return true
}

// maxStock bounds stock far above any real shelf, so a stray digit shows.
const maxStock = 1_000_000_000

func parseStock(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	switch {
	case err != nil && strings.Trim(s, "-0123456789") == "":
		return 0, fmt.Errorf("The stock %q is too large.", s)
	case err != nil:
		return 0, fmt.Errorf("The stock %q is not a whole number.", truncate(s, 20))
	case n < 0:
		return 0, fmt.Errorf("The stock %q cannot be negative.", s)
	case n > maxStock:
		return 0, fmt.Errorf("The stock %q is too large.", s)
	}
	return n, nil
}

func parseBool(s string) (v, ok bool) {
	switch strings.ToLower(s) {
	case "", "false", "no", "0", "n":
		return false, true
	case "true", "yes", "1", "y":
		return true, true
	}
	return false, false
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// splitList splits a "|"-separated cell, dropping blank entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, listSep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
