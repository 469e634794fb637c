package balance

import "testing"

func TestRetryBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ratio   float64
		min     int64
		active  int
		allowed int // retries that may be in flight at once
	}{
		// The minimum lets the requests one killed backend held at once all
		// go elsewhere at a modest rate (the kill test: six GETs cut at
		// once, three refused a retry with Envoy's minimum of 3).
		{"idle: the minimum", 0, 0, 0, 10},
		{"few requests: the minimum", 0, 0, 40, 10},
		{"many: a fifth", 0, 0, 100, 20},
		{"rounded down", 0, 0, 104, 20},
		{"own ratio and minimum", 0.5, 1, 10, 5},
		{"own minimum", 0.1, 3, 20, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rb := &RetryBudget{Ratio: tc.ratio, Min: tc.min}
			var ends []func()
			for range tc.active {
				ends = append(ends, rb.Start())
			}
			var retries []func()
			for i := range tc.allowed {
				done, ok := rb.Retry()
				if !ok {
					t.Fatalf("retry %d refused, want %d allowed", i+1, tc.allowed)
				}
				retries = append(retries, done)
			}
			if _, ok := rb.Retry(); ok {
				t.Fatalf("retry %d allowed, want %d", tc.allowed+1, tc.allowed)
			}
			// A retry that ends gives its place back, once.
			retries[0]()
			retries[0]()
			if _, ok := rb.Retry(); !ok {
				t.Fatal("refused after one ended")
			}
			if _, ok := rb.Retry(); ok {
				t.Fatal("a done called twice gave two places back")
			}
			st := rb.Status()
			if st.Active != int64(tc.active) || st.Retrying != int64(tc.allowed) || st.Denied != 2 {
				t.Errorf("status %+v", st)
			}
			for _, e := range ends {
				e()
			}
			if st := rb.Status(); st.Active != 0 {
				t.Errorf("active %d after every request ended", st.Active)
			}
		})
	}
}
