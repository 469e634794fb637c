package edge

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"agora/internal/edge/balance"
)

// Defaults of the origin round trip (issue 10): a dead backend costs a
// dial timeout, a hung one a response-header timeout, and both leave time
// within the fetch budget to try another.
const (
	DefaultDialTimeout           = 2 * time.Second
	DefaultResponseHeaderTimeout = 10 * time.Second
	// DefaultMaxRetryBody bounds the request body buffered so that it can
	// be sent again to another backend; a larger one is streamed and its
	// request is not retried.
	DefaultMaxRetryBody = 1 << 20
)

// idempotentRoute is the one unsafe route whose retries the app makes
// safe with an Idempotency-Key header (DESIGN.md; internal/app checkout).
const idempotentRoute = "/api/v1/checkout"

// originError is a round trip that got no usable response: Status is what
// the client is answered (502, 503 or 504).
type originError struct {
	Status int
	Err    error
}

func (e *originError) Error() string { return e.Err.Error() }
func (e *originError) Unwrap() error { return e.Err }

// originStatus is the status that answers a failed round trip: 503 when no
// backend could take it (none available, all at their limit, all refusing
// connections), 504 when the backend did not answer in time, 502 when it
// answered badly or broke the connection.
func originStatus(err error) int {
	var oe *originError
	if errors.As(err, &oe) {
		return oe.Status
	}
	return http.StatusBadGateway
}

// retryable reports whether out may be sent again after it may have
// reached a backend: the idempotent methods (RFC 9110 §9.2.2), and the
// checkout when it carries the key that makes a replay harmless. Other
// unsafe requests carry keys the edge cannot see.
func retryable(out *http.Request) bool {
	switch out.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	case http.MethodPost:
		return out.URL.Path == idempotentRoute && out.Header.Get("Idempotency-Key") != ""
	}
	return false
}

// retryStatus are the answers that say the backend did not do the work
// and another may (a gateway's or an overloaded app's).
func retryStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// poolTransport is the Transport of the pass-through proxy: every request
// goes through the pool.
type poolTransport struct{ e *Edge }

func (t poolTransport) RoundTrip(out *http.Request) (*http.Response, error) {
	return t.e.roundTrip(out)
}

