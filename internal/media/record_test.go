package media

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

func TestRecordTx(t *testing.T) {
	t.Parallel()
	hex := strings.Repeat("ab", 32)
	u := Upload{
		Key: hex + ".jpg", URL: "/media/" + hex + ".jpg", ContentType: "image/jpeg", Width: 1500, Height: 1000, Bytes: 123456,
		Variants: map[string]string{"thumbnail": hex + "-thumbnail.jpg", "card": hex + "-card.jpg", "large": hex + "-large.jpg"},
	}
	first := time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		record := func(u Upload, now time.Time) error {
			return db.InTx(ctx, func(tx *sql.Tx) error { return RecordTx(ctx, tx, u, now) })
		}
		if err := record(u, first); err != nil {
			t.Fatalf("RecordTx: %v", err)
		}
		// The same upload again (idempotent): the first row stays.
		if err := record(u, first.Add(time.Hour)); err != nil {
			t.Fatalf("RecordTx again: %v", err)
		}
		var ct, variants string
		var w, h int
		var n int64
		var created time.Time
		var count int
		err := db.QueryRow(ctx, `SELECT content_type, width, height, bytes, variants, created_at, (SELECT count(*) FROM media) FROM media WHERE key = $1`, u.Key).
			Scan(&ct, &w, &h, &n, &variants, &created, &count)
		if err != nil {
			t.Fatal(err)
		}
		if count != 1 || ct != u.ContentType || w != 1500 || h != 1000 || n != 123456 || !created.Equal(first) {
			t.Errorf("row: %d rows, %s %d×%d %d bytes at %v", count, ct, w, h, n, created)
		}
		want := `{"card":"` + hex + `-card.jpg","large":"` + hex + `-large.jpg","thumbnail":"` + hex + `-thumbnail.jpg"}`
		if variants != want {
			t.Errorf("variants %s, want %s", variants, want)
		}

		for _, bad := range []string{"", "../../etc/passwd", u.Variants["card"]} {
			if err := record(Upload{Key: bad}, first); err == nil {
				t.Errorf("RecordTx(%q) recorded a key that is not an original's", bad)
			}
		}
	})
}

// TestRecordAndVariantsOf: Record opens its own transaction (handlers do
// not), and VariantsOf reads back what was recorded, for the admin's
// thumbnails.
func TestRecordAndVariantsOf(t *testing.T) {
	t.Parallel()
	a, b := strings.Repeat("cd", 32), strings.Repeat("ef", 32)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Parallel()
		ctx := context.Background()
		now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		if err := Record(ctx, db, Upload{Key: a + ".png", ContentType: "image/png", Width: 10, Height: 10, Bytes: 99,
			Variants: map[string]string{"thumbnail": a + "-thumbnail.png"}}, now); err != nil {
			t.Fatal(err)
		}
		if err := Record(ctx, db, Upload{Key: b + ".jpg", ContentType: "image/jpeg", Width: 10, Height: 10, Bytes: 99}, now); err != nil {
			t.Fatal(err)
		}
		if err := Record(ctx, db, Upload{Key: "../x"}, now); err == nil {
			t.Error("Record accepted a key that is not an original's")
		}
		got, err := VariantsOf(ctx, db, []string{a + ".png", b + ".jpg", strings.Repeat("00", 32) + ".png"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[a+".png"]["thumbnail"] != a+"-thumbnail.png" || len(got[b+".jpg"]) != 0 {
			t.Errorf("VariantsOf = %v", got)
		}
		if none, err := VariantsOf(ctx, db, nil); err != nil || len(none) != 0 {
			t.Errorf("VariantsOf(nil) = %v, %v", none, err)
		}
		// More keys than one query binds: the lookup goes in chunks.
		many := []string{b + ".jpg"}
		for i := range 2 * store.InChunk {
			many = append(many, fmt.Sprintf("%064x.png", i))
		}
		sizes, err := Sizes(ctx, db, many)
		if err != nil || len(sizes) != 1 || sizes[b+".jpg"] != (Size{10, 10}) {
			t.Errorf("Sizes = %v, %v", sizes, err)
		}
		err = db.InTx(ctx, func(tx *sql.Tx) error {
			if sz, ok, err := SizeTx(ctx, tx, a+".png"); err != nil || !ok || sz != (Size{10, 10}) {
				t.Errorf("SizeTx(recorded) = %v, %v, %v", sz, ok, err)
			}
			if _, ok, err := SizeTx(ctx, tx, many[1]); err != nil || ok {
				t.Errorf("SizeTx(unknown) = %v, %v", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
