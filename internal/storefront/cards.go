package storefront

import (
	"bytes"
	"fmt"
	"html/template"

	"github.com/maypok86/otter/v2"

	"agora/internal/catalog"
)

// cardCacheBytes bounds the memory of the cards kept rendered. A card is
// about 600 bytes with its key, so this holds some 100,000 cards: every
// product of a 300,000-product catalog that random listings of all its
// categories showed in a benchmark (uniform, the worst case for a cache;
// shoppers' traffic is far more concentrated).
const cardCacheBytes = 64 << 20

// cardKey is everything a product card shows. A card is kept under its
// content, not under its product: a product whose name, picture, price or
// availability class changes gets a new key, so a kept card is never stale
// and nothing needs invalidating.
type cardKey struct {
	Slug, Name, ImageKey, Currency string
	PriceCents                     int64
	Availability                   catalog.Availability
}

// cards renders the product cards of listings through the "card" template,
// keeping each rendered card (issue 15). The cards are most of a listing
// page (24 of them, some 600 escaping calls through reflection): profiled
// on 300,000 products at 32 connections, html/template took 55% of a
// category page's CPU, and serving the grid without cards 30% more pages.
type cards struct {
	tmpl *template.Template // holds "card"; executed only after every page is cloned
	kept *otter.Cache[cardKey, template.HTML]
}

func newCards() *cards {
	return &cards{kept: otter.Must(&otter.Options[cardKey, template.HTML]{
		MaximumWeight: cardCacheBytes,
		Weigher: func(k cardKey, html template.HTML) uint32 {
			return uint32(len(html) + len(k.Slug) + len(k.Name) + len(k.ImageKey) + 64)
		},
	})}
}

// render returns s's card, rendered once for its content.
func (c *cards) render(s catalog.Summary) (template.HTML, error) {
	key := cardKey{Slug: s.Slug, Name: s.Name, ImageKey: s.ImageKey, Currency: s.Currency,
		PriceCents: s.PriceCents, Availability: s.Availability()}
	if html, ok := c.kept.GetIfPresent(key); ok {
		return html, nil
	}
	var buf bytes.Buffer
	if err := c.tmpl.ExecuteTemplate(&buf, "card", key); err != nil {
		return "", fmt.Errorf("storefront: render card of %q: %w", s.Slug, err)
	}
	// The template's output is escaped HTML: it may be written as is.
	html := template.HTML(buf.String())
	c.kept.Set(key, html)
	return html, nil
}
