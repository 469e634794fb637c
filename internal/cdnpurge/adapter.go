package cdnpurge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"agora/internal/edge/purgelog"
)

// Defaults for zero Adapter fields.
const (
	// DefaultRate is the calls a second: Cloudflare allows 5 a second on
	// its Pro plan (5 a minute on Free: set Rate lower there).
	DefaultRate     = 5.0
	DefaultRetryMin = 500 * time.Millisecond
	DefaultRetryMax = 30 * time.Second
)

// The edge's reserved tags (internal/edge admin.go): agora:all purges
// everything; agora:url:… names one absolute URL, purged through the CDN's
// URL purge (hard, as at the edge). Any other reserved tag, from a newer
// agora, purges everything: the safe reading of what it cannot map.
const (
	reservedPrefix = "agora:"
	urlTagPrefix   = reservedPrefix + "url:"
)

// Adapter follows the purge log and purges the CDN. Set its fields and
// call Run once.
type Adapter struct {
	CDN Provider
	// Origin is the app tier's base URL; Secret the cluster secret.
	Origin, Secret string
	// State is the file the last position purged is saved in, so a
	// restart resumes after it. Without a saved position (the first run,
	// another zone) the adapter purges everything once, since it cannot
	// know what the CDN holds.
	State string
	// Rate bounds the calls a second (client-side); if 0, DefaultRate.
	Rate float64
	// RetryMin and RetryMax bound the backoff between failed calls; if 0,
	// DefaultRetryMin and DefaultRetryMax. A Retry-After the CDN sends is
	// waited for at least.
	RetryMin, RetryMax time.Duration
	// Log, if nil, slog.Default().
	Log *slog.Logger

	next time.Time // the earliest time of the next call (Rate); Run's goroutine only
}

// state is the state file's content.
type state struct {
	Target string `json:"target"`
	Seq    int64  `json:"seq"`
}

// Run follows the log until ctx ends. Every entry is purged at least once:
// the position is saved only after the CDN accepted its calls, and a call
// is retried (backoff with jitter, honouring Retry-After) until it is.
func (a *Adapter) Run(ctx context.Context) error {
	if a.Log == nil {
		a.Log = slog.Default()
	}
	from, err := a.load()
	if err != nil {
		return err
	}
	fresh := from <= 0
	f := &purgelog.Follower{
		Origin: a.Origin, Secret: a.Secret, Log: a.Log, From: from,
		Reset: func() {
			a.Log.Warn("cdnpurge: purge log entries were missed; purging everything", "cdn", a.CDN.Target())
			a.retry(ctx, "purge everything", a.CDN.PurgeAll)
		},
		Batch: func(entries []purgelog.Entry, pos int64) {
			if fresh {
				a.Log.Info("cdnpurge: no saved position; purging everything once", "cdn", a.CDN.Target())
				if !a.retry(ctx, "purge everything", a.CDN.PurgeAll) {
					return
				}
				fresh = false
			}
			if a.purge(ctx, entries) {
				a.save(pos)
			}
		},
	}
	a.Log.Info("cdnpurge: following the purge log", "cdn", a.CDN.Target(), "after", from)
	f.Run(ctx)
	return nil
}

// purge makes the calls for entries, in batches of MaxTags: hard purges,
// then soft ones for tags not purged hard. It reports false when ctx ended
// first.
func (a *Adapter) purge(ctx context.Context, entries []purgelog.Entry) bool {
	var hard, soft, urls []string
	all := false
	for _, e := range entries {
		for _, t := range e.Tags {
			switch {
			case strings.HasPrefix(t, urlTagPrefix):
				urls = append(urls, strings.TrimPrefix(t, urlTagPrefix))
			case strings.HasPrefix(t, reservedPrefix):
				all = true
			case e.Soft:
				soft = append(soft, t)
			default:
				hard = append(hard, t)
			}
		}
	}
	if all {
		return a.retry(ctx, "purge everything", a.CDN.PurgeAll)
	}
	hard = uniq(hard)
	soft = slices.DeleteFunc(uniq(soft), func(t string) bool { return slices.Contains(hard, t) })
	for _, set := range []struct {
		tags []string
		soft bool
	}{{hard, false}, {soft, true}} {
		for b := range slices.Chunk(set.tags, a.CDN.MaxTags()) {
			what := fmt.Sprintf("purge %d tags", len(b))
			if !a.retry(ctx, what, func(ctx context.Context) error { return a.CDN.Purge(ctx, b, set.soft) }) {
				return false
			}
		}
	}
	for b := range slices.Chunk(uniq(urls), a.CDN.MaxURLs()) {
		what := fmt.Sprintf("purge %d URLs", len(b))
		if !a.retry(ctx, what, func(ctx context.Context) error { return a.CDN.PurgeURLs(ctx, b, false) }) {
			return false
		}
	}
	return true
}

