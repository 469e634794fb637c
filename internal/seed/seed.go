// Package seed fills an empty catalog with a realistic, deterministic store:
// a category tree of departments, categories and subcategories, products with
// brands, descriptions, variants (sizes, colours…), prices, stock and dates,
// and procedurally drawn pictures stored through media. The same Options give
// the same catalog, so benchmarks and demos are comparable. It writes only
// through catalog and media, and never touches a catalog that has products.
package seed

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"agora/internal/catalog"
	"agora/internal/fault"
	"agora/internal/media"
)

// Options size a seed. The zero value seeds the "small" profile with seed 1.
type Options struct {
	Products   int // if 0, the small profile's
	Categories int // if 0, about one per 80 products, between 8 and 1000
	// Seed selects the catalog: the same seed gives the same names, prices,
	// stock, pictures and dates. If 0, 1.
	Seed uint64
	// Images is how many distinct pictures the products share. If 0, one
	// per product up to MaxImages. Drawing them is most of a small seed's
	// time.
	Images int
	// Progress receives progress bars (os.Stderr in the CLI). If nil, none.
	Progress io.Writer
}

// Profiles are the standard sizes, named after the profiles of Magento's
// performance toolkit so results compare with published figures.
var Profiles = map[string]Options{
	"small":  {Products: 800, Categories: 30, Seed: 1},
	"medium": {Products: 24_000, Categories: 300, Seed: 1},
	"large":  {Products: 300_000, Categories: 1000, Seed: 1},
}

// ProfileNames lists the profiles from smallest to largest.
func ProfileNames() []string {
	names := make([]string, 0, len(Profiles))
	for n := range Profiles {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int { return Profiles[a].Products - Profiles[b].Products })
	return names
}

// Result counts what a seed created.
type Result struct {
	Categories, Products, Variants, Images int
	Duration                               time.Duration
}

// batchSize is the number of products written per transaction: large enough
// to amortize commits on both databases, small enough to report progress
// and notice cancellation often.
const batchSize = 500

// firstAnalyze is the product count of the first statistics refresh during
// a seed; the next come each time the catalog doubles.
const firstAnalyze = 5000

// Run seeds cat and media. It refuses a catalog that already has products or
// categories (fault.Conflict), and stops between batches when ctx is done;
// batches already written stay.
func Run(ctx context.Context, cat *catalog.Catalog, store *media.Store, opts Options) (Result, error) {
	start := time.Now()
	opts = opts.withDefaults()
	var res Result
	if err := checkEmpty(ctx, cat); err != nil {
		return res, err
	}
	nodes := planTree(opts.Categories)
	leaves, err := createCategories(ctx, cat, nodes)
	if err != nil {
		return res, err
	}
	res.Categories = len(nodes)

	var depts []*department
	for _, nd := range nodes {
		if nd.parent == nil {
			depts = append(depts, nd.dept)
		}
	}
	nImages := min(opts.Products, MaxImages)
	if opts.Images > 0 {
		nImages = min(opts.Products, opts.Images)
	}
	bar := newBar(opts.Progress, nImages, "pictures")
	pool, err := drawImages(ctx, store, depts, nImages, opts.Seed, bar.add)
	bar.stop()
	if err != nil {
		return res, err
	}
	res.Images = nImages

	gen := newProductGen(rand.New(rand.NewPCG(opts.Seed, 0)), depts, leaves, pool)
	bar = newBar(opts.Progress, opts.Products, "products")
	defer bar.stop()
	batch := make([]catalog.NewProduct, 0, batchSize)
	nextAnalyze := firstAnalyze
	for i := 0; i < opts.Products; i += batchSize {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		batch = batch[:0]
		for j := i; j < min(i+batchSize, opts.Products); j++ {
			batch = append(batch, gen.product(j))
		}
		if _, err := cat.CreateProducts(ctx, batch); err != nil {
			return res, fmt.Errorf("seed: products %d–%d: %w", i+1, i+len(batch), err)
		}
		for _, p := range batch {
			res.Variants += len(p.Variants)
		}
		res.Products += len(batch)
		bar.addN(len(batch))
		if res.Products >= nextAnalyze && res.Products < opts.Products {
			// The planner's statistics, taken on an empty catalog, go stale
			// as it grows; refreshing them each time it doubles costs a few
			// seconds in all and keeps every batch's plans right (issue 15).
			if err := cat.AfterBulkLoad(ctx); err != nil {
				return res, err
			}
			nextAnalyze *= 2
		}
	}
	if err := cat.AfterBulkLoad(ctx); err != nil {
		return res, err
	}
	res.Duration = time.Since(start)
	return res, nil
}

func (o Options) withDefaults() Options {
	if o.Products <= 0 {
		o.Products = Profiles["small"].Products
	}
	if o.Categories <= 0 {
		o.Categories = min(max(o.Products/80, 8), 1000)
	}
	if o.Seed == 0 {
		o.Seed = 1
	}
	return o
}

// checkEmpty refuses to mix a seed into an existing catalog: slugs would
// collide, and a benchmark on a mixed catalog would mean nothing.
func checkEmpty(ctx context.Context, cat *catalog.Catalog) error {
	n, err := cat.CountProducts(ctx)
	if err != nil {
		return fmt.Errorf("seed: count products: %w", err)
	}
	if n > 0 {
		return fault.New(fault.Conflict, "The catalog already has %d products: seed an empty database instead (a new --data directory or another --db).", n)
	}
	roots, err := cat.TopCategories(ctx)
	if err != nil {
		return fmt.Errorf("seed: read categories: %w", err)
	}
	if len(roots) > 0 {
		return fault.New(fault.Conflict, "The catalog already has categories: seed an empty database instead (a new --data directory or another --db).")
	}
	return nil
}
