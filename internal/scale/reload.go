package scale

import (
	"context"
	"fmt"
	"slices"
	"time"

	"agora/internal/fault"
)

// DefaultReadyTimeout bounds how long Reload waits for an instance of the
// new binary to pass /readyz before it gives up on the new binary.
const DefaultReadyTimeout = 2 * time.Minute

// ReloadStatus is the state of the last reload, as the status page shows
// it: "reloading: 2 of 3 replaced", or why it was aborted.
type ReloadStatus struct {
	Active   bool      `json:"active"`
	Replaced int       `json:"replaced"` // old instances drained and stopped
	Total    int       `json:"total"`    // instances to replace
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Error is why the reload was aborted; the old instances left kept
	// serving.
	Error string `json:"error,omitempty"`
}

// ReloadResult is what a finished reload did.
type ReloadResult struct {
	Replaced int           `json:"replaced"`
	Took     time.Duration `json:"took_ns"`
}

// ErrReloading is Reload's answer while another reload is under way.
var ErrReloading = fault.New(fault.Conflict, "a reload is already under way: watch it on the status page")

// Reload replaces every instance with one of the binary now at Path (an
// upgrade: the new build was moved over the old), one at a time and
// without a failed request: it starts a new instance, waits for it to pass
// /readyz and join the edge's pool, then drains and stops one old
// instance, and goes on with the next. If an instance of the new binary
// does not become ready (it exits, or ReadyTimeout passes), the reload
// stops there: that instance is stopped, the old ones left keep serving,
// and the error says so. The autoscaler's resizes wait for the end of the
// reload (the last size asked is applied then). Stop and Kill abort it.
func (p *Pool) Reload(ctx context.Context) (ReloadResult, error) {
	p.defaults()
	p.mu.Lock()
	switch {
	case p.closed:
		p.mu.Unlock()
		return ReloadResult{}, fault.New(fault.Unavailable, "the app pool is stopping: nothing to reload")
	case p.reload != nil && p.reload.Active:
		p.mu.Unlock()
		return ReloadResult{}, ErrReloading
	}
	old := slices.Clone(p.slots)
	p.want = len(old)
	start := time.Now()
	p.reload = &ReloadStatus{Active: true, Total: len(old), Started: start}
	p.mu.Unlock()
	p.Log.Info("reload: replacing each app instance with the binary on disk, one at a time", "path", p.Path, "instances", len(old))

	err := p.replaceAll(ctx, old)

	p.mu.Lock()
	p.reload.Active, p.reload.Finished = false, time.Now()
	res := ReloadResult{Replaced: p.reload.Replaced, Took: time.Since(start)}
	if err != nil {
		p.reload.Error = fault.MessageOf(err)
	}
	want, closed := p.want, p.closed
	p.want = 0
	p.mu.Unlock()
	if err != nil {
		p.Log.Error("reload ABORTED: the old app instances left keep serving", "replaced", res.Replaced, "of", len(old), "err", fault.MessageOf(err))
		return res, err
	}
	if !closed {
		p.Resize(want) // what the autoscaler asked for meanwhile
	}
	p.Log.Info("reload: done", "replaced", res.Replaced, "took", res.Took.Round(time.Millisecond))
	return res, nil
}

// ReloadState is the last reload's state, nil if there was none.
func (p *Pool) ReloadState() *ReloadStatus {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reload == nil {
		return nil
	}
	r := *p.reload
	return &r
}

// replaceAll replaces the instances of old one after the other.
func (p *Pool) replaceAll(ctx context.Context, old []*slot) error {
	for i, o := range old {
		step := []any{"step", i + 1, "of", len(old)}
		first := make(chan error, 1)
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return fault.New(fault.Unavailable, "the app pool was stopped during the reload (%d of %d replaced)", i, len(old))
		}
		p.add(first)
		n := p.slots[len(p.slots)-1]
		p.mu.Unlock()
		p.Log.Info("reload: starting an instance of the new binary", append(step, "slot", n.id)...)
		if err := p.awaitFirst(ctx, n, first); err != nil {
			p.remove(n)
			<-n.done
			return &fault.Error{Code: fault.Unavailable, Cause: err, Message: fmt.Sprintf(
				"reload aborted at instance %d of %d: the new binary's instance did not become ready (%v); %d replaced, the old instances keep serving", i+1, len(old), err, i)}
		}
		p.Log.Info("reload: the new instance is in the edge's pool; draining an old one", append(step, "new_slot", n.id, "old_slot", o.id)...)
		p.remove(o)
		select {
		case <-o.done:
		case <-p.killed:
			return errKilled
		}
		if o.err != nil {
			p.Log.Warn("reload: the old instance did not stop cleanly", append(step, "slot", o.id, "err", o.err)...)
		}
		p.mu.Lock()
		p.reload.Replaced++
		p.mu.Unlock()
		p.Log.Info("reload: replaced", append(step, "old_slot", o.id)...)
	}
	return nil
}

// awaitFirst waits for the first attempt of the new slot n.
func (p *Pool) awaitFirst(ctx context.Context, n *slot, first <-chan error) error {
	t := time.NewTimer(p.ReadyTimeout)
	defer t.Stop()
	select {
	case err := <-first:
		return err
	case <-t.C:
		return fmt.Errorf("not ready within %s", p.ReadyTimeout)
	case <-ctx.Done():
		return ctx.Err()
	case <-p.killed:
		return errKilled
	}
}

// remove retires s, unless Resize or Stop did already.
func (p *Pool) remove(s *slot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if i := slices.Index(p.slots, s); i >= 0 {
		p.slots = slices.Delete(p.slots, i, i+1)
		p.retire(s)
	}
}
