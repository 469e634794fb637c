package catalog

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"agora/internal/cachehdr"
	"agora/internal/fault"
	"agora/internal/store"
)

// Field limits for writes; the admin and imports share them.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 20000
	MaxVariants       = 100
	MaxImages         = 30
	// MaxStock and MaxPriceCents keep sums and totals inside the database's
	// integer columns (products.stock is a 32-bit sum over MaxVariants).
	MaxStock      = 10_000_000
	MaxPriceCents = 10_000_000_000
	MaxSKULen     = 64
)

// NewCategory is the input of CreateCategory.
type NewCategory struct {
	ParentID    int64 // 0: top level
	Slug        string
	Name        string
	Description string
	Position    int
}

// NewVariant is one variant of a NewProduct.
type NewVariant struct {
	SKU        string
	Name       string
	Options    []Option
	PriceCents int64
	Currency   string // "" → EUR
	Stock      int
}

// NewProduct is the input of CreateProduct.
type NewProduct struct {
	Slug        string // "" → Slugify(Name)
	Name        string
	Description string
	Brand       string
	Status      string // "" → active
	Featured    bool
	Position    int
	CategoryIDs []int64
	// Attributes are the product's own, in display order (CleanAttributes).
	Attributes []Option
	Variants   []NewVariant
	Images     []Image
	CreatedAt  time.Time // zero → now
}

// CreateCategory adds a category under ParentID.
func (c *Catalog) CreateCategory(ctx context.Context, nc NewCategory) (Category, error) {
	if nc.Slug == "" {
		nc.Slug = Slugify(nc.Name)
	}
	if err := checkText("name", nc.Name, MaxNameLen, true); err != nil {
		return Category{}, err
	}
	if err := checkText("description", nc.Description, MaxDescriptionLen, false); err != nil {
		return Category{}, err
	}
	if !ValidSlug(nc.Slug) {
		return Category{}, fault.Field("slug", "A slug is lower-case letters, digits and single hyphens, at most %d characters.", MaxSlugLen)
	}
	if err := checkPosition(nc.Position); err != nil {
		return Category{}, err
	}
	cat := Category{ParentID: nc.ParentID, Slug: nc.Slug, Name: nc.Name, Description: nc.Description, Position: nc.Position}
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		parentPath := "/"
		var parent any // NULL for a top-level category
		if nc.ParentID != 0 {
			if err := tx.QueryRowContext(ctx, `SELECT path FROM categories WHERE id = $1`, nc.ParentID).Scan(&parentPath); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					return fault.Field("parent_id", "The parent category %d does not exist.", nc.ParentID)
				}
				return fmt.Errorf("catalog: parent category: %w", err)
			}
			parent = nc.ParentID
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO categories (parent_id, slug, name, description, position, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
			parent, nc.Slug, nc.Name, nc.Description, nc.Position, c.now()).Scan(&cat.ID)
		if store.IsUniqueViolation(err) {
			return fault.Field("slug", "The slug %q is already used by another category.", nc.Slug)
		}
		if err != nil {
			return fmt.Errorf("catalog: insert category: %w", err)
		}
		path := fmt.Sprintf("%s%d/", parentPath, cat.ID)
		cat.Path = parsePath(path)
		if _, err := tx.ExecContext(ctx, `UPDATE categories SET path = $1 WHERE id = $2`, path, cat.ID); err != nil {
			return fmt.Errorf("catalog: category path: %w", err)
		}
		// The tree, the navigation and the parent's list of subcategories
		// gain an entry: all pages tagged "categories". No listing changes.
		return c.purge(ctx, tx, []string{cachehdr.TagCategories})
	})
	return cat, err
}

