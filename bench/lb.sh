#!/usr/bin/env bash
# bench/lb.sh — `agora edge` as a load balancer against HAProxy 2.6 (issue 10):
# pass-through throughput to three backends, and the failures shoppers see
# when one of three `agora app` processes is killed, hangs, or all of them
# are restarted one after another.
#
# Usage: bench/lb.sh [--help]
#
#   bench/lb.sh                            both parts, 3 rounds of 10 s runs
#   PARTS=pass ROUNDS=1 DURATION=3s bench/lb.sh    a quick look
#   PARTS=faults FAULTS="kill stop" bench/lb.sh
#   PIN=1 bench/lb.sh                      proxies on CPU 1, the rest on CPU 0
#   PPROF=1 bench/lb.sh                    also a CPU profile of the edge
#   AGORA_REV=HEAD bench/lb.sh             measure a commit, not the working tree
#
# Environment:
#   PARTS="pass faults"  which parts to run; also "saturate": wrk -c64 on the
#                     uncached home page through the uncached edge and
#                     HAProxy, kill -9 of one of 3 apps a third of the way
#                     in (SAT_DURATION=24s); failures are wrk's non-2xx
#                     answers and socket errors
#   ROUNDS=3          pass-through rounds (order of the proxies rotated each
#                     round; the table shows medians)
#   DURATION=10s      length of each measured wrk run (after a 2 s warm-up)
#   CONNS=64          wrk connections (one wrk thread: wrk -t1 -cCONNS)
#   BODY_BYTES=512    size of the backends' page
#   BACKEND=nginx     the pass-through backends: nginx (one worker, `return
#                     200`, three listeners) or go (bench/lb/origin, net/http,
#                     about twice nginx's CPU per request)
#   PIN=0             1: each proxy on CPU 1 with one thread (GOMAXPROCS=1,
#                     nbthread 1), wrk and the backends on CPU 0 (taskset).
#                     0: nothing pinned, each proxy with two threads
#                     (GOMAXPROCS=2, nbthread 2), sharing both cores with wrk
#                     and the backends
#   PPROF=1           a 10 s CPU profile of the edge under pass-through load
#                     (its admin listener's /debug/pprof), in OUT_DIR with
#                     its top functions
#   FAULTS="none kill stop rolling"   fault runs, each once through each of
#                     agora (the edge as shipped, cache on), agora-nocache
#                     (--cache-size 1: every page goes to a backend, the load
#                     balancer alone) and haproxy:
#                       none     no fault (the baseline: must be zero)
#                       kill     kill -9 of app 2 at second 10
#                       stop     SIGSTOP of app 2 at second 10 (hung; it stays
#                                stopped to the end of the run)
#                       rolling  from second 3: SIGTERM to each app in turn,
#                                wait for it to exit (--drain-delay 5s, the
#                                default), start a new one on the same port,
#                                wait until the proxy counts it healthy again
#   RATE=200          requests per second of `agora loadtest` (open loop,
#                     its default shopper mix, checkouts with Idempotency-Key)
#   FAULT_DURATION=30s   each fault run (rolling: 15 s more)
#   PROXIES="agora agora-nocache haproxy"   which proxies the fault runs use
#   AGORA_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable
#                     the PostgreSQL server of the fault runs; the script
#                     creates its own schema there (bench_lb_PID), seeds a
#                     small catalog into it and drops it at the end; the
#                     server itself is never reconfigured or restarted
#   OUT_DIR=…         raw results (default: a new ${TMPDIR:-/tmp}/agora-bench-lb.XXXX)
#
# Equivalent settings. Both proxies: keep-alive to the backends, least
# outstanding requests, active checks GET /readyz every 2 s (timeout 1 s),
# rise 2, fall 3, connect timeout 2 s, 10 s for the response head, 512
# requests in flight per backend with a short queue (100 ms), slow start
# 10 s, up to 3 retries on another backend. Agora: `agora edge` with its
# defaults, which are these (least-request with two random choices; retries
# within a budget; passive outlier ejection, which HAProxy has no default
# for). HAProxy: `balance leastconn`, `http-reuse always`, `option httpchk
# GET /readyz`, `default-server check inter 2s rise 2 fall 3 slowstart 10s
# maxconn 512`, `retries 3`, `option redispatch 1` (every retry to another
# server), and layer-7 retries like the edge's: `retry-on conn-failure
# empty-response response-timeout 502 503 504`, kept by `disable-l7-retry`
# to GET/HEAD/OPTIONS and checkouts that carry an Idempotency-Key (a
# connection failure is retried for every method, as the edge does). No
# access logs on either. HAProxy runs in the foreground from a generated
# config (`haproxy -db -f`), never as the system service.
#
# The load generators share the machine with the proxies and the backends
# (and, for the faults, with PostgreSQL): compare the two proxies within one
# run. The pass-through table also gives each proxy's CPU time per request
# (user + system from /proc/PID/stat over the measured run): requests per
# second move with whatever else the machine runs, CPU per request much
# less, so it is the fairer measure of the proxy's own cost. Every process the script starts is stopped on exit, Ctrl-C included;
# the schema is dropped.
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

