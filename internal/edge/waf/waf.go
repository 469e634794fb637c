// Package waf is the edge's web application firewall (issue 12): Coraza
// with the OWASP Core Rule Set v4, as embedded by coraza-coreruleset (no
// rule file is copied into this repository), set up for this store: its
// paranoia level, the rule exclusions where the CRS is known to misfire on
// the store's own forms, and the operator's own exclusions.
//
// It inspects one request and says whether it may go on (Inspect); it
// does not answer the client, count cache hits or know where a request
// goes. The edge calls it only for requests about to reach the app tier:
// a cache hit is never inspected (internal/edge/waf.go).
package waf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/types"
)

// Mode is what the firewall does with a request the rules refuse.
type Mode int

const (
	// Off: no inspection at all.
	Off Mode = iota
	// Detect: the request is logged and counted, and goes on to the app.
	Detect
	// Block: the request is logged, counted and answered 403.
	Block
)

func (m Mode) String() string {
	switch m {
	case Detect:
		return "detect"
	case Block:
		return "block"
	}
	return "off"
}

// ParseMode reads off, detect or block.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "off":
		return Off, nil
	case "detect":
		return Detect, nil
	case "block":
		return Block, nil
	}
	return Off, fmt.Errorf("waf: mode %q: want off, detect or block", s)
}

// Defaults for zero Config fields.
const (
	DefaultParanoia = 1
	// DefaultBodyLimit is the part of a request body inspected: far above
	// any form or JSON body of the store (a checkout is under 2 KiB), and
	// held in memory per request in flight. Past it an upload
	// (multipart/form-data: product images) goes on with its first
	// DefaultBodyLimit bytes inspected; any other body is refused with 413,
	// so a payload cannot hide behind padding.
	DefaultBodyLimit = 1 << 20
)

// Config sets up a Firewall.
type Config struct {
	Mode Mode
	// Paranoia is the CRS paranoia level, 1 (the fewest false positives)
	// to 4; 0 means DefaultParanoia.
	Paranoia int
	// Exclusions are the operator's, added to DefaultExclusions.
	Exclusions []Exclusion
	// BodyLimit bounds the request body inspected; 0 means
	// DefaultBodyLimit.
	BodyLimit int64
	// Log records blocked and detected requests; if nil, slog.Default().
	Log *slog.Logger
}

// Firewall inspects requests; safe for concurrent use. A nil *Firewall
// inspects nothing and lets every request go on.
type Firewall struct {
	mode      Mode
	bodyLimit int64
	waf       coraza.WAF
	log       *slog.Logger

	inspected, blocked, detected, errs atomic.Uint64
}

// New loads the CRS with cfg's settings. It takes about a second of CPU:
// call it once, at start.
func New(cfg Config) (*Firewall, error) {
	if cfg.Mode == Off {
		return nil, nil
	}
	if cfg.Paranoia == 0 {
		cfg.Paranoia = DefaultParanoia
	}
	if cfg.Paranoia < 1 || cfg.Paranoia > 4 {
		return nil, fmt.Errorf("waf: paranoia level %d: want 1 to 4", cfg.Paranoia)
	}
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = DefaultBodyLimit
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	directives, err := Directives(cfg)
	if err != nil {
		return nil, err
	}
	w, err := coraza.NewWAF(coraza.NewWAFConfig().WithRootFS(coreruleset.FS).WithDirectives(directives))
	if err != nil {
		return nil, fmt.Errorf("waf: loading the rules: %w", err)
	}
	return &Firewall{mode: cfg.Mode, bodyLimit: cfg.BodyLimit, waf: w, log: cfg.Log}, nil
}

// Mode is f's mode; Off for a nil Firewall.
func (f *Firewall) Mode() Mode {
	if f == nil {
		return Off
	}
	return f.mode
}

// Counts are a Firewall's counters since it was made.
type Counts struct {
	// Inspected are the requests run through the rules.
	Inspected uint64 `json:"inspected"`
	// Blocked were refused (block mode); Detected matched the rules and
	// went on (detect mode).
	Blocked  uint64 `json:"blocked"`
	Detected uint64 `json:"detected"`
	// Errors are requests the firewall could not read (a body cut short);
	// they are refused in block mode, let through in detect mode.
	Errors uint64 `json:"errors"`
}

// Counts reads f's counters; zero for a nil Firewall.
func (f *Firewall) Counts() Counts {
	if f == nil {
		return Counts{}
	}
	return Counts{Inspected: f.inspected.Load(), Blocked: f.blocked.Load(), Detected: f.detected.Load(), Errors: f.errs.Load()}
}

// Verdict is what Inspect decided of one request.
type Verdict struct {
	// Block is true when the request must not go on: its answer is Status.
	Block  bool
	Status int
	// Err, with Block, is why the request's body could not be read: the
	// client's fault (cut short, too slow), in either mode, since what is
	// left of the body cannot be forwarded either.
	Err error
	// Rules are the ids of the rules that matched, the anomaly
	// evaluation included; empty when none did.
	Rules []int
}

