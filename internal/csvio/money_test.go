package csvio_test

import (
	"context"
	"strings"
	"testing"

	"agora/internal/catalog"
	"agora/internal/csvio"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestPricesInTheirCurrency: a price is written in its currency's major
// units, with as many decimals as it has: 1000 yen are "1000", not "10.00"
// (issue 9), and "1000.50" yen is refused, not rounded.
func TestPricesInTheirCurrency(t *testing.T) {
	t.Parallel()
	file := "handle,name,sku,price,currency,stock\n" +
		"tea-bowl,Tea Bowl,TB-1,1000,JPY,3\n" +
		"tea-bowl,,TB-2,1200,,3\n" +
		"dates,Dates,DT-1,1.250,KWD,5\n" +
		"mug,Mug,MG-1,9.5,EUR,1\n"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		bad := "handle,name,sku,price,currency,stock\ncup,Cup,CP-1,1000.50,JPY,1\n"
		rep, err := csvio.Import(ctx, db, strings.NewReader(bad), csvio.Options{})
		if err == nil || len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Message, "1000.50") {
			t.Errorf("yen with decimals: %v %+v", err, rep.Errors)
		}
		if rep, err := csvio.Import(ctx, db, strings.NewReader(file), csvio.Options{}); err != nil {
			t.Fatalf("import: %v %+v", err, rep.Errors)
		}
		for slug, want := range map[string][]int64{"tea-bowl": {1000, 1200}, "dates": {1250}, "mug": {950}} {
			p, err := catalog.New(db).ProductBySlug(ctx, slug)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range p.Variants {
				if v.PriceCents != want[i] {
					t.Errorf("%s variant %d: %d %s, want %d", slug, i, v.PriceCents, v.Currency, want[i])
				}
			}
		}
		out := string(export(t, db))
		for _, want := range []string{",1000,JPY,", ",1200,JPY,", ",1.250,KWD,", ",9.50,EUR,"} {
			if !strings.Contains(out, want) {
				t.Errorf("export lacks %q:\n%s", want, out)
			}
		}
	})
}
