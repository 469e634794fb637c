package catalog

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"agora/internal/fault"
)

// Product attributes (issue 15) are name/value pairs of the product itself
// (Material: Cotton, Origin: Portugal), where options belong to one
// variant. Both become rows of product_options under the name's folded key
// (OptionKey), so an attribute is a filter (opt_material=Cotton) and a
// facet like any option, and a product whose attribute and variant option
// share a key and a value is counted once.

// Attribute limits. Names are short labels; a value is one line.
const (
	MaxAttributes        = 30
	MaxAttributeNameLen  = 40  // characters, after trimming
	MaxAttributeValueLen = 100 // characters, after trimming
)

// CleanAttributes returns attrs with names and values trimmed, in their
// order, or a fault.Field("attributes") saying what to fix: at most
// MaxAttributes, each with a name and a value within their limits, valid
// text without control characters, a name without ":" (the admin's form
// and the CSV write "Name: Value"), and no two names with the same key
// ("Colour" and "colour" would be one filter). The result is never nil.
func CleanAttributes(attrs []Option) ([]Option, error) {
	if len(attrs) > MaxAttributes {
		return nil, fault.Field("attributes", "A product has at most %d attributes, not %d: remove some, or move them to the description.", MaxAttributes, len(attrs))
	}
	out := make([]Option, 0, len(attrs))
	seen := make(map[string]string, len(attrs))
	for i, a := range attrs {
		name, value := strings.TrimSpace(a.Name), strings.TrimSpace(a.Value)
		label := fmt.Sprintf("Attribute %d", i+1)
		if name != "" && utf8.ValidString(name) {
			label = fmt.Sprintf("The attribute %q", truncate(name, 40))
		}
		switch {
		case !plainText(name) || !plainText(value):
			return nil, fault.Field("attributes", "%s must be plain text: valid UTF-8, on one line, without control characters.", label)
		case name == "":
			return nil, fault.Field("attributes", "%s needs a name, such as Material.", label)
		case value == "":
			return nil, fault.Field("attributes", "%s needs a value, such as Cotton.", label)
		case strings.Contains(name, ":"):
			return nil, fault.Field("attributes", "%s: a name cannot hold \":\", which separates the name from the value.", label)
		case utf8.RuneCountInString(name) > MaxAttributeNameLen:
			return nil, fault.Field("attributes", "%s: the name is too long, at most %d characters.", label, MaxAttributeNameLen)
		case utf8.RuneCountInString(value) > MaxAttributeValueLen:
			return nil, fault.Field("attributes", "%s: the value is too long, at most %d characters.", label, MaxAttributeValueLen)
		}
		key := OptionKey(name)
		if first, dup := seen[key]; dup {
			return nil, fault.Field("attributes", "The attributes %q and %q are one filter: give each name once.", first, name)
		}
		seen[key] = name
		out = append(out, Option{Name: name, Value: value})
	}
	return out, nil
}

// plainText reports whether s is valid UTF-8 without control characters
// (line breaks, tabs and NUL included).
func plainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// decodeAttributes reads products.attributes; never nil.
func decodeAttributes(raw string, productID int64) ([]Option, error) {
	attrs := []Option{}
	if err := json.Unmarshal([]byte(raw), &attrs); err != nil {
		return nil, fmt.Errorf("product %d: %w", productID, err)
	}
	return nonNil(attrs), nil
}

// encodeAttributes is the column's text for attrs.
func encodeAttributes(attrs []Option) (string, error) {
	b, err := json.Marshal(nonNil(attrs))
	if err != nil {
		return "", fmt.Errorf("catalog: attributes: %w", err)
	}
	return string(b), nil
}

// AttributeText is one attribute as the admin's form and the CSV write it:
// "Material: Cotton".
func AttributeText(a Option) string { return a.Name + ": " + a.Value }

// ParseAttributeText reads AttributeText's form, split at the first colon
// (a name holds none, a value may), trimmed. ok is false without a colon,
// a name or a value.
func ParseAttributeText(s string) (a Option, ok bool) {
	name, value, found := strings.Cut(s, ":")
	a = Option{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)}
	return a, found && a.Name != "" && a.Value != ""
}
