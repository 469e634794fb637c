package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"agora/internal/store"
)

// replicaCollector exports the read replicas' state (issue 15): which are
// in rotation, how far each lags, and where the reads fit for a replica
// went. Read at scrape time from store.DB.Replicas.
type replicaCollector struct {
	db                                   *store.DB
	inRotation, lag, reads, primaryReads *prometheus.Desc
}

func newReplicaCollector(db *store.DB) *replicaCollector {
	label := []string{"replica"}
	return &replicaCollector{db: db,
		inRotation:   prometheus.NewDesc("agora_db_replica_in_rotation", "1 while the read replica takes reads: its checks pass and it lags at most --max-replica-lag.", label, nil),
		lag:          prometheus.NewDesc("agora_db_replica_lag_seconds", "How long ago the primary was where the replica has replayed to, as last measured.", label, nil),
		reads:        prometheus.NewDesc("agora_db_replica_reads_total", "Reads the replica served.", label, nil),
		primaryReads: prometheus.NewDesc("agora_db_replica_fit_primary_reads_total", "Reads fit for a replica that the primary served: none in rotation had replayed far enough, or a replica failed them.", nil, nil),
	}
}

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.inRotation
	ch <- c.lag
	ch <- c.reads
	ch <- c.primaryReads
}

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	for _, r := range c.db.Replicas() {
		in := 0.0
		if r.InRotation {
			in = 1
		}
		ch <- prometheus.MustNewConstMetric(c.inRotation, prometheus.GaugeValue, in, r.Location)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, r.Lag.Seconds(), r.Location)
		ch <- prometheus.MustNewConstMetric(c.reads, prometheus.CounterValue, float64(r.Reads), r.Location)
	}
	ch <- prometheus.MustNewConstMetric(c.primaryReads, prometheus.CounterValue, float64(c.db.PrimaryReads()))
}
