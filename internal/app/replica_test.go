package app

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"agora/internal/catalog"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

// TestReplicaReadsOnlyWhatIsFresh: with a real primary and streaming
// replica (private clusters), anonymous catalog reads are served by the
// replica, a signed-in visitor's by the primary; and with replay stopped
// on the replica, a request carrying the position of a purge the edge
// applied after a price change (Agora-Purge-LSN) is answered from the
// primary with the new price, not from the replica with the old one
// (which the edge would have cached fresh again).
func TestReplicaReadsOnlyWhatIsFresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	primary := storetest.NewCluster(t)
	replica := primary.NewReplica(t)
	dbURL := primary.CreateDatabase(t, "agora")
	ru, err := url.Parse(replica.URL)
	if err != nil {
		t.Fatal(err)
	}
	ru.Path = "/agora"
	db, err := store.Open(ctx, dbURL, store.Options{Replicas: []string{ru.String()}, MaxReplicaLag: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cat := catalog.New(db)
	p, err := cat.CreateProduct(ctx, catalog.NewProduct{Name: "Replica Mug", Variants: []catalog.NewVariant{{SKU: "rm-1", PriceCents: 1000, Stock: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp := func() bool {
		lsn, err := db.CurrentLSN(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rs := db.Replicas()
		return len(rs) == 1 && rs[0].InRotation && rs[0].ReplayLSN >= lsn
	}
	for deadline := time.Now().Add(60 * time.Second); !caughtUp(); {
		if time.Now().After(deadline) { // a failsafe: each turn is a real check
			t.Fatalf("the replica never caught up: %+v", db.Replicas())
		}
		time.Sleep(50 * time.Millisecond) // the poll's pace, not a synchronization
	}
	ts := newTestServer(t, db, Config{})
	price := func(hdr ...string) int64 {
		t.Helper()
		req := newRequest(t, "GET", ts.http.URL+"/api/v1/products/"+p.Slug, "")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		res := ts.do(t, req)
		var out struct {
			Variants []struct {
				PriceCents int64 `json:"price_cents"`
			} `json:"variants"`
		}
		if err := json.Unmarshal([]byte(res.body), &out); err != nil || res.status != http.StatusOK || len(out.Variants) != 1 {
			t.Fatalf("GET the product: %d %v %s", res.status, err, res.body)
		}
		return out.Variants[0].PriceCents
	}
	replicaReads := func() uint64 { return db.Replicas()[0].Reads }

	before := replicaReads()
	if got := price(); got != 1000 || replicaReads() == before {
		t.Errorf("anonymous read: price %d, replica reads %d → %d; want 1000 from the replica", got, before, replicaReads())
	}
	before = replicaReads()
	if got := price("Cookie", "agora_session=someone"); got != 1000 || replicaReads() != before {
		t.Errorf("a visitor with a session: price %d, replica reads %d → %d; want the primary", got, before, replicaReads())
	}

	rec := httptest.NewRecorder()
	ts.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, want := range []string{"agora_db_replica_in_rotation{replica=", "agora_db_replica_reads_total{replica=", "agora_db_replica_lag_seconds{replica="} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	replica.Exec(t, "SELECT pg_wal_replay_pause()")
	t.Cleanup(func() { replica.Exec(t, "SELECT pg_wal_replay_resume()") })
	newPrice := int64(2000)
	if _, err := cat.UpdateVariant(ctx, p.Variants[0].ID, catalog.VariantPatch{PriceCents: &newPrice}); err != nil {
		t.Fatal(err)
	}
	lsn, err := db.CurrentLSN(ctx) // what a purge log answer after the change carries
	if err != nil {
		t.Fatal(err)
	}
	before, primaryBefore := replicaReads(), db.PrimaryReads()
	if got := price(purgeLSNField, lsn.String()); got != newPrice || replicaReads() != before || db.PrimaryReads() == primaryBefore {
		t.Errorf("after a purge at %s, replica paused: price %d (replica reads %d → %d, primary %d → %d); want %d from the primary",
			lsn, got, before, replicaReads(), primaryBefore, db.PrimaryReads(), newPrice)
	}
	// An unreadable position is not trusted to be old: the primary.
	before = replicaReads()
	if got := price(purgeLSNField, "yesterday"); got != newPrice || replicaReads() != before {
		t.Errorf("an unreadable %s: price %d, want %d from the primary", purgeLSNField, got, newPrice)
	}
}
