package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Catalog is what the load draws its targets from, read from the store's
// JSON API at start (Discover) or given by a test.
type Catalog struct {
	Categories []string // category slugs
	Products   []string // product slugs
	Variants   []int64  // variant ids in stock when discovered, for carts
	Terms      []string // search words, taken from product names
}

// Limits of discovery: enough variety for caches and carts to behave as in
// a real store, few enough requests that discovery stays a second's work.
const (
	discoverPages    = 5  // listing pages of 100 products
	discoverDetails  = 40 // product pages read for their variants
	discoverTerms    = 60 // distinct search words kept
	maxDiscoverBytes = 8 << 20
)

// Discover reads categories, products, in-stock variants and search words
// from the store at base, in a stable order (one seed, one plan).
func Discover(ctx context.Context, c *http.Client, base *url.URL) (Catalog, error) {
	var cat Catalog
	var tree []categoryNode
	if err := getJSON(ctx, c, base, "/api/v1/categories", &tree); err != nil {
		return cat, err
	}
	flatten(tree, &cat.Categories)
	var inStock []string
	for page := 1; page <= discoverPages; page++ {
		var list struct {
			Items []struct {
				Slug    string `json:"slug"`
				Name    string `json:"name"`
				InStock bool   `json:"in_stock"`
			} `json:"items"`
			Pages int `json:"pages"`
		}
		if err := getJSON(ctx, c, base, "/api/v1/products?per_page=100&page="+strconv.Itoa(page), &list); err != nil {
			return cat, err
		}
		for _, p := range list.Items {
			cat.Products = append(cat.Products, p.Slug)
			cat.Terms = append(cat.Terms, words(p.Name)...)
			if p.InStock {
				inStock = append(inStock, p.Slug)
			}
		}
		if page >= list.Pages {
			break
		}
	}
	if len(cat.Products) == 0 {
		return cat, fmt.Errorf("loadtest: %s has no products to shop for: seed it first (agora seed)", base.Redacted())
	}
	slices.Sort(cat.Terms)
	cat.Terms = slices.Compact(cat.Terms)
	if len(cat.Terms) > discoverTerms {
		cat.Terms = cat.Terms[:discoverTerms]
	}
	for _, slug := range inStock[:min(len(inStock), discoverDetails)] {
		var p struct {
			Variants []struct {
				ID          int64  `json:"id"`
				StockStatus string `json:"stock_status"`
			} `json:"variants"`
		}
		if err := getJSON(ctx, c, base, "/api/v1/products/"+url.PathEscape(slug), &p); err != nil {
			return cat, err
		}
		for _, v := range p.Variants {
			if v.StockStatus != "out_of_stock" {
				cat.Variants = append(cat.Variants, v.ID)
			}
		}
	}
	return cat, nil
}

// Check says what the mix asks for that the catalog cannot give.
func (cat Catalog) Check(m Mix) error {
	need := func(k Kind, have int, what string) error {
		if m[k] > 0 && have == 0 {
			return fmt.Errorf("loadtest: the mix has %s requests but the store has no %s", k, what)
		}
		return nil
	}
	if len(cat.Products) == 0 {
		return need(Product, 0, "products")
	}
	if err := need(Category, len(cat.Categories), "categories"); err != nil {
		return err
	}
	if err := need(Search, len(cat.Terms), "product names to search for"); err != nil {
		return err
	}
	if err := need(Cart, len(cat.Variants), "variants in stock"); err != nil {
		return err
	}
	return need(Checkout, len(cat.Variants), "variants in stock")
}

type categoryNode struct {
	Slug     string         `json:"slug"`
	Children []categoryNode `json:"children"`
}

func flatten(nodes []categoryNode, out *[]string) {
	for _, n := range nodes {
		*out = append(*out, n.Slug)
		flatten(n.Children, out)
	}
}

// words are the lowercase words of at least four letters in a name: what
// a shopper would type into the search box.
func words(name string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if len([]rune(w)) >= 4 {
			out = append(out, w)
		}
	}
	return out
}

func getJSON(ctx context.Context, c *http.Client, base *url.URL, path string, v any) error {
	u := join(base, path)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("loadtest: discovering the catalog: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("loadtest: discovering the catalog: GET %s answered %s", path, res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxDiscoverBytes)).Decode(v); err != nil {
		return fmt.Errorf("loadtest: discovering the catalog: GET %s: %w", path, err)
	}
	return nil
}

// join puts path (with its query) under base, which may end in a slash.
func join(base *url.URL, path string) string {
	return strings.TrimSuffix(base.String(), "/") + path
}
