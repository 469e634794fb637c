package acme

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/certmagic"
)

// Remote is a certmagic.Storage kept by the app tier (its
// /_internal/acme/ endpoints, internal/app), in the database every edge
// shares: the edge has no database of its own. Locks are leases the app
// tier times: Remote renews those it holds every LockTTL/3, so a lock
// outlives a slow order, while the lock of an edge that died frees itself
// within LockTTL.
type Remote struct {
	// Origin returns an app server's base URL (the edge's pool picks a
	// live one: Edge.PurgeOrigin). Required.
	Origin func() string
	// Secret is the cluster secret. Required: without it the app tier
	// answers 404.
	Secret string
	// Client sends the requests. If nil, a client with a 30 s timeout.
	Client *http.Client
	// LockTTL is a lease's length. If 0, DefaultLockTTL.
	LockTTL time.Duration
	// LockPoll is how often Lock asks again for a lock another edge holds.
	// If 0, DefaultLockPoll.
	LockPoll time.Duration
	// Log, if not nil, is told of failed renewals.
	Log *slog.Logger

	mu   sync.Mutex         // protects held
	held map[string]*leased // the locks this process holds, by name
}

// DefaultLockTTL and DefaultLockPoll: a dead edge's lock frees itself within
// a minute; an edge waiting for a lock notices its release within 2 s.
const (
	DefaultLockTTL  = time.Minute
	DefaultLockPoll = 2 * time.Second
)

// leased is a lock held: its owner token and the renewer to stop.
type leased struct {
	owner string
	stop  context.CancelFunc
	done  chan struct{} // closed when the renewer returned
}

var (
	_ certmagic.Storage          = (*Remote)(nil)
	_ certmagic.TryLocker        = (*Remote)(nil)
	_ certmagic.LockLeaseRenewer = (*Remote)(nil)
)

func (r *Remote) String() string { return "agora app tier (/_internal/acme/)" }

