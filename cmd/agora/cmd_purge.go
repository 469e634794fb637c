package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"agora/internal/edge"
	"agora/internal/redact"
)

// purgeTimeout bounds one purge call. The edge answers within about 15 s
// (10 s to append to the purge log, 5 s to wait for its own follower; see
// internal/edge/admin.go), so this leaves room for a slow network.
const purgeTimeout = 30 * time.Second

// reservedTagPrefix starts the tags the edge keeps for URL and whole-cache
// purges (internal/edge/admin.go); an operator may not give one.
const reservedTagPrefix = "agora:"

// purgeOpts is what the flags and arguments of agora purge say.
type purgeOpts struct {
	admin, secret string
	soft, all     bool
	tags, urls    []string
	// wait: return once every live edge applied the purge, or fail
	// naming those that did not within waitTimeout (issue 13).
	wait        bool
	waitTimeout time.Duration
}

func purgeCommand() *command {
	var o purgeOpts
	return &command{
		name:    "purge",
		summary: "purge pages from every edge's cache, by tag or URL (agora purge product-42)",
		usage: `agora purge [--soft] [--wait [--wait-timeout 10s]] TAG|URL...
agora purge --all

Purges through the edge's admin API (POST /_agora/purge on --admin), which
appends the purge to the app tier's purge log, so every edge following the
log applies it; the command returns once the edge at --admin has.

Arguments that are absolute http(s) URLs purge what is stored for that URL;
the others are tags, as the app lists them in Surrogate-Key: product-42,
category-7, home. Flags go before them.

--soft marks pages tagged so as stale instead of removing them: the next
shopper still gets the old page at once while one refresh goes to the app.
URLs and --all are always purged hard. --all empties every cache.

--wait returns only once every live edge of the store has applied the
purge (each edge reports the purge seq it applied to the app tier with a
heartbeat), and fails after --wait-timeout naming the edges that have
not. An edge silent for three heartbeats is gone: named, not waited for
(it held nothing that could serve the old page when it stopped, and it
starts empty).

The edge must share --cluster-secret with the app tier; give the same one
here (better through AGORA_CLUSTER_SECRET, which stays out of the process
list). If the purge log cannot take the purge, the edge at --admin applies
it alone and the command fails, saying so.

Examples:
  agora purge product-42 category-7
  agora purge --soft home
  agora purge --wait --wait-timeout 5s product-42
  agora purge https://shop.example/products/tea
  agora purge --admin http://10.0.0.7:8081 --all`,
		flagsOnly: []string{"all", "soft", "wait"},
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&o.admin, "admin", "http://127.0.0.1:8081", "the edge's admin listener (its --admin-listen), as an http(s) URL")
			secretVar(fs, &o.secret, "cluster-secret", "the secret shared by edge and app tier (required)")
			fs.BoolVar(&o.soft, "soft", false, "mark tagged pages stale instead of removing them (tags only)")
			fs.BoolVar(&o.all, "all", false, "purge everything every edge holds")
			fs.BoolVar(&o.wait, "wait", false, "return once every live edge has applied the purge; fail naming those that did not within --wait-timeout")
			fs.DurationVar(&o.waitTimeout, "wait-timeout", 10*time.Second, "with --wait, how long to wait for every live edge")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			admin, err := o.check(env.args)
			if err != nil {
				return err
			}
			seq, err := postPurge(ctx, admin, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "%s through the purge log: seq %d (every edge following the log applies it)\n", o.describe(), seq)
			if !o.wait {
				return nil
			}
			start := time.Now()
			n, err := waitConverged(ctx, admin.JoinPath("..", "edges"), seq, o.waitTimeout)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "seq %d %s, in %s\n", seq, describeConverged(n), time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
}

