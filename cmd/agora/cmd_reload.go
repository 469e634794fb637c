package main

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"agora/internal/redact"
	"agora/internal/scale"
)

func reloadCommand() *command {
	var admin, secret string
	var timeout time.Duration
	return &command{
		name:    "reload",
		summary: "upgrade agora up's app instances to the binary on disk, one at a time",
		usage: `agora reload

Asks a running 'agora up' (POST /_agora/reload on its admin listener,
--admin) to replace its app instances with the binary now on disk, one at
a time and without a failed request: it starts an instance of the new
binary, waits for its /readyz, lets it join the edge's pool, then drains and
stops one old instance, and goes on with the next. Sending SIGHUP to
'agora up' does the same (its answer is then only in its log and on the
status page).

Install the new build by moving it over the old one (install(1), or cp to a
temporary name then mv): a running binary cannot be written in place.

If an instance of the new binary does not become ready, the reload stops:
the old instances left keep serving, and this command, the log and the
status page say why. The edge keeps its listener and its cache throughout.
The command returns when the reload is over.

The same with curl:
  curl -H "Authorization: Bearer $AGORA_CLUSTER_SECRET" -X POST \
    http://127.0.0.1:8081/_agora/reload`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&admin, "admin", "http://127.0.0.1:8081", "agora up's admin listener (its --admin-listen), as an http(s) URL")
			secretVar(fs, &secret, "cluster-secret", "the secret agora up was started with (required)")
			fs.DurationVar(&timeout, "timeout", 30*time.Minute, "how long to wait for the reload to end (it goes on if this command gives up)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			switch {
			case len(env.args) != 0:
				return fmt.Errorf("%w: agora reload takes no arguments, only flags", errUsage)
			case secret == "":
				return fmt.Errorf("%w: --cluster-secret (or AGORA_CLUSTER_SECRET) is required: the secret agora up was started with", errUsage)
			}
			base, err := url.Parse(admin)
			if err != nil || !isAbsoluteHTTP(admin) {
				return fmt.Errorf("%w: --admin %q: want agora up's admin listener as a URL such as http://127.0.0.1:8081", errUsage, redact.URL(admin))
			}
			ctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			res, err := postReload(ctx, base.JoinPath("/_agora/reload"), secret)
			if err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "reloaded: %d app instance(s) replaced in %s\n", res.Replaced, res.Took.Round(time.Millisecond))
			return nil
		},
	}
}

// postReload asks the edge's admin API for a reload and waits for its end.
// Its errors are one line for the operator, and never hold the secret.
func postReload(ctx context.Context, endpoint *url.URL, secret string) (scale.ReloadResult, error) {
	var ans struct {
		scale.ReloadResult
		Error string `json:"error"`
	}
	status, decErr, err := adminPost(ctx, endpoint, secret, nil, &ans, "agora up")
	if err != nil {
		return ans.ReloadResult, err
	}
	where := endpoint.Redacted()
	res := ans.ReloadResult
	switch {
	case status == http.StatusOK && decErr == nil:
		return ans.ReloadResult, nil
	case status == http.StatusUnauthorized:
		return res, fmt.Errorf("%s refused the cluster secret: give --cluster-secret (or AGORA_CLUSTER_SECRET) the secret agora up was started with", where)
	case decErr != nil || status == http.StatusMethodNotAllowed:
		return res, fmt.Errorf("%s answered %d without a reload result: is --admin agora up's admin listener (its --admin-listen), not its public one?", where, status)
	}
	return res, fmt.Errorf("the reload failed: %s", orStatus(ans.Error, status))
}
