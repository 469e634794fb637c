package storefront

import (
	"strings"

	"agora/internal/catalog"
)

// formatOptions is the template func "options": "Size: M · Colour: Red".
func formatOptions(opts []catalog.Option) string {
	parts := make([]string, 0, len(opts))
	for _, o := range opts {
		parts = append(parts, o.Name+": "+o.Value)
	}
	return strings.Join(parts, " · ")
}