PARTS=${PARTS:-pass faults}
SAT_DURATION=${SAT_DURATION:-24s}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
BODY_BYTES=${BODY_BYTES:-512}
BACKEND=${BACKEND:-nginx}
PIN=${PIN:-0}
PPROF=${PPROF:-0}
FAULTS=${FAULTS:-none kill stop rolling}
RATE=${RATE:-200}
FAULT_DURATION=${FAULT_DURATION:-30s}
PROXIES=${PROXIES:-agora agora-nocache haproxy}
PG=${AGORA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
export PGOPTIONS="-c client_min_messages=warning"
case $BACKEND in nginx | go) ;; *) echo "bench: BACKEND must be nginx or go" >&2; exit 2 ;; esac
fault_s=$(awk -v d="$FAULT_DURATION" 'BEGIN { v = d + 0; if (d ~ /m$/) v *= 60; print int(v) }')
[ "$fault_s" -ge 15 ] || { echo "bench: FAULT_DURATION must be at least 15s (the fault comes at second 10)" >&2; exit 2; }

srv_pin=() load_pin=() threads=2
if [ "$PIN" = 1 ]; then
	[ "$(nproc)" -ge 2 ] || { echo "bench: PIN=1 needs at least 2 CPUs" >&2; exit 2; }
	srv_pin=(taskset -c 1) load_pin=(taskset -c 0) threads=1
fi

# --- tools -----------------------------------------------------------------
need=()
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v wrk >/dev/null || need+=(wrk)
[ "$BACKEND" = go ] || command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v python3 >/dev/null || need+=(python3)
command -v curl >/dev/null || need+=(curl)
[ "$PIN" != 1 ] || command -v taskset >/dev/null || need+=(util-linux)
case " $PARTS " in *" faults "* | *" saturate "*) command -v psql >/dev/null || need+=(postgresql-client) ;; esac
apt_install "${need[@]}"
haproxy_bin=$(command -v haproxy || echo /usr/sbin/haproxy)
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
haproxy_version=$("$haproxy_bin" -v | awk 'NR == 1 { print $3 }')
case $haproxy_version in 2.6*) ;; *) echo "bench: warning: HAProxy $haproxy_version, the issue asks for 2.6" >&2 ;; esac

