#!/usr/bin/env bash
# bench/tls.sh — cache hits over TLS: `agora edge --tls-cert` against nginx
# with TLS and proxy_cache, in front of the same origin (`agora app` on a
# seeded SQLite store), same certificate (ECDSA P-256, made here with
# openssl), same cipher (TLS 1.3, TLS_AES_128_GCM_SHA256: Go's choice with
# AES hardware, imposed on nginx with ssl_conf_command), keep-alive.
#
# Usage: bench/tls.sh [--help]
#
#   bench/tls.sh                          3 alternating rounds of 10 s runs
#   ROUNDS=1 DURATION=3 bench/tls.sh      a quick check that everything works
#   PPROF=1 bench/tls.sh                  also 10 s CPU profiles of the edge
#                                         under h1 and h2 hit load (last round)
#
# Environment:
#   ROUNDS=3      rounds; the order of the two alternates; medians reported
#   DURATION=10   seconds per run
#   CONNS=64      connections (wrk -t1 -cCONNS; h2load -t1 -cCONNS)
#   STREAMS=10    h2load concurrent streams per connection (-m)
#   PAGES=500     product pages in the URL set (seeded pages, 5-10 KB)
#   OUT_DIR=…     raw results (default: a new ${TMPDIR:-/tmp}/agora-bench-tls.XXXX)
#   AGORA_REV=…   build this commit instead of the working tree
#
# Rows (every URL warmed and checked to be a hit first, identity coding):
#   h1   wrk over https (ALPN http/1.1), a random URL per request; p99 from
#        wrk --latency
#   h2   h2load over https (ALPN h2), the URL list in turn (-i); p99 from
#        its per-request log (--log-file)
# Installs wrk, nginx and nghttp2-client (h2load) with apt-get when missing.
# The load generator shares the machine's cores with the server: note the
# machine's load (printed) beside any number taken from here.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh

case "${1:-}" in
-h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
"") ;;
*) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
STREAMS=${STREAMS:-10}
PAGES=${PAGES:-500}
PPROF=${PPROF:-0}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v openssl >/dev/null || need+=(openssl)
apt_install "${need[@]}"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-work.XXXXXX")
if [ -d /dev/shm ] && [ -w /dev/shm ]; then mem=$(mktemp -d /dev/shm/agora-bench.XXXXXX); else mem=$work/mem; mkdir -p "$mem"; fi
chmod 755 "$work" "$mem"
out=${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-tls.XXXXXX")}
mkdir -p "$out/runs"
declare -A pid=()
app_pid="" bg=""
cleanup() {
	set +e
	for t in "${!pid[@]}"; do stop_pid "${pid[$t]}"; done
	stop_pid "$bg"
	stop_pid "$app_pid"
	rm -rf "$work" "$mem"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

source_tree "$work/src"
echo "# building agora ($rev)" >&2
(cd "$work/src" && go build -o "$work/agora" ./cmd/agora)
agora=$work/agora

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
	-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null

db="sqlite:$work/agora.db"
echo "# seeding $PAGES products" >&2
"$agora" seed --db "$db" --media "$work/media" --products "$PAGES" --quiet >"$work/seed.log"
app_port=$(free_port)
app="http://127.0.0.1:$app_port"
"$agora" app --db "$db" --media "$work/media" --listen "127.0.0.1:$app_port" --metrics-listen "" \
	--public-url https://shop.example --access-log=false --drain-delay 0s 2>"$work/app.log" &
app_pid=$!
wait_http "$app/" "$app_pid" "$work/app.log"
curl -s "$app/api/v1/products?per_page=100&page=1" >/dev/null
python3 - "$app" "$PAGES" >"$work/paths.txt" <<'PY'
import json, sys, urllib.request
base, n = sys.argv[1], int(sys.argv[2])
paths, page = [], 1
while len(paths) < n:
    d = json.load(urllib.request.urlopen(f"{base}/api/v1/products?per_page=100&page={page}"))
    if not d["items"]: break
    paths += ["/products/" + p["slug"] for p in d["items"]]
    page += 1
print("\n".join(paths[:n]))
PY
npaths=$(wc -l <"$work/paths.txt")

edge_port=$(free_port); edge_admin=$(free_port); nginx_port=$(free_port)
edge="https://127.0.0.1:$edge_port"
nginx="https://127.0.0.1:$nginx_port"
cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx-error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $mem/nginx-tmp/body;
	proxy_temp_path $mem/nginx-tmp/proxy;
	fastcgi_temp_path $mem/nginx-tmp/fcgi;
	uwsgi_temp_path $mem/nginx-tmp/uwsgi;
	scgi_temp_path $mem/nginx-tmp/scgi;
	proxy_cache_path $mem/nginx-cache levels=1:2 keys_zone=edge:32m max_size=512m inactive=1h use_temp_path=off;
	upstream app { server 127.0.0.1:$app_port; keepalive 64; }
	server {
		listen 127.0.0.1:$nginx_port ssl http2;
		ssl_certificate $work/cert.pem;
		ssl_certificate_key $work/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_conf_command Ciphersuites TLS_AES_128_GCM_SHA256;
		ssl_session_cache shared:SSL:10m;
		keepalive_requests 1000000;
		add_header Strict-Transport-Security "max-age=31536000" always;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_set_header X-Forwarded-Proto https;
			proxy_cache edge;
			proxy_hide_header Surrogate-Key;
			add_header X-Cache-Status \$upstream_cache_status always;
		}
	}
}
NGINX
cp "$work/nginx.conf" "$out/"

