package storefront

import (
	"net/http"

	"agora/internal/catalog"
	"agora/internal/money"
)

// productLD is a schema.org Product (https://schema.org/Product) for rich
// results. It is a Go value, not text pasted into the template: html/template
// marshals it to JSON inside <script> and escapes "<", so a product name
// cannot close the script element.
type productLD struct {
	Context     string    `json:"@context"`
	Type        string    `json:"@type"`
	Name        string    `json:"name"`
	Description string    `json:"description,omitempty"`
	Image       []string  `json:"image,omitempty"`
	SKU         string    `json:"sku,omitempty"`
	Brand       *brandLD  `json:"brand,omitempty"`
	URL         string    `json:"url"`
	Offers      []offerLD `json:"offers,omitempty"`
	// AdditionalProperty carries the product's attributes (Material:
	// Cotton), as schema.org's PropertyValue pairs.
	AdditionalProperty []propertyLD `json:"additionalProperty,omitempty"`
}

type propertyLD struct {
	Type  string `json:"@type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type brandLD struct {
	Type string `json:"@type"`
	Name string `json:"name"`
}

type offerLD struct {
	Type          string `json:"@type"`
	Name          string `json:"name,omitempty"`
	SKU           string `json:"sku,omitempty"`
	Price         string `json:"price"` // decimal string, "12.50"
	PriceCurrency string `json:"priceCurrency"`
	Availability  string `json:"availability"`
	URL           string `json:"url"`
}

// schemaAvailability maps stock classes to schema.org ItemAvailability.
func schemaAvailability(a catalog.Availability) string {
	switch a {
	case catalog.InStock:
		return "https://schema.org/InStock"
	case catalog.LowOnStock:
		return "https://schema.org/LimitedAvailability"
	default:
		return "https://schema.org/OutOfStock"
	}
}

func (h *Handler) productJSONLD(r *http.Request, p *catalog.Product) productLD {
	url := h.origin(r) + "/products/" + p.Slug
	ld := productLD{
		Context:     "https://schema.org",
		Type:        "Product",
		Name:        p.Name,
		Description: p.Description,
		URL:         url,
	}
	for _, img := range p.Images {
		ld.Image = append(ld.Image, h.absolute(r, h.media(img.Key)))
	}
	if p.Brand != "" {
		ld.Brand = &brandLD{Type: "Brand", Name: p.Brand}
	}
	if len(p.Variants) > 0 {
		ld.SKU = p.Variants[0].SKU
	}
	for _, a := range p.Attributes {
		ld.AdditionalProperty = append(ld.AdditionalProperty, propertyLD{Type: "PropertyValue", Name: a.Name, Value: a.Value})
	}
	for _, v := range p.Variants {
		ld.Offers = append(ld.Offers, offerLD{
			Type:          "Offer",
			Name:          v.Name,
			SKU:           v.SKU,
			Price:         money.Decimal(v.PriceCents, v.Currency),
			PriceCurrency: v.Currency,
			Availability:  schemaAvailability(v.Availability()),
			URL:           url,
		})
	}
	return ld
}