# --- directories, processes, cleanup -----------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-lb-work.XXXXXX")
chmod 755 "$work"
out=${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-lb.XXXXXX")}
mkdir -p "$out/wrk" "$out/faults"
schema=""

declare -A pid=() # name → pid of every long-lived process started here
stop_pid() {      # stop_pid PID: TERM (after CONT, for a stopped app), then KILL after 5 s
	local p=$1
	[ -n "$p" ] || return 0
	kill -CONT "$p" 2>/dev/null || true
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}
stop() { stop_pid "${pid[$1]:-}"; unset "pid[$1]"; }
cleanup() {
	set +e
	for n in "${!pid[@]}"; do stop_pid "${pid[$n]}"; done
	[ -n "$schema" ] && psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null
	cp "$work"/*.log "$out"/ 2>/dev/null # the proxies' and apps' logs, to explain a failure
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- build -----------------------------------------------------------------------
source_tree "$work/src"
echo "# building agora ($rev)" >&2
(cd "$work/src" && go build -o "$work/agora" ./cmd/agora && go build -o "$work/origin" ./bench/lb/origin)
agora="$work/agora"
cp "$agora" "$out/agora"

# --- proxies ------------------------------------------------------------------------
edge_port=$(free_port) edge_admin=$(free_port) hap_port=$(free_port) hap_stats=$(free_port)
declare -A url=([agora]="http://127.0.0.1:$edge_port" [agora-nocache]="http://127.0.0.1:$edge_port" [haproxy]="http://127.0.0.1:$hap_port")

# haproxy_config BACKEND_ADDR…: the HAProxy configuration, equivalent to
# the edge's defaults (see the header).
haproxy_config() {
	local i=0 a
	cat <<CFG
global
	nbthread $threads
	# The edge caps client connections at 10,000; HAProxy needs two file
	# descriptors per proxied connection and the limit here may be 20,000.
	maxconn 4096
	# No logging: the edge logs nothing per request either.

defaults
	mode http
	option http-keep-alive
	http-reuse always
	option forwardfor
	timeout connect 2s
	timeout client 30s
	timeout http-request 10s
	timeout http-keep-alive 60s
	timeout server 10s
	timeout queue 100ms
	timeout check 1s
	retries 3
	option redispatch 1
	retry-on conn-failure empty-response response-timeout 502 503 504

frontend stats
	bind 127.0.0.1:$hap_stats
	stats enable
	stats uri /stats

frontend public
	bind 127.0.0.1:$hap_port
	default_backend app

backend app
	balance leastconn
	option httpchk GET /readyz
	http-check expect status 200
	# Layer-7 retries only where the edge retries: safe methods, and
	# checkouts that carry an Idempotency-Key.
	acl safe_method method GET HEAD OPTIONS
	acl checkout path /api/v1/checkout
	acl has_key req.hdr(Idempotency-Key) -m found
	http-request disable-l7-retry if !safe_method !checkout
	http-request disable-l7-retry if !safe_method !has_key
	default-server check inter 2s rise 2 fall 3 slowstart 10s maxconn 512
CFG
	for a in "$@"; do
		i=$((i + 1))
		printf '\tserver app%d %s\n' "$i" "$a"
	done
}

# start_proxy NAME BACKEND_URL…: a fresh instance on its port.
start_proxy() {
	local name=$1
	shift
	case $name in
	agora | agora-nocache)
		# --max-conns-per-ip 0: every request of the load tool comes from
		# 127.0.0.1, and with cold, uncached pages it holds more than the
		# edge's default 256 connections per client address at once, which
		# the edge refuses (503, resets) as a flood from one client would
		# be; HAProxy has no such cap by default.
		local extra=(--max-conns-per-ip 0)
		[ "$name" = agora-nocache ] && extra+=(--cache-size 1)
		GOMAXPROCS=$threads AGORA_CLUSTER_SECRET=$secret "${srv_pin[@]}" "$agora" edge --backends "$(
			IFS=,
			echo "$*"
		)" --listen "127.0.0.1:$edge_port" --admin-listen "127.0.0.1:$edge_admin" \
			"${extra[@]}" 2>>"$work/edge.log" &
		pid[proxy]=$!
		wait_http "http://127.0.0.1:$edge_admin/_agora/status" "${pid[proxy]}" "$work/edge.log"
		;;
	haproxy)
		local addrs=() u
		for u in "$@"; do addrs+=("${u#http://}"); done
		haproxy_config "${addrs[@]}" >"$work/haproxy.cfg"
		cp "$work/haproxy.cfg" "$out/haproxy.cfg"
		"$haproxy_bin" -c -q -f "$work/haproxy.cfg" || die "haproxy rejects its config ($out/haproxy.cfg)"
		"${srv_pin[@]}" "$haproxy_bin" -db -f "$work/haproxy.cfg" >>"$work/haproxy.log" 2>&1 &
		pid[proxy]=$!
		wait_http "http://127.0.0.1:$hap_stats/stats" "${pid[proxy]}" "$work/haproxy.log"
		;;
	esac
}

# healthy NAME: how many backends the proxy counts healthy (taking their
# full share or ramping up).
healthy() {
	case $1 in
	agora | agora-nocache)
		curl -s "http://127.0.0.1:$edge_admin/_agora/status" |
			python3 -c 'import json, sys
print(sum(b["state"] in ("healthy", "slow-start") for b in json.load(sys.stdin)["pool"]["backends"]))' 2>/dev/null || echo 0
		;;
	haproxy)
		curl -s "http://127.0.0.1:$hap_stats/stats;csv" |
			awk -F, '$1 == "app" && $2 ~ /^app[0-9]/ && $18 == "UP" { n++ } END { print n + 0 }'
		;;
	esac
}
# wait_healthy NAME N [SECONDS]: until the proxy counts N backends healthy.
wait_healthy() {
	local deadline=$((SECONDS + ${3:-30}))
	while [ "$(healthy "$1")" -lt "$2" ]; do
		[ $SECONDS -lt $deadline ] || { echo "bench: $1 counts $(healthy "$1") of $2 backends healthy after ${3:-30}s" >&2; return 1; }
		sleep 0.2
	done
}
secret="bench-lb-$RANDOM$RANDOM"

# --- part 1: pass-through ----------------------------------------------------------
pass_through() {
	local ports=() i
	for i in 1 2 3; do ports+=("$(free_port)"); done
	local count_port
	count_port=$(free_port)
	backends=()
	for p in "${ports[@]}"; do backends+=("http://127.0.0.1:$p"); done
	body=$(head -c "$BODY_BYTES" /dev/zero | tr '\0' a)
	if [ "$BACKEND" = nginx ]; then
		mkdir -p "$work/nginx"
		{
			echo "worker_processes 1;"
			echo "pid $work/nginx/nginx.pid;"
			echo "error_log $work/nginx/error.log warn;"
			echo "events { worker_connections 4096; }"
			echo "http {"
			echo "	access_log off;"
			echo "	keepalive_requests 100000000; keepalive_timeout 300s;"
			echo "	client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;"
			echo "	fastcgi_temp_path $work/nginx/fcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;"
			echo "	server {"
			for p in "${ports[@]}"; do echo "		listen 127.0.0.1:$p;"; done
			echo "		location = /readyz { return 200 \"ok\\n\"; }"
			echo "		location / { default_type text/plain; add_header Cache-Control \"no-store, private\" always; return 200 \"$body\"; }"
			echo "	}"
			echo "	server { listen 127.0.0.1:$count_port; location / { stub_status; } }"
			echo "}"
		} >"$work/nginx/nginx.conf"
		cp "$work/nginx/nginx.conf" "$out/backend-nginx.conf"
		"${load_pin[@]}" "$nginx_bin" -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' >"$work/backend.log" 2>&1 &
		pid[backend]=$!
		# stub_status counts every request the worker served, checks and
		# this read included: close enough to tell a pass-through from hits.
		backend_count() { curl -s "http://127.0.0.1:$count_port/" | awk 'NR == 3 { print $3 }'; }
	else
		GOMAXPROCS=1 "${load_pin[@]}" "$work/origin" -listen "$(
			IFS=,
			echo "${backends[*]//http:\/\//}"
		)" -bytes "$BODY_BYTES" 2>"$work/backend.log" &
		pid[backend]=$!
		backend_count() { local n=0 p; for p in "${ports[@]}"; do n=$((n + $(curl -s "http://127.0.0.1:$p/_count"))); done; echo $n; }
	fi
	wait_http "${backends[0]}/readyz" "${pid[backend]}" "$work/backend.log"
	url[direct]=${backends[0]}

	printf 'round\ttool\treq_s\tp50_ms\tp99_ms\trequests\tbackend_requests\terrors\tcpu_us_per_req\n' >"$out/pass.tsv"
	local tools=(agora haproxy) r k t
	for r in $(seq 1 "$ROUNDS"); do
		k=$(((r - 1) % 2))
		local order=("${tools[@]:k}" "${tools[@]:0:k}" direct)
		echo "# pass-through round $r/$ROUNDS: ${order[*]}" >&2
		for t in "${order[@]}"; do
			if [ "$t" != direct ]; then
				start_proxy "$t" "${backends[@]}"
				wait_healthy "$t" 3
			fi
			# Warm-up: connections to the backends opened, slow start over
			# (the edge's 10 s window starts when a backend first passes).
			"${load_pin[@]}" wrk -t1 -c"$CONNS" -d2s "${url[$t]}/pass" >/dev/null
			[ "$t" = direct ] || wait_slow_start "$t"
			pass_run "$r" "$t"
			if [ "$PPROF" = 1 ] && [ "$t" = agora ] && [ "$r" = "$ROUNDS" ]; then
				"${load_pin[@]}" wrk -t1 -c"$CONNS" -d12s "${url[agora]}/pass" >/dev/null &
				pid[wrk]=$!
				curl -s -o "$out/edge-cpu.pprof" "http://127.0.0.1:$edge_admin/debug/pprof/profile?seconds=10"
				wait "${pid[wrk]}" || true
				unset "pid[wrk]"
				go tool pprof -top -nodecount=40 "$agora" "$out/edge-cpu.pprof" >"$out/edge-cpu-top.txt" 2>/dev/null || true
			fi
			[ "$t" = direct ] || stop proxy
		done
	done
	stop backend
}

# wait_slow_start NAME: the edge ramps a new backend's share up for 10 s; its
# pass-through rows are measured after that (HAProxy's slowstart only
# applies to servers that come back, not to the first start).
wait_slow_start() {
	case $1 in agora | agora-nocache) ;; *) return 0 ;; esac
	local deadline=$((SECONDS + 20))
	while curl -s "http://127.0.0.1:$edge_admin/_agora/status" | grep -q '"slow-start"'; do
		[ $SECONDS -lt $deadline ] || break
		sleep 0.2
	done
}

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# pass_run ROUND TOOL: one wrk run, checked, appended to pass.tsv. Besides
# wrk's figures it records the proxy's CPU time per request (from /proc),
# which other work on the machine skews far less than requests per second.
pass_run() {
	local r=$1 t=$2 f="$out/wrk/r$1-$2.txt" before after reqs errs o cpu0=0 cpu1=0 us=-
	before=$(backend_count)
	[ "$t" = direct ] || cpu0=$(cpu_ticks "${pid[proxy]}")
	"${load_pin[@]}" wrk -t1 -c"$CONNS" -d"$DURATION" --latency "${url[$t]}/pass" >"$f"
	[ "$t" = direct ] || cpu1=$(cpu_ticks "${pid[proxy]}")
	sleep 0.2
	after=$(backend_count)
	o=$((after - before))
	reqs=$(awk '/requests in/ { print $1 }' "$f")
	errs=$(awk '/Non-2xx|Socket errors/ { sub(/^ */, ""); printf "%s; ", $0 }' "$f")
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || die "$t: wrk completed no request: $(cat "$f")"
	[ "$t" = direct ] || us=$(awk -v c=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" -v n="$reqs" 'BEGIN { printf "%.1f", c / hz * 1e6 / n }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$t" \
		"$(awk '/Requests\/sec/ { print $2 }' "$f")" \
		"$(awk '$1 == "50%" { print $2 }' "$f" | to_ms)" \
		"$(awk '$1 == "99%" { print $2 }' "$f" | to_ms)" \
		"$reqs" "$o" "${errs:--}" "$us" >>"$out/pass.tsv"
	[ -z "$errs" ] || die "$t: $errs(see $f)"
	[ "$o" -ge $((reqs * 98 / 100)) ] || die "$t: the backends served $o of $reqs requests: not a pass-through"
	echo "#   $t: $(tail -1 "$out/pass.tsv" | cut -f3-7,9 | tr '\t' ' ')" >&2
}