func (r *Remote) client() *http.Client {
	if r.Client != nil {
		return r.Client
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func (r *Remote) ttl() time.Duration  { return cmpOr(r.LockTTL, DefaultLockTTL) }
func (r *Remote) poll() time.Duration { return cmpOr(r.LockPoll, DefaultLockPoll) }

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// do sends one request to the app tier and returns the body of a 2xx
// answer; a 404 is fs.ErrNotExist, as certmagic expects of a missing key.
func (r *Remote) do(ctx context.Context, method, path string, q url.Values, body []byte) ([]byte, error) {
	origin := r.Origin()
	if origin == "" {
		return nil, fmt.Errorf("acme storage: %s %s: no app server is up to keep the certificates", method, path)
	}
	u := strings.TrimSuffix(origin, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("acme storage: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+r.Secret)
	res, err := r.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("acme storage: %s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 2<<20))
	if err != nil {
		return nil, fmt.Errorf("acme storage: %s %s: %w", method, path, err)
	}
	switch {
	// The app says "no such key" (internal/app acmeNoSuchKey); a bare 404
	// is an app without a cluster secret, where the storage does not exist.
	case res.StatusCode == http.StatusNotFound && bytes.Contains(b, []byte("no such key")):
		return nil, fmt.Errorf("acme storage: %s: %w", q.Get("key"), fs.ErrNotExist)
	case res.StatusCode/100 != 2:
		return nil, fmt.Errorf("acme storage: %s %s: %s: %s", method, path, res.Status, bytes.TrimSpace(b))
	}
	return b, nil
}

func keyQuery(key string) url.Values { return url.Values{"key": {key}} }

// Store puts value at key.
func (r *Remote) Store(ctx context.Context, key string, value []byte) error {
	_, err := r.do(ctx, http.MethodPut, "/_internal/acme/blob", keyQuery(key), value)
	return err
}

// Load returns the value at key, or an error wrapping fs.ErrNotExist.
func (r *Remote) Load(ctx context.Context, key string) ([]byte, error) {
	return r.do(ctx, http.MethodGet, "/_internal/acme/blob", keyQuery(key), nil)
}

// Delete removes key and everything below it.
func (r *Remote) Delete(ctx context.Context, key string) error {
	_, err := r.do(ctx, http.MethodDelete, "/_internal/acme/blob", keyQuery(key), nil)
	return err
}

// Exists says key is a value or a directory.
func (r *Remote) Exists(ctx context.Context, key string) bool {
	_, err := r.Stat(ctx, key)
	return err == nil
}

// Stat describes key, or returns an error wrapping fs.ErrNotExist.
func (r *Remote) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	b, err := r.do(ctx, http.MethodGet, "/_internal/acme/stat", keyQuery(key), nil)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	var info struct {
		Key      string    `json:"key"`
		Modified time.Time `json:"modified"`
		Size     int64     `json:"size"`
		Terminal bool      `json:"terminal"`
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return certmagic.KeyInfo{}, fmt.Errorf("acme storage: stat %s: %w", key, err)
	}
	return certmagic.KeyInfo{Key: info.Key, Modified: info.Modified, Size: info.Size, IsTerminal: info.Terminal}, nil
}

// List returns the keys below dir (FileStorage's way: full keys; with
// recursive, every value's). An empty directory does not exist: the error
// wraps fs.ErrNotExist, as FileStorage's does.
func (r *Remote) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	q := url.Values{"dir": {dir}}
	if recursive {
		q.Set("recursive", "1")
	}
	b, err := r.do(ctx, http.MethodGet, "/_internal/acme/list", q, nil)
	if err != nil {
		return nil, err
	}
	var ans struct {
		Keys []string `json:"keys"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return nil, fmt.Errorf("acme storage: list %s: %w", dir, err)
	}
	if len(ans.Keys) == 0 {
		return nil, fmt.Errorf("acme storage: list %s: %w", dir, fs.ErrNotExist)
	}
	return ans.Keys, nil
}

// lockCall asks the app tier to lock, renew or unlock name for owner.
func (r *Remote) lockCall(ctx context.Context, op, name, owner string, ttl time.Duration) (bool, error) {
	body, _ := json.Marshal(map[string]any{"name": name, "owner": owner, "ttl_ms": ttl.Milliseconds()})
	b, err := r.do(ctx, http.MethodPost, "/_internal/acme/"+op, nil, body)
	if err != nil || op == "unlock" {
		return false, err
	}
	var ans struct {
		Held bool `json:"held"`
	}
	if err := json.Unmarshal(b, &ans); err != nil {
		return false, fmt.Errorf("acme storage: %s %s: %w", op, name, err)
	}
	return ans.Held, nil
}

// TryLock takes name if no edge holds it (or its holder's lease ran out).
func (r *Remote) TryLock(ctx context.Context, name string) (bool, error) {
	owner := newOwner()
	ok, err := r.lockCall(ctx, "lock", name, owner, r.ttl())
	if err != nil || !ok {
		return false, err
	}
	r.keep(name, owner)
	return true, nil
}

// Lock waits until it holds name or ctx ends, asking every LockPoll.
func (r *Remote) Lock(ctx context.Context, name string) error {
	t := time.NewTicker(r.poll())
	defer t.Stop()
	for {
		ok, err := r.TryLock(ctx, name)
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// keep renews owner's lease on name every third of LockTTL until Unlock
// stops it: the renewer is owned by the lock.
func (r *Remote) keep(name, owner string) {
	ctx, stop := context.WithCancel(context.Background())
	l := &leased{owner: owner, stop: stop, done: make(chan struct{})}
	r.mu.Lock()
	if r.held == nil {
		r.held = map[string]*leased{}
	}
	r.held[name] = l
	r.mu.Unlock()
	go func() {
		defer close(l.done)
		t := time.NewTicker(r.ttl() / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if ok, err := r.lockCall(ctx, "renew", name, owner, r.ttl()); (err != nil || !ok) && ctx.Err() == nil && r.Log != nil {
				r.Log.Warn("acme: could not renew a storage lock; another edge may take it", "lock", name, "held", ok, "err", err)
			}
		}
	}()
}

// RenewLockLease extends this process's lease on name to d (certmagic
// asks before retrying a long order).
func (r *Remote) RenewLockLease(ctx context.Context, name string, d time.Duration) error {
	r.mu.Lock()
	l := r.held[name]
	r.mu.Unlock()
	if l == nil {
		return fmt.Errorf("acme storage: renew %s: this edge does not hold it", name)
	}
	ok, err := r.lockCall(ctx, "renew", name, l.owner, min(max(d, time.Second), 10*time.Minute))
	if err == nil && !ok {
		err = fmt.Errorf("acme storage: renew %s: another edge holds it now", name)
	}
	return err
}

// Unlock releases name and stops its renewer.
func (r *Remote) Unlock(ctx context.Context, name string) error {
	r.mu.Lock()
	l := r.held[name]
	delete(r.held, name)
	r.mu.Unlock()
	if l == nil {
		return fmt.Errorf("acme storage: unlock %s: this edge does not hold it", name)
	}
	l.stop()
	<-l.done
	_, err := r.lockCall(ctx, "unlock", name, l.owner, 0)
	return err
}

// Close stops renewing the locks still held, without releasing them: they
// free themselves within LockTTL (the process is stopping).
func (r *Remote) Close() {
	r.mu.Lock()
	held := r.held
	r.held = nil
	r.mu.Unlock()
	for _, l := range held {
		l.stop()
		<-l.done
	}
}

func newOwner() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
