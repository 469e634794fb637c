package admin

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"agora/internal/checkout"
	"agora/internal/fault"
	"agora/internal/money"
	"agora/internal/page"
)

// The settings form: currency, tax mode, the default and per-country tax
// rates (a textarea, one "DE 19" a line: any number of countries without
// JavaScript), the countries shipped to, and shipping methods as table rows
// (existing ones plus blanks to add; a row with an empty code is dropped).

// blankShippingRows is how many empty rows the form offers for new methods.
const blankShippingRows = 2

type shippingRow struct {
	Index                       int
	Code, Name, Price, FreeOver string
	CodeErr, NameErr, PriceErr  string
}

type settingsPage struct {
	layout
	Form     *form
	Shipping []shippingRow
}

var settingsNames = []string{"currency", "prices_include_tax", "default_tax_rate", "tax_rates", "countries"}

// settingsPage serves GET /admin/settings.
func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request) {
	st, err := h.Checkout.Settings(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	f := emptyForm()
	f.Values["currency"] = st.Currency
	f.Values["prices_include_tax"] = strconv.FormatBool(st.PricesIncludeTax)
	f.Values["default_tax_rate"] = formatBasisPoints(st.DefaultTaxRate)
	f.Values["tax_rates"] = formatRates(st.TaxRates)
	f.Values["countries"] = strings.Join(st.Countries, ", ")
	var rows []shippingRow
	for i, m := range st.Shipping {
		rows = append(rows, shippingRow{Index: i, Code: m.Code, Name: m.Name, Price: money.Decimal(m.PriceCents, st.Currency), FreeOver: freeOver(m.FreeOverCents, st.Currency)})
	}
	h.render(w, r, http.StatusOK, "settings", settingsPage{layout: h.newLayout(r, "Settings", "settings"), Form: f, Shipping: padRows(rows)})
}

func freeOver(c int64, currency string) string {
	if c == 0 {
		return ""
	}
	return money.Decimal(c, currency)
}

// padRows adds the blank rows for new methods.
func padRows(rows []shippingRow) []shippingRow {
	for range blankShippingRows {
		rows = append(rows, shippingRow{Index: len(rows)})
	}
	return rows
}

// settingsSave serves POST /admin/settings: the whole form is checked, then
// saved whole by checkout.SaveSettings, which checks again.
func (h *Handler) settingsSave(w http.ResponseWriter, r *http.Request) {
	if !h.parsePost(w, r) {
		return
	}
	f := newForm(r, settingsNames...)
	st := checkout.Settings{
		Currency:         strings.ToUpper(f.Value("currency")),
		PricesIncludeTax: f.Value("prices_include_tax") == "true",
	}
	var err error
	if st.DefaultTaxRate, err = parseBasisPoints("default_tax_rate", "Default tax rate", f.Value("default_tax_rate")); err != nil {
		f.Fail(err, f.Has)
	}
	if st.TaxRates, err = parseRates(f.Value("tax_rates")); err != nil {
		f.Fail(err, f.Has)
	}
	st.Countries = parseCountries(f)
	var rows []shippingRow
	st.Shipping, rows = parseShipping(r, f)
	if !f.Invalid() {
		err = h.Checkout.SaveSettings(r.Context(), st)
		if err == nil {
			page.SeeOther(w, r, "/admin/settings?done=saved")
			return
		}
		if isInternal(err) {
			h.serverError(w, r, err)
			return
		}
		f.Fail(err, func(field string) bool { return f.Has(field) || field == "shipping" })
	}
	h.render(w, r, http.StatusBadRequest, "settings", settingsPage{layout: h.newLayout(r, "Settings", "settings"), Form: f, Shipping: padRows(rows)})
}

// formatRates writes tax rates one "DE 19" a line, sorted by country.
func formatRates(rates map[string]int) string {
	codes := make([]string, 0, len(rates))
	for c := range rates {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var b strings.Builder
	for _, c := range codes {
		fmt.Fprintf(&b, "%s %s\n", c, formatBasisPoints(rates[c]))
	}
	return b.String()
}

// parseRates reads the tax-rate lines ("DE 19", "CH 8.1 %", "FR: 20"),
// naming the line of the first mistake.
func parseRates(s string) (map[string]int, error) {
	rates := map[string]int{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(strings.ReplaceAll(line, ":", " "))
		if line == "" {
			continue
		}
		parts := strings.Fields(line)
		if len(parts) < 2 {
			return nil, fault.Field("tax_rates", "Line %d: write a country code and a rate, such as DE 19.", i+1)
		}
		code := strings.ToUpper(parts[0])
		if len(code) != 2 || !isLetters(code) {
			return nil, fault.Field("tax_rates", "Line %d: %q is not a two-letter country code.", i+1, parts[0])
		}
		bp, err := parseBasisPoints("tax_rates", "Rate", strings.Join(parts[1:], ""))
		if err != nil {
			return nil, fault.Field("tax_rates", "Line %d: the rate of %s must be a percentage from 0 to 100, such as 19 or 8.1.", i+1, code)
		}
		if _, dup := rates[code]; dup {
			return nil, fault.Field("tax_rates", "Line %d: %s has a rate already.", i+1, code)
		}
		rates[code] = bp
	}
	return rates, nil
}

func isLetters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// parseCountries reads "DE, FR AT" into codes; empty means everywhere.
func parseCountries(f *form) []string {
	var out []string
	for _, c := range strings.FieldsFunc(strings.ToUpper(f.Value("countries")), func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if len(c) != 2 || !isLetters(c) {
			f.Set("countries", fmt.Sprintf("%q is not a two-letter country code.", c))
			continue
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// maxShippingRows bounds the rows read from a posted form.
const maxShippingRows = 50

// parseShipping reads the rows ship.{i}.code/name/price/free_over; rows
// with an empty code and name are dropped. Errors go on the row.
func parseShipping(r *http.Request, f *form) ([]checkout.ShippingMethod, []shippingRow) {
	var methods []checkout.ShippingMethod
	var rows []shippingRow
	currency := strings.ToUpper(f.Value("currency")) // prices are in the currency being saved
	for i := range maxShippingRows {
		p := "ship." + strconv.Itoa(i) + "."
		if _, ok := r.PostForm[p+"code"]; !ok {
			break
		}
		row := shippingRow{Index: len(rows), Code: strings.TrimSpace(r.PostFormValue(p + "code")),
			Name: strings.TrimSpace(r.PostFormValue(p + "name")), Price: strings.TrimSpace(r.PostFormValue(p + "price")),
			FreeOver: strings.TrimSpace(r.PostFormValue(p + "free_over"))}
		if row.Code == "" && row.Name == "" {
			continue
		}
		m := checkout.ShippingMethod{Code: row.Code, Name: row.Name}
		if row.Code == "" {
			row.CodeErr = "A method needs a code, such as express."
		}
		if row.Name == "" {
			row.NameErr = "A method needs a name shoppers see."
		}
		var err error
		if m.PriceCents, err = parseAmount("price", "Price", row.Price, currency); err != nil {
			row.PriceErr = fault.MessageOf(err)
		}
		if row.FreeOver != "" {
			if m.FreeOverCents, err = parseAmount("free_over", "Free over", row.FreeOver, currency); err != nil && row.PriceErr == "" {
				row.PriceErr = fault.MessageOf(err)
			}
		}
		if row.CodeErr != "" || row.NameErr != "" || row.PriceErr != "" {
			f.Message = "Some shipping methods need attention."
		}
		methods = append(methods, m)
		rows = append(rows, row)
	}
	return methods, rows
}