start() {
	case $1 in
	edge)
		"$agora" edge --backends "$app" --listen "127.0.0.1:$edge_port" --admin-listen "127.0.0.1:$edge_admin" \
			--tls-cert "$work/cert.pem" --tls-key "$work/key.pem" --cache-size 512MiB 2>"$work/edge.log" &
		pid[edge]=$!
		wait_http_tls "$edge/" "${pid[edge]}" "$work/edge.log"
		;;
	nginx)
		rm -rf "$mem/nginx-cache" "$mem/nginx-tmp"; mkdir -p "$mem/nginx-cache" "$mem/nginx-tmp" "$work/nginx-prefix"
		"$nginx_bin" -c "$work/nginx.conf" -p "$work/nginx-prefix" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
		pid[nginx]=$!
		wait_http_tls "$nginx/" "${pid[nginx]}" "$work/nginx.log"
		;;
	esac
}
wait_http_tls() {
	for _ in $(seq 600); do
		[ "$(curl -sk -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	tail -20 "$3" >&2
	die "$1 did not come up"
}
stop() { stop_pid "${pid[$1]:-}"; unset "pid[$1]"; }

declare -A hdr=([edge]=cache-status [nginx]=x-cache-status)
declare -A hitre=([edge]='agora; hit' [nginx]=' HIT$')
# warm TOOL: every URL fetched twice (h1, then h2), the second must be a hit.
warm() {
	local t=$1 base=${!1}
	awk -v b="$base" '{ print "url = \"" b $0 "\""; print "output = \"/dev/null\"" }' "$work/paths.txt" >"$work/warm-$t.cfg"
	curl -sk --http1.1 -K "$work/warm-$t.cfg"
	awk -v b="$base" -v h="${hdr[$t]}" '{ print "url = \"" b $0 "\""; print "output = \"/dev/null\""
		print "write-out = \"%{http_code} %{http_version} %header{" h "}\\n\"" }' "$work/paths.txt" >"$work/check-$t.cfg"
	bad=$(curl -sk --http2 -K "$work/check-$t.cfg" | awk -v re="${hitre[$t]}" '$1 != 200 || $2 != 2 || $0 !~ re { n++; ex = $0 } END { if (n) print n " not h2 hits, e.g. " ex }')
	[ -z "$bad" ] || die "$t: $bad"
}

