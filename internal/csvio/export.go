package csvio

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"agora/internal/catalog"
	"agora/internal/money"
	"agora/internal/store"
)

// exportPage is the number of products read per round of queries.
const exportPage = 1000

// Export writes every product, whatever its status, in the format Import
// reads: products in creation order, their variants in display order. It
// starts with a UTF-8 BOM, without which Excel reads the file as
// Windows-1252 and garbles accents, and neutralizes cells that spreadsheets
// would run as formulas (OWASP, "CSV Injection"). The catalog is read in one
// read-only transaction, so the file is a consistent snapshot.
//
// A variant with more than two options cannot be written and fails the
// export, naming its SKU, rather than losing options silently.
func Export(ctx context.Context, db *store.DB, w io.Writer) error {
	paths, err := loadCategoryPaths(ctx, db)
	if err != nil {
		return err
	}
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == store.Postgres {
		opts.Isolation = sql.LevelRepeatableRead // one snapshot for all the pages
	}
	tx, err := db.Read.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("csvio: export: %w", err)
	}
	defer tx.Rollback()

	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(bomUTF8)
	cw := csv.NewWriter(bw)
	if err := cw.Write(Columns[:]); err != nil {
		return fmt.Errorf("csvio: export: %w", err)
	}
	for after := int64(0); ; {
		page, err := readPage(ctx, tx, after)
		if err != nil {
			return err
		}
		if len(page) == 0 {
			break
		}
		for _, p := range page {
			if err := writeProduct(cw, p, paths); err != nil {
				return err
			}
		}
		after = page[len(page)-1].ID
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("csvio: export: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("csvio: export: %w", err)
	}
	return nil
}

// writeProduct writes one row per variant; the product's columns on the
// first row only, as merchants read it best.
func writeProduct(cw *csv.Writer, p *catalog.Product, paths *categoryPaths) error {
	var cats []string
	for _, id := range p.CategoryIDs {
		if path, ok := paths.byID[id]; ok {
			cats = append(cats, path)
		}
	}
	slices.Sort(cats) // links have no order; sorting makes exports comparable
	images := make([]string, len(p.Images))
	for i, img := range p.Images {
		images[i] = img.Key
	}
	for i, v := range p.Variants {
		if len(v.Options) > 2 {
			return fmt.Errorf("csvio: export: the variant %q has %d options and the CSV format holds two", v.SKU, len(v.Options))
		}
		var rec [numColumns]string
		rec[colHandle] = p.Slug
		if i == 0 {
			rec[colName] = p.Name
			rec[colDescription] = p.Description
			rec[colBrand] = p.Brand
			rec[colStatus] = p.Status
			rec[colFeatured] = fmt.Sprint(p.Featured)
			rec[colCategories] = strings.Join(cats, listSep)
			rec[colImages] = strings.Join(images, listSep)
			rec[colAttributes] = attributesCell(p.Attributes)
		}
		rec[colSKU] = v.SKU
		rec[colVariantName] = v.Name
		for j, o := range v.Options {
			rec[colOption1Name+2*j] = o.Name
			rec[colOption1Value+2*j] = o.Value
		}
		rec[colPrice] = money.Decimal(v.PriceCents, v.Currency)
		rec[colCurrency] = v.Currency
		rec[colStock] = fmt.Sprint(v.Stock)
		for j := range rec {
			rec[j] = neutralize(rec[j])
		}
		if err := cw.Write(rec[:]); err != nil {
			return fmt.Errorf("csvio: export: %w", err)
		}
	}
	return nil
}

// productFields are the products' columns readDetails scans, in order.
const productFields = `id, slug, name, description, brand, status, featured, currency, attributes`

// readPage reads the next products after id `after`, with their variants,
// images and categories: four queries per page, whatever its size.
func readPage(ctx context.Context, tx *sql.Tx, after int64) ([]*catalog.Product, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+productFields+`
		FROM products WHERE id > $1 ORDER BY id LIMIT $2`, after, exportPage)
	if err != nil {
		return nil, fmt.Errorf("csvio: export products: %w", err)
	}
	return readDetails(ctx, tx, rows, "")
}

