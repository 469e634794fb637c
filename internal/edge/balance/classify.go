package balance

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
)

// Classify is the Outcome of one round trip to a backend, for Release and
// for the edge's retry decision: a ConnectFailure reached no backend, so
// any request may go to another (issue 10); the other failures may have
// reached it. err is the Transport's; resp is used when err is nil.
func Classify(resp *http.Response, err error) Outcome {
	if err == nil {
		if resp.StatusCode >= 500 {
			return ServerError
		}
		return Success
	}
	var op *net.OpError
	switch {
	case errors.As(err, &op) && op.Op == "dial", errors.Is(err, syscall.ECONNREFUSED):
		return ConnectFailure // before Timeout: a dial that timed out sent nothing
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return Timeout
	}
	return Reset
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