cat >"$work/hit.lua" <<'LUA'
local paths = {}
init = function(args) for line in io.lines(args[1]) do paths[#paths + 1] = line end end
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
LUA

printf 'round\trow\ttool\treq_s\tp50_ms\tp99_ms\trequests\terrors\tload1\n' >"$out/results.tsv"
run() { # run ROUND ROW TOOL
	local r=$1 row=$2 t=$3 base=${!3} f load rps p50 p99 reqs errs
	f="$out/runs/r$r-$row-$t.txt"
	load=$(cut -d' ' -f1 /proc/loadavg)
	case $row in
	h1)
		wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s "$work/hit.lua" "$base" -- "$work/paths.txt" >"$f"
		rps=$(awk '/Requests\/sec/ { print $2 }' "$f")
		p50=$(awk '$1 == "50%" { print $2 }' "$f" | to_ms)
		p99=$(awk '$1 == "99%" { print $2 }' "$f" | to_ms)
		reqs=$(awk '/requests in/ { print $1 }' "$f")
		errs=$(awk '/Non-2xx|Socket errors/ { sub(/^ */, ""); printf "%s; ", $0 }' "$f")
		;;
	h2)
		sed "s#^#$base#" "$work/paths.txt" >"$work/uris.txt"
		h2load -t1 -c"$CONNS" -m"$STREAMS" -D"$DURATION" --log-file="$f.log" -i "$work/uris.txt" >"$f"
		rps=$(awk '/^finished in/ { gsub(/,/, ""); print $4 }' "$f")
		reqs=$(awk '/^requests:/ { print $8 }' "$f")
		errs=$(awk '/^requests:/ && ($10 + $12 > 0) { print $10 " failed, " $12 " errored" } /^status codes:/ && $5 + $7 + $9 > 0 { print "non-2xx: " $0 }' "$f")
		# The log: start time, status, duration (µs) per request.
		read -r p50 p99 < <(awk '{ print $3 }' "$f.log" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f %.3f\n", a[int(NR * 0.5)] / 1000, a[int(NR * 0.99)] / 1000 }')
		rm -f "$f.log"
		;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$row" "$t" "$rps" "$p50" "$p99" "$reqs" "${errs:--}" "$load" >>"$out/results.tsv"
	[ -z "$errs" ] || die "$t $row: $errs (see $f)"
	echo "#   $row $t: $rps req/s, p50 $p50 ms, p99 $p99 ms (load $load)" >&2
}

tools=(edge nginx)
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) = 1 ]; then order=(edge nginx); else order=(nginx edge); fi
	echo "# round $r/$ROUNDS: ${order[*]}" >&2
	for t in "${order[@]}"; do start "$t"; warm "$t"; done
	for row in h1 h2; do for t in "${order[@]}"; do run "$r" "$row" "$t"; done; done
	if [ "$PPROF" = 1 ] && [ "$r" = "$ROUNDS" ]; then
		for row in h1 h2; do
			if [ $row = h1 ]; then
				wrk -t1 -c"$CONNS" -d12s -s "$work/hit.lua" "$edge" -- "$work/paths.txt" >/dev/null &
			else
				sed "s#^#$edge#" "$work/paths.txt" >"$work/uris.txt"
				h2load -t1 -c"$CONNS" -m"$STREAMS" -D12 -i "$work/uris.txt" >/dev/null &
			fi
			bg=$!
			curl -s -o "$out/edge-$row-cpu.pprof" "http://127.0.0.1:$edge_admin/debug/pprof/profile?seconds=10"
			wait "$bg" || true
			bg=""
		done
		cp "$agora" "$out/agora"
	fi
	for t in "${order[@]}"; do stop "$t"; done
done

get() { awk -F'\t' -v row="$1" -v t="$2" -v c="$3" 'NR > 1 && $2 == row && $3 == t { print $c }' "$out/results.tsv" | median; }
{
	echo
	echo "# agora $rev; $("$nginx_bin" -v 2>&1 | grep -o 'nginx/[0-9.]*'); $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }'); $(h2load --version | head -1)"
	echo "# $npaths seeded product pages, identity; TLS 1.3 TLS_AES_128_GCM_SHA256, ECDSA P-256; $CONNS connections, h2 $STREAMS streams each"
	echo "# $(nproc) CPUs, load generator on the same machine; load average at each run start in results.tsv"
	echo "# medians of $ROUNDS round(s) of ${DURATION}s; latency in ms"
	printf '%-4s %-6s %9s %8s %8s   %s\n' row tool "req/s" p50 p99 "agora/nginx"
	for row in h1 h2; do
		ae=$(get "$row" edge 4)
		for t in edge nginx; do
			rps=$(get "$row" "$t" 4)
			ratio=""; [ "$t" = nginx ] && ratio=$(awk -v a="$ae" -v b="$rps" 'BEGIN { printf "%.2fx", a / b }')
			printf '%-4s %-6s %9.0f %8.2f %8.2f   %s\n' "$row" "$([ "$t" = edge ] && echo agora || echo nginx)" "$rps" "$(get "$row" "$t" 5)" "$(get "$row" "$t" 6)" "$ratio"
		done
	done
	echo "raw results: $out/results.tsv"
} | tee "$out/summary.txt"