pass_report() {
	local get
	get() { awk -F'\t' -v t="$1" -v c="$2" 'NR > 1 && $2 == t { print $c }' "$out/pass.tsv" | median; }
	echo
	echo "# pass-through: wrk -t1 -c$CONNS -d$DURATION to 3 backends ($BACKEND, $BODY_BYTES-byte no-store page), medians of $ROUNDS round(s)"
	echo "# PIN=$PIN: $([ "$PIN" = 1 ] && echo "proxy on CPU 1 with 1 thread; wrk and backends on CPU 0" || echo "nothing pinned; proxy with 2 threads; wrk and backends share both cores")"
	printf '%-8s %9s %8s %8s %12s\n' tool "req/s" "p50 ms" "p99 ms" "CPU µs/req"
	for t in agora haproxy direct; do
		printf '%-8s %9.0f %8.2f %8.2f %12s\n' "$t" "$(get "$t" 3)" "$(get "$t" 4)" "$(get "$t" 5)" "$([ "$t" = direct ] && echo - || get "$t" 9)"
	done
	awk -v a="$(get agora 3)" -v h="$(get haproxy 3)" -v ap="$(get agora 5)" -v hp="$(get haproxy 5)" \
		-v ac="$(get agora 9)" -v hc="$(get haproxy 9)" 'BEGIN {
		printf "agora/haproxy: %.2fx req/s (target >= 1.0x: %s); p99 %.2f vs %.2f ms; CPU per request %.2fx HAProxy'"'"'s\n",
			a / h, (a >= h ? "met" : "NOT met"), ap, hp, ac / hc }'
	echo "per round (req/s, p99 ms, proxy CPU µs per request):"
	awk -F'\t' 'NR > 1 { printf "  r%s %-8s %9.0f %8.2f %8s\n", $1, $2, $3, $5, $9 }' "$out/pass.tsv"
	echo "(direct: wrk to one backend alone, what the load side can do without a proxy)"
}

