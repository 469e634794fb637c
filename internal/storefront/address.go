package storefront

import (
	"slices"
	"strings"

	"agora/internal/customer"
)

// addressFields are the inputs of a postal address, named prefix+the field
// names of customer.ValidateAddress, so its messages land next to them.
// autocomplete is the section ("shipping ") browsers fill them from;
// the country is a menu of countries (those the store ships to, or all of
// customer.Countries when it ships everywhere), by name.
func addressFields(prefix, autocomplete string, required bool, countries []string) []input {
	if len(countries) == 0 {
		countries = customer.Countries()
	}
	country := input{
		Name: prefix + "country", Label: "Country", Autocomplete: autocomplete + "country", Required: required,
		Options: []option{{Value: "", Label: "Choose a country"}},
	}
	for _, c := range countries {
		country.Options = append(country.Options, option{Value: c, Label: customer.CountryName(c)})
	}
	slices.SortStableFunc(country.Options[1:], func(a, b option) int { return strings.Compare(a.Label, b.Label) })
	return []input{
		{Name: prefix + "name", Label: "Full name", Autocomplete: autocomplete + "name", MaxLen: 200, Required: required, Class: "full"},
		{Name: prefix + "line1", Label: "Street and number", Autocomplete: autocomplete + "address-line1", MaxLen: 200, Required: required, Class: "full"},
		{Name: prefix + "line2", Label: "Apartment, floor, company", Autocomplete: autocomplete + "address-line2", MaxLen: 200, Class: "full"},
		{Name: prefix + "postal_code", Label: "Postal code", Autocomplete: autocomplete + "postal-code", MaxLen: 20, Required: required},
		{Name: prefix + "city", Label: "City", Autocomplete: autocomplete + "address-level2", MaxLen: 100, Required: required},
		country,
		{Name: prefix + "phone", Label: "Phone", Type: "tel", Autocomplete: autocomplete + "tel", MaxLen: 40, Hint: "Only for questions about the delivery."},
	}
}

// addressNames are the form names of addressFields.
func addressNames(prefix string) []string {
	return []string{prefix + "name", prefix + "line1", prefix + "line2", prefix + "postal_code", prefix + "city", prefix + "country", prefix + "phone"}
}

// addressFrom reads the address typed under prefix. The country code is
// upper-cased: shoppers type "de" as often as "DE".
func addressFrom(f form, prefix string) customer.Address {
	return customer.Address{
		Name:       f.Value(prefix + "name"),
		Line1:      f.Value(prefix + "line1"),
		Line2:      f.Value(prefix + "line2"),
		City:       f.Value(prefix + "city"),
		PostalCode: f.Value(prefix + "postal_code"),
		Country:    strings.ToUpper(f.Value(prefix + "country")),
		Phone:      f.Value(prefix + "phone"),
	}
}
