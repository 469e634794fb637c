package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// BenchmarkReplicaReads: anonymous product reads (the JSON API) through
// one app server, on a PostgreSQL primary alone and then with one
// streaming replica (private clusters on this machine), reporting the
// share of reads the replica served and each server's CPU per request:
// what a replica takes off the primary (issue 15).
//
//	go test ./internal/app -run '^$' -bench BenchmarkReplicaReads -benchtime 5s
func BenchmarkReplicaReads(b *testing.B) {
	ctx := context.Background()
	primary := storetest.NewCluster(b)
	replica := primary.NewReplica(b)
	dbURL := primary.CreateDatabase(b, "agora")
	setup, err := store.Open(ctx, dbURL, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := setup.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var slugs []string
	for i := range 500 {
		p, err := catalog.New(setup).CreateProduct(ctx, catalog.NewProduct{Name: fmt.Sprintf("Bench Mug %d", i),
			Description: "A mug to read many times.", Variants: []catalog.NewVariant{{SKU: fmt.Sprintf("bm-%d", i), PriceCents: 1000, Stock: 5}}})
		if err != nil {
			b.Fatal(err)
		}
		slugs = append(slugs, p.Slug)
	}
	setup.Close()
	ru, _ := url.Parse(replica.URL)
	ru.Path = "/agora"
	for _, tc := range []struct {
		name     string
		replicas []string
	}{{"primary-alone", nil}, {"with-replica", []string{ru.String()}}} {
		b.Run(tc.name, func(b *testing.B) {
			db, err := store.Open(ctx, dbURL, store.Options{Replicas: tc.replicas})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			for deadline := time.Now().Add(60 * time.Second); len(tc.replicas) > 0 && !db.Replicas()[0].InRotation; {
				if time.Now().After(deadline) { // a failsafe: each turn is a real check
					b.Fatalf("the replica never came into rotation: %+v", db.Replicas())
				}
				time.Sleep(50 * time.Millisecond) // the poll's pace, not a synchronization
			}
			srv, err := New(Config{}, Deps{DB: db, Catalog: catalog.New(db), Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			hs := httptest.NewServer(srv.Handler())
			defer hs.Close()
			client := hs.Client()
			p0, r0 := primary.CPU(b), replica.CPU(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					resp, err := client.Get(hs.URL + "/api/v1/products/" + slugs[i%len(slugs)])
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("GET a product: %d", resp.StatusCode)
					}
					i++
				}
			})
			b.StopTimer()
			b.ReportMetric(float64((primary.CPU(b)-p0).Microseconds())/float64(b.N), "primary-cpu-µs/op")
			b.ReportMetric(float64((replica.CPU(b)-r0).Microseconds())/float64(b.N), "replica-cpu-µs/op")
			if len(tc.replicas) > 0 {
				reads := float64(db.Replicas()[0].Reads)
				b.ReportMetric(reads/(reads+float64(db.PrimaryReads())), "replica-share")
			}
		})
	}
}
