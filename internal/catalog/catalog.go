// Package catalog holds the store's catalog: categories (a tree), products
// with variants and images, and the queries the storefront and the API read
// them with (pages, listings with sort and pagination, full-text search,
// sitemaps), plus the writers that keep the denormalized listing columns
// current. It speaks SQL through store.DB and knows nothing of HTTP.
package catalog

import (
	"context"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"

	"agora/internal/store"
)

// Catalog reads and writes the catalog in one database.
type Catalog struct {
	db *store.DB
	// Now is the clock used for created_at/updated_at. If nil, time.Now.
	Now func() time.Time
	// FacetTTL is how long facet counts are reused; 0 means
	// DefaultFacetTTL, negative never reuses them. Set before first use.
	FacetTTL time.Duration
	// RankWindow is how many matches of a search relevance ranks (see
	// rankedPage); 0 means DefaultRankWindow. Set before first use.
	RankWindow int

	facetOnce sync.Once
	facets    *otter.Cache[string, Facets] // set by facetOnce; nil when FacetTTL < 0
}

// New returns a Catalog over db.
func New(db *store.DB) *Catalog { return &Catalog{db: db} }

func (c *Catalog) now() time.Time {
	if c.Now != nil {
		return c.Now().UTC()
	}
	return time.Now().UTC()
}

// LowStock is the stock at or under which a variant shows as "low".
const LowStock = 5

// Availability is the stock class shown to shoppers. Pages are purged only
// when a product changes class, not on every sale (DESIGN.md).
type Availability string

const (
	InStock    Availability = "in_stock"
	LowOnStock Availability = "low_stock"
	OutOfStock Availability = "out_of_stock"
)

// AvailabilityOf classifies a stock level.
func AvailabilityOf(stock int) Availability {
	switch {
	case stock <= 0:
		return OutOfStock
	case stock <= LowStock:
		return LowOnStock
	default:
		return InStock
	}
}

// Label is the shopper-facing text of an availability class.
func (a Availability) Label() string {
	switch a {
	case InStock:
		return "In stock"
	case LowOnStock:
		return "Only a few left"
	default:
		return "Out of stock"
	}
}

// Category is one node of the category tree.
type Category struct {
	ID          int64
	ParentID    int64 // 0 for a top-level category
	Slug        string
	Name        string
	Description string
	Position    int
	// Path lists the ids from the root down to this category.
	Path     []int64
	Children []*Category // filled by Tree only
}

// Product is one product page's worth of data.
type Product struct {
	ID          int64
	Slug        string
	Name        string
	Description string
	Brand       string
	Status      string // active, draft or archived
	Featured    bool
	PriceCents  int64 // lowest variant price
	Currency    string
	Stock       int // over all variants
	ImageKey    string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Attributes are the product's own name/value pairs, in the
	// merchant's order; never nil.
	Attributes []Option
	Variants   []Variant
	Images     []Image
	// Breadcrumb is the path of the product's first category, root first.
	Breadcrumb []Category
	// CategoryIDs are the categories the product is linked to.
	CategoryIDs []int64
}

// Availability of the product as a whole.
func (p *Product) Availability() Availability { return AvailabilityOf(p.Stock) }

// Variant is one buyable version of a product (a size, a colour…).
type Variant struct {
	ID         int64
	ProductID  int64
	SKU        string
	Name       string
	Options    []Option
	PriceCents int64
	Currency   string
	Stock      int
}

// Availability of the variant.
func (v Variant) Availability() Availability { return AvailabilityOf(v.Stock) }

// Option is one attribute of a variant, such as size=M, or of a product
// (Product.Attributes), such as Material: Cotton.
type Option struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Image is a product picture stored in media storage under Key.
type Image struct {
	Key    string
	Alt    string
	Width  int
	Height int
}

// Summary is a product as listings show it.
type Summary struct {
	ID         int64
	Slug       string
	Name       string
	PriceCents int64
	Currency   string
	Stock      int
	ImageKey   string
	CreatedAt  time.Time
	// Status is filled by AdminList only: shoppers' listings are all active.
	Status string
}

// Availability of the listed product.
func (s Summary) Availability() Availability { return AvailabilityOf(s.Stock) }

// InStock reports whether any variant can be bought.
func (s Summary) InStock() bool { return s.Stock > 0 }

// Sort orders a listing.
type Sort string

const (
	SortRelevance Sort = "relevance" // search rank with a query, else merchandising order
	SortPriceAsc  Sort = "price_asc"
	SortPriceDesc Sort = "price_desc"
	SortNewest    Sort = "newest"
	SortName      Sort = "name"
)

// Sorts lists the valid sorts in the order a sort menu shows them.
var Sorts = []Sort{SortRelevance, SortPriceAsc, SortPriceDesc, SortNewest, SortName}

// Paging limits. Pages past the last are empty, not errors.
const (
	DefaultPerPage = 24
	MaxPerPage     = 100
	// MaxPage bounds page numbers so OFFSET stays sane; deeper pages of
	// a listing of this size are better reached by refining the query.
	MaxPage = 10000
)

// ListQuery selects a page of products: of one category (with its
// subcategories), matching a search, or both.
type ListQuery struct {
	CategoryID int64  // 0: all categories
	Query      string // full-text search; empty: no search
	Sort       Sort   // empty: SortRelevance
	Page       int    // 1-based; 0 means 1
	PerPage    int    // 0 means DefaultPerPage
	Filters    Filters

	// alts, when set (Correct), are the search's words, each with the
	// words it may stand for; Query is then only shown.
	alts [][]string
	// after, when set (search facets), keeps only matches with a greater
	// id: the rank window (see countMatches).
	after int64
	// walkSort, for a sorted search with more matches than CountCap on
	// SQLite, walks the sort's index rather than the matches (List).
	walkSort bool
}

// ListResult is one page of a listing.
type ListResult struct {
	Items []Summary
	// Total counts the matches up to max(CountCap, the page's end); when
	// MoreThanTotal, there are more ("1,000+").
	Total         int
	MoreThanTotal bool
	Page          int
	PerPage       int
}

// Pages is the number of pages of the listing (at least 1).
func (r ListResult) Pages() int {
	if r.Total == 0 || r.PerPage == 0 {
		return 1
	}
	return (r.Total + r.PerPage - 1) / r.PerPage
}

// SitemapEntry is one product URL of the sitemap.
type SitemapEntry struct {
	Slug      string
	UpdatedAt time.Time
}

// AfterBulkLoad readies the database after a bulk load (store.DB's
// AfterBulkLoad: statistics, and on PostgreSQL a vacuum), so that searches
// and listings get good plans and index-only scans at once.
func (c *Catalog) AfterBulkLoad(ctx context.Context) error { return c.db.AfterBulkLoad(ctx) }
