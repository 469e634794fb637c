package main

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// edgeOverhead is the memory an edge needs beyond its cache: buffers of
// open connections, in-flight responses, the runtime's own. The collector
// gets cacheSize/8 of room on top, so a full cache is not collected
// continuously.
const edgeOverhead = 16 << 20

// limitEdgeMemory tells the Go runtime how much memory the edge process may
// use: the cache (bounded by --cache-size, counted in bytes) plus a fixed
// overhead. Without it the collector lets the heap grow to twice the live
// data (GOGC=100), so a full 1 GiB cache would hold 2 GiB of memory; with
// it, garbage is collected before resident memory passes the cache size by
// much. GOMEMLIMIT, when set, is the operator's choice and wins.
func limitEdgeMemory(log *slog.Logger, cacheSize uint64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	limit := cacheSize + cacheSize/8 + edgeOverhead
	if limit > 1<<62 {
		return
	}
	debug.SetMemoryLimit(int64(limit))
	log.Debug("memory limit set", "bytes", limit)
}
