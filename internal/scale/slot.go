package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"syscall"
	"time"
)

// run keeps s's instance running until s is told to quit or the pool is
// killed: it starts one, waits for it to be ready, and replaces it with
// backoff when it exits. first, if set, receives the outcome of the first
// attempt: nil once ready, else why not.
func (p *Pool) run(s *slot, first chan<- error) {
	defer func() {
		p.mu.Lock()
		p.retiring = slices.DeleteFunc(p.retiring, func(r *slot) bool { return r == s })
		s.cur = nil
		p.mu.Unlock()
		close(s.done)
	}()
	report := func(err error) {
		if first != nil {
			first <- err
			first = nil
		}
	}
	for {
		var ran time.Duration
		c, err := p.spawn()
		if err == nil {
			p.mu.Lock()
			s.cur, s.addr = c, ""
			if s.state == Backoff {
				s.state = Starting
			}
			p.mu.Unlock()
			var quit bool
			quit, err = p.serve(s, c, func() { report(nil) })
			if quit {
				s.err = err
				report(errQuit)
				return
			}
			ran = time.Since(c.started)
		}
		report(err)
		wait, looping := p.crashed(s, err, ran)
		p.Log.Error("app exited; restarting", "slot", s.id, "err", err, "ran", ran.Round(time.Millisecond), "restart_in", wait)
		if looping {
			p.Log.Error("app is crash looping", "slot", s.id, "crashes_in_a_row", CrashLoopAfter, "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-s.quit:
		case <-p.killed:
		case <-t.C:
			continue
		}
		t.Stop()
		return
	}
}

// crashed counts a crash of s's instance, which ran for ran, and returns
// the wait before the next start and whether s is crash looping now.
func (p *Pool) crashed(s *slot, err error, ran time.Duration) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ran >= p.StableAfter {
		s.crashes = 0
	}
	s.crashes++
	s.restarts++
	s.cur = nil
	if s.state != Draining {
		s.state = Backoff
	}
	s.lastErr = fmt.Sprint(err)
	s.crashLoop = s.crashes >= CrashLoopAfter
	return p.backoff(s.crashes), s.crashLoop
}

// serve follows c from its start: it waits for c to serve and pass
// /readyz, puts it in the edge's pool (calling ready), and returns when it
// exits (quit false, err how) or when s is told to quit (quit true, err
// how c ended after its drain and SIGTERM).
func (p *Pool) serve(s *slot, c *child, ready func()) (quit bool, err error) {
	select {
	case <-c.serving:
	case <-c.exited:
		return false, fmt.Errorf("scale: the app exited before serving: %w", exitOf(c))
	case <-s.quit:
		return true, p.terminate(c)
	case <-p.killed:
		return true, p.kill(c)
	}
	p.mu.Lock()
	s.addr = c.addr
	p.mu.Unlock()
	for p.probe(c.addr) != nil {
		t := time.NewTimer(readyPoll)
		select {
		case <-t.C:
			continue
		case <-c.exited:
			err = fmt.Errorf("scale: the app exited before it was ready: %w", exitOf(c))
		case <-s.quit:
			err = p.terminate(c)
			quit = true
		case <-p.killed:
			err = p.kill(c)
			quit = true
		}
		t.Stop()
		return quit, err
	}
	p.mu.Lock()
	if s.state == Starting { // not retired meanwhile
		s.state = Ready
	}
	p.mu.Unlock()
	p.publish()
	p.Log.Info("app instance ready", "slot", s.id, "pid", c.pid, "url", "http://"+c.addr)
	ready()
	// An instance that stays up long enough ends a crash loop.
	stable := time.NewTimer(p.StableAfter)
	defer stable.Stop()
	for {
		select {
		case <-stable.C:
			p.mu.Lock()
			s.crashes, s.crashLoop = 0, false
			p.mu.Unlock()
			continue
		case <-c.exited:
			p.leave(s, Backoff)
			return false, exitOf(c)
		case <-s.quit:
			p.drain(s, c)
			return true, p.terminate(c)
		case <-p.killed:
			return true, p.kill(c)
		}
	}
}

// drain takes c out of the edge's pool and waits, at most DrainTimeout,
// for the requests the edge has in flight to it.
func (p *Pool) drain(s *slot, c *child) {
	b := p.leave(s, Draining)
	if b == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.DrainTimeout)
	defer cancel()
	go func() { // Kill must not wait for a drain
		select {
		case <-p.killed:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := b.Wait(ctx); err != nil && !errors.Is(err, context.Canceled) {
		p.Log.Warn("app instance still busy at the end of its drain", "slot", s.id, "pid", c.pid, "in_flight", b.InFlight(), "err", err)
	}
}

// probe is one GET /readyz of the instance at addr.
func (p *Pool) probe(addr string) error {
	resp, err := p.Client.Get("http://" + addr + "/readyz")
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("scale: /readyz answered %s", resp.Status)
	}
	return nil
}

// exitOf is how c exited, never nil: an app that exits 0 unasked is a
// crash too.
func exitOf(c *child) error {
	if err := c.exitErr(); err != nil {
		return err
	}
	return errors.New("exit status 0")
}

// terminate asks c to drain and stop, and kills it after StopTimeout or
// at once on Kill.
func (p *Pool) terminate(c *child) error {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(p.StopTimeout)
	defer t.Stop()
	select {
	case <-c.exited:
		return c.exitErr()
	case <-p.killed:
		return p.kill(c)
	case <-t.C:
		_ = c.cmd.Process.Kill()
		<-c.exited
		return errors.Join(fmt.Errorf("scale: the app did not stop within %s of SIGTERM and was killed", p.StopTimeout), c.exitErr())
	}
}

// kill ends c at once.
func (p *Pool) kill(c *child) error {
	_ = c.cmd.Process.Kill()
	<-c.exited
	return errKilled
}
