package catalog

import (
	"agora/internal/cachehdr"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"agora/internal/fault"
)

// Filters narrow a listing by facet (issue 15): several values of one facet
// match any of them; different facets must all match. The zero value
// filters nothing.
type Filters struct {
	// PriceMin and PriceMax bound the product's price (its lowest variant's),
	// in cents, both inclusive; 0 leaves a side open (prices are never
	// negative, and an upper bound of 0 is refused by ParseFilters).
	PriceMin, PriceMax int64
	Brands             []string
	// Availability holds "in_stock" (stock > 0) and/or "out_of_stock".
	Availability []string
	// Options maps an option key (OptionKey of "Colour": "colour") to the
	// values wanted, as merchants wrote them ("Navy").
	Options map[string][]string
}

// Filter limits: a listing URL is a few choices, not a document, and each
// value becomes an SQL parameter.
const (
	MaxFilterValues = 20 // per facet
	MaxFilterTotal  = 40 // over all facets
	maxValueLen     = 100
)

// The URL parameters of filters. Options are "opt_" + OptionKey(name).
const (
	ParamAvailability = "availability"
	ParamBrand        = "brand"
	ParamPrice        = "price"
	OptionParamPrefix = "opt_"
)

// listingParams are the parameters a listing URL may carry besides filters.
var listingParams = []string{"q", "category", "sort", "per_page", "page"}

// Active reports whether any filter is set.
func (f Filters) Active() bool {
	return f.hasPrice() || len(f.Brands) > 0 || len(f.Availability) > 0 || len(f.Options) > 0
}

func (f Filters) hasPrice() bool { return f.PriceMin > 0 || f.PriceMax > 0 }

// only returns the one facet parameter f filters on, or "" when it filters
// on none or on several.
func (f Filters) only() string {
	var params []string
	if f.hasPrice() {
		params = append(params, ParamPrice)
	}
	if len(f.Brands) > 0 {
		params = append(params, ParamBrand)
	}
	if len(f.Availability) > 0 {
		params = append(params, ParamAvailability)
	}
	for k, vals := range f.Options {
		if len(vals) > 0 {
			params = append(params, OptionParamPrefix+k)
		}
	}
	if len(params) != 1 {
		return ""
	}
	return params[0]
}

// Depth counts the filter values set: the storefront marks deep
// combinations noindex, nofollow so crawlers do not walk them all.
func (f Filters) Depth() int {
	n := len(f.Brands) + len(f.Availability)
	if f.hasPrice() {
		n++
	}
	for _, vs := range f.Options {
		n += len(vs)
	}
	return n
}

// OptionKey folds an option name to its URL and storage key: lower case,
// words joined by "-" ("Shoe Size" → "shoe-size"). Migration 0004 folds the
// same way in SQL for ASCII names.
func OptionKey(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), "-")) }

// OptionLabel is the display name of an option key ("shoe-size" → "Shoe size").
func OptionLabel(key string) string {
	s := strings.ReplaceAll(key, "-", " ")
	if r, n := utf8.DecodeRuneInString(s); n > 0 {
		return strings.ToUpper(string(r)) + s[n:]
	}
	return s
}

// ParseFilters reads the filters of a listing URL and refuses, with a
// fault.Field naming what is allowed, unknown parameters, malformed price
// ranges, unknown availability values, and too many values. optionKeys are
// the option keys the catalog knows (Catalog.OptionKeys); other parameters
// the caller reads itself are listed in also.
func ParseFilters(v url.Values, optionKeys []string, also ...string) (Filters, error) {
	var f Filters
	total := 0
	for name, vals := range v {
		switch {
		case slices.Contains(listingParams, name) || slices.Contains(also, name) || cachehdr.Tracking(name):
			continue
		case name == ParamPrice:
			if len(vals) != 1 {
				return f, fault.Field(ParamPrice, "Give one price range, such as price=10-50 (whole currency units; either side may be left out).")
			}
			lo, hi, err := parsePriceRange(vals[0])
			if err != nil {
				return f, err
			}
			f.PriceMin, f.PriceMax = lo, hi
			total++
			continue
		}
		vals, err := filterValues(name, vals)
		if err != nil {
			return f, err
		}
		total += len(vals)
		switch {
		case name == ParamBrand:
			f.Brands = vals
		case name == ParamAvailability:
			for _, a := range vals {
				if a != string(InStock) && a != string(OutOfStock) {
					return f, fault.Field(ParamAvailability, "Unknown availability %q: use in_stock or out_of_stock.", truncate(a, 30))
				}
			}
			f.Availability = vals
		case strings.HasPrefix(name, OptionParamPrefix) && slices.Contains(optionKeys, name[len(OptionParamPrefix):]):
			if f.Options == nil {
				f.Options = map[string][]string{}
			}
			f.Options[name[len(OptionParamPrefix):]] = vals
		default:
			return f, fault.Field(truncate(name, 40), "Unknown filter %q: the filters are %s.", truncate(name, 40), strings.Join(allowedFilters(optionKeys), ", "))
		}
	}
	if total > MaxFilterTotal {
		return f, fault.Field("filters", "Too many filter values (%d): use at most %d in all.", total, MaxFilterTotal)
	}
	return f, nil
}

// allowedFilters names the filter parameters, for error messages.
func allowedFilters(optionKeys []string) []string {
	out := []string{ParamAvailability, ParamBrand, ParamPrice}
	for _, k := range optionKeys {
		out = append(out, OptionParamPrefix+k)
	}
	return out
}

