package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestReplicaFlags: --db-replica takes PostgreSQL URLs, one per flag or
// comma-separated (its environment twin), refuses anything else without
// echoing a password, and needs a PostgreSQL --db to stream from.
func TestReplicaFlags(t *testing.T) {
	var r replicaFlags
	r.maxLag = time.Second
	if err := r.add("postgres://u:pw@r1:5432/shop, postgresql://r2/shop"); err != nil || len(r.urls) != 2 {
		t.Fatalf("two replicas: %v %q", err, r.urls)
	}
	if err := r.check("postgres://primary/shop"); err != nil {
		t.Errorf("replicas of a PostgreSQL primary refused: %v", err)
	}
	if err := r.check("sqlite:/data/agora.db"); !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "needs a PostgreSQL --db") {
		t.Errorf("replicas of SQLite: %v, want a usage error", err)
	}
	err := r.add("mysql://u:s3cret@db/shop")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("a MySQL replica: %v; want a refusal naming postgres:// without the password", err)
	}
	r.maxLag = 0
	if err := r.check("postgres://primary/shop"); !errors.Is(err, errUsage) {
		t.Errorf("--max-replica-lag 0: %v, want a usage error", err)
	}
}
