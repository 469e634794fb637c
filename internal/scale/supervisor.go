// Package scale runs the app tier of `agora up` (DESIGN.md, "Autoscaler and
// supervisor"): app instances as child processes on loopback ports, replaced
// with backoff when they crash. It owns those processes and nothing else; the
// edge in front of them is the caller's. For now the pool is one instance;
// the autoscaler comes later.
package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"time"
)

// Defaults for zero Supervisor fields.
const (
	DefaultMinBackoff  = 100 * time.Millisecond
	DefaultMaxBackoff  = 10 * time.Second
	DefaultStableAfter = time.Minute
	DefaultStopTimeout = 30 * time.Second
	// CrashLoopAfter is how many crashes in a row, each within StableAfter
	// of its start, are reported as a crash loop.
	CrashLoopAfter = 3
)

// Supervisor keeps one app instance running. Set its fields, call Start
// once, then Stop once; Addr may be called concurrently at any time.
type Supervisor struct {
	// Path is the executable, Args its arguments (such as "app", "--listen",
	// "127.0.0.1:0", "--log-format", "json"). The child must log JSON lines
	// to stderr and announce its address with {"msg":"serving","url":…}.
	// Required.
	Path string
	Args []string
	// Env is the child's environment; if nil, the parent's.
	Env []string
	// Log receives the child's log records, with "app: " before their
	// message, and the supervisor's own reports. If nil, slog.Default().
	Log *slog.Logger
	// MinBackoff and MaxBackoff bound the wait before a restart, doubling
	// per crash in a row.
	MinBackoff, MaxBackoff time.Duration
	// StableAfter is how long an instance must run for its crash not to
	// count towards a crash loop.
	StableAfter time.Duration
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout time.Duration
	// OnServing, if set, is called with each instance's address once it
	// serves, including after restarts.
	OnServing func(addr string)

	mu       sync.Mutex // protects addr and cur
	addr     string     // host:port of the latest instance that served
	cur      *child     // the instance running now, for Kill
	stop     chan struct{}
	stopped  chan error // the loop's result: the last child's exit after SIGTERM
	initOnce sync.Once
	killed   chan struct{} // closed by Kill: no drain, no restart
	killOnce sync.Once
}

// Start runs the first instance and returns once it serves. If it exits
// before that, or ctx ends first, Start fails and nothing keeps running.
func (s *Supervisor) Start(ctx context.Context) error {
	s.defaults()
	c, err := s.spawn()
	if err != nil {
		return err
	}
	select {
	case <-c.serving:
	case <-s.killedChan():
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errKilled
	case <-c.exited:
		return fmt.Errorf("scale: the app exited before serving: %w", c.exitErr())
	case <-ctx.Done():
		c.terminate(s.StopTimeout)
		return ctx.Err()
	}
	s.stop, s.stopped = make(chan struct{}), make(chan error, 1)
	go func() { s.stopped <- s.loop(c) }()
	return nil
}

// Addr is the host:port of the instance serving now (or of the last one, if
// it is being replaced).
func (s *Supervisor) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Stop sends SIGTERM to the instance, waits for it to drain and exit (at most
// StopTimeout, then SIGKILL), and reports how it ended.
func (s *Supervisor) Stop() error {
	close(s.stop)
	return <-s.stopped
}

// Kill ends the instance at once with SIGKILL, without a drain, and returns
// once it is gone; nothing is restarted after it. It is for the operator's
// second Ctrl-C (or SIGTERM): a Stop already waiting for a drain returns
// then too. Safe to call at any time, from any goroutine, more than once.
func (s *Supervisor) Kill() {
	s.killOnce.Do(func() { close(s.killedChan()) })
	s.mu.Lock()
	c := s.cur
	s.mu.Unlock()
	if c != nil {
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// killedChan is the channel Kill closes, made on first use: Kill may come
// before Start (a second signal while the first instance starts).
func (s *Supervisor) killedChan() chan struct{} {
	s.initOnce.Do(func() { s.killed = make(chan struct{}) })
	return s.killed
}

func (s *Supervisor) defaults() {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.MinBackoff <= 0 {
		s.MinBackoff = DefaultMinBackoff
	}
	if s.MaxBackoff <= 0 {
		s.MaxBackoff = DefaultMaxBackoff
	}
	if s.StableAfter <= 0 {
		s.StableAfter = DefaultStableAfter
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = DefaultStopTimeout
	}
}

func (s *Supervisor) setAddr(a string) {
	s.mu.Lock()
	s.addr = a
	s.mu.Unlock()
	if s.OnServing != nil {
		s.OnServing(a)
	}
}

// loop replaces c whenever it exits, until Stop.
func (s *Supervisor) loop(c *child) error {
	crashes := 0
	for {
		select {
		case <-s.stop:
			return c.terminate(s.StopTimeout)
		case <-c.exited:
		}
		select {
		case <-s.killedChan():
			return errKilled
		default:
		}
		if time.Since(c.started) >= s.StableAfter {
			crashes = 0
		}
		crashes++
		wait := s.backoff(crashes)
		s.Log.Error("app exited; restarting", "pid", c.pid, "err", c.exitErr(), "ran", time.Since(c.started).Round(time.Millisecond), "restart_in", wait)
		if crashes >= CrashLoopAfter {
			s.Log.Error("app is crash looping", "crashes_in_a_row", crashes, "err", c.exitErr())
		}
		for {
			t := time.NewTimer(wait)
			select {
			case <-s.stop:
				t.Stop()
				return nil
			case <-s.killedChan():
				t.Stop()
				return errKilled
			case <-t.C:
			}
			next, err := s.spawn()
			if err == nil {
				c = next
				select {
				case <-s.killedChan(): // Kill ran while it started: it saw the old one
					_ = c.cmd.Process.Kill()
					<-c.exited
					return errKilled
				default:
				}
				break
			}
			crashes++
			wait = s.backoff(crashes)
			s.Log.Error("app did not start; retrying", "err", err, "restart_in", wait)
		}
	}
}

// backoff doubles from MinBackoff per crash in a row, up to MaxBackoff.
func (s *Supervisor) backoff(crashes int) time.Duration {
	d := s.MinBackoff
	for i := 1; i < crashes && d < s.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, s.MaxBackoff)
}

// errKilled is how an instance ended by Kill is reported.
var errKilled = errors.New("scale: the app was killed without a drain")

// terminate asks the child to drain, and kills it after timeout.
func (c *child) terminate(timeout time.Duration) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-c.exited:
		return c.exitErr()
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errors.Join(fmt.Errorf("scale: the app did not stop within %s of SIGTERM and was killed", timeout), c.exitErr())
	}
}
