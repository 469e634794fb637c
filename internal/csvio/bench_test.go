package csvio_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"agora/internal/csvio"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// BenchmarkImport imports 24,000 rows (8,000 products of 3 variants) into a
// fresh catalog, on SQLite unless AGORA_BENCH_IMPORT_DB=postgres. The target
// is at most 60 s on 2 cores (issue 4):
//
//	go test -run '^$' -bench BenchmarkImport -benchtime 1x ./internal/csvio
func BenchmarkImport(b *testing.B) {
	file := generated(8000, 3)
	dialect := store.SQLite
	if os.Getenv("AGORA_BENCH_IMPORT_DB") == "postgres" {
		dialect = store.Postgres
	}
	for b.Loop() {
		b.StopTimer()
		db := storetest.Open(b, dialect)
		makeTree(b, db)
		b.StartTimer()
		rep, err := csvio.Import(context.Background(), db, bytes.NewReader(file), csvio.Options{})
		if err != nil || rep.Variants != 24000 {
			b.Fatalf("import: %v, %+v", err, rep.Errors[:min(len(rep.Errors), 5)])
		}
	}
	b.ReportMetric(24000*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