// Inspect runs r's head and body through the rules. The body, when read,
// is put back in r.Body for whoever forwards r. requestID names the
// request in the log line a match writes. In detect mode only a body that
// could not be read blocks.
func (f *Firewall) Inspect(r *http.Request, requestID string) Verdict {
	if f == nil {
		return Verdict{}
	}
	f.inspected.Add(1)
	tx := f.waf.NewTransaction()
	defer tx.Close()
	attrs := []any{"request_id", requestID, "method", r.Method, "path", r.URL.Path, "mode", f.mode.String()}
	it, err := f.process(tx, r)
	switch {
	case errors.Is(err, errTooLarge):
		return f.verdict(Verdict{Status: http.StatusRequestEntityTooLarge}, append(attrs, "status", http.StatusRequestEntityTooLarge, "reason", err.Error()))
	case err != nil:
		f.errs.Add(1)
		return Verdict{Block: true, Status: bodyErrStatus(err), Err: err}
	case it == nil:
		return Verdict{}
	}
	v := Verdict{Status: it.Status}
	if v.Status == 0 || it.Action != "deny" {
		v.Status = http.StatusForbidden
	}
	v.Rules, attrs = matched(tx.MatchedRules(), append(attrs, "status", v.Status))
	return f.verdict(v, attrs)
}

// verdict counts and logs a request the rules refuse, and blocks it in
// block mode.
func (f *Firewall) verdict(v Verdict, attrs []any) Verdict {
	if f.mode == Block {
		v.Block = true
		f.blocked.Add(1)
		f.log.Warn("waf: blocked request", attrs...)
		return v
	}
	f.detected.Add(1)
	f.log.Warn("waf: request matched (detect mode: forwarded)", attrs...)
	return v
}

// errTooLarge: a body over the limit that is not an upload.
var errTooLarge = errors.New("waf: request body over the inspected limit, and not an upload")

// bodyErrStatus is the status for a body that could not be read: 408 when
// it did not come in time, 413 over a server limit, else 400.
func bodyErrStatus(err error) int {
	var ne interface{ Timeout() bool }
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return http.StatusRequestTimeout
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

// process feeds r to tx, phase by phase, and stops at an interruption (as
// Coraza's own http middleware does, whose order this follows).
func (f *Firewall) process(tx types.Transaction, r *http.Request) (*types.Interruption, error) {
	client, port := r.RemoteAddr, 0
	if i := strings.LastIndexByte(r.RemoteAddr, ':'); i >= 0 {
		client = strings.Trim(r.RemoteAddr[:i], "[]")
		port, _ = strconv.Atoi(r.RemoteAddr[i+1:])
	}
	tx.ProcessConnection(client, port, "", 0)
	tx.ProcessURI(r.URL.RequestURI(), r.Method, r.Proto)
	for k, vs := range r.Header {
		for _, v := range vs {
			tx.AddRequestHeader(k, v)
		}
	}
	if r.Host != "" {
		tx.AddRequestHeader("Host", r.Host)
		tx.SetServerName(r.Host)
	}
	for _, te := range r.TransferEncoding {
		tx.AddRequestHeader("Transfer-Encoding", te) // net/http moved it out of Header
	}
	if it := tx.ProcessRequestHeaders(); it != nil {
		return it, nil
	}
	if r.Body != nil && r.Body != http.NoBody && tx.IsRequestBodyAccessible() {
		it, _, err := tx.ReadRequestBodyFrom(io.LimitReader(r.Body, f.bodyLimit))
		if err != nil {
			return nil, fmt.Errorf("waf: reading the request body: %w", err)
		}
		if it != nil {
			return it, nil
		}
		// A copy of what Coraza holds: its buffer goes back to its pool
		// when the transaction closes, before the request is forwarded.
		rd, err := tx.RequestBodyReader()
		if err != nil {
			return nil, fmt.Errorf("waf: the request body: %w", err)
		}
		seen, err := io.ReadAll(rd)
		if err != nil {
			return nil, fmt.Errorf("waf: the request body: %w", err)
		}
		rest := r.Body
		var one [1]byte
		n, err := io.ReadFull(rest, one[:])
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("waf: reading the request body: %w", err)
		}
		r.Body = body{io.MultiReader(bytes.NewReader(append(seen, one[:n]...)), rest), rest}
		if n == 1 && !isUpload(r) {
			return nil, errTooLarge // in detect mode, forwarded whole
		}
	}
	return tx.ProcessRequestBody()
}

// body is a request body put back together after inspection: what the
// firewall read, then the rest, closed with the original.
type body struct {
	io.Reader
	io.Closer
}

// isUpload reports whether r's body is multipart/form-data, the one kind
// whose bytes past the limit are let through uninspected (file contents).
func isUpload(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// matched appends to attrs what the log may say of the rules that matched:
// their ids, messages and the names of the variables they matched (ARGS:q,
// REQUEST_COOKIES:session), never the values, which may be a password or
// a session id.
func matched(rules []types.MatchedRule, attrs []any) ([]int, []any) {
	var ids []int
	var msgs, vars []string
	seen := map[string]bool{}
	for _, m := range rules {
		id := m.Rule().ID()
		if m.Message() == "" {
			continue // CRS bookkeeping (nolog rules)
		}
		ids = append(ids, id)
		msgs = append(msgs, strconv.Itoa(id)+": "+m.Message())
		for _, d := range m.MatchedDatas() {
			name := d.Variable().Name()
			if d.Key() != "" {
				name += ":" + d.Key()
			}
			if !seen[name] {
				seen[name] = true
				vars = append(vars, name)
			}
		}
	}
	return ids, append(attrs, "rule_ids", ids, "rules", msgs, "matched", vars)
}
