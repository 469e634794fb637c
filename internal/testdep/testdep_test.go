package testdep

import (
	"errors"
	"runtime"
	"testing"
)

func TestInCI(t *testing.T) {
	for _, c := range []struct {
		val  string
		want bool
	}{{"", false}, {"false", false}, {"0", false}, {"true", true}, {"1", true}, {"yes", true}} {
		t.Setenv("CI", c.val)
		if got := InCI(); got != c.want {
			t.Errorf("CI=%q: InCI() = %v, want %v", c.val, got, c.want)
		}
	}
}

// recorder is a testing.TB that records whether Missing skipped or failed.
type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Skipf(string, ...any)  { r.skipped = true; runtime.Goexit() }
func (r *recorder) Fatalf(string, ...any) { r.failed = true; runtime.Goexit() }
func (r *recorder) run(f func(testing.TB)) {
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
}

// TestMissingNeverSkipsInCI: the same rule for every dependency and every
// spelling of CI (the S3 tests used to skip under CI=1, which the
// PostgreSQL tests failed).
func TestMissingNeverSkipsInCI(t *testing.T) {
	for _, c := range []struct {
		ci, skip string
		wantSkip bool
	}{
		{"", "1", true},
		{"", "", false},
		{"true", "1", false},
		{"1", "1", false},
		{"false", "1", true},
	} {
		t.Setenv("CI", c.ci)
		t.Setenv("AGORA_TEST_SKIP_X", c.skip)
		r := &recorder{}
		r.run(func(tb testing.TB) { Missing(tb, "AGORA_TEST_SKIP_X", errors.New("x is missing"), "install x") })
		if r.skipped != c.wantSkip || r.failed == c.wantSkip {
			t.Errorf("CI=%q skip=%q: skipped %v, failed %v; want skipped %v", c.ci, c.skip, r.skipped, r.failed, c.wantSkip)
		}
	}
}
