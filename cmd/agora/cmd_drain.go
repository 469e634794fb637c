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

// drainTimeout bounds one drain call; the edge answers at once.
const drainTimeout = 10 * time.Second

func drainCommand() *command {
	var admin, secret string
	var undo bool
	return &command{
		name:    "drain",
		summary: "take an app server out of an edge's pool, or put it back (agora drain 10.0.0.5:8080)",
		usage: `agora drain [--undo] BACKEND

Drains a backend through the edge's admin API (POST /_agora/drain on
--admin): the edge sends it no new requests, lets those in flight finish,
and shows it as draining (held out) in /_agora/status and on its status
page. The drain holds through every later change of the pool (a DNS
re-resolution, agora up's supervisor) until --undo puts it back; it then
ramps up over the slow-start window. It is this edge's alone: drain each
edge in front of the app server.

BACKEND is the backend's URL as the edge was given it or as its status
shows it, or its host:port alone. The command prints the backend's state
and requests in flight; once /_agora/status shows 0 in flight, it is safe
to stop.

The same with curl:
  curl -H "Authorization: Bearer $AGORA_CLUSTER_SECRET" \
    -d '{"backend":"http://10.0.0.5:8080"}' http://127.0.0.1:8081/_agora/drain
  (and /_agora/undrain to put it back)

Examples:
  agora drain 10.0.0.5:8080
  agora drain --undo http://10.0.0.5:8080`,
		flagsOnly: []string{"undo"},
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&admin, "admin", "http://127.0.0.1:8081", "the edge's admin listener (its --admin-listen), as an http(s) URL")
			secretVar(fs, &secret, "cluster-secret", "the secret the edge was started with (required)")
			fs.BoolVar(&undo, "undo", false, "put the backend back")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			switch {
			case len(env.args) != 1 || strings.HasPrefix(env.args[0], "-"):
				return fmt.Errorf("%w: give one backend, such as 10.0.0.5:8080, after the flags", errUsage)
			case secret == "":
				return fmt.Errorf("%w: --cluster-secret (or AGORA_CLUSTER_SECRET) is required: the secret the edge was started with", errUsage)
			}
			base, err := url.Parse(admin)
			if err != nil || !isAbsoluteHTTP(admin) {
				return fmt.Errorf("%w: --admin %q: want the edge's admin listener as a URL such as http://127.0.0.1:8081", errUsage, redact.URL(admin))
			}
			path := "/_agora/drain"
			if undo {
				path = "/_agora/undrain"
			}
			ans, err := postDrain(ctx, base.JoinPath(path), secret, env.args[0])
			if err != nil {
				return err
			}
			switch {
			case !ans.Member:
				fmt.Fprintf(env.stdout, "%s: no longer held; it is not in the pool now, and joins as any other if it comes back\n", ans.Backend)
			case undo:
				fmt.Fprintf(env.stdout, "%s: back in the pool (%s)\n", ans.Backend, ans.State)
			default:
				fmt.Fprintf(env.stdout, "%s: draining, %d in flight; held out until agora drain --undo\n", ans.Backend, ans.InFlight)
			}
			return nil
		},
	}
}

// drainAnswer is the edge's answer to a drain (internal/edge/drain.go).
type drainAnswer struct {
	Backend  string `json:"backend"`
	State    string `json:"state"`
	Held     bool   `json:"held"`
	InFlight int64  `json:"in_flight"`
	Member   bool   `json:"member"`
	Error    string `json:"error"`
}

// postDrain posts the drain to the edge's admin API. Its errors are one
// line for the operator, and never hold the secret.
func postDrain(ctx context.Context, endpoint *url.URL, secret, backend string) (drainAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, drainTimeout)
	defer cancel()
	var ans drainAnswer
	status, decErr, err := adminPost(ctx, endpoint, secret, edge.DrainRequest{Backend: backend}, &ans, "the edge")
	if err != nil {
		return ans, err
	}
	where := endpoint.Redacted()
	switch {
	case status == http.StatusOK && decErr == nil:
		return ans, nil
	case status == http.StatusUnauthorized:
		return ans, fmt.Errorf("%s refused the cluster secret: give --cluster-secret (or AGORA_CLUSTER_SECRET) the secret the edge was started with", where)
	case status == http.StatusBadRequest || status == http.StatusNotFound:
		return ans, fmt.Errorf("%w: %s: %s", errUsage, where, orStatus(ans.Error, status))
	case decErr != nil || status == http.StatusMethodNotAllowed:
		return ans, fmt.Errorf("%s answered %d without a drain result: is --admin the edge's admin listener (its --admin-listen), not its public one?", where, status)
	}
	return ans, fmt.Errorf("%s answered %s", where, orStatus(ans.Error, status))
}