// readProducts reads the products with ids (at most exportPage, sorted),
// as readPage does: an update plans against them (update.go).
func readProducts(ctx context.Context, tx *sql.Tx, ids []int64) ([]*catalog.Product, error) {
	args := make([]any, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		args[i], marks[i] = id, fmt.Sprintf("$%d", i+1)
	}
	in := "(" + strings.Join(marks, ", ") + ")"
	rows, err := tx.QueryContext(ctx, `SELECT `+productFields+`
		FROM products WHERE id IN `+in+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("csvio: read products: %w", err)
	}
	return readDetails(ctx, tx, rows, in, args...)
}

// readDetails scans products from rows and reads their variants, images
// and categories: of the ids between the first and last product's, or
// with in (an IN list over args) when it is given.
func readDetails(ctx context.Context, tx *sql.Tx, rows *sql.Rows, in string, args ...any) ([]*catalog.Product, error) {
	var page []*catalog.Product
	byID := map[int64]*catalog.Product{}
	err := scanAll(rows, func() error {
		p := new(catalog.Product)
		var attrs string
		if err := rows.Scan(&p.ID, &p.Slug, &p.Name, &p.Description, &p.Brand, &p.Status, &p.Featured, &p.Currency, &attrs); err != nil {
			return err
		}
		page = append(page, p)
		byID[p.ID] = p
		if err := json.Unmarshal([]byte(attrs), &p.Attributes); err != nil {
			return fmt.Errorf("attributes of %q: %w", p.Slug, err)
		}
		return nil
	})
	if err != nil || len(page) == 0 {
		return nil, wrapExport("products", err)
	}
	where := "product_id BETWEEN $1 AND $2"
	if in != "" {
		where = "product_id IN " + in
	} else {
		args = []any{page[0].ID, page[len(page)-1].ID}
	}

	rows, err = tx.QueryContext(ctx, `SELECT product_id, id, sku, name, options, price_cents, currency, stock
		FROM variants WHERE `+where+` ORDER BY product_id, position, id`, args...)
	if err != nil {
		return nil, wrapExport("variants", err)
	}
	err = scanAll(rows, func() error {
		var v catalog.Variant
		var opts string
		if err := rows.Scan(&v.ProductID, &v.ID, &v.SKU, &v.Name, &opts, &v.PriceCents, &v.Currency, &v.Stock); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(opts), &v.Options); err != nil {
			return fmt.Errorf("options of %q: %w", v.SKU, err)
		}
		byID[v.ProductID].Variants = append(byID[v.ProductID].Variants, v)
		return nil
	})
	if err != nil {
		return nil, wrapExport("variants", err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT product_id, media_key FROM product_images
		WHERE `+where+` ORDER BY product_id, position`, args...)
	if err != nil {
		return nil, wrapExport("images", err)
	}
	err = scanAll(rows, func() error {
		var id int64
		var img catalog.Image
		err := rows.Scan(&id, &img.Key)
		byID[id].Images = append(byID[id].Images, img)
		return err
	})
	if err != nil {
		return nil, wrapExport("images", err)
	}

	rows, err = tx.QueryContext(ctx, `SELECT product_id, category_id FROM product_categories
		WHERE `+where, args...)
	if err != nil {
		return nil, wrapExport("categories", err)
	}
	err = scanAll(rows, func() error {
		var id, cat int64
		err := rows.Scan(&id, &cat)
		byID[id].CategoryIDs = append(byID[id].CategoryIDs, cat)
		return err
	})
	return page, wrapExport("categories", err)
}

// scanAll calls scan for each row and closes rows.
func scanAll(rows *sql.Rows, scan func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := scan(); err != nil {
			return err
		}
	}
	return rows.Err()
}

func wrapExport(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("csvio: export %s: %w", what, err)
}
