#!/usr/bin/env bash
# bench/ramp.sh — issue 11's ramp: `agora up` under load rising from 50 to
# 600 requests per second, then a trickle, then a 10× burst, recording what
# the autoscaler did: pool size, desired size and p95 per step, failed
# requests (the target is zero), the time the burst took to trigger the
# panic path, and a plot of the pool and p95 over time.
#
# Usage: bench/ramp.sh [--help]
#
#   bench/ramp.sh                       the full run (about 8 minutes)
#   STEPS="50 200" STEP=10s bench/ramp.sh   a quick look
#
# Environment:
#   STEPS="50 100 200 300 400 500 600"  the ramp's rates, requests per second
#   STEP=30s           length of each step (and of each half of the burst)
#   MIN=2 MAX=8        agora up's --min and --max
#   TARGET_INFLIGHT=10 agora up's --target-inflight (its default)
#   LATENCY=100ms      agora up's --test-latency: every request waits this long
#                      in the app, so an instance's capacity is its
#                      concurrency, not the CPU this machine shares with the
#                      load tool (the work is made I/O-bound)
#   QUIET_RATE=20      the trickle after the ramp, until the pool is back at
#                      MIN (30 s runs; the stable window is agora up's
#                      default, 60 s)
#   BURST_FROM=50 BURST_TO=500   the burst: a step of 10×
#   PRODUCTS=200       the catalog seeded (small: the load tool reads it all
#                      before each step)
#   SVG=docs/ramp.svg  where the plot goes (empty: only OUT_DIR)
#   OUT_DIR=…          raw results (default: a new ${TMPDIR:-/tmp}/agora-bench-ramp.XXXX):
#                      report.md (the table and the decisions), samples.csv
#                      (the status twice a second), ramp.svg, up.log, and
#                      each step's load-tool run (requests.csv, summary.txt,
#                      plot.svg)
#
# Every page goes to the app tier: the edge's cache is made too small to
# keep any page (--cache-size 1B), since the ramp measures the app pool, and
# a cache would answer nearly all of this load by itself. The load tool is
# one client address standing in for many shoppers, so the edge's cap of
# connections per address is lifted (--max-conns-per-ip 0; at its default,
# 256, a second run of the tool starting beside a busy one was refused with
# 503 at accept). The mix is pages
# only (home, category, product, search): writes to one SQLite file would
# measure the database (bench/shopping.sh does). agora up keeps its other
# defaults: --scale-interval 2s, --stable-window 60s, panic window 6s,
# --slow-start 10s. The load tool, the edge and the app instances share the
# machine's cores: the p95 moves with whatever else the machine runs.
# Every process the script starts is stopped on exit, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

case "${1:-}" in
-h | --help | help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 0
	;;
"") ;;
*) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

STEPS=${STEPS:-50 100 200 300 400 500 600}
STEP=${STEP:-30s}
MIN=${MIN:-2}
MAX=${MAX:-8}
TARGET_INFLIGHT=${TARGET_INFLIGHT:-10}
LATENCY=${LATENCY:-100ms}
QUIET_RATE=${QUIET_RATE:-20}
BURST_FROM=${BURST_FROM:-50}
BURST_TO=${BURST_TO:-500}
PRODUCTS=${PRODUCTS:-200}
SVG=${SVG-docs/ramp.svg}
command -v curl >/dev/null || { echo "bench: needs curl" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: needs python3 (a free port)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-ramp-work.XXXXXX")
out=${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-ramp.XXXXXX")}
mkdir -p "$out"
up_pid=""
cleanup() {
	set +e
	if [ -n "$up_pid" ]; then
		kill "$up_pid" 2>/dev/null
		for _ in $(seq 600); do kill -0 "$up_pid" 2>/dev/null || break; sleep 0.05; done
		kill -KILL "$up_pid" 2>/dev/null # its app instances die with it (parent-death signal)
		wait "$up_pid" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet 2>/dev/null || echo ' + working tree')"
echo "# building agora and bench/ramp ($rev)" >&2
go build -o "$work/agora" ./cmd/agora
go build -o "$work/ramp" ./bench/ramp

echo "# seeding $PRODUCTS products" >&2
data=$work/data
"$work/agora" seed --db "sqlite:$data/agora.db" --media "$data/media" --products "$PRODUCTS" --categories 10 --quiet >/dev/null

port=$(free_port) admin_port=$(free_port)
echo "# agora up --min $MIN --max $MAX --target-inflight $TARGET_INFLIGHT --test-latency $LATENCY" >&2
"$work/agora" up --data "$data" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin_port" \
	--min "$MIN" --max "$MAX" --target-inflight "$TARGET_INFLIGHT" --test-latency "$LATENCY" \
	--cache-size 1B --max-conns-per-ip 0 --access-log=false >"$out/up.log" 2>&1 &
up_pid=$!
for _ in $(seq 1200); do
	ready=$(curl -s "http://127.0.0.1:$admin_port/_agora/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["scale"]["ready"])' 2>/dev/null || true)
	[ "$ready" = "$MIN" ] && break
	kill -0 "$up_pid" 2>/dev/null || { echo "bench: agora up exited; its log:" >&2; tail -20 "$out/up.log" >&2; exit 1; }
	sleep 0.1
done
[ "$ready" = "$MIN" ] || { echo "bench: agora up's pool never reached $MIN ready" >&2; tail -20 "$out/up.log" >&2; exit 1; }

echo "# $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) before the run" >&2
"$work/ramp" --agora "$work/agora" --target "http://127.0.0.1:$port" --admin "http://127.0.0.1:$admin_port" \
	--out "$out" --svg "$SVG" --steps "${STEPS// /,}" --step "$STEP" --min "$MIN" \
	--quiet-rate "$QUIET_RATE" --burst-from "$BURST_FROM" --burst-to "$BURST_TO"
echo "# load average $(cut -d' ' -f1-3 /proc/loadavg) after the run" | tee -a "$out/report.md" >&2
grep -c 'autoscale: resize' "$out/up.log" | sed 's/^/# resize decisions in the log: /' >&2
echo "# raw results in $out" >&2