func uniq(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// retry makes call, paced by Rate, until the CDN accepts it or ctx ends;
// an error the CDN says is final (a 400: a bad tag) is logged and given up.
func (a *Adapter) retry(ctx context.Context, what string, call func(context.Context) error) bool {
	for n := 1; ; n++ {
		if !a.pace(ctx) {
			return false
		}
		err := call(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		var ae *APIError
		wait := a.backoff(n)
		if errors.As(err, &ae) {
			if !ae.Temporary() {
				a.Log.Error("cdnpurge: the CDN refused a purge; giving it up", "cdn", a.CDN.Target(), "what", what, "err", err)
				return true
			}
			wait = max(wait, ae.RetryAfter)
		}
		a.Log.Warn("cdnpurge: purge failed; retrying", "cdn", a.CDN.Target(), "what", what, "attempt", n, "wait", wait, "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// pace waits until the next call is allowed by Rate.
func (a *Adapter) pace(ctx context.Context) bool {
	rate := a.Rate
	if rate <= 0 {
		rate = DefaultRate
	}
	now := time.Now()
	if a.next.After(now) && !sleep(ctx, a.next.Sub(now)) {
		return false
	}
	if a.next.Before(now) {
		a.next = now
	}
	a.next = a.next.Add(time.Duration(float64(time.Second) / rate))
	return true
}

// backoff is the wait after the n-th failure in a row: doubling from
// RetryMin to RetryMax, with full jitter in its upper half, so adapters
// restarted together do not hammer a recovering API in step.
func (a *Adapter) backoff(n int) time.Duration {
	lo, hi := a.RetryMin, a.RetryMax
	if lo <= 0 {
		lo = DefaultRetryMin
	}
	if hi <= 0 {
		hi = DefaultRetryMax
	}
	d := lo << min(n-1, 30)
	if d <= 0 || d > hi {
		d = hi
	}
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// load reads the saved position: 0 when there is none, or it was saved
// for another zone or service.
func (a *Adapter) load() (int64, error) {
	b, err := os.ReadFile(a.State)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cdnpurge: reading the state file: %w", err)
	}
	var s state
	if err := json.Unmarshal(b, &s); err != nil || s.Target != a.CDN.Target() {
		a.Log.Warn("cdnpurge: the state file is for another CDN or unreadable; starting afresh", "path", a.State)
		return 0, nil
	}
	return s.Seq, nil
}

// save writes pos to the state file atomically (a rename after an fsync):
// a crash leaves the old position or the new one, never half of either.
func (a *Adapter) save(pos int64) {
	b, _ := json.Marshal(state{Target: a.CDN.Target(), Seq: pos})
	tmp := a.State + ".tmp"
	err := writeSync(tmp, b)
	if err == nil {
		err = os.Rename(tmp, a.State)
	}
	if err == nil {
		if d, derr := os.Open(filepath.Dir(a.State)); derr == nil {
			_ = d.Sync()
			d.Close()
		}
	}
	if err != nil {
		// The purges were made: a restart repeats some, which is harmless.
		a.Log.Error("cdnpurge: cannot save the position; a restart will purge some tags again", "path", a.State, "err", err)
	}
}

func writeSync(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
