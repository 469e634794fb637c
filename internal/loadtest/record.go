package loadtest

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"time"
)

// Record is one planned request: sent, or skipped with the reason. A
// checkout sent again with the same key is a second Record with the same
// Seq and the next Attempt.
type Record struct {
	Seq     int // plan order, from 0
	Attempt int // 1, or more for a checkout retried with its key
	Kind    Kind
	Method  string
	Path    string
	Planned time.Duration // when the schedule said to send it, from the start of the run
	Sent    time.Duration // when it was sent, from the start; -1 if it never was
	Status  int           // HTTP status; 0 without a response
	Latency time.Duration // from sending to the end of the response body, or to the error
	Outcome Outcome
	Cause   Cause  // why it did not succeed; "" when it did
	Error   string // the error or status line, for people
	Shopper int    // the shopper of a cart or checkout; 0 for page views
	// IdempotencyKey and OrderNumber of a checkout: a test compares them
	// with the database (no order lost, none placed twice).
	IdempotencyKey string
	OrderNumber    string

	retryAfter time.Duration // the answer's Retry-After, in seconds; 0 without one
}

// Outcome sorts records for the exit code: only Failed counts against a run.
type Outcome string

const (
	OK      Outcome = "ok"
	Refused Outcome = "refused" // an answer the store may rightly give, such as out of stock
	Failed  Outcome = "failed"
	Skipped Outcome = "skipped" // not sent because an earlier step of its shopper failed
)

// Cause says why a request did not succeed.
type Cause string

// Failure causes.
const (
	ConnectRefused Cause = "connect_refused"   // nothing listens at the address (ECONNREFUSED)
	ConnectError   Cause = "connect_error"     // other failures to connect: no route, DNS, TLS
	Reset          Cause = "reset"             // connection reset or closed before the whole response
	Timeout        Cause = "timeout"           // no whole response within the request timeout
	Status5xx      Cause = "status_5xx"        // the server answered 5xx
	Status4xx      Cause = "status_4xx"        // a 4xx the store should not give this request
	BadStatus      Cause = "unexpected_status" // another status than the request's success (a 3xx, a 204…)
	BadResponse    Cause = "bad_response"      // a success without what it must hold (a checkout without an order number)
	Canceled       Cause = "canceled"          // the run was interrupted while it was in flight
	Saturated      Cause = "client_saturated"  // every worker was busy: the load tool could not send it
	TransportError Cause = "transport_error"   // any other client-side error
)

// Causes of Refused and Skipped records; not failures.
const (
	OutOfStock Cause = "out_of_stock" // 409 out_of_stock to a cart add or checkout
	NoCart     Cause = "no_cart"      // a checkout whose shopper has no cart: its adds failed
)

// retryable reports whether a failed checkout may be sent again with its
// Idempotency-Key: the store either placed no order or returns the one it
// placed.
func (c Cause) retryable() bool {
	switch c {
	case ConnectRefused, ConnectError, Reset, Timeout, Status5xx, TransportError:
		return true
	}
	return false
}

// causeOf classifies a transport error. Order matters: a request timeout
// ends in a reset or an EOF under the covers, and is a timeout.
func causeOf(err error) Cause {
	var ne net.Error
	var op *net.OpError
	switch {
	case errors.Is(err, context.Canceled):
		return Canceled
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return Timeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ConnectRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return Reset
	case errors.As(err, &op) && op.Op == "dial":
		return ConnectError
	}
	return TransportError
}

// statusCause classifies a status that is not the request's success.
func statusCause(status int) Cause {
	switch {
	case status >= 500:
		return Status5xx
	case status >= 400:
		return Status4xx
	}
	return BadStatus
}