// roundTrip sends out, whose URL names only the path and query, to a
// backend of the pool: Pick, Acquire, RoundTrip, Classify, Release, and
// a retry on a different backend when it is safe, within the retry
// budget. It returns once a response head arrived, so nothing has reached
// the client yet: a retry is never after a response started. The
// backend's slot is released when the response body is closed.
func (e *Edge) roundTrip(out *http.Request) (*http.Response, error) {
	ctx := out.Context()
	body, replayable, err := e.replayableBody(out)
	if err != nil {
		return nil, err // the client's body failed: bodyGuard says so
	}
	idem := retryable(out)
	key := ""
	if e.PickKey != nil {
		key = e.PickKey(out)
	}
	done := e.budget.Start()
	defer done()
	var tried []*balance.Backend
	var lastResp *http.Response
	var lastErr error
	// free: the last attempt sent nothing a backend acted on (a refused
	// connection) or its backend is out of the rotation now (Gone), so
	// trying another adds no load the outage did not already shed: such a
	// retry is not taken from the budget, which is there to stop retries
	// from piling onto backends that are alive but failing.
	free := false
	// finish returns what the last attempt got, when no retry follows.
	finish := func() (*http.Response, error) {
		if lastResp != nil {
			return lastResp, nil
		}
		return nil, lastErr
	}
	for attempt := 0; ; attempt++ {
		c, err := e.Pool.Pick(key, tried...)
		if err == nil && c.Panic && !idem && c.Backend.State() != balance.Joining {
			// No backend is healthy: only a request that is safe to lose
			// goes to the least bad one (issue 10). A pool that has not
			// finished its first checks (Joining) knows nothing bad yet.
			err = balance.ErrNoBackend
		}
		if err != nil {
			if lastResp != nil || lastErr != nil {
				return finish()
			}
			return nil, &originError{http.StatusServiceUnavailable, err}
		}
		if attempt > 0 {
			if !free {
				retried, ok := e.budget.Retry()
				if !ok {
					return finish()
				}
				defer retried()
			}
			e.front.retries.Add(1)
		}
		if lastResp != nil {
			lastResp.Body.Close()
			lastResp = nil
		}
		b := c.Backend
		tried = append(tried, b)
		if err := b.Acquire(ctx); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			// Nothing was sent: another backend may take it.
			lastErr, free = &originError{http.StatusServiceUnavailable, err}, true
			continue
		}
		// A shallow copy: an attempt changes only the URL (aimAt copies
		// it) and the body; the header is read-only to a RoundTripper, and
		// out is already the caller's copy, so cloning it again on every
		// attempt is work for nothing.
		// A request that may go elsewhere lets go of b when b goes out
		// (Gone) while it waits for the head: a hung backend then costs
		// the time its checks take, not ResponseHeaderTimeout.
		actx, letGo := ctx, context.CancelFunc(func() {})
		watching := func() bool { return false }
		if gone := b.Gone(); gone != nil && replayable && idem {
			actx, letGo = context.WithCancel(ctx)
			watching = context.AfterFunc(gone, letGo)
		}
		a := out.WithContext(actx)
		aimAt(a, b)
		if body != nil {
			a.Body = io.NopCloser(bytes.NewReader(body))
			a.ContentLength = int64(len(body))
		} else if !replayable {
			a.Body = out.Body
		}
		start := time.Now()
		resp, err := e.Transport.RoundTrip(a)
		watching() // the head is in, or the attempt is over: only the wait for it is cut
		o := balance.Classify(resp, err)
		switch {
		case ctx.Err() != nil && err != nil:
			o = balance.Canceled
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				o = balance.Timeout
			}
		case actx.Err() != nil && err != nil && o != balance.ConnectFailure:
			o = balance.Timeout // b went out while this waited: as if it timed out
		}
		free = err != nil && (o == balance.ConnectFailure || actx.Err() != nil)
		res := balance.Result{Outcome: o, Latency: time.Since(start), Retry: attempt > 0}
		if err != nil {
			letGo()
			b.Release(res)
			level := slog.LevelWarn
			if o == balance.Canceled {
				level = slog.LevelDebug // the client left: not the backend's failure
			}
			e.Log.Log(ctx, level, "edge: backend failed", "backend", b.URL.Redacted(), "method", out.Method, "path", out.URL.Path, "outcome", o.String(), "err", err)
			if ctx.Err() != nil {
				return nil, &originError{http.StatusGatewayTimeout, err}
			}
			lastErr = attemptError(o, err)
			if replayable && (o == balance.ConnectFailure || (idem && (o == balance.Reset || o == balance.Timeout))) {
				continue
			}
			return nil, lastErr
		}
		resp.Body = &releaseBody{ReadCloser: resp.Body, release: func() { letGo(); b.Release(res) }}
		if replayable && idem && retryStatus(resp.StatusCode) && ctx.Err() == nil {
			lastResp, lastErr = resp, nil
			continue
		}
		return resp, nil
	}
}

// attemptError is the error of an attempt that got no response.
func attemptError(o balance.Outcome, err error) error {
	switch o {
	case balance.ConnectFailure:
		return &originError{http.StatusServiceUnavailable, err}
	case balance.Timeout:
		return &originError{http.StatusGatewayTimeout, err}
	}
	return &originError{http.StatusBadGateway, err}
}

// aimAt points a at backend b: its scheme and host, its path as a prefix.
// The Host field (the public name) is left as the caller set it.
func aimAt(a *http.Request, b *balance.Backend) {
	u := *a.URL
	u.Scheme, u.Host = b.URL.Scheme, b.URL.Host
	if p := strings.TrimSuffix(b.URL.Path, "/"); p != "" {
		u.Path = p + u.Path
		if u.RawPath != "" {
			u.RawPath = p + u.RawPath
		}
	}
	a.URL = &u
}

// replayableBody reads out's body when it is at most MaxRetryBody, so that
// each attempt can send it again. replayable is false for a larger body,
// which out keeps (its first bytes put back) and which goes once.
func (e *Edge) replayableBody(out *http.Request) (body []byte, replayable bool, err error) {
	if out.Body == nil || out.Body == http.NoBody {
		return nil, true, nil
	}
	if out.ContentLength > e.MaxRetryBody {
		return nil, false, nil
	}
	buf, err := io.ReadAll(io.LimitReader(out.Body, e.MaxRetryBody+1))
	if err != nil {
		out.Body.Close()
		return nil, false, err
	}
	if int64(len(buf)) > e.MaxRetryBody {
		out.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(buf), out.Body), out.Body}
		return nil, false, nil
	}
	out.Body.Close()
	return buf, true, nil
}

// releaseBody releases the backend's slot when the response is done with.
type releaseBody struct {
	io.ReadCloser
	once    sync.Once
	release func()
}

func (r *releaseBody) Close() error {
	err := r.ReadCloser.Close()
	r.once.Do(r.release)
	return err
}
