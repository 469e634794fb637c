package tlsserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultReloadInterval is how often a FileCert looks at its files.
const DefaultReloadInterval = 10 * time.Second

// FileCert is a certificate and key read from two PEM files and read again
// when either changes (size or modification time), so a renewal by an
// outside tool (certbot, a Kubernetes secret) takes effect without a
// restart. New handshakes get the new pair; connections already open keep
// theirs. A new pair that does not load (half written, key and
// certificate not matching) is logged and the old one keeps serving.
type FileCert struct {
	CertFile, KeyFile string
	// Log records reloads and failed ones; if nil, slog.Default().
	Log *slog.Logger

	cur atomic.Pointer[tls.Certificate] // the pair handshakes get

	mu   sync.Mutex // protects seen
	seen [2]fileStamp
}

// fileStamp is what tells a changed file: a replaced file (a rename into
// place, as certbot and kubelet do) changes both, an edit at least one.
type fileStamp struct {
	size  int64
	mtime time.Time
}

// LoadFileCert reads the pair once; an error here is the caller's to
// report (the edge refuses to start without a certificate).
func LoadFileCert(certFile, keyFile string, log *slog.Logger) (*FileCert, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &FileCert{CertFile: certFile, KeyFile: keyFile, Log: log}
	if _, err := f.Reload(); err != nil {
		return nil, err
	}
	return f, nil
}

// GetCertificate is the tls.Config hook.
func (f *FileCert) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c := f.cur.Load()
	if c == nil {
		return nil, errors.New("tlsserve: no certificate loaded")
	}
	return c, nil
}

// Reload reads the pair again if either file changed since the last load,
// and reports whether a new pair now serves. On an error the pair that
// served keeps serving.
func (f *FileCert) Reload() (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var now [2]fileStamp
	for i, name := range []string{f.CertFile, f.KeyFile} {
		st, err := os.Stat(name)
		if err != nil {
			return false, fmt.Errorf("tlsserve: certificate: %w", err)
		}
		now[i] = fileStamp{st.Size(), st.ModTime()}
	}
	if now == f.seen && f.cur.Load() != nil {
		return false, nil
	}
	c, err := tls.LoadX509KeyPair(f.CertFile, f.KeyFile)
	if err != nil {
		return false, fmt.Errorf("tlsserve: certificate %s, key %s: %w", f.CertFile, f.KeyFile, err)
	}
	f.seen = now
	f.cur.Store(&c)
	if leaf := c.Leaf; leaf != nil {
		f.Log.Info("tls: certificate loaded", "file", f.CertFile, "subject", leaf.Subject.String(),
			"names", leaf.DNSNames, "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
		if time.Now().After(leaf.NotAfter) {
			f.Log.Warn("tls: the certificate has EXPIRED; browsers will refuse it", "file", f.CertFile, "not_after", leaf.NotAfter)
		}
	}
	return true, nil
}

// Run looks at the files every interval (DefaultReloadInterval if 0)
// until ctx ends. A pair that fails to load is logged once per change of
// the files, not on every look.
func (f *FileCert) Run(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultReloadInterval
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		_, err := f.Reload()
		switch {
		case err == nil:
			lastErr = ""
		case err.Error() != lastErr:
			lastErr = err.Error()
			f.Log.Error("tls: certificate files changed but do not load; the previous certificate keeps serving", "err", err)
		}
	}
}
