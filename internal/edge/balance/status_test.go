package balance

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

func TestStatusJSON(t *testing.T) {
	t.Parallel()
	p, clk := testPool(t, Config{SlowStart: 10 * time.Second})
	p.Set(urls(t, abcd[0]))
	p.Set(urls(t, abcd[:2]...))
	b := byURL(t, p, abcd[1])
	for i := range 120 {
		if err := b.Acquire(context.Background()); err != nil {
			t.Fatal(err)
		}
		r := Result{Latency: time.Duration(i%100+1) * time.Millisecond}
		if i%10 == 0 {
			r.Outcome, r.Retry = Timeout, true
		}
		b.Release(r)
	}
	b.Acquire(context.Background())
	defer b.Release(Result{})
	clk.Advance(5 * time.Second)
	raw, err := json.Marshal(p.Status())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Panic    bool             `json:"panic"`
		Backends []map[string]any `json:"backends"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Panic || len(got.Backends) != 2 {
		t.Fatalf("%s", raw)
	}
	s := got.Backends[1]
	want := map[string]any{
		"url": abcd[1], "state": "slow-start", "weight": 0.5, "in_flight": 1.0,
		"requests": 121.0, "failures": 12.0, "retries": 12.0, "ejections": 0.0,
		"requests_per_second": 2.0, // 120 in the last minute
	}
	for k, v := range want {
		if s[k] != v {
			t.Errorf("%s = %v, want %v", k, s[k], v)
		}
	}
	// 1..100 ms then 1..20 ms
	for k, ms := range map[string]float64{"latency_p50_ms": 40, "latency_p95_ms": 94, "latency_p99_ms": 99} {
		if v, _ := s[k].(float64); v < ms || v > ms*1.25 {
			t.Errorf("%s = %v, want %v (up to 25%% more)", k, s[k], ms)
		}
	}
	if _, ok := s["ejected_until"]; ok {
		t.Errorf("ejected_until on a backend not ejected: %s", raw)
	}
}