// filterValues checks one facet's values and returns them sorted and
// deduplicated: the canonical order.
func filterValues(name string, vals []string) ([]string, error) {
	if len(vals) > MaxFilterValues {
		return nil, fault.Field(truncate(name, 40), "Too many values for %s (%d): use at most %d.", truncate(name, 40), len(vals), MaxFilterValues)
	}
	out := make([]string, 0, len(vals))
	for _, s := range vals {
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > maxValueLen {
			return nil, fault.Field(truncate(name, 40), "Each %s value must be text of 1 to %d characters.", truncate(name, 40), maxValueLen)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// parsePriceRange reads "10-50", "10-" or "-50" (whole currency units) as
// inclusive bounds in cents.
func parsePriceRange(s string) (lo, hi int64, err error) {
	bad := fault.Field(ParamPrice, "The price range %q is not MIN-MAX in whole currency units, such as 10-50, 10- or -50.", truncate(s, 30))
	a, b, ok := strings.Cut(s, "-")
	if !ok || a == "" && b == "" {
		return 0, 0, bad
	}
	for _, side := range []struct {
		text string
		dst  *int64
	}{{a, &lo}, {b, &hi}} {
		if side.text == "" {
			continue
		}
		n, err := strconv.ParseInt(side.text, 10, 64)
		if err != nil || n < 0 || n > MaxPriceCents/100 || !isDigits(side.text) || side.dst == &hi && n == 0 {
			return 0, 0, bad
		}
		*side.dst = n * 100
	}
	if hi > 0 && lo > hi {
		return 0, 0, fault.Field(ParamPrice, "The price range %q starts above its end.", truncate(s, 30))
	}
	return lo, hi, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Encode returns the filters as URL parameters in the one canonical order
// (availability, brand, price, then options by key; values sorted), so each
// filtered listing has one URL and one edge cache entry.
func (f Filters) Encode() []string {
	var out []string
	add := func(name string, vals []string) {
		vals = slices.Clone(vals)
		slices.Sort(vals)
		for _, v := range slices.Compact(vals) {
			out = append(out, url.QueryEscape(name)+"="+url.QueryEscape(v))
		}
	}
	add(ParamAvailability, f.Availability)
	add(ParamBrand, f.Brands)
	if f.hasPrice() {
		out = append(out, ParamPrice+"="+priceSide(f.PriceMin)+"-"+priceSide(f.PriceMax))
	}
	keys := make([]string, 0, len(f.Options))
	for k := range f.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		add(OptionParamPrefix+k, f.Options[k])
	}
	return out
}

func priceSide(cents int64) string {
	if cents <= 0 {
		return ""
	}
	return strconv.FormatInt(cents/100, 10)
}

// Toggle returns a copy of f with value v of facet param added, or removed
// when present (facet links and "remove this filter" links).
func (f Filters) Toggle(param, v string) Filters {
	g := f.clone()
	flip := func(vals []string) []string {
		if i := slices.Index(vals, v); i >= 0 {
			return slices.Delete(vals, i, i+1)
		}
		return append(vals, v)
	}
	switch {
	case param == ParamBrand:
		g.Brands = flip(g.Brands)
	case param == ParamAvailability:
		g.Availability = flip(g.Availability)
	case param == ParamPrice:
		g.PriceMin, g.PriceMax = 0, 0
	case strings.HasPrefix(param, OptionParamPrefix):
		k := param[len(OptionParamPrefix):]
		if vals := flip(g.Options[k]); len(vals) > 0 {
			g.Options[k] = vals
		} else {
			delete(g.Options, k)
		}
	}
	return g
}

func (f Filters) clone() Filters {
	g := f
	g.Brands = slices.Clone(f.Brands)
	g.Availability = slices.Clone(f.Availability)
	g.Options = make(map[string][]string, len(f.Options))
	for k, v := range f.Options {
		g.Options[k] = slices.Clone(v)
	}
	return g
}

// Has reports whether value v of facet param is selected.
func (f Filters) Has(param, v string) bool {
	switch {
	case param == ParamBrand:
		return slices.Contains(f.Brands, v)
	case param == ParamAvailability:
		return slices.Contains(f.Availability, v)
	case strings.HasPrefix(param, OptionParamPrefix):
		return slices.Contains(f.Options[param[len(OptionParamPrefix):]], v)
	}
	return false
}

// where renders the filters as SQL conditions on products p, skipping the
// facet named by except ("" skips none) so that a facet's counts ignore its
// own selection.
func (f Filters) where(except string, arg func(any) string) []string {
	var conds []string
	in := func(vals []string) string {
		ph := make([]string, len(vals))
		for i, v := range vals {
			ph[i] = arg(v)
		}
		return strings.Join(ph, ", ")
	}
	if except != ParamPrice {
		if f.PriceMin > 0 {
			conds = append(conds, "p.price_cents >= "+arg(f.PriceMin))
		}
		if f.PriceMax > 0 {
			conds = append(conds, "p.price_cents <= "+arg(f.PriceMax))
		}
	}
	if except != ParamBrand && len(f.Brands) > 0 {
		conds = append(conds, "p.brand IN ("+in(f.Brands)+")")
	}
	if except != ParamAvailability && len(f.Availability) == 1 {
		if f.Availability[0] == string(InStock) {
			conds = append(conds, "p.stock > 0")
		} else {
			conds = append(conds, "p.stock <= 0")
		}
	}
	keys := make([]string, 0, len(f.Options))
	for k := range f.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if except == OptionParamPrefix+k || len(f.Options[k]) == 0 {
			continue
		}
		conds = append(conds, fmt.Sprintf("EXISTS (SELECT 1 FROM product_options o WHERE o.product_id = p.id AND o.name = %s AND o.value IN (%s))",
			arg(k), in(f.Options[k])))
	}
	return conds
}
