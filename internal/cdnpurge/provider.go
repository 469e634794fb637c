// Package cdnpurge purges a commercial CDN in front of the edges (issue
// 13): an Adapter follows the app tier's purge log like an edge does and
// turns its entries into the CDN's purge-by-tag calls (Cloudflare's
// Cache-Tag, Fastly's Surrogate-Key), batched, paced, retried, and resumed
// from the last position it saved after a restart. It owns the CDN's API
// calls and its state file; it touches no cache of its own.
//
// The paid APIs cannot be reached from the test machine: the tests run the
// adapters against a local stand-in that follows the documented request
// and response formats.
package cdnpurge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Provider is one CDN's purge API.
type Provider interface {
	// Purge purges what carries any of tags; soft marks it stale where the
	// CDN can, else purges it.
	Purge(ctx context.Context, tags []string, soft bool) error
	// PurgeURLs purges what is cached for each absolute URL (an
	// operator's `agora purge URL`); soft as for Purge.
	PurgeURLs(ctx context.Context, urls []string, soft bool) error
	// PurgeAll purges everything of the zone or service.
	PurgeAll(ctx context.Context) error
	// MaxTags is how many tags one call may carry; MaxURLs how many URLs.
	MaxTags() int
	MaxURLs() int
	// Target names the zone or service, for the state file and the log.
	Target() string
}

var (
	_ Provider = (*Cloudflare)(nil)
	_ Provider = (*Fastly)(nil)
)

// APIError is a purge call the CDN did not accept.
type APIError struct {
	Status int
	// RetryAfter is the wait the CDN asked for (Retry-After), or 0.
	RetryAfter time.Duration
	Message    string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("cdnpurge: the CDN answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// Temporary reports whether the call may succeed when made again: rate
// limited (429), the CDN's own failure (5xx), or a credential an operator
// may fix (401, 403).
func (e *APIError) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500 ||
		e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// DefaultCloudflareAPI and DefaultFastlyAPI are the APIs' base URLs.
const (
	DefaultCloudflareAPI = "https://api.cloudflare.com"
	DefaultFastlyAPI     = "https://api.fastly.com"
)

// Cloudflare purges a zone by Cache-Tag: POST
// /client/v4/zones/{zone}/purge_cache with {"tags":[…]}, {"files":[…]}
// (absolute URLs) or {"purge_everything":true}, authenticated with an API
// token. Cloudflare has no soft purge by tag: a soft purge is a purge
// there.
type Cloudflare struct {
	Zone  string
	Token string // never logged
	// API is the base URL; if "", DefaultCloudflareAPI.
	API string
	// Client makes the calls; if nil, http.DefaultClient.
	Client *http.Client
	// Batch is the tags per call; if 0, 100 (Cloudflare's limit of
	// operations per purge request on every plan).
	Batch int
}

func (c *Cloudflare) MaxTags() int   { return orInt(c.Batch, 100) }
func (c *Cloudflare) MaxURLs() int   { return orInt(c.Batch, 100) }
func (c *Cloudflare) Target() string { return "cloudflare zone " + c.Zone }

func (c *Cloudflare) Purge(ctx context.Context, tags []string, _ bool) error {
	return c.call(ctx, map[string]any{"tags": tags})
}

func (c *Cloudflare) PurgeURLs(ctx context.Context, urls []string, _ bool) error {
	return c.call(ctx, map[string]any{"files": urls})
}

func (c *Cloudflare) PurgeAll(ctx context.Context) error {
	return c.call(ctx, map[string]any{"purge_everything": true})
}

func (c *Cloudflare) call(ctx context.Context, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	u := strings.TrimSuffix(orStr(c.API, DefaultCloudflareAPI), "/") + "/client/v4/zones/" + c.Zone + "/purge_cache"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("Content-Type", "application/json")
	res, msg, err := do(c.Client, req)
	if err != nil {
		return err
	}
	// {"success":true,"errors":[],"messages":[],"result":{"id":"…"}}
	var ans struct {
		Success bool `json:"success"`
		Errors  []struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(msg, &ans)
	if res.StatusCode/100 == 2 && ans.Success {
		return nil
	}
	e := apiError(res, string(msg))
	if len(ans.Errors) > 0 {
		e.Message = ans.Errors[0].Message
	}
	return e
}

// Fastly purges a service by Surrogate-Key: POST /service/{id}/purge with
// the keys in a Surrogate-Key header (up to 256 a call) and
// Fastly-Soft-Purge: 1 for a soft purge; POST /service/{id}/purge_all for
// everything (never soft); POST /purge/{host}/{path} for one URL (Fastly's
// cache key is the host and path, without the scheme). Authenticated with a
// Fastly-Key API token.
type Fastly struct {
	Service string
	Token   string // never logged
	// API is the base URL; if "", DefaultFastlyAPI.
	API string
	// Client makes the calls; if nil, http.DefaultClient.
	Client *http.Client
	// Batch is the keys per call; if 0, 256 (Fastly's limit).
	Batch int
}

func (f *Fastly) MaxTags() int   { return orInt(f.Batch, 256) }
func (f *Fastly) MaxURLs() int   { return 1 }
func (f *Fastly) Target() string { return "fastly service " + f.Service }

func (f *Fastly) Purge(ctx context.Context, tags []string, soft bool) error {
	h := http.Header{"Surrogate-Key": {strings.Join(tags, " ")}}
	if soft {
		h.Set("Fastly-Soft-Purge", "1")
	}
	return f.call(ctx, "/service/"+f.Service+"/purge", h)
}

func (f *Fastly) PurgeAll(ctx context.Context) error {
	return f.call(ctx, "/service/"+f.Service+"/purge_all", nil)
}

// PurgeURLs purges each URL with a call of its own (Fastly's API takes one).
func (f *Fastly) PurgeURLs(ctx context.Context, urls []string, soft bool) error {
	var h http.Header
	if soft {
		h = http.Header{"Fastly-Soft-Purge": {"1"}}
	}
	for _, raw := range urls {
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return &APIError{Status: http.StatusBadRequest, Message: fmt.Sprintf("not an absolute URL: %q", raw)}
		}
		if err := f.call(ctx, "/purge/"+u.Host+u.RequestURI(), h); err != nil {
			return err
		}
	}
	return nil
}

func (f *Fastly) call(ctx context.Context, path string, h http.Header) error {
	u := strings.TrimSuffix(orStr(f.API, DefaultFastlyAPI), "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Fastly-Key", f.Token)
	req.Header.Set("Accept", "application/json")
	res, msg, err := do(f.Client, req)
	if err != nil {
		return err
	}
	if res.StatusCode/100 == 2 {
		return nil // {"key_1":"purge id",…} or {"status":"ok","id":"…"}
	}
	return apiError(res, string(msg))
}

// do makes req and reads the answer's body (bounded).
func do(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("cdnpurge: %w", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return nil, nil, fmt.Errorf("cdnpurge: reading the answer: %w", err)
	}
	return res, b, nil
}

func apiError(res *http.Response, msg string) *APIError {
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return &APIError{Status: res.StatusCode, RetryAfter: retryAfter(res.Header.Get("Retry-After"), time.Now()), Message: strings.TrimSpace(msg)}
}

// retryAfter reads Retry-After: seconds, or an HTTP-date (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func orInt(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