# --- part 2: faults -----------------------------------------------------------------
declare -a app_port=()
start_app() { # start_app I: `agora app` number I on its port
	local i=$1
	AGORA_CLUSTER_SECRET=$secret "$agora" app --db "$db" --media "$work/media" --listen "127.0.0.1:${app_port[$i]}" \
		--metrics-listen "" --access-log=false 2>>"$work/app$i.log" &
	pid[app$i]=$!
	wait_http "http://127.0.0.1:${app_port[$i]}/readyz" "${pid[app$i]}" "$work/app$i.log"
}

# fault_run PROXY FAULT: one loadtest through PROXY with FAULT, its totals
# appended to faults.tsv.
fault_run() {
	local proxy=$1 fault=$2 i dur=$fault_s backends=() d="$out/faults/$1-$2"
	[ "$fault" = rolling ] && dur=$((fault_s + 15))
	# Fresh apps for every run; the old ones (one maybe stopped) are killed.
	fresh_apps
	start_proxy "$proxy" "${backends[@]}"
	wait_healthy "$proxy" 3
	echo "#   $proxy $fault: ${RATE}/s for ${dur}s" >&2
	local t0=$SECONDS
	"$agora" loadtest --target "${url[$proxy]}" --rate "$RATE" --duration "${dur}s" --seed 7 --out "$d" \
		>"$d.txt" 2>"$d.err" &
	pid[loadtest]=$!
	case $fault in
	kill)
		sleep 10
		kill -KILL "${pid[app1]}"
		wait "${pid[app1]}" 2>/dev/null || true
		unset "pid[app1]"
		;;
	stop)
		sleep 10
		kill -STOP "${pid[app1]}"
		;;
	rolling)
		sleep 3
		for i in 0 1 2; do
			echo "#     restarting app $i at $((SECONDS - t0))s" >&2
			kill -TERM "${pid[app$i]}"
			wait "${pid[app$i]}" 2>/dev/null || true
			unset "pid[app$i]"
			start_app "$i"
			wait_healthy "$proxy" 3 20 || true
		done
		echo "#     rolling restart done at $((SECONDS - t0))s" >&2
		;;
	esac
	wait "${pid[loadtest]}" || true # exit 1 when a request failed
	unset "pid[loadtest]"
	stop proxy
	local totals
	totals=$(grep -m1 '^requests:' "$d.txt") || die "$proxy $fault: no summary from the load tool: $(tail -5 "$d.err")"
	# "requests: P planned, S sent (retries included): O ok, R refused, K skipped, F failed"
	read -r planned ok refused failed < <(sed -E 's/.* ([0-9]+) planned, .*: ([0-9]+) ok, ([0-9]+) refused, [0-9]+ skipped, ([0-9]+) failed.*/\1 \2 \3 \4/' <<<"$totals")
	local causes gets from=0 after
	case $fault in kill | stop) from=10 ;; rolling) from=3 ;; esac
	# Failures from the fault on (by when each request was sent, or planned
	# if it never was); the rest happened before it and were not its doing.
	after=$(awk -F, -v s="$from" 'NR > 1 && $10 == "failed" { t = ($7 != "" ? $7 : $6); if (t >= s) n++ } END { print n + 0 }' "$d/requests.csv")
	causes=$(grep -m1 '^failures by cause:' "$d.txt" | sed 's/^failures by cause: //' || true)
	# Failed GET/HEAD: every kind but cart and checkout (the POSTs).
	gets=$(awk '$1 ~ /^(home|category|product|search)$/ { n += $3 } END { print n + 0 }' "$d.txt")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$proxy" "$fault" "$planned" "$ok" "$refused" "$failed" "$gets" "${causes:--}" "$after" >>"$out/faults.tsv"
	echo "#     $planned planned, $ok ok, $refused refused, $failed failed ($gets GET, $after from second $from); ${causes:-no failures}" >&2
}

