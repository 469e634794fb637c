package balance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"
)

// Check is the active health check: GET Path on every backend each
// Interval, jittered; Rise passes in a row make a backend up, Fall failures
// in a row make it unhealthy. A 2xx or 3xx answer within Timeout passes
// (HAProxy's httpchk). The defaults are HAProxy's: inter 2 s, rise 2,
// fall 3; its timeout check, here 1 s.
type Check struct {
	Path     string        // if "", /readyz
	Interval time.Duration // if 0, 2 s
	Timeout  time.Duration // if 0, 1 s
	Rise     int           // if 0, 2
	Fall     int           // if 0, 3
	// Jitter spreads each interval by up to ± this fraction, so the checks
	// of many backends and many edges do not fall in step (HAProxy's
	// spread-checks); if 0, 0.1.
	Jitter float64
	// Client sends the checks (a copy of it that follows no redirect); if
	// nil, one without keep-alive, so every check also proves the backend
	// still accepts connections.
	Client *http.Client
}

func (c Check) withDefaults() Check {
	if c.Path == "" {
		c.Path = "/readyz"
	}
	if c.Interval <= 0 {
		c.Interval = 2 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Second
	}
	if c.Rise <= 0 {
		c.Rise = 2
	}
	if c.Fall <= 0 {
		c.Fall = 3
	}
	if c.Jitter <= 0 {
		c.Jitter = 0.1
	}
	cl := http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	if c.Client != nil {
		cl = *c.Client
	}
	// A redirect is an answer: it passes, and is not followed.
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Client = &cl
	return c
}

// checkLoop checks b until ctx ends: when b leaves the set or the pool
// closes. The first check comes at once, within the jitter, so a new
// backend can join in Rise checks.
func (p *Pool) checkLoop(ctx context.Context, b *Backend) {
	c := p.cfg.Check
	delay := time.Duration(p.rand() * c.Jitter * float64(c.Interval))
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.after(delay):
		}
		err := p.probe(ctx, b)
		if ctx.Err() != nil {
			return
		}
		p.checked(b, err)
		delay = time.Duration(float64(c.Interval) * (1 + c.Jitter*(2*p.rand()-1)))
	}
}

func (p *Pool) rand() float64 {
	if p.cfg.Rand != nil {
		return p.cfg.Rand()
	}
	return rand.Float64()
}

// probe is one check of b.
func (p *Pool) probe(ctx context.Context, b *Backend) error {
	c := p.cfg.Check
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.URL.JoinPath(c.Path).String(), nil)
	if err != nil {
		return err
	}
	resp, err := c.Client.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode == http.StatusServiceUnavailable && strings.TrimSpace(string(body)) == "draining" {
		return errDraining
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("balance: check answered %d", resp.StatusCode)
	}
	return nil
}

// errDraining is the check of an Agora app that is shutting down (its
// /readyz answers 503 "draining", DESIGN.md "Load balancing and health"):
// not a blip to count up to Fall, but a process about to exit once its
// drain delay ends, which may come before Fall checks have.
var errDraining = errors.New("balance: check answered 503 draining: the app is shutting down")

// checked applies one check's result to b.
func (p *Pool) checked(b *Backend, err error) {
	c := p.cfg.Check
	now := p.now()
	b.mu.Lock()
	defer b.mu.Unlock()
	h := &b.health
	if h.draining {
		return
	}
	b.unejectIfDue(now) // its ramp began when the ejection ended, not now
	if err != nil && timedOut(err) && now.Sub(time.Unix(0, b.answered.Load())) < c.Interval {
		// Busy, not dead: a check that timed out while b answered the
		// requests sent to it says the machine is saturated. Counted, such
		// checks took busy apps out one after another and turned overload
		// into 503s; a hung b answers nothing, and its timeouts count.
		h.checkErr = err.Error() + " (not counted: it answers requests)"
		b.publish()
		return
	}
	if err != nil {
		h.passes, h.fails, h.checkErr = 0, h.fails+1, err.Error()
		if h.up && (h.fails >= c.Fall || errors.Is(err, errDraining)) {
			h.up = false
			p.cfg.Log.Warn("balance: backend unhealthy", "backend", b.URL.String(), "err", err)
		}
		b.publish()
		return
	}
	h.passes, h.fails, h.checkErr = h.passes+1, 0, ""
	if !h.up && h.passes >= c.Rise {
		alone := !p.anyAvailable(b, now)
		b.becomeUp(now)
		if alone {
			h.since = time.Time{} // nothing to ramp against: take it all now
		}
		p.cfg.Log.Info("balance: backend up", "backend", b.URL.String())
	}
	if h.ejected && h.up {
		// Envoy's successful_active_health_check_uneject_host: back now,
		// slow-starting, rather than at the end of the ejection.
		b.uneject(now)
		p.cfg.Log.Info("balance: backend back after a passing check", "backend", b.URL.String())
	}
	b.publish()
}

// anyAvailable reports whether a member other than b takes requests.
func (p *Pool) anyAvailable(b *Backend, now time.Time) bool {
	for _, m := range *p.members.Load() {
		if ok, _ := m.available(now); ok && m != b {
			return true
		}
	}
	return false
}

// timedOut reports whether a check failed for want of an answer in time,
// rather than with one (a refused connection, a 503).
func timedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
