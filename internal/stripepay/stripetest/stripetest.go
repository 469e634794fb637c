// Package stripetest runs Stripe's own API simulator, stripe-mock, for
// tests, behind a small stateful stand-in with fault injection.
//
// stripe-mock validates every request against Stripe's OpenAPI spec (a
// wrong parameter is a 400, as at Stripe) but keeps no state: every
// create answers the same fixture id, and a retrieve never reflects what
// happened. So every request goes to stripe-mock first, for its shape, and
// the stand-in (Server) then answers with state of its own. It covers:
//   - idempotent replays: a create with an Idempotency-Key seen before gets
//     the first answer back (Idempotent-Replayed: true), as Stripe does for
//     24 hours; Created counts real creations, each a possible charge;
//   - intent state: Retrieve reflects SetStatus (requires_action until the
//     shopper passes 3-D Secure, then succeeded), which Stripe.js would do;
//   - refunds: a refund of an intent that has not succeeded, or of more
//     than is left of it, is refused with Stripe's 400; Refunded counts
//     what was really refunded;
//   - faults (Fail): a 500, a hang until the client times out, and a
//     dropped connection after the intent was created (the app or network
//     died between Stripe's commit and the app's save).
//
// Nothing here talks to Stripe: it is a fake of a paid third-party API.
package stripetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"agora/internal/testdep"
)

// Version is the stripe-mock that scripts/test installs.
const Version = "v0.203.0"

// Binary returns the stripe-mock executable, or an error that says how to
// get one.
func Binary() (string, error) {
	if p := os.Getenv("AGORA_STRIPE_MOCK"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("AGORA_STRIPE_MOCK=%s: %v", p, err)
		}
		return p, nil
	}
	p, err := exec.LookPath("stripe-mock")
	if err != nil {
		return "", errors.New("stripe-mock is not installed: run ./scripts/test (it installs it), or `go install github.com/stripe/stripe-mock@" +
			Version + "` and put it on PATH or in AGORA_STRIPE_MOCK")
	}
	return p, nil
}

// Fault is what the stand-in does to the next matching request.
type Fault int

const (
	// Error500 answers 500 without doing anything.
	Error500 Fault = iota + 1
	// HangAfterCommit creates the intent, then answers nothing until the
	// client gives up (a timeout).
	HangAfterCommit
	// DropAfterCommit creates the intent, then closes the connection
	// without an answer.
	DropAfterCommit
)

// Server is stripe-mock behind the stateful stand-in. URL is the API base
// to give the client.
type Server struct {
	URL string

	mock *http.Client // to stripe-mock, over its unix socket

	mu      sync.Mutex // protects the fields below
	byKey   map[string][]byte
	intents map[string]map[string]any
	faults  []Fault
	created int
	// refunded is the amount refunded of each intent; refunds counts them.
	refunded map[string]int64
	refunds  int
	// NewStatus is the status of a created intent ("requires_payment_method").
	newStatus string
}

// mock is the one stripe-mock process of a test binary, started by the
// first Start: it keeps no state, so every test's stand-in shares it, and
// its startup (it loads Stripe's whole API spec) is paid once.
var mock struct {
	once   sync.Once
	client *http.Client // to stripe-mock, over its unix socket
	err    error
}

// startMock runs stripe-mock on a unix socket in a directory of its own.
// It dies with the test binary (Pdeathsig on Linux).
func startMock(bin string) (*http.Client, error) {
	dir, err := os.MkdirTemp("", "stripe-mock")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "stripe-mock.sock")
	cmd := exec.Command(bin, "-http-unix", sock)
	// A file, not a buffer: no copying goroutine lives as long as the mock.
	out, err := os.Create(filepath.Join(dir, "output"))
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	setParentDeath(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := waitSocket(sock, exited); err != nil {
		_ = cmd.Process.Kill()
		b, _ := os.ReadFile(out.Name())
		return nil, fmt.Errorf("stripe-mock did not start: %v\n%s", err, b)
	}
	return &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}, nil
}

// Start returns a fresh stand-in for t over the test binary's stripe-mock;
// the stand-in stops when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		testdep.Missing(t, "AGORA_TEST_SKIP_STRIPE", fmt.Errorf("stripetest: %v", err), "card payment tests need stripe-mock")
	}
	mock.once.Do(func() { mock.client, mock.err = startMock(bin) })
	if mock.err != nil {
		t.Fatalf("stripetest: %v", mock.err)
	}
	s := &Server{mock: mock.client, byKey: map[string][]byte{}, intents: map[string]map[string]any{}, refunded: map[string]int64{}, newStatus: "requires_payment_method"}
	hs := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		hs.Close()
		// No connection to stripe-mock outlives the test (goleak).
		mock.client.CloseIdleConnections()
	})
	s.URL = hs.URL
	return s
}

// waitSocket waits until stripe-mock accepts connections on sock (it
// creates the socket when it listens), or exits, or 30s pass.
func waitSocket(sock string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for delay := time.Millisecond; ; delay = min(2*delay, 100*time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("exited: %v", err)
		case <-time.After(delay):
		}
		if time.Now().After(deadline) {
			return errors.New("no socket after 30s")
		}
	}
}

