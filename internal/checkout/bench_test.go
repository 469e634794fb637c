package checkout_test

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"agora/internal/cart"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// BenchmarkPlaceOrder measures sustained checkout throughput: each
// iteration is a shopper who gets a session, adds two lines (of 100
// products, so orders contend on rows as in a busy store) and places the
// order, with 8 shoppers per core at once. orders/s counts whole
// iterations (session + 2 adds + place).
func BenchmarkPlaceOrder(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d)
			f := newFixture(b, db)
			var vs []variant
			for range 100 {
				vs = append(vs, f.product(b, 1990, 1_000_000_000)...)
			}
			ctx := context.Background()
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rng := rand.New(rand.NewPCG(rand.Uint64(), 0))
				for pb.Next() {
					o, err := benchSession(db)
					if err != nil {
						b.Error(err)
						return
					}
					i := rng.IntN(len(vs))
					j := (i + 1 + rng.IntN(len(vs)-1)) % len(vs)
					for _, v := range []variant{vs[i], vs[j]} {
						if _, err := f.carts.Add(ctx, o, v.ID, 1+rng.IntN(2)); err != nil {
							b.Error(err)
							return
						}
					}
					if _, _, err := f.svc.Place(ctx, request(o, newKey())); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
		})
	}
}

// benchSession inserts a session row the way the session package does.
func benchSession(db *store.DB) (cart.Owner, error) {
	var r [32]byte
	_, _ = crand.Read(r[:])
	h := hex.EncodeToString(r[:])
	now := time.Now().UTC()
	_, err := db.Write.Exec(`INSERT INTO sessions (id_hash, customer_id, created_at, expires_at) VALUES ($1, NULL, $2, $3)`,
		h, now, now.Add(time.Hour))
	return cart.Owner{SessionHash: h}, err
}
