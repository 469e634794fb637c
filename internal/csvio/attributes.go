package csvio

import (
	"fmt"
	"slices"
	"strings"

	"agora/internal/catalog"
	"agora/internal/fault"
)

// attributesCell writes a product's attributes as the attributes column
// holds them (the package comment has the format).
func attributesCell(attrs []catalog.Option) string {
	esc := strings.NewReplacer(escape, escape+escape, listSep, escape+listSep)
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = esc.Replace(catalog.AttributeText(a))
	}
	return strings.Join(parts, listSep)
}

// attributesDiff is a change of attributes as a dry run shows it: the
// pairs was has and now has not, and the other way round ("Material:
// Cotton" → "Material: Linen"), so that one edit among thirty reads as
// one; a new order alone shows both lists whole.
func attributesDiff(was, now []catalog.Option) (gone, came string) {
	var g, c []catalog.Option
	for _, a := range was {
		if !slices.Contains(now, a) {
			g = append(g, a)
		}
	}
	for _, a := range now {
		if !slices.Contains(was, a) {
			c = append(c, a)
		}
	}
	if len(g) == 0 && len(c) == 0 {
		return attributesCell(was), attributesCell(now)
	}
	return attributesCell(g), attributesCell(c)
}

// parseAttributesCell reads an attributes cell: blank pairs are skipped,
// each pair needs a name and a value, and catalog.CleanAttributes checks
// the rest. A problem is a message for the merchant.
func parseAttributesCell(s string) ([]catalog.Option, error) {
	var pairs []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ { // bytes: "\" and "|" are never inside a multi-byte rune
		switch {
		case s[i] == escape[0] && i+1 < len(s) && (s[i+1] == escape[0] || s[i+1] == listSep[0]):
			i++
			cur.WriteByte(s[i])
		case s[i] == listSep[0]:
			pairs = append(pairs, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(s[i])
		}
	}
	pairs = append(pairs, cur.String())
	var attrs []catalog.Option
	for _, p := range pairs {
		if strings.TrimSpace(p) == "" {
			continue
		}
		a, ok := catalog.ParseAttributeText(p)
		if !ok {
			return nil, fmt.Errorf(`%q is not Name: Value. Write attributes as "Material: Cotton|Fit: Slim" (a "|" inside a name or value is written \|).`, truncate(strings.TrimSpace(p), 40))
		}
		attrs = append(attrs, a)
	}
	attrs, err := catalog.CleanAttributes(attrs)
	if err != nil {
		return nil, fmt.Errorf("%s", fault.MessageOf(err))
	}
	return attrs, nil
}

// buildAttributes reads the product's attributes column into it.np.
func (it *item) buildAttributes() {
	attrs, err := parseAttributesCell(it.productValue(colAttributes))
	if err != nil {
		it.fail(it.rowOf(colAttributes), colAttributes, "%s", err.Error())
		return
	}
	it.np.Attributes = attrs
}
