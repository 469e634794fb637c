package app

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine (a Serve loop, a drain timer,
// a database opener) outlives the tests.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