// check sorts args into tags and URLs, refuses what cannot be a purge and
// returns the purge endpoint of the admin listener.
func (o *purgeOpts) check(args []string) (*url.URL, error) {
	for _, a := range args {
		switch {
		case strings.HasPrefix(a, "-"):
			return nil, fmt.Errorf("%w: %q: flags go before the tags and URLs", errUsage, a)
		case strings.HasPrefix(a, reservedTagPrefix):
			// The edge refuses them too, but in terms of its JSON body.
			return nil, fmt.Errorf("%w: tag %q: the prefix %q is reserved: purge URLs as arguments, everything with --all", errUsage, a, reservedTagPrefix)
		case isAbsoluteHTTP(a):
			o.urls = append(o.urls, a)
		default:
			o.tags = append(o.tags, a)
		}
	}
	switch {
	case o.all && len(args) > 0:
		return nil, fmt.Errorf("%w: --all purges everything: give it no tags or URLs", errUsage)
	case !o.all && len(args) == 0:
		return nil, fmt.Errorf("%w: nothing to purge: give tags (product-42), URLs (https://shop.example/products/tea) or --all", errUsage)
	case o.waitTimeout <= 0:
		return nil, fmt.Errorf("%w: --wait-timeout must be positive (got %s)", errUsage, o.waitTimeout)
	case o.secret == "":
		return nil, fmt.Errorf("%w: --cluster-secret (or AGORA_CLUSTER_SECRET) is required: the secret the edge and the app tier share", errUsage)
	}
	u, err := url.Parse(o.admin)
	if err != nil || !isAbsoluteHTTP(o.admin) {
		return nil, fmt.Errorf("%w: --admin %q: want the edge's admin listener as a URL such as http://127.0.0.1:8081", errUsage, redact.URL(o.admin))
	}
	return u.JoinPath("/_agora/purge"), nil
}

func isAbsoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// describe says what was purged, for the success line.
func (o *purgeOpts) describe() string {
	if o.all {
		return "purged everything"
	}
	verb := "purged"
	if o.soft && len(o.tags) > 0 {
		verb = "soft-purged" // URLs, if any, hard all the same
	}
	var parts []string
	if len(o.tags) > 0 {
		parts = append(parts, plural(len(o.tags), "tag")+" ("+strings.Join(o.tags, ", ")+")")
	}
	if len(o.urls) > 0 {
		parts = append(parts, plural(len(o.urls), "URL")+" ("+strings.Join(o.urls, ", ")+")")
	}
	return verb + " " + strings.Join(parts, " and ")
}

// postPurge posts the purge to the edge's admin API and returns the seq
// of its purge log entry. Its errors are one line for the operator, and
// never hold the secret.
func postPurge(ctx context.Context, endpoint *url.URL, o purgeOpts) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, purgeTimeout)
	defer cancel()
	var ans purgeAnswer
	status, decErr, err := adminPost(ctx, endpoint, o.secret,
		edge.PurgeRequest{Tags: o.tags, URLs: o.urls, All: o.all, Soft: o.soft}, &ans, "the edge")
	if err != nil {
		return 0, err
	}
	return ans.result(endpoint.Redacted(), status, decErr)
}

// purgeAnswer is the body of the edge's answer to a purge
// (internal/edge/admin.go, servePurge).
type purgeAnswer struct {
	Seq    *int64 `json:"seq"`    // 200: the purge log entry
	Error  string `json:"error"`  // otherwise: a message for the operator
	Purged int    `json:"purged"` // 502: stored responses purged on that edge alone
}

// result turns the answer into a seq, or an error that says what happened
// and what to do; where names the edge, status is the HTTP status and
// decErr what decoding the body said.
func (a purgeAnswer) result(where string, status int, decErr error) (int64, error) {
	msg := a.Error
	switch {
	case status == http.StatusOK && decErr == nil && a.Seq != nil:
		return *a.Seq, nil
	case status == http.StatusBadGateway && decErr == nil && msg != "":
		msg = strings.TrimSuffix(msg, "; the purge was applied on this edge only")
		return 0, fmt.Errorf("applied on this edge only (%s purged): %s; other edges keep their copies: run the purge again once the app tier answers", plural(a.Purged, "stored response"), msg)
	case status == http.StatusUnauthorized:
		return 0, fmt.Errorf("%s refused the cluster secret: give --cluster-secret (or AGORA_CLUSTER_SECRET) the secret the edge was started with (the edge said %q)", where, orStatus(msg, status))
	case status == http.StatusBadRequest:
		return 0, fmt.Errorf("%w: %s refused the purge: %s", errUsage, where, orStatus(msg, status))
	case status == http.StatusServiceUnavailable:
		return 0, fmt.Errorf("%s cannot purge: %s", where, orStatus(msg, status))
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed || decErr != nil:
		return 0, fmt.Errorf("%s answered %d without a purge result: is --admin the edge's admin listener (its --admin-listen), not its public one?", where, status)
	}
	return 0, fmt.Errorf("%s answered %s", where, orStatus(msg, status))
}

// orStatus is the edge's error message or, without one, the HTTP status.
func orStatus(msg string, status int) string {
	if msg != "" {
		return msg
	}
	return fmt.Sprintf("%d %s", status, http.StatusText(status))
}
