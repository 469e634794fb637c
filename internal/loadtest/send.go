package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxAPIBody bounds what is read of a cart or checkout answer; pages are
// read to the end and thrown away, as a browser would download them.
const maxAPIBody = 1 << 20

// send sends st once and records what came back.
func (r *Runner) send(ctx context.Context, st step, attempt int) Record {
	rec := st.record(attempt)
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	var body io.Reader
	if st.body != nil {
		body = bytes.NewReader(st.body)
	}
	req, err := http.NewRequestWithContext(ctx, st.method, join(r.cfg.Target, st.path), body)
	if err != nil {
		rec.Outcome, rec.Cause, rec.Error = Failed, TransportError, err.Error()
		r.add(rec)
		return rec
	}
	if r.cfg.Host != "" {
		req.Host = r.cfg.Host
	}
	// Without GetBody net/http never sends a POST twice on its own (it
	// would replay a checkout with an Idempotency-Key after a reset on a
	// reused connection, and the reset would go unrecorded): every attempt
	// is ours, and recorded. GETs it may still replay once on a fresh
	// connection when a kept-alive one turns out closed, as browsers do.
	req.GetBody = nil
	client := r.pages
	if st.shopper != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		if st.key != "" {
			req.Header.Set("Idempotency-Key", st.key)
		}
		client = &http.Client{Transport: r.transport, Jar: st.shopper.jar, CheckRedirect: noRedirects}
	}
	sent := time.Now()
	rec.Sent = sent.Sub(*r.start.Load())
	r.sent.Add(1)
	res, err := client.Do(req)
	var answer []byte
	if err == nil {
		rec.Status = res.StatusCode
		if n, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && n > 0 {
			rec.retryAfter = time.Duration(n) * time.Second
		}
		if st.shopper != nil {
			answer, err = io.ReadAll(io.LimitReader(res.Body, maxAPIBody))
		} else {
			_, err = io.Copy(io.Discard, res.Body)
		}
		res.Body.Close()
	}
	rec.Latency = time.Since(sent)
	if err != nil {
		rec.Outcome, rec.Cause, rec.Error = Failed, causeOf(err), err.Error()
	} else {
		judge(&rec, res, answer)
	}
	r.add(rec)
	return rec
}

// apiAnswer is what the cart and checkout answers may hold: an order, or
// DESIGN.md's error body.
type apiAnswer struct {
	OrderNumber string `json:"order_number"`
	Error       struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// judge sets the outcome of an answered request from its status and body.
func judge(rec *Record, res *http.Response, body []byte) {
	var a apiAnswer
	if rec.Kind == Cart || rec.Kind == Checkout {
		_ = json.Unmarshal(body, &a) // a body that is not JSON holds neither field
	}
	switch {
	case rec.Kind.page() && res.StatusCode == http.StatusOK,
		rec.Kind == Cart && (res.StatusCode == http.StatusOK || res.StatusCode == http.StatusCreated):
		rec.Outcome = OK
	case rec.Kind == Checkout && (res.StatusCode == http.StatusCreated || res.StatusCode == http.StatusOK):
		// 201: placed now; 200: placed by an earlier attempt with this key.
		if rec.OrderNumber = a.OrderNumber; a.OrderNumber == "" {
			rec.Outcome, rec.Cause, rec.Error = Failed, BadResponse, res.Status+" without an order_number"
			return
		}
		rec.Outcome = OK
	case res.StatusCode == http.StatusConflict && a.Error.Code == string(OutOfStock):
		rec.Outcome, rec.Cause, rec.Error = Refused, OutOfStock, a.Error.Message
	default:
		rec.Outcome, rec.Cause, rec.Error = Failed, statusCause(res.StatusCode), res.Status
		if a.Error.Code != "" {
			rec.Error += ": " + a.Error.Code + ": " + strings.TrimSpace(a.Error.Message)
		}
	}
}
