#!/usr/bin/env bash
# bench/shield.sh — origin offload of 3 PoPs with and without a shield
# (issue 13): the shopper mix (agora loadtest) on each PoP at once, the
# share of those requests that reached the app tier (the app's own
# agora_http_requests_total), and latency per PoP. One machine, loopback:
# the PoPs are no nearer the shopper than the shield, so the latency shows
# the cost of the extra hop on misses, not what geography buys. Every PoP
# is sent Host: shop.test, as PoPs of one store answer for one name (the
# host is part of the shield's cache key).
#
#   bench/shield.sh            RATE=40 DURATION=15s PRODUCTS=2000
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RATE=${RATE:-40} DURATION=${DURATION:-15s} PRODUCTS=${PRODUCTS:-2000}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/agora" ./cmd/agora
A="$work/agora"
db="sqlite:$work/agora.db"
export AGORA_CLUSTER_SECRET=bench-secret
"$A" migrate --db "$db" >/dev/null
"$A" seed --db "$db" --media "$work/media" --products "$PRODUCTS" --quiet >/dev/null

start() { # start LOG ARGS…: runs agora in the background
	local log=$1; shift
	"$A" "$@" >"$log" 2>&1 &
	pids+=($!)
}

app_requests() { # the app's requests so far, but for health checks and the purge log
	curl -s "http://127.0.0.1:$mport/metrics" | awk '/^agora_http_requests_total/ && !/healthz|readyz|_internal/ { s += $NF } END { print s + 0 }'
}

# run NAME SHIELD(0|1): 3 PoPs (behind a shield when SHIELD=1), the mix on each.
run() {
	local name=$1 shield=$2 backends="http://127.0.0.1:$aport" pop_args=() ports=()
	if [ "$shield" = 1 ]; then
		local sp; sp=$(free_port)
		start "$work/shield-$name.log" edge --listen "127.0.0.1:$sp" --admin-listen "" --backends "$backends"
		wait_http "http://127.0.0.1:$sp/healthz" "${pids[-1]}" "$work/shield-$name.log"
		backends="http://127.0.0.1:$sp"
		pop_args=(--shield --purge-origin "http://127.0.0.1:$aport")
	fi
	for i in 1 2 3; do
		local p; p=$(free_port)
		start "$work/pop$i-$name.log" edge --listen "127.0.0.1:$p" --admin-listen "" --backends "$backends" "${pop_args[@]}"
		wait_http "http://127.0.0.1:$p/healthz" "${pids[-1]}" "$work/pop$i-$name.log"
		ports+=("$p")
	done
	local before; before=$(app_requests)
	local lt=()
	for i in 0 1 2; do
		"$A" loadtest --target "http://127.0.0.1:${ports[$i]}" --host shop.test --rate "$RATE" --duration "$DURATION" --seed $((7 + i)) >"$work/lt$i-$name.txt" 2>&1 &
		lt+=($!)
	done
	wait "${lt[@]}"
	local after; after=$(app_requests)
	local sent=0
	for i in 0 1 2; do
		sent=$((sent + $(awk '/^requests:/ { print $4 }' "$work/lt$i-$name.txt")))
	done
	printf '%-10s requests %6d  reached the app %6d (%.1f%%)\n' "$name" "$sent" $((after - before)) "$(echo "100 * ($after - $before) / $sent" | bc -l)"
	for i in 0 1 2; do
		printf '  PoP %d  ' $((i + 1)); awk '$1 == "product" || $1 == "home" { printf "%s p50 %s p99 %s   ", $1, $4, $6 } END { print "" }' "$work/lt$i-$name.txt"
	done
}

aport=$(free_port) mport=$(free_port)
start "$work/app.log" app --db "$db" --media "$work/media" --listen "127.0.0.1:$aport" --metrics-listen "127.0.0.1:$mport" --access-log=false
wait_http "http://127.0.0.1:$aport/readyz" "${pids[-1]}" "$work/app.log"
echo "# bench/shield.sh $(git rev-parse --short HEAD): rate $RATE/s per PoP for $DURATION, $PRODUCTS products, the default shopper mix (agora loadtest)"
run no-shield 0
run shield 1
