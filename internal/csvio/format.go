// Package csvio reads and writes the product CSV merchants keep in
// spreadsheets (issue 4): one row per variant, the product's columns on its
// first row and repeated or left blank on the rows after it, grouped by the
// handle (the product's slug), as Shopify's product CSV does.
//
//	handle,name,description,brand,status,featured,categories,sku,variant_name,
//	option1_name,option1_value,option2_name,option2_value,price,currency,stock,images,
//	attributes
//
// categories are full paths of existing categories ("Clothing > Men >
// Shirts"), several separated by "|"; images are media keys separated by
// "|"; prices are decimals in the currency's major units with a dot and at
// most as many decimals as the currency has ("12.50" EUR, "1000" JPY,
// "1.250" KWD: money.Decimal and money.Parse).
//
// attributes are the product's own (catalog.CleanAttributes), "Name: Value"
// pairs separated by "|": "Material: Cotton|Fit: Slim". A pair is split at
// its first ":" (a name never holds one; a value may: "Ratio: 1:2"). A "|"
// inside a name or value is written "\|" and a backslash "\\"; any other
// backslash is itself ("C:\temp"), so a hand-typed file needs escapes only
// around a "|". Export escapes exactly those two. The column came after
// the others: a file without it (an older export) leaves attributes alone.
// Import checks the whole file before it writes anything and writes only
// through catalog; it reads the catalog's tables directly (read-only) for the
// checks and for Export, which needs a handful of bulk queries where
// catalog's page readers would need one per product.
package csvio

import (
	"strings"
)

// Column names, in the order Export writes them.
const (
	colHandle = iota
	colName
	colDescription
	colBrand
	colStatus
	colFeatured
	colCategories
	colSKU
	colVariantName
	colOption1Name
	colOption1Value
	colOption2Name
	colOption2Value
	colPrice
	colCurrency
	colStock
	colImages
	colAttributes
	numColumns
)

// Columns are the header of the format, in Export's order. Import matches
// them by name (case and surrounding spaces ignored), in any order.
var Columns = [numColumns]string{
	"handle", "name", "description", "brand", "status", "featured", "categories",
	"sku", "variant_name", "option1_name", "option1_value", "option2_name", "option2_value",
	"price", "currency", "stock", "images", "attributes",
}

// requiredColumns must be in the header; the others may be left out and
// read as blank.
var requiredColumns = []int{colHandle, colName, colSKU, colPrice}

// productColumns hold product data: on a product's first row, and blank or
// equal on its other rows.
var productColumns = []int{colName, colDescription, colBrand, colStatus, colFeatured, colCategories, colImages, colAttributes}

// Separators inside a cell.
const (
	listSep = "|" // between categories, between images, between attributes
	pathSep = ">" // between the levels of a category path
	escape  = `\` // before a "|" or a backslash inside an attribute
)

// formulaTriggers start a cell that spreadsheets run as a formula; OWASP's
// "CSV Injection" advice is to prefix such a cell with a single quote.
const formulaTriggers = "=+-@\t\r"

// isFormulaLike reports whether s, once its leading quotes are dropped,
// starts like a formula. Export quotes exactly these cells and Import
// unquotes exactly these, so a cell such as "'=x" (a quote the merchant
// wrote) survives a round trip too.
func isFormulaLike(s string) bool {
	t := strings.TrimLeft(s, "'")
	return t != "" && strings.ContainsRune(formulaTriggers, rune(t[0]))
}

// neutralize makes a cell safe to open in a spreadsheet.
func neutralize(s string) string {
	if isFormulaLike(s) {
		return "'" + s
	}
	return s
}

// unneutralize undoes neutralize.
func unneutralize(s string) string {
	if len(s) > 1 && s[0] == '\'' && isFormulaLike(s[1:]) {
		return s[1:]
	}
	return s
}
