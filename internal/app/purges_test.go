package app

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"agora/internal/purge"
	"agora/internal/store"
	"agora/internal/store/storetest"
)

const testSecret = "s3cret-of-the-cluster"

var purgeT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func appendPurges(t *testing.T, db *store.DB, at time.Time, tags ...[]string) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		for _, tg := range tags {
			if err := purge.Append(context.Background(), tx, db.Dialect, tg, len(tg) > 1, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (ts *testServer) getPurges(t *testing.T, query, secret string) (response, purgesAnswer) {
	t.Helper()
	req := newRequest(t, "GET", ts.http.URL+purgesPath+query, "")
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	res := ts.do(t, req)
	var ans purgesAnswer
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &ans); err != nil {
			t.Fatalf("%s: %v in %q", query, err, res.body)
		}
	}
	return res, ans
}

func TestPurgesAuth(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		open := newTestServer(t, db, Config{})
		if res, _ := open.getPurges(t, "", testSecret); res.status != http.StatusNotFound {
			t.Errorf("no cluster secret configured: status %d, want 404", res.status)
		}
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		for _, c := range []struct {
			name, secret string
			want         int
		}{
			{"no secret", "", http.StatusUnauthorized},
			{"wrong secret", "guess", http.StatusUnauthorized},
			{"a prefix of the secret", testSecret[:4], http.StatusUnauthorized},
			{"the secret", testSecret, http.StatusOK},
		} {
			res, _ := ts.getPurges(t, "", c.secret)
			if res.status != c.want {
				t.Errorf("%s: status %d, want %d (%s)", c.name, res.status, c.want, res.body)
			}
			if cc := res.header.Get("Cache-Control"); cc != "private, no-store" {
				t.Errorf("%s: Cache-Control %q", c.name, cc)
			}
			if c.want == http.StatusUnauthorized && res.header.Get("Content-Type") != "application/json" {
				t.Errorf("%s: Content-Type %q, want JSON", c.name, res.header.Get("Content-Type"))
			}
		}
	})
}

func TestPurgesRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		if _, ans := ts.getPurges(t, "", testSecret); ans.Head != 0 || len(ans.Entries) != 0 {
			t.Errorf("empty log: %+v, want head 0", ans)
		}
		appendPurges(t, db, purgeT0, []string{"product-1"}, []string{"category-2", "home"}, []string{"categories"})
		all, err := purge.Since(context.Background(), db, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		head := all[2].Seq
		for _, c := range []struct {
			name, query string
			wantSeqs    []int64
		}{
			{"head only", "", nil},
			{"from the start", "?after=0", []int64{all[0].Seq, all[1].Seq, all[2].Seq}},
			{"after the first", fmt.Sprintf("?after=%d", all[0].Seq), []int64{all[1].Seq, all[2].Seq}},
			{"at the head, no wait", fmt.Sprintf("?after=%d&wait=0s", head), nil},
		} {
			res, ans := ts.getPurges(t, c.query, testSecret)
			if res.status != http.StatusOK || ans.Head != head || ans.Gap {
				t.Errorf("%s: %d %+v, want head %d and no gap", c.name, res.status, ans, head)
			}
			var seqs []int64
			for _, e := range ans.Entries {
				seqs = append(seqs, e.Seq)
			}
			if !slices.Equal(seqs, c.wantSeqs) {
				t.Errorf("%s: seqs %v, want %v", c.name, seqs, c.wantSeqs)
			}
		}
		_, ans := ts.getPurges(t, fmt.Sprintf("?after=%d", all[0].Seq), testSecret)
		if e := ans.Entries[0]; !slices.Equal(e.Tags, []string{"category-2", "home"}) || !e.Soft {
			t.Errorf("entry = %+v, want soft purge of category-2 home", e)
		}
		for _, q := range []string{"?after=x", "?after=-1", "?after=1&wait=soon"} {
			if res, _ := ts.getPurges(t, q, testSecret); res.status != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", q, res.status)
			}
		}
	})
}

// TestPurgesLongPollWakes proves a waiting poll answers when this instance
// commits a write: the DB poll is made hourly so only the nudge can wake it.
func TestPurgesLongPollWakes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		waiting := make(chan struct{}, 1)
		ts.purges.pollEvery = time.Hour
		ts.purges.waiting = func() { waiting <- struct{}{} }
		appendPurges(t, db, purgeT0, []string{"product-1"})
		_, ans := ts.getPurges(t, "", testSecret)

		got := make(chan purgesAnswer, 1)
		go func() {
			_, a := ts.getPurges(t, fmt.Sprintf("?after=%d&wait=30s", ans.Head), testSecret)
			got <- a
		}()
		<-waiting
		appendPurges(t, db, purgeT0, []string{"product-2"})
		// Any unsafe request this instance finishes nudges the waiters, as
		// an admin edit that appended would.
		ts.do(t, newRequest(t, "POST", ts.http.URL+"/no-such-form", ""))
		a := <-got
		if len(a.Entries) != 1 || a.Entries[0].Seq != ans.Head+1 || a.Entries[0].Tags[0] != "product-2" {
			t.Errorf("woken poll answered %+v, want product-2 at seq %d", a, ans.Head+1)
		}
	})
}

func TestPurgesTrimAndGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		ts.purges.now = func() time.Time { return purgeT0 }
		tags := make([][]string, purgeKeep+3)
		for i := range tags {
			tags[i] = []string{fmt.Sprintf("product-%d", i)}
		}
		appendPurges(t, db, purgeT0.Add(-2*purgeKeepFor), tags...)
		appendPurges(t, db, purgeT0, []string{"fresh"})
		n, err := ts.purges.trim(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		// 1,004 entries: the newest 1,000 stay although 999 are old.
		if n != 4 {
			t.Errorf("trimmed %d, want 4", n)
		}
		_, head := ts.getPurges(t, "", testSecret)
		oldest := head.Head - purgeKeep + 1
		for _, c := range []struct {
			name  string
			after int64
			gap   bool
		}{
			{"from the start is no gap", 0, false},
			{"trimmed entries missed", 1, true},
			{"just before the oldest kept", oldest - 1, false},
			{"ahead of the head: the log was reset", head.Head + 5, true},
		} {
			_, ans := ts.getPurges(t, fmt.Sprintf("?after=%d", c.after), testSecret)
			if ans.Gap != c.gap || ans.Head != head.Head {
				t.Errorf("%s: gap %v head %d, want gap %v head %d", c.name, ans.Gap, ans.Head, c.gap, head.Head)
			}
			if !c.gap && (len(ans.Entries) == 0 || ans.Entries[0].Seq != max(c.after+1, oldest)) {
				t.Errorf("%s: entries start %+v, want seq %d", c.name, ans.Entries[:min(1, len(ans.Entries))], max(c.after+1, oldest))
			}
		}
		if n, err := ts.purges.trim(context.Background()); err != nil || n != 0 {
			t.Errorf("second trim: %d, %v; want nothing", n, err)
		}
	})
}
