package app

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any goroutine (a Serve loop, a drain timer,
// a database opener) outlives the tests.
func TestMain(m *testing.M) {
	// The test binary's one stripe-mock process (stripetest) lives as
	// long as the binary, by design; its Wait is not a leak.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("agora/internal/stripepay/stripetest.startMock.func1"))
}