// Fail queues faults for the next requests, one each.
func (s *Server) Fail(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Created is how many intents were really created (not replayed).
func (s *Server) Created() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// Refunded is how many refunds were really made (not replayed) and their
// sum over every intent.
func (s *Server) Refunded() (n int, cents int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.refunded {
		cents += c
	}
	return s.refunds, cents
}

// CreateWith sets the status new intents start in, such as
// "requires_action" for a card that asks for 3-D Secure.
func (s *Server) CreateWith(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.newStatus = status
}

// SetStatus sets intent id's status, as the shopper's browser would by
// confirming it (and amount_received when it succeeded).
func (s *Server) SetStatus(id, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if pi, ok := s.intents[id]; ok {
		pi["status"] = status
		if status == "succeeded" {
			pi["amount_received"] = pi["amount"]
		}
	}
}

func (s *Server) nextFault() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return 0
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	fault := s.nextFault()
	if fault == Error500 {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"error": map[string]any{"type": "api_error", "message": "injected 500"}})
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if r.Method == http.MethodPost && key != "" {
		s.mu.Lock()
		prev, ok := s.byKey[key]
		s.mu.Unlock()
		if ok {
			w.Header().Set("Idempotent-Replayed", "true")
			w.Header().Set("Content-Type", "application/json")
			w.Write(prev)
			return
		}
	}
	status, answer, err := s.forward(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	if status == http.StatusOK && r.Method == http.MethodPost && r.URL.Path == "/v1/refunds" {
		status, answer = s.refund(body, answer)
	}
	if status == http.StatusOK {
		answer = s.stateful(r, body, answer)
		if r.Method == http.MethodPost && key != "" {
			s.mu.Lock()
			s.byKey[key] = answer
			s.mu.Unlock()
		}
	}
	switch fault {
	case HangAfterCommit:
		<-r.Context().Done()
		return
	case DropAfterCommit:
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(answer)
}

// forward sends the request to stripe-mock, which checks its shape.
func (s *Server) forward(r *http.Request, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, "http://stripe-mock"+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	for _, h := range []string{"Authorization", "Content-Type", "Stripe-Version", "Idempotency-Key"} {
		if v := r.Header.Get(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := s.mock.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// stateful replaces stripe-mock's fixed answer about payment intents with
// the stand-in's state.
func (s *Server) stateful(r *http.Request, body, answer []byte) []byte {
	path := strings.TrimPrefix(r.URL.Path, "/v1/payment_intents")
	if path == r.URL.Path {
		return answer
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case path == "" && r.Method == http.MethodPost:
		var pi map[string]any
		if json.Unmarshal(answer, &pi) != nil {
			return answer
		}
		form, _ := url.ParseQuery(string(body))
		s.created++
		id := fmt.Sprintf("pi_standin_%d", s.created)
		amount, _ := strconv.ParseInt(form.Get("amount"), 10, 64)
		pi["id"], pi["client_secret"], pi["status"] = id, id+"_secret_standin", s.newStatus
		pi["amount"], pi["currency"], pi["amount_received"] = amount, form.Get("currency"), 0
		pi["metadata"] = map[string]any{"order_number": form.Get("metadata[order_number]")}
		s.intents[id] = pi
		b, _ := json.Marshal(pi)
		return b
	case strings.HasPrefix(path, "/") && !strings.Contains(path[1:], "/"):
		if pi, ok := s.intents[path[1:]]; ok {
			b, _ := json.Marshal(pi)
			return b
		}
	}
	return answer
}

// refund applies a refund stripe-mock found well formed to the stand-in's
// intents, or refuses it as Stripe would.
func (s *Server) refund(body, answer []byte) (int, []byte) {
	form, _ := url.ParseQuery(string(body))
	id := form.Get("payment_intent")
	s.mu.Lock()
	defer s.mu.Unlock()
	pi, ok := s.intents[id]
	if !ok {
		return http.StatusOK, answer // not one of ours: stripe-mock's fixture
	}
	refuse := func(code, msg string) (int, []byte) {
		b, _ := json.Marshal(map[string]any{"error": map[string]any{"type": "invalid_request_error", "code": code, "message": msg}})
		return http.StatusBadRequest, b
	}
	if pi["status"] != "succeeded" {
		return refuse("payment_intent_unexpected_state", "This PaymentIntent does not have a successful charge to refund.")
	}
	received, _ := pi["amount_received"].(int64)
	amount := received - s.refunded[id]
	if a := form.Get("amount"); a != "" {
		amount, _ = strconv.ParseInt(a, 10, 64)
	}
	if amount <= 0 || s.refunded[id]+amount > received {
		return refuse("amount_too_large", fmt.Sprintf("Refund amount (%d) is greater than unrefunded amount on charge (%d).", amount, received-s.refunded[id]))
	}
	var re map[string]any
	if json.Unmarshal(answer, &re) != nil {
		return http.StatusOK, answer
	}
	s.refunds++
	s.refunded[id] += amount
	re["id"], re["amount"], re["payment_intent"], re["status"] = fmt.Sprintf("re_standin_%d", s.refunds), amount, id, "succeeded"
	b, _ := json.Marshal(re)
	return http.StatusOK, b
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
