// Package testdep is the one rule for tests whose dependency (PostgreSQL,
// an S3 server) is missing: they fail, saying how to get it, unless the
// developer set the dependency's skip variable to 1 for a quick local run —
// and never skip in CI, whatever the variables say.
package testdep

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: the CI variable is set to
// anything but "", "false" or "0" (CI services set CI=true; .ci/run does too).
func InCI() bool {
	switch os.Getenv("CI") {
	case "", "false", "0":
		return false
	}
	return true
}

// Missing ends t because the dependency is unavailable (err says why): a
// skip when skipVar=1 outside CI, else a failure with hint, how to get it.
func Missing(t testing.TB, skipVar string, err error, hint string) {
	t.Helper()
	if os.Getenv(skipVar) == "1" && !InCI() {
		t.Skipf("SKIPPED (%s=1): %v", skipVar, err)
	}
	if os.Getenv(skipVar) == "1" {
		t.Fatalf("%v: %s (%s=1 is ignored in CI: a missing dependency fails there)", err, hint, skipVar)
	}
	t.Fatalf("%v: %s", err, hint)
}