# apps_setup: the ports and the seeded schema of the fault and saturate
# parts, once.
apps_setup() {
	[ -n "$schema" ] && return
	local i
	for i in 0 1 2; do app_port[$i]=$(free_port); done
	schema="bench_lb_$$"
	psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
	db="${PG}&search_path=$schema"
	echo "# seeding a small catalog into schema $schema" >&2
	"$agora" seed --db "$db" --media "$work/media" --products 200 --categories 10 --quiet >"$work/seed.log"
}

# fresh_apps: three new app processes on their ports (the old ones killed:
# nothing is in flight between runs).
fresh_apps() {
	local i
	backends=()
	for i in 0 1 2; do
		if [ -n "${pid[app$i]:-}" ]; then
			kill -KILL "${pid[app$i]}" 2>/dev/null || true
			wait "${pid[app$i]}" 2>/dev/null || true
			unset "pid[app$i]"
		fi
		start_app "$i"
		backends+=("http://127.0.0.1:${app_port[$i]}")
	done
}

# saturate: issue 10's kill under saturating load. wrk (-c64, SAT_DURATION)
# on the uncached home page through the uncached edge and through HAProxy;
# kill -9 of one app a third of the way in; wrk's non-2xx answers and
# socket errors are the failures.
saturate() {
	apps_setup
	printf 'proxy\trequests\treq_per_s\tnon_2xx\tsocket_errors\n' >"$out/saturate.tsv"
	local p f n non2xx sockerr rps
	for p in agora-nocache haproxy; do
		fresh_apps
		start_proxy "$p" "${backends[@]}"
		wait_healthy "$p" 3
		f="$out/saturate-$p.txt"
		echo "#   saturate $p: wrk -c64 for $SAT_DURATION, kill -9 of an app at a third" >&2
		"${load_pin[@]}" wrk -t1 -c64 -d"$SAT_DURATION" --latency "${url[$p]}/" >"$f" &
		local w=$!
		sleep "$((${SAT_DURATION%s} / 3))"
		kill -KILL "${pid[app1]}"
		wait "${pid[app1]}" 2>/dev/null || true
		unset "pid[app1]"
		wait "$w"
		stop proxy
		n=$(awk '/requests in/ { print $1 }' "$f")
		rps=$(awk '/^Requests\/sec/ { print $2 }' "$f")
		non2xx=$(awk '/Non-2xx or 3xx responses/ { print $NF }' "$f")
		sockerr=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$f")
		printf '%s\t%s\t%s\t%s\t%s\n' "$p" "$n" "$rps" "${non2xx:-0}" "${sockerr:-0}" >>"$out/saturate.tsv"
		echo "#     $n requests ($rps/s): ${non2xx:-0} non-2xx, ${sockerr:-0} socket errors" >&2
	done
}

