package certstore_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"agora/internal/certstore"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func TestBlobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		put := func(k, v string) {
			t.Helper()
			if err := certstore.Put(ctx, db, k, []byte(v), t0); err != nil {
				t.Fatal(err)
			}
		}
		put("certificates/ca/shop.example/shop.example.crt", "old")
		put("certificates/ca/shop.example/shop.example.crt", "cert") // replaces
		put("certificates/ca/shop.example/shop.example.key", "key")
		put("certificates/ca/www.shop.example/www.shop.example.crt", "cert2")
		put("certificates2/x", "a sibling whose name starts like a directory's")
		put("last_clean.json", "{}")

		v, mod, err := certstore.Get(ctx, db, "certificates/ca/shop.example/shop.example.crt")
		if err != nil || string(v) != "cert" || !mod.Equal(t0) {
			t.Fatalf("Get = %q, %v, %v; want the replaced value stored at %v", v, mod, err, t0)
		}
		if _, _, err := certstore.Get(ctx, db, "certificates/ca"); !errors.Is(err, certstore.ErrNotFound) {
			t.Errorf("Get of a directory: err %v, want ErrNotFound", err)
		}

		for _, c := range []struct {
			dir       string
			recursive bool
			want      []string
		}{
			{"", false, []string{"certificates", "certificates2", "last_clean.json"}},
			{"certificates", false, []string{"certificates/ca"}},
			{"certificates/ca", false, []string{"certificates/ca/shop.example", "certificates/ca/www.shop.example"}},
			{"certificates", true, []string{"certificates/ca/shop.example/shop.example.crt", "certificates/ca/shop.example/shop.example.key", "certificates/ca/www.shop.example/www.shop.example.crt"}},
			{"nothing", true, []string{}},
		} {
			got, err := certstore.List(ctx, db, c.dir, c.recursive)
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("List(%q, %v) = %q, %v; want %q", c.dir, c.recursive, got, err, c.want)
			}
		}

		if i, err := certstore.Stat(ctx, db, "certificates/ca/shop.example/shop.example.key"); err != nil || !i.Terminal || i.Size != 3 || !i.Modified.Equal(t0) {
			t.Errorf("Stat of a value = %+v, %v; want terminal, 3 bytes, at %v", i, err, t0)
		}
		if i, err := certstore.Stat(ctx, db, "certificates/ca"); err != nil || i.Terminal {
			t.Errorf("Stat of a directory = %+v, %v; want a non-terminal key", i, err)
		}
		if _, err := certstore.Stat(ctx, db, "certificates/c"); !errors.Is(err, certstore.ErrNotFound) {
			t.Errorf("Stat of a mere string prefix: err %v, want ErrNotFound", err)
		}

		// Deleting a directory deletes what is below it, not its siblings.
		if err := certstore.Delete(ctx, db, "certificates"); err != nil {
			t.Fatal(err)
		}
		if err := certstore.Delete(ctx, db, "certificates"); err != nil {
			t.Errorf("deleting what is gone: %v, want no error", err)
		}
		got, err := certstore.List(ctx, db, "", true)
		if want := []string{"certificates2/x", "last_clean.json"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("after deleting certificates: %q, %v; want %q", got, err, want)
		}

		for _, bad := range []string{"", "/abs", "a//b", "a/../b", "trailing/"} {
			if err := certstore.Put(ctx, db, bad, []byte("x"), t0); err == nil {
				t.Errorf("Put(%q) stored a value; want a refused key", bad)
			}
		}
		if err := certstore.Put(ctx, db, "big", make([]byte, certstore.MaxValueBytes+1), t0); err == nil {
			t.Error("Put of a value over MaxValueBytes succeeded")
		}
	})
}

// TestLocks: one holder at a time; a lease that runs out (an edge died
// holding it) is taken over; only the holder renews or releases.
func TestLocks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		const ttl = time.Minute
		try := func(owner string, at time.Time) bool {
			t.Helper()
			ok, err := certstore.TryLock(ctx, db, "issue_cert_shop.example", owner, at, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !try("edge-a", t0) {
			t.Fatal("a free lock was refused")
		}
		if try("edge-b", t0.Add(ttl-time.Second)) {
			t.Fatal("edge-b took a lock edge-a holds")
		}
		if ok, err := certstore.Renew(ctx, db, "issue_cert_shop.example", "edge-a", t0.Add(ttl-time.Second), ttl); err != nil || !ok {
			t.Fatalf("edge-a renewing its lock: %v, %v", ok, err)
		}
		if try("edge-b", t0.Add(ttl+time.Second)) {
			t.Fatal("edge-b took a lock whose renewed lease still runs")
		}
		// edge-a dies: nobody renews, the lease runs out, edge-b takes over.
		dead := t0.Add(2*ttl - time.Second)
		if !try("edge-b", dead) {
			t.Fatal("edge-b could not take over a lock whose lease ran out")
		}
		if ok, _ := certstore.Renew(ctx, db, "issue_cert_shop.example", "edge-a", dead, ttl); ok {
			t.Error("edge-a renewed a lock edge-b holds now")
		}
		if err := certstore.Unlock(ctx, db, "issue_cert_shop.example", "edge-a"); err != nil {
			t.Fatal(err)
		}
		if try("edge-c", dead) {
			t.Fatal("edge-a's late unlock freed edge-b's lock")
		}
		if err := certstore.Unlock(ctx, db, "issue_cert_shop.example", "edge-b"); err != nil {
			t.Fatal(err)
		}
		if !try("edge-c", dead) {
			t.Fatal("a released lock was refused")
		}
	})
}
