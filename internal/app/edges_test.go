package app

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"agora/internal/store"
	"agora/internal/store/storetest"
)

func (ts *testServer) edgesCall(t *testing.T, method, query, body string) (response, networkAnswer) {
	t.Helper()
	req := newRequest(t, method, ts.http.URL+edgesPath+query, body)
	req.Header.Set("Authorization", "Bearer "+testSecret)
	res := ts.do(t, req)
	var ans networkAnswer
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &ans); err != nil {
			t.Fatalf("%s %s: %v in %q", method, query, err, res.body)
		}
	}
	return res, ans
}

// TestEdgesConvergence: edges register with heartbeats; the answer says
// which live edges have applied a seq, and shows a silent one as gone,
// never pending (issue 13).
func TestEdgesConvergence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ts := newTestServer(t, db, Config{ClusterSecret: testSecret})
		now := purgeT0
		ts.purges.now = func() time.Time { return now }
		appendPurges(t, db, purgeT0, []string{"a"}, []string{"b"}, []string{"c"})
		head := ts.headSeq(t)

		beat := func(name string, applied int64, every string) networkAnswer {
			t.Helper()
			ms := map[string]string{"1s": "1000", "1m": "60000"}[every]
			res, ans := ts.edgesCall(t, "POST", "", `{"name":"`+name+`","applied":`+itoa(applied)+`,"started_at":"2026-03-01T11:00:00Z","heartbeat_ms":`+ms+`}`)
			if res.status != http.StatusOK {
				t.Fatalf("heartbeat of %s: %d %s", name, res.status, res.body)
			}
			return ans
		}
		beat("pop-a", head, "1s")
		beat("pop-b", head-1, "1s")
		ans := beat("pop-c", head-2, "1m")
		if ans.Converged || !slices.Equal(ans.Pending, []string{"pop-b", "pop-c"}) || ans.Head != head || len(ans.Edges) != 3 {
			t.Errorf("at the head: %+v; want pop-b and pop-c pending", ans)
		}
		if ans.Edges[2].Lag != 2 || ans.Edges[2].State != "live" {
			t.Errorf("pop-c: %+v, want live, 2 behind", ans.Edges[2])
		}
		if _, ans := ts.edgesCall(t, "GET", "?seq="+itoa(head-1), ""); ans.Converged || !slices.Equal(ans.Pending, []string{"pop-c"}) {
			t.Errorf("seq %d: %+v; want pop-c pending", head-1, ans)
		}
		// 3 s later, pop-a and pop-b (1 s heartbeats) are gone; pop-c, at
		// a minute, is live and still pending.
		now = now.Add(3*time.Second + time.Millisecond)
		_, ans = ts.edgesCall(t, "GET", "", "")
		if ans.Converged || !slices.Equal(ans.Pending, []string{"pop-c"}) || ans.Edges[0].State != "gone" || ans.Edges[1].State != "gone" {
			t.Errorf("3 s later: %+v; want pop-a and pop-b gone, pop-c pending", ans)
		}
		beat("pop-c", head, "1m")
		if _, ans := ts.edgesCall(t, "GET", "", ""); !ans.Converged || len(ans.Pending) != 0 {
			t.Errorf("pop-c at the head: %+v; want converged (the gone ones not waited for)", ans)
		}

		for _, body := range []string{`{}`, `{"name":"x","applied":-1,"heartbeat_ms":1000}`, `{"name":"x","applied":1,"heartbeat_ms":1}`, `{"name":"x","applied":1,"heartbeat_ms":1000,"extra":1}`} {
			if res, _ := ts.edgesCall(t, "POST", "", body); res.status != http.StatusBadRequest {
				t.Errorf("heartbeat %s: %d, want 400", body, res.status)
			}
		}
		if res, _ := ts.edgesCall(t, "GET", "?seq=x", ""); res.status != http.StatusBadRequest {
			t.Errorf("?seq=x: %d, want 400", res.status)
		}
		req := newRequest(t, "GET", ts.http.URL+edgesPath, "")
		if res := ts.do(t, req); res.status != http.StatusUnauthorized {
			t.Errorf("without the secret: %d, want 401", res.status)
		}
	})
}

func (ts *testServer) headSeq(t *testing.T) int64 {
	t.Helper()
	_, ans := ts.getPurges(t, "", testSecret)
	return ans.Head
}
