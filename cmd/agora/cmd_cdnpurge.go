package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"

	"agora/internal/cdnpurge"
	"agora/internal/redact"
)

func cdnPurgeCommand() *command {
	var provider, origin, secret, zone, service, tokenFile, statePath, apiURL string
	var rate float64
	var batch int
	return &command{
		name:    "cdn-purge",
		summary: "purge a commercial CDN (Cloudflare, Fastly) in front of the edges as the purge log says",
		usage: `Follows the app tier's purge log at --purge-origin, as an edge does, and
purges the CDN in front of the edges (started with --downstream-cdn) by
tag: Cloudflare's purge by Cache-Tag (POST /client/v4/zones/ZONE/purge_cache
{"tags":[…]}), Fastly's purge by Surrogate-Key (POST /service/ID/purge,
Fastly-Soft-Purge for soft purges; Cloudflare has no soft purge by tag, so
a soft purge is a purge there). An operator's URL purge (agora purge URL)
goes to the CDN's URL purge: Cloudflare's {"files":[…]}, Fastly's
POST /purge/HOST/PATH. Tags are batched (--batch a call), calls
paced (--rate a second), and a call the CDN refuses with 429 or 5xx is
retried with exponential backoff and jitter, waiting at least its
Retry-After. Run one per store, not one per edge.

The position purged is saved in --state after each batch the CDN
accepted: a restart resumes after it, purging some tags twice rather than
none. With no saved position (the first run) or entries trimmed from the
log since, it purges everything once.

The API token is read from --api-token-file or AGORA_CDN_API_TOKEN, never
from the command line, and never logged.`,
		setup: func(fs *flag.FlagSet) {
			fs.StringVar(&provider, "provider", "", "the CDN: cloudflare or fastly (required)")
			fs.StringVar(&origin, "purge-origin", "", "base URL of the app tier whose purge log is followed (required): http(s)://HOST:PORT")
			secretVar(fs, &secret, "cluster-secret", "secret shared with the app tier: reads its purge log")
			fs.StringVar(&zone, "zone", "", "Cloudflare zone ID (with --provider cloudflare)")
			fs.StringVar(&service, "service", "", "Fastly service ID (with --provider fastly)")
			fs.StringVar(&tokenFile, "api-token-file", "", "file holding the CDN's API token (its first line); else AGORA_CDN_API_TOKEN")
			fs.StringVar(&statePath, "state", "./agora-cdn-purge.json", "file the position purged is saved in, to resume after a restart")
			fs.Float64Var(&rate, "rate", cdnpurge.DefaultRate, "purge calls a second at most (Cloudflare: 5 a second on Pro, 5 a minute on Free: 0.08)")
			fs.IntVar(&batch, "batch", 0, "tags per call (0: the CDN's limit, 100 for Cloudflare, 256 for Fastly)")
			fs.StringVar(&apiURL, "api-url", "", "the CDN API's base URL (empty: the real one; for a stand-in in tests)")
		},
		run: func(ctx context.Context, env *cmdEnv) error {
			if u, err := url.Parse(origin); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%w: --purge-origin %q: want the app tier's http(s)://HOST:PORT", errUsage, redact.URL(origin))
			}
			if secret == "" {
				return fmt.Errorf("%w: --cluster-secret is required: the purge log is read with it", errUsage)
			}
			if rate <= 0 || batch < 0 {
				return fmt.Errorf("%w: --rate must be positive and --batch not negative", errUsage)
			}
			token := env.getenv("AGORA_CDN_API_TOKEN")
			if tokenFile != "" {
				t, err := readSecretFile(tokenFile)
				if err != nil {
					return fmt.Errorf("%w: --api-token-file: %v", errUsage, err)
				}
				token = t
			}
			if token == "" {
				return fmt.Errorf("%w: no API token: give --api-token-file or AGORA_CDN_API_TOKEN", errUsage)
			}
			var cdn cdnpurge.Provider
			switch provider {
			case "cloudflare":
				if zone == "" {
					return fmt.Errorf("%w: --provider cloudflare needs --zone", errUsage)
				}
				cdn = &cdnpurge.Cloudflare{Zone: zone, Token: token, API: apiURL, Batch: batch}
			case "fastly":
				if service == "" {
					return fmt.Errorf("%w: --provider fastly needs --service", errUsage)
				}
				cdn = &cdnpurge.Fastly{Service: service, Token: token, API: apiURL, Batch: batch}
			default:
				return fmt.Errorf("%w: --provider must be cloudflare or fastly", errUsage)
			}
			a := &cdnpurge.Adapter{CDN: cdn, Origin: origin, Secret: secret, State: statePath, Rate: rate, Log: env.log}
			return a.Run(ctx)
		},
	}
}