saturate_report() {
	echo
	echo "# saturate: wrk -t1 -c64 -d$SAT_DURATION on the uncached home page, kill -9 of one of 3 apps at a third; failures = non-2xx + socket errors"
	column -t -s $'\t' "$out/saturate.tsv"
}

faults() {
	apps_setup
	printf 'proxy\tfault\tplanned\tok\trefused\tfailed\tfailed_get\tcauses\tfailed_from_fault\n' >"$out/faults.tsv"
	local f p
	for f in $FAULTS; do
		echo "# fault: $f" >&2
		for p in $PROXIES; do fault_run "$p" "$f"; done
	done
	for i in 0 1 2; do stop "app$i"; done
}

faults_report() {
	echo
	echo "# faults: agora loadtest --rate $RATE (open loop, default shopper mix) for ${fault_s}s (rolling $((fault_s + 15))s) through each proxy; 3 agora app on PostgreSQL"
	echo "# failed requests (of which GET/HEAD) [from the fault on] / planned; refused (4xx the shop meant, such as out of stock) are not failures"
	printf '%-9s' fault
	for p in $PROXIES; do printf ' %-28s' "$p"; done
	echo
	for f in $FAULTS; do
		printf '%-9s' "$f"
		for p in $PROXIES; do
			printf ' %-28s' "$(awk -F'\t' -v p="$p" -v f="$f" '$1 == p && $2 == f { printf "%d (%d GET) [%d] / %d", $6, $7, $9, $3 }' "$out/faults.tsv")"
		done
		echo
	done
	echo "failures by cause:"
	awk -F'\t' 'NR > 1 && $6 > 0 { printf "  %-14s %-8s %s\n", $1, $2, $8 }' "$out/faults.tsv"
}

{
	echo "# agora $rev; HAProxy $haproxy_version; $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }' || true); $(nproc) CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"
	# Other work on the machine skews every figure: its load when the run began.
	echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out/notes.txt"
case " $PARTS " in *" pass "*) pass_through ;; esac
case " $PARTS " in *" faults "*) faults ;; esac
case " $PARTS " in *" saturate "*) saturate ;; esac
{
	cat "$out/notes.txt"
	echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	case " $PARTS " in *" pass "*) pass_report ;; esac
	case " $PARTS " in *" faults "*) faults_report ;; esac
	case " $PARTS " in *" saturate "*) saturate_report ;; esac
	[ -f "$out/edge-cpu-top.txt" ] && { echo; echo "edge CPU profile: $out/edge-cpu.pprof (top: $out/edge-cpu-top.txt)"; }
	echo
	echo "raw results: $out"
} | tee "$out/summary.txt"
