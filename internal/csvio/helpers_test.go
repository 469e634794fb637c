package csvio_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/store"
)

const header = "handle,name,description,brand,status,featured,categories,sku,variant_name,option1_name,option1_value,option2_name,option2_value,price,currency,stock,images\n"

// imageKey is a well-formed media key.
var imageKey = strings.Repeat("ab", 32) + ".jpg"

// makeTree creates Clothing > Men > Shirts, Clothing > Women and Home, and
// returns their ids by path.
func makeTree(t testing.TB, db *store.DB) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	cat := catalog.New(db)
	ids := map[string]int64{}
	for _, c := range []struct{ path, parent, name string }{
		{"Clothing", "", "Clothing"},
		{"Clothing > Men", "Clothing", "Men"},
		{"Clothing > Men > Shirts", "Clothing > Men", "Shirts"},
		{"Clothing > Women", "Clothing", "Women"},
		{"Home", "", "Home"},
	} {
		got, err := cat.CreateCategory(ctx, catalog.NewCategory{ParentID: ids[c.parent], Name: c.name, Slug: catalog.Slugify(c.path)})
		if err != nil {
			t.Fatalf("category %s: %v", c.path, err)
		}
		ids[c.path] = got.ID
	}
	return ids
}

// generated is a valid file of n products with variants rows each.
func generated(n, variants int) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	sizes := []string{"S", "M", "L", "XL", "XXL"}
	for i := range n {
		for j := range variants {
			if j == 0 {
				fmt.Fprintf(&b, "shirt-%d,Shirt %d,\"A shirt, number %d.\nMade to last.\",Acme,active,%v,Clothing > Men > Shirts|Home,", i, i, i, i%10 == 0)
			} else {
				fmt.Fprintf(&b, "shirt-%d,,,,,,,", i)
			}
			fmt.Fprintf(&b, "SH-%d-%d,Size %s,Size,%s,Colour,Blue,%d.%02d,EUR,%d,", i, j, sizes[j%len(sizes)], sizes[j%len(sizes)], 10+i%90, j*5, (i+j)%40)
			if j == 0 {
				b.WriteString(imageKey)
			}
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
