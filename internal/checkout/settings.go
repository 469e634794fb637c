package checkout

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"agora/internal/customer"
	"agora/internal/fault"
)

// Settings are the store's checkout settings, stored in the settings table;
// a key that was never saved reads as its default (DefaultSettings).
type Settings struct {
	Currency         string         // ISO 4217, e.g. "EUR"
	PricesIncludeTax bool           // prices are entered gross (EU retail) or net (B2B, US)
	TaxRates         map[string]int // country (ISO 3166-1 alpha-2) → basis points, e.g. "DE": 1900
	DefaultTaxRate   int            // basis points, for countries not in TaxRates
	Shipping         []ShippingMethod
	Countries        []string // where the store ships; empty = everywhere
}

// ShippingMethod is a flat-rate shipping option.
type ShippingMethod struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	PriceCents    int64  `json:"price_cents"`
	FreeOverCents int64  `json:"free_over_cents"` // 0 = never free
}

// DefaultSettings are the settings of a fresh store: euro prices including
// VAT at the standard rates of common destinations, standard shipping free
// from 50.00, express.
func DefaultSettings() Settings {
	return Settings{
		Currency:         "EUR",
		PricesIncludeTax: true,
		TaxRates: map[string]int{
			"DE": 1900, "FR": 2000, "NL": 2100, "AT": 2000, "BE": 2100, "IT": 2200, "ES": 2100,
			"PT": 2300, "IE": 2300, "LU": 1700, "PL": 2300, "CZ": 2100, "DK": 2500, "SE": 2500,
			"FI": 2550, "GB": 2000, "CH": 810, "NO": 2500, "US": 0, "CA": 0,
		},
		DefaultTaxRate: 2000,
		Shipping: []ShippingMethod{
			{Code: "standard", Name: "Standard shipping", PriceCents: 495, FreeOverCents: 5000},
			{Code: "express", Name: "Express shipping", PriceCents: 995},
		},
	}
}

// The keys of the settings table this package owns.
const (
	keyCurrency    = "checkout.currency"
	keyIncludesTax = "checkout.prices_include_tax"
	keyTaxRates    = "checkout.tax_rates"
	keyDefaultRate = "checkout.default_tax_rate"
	keyShipping    = "checkout.shipping_methods"
	keyCountries   = "checkout.countries"
)

// Settings returns the current settings, defaults filled in.
func (s *Service) Settings(ctx context.Context) (Settings, error) {
	st := DefaultSettings()
	rows, err := s.DB.Query(ctx, `SELECT key, value FROM settings WHERE key LIKE 'checkout.%'`)
	if err != nil {
		return st, fmt.Errorf("checkout: settings: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return st, fmt.Errorf("checkout: settings: %w", err)
		}
		if err := st.set(k, v); err != nil {
			return st, fmt.Errorf("checkout: setting %s: %w", k, err)
		}
	}
	return st, rows.Err()
}

func (st *Settings) set(k, v string) error {
	var err error
	switch k {
	case keyCurrency:
		st.Currency = v
	case keyIncludesTax:
		st.PricesIncludeTax, err = strconv.ParseBool(v)
	case keyTaxRates:
		st.TaxRates = nil
		err = json.Unmarshal([]byte(v), &st.TaxRates)
	case keyDefaultRate:
		st.DefaultTaxRate, err = strconv.Atoi(v)
	case keyShipping:
		st.Shipping = nil
		err = json.Unmarshal([]byte(v), &st.Shipping)
	case keyCountries:
		st.Countries = nil
		err = json.Unmarshal([]byte(v), &st.Countries)
	}
	return err
}

// SaveSettings validates and stores st whole.
func (s *Service) SaveSettings(ctx context.Context, st Settings) error {
	if err := st.validate(); err != nil {
		return err
	}
	rates, _ := json.Marshal(st.TaxRates)
	ship, _ := json.Marshal(st.Shipping)
	countries, _ := json.Marshal(st.Countries)
	kv := [][2]string{
		{keyCurrency, st.Currency},
		{keyIncludesTax, strconv.FormatBool(st.PricesIncludeTax)},
		{keyTaxRates, string(rates)},
		{keyDefaultRate, strconv.Itoa(st.DefaultTaxRate)},
		{keyShipping, string(ship)},
		{keyCountries, string(countries)},
	}
	return s.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, p := range kv {
			if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET value = excluded.value`, p[0], p[1]); err != nil {
				return fmt.Errorf("checkout: save settings: %w", err)
			}
		}
		return nil
	})
}

func (st Settings) validate() error {
	if !isUpperLetters(st.Currency, 3) {
		return fault.Field("currency", "A currency is a three-letter ISO code such as EUR.")
	}
	for c, r := range st.TaxRates {
		if !customer.IsCountry(c) {
			return fault.Field("tax_rates", "%q is not a two-letter country code.", c)
		}
		if r < 0 || r > 10000 {
			return fault.Field("tax_rates", "The tax rate of %s must be between 0 and 100 %%.", c)
		}
	}
	if st.DefaultTaxRate < 0 || st.DefaultTaxRate > 10000 {
		return fault.Field("default_tax_rate", "The default tax rate must be between 0 and 100 %%.")
	}
	for _, c := range st.Countries {
		if !customer.IsCountry(c) {
			return fault.Field("countries", "%q is not a two-letter country code.", c)
		}
	}
	return validateShipping(st.Shipping)
}

func validateShipping(ms []ShippingMethod) error {
	var codes []string
	for _, m := range ms {
		if m.Code == "" || len(m.Code) > 40 || m.Name == "" || len(m.Name) > 100 {
			return fault.Field("shipping", "Every shipping method needs a code (up to 40 characters) and a name (up to 100).")
		}
		if m.PriceCents < 0 || m.FreeOverCents < 0 {
			return fault.Field("shipping", "Shipping prices cannot be negative.")
		}
		if slices.Contains(codes, m.Code) {
			return fault.Field("shipping", "The shipping code %q is used twice.", m.Code)
		}
		codes = append(codes, m.Code)
	}
	// The API's default method (DESIGN.md "Checkout request body").
	if !slices.Contains(codes, "standard") {
		return fault.Field("shipping", "A shipping method with the code \"standard\" must exist.")
	}
	return nil
}

func isUpperLetters(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// taxRate is the rate for a destination country.
func (st Settings) taxRate(country string) int {
	if r, ok := st.TaxRates[country]; ok {
		return r
	}
	return st.DefaultTaxRate
}

func (st Settings) shipping(code string) (ShippingMethod, bool) {
	for _, m := range st.Shipping {
		if m.Code == code {
			return m, true
		}
	}
	return ShippingMethod{}, false
}

func (st Settings) shipsTo(country string) bool {
	return len(st.Countries) == 0 || slices.Contains(st.Countries, country)
}