// CreateProduct adds one product with its variants, images and categories.
func (c *Catalog) CreateProduct(ctx context.Context, np NewProduct) (*Product, error) {
	ids, err := c.CreateProducts(ctx, []NewProduct{np})
	if err != nil {
		return nil, err
	}
	var p Product
	row := c.db.Write.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products p WHERE p.id = $1`, ids[0])
	if err := scanProduct(row, &p); err != nil {
		return nil, fmt.Errorf("catalog: reread product: %w", err)
	}
	if err := c.loadProductDetails(ctx, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// CreateProducts adds many products in one transaction (seeding, imports):
// all of them or, on the first invalid one, none.
func (c *Catalog) CreateProducts(ctx context.Context, nps []NewProduct) ([]int64, error) {
	for i := range nps {
		if err := nps[i].normalize(); err != nil {
			if len(nps) > 1 {
				return nil, fmt.Errorf("product %d (%q): %w", i+1, truncate(nps[i].Name, 60), err)
			}
			return nil, err
		}
	}
	ids := make([]int64, 0, len(nps))
	err := c.db.InTx(ctx, func(tx *sql.Tx) error {
		w, err := prepareWriter(ctx, tx, c.db.Dialect)
		if err != nil {
			return err
		}
		defer w.close()
		home, err := homeShelves(ctx, tx)
		if err != nil {
			return err
		}
		now := c.now()
		var tags cachehdr.Tags
		for i := range nps {
			id, listed, err := w.insertProduct(ctx, &nps[i], now)
			if err != nil {
				return err
			}
			ids = append(ids, id)
			// A new active product appears on its page and in every
			// listing it is in; drafts and archived ones nowhere.
			if nps[i].Status == "active" {
				tags.Add(cachehdr.ProductTag(id))
				for _, cid := range listed {
					tags.Add(cachehdr.CategoryTag(cid))
				}
			}
		}
		if err := addHomeTag(ctx, tx, home, &tags); err != nil {
			return err
		}
		return c.purge(ctx, tx, tags.List())
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

func (np *NewProduct) normalize() error {
	if np.Slug == "" {
		np.Slug = Slugify(np.Name)
	}
	if np.Status == "" {
		np.Status = "active"
	}
	if err := checkText("name", np.Name, MaxNameLen, true); err != nil {
		return err
	}
	if err := checkText("description", np.Description, MaxDescriptionLen, false); err != nil {
		return err
	}
	if err := checkText("brand", np.Brand, MaxNameLen, false); err != nil {
		return err
	}
	if !ValidSlug(np.Slug) {
		return fault.Field("slug", "A slug is lower-case letters, digits and single hyphens, at most %d characters.", MaxSlugLen)
	}
	switch np.Status {
	case "active", "draft", "archived":
	default:
		return fault.Field("status", "Status must be active, draft or archived.")
	}
	if err := checkPosition(np.Position); err != nil {
		return err
	}
	if err := checkCategoryIDs(np.CategoryIDs); err != nil {
		return err
	}
	attrs, err := CleanAttributes(np.Attributes)
	if err != nil {
		return err
	}
	np.Attributes = attrs
	if len(np.Variants) == 0 || len(np.Variants) > MaxVariants {
		return fault.Field("variants", "A product needs between 1 and %d variants.", MaxVariants)
	}
	if len(np.Images) > MaxImages {
		return fault.Field("images", "A product has at most %d images.", MaxImages)
	}
	for i := range np.Variants {
		v := &np.Variants[i]
		if v.Name == "" {
			v.Name = np.Name
		}
		if err := v.normalize(fmt.Sprintf("Variant %d", i+1), np.Variants[0].Currency); err != nil {
			return err
		}
	}
	return nil
}

// normalize fills a variant's defaults and validates it; label names it in
// messages ("Variant 2") and currency is the product's ("" for the first).
func (v *NewVariant) normalize(label, currency string) error {
	if v.Currency == "" {
		v.Currency = cmp.Or(currency, "EUR")
	}
	switch {
	case strings.TrimSpace(v.SKU) == "" || len(v.SKU) > MaxSKULen || !utf8.ValidString(v.SKU) || strings.ContainsRune(v.SKU, 0):
		return fault.Field("variants.sku", "%s needs a SKU of at most %d characters.", label, MaxSKULen)
	case v.PriceCents < 0 || v.PriceCents > MaxPriceCents:
		return fault.Field("variants.price_cents", "Variant %s: the price must be between 0 and %d cents.", v.SKU, int64(MaxPriceCents))
	case v.Stock < 0 || v.Stock > MaxStock:
		return fault.Field("variants.stock", "Variant %s: stock must be between 0 and %d.", v.SKU, MaxStock)
	case len(v.Currency) != 3 || strings.ToUpper(v.Currency) != v.Currency:
		return fault.Field("variants.currency", "Variant %s: currency must be a three-letter ISO code such as EUR.", v.SKU)
	case currency != "" && v.Currency != currency:
		return fault.Field("variants.currency", "All variants of a product must share one currency.")
	}
	return checkText("variants.name", v.Name, MaxNameLen, true)
}

func checkText(field, s string, max int, required bool) error {
	switch {
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return fault.Field(field, "The %s must be valid text (UTF-8, no NUL characters).", field)
	case required && strings.TrimSpace(s) == "":
		return fault.Field(field, "The %s is required.", field)
	case utf8.RuneCountInString(s) > max:
		return fault.Field(field, "The %s is too long: at most %d characters.", field, max)
	}
	return nil
}

// productWriter holds the statements of a bulk insert, prepared once per
// transaction: with thousands of products this halves the cost on both
// dialects.
type productWriter struct {
	product, variant, image, link, listing, option *sql.Stmt
}

func prepareWriter(ctx context.Context, tx *sql.Tx, d store.Dialect) (*productWriter, error) {
	var w productWriter
	stmts := []struct {
		dst **sql.Stmt
		sql string
	}{
		{&w.product, `INSERT INTO products (slug, name, description, brand, status, featured, position,
			price_cents, currency, stock, image_key, rank, name_key, created_at, updated_at, attributes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`},
		{&w.variant, `INSERT INTO variants (product_id, sku, name, options, price_cents, currency, stock, position)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`},
		{&w.image, `INSERT INTO product_images (product_id, position, media_key, alt, width, height)
			VALUES ($1, $2, $3, $4, $5, $6)`},
		{&w.link, `INSERT INTO product_categories (product_id, category_id) VALUES ($1, $2)`},
		{&w.listing, fillListingSQL},
		// A product's options in one statement, as rows in one parameter.
		{&w.option, `INSERT INTO product_options (product_id, name, value)
			SELECT n.product_id, n.name, n.value FROM ` + d.JSONRows(1, "n", "product_id bigint", "name text", "value text")},
	}
	for _, s := range stmts {
		st, err := tx.PrepareContext(ctx, s.sql)
		if err != nil {
			w.close()
			return nil, fmt.Errorf("catalog: prepare: %w", err)
		}
		*s.dst = st
	}
	return &w, nil
}

func (w *productWriter) close() {
	for _, st := range []*sql.Stmt{w.product, w.variant, w.image, w.link, w.listing, w.option} {
		if st != nil {
			st.Close()
		}
	}
}

// rankOf is the merchandising order: featured products first, then by position.
func rankOf(featured bool, position int) int {
	if featured {
		return position - 1_000_000
	}
	return position
}

// NameKey folds a name for sorting by name.
func NameKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

// insertProduct adds one product and returns its id and the categories it
// is now listed under.
func (w *productWriter) insertProduct(ctx context.Context, np *NewProduct, now time.Time) (int64, []int64, error) {
	created := np.CreatedAt
	if created.IsZero() {
		created = now
	}
	created = created.UTC()
	price, stock := np.Variants[0].PriceCents, 0
	for _, v := range np.Variants {
		price = min(price, v.PriceCents)
		stock += v.Stock
	}
	imageKey := ""
	if len(np.Images) > 0 {
		imageKey = np.Images[0].Key
	}
	attrs, err := encodeAttributes(np.Attributes)
	if err != nil {
		return 0, nil, err
	}
	var id int64
	err = w.product.QueryRowContext(ctx, np.Slug, np.Name, np.Description, np.Brand, np.Status, np.Featured, np.Position,
		price, np.Variants[0].Currency, stock, imageKey, rankOf(np.Featured, np.Position), NameKey(np.Name), created, now, attrs).Scan(&id)
	if store.IsUniqueViolation(err) {
		return 0, nil, fault.Field("slug", "The slug %q is already used by another product.", np.Slug)
	}
	if err != nil {
		return 0, nil, fmt.Errorf("catalog: insert product %q: %w", np.Slug, err)
	}
	for i, v := range np.Variants {
		opts, err := json.Marshal(nonNil(v.Options))
		if err != nil {
			return 0, nil, fmt.Errorf("catalog: options: %w", err)
		}
		_, err = w.variant.ExecContext(ctx, id, v.SKU, v.Name, string(opts), v.PriceCents, v.Currency, v.Stock, i)
		if store.IsUniqueViolation(err) {
			return 0, nil, fault.Field("variants.sku", "The SKU %q is already used.", v.SKU)
		}
		if err != nil {
			return 0, nil, fmt.Errorf("catalog: insert variant %q: %w", v.SKU, err)
		}
	}
	for i, img := range np.Images {
		if _, err := w.image.ExecContext(ctx, id, i, img.Key, img.Alt, img.Width, img.Height); err != nil {
			return 0, nil, fmt.Errorf("catalog: insert image: %w", err)
		}
	}
	for _, cid := range dedupe(np.CategoryIDs) {
		_, err := w.link.ExecContext(ctx, id, cid)
		if store.IsForeignKeyViolation(err) {
			return 0, nil, fault.Field("category_ids", "The category %d does not exist.", cid)
		}
		if err != nil {
			return 0, nil, fmt.Errorf("catalog: link category: %w", err)
		}
	}
	opts := make([][]Option, len(np.Variants))
	for i, v := range np.Variants {
		opts[i] = v.Options
	}
	var rows []optionRow
	for _, kv := range optionPairs(np.Attributes, opts) {
		rows = append(rows, optionRow{ProductID: id, Name: kv[0], Value: kv[1]})
	}
	if len(rows) > 0 {
		arg, err := store.RowsArg(rows)
		if err != nil {
			return 0, nil, err
		}
		if _, err := w.option.ExecContext(ctx, arg); err != nil {
			return 0, nil, fmt.Errorf("catalog: insert options: %w", err)
		}
	}
	// A new product has no listing rows to clear (relist clears them for
	// a product that changes).
	listed, err := w.fillListing(ctx, id)
	return id, listed, err
}

// The SQL of refreshing a product's rows of category_listing. A product is
// listed under its categories and all their ancestors, and only while active.
const (
	clearListingSQL = `DELETE FROM category_listing WHERE product_id = $1`
	// fillListingSQL walks up parent_id from the product's own categories:
	// primary-key lookups whatever the statistics say. Joining on path
	// prefixes (listingInsertSQL) let PostgreSQL, with statistics gone stale
	// during a bulk load, cross-join every category with every category for
	// each product, 0.8 ms a product past 190,000 (issue 15).
	fillListingSQL = `INSERT INTO category_listing (category_id, product_id, rank, price_cents, created_at, name_key)
		WITH RECURSIVE up(id, parent_id) AS (
			SELECT c.id, c.parent_id FROM product_categories pc JOIN categories c ON c.id = pc.category_id
			WHERE pc.product_id = $1
			UNION
			SELECT c.id, c.parent_id FROM up JOIN categories c ON c.id = up.parent_id
		)
		SELECT up.id, p.id, p.rank, p.price_cents, p.created_at, p.name_key
		FROM up, products p WHERE p.id = $1 AND p.status = 'active' RETURNING category_id`
	// listingInsertSQL lists the products its WHERE clause selects (moving
	// a subtree relists all its products at once).
	listingInsertSQL = `INSERT INTO category_listing (category_id, product_id, rank, price_cents, created_at, name_key)
		SELECT DISTINCT a.id, p.id, p.rank, p.price_cents, p.created_at, p.name_key
		FROM products p
		JOIN product_categories pc ON pc.product_id = p.id
		JOIN categories c ON c.id = pc.category_id
		JOIN categories a ON c.path LIKE a.path || '%'`
)

// optionPairs returns the distinct (key, value) pairs of a product's
// attributes and its variants' options, the rows of product_options: an
// attribute and an option with the same key and value are one row, so the
// product is counted once under that value.
func optionPairs(attrs []Option, variants [][]Option) [][2]string {
	seen := map[[2]string]bool{}
	var out [][2]string
	for _, opts := range append([][]Option{attrs}, variants...) {
		for _, o := range opts {
			k := [2]string{OptionKey(o.Name), strings.TrimSpace(o.Value)}
			if k[0] == "" || k[1] == "" || seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// fillListing lists product id under its categories and their ancestors,
// if it is active, and returns those categories in id order.
func (w *productWriter) fillListing(ctx context.Context, id int64) ([]int64, error) {
	rows, err := w.listing.QueryContext(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("catalog: listing: %w", err)
	}
	return sortedIDs(scanIDs(rows, "listing"))
}

func nonNil(o []Option) []Option {
	if o == nil {
		return []Option{}
	}
	return o
}

func dedupe(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
