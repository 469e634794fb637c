package seed_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"agora/internal/catalog"
	"agora/internal/media"
	"agora/internal/seed"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// BenchmarkSeed seeds a fresh catalog per iteration, with the small
// profile's size unless AGORA_BENCH_SEED_PRODUCTS says otherwise, on SQLite
// unless AGORA_BENCH_SEED_DB=postgres. The target for the medium profile is
// at most 60 s on 2 cores:
//
//	AGORA_BENCH_SEED_PRODUCTS=24000 go test -run '^$' -bench BenchmarkSeed -benchtime 1x ./internal/seed
func BenchmarkSeed(b *testing.B) {
	opts := seed.Profiles["small"]
	if n, err := strconv.Atoi(os.Getenv("AGORA_BENCH_SEED_PRODUCTS")); err == nil && n > 0 {
		opts = seed.Options{Products: n, Seed: 1}
		if n == seed.Profiles["medium"].Products {
			opts = seed.Profiles["medium"]
		}
	}
	for b.Loop() {
		b.StopTimer()
		dialect := store.SQLite
		if os.Getenv("AGORA_BENCH_SEED_DB") == "postgres" {
			dialect = store.Postgres
		}
		db := storetest.Open(b, dialect)
		ms, err := media.Open(context.Background(), filepath.Join(b.TempDir(), "media"))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := seed.Run(context.Background(), catalog.New(db), ms, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Products)/res.Duration.Seconds(), "products/s")
		ms.Close()
	}
}
