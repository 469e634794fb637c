package main

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"agora/internal/redact"
	"agora/internal/store"
)

// replicaFlags are the PostgreSQL read replicas of `agora app` and
// `agora up` (issue 15): anonymous catalog pages and searches may be read
// from them (internal/app/replica.go).
type replicaFlags struct {
	urls   []string
	maxLag time.Duration
}

func (r *replicaFlags) register(fs *flag.FlagSet) {
	fs.Func("db-replica", "a PostgreSQL streaming replica of --db (postgres://…) that anonymous catalog pages and searches may be read from; repeat it for several (in "+envName("db-replica")+", comma-separated). Writes, signed-in shoppers, carts and staff stay on --db; a replica lagging past --max-replica-lag or down is left out until it recovers", r.add)
	fs.DurationVar(&r.maxLag, "max-replica-lag", store.DefaultMaxReplicaLag, "how far a replica may lag behind --db and stay in rotation")
}

// add takes one --db-replica, or a comma-separated list (the environment
// twin).
func (r *replicaFlags) add(v string) error {
	for u := range strings.SplitSeq(v, ",") {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") {
			return fmt.Errorf("%q is not a postgres:// URL: read replicas are PostgreSQL streaming replicas", redact.URL(u))
		}
		r.urls = append(r.urls, u)
	}
	return nil
}

func (r replicaFlags) check(db string) error {
	switch {
	case r.maxLag <= 0:
		return fmt.Errorf("%w: --max-replica-lag must be above 0", errUsage)
	case len(r.urls) > 0 && !strings.HasPrefix(db, "postgres"):
		return fmt.Errorf("%w: --db-replica needs a PostgreSQL --db (the replicas stream from it)", errUsage)
	}
	return nil
}

// options adds the replicas to o.
func (r replicaFlags) options(o store.Options) store.Options {
	o.Replicas, o.MaxReplicaLag = r.urls, r.maxLag
	return o
}
