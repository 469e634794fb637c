package loadtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind is what one planned request does.
type Kind string

// The kinds of a shopper mix. Page views are the HTML pages the edge caches;
// cart and checkout go through the JSON API with the shopper's cookie.
const (
	Home     Kind = "home"     // GET /
	Category Kind = "category" // GET /categories/{slug}
	Product  Kind = "product"  // GET /products/{slug}
	Search   Kind = "search"   // GET /search?q=
	Cart     Kind = "cart"     // POST /api/v1/cart/items
	Checkout Kind = "checkout" // POST /api/v1/checkout with an Idempotency-Key
)

// Kinds lists every kind in the order reports show them.
var Kinds = []Kind{Home, Category, Product, Search, Cart, Checkout}

// DefaultMix is the share of each kind among requests, modelled on the
// frontend pool of Magento's performance toolkit (setup/performance-toolkit,
// benchmark.jmx): of 100 shoppers, 34 browse the catalog (home, a category,
// four products), 30 search (home, a search, a product), 28 add two products
// to a cart and leave (home, a category, two products, two adds) and 8 buy
// (the same plus a checkout). Counted in requests that is 100 home, 70
// category, 238 product, 30 search, 72 add-to-cart and 8 checkout requests
// in 518, rounded to the percentages below.
const DefaultMix = "home=19,category=14,product=46,search=6,cart=13,checkout=2"

// Mix is the weight of each kind; the weights need not add up to 100.
type Mix map[Kind]int

// ParseMix reads "kind=weight,kind=weight"; kinds left out weigh nothing.
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("loadtest: mix %q: want kind=weight, such as product=46", part)
		}
		k := Kind(strings.TrimSpace(name))
		if !k.valid() {
			return nil, fmt.Errorf("loadtest: mix %q: unknown kind %q; the kinds are %s", part, k, kindList())
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("loadtest: mix: %s given twice", k)
		}
		w, err := strconv.Atoi(strings.TrimSpace(weight))
		if err != nil || w < 0 {
			return nil, fmt.Errorf("loadtest: mix %q: the weight must be a whole number, 0 or more", part)
		}
		m[k] = w
	}
	if m.total() == 0 {
		return nil, fmt.Errorf("loadtest: mix %q: give at least one kind a weight above 0", s)
	}
	return m, nil
}

// String is the mix in ParseMix's format, kinds in report order.
func (m Mix) String() string {
	var parts []string
	for _, k := range Kinds {
		if w, ok := m[k]; ok {
			parts = append(parts, string(k)+"="+strconv.Itoa(w))
		}
	}
	return strings.Join(parts, ",")
}

func (m Mix) total() int {
	n := 0
	for _, w := range m {
		n += w
	}
	return n
}

// pick maps r in [0, total) to a kind, walking kinds in a fixed order so one
// seed gives one plan.
func (m Mix) pick(r int) Kind {
	for _, k := range Kinds {
		if r < m[k] {
			return k
		}
		r -= m[k]
	}
	panic("loadtest: pick out of range")
}

func (k Kind) valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// page reports whether k is a public page view (no shopper state).
func (k Kind) page() bool { return k == Home || k == Category || k == Product || k == Search }

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
