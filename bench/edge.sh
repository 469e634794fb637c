#!/usr/bin/env bash
# bench/edge.sh — `agora edge` against the anchors of issue 5: Varnish 7.1 and
# nginx 1.22 proxy_cache, in front of the same origin (`agora app` on a
# seeded SQLite store) and the same URL set (1,000 product pages of ~20 KB).
#
# Usage: bench/edge.sh [--help]
#
#   bench/edge.sh                         3 alternating rounds of 10 s runs
#   ROUNDS=1 DURATION=3s bench/edge.sh    a quick check that everything works
#   AGORA_REV=HEAD bench/edge.sh          measure a commit, not the working tree
#   PPROF=1 bench/edge.sh                 also a 10 s CPU profile of the edge
#                                         under hit load (last round)
#
# Environment:
#   ROUNDS=3         rounds; every round runs every tool on every row, in an
#                    order rotated from round to round; the table shows medians
#   DURATION=10s     length of each wrk run (at most 40s: see "Hits" below)
#   CONNS=64         wrk connections (always one wrk thread: wrk -t1 -cCONNS)
#   PAGES=1000       product pages in the URL set (the store is seeded with
#                    exactly this many products)
#   PAGE_BYTES=20480 the identity size the product pages are brought to
#   CACHE_MB=512     cache size of each of the three (edge --cache-size,
#                    Varnish -s malloc, nginx proxy_cache_path max_size)
#   NGINX_GZIP=cache how nginx serves gzip: "cache" (default) stores gzip
#                    bodies, compressed once (level 6) by a gzip stage between
#                    the cache and the app, in their own cache entries;
#                    "dynamic" is the one-layer config (gzip on, level 1,
#                    compressing the stored identity body on every hit)
#   OUT_DIR=…        where the raw results go (default: a new directory
#                    ${TMPDIR:-/tmp}/agora-bench-edge.XXXX, printed at the end)
#   AGORA_REV=…      build this commit (git archive) instead of the working tree
#   RATE=0           > 0: also a fixed-rate gzip hit row, RATE requests/s
#                    from vegeta (go install'ed when missing) for DURATION,
#                    at most CONNS connections: tails compared at one load
#                    that every proxy sustains, not at each one's saturation,
#                    where the load generator's own delays count too
#   PIN=0            1: run each proxy on CPU 1 only and wrk on CPU 0 only
#                    (taskset; nginx with one worker, the edge's Go runtime
#                    then uses one thread). On a 2-core machine the load
#                    generator otherwise competes with the proxy for both
#                    cores, and the tail latency measures that contention as
#                    much as the proxy. Needs 2 CPUs or more.
#
# What it does:
#   1. Installs varnish, nginx and wrk with apt-get when missing (apt-get update
#      first; needs root; services are kept from starting with a temporary
#      policy-rc.d). Builds agora from the working tree (or AGORA_REV) into a
#      temp dir with go build.
#   2. Seeds a SQLite store with PAGES products (`agora seed --products`).
#      Seeded product pages are 5-10 KB, so the script lengthens each
#      product's description through the admin JSON API (an API key of a
#      staff user it creates; bench/edge/pad.py) until its identity page is
#      PAGE_BYTES ±1%: the seeded text is kept and followed by sentences drawn
#      from the words of the store's own descriptions, so the pages compress
#      like product copy (about 4:1 with gzip), not like a repeated string.
#      The page size distribution is printed.
#   3. Runs the app (--public-url fixed, so every proxy gets identical pages)
#      and, per round, starts fresh instances of the edge, Varnish and nginx
#      on loopback ports with their own configuration in a temp dir (no system
#      service, nothing left running: a trap stops them on exit).
#   4. Rows, each `wrk -t1 -cCONNS -dDURATION --latency` with a random URL of
#      the set per request:
#        hit/identity  caches warmed first: every URL fetched once through
#                      each tool, then every URL checked to be a hit (each
#                      tool's cache-status header), and the run fails if one
#                      is not; after the run, the app must have received no
#                      request (its Prometheus counter), else it fails
#        hit/gzip      the same with Accept-Encoding: gzip (warmed and checked
#                      with it; every response must be Content-Encoding: gzip)
#        miss          pass-through: each request has a unique ?nb=N query, so
#                      no cache can answer it (checked: the app must receive
#                      at least as many requests as wrk completed); the app
#                      hit directly with the same URLs is the baseline
#   5. Prints a table of medians: req/s, p50, p99, Agora/nginx and
#      Agora/Varnish throughput ratios and the p99 comparison on the hit rows,
#      and each tool against the app on the miss row. Raw results (one line
#      per run, each wrk output, the configs, the page sizes) go to OUT_DIR.
#
# Anchor configurations, kept to what an operator would write, made equal
# where it matters: same cache size, nothing logged to disk (nginx
# access_log off; Varnish's shared-memory log and nginx's cache files on
# tmpfs when /dev/shm exists), keep-alive to the origin for all three.
#   Origin: product pages are `Cache-Control: public, max-age=0,
#     s-maxage=300, …`, identity only, no Vary (the app never compresses).
#   Varnish: honours s-maxage (its default), hashes GET/HEAD whether or not
#     the request carries cookies (like Agora: cookies are not in the key),
#     keeps the built-in refusal to store responses with Set-Cookie, gzips
#     text/html once when storing (do_gzip, gzip_level 6) and gunzips for
#     identity clients (Varnish's standard gzip support).
#   nginx: proxy_cache with the validity from the origin's Cache-Control,
#     upstream keepalive. With NGINX_GZIP=cache, requests that accept gzip
#     are keyed apart (normalized Accept-Encoding in proxy_cache_key) and
#     fetched through a second nginx server that gzips (level 6, gzip_vary),
#     so the cache stores the gzip body with its Vary and serves it as is;
#     identity requests go straight to the app.
#   Agora edge: started as it is today, `agora edge --listen --admin-listen
#     --backends --cache-size`, nothing tuned (it compresses once per stored
#     object).
#   All three strip Surrogate-Key.
#
# Hits: the origin's pages live s-maxage=300 s, and the three are restarted
# and re-warmed each round, so the hit rows of a round (6 runs) must end
# within that; DURATION is limited to 40s.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
. bench/lib.sh
repo=$PWD

case "${1:-}" in
-h | --help | help)
	sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
	exit 0
	;;
"") ;;
*) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PAGES=${PAGES:-1000}
PAGE_BYTES=${PAGE_BYTES:-20480}
CACHE_MB=${CACHE_MB:-512}
NGINX_GZIP=${NGINX_GZIP:-cache}
PPROF=${PPROF:-0}
PIN=${PIN:-0}
RATE=${RATE:-0}
case $RATE in *[!0-9]*) echo "bench: RATE=$RATE: want requests per second" >&2; exit 2 ;; esac
vegeta=""
if [ "$RATE" -gt 0 ]; then
	vegeta=$(command -v vegeta || echo "$(go env GOPATH)/bin/vegeta")
	[ -x "$vegeta" ] || go install github.com/tsenart/vegeta/v12@v12.13.0 ||
		{ echo "bench: RATE needs vegeta: go install github.com/tsenart/vegeta/v12@v12.13.0 failed" >&2; exit 1; }
fi
srv_pin=() wrk_pin=() nginx_workers=auto
if [ "$PIN" = 1 ]; then
	[ "$(nproc)" -ge 2 ] || { echo "bench: PIN=1 needs at least 2 CPUs" >&2; exit 2; }
	command -v taskset >/dev/null || { echo "bench: PIN=1 needs taskset (util-linux)" >&2; exit 2; }
	srv_pin=(taskset -c 1) wrk_pin=(taskset -c 0) nginx_workers=1
fi

dur_s=$(awk -v d="$DURATION" 'BEGIN { v = d + 0; if (d ~ /m$/) v *= 60; else if (d ~ /h$/) v *= 3600; print v }')
if awk -v s="$dur_s" 'BEGIN { exit !(s <= 0 || s > 40) }'; then
	echo "bench: DURATION=$DURATION: must be more than 0 and at most 40s (see --help)" >&2
	exit 2
fi
case $NGINX_GZIP in cache | dynamic) ;; *) echo "bench: NGINX_GZIP must be cache or dynamic" >&2; exit 2 ;; esac

# --- tools ---------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v varnishd >/dev/null || [ -x /usr/sbin/varnishd ] || need+=(varnish)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx)
command -v python3 >/dev/null || need+=(python3)
apt_install "${need[@]}"
varnishd_bin=$(command -v varnishd || echo /usr/sbin/varnishd)
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
varnish_version=$("$varnishd_bin" -V 2>&1 | grep -o 'varnish-[0-9.]*' | head -1)
nginx_version=$("$nginx_bin" -v 2>&1 | grep -o 'nginx/[0-9.]*')
wrk_version=$(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }' || true)
case $varnish_version in varnish-7.1*) ;; *) echo "bench: warning: $varnish_version, the issue asks for Varnish 7.1" >&2 ;; esac
case $nginx_version in nginx/1.22*) ;; *) echo "bench: warning: $nginx_version, the issue asks for nginx 1.22" >&2 ;; esac

# --- directories, cleanup --------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-work.XXXXXX")
if [ -d /dev/shm ] && [ -w /dev/shm ]; then mem=$(mktemp -d /dev/shm/agora-bench.XXXXXX); else mem=$work/mem; mkdir -p "$mem"; fi
chmod 755 "$work" "$mem" # nginx workers (nobody when run as root) write the cache
out=${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-edge.XXXXXX")}
mkdir -p "$out/wrk"

declare -A pid=()
app_pid=""
cleanup() {
	set +e
	for t in "${!pid[@]}"; do stop_pid "${pid[$t]}"; done
	[ -n "${wrk_bg:-}" ] && stop_pid "$wrk_bg"
	stop_pid "$app_pid"
	rm -rf "$work" "$mem"
}
trap cleanup EXIT
trap 'exit 130' INT TERM


# --- build -----------------------------------------------------------------
source_tree "$work/src"
echo "# building agora ($rev)" >&2
(cd "$work/src" && go build -o "$work/agora" ./cmd/agora)
agora="$work/agora"
edge_bin="$agora"

# --- origin ------------------------------------------------------------------
db="sqlite:$work/agora.db"
echo "# seeding $PAGES products" >&2
"$agora" seed --db "$db" --media "$work/media" --products "$PAGES" --quiet >"$work/seed.log"
"$agora" user create --db "$db" --email bench@example.com --name Bench --role manager >/dev/null 2>>"$work/seed.log"
key=$("$agora" apikey create --db "$db" --email bench@example.com --name bench 2>>"$work/seed.log")

app_port=$(free_port)
metrics_port=$(free_port)
app="http://127.0.0.1:$app_port"
"$agora" app --db "$db" --media "$work/media" --listen "127.0.0.1:$app_port" \
	--metrics-listen "127.0.0.1:$metrics_port" --public-url http://shop.example \
	--access-log=false --drain-delay 0s 2>"$work/app.log" &
app_pid=$!
wait_http "$app/" "$app_pid" "$work/app.log"
origin_count() { curl -s "http://127.0.0.1:$metrics_port/metrics" | awk '/^agora_http_requests_total/ { s += $NF } END { printf "%d", s }'; }

echo "# bringing $PAGES product pages to ~$PAGE_BYTES bytes (admin API)" >&2
sizes=$(python3 bench/edge/pad.py "$app" "$key" "$PAGE_BYTES" "$PAGES" "$work/paths.txt")
cp "$work/paths.txt" "$out/paths.txt"
npaths=$(wc -l <"$work/paths.txt")
sample=$(head -1 "$work/paths.txt")
origin_headers=$(curl -s -D- -o /dev/null -H 'Accept-Encoding: gzip' "$app$sample" | tr -d '\r' |
	grep -iE '^(cache-control|content-encoding|vary|content-length):' | tr '\n' ' ')
smaxage=$(grep -o 's-maxage=[0-9]*' <<<"$origin_headers" | cut -d= -f2)
awk -v s="$dur_s" -v m="${smaxage:-0}" 'BEGIN { exit !(6 * (s + 1) + 30 > m) }' &&
	die "pages live s-maxage=${smaxage:-?}s at the origin: too short for six ${DURATION} hit runs per round"

# --- the three caches ---------------------------------------------------------
edge_port=$(free_port); edge_admin_port=$(free_port)
varnish_port=$(free_port); nginx_port=$(free_port); nginx_gz_port=$(free_port)
edge="http://127.0.0.1:$edge_port"
varnish="http://127.0.0.1:$varnish_port"
nginx="http://127.0.0.1:$nginx_port"

cat >"$work/default.vcl" <<VCL
vcl 4.1;
backend app { .host = "127.0.0.1"; .port = "$app_port"; }
sub vcl_recv {
	# Like Agora: cookies are not part of the key and do not prevent a
	# lookup; Authorization and unsafe methods still pass (built-in rules).
	if ((req.method == "GET" || req.method == "HEAD") && !req.http.Authorization) {
		return (hash);
	}
}
sub vcl_backend_response {
	# TTL from s-maxage is Varnish's default; Set-Cookie still makes the
	# object uncacheable through the built-in vcl_backend_response.
	if (beresp.http.Content-Type ~ "text/html") { set beresp.do_gzip = true; }
}
sub vcl_deliver {
	unset resp.http.Surrogate-Key;
	if (obj.hits > 0) { set resp.http.X-Cache = "HIT"; } else { set resp.http.X-Cache = "MISS"; }
}
VCL

if [ "$NGINX_GZIP" = cache ]; then
	nginx_gzip="
	# Requests that accept gzip are keyed apart and fetched through the gzip
	# stage below, so the cache holds the compressed body (with its Vary).
	map \$http_accept_encoding \$ae { ~*gzip gzip; default \"\"; }
	map \$ae \$be { gzip gz; default app; }
	upstream gz { server 127.0.0.1:$nginx_gz_port; keepalive 64; }
	server {
		listen 127.0.0.1:$nginx_gz_port;
		gzip on; gzip_types text/html; gzip_comp_level 6; gzip_proxied any; gzip_vary on;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection \"\";
			proxy_set_header Host \$host;
		}
	}"
	nginx_key='proxy_cache_key $scheme$host$request_uri$ae; proxy_set_header Accept-Encoding $ae; proxy_pass http://$be;'
else
	nginx_gzip="
	gzip on; gzip_types text/html;"
	nginx_key='proxy_pass http://app;'
fi
cat >"$work/nginx.conf" <<NGINX
worker_processes $nginx_workers;
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
	proxy_cache_path $mem/nginx-cache levels=1:2 keys_zone=edge:32m max_size=${CACHE_MB}m inactive=1h use_temp_path=off;
	upstream app { server 127.0.0.1:$app_port; keepalive 64; }
$nginx_gzip
	server {
		listen 127.0.0.1:$nginx_port;
		location / {
			$nginx_key
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_cache edge;
			proxy_hide_header Surrogate-Key;
			add_header X-Cache-Status \$upstream_cache_status always;
		}
	}
}
NGINX
cp "$work/default.vcl" "$work/nginx.conf" "$out/"

start() { # start TOOL: a fresh instance with an empty cache
	case $1 in
	edge)
		"${srv_pin[@]}" "$edge_bin" edge --backends "$app" --listen "127.0.0.1:$edge_port" \
			--admin-listen "127.0.0.1:$edge_admin_port" --cache-size "${CACHE_MB}MiB" 2>"$work/edge.log" &
		pid[edge]=$!
		wait_http "$edge/" "${pid[edge]}" "$work/edge.log"
		;;
	varnish)
		rm -rf "$mem/varnish"; mkdir -p "$mem/varnish"
		"${srv_pin[@]}" "$varnishd_bin" -F -j none -n "$mem/varnish" -a "127.0.0.1:$varnish_port" -T none \
			-f "$work/default.vcl" -s "malloc,${CACHE_MB}m" -p gzip_level=6 >"$work/varnish.log" 2>&1 &
		pid[varnish]=$!
		wait_http "$varnish/" "${pid[varnish]}" "$work/varnish.log"
		;;
	nginx)
		rm -rf "$mem/nginx-cache" "$mem/nginx-tmp"; mkdir -p "$mem/nginx-cache" "$mem/nginx-tmp" "$work/nginx-prefix"
		"${srv_pin[@]}" "$nginx_bin" -c "$work/nginx.conf" -p "$work/nginx-prefix" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
		pid[nginx]=$!
		wait_http "$nginx/" "${pid[nginx]}" "$work/nginx.log"
		;;
	esac
}
stop() { stop_pid "${pid[$1]:-}"; unset "pid[$1]"; }

# The cache-status header of each, and what a hit looks like in it.
declare -A hdr=([edge]=cache-status [varnish]=x-cache [nginx]=x-cache-status)
declare -A hitre=([edge]='(^|[;,] *)hit' [varnish]='^HIT$' [nginx]='^HIT$')

# fetch_all BASE [HEADER]: every path once over one connection; prints
# "code content-encoding size cache-status" per path.
fetch_all() {
	local tool=$1 base=$2 ae=${3:-}
	awk -v b="$base" -v h="${hdr[$tool]:-x-none}" '{
		print "url = \"" b $0 "\""; print "output = \"/dev/null\""
		print "write-out = \"%{http_code}\\t%header{content-encoding}\\t%{size_download}\\t%header{" h "}\\n\"" }' \
		"$work/paths.txt" >"$work/curl-$tool.cfg"
	if [ -n "$ae" ]; then curl -s -K "$work/curl-$tool.cfg" -H "Accept-Encoding: $ae"; else curl -s -K "$work/curl-$tool.cfg"; fi
}
# check_hits TOOL ENC: every path must be a 200 hit in the right coding.
check_hits() {
	local tool=$1 enc=$2 base=${!1} bad
	bad=$(fetch_all "$tool" "$base" "$([ "$enc" = gzip ] && echo gzip)" | awk -F'\t' -v re="${hitre[$tool]}" -v enc="$enc" '
		{ ce = ($2 == "gzip") ? "gzip" : "identity" }
		$1 != 200 || ce != enc || $4 !~ re { n++; if (!ex) ex = $0 }
		END { if (n) printf "%d of %d not a %s hit (e.g. code/encoding/bytes/status: %s)", n, NR, enc, ex }')
	[ -z "$bad" ] || die "$tool: $bad; the hit rows would not measure hits"
}
warm() { # warm TOOL: both codings stored, then checked
	fetch_all "$1" "${!1}" >/dev/null
	fetch_all "$1" "${!1}" gzip >/dev/null
	check_hits "$1" identity
	check_hits "$1" gzip
}

# Page sizes as served, and each one's hit/coding headers (from round 1).
describe() {
	{
		echo "# agora $rev; $varnish_version, $nginx_version, $wrk_version; NGINX_GZIP=$NGINX_GZIP; PIN=$PIN; cache ${CACHE_MB} MiB each"
		echo "# $npaths product pages; identity bytes at the app: $sizes (target $PAGE_BYTES)"
		echo "# origin ($sample, asked for gzip): $origin_headers"
		for t in edge varnish nginx; do
			g=$(fetch_all "$t" "${!t}" gzip | cut -f3 | sort -n | awk '{ a[NR] = $1 } END { printf "min %d, median %d, max %d", a[1], a[int((NR + 1) / 2)], a[NR] }')
			echo "# $t gzip bytes: $g; headers: $(curl -s -D- -o /dev/null -H 'Accept-Encoding: gzip' "${!t}$sample" | tr -d '\r' |
				grep -iE "^(${hdr[$t]}|content-encoding|vary|age|x-varnish):" | tr '\n' ' ')"
		done
	} >"$out/notes.txt"
}

# --- load ----------------------------------------------------------------------
cat >"$work/hit.lua" <<'LUA'
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
LUA
# A unique query per request: a different cache key each time for every cache
# (nb is not a tracking parameter, so Agora keeps it in the key).
cat >"$work/miss.lua" <<'LUA'
local paths = {}
local n = 0
local salt = ""
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  salt = args[2]
end
request = function()
  n = n + 1
  return wrk.format("GET", paths[math.random(#paths)] .. "?nb=" .. salt .. "-" .. n)
end
LUA

printf 'round\trow\ttool\treq_s\tp50_ms\tp99_ms\trequests\torigin_requests\terrors\n' >"$out/results.tsv"

# run ROUND ROW TOOL: one wrk run, checked, appended to results.tsv.
run() {
	local r=$1 row=$2 tool=$3 base before after o reqs errs f
	base=${!tool}
	f="$out/wrk/r$r-$row-$tool.txt"
	before=$(origin_count)
	case $row in
	hit-identity) "${wrk_pin[@]}" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$work/hit.lua" "$base" -- "$work/paths.txt" >"$f" ;;
	hit-gzip) "${wrk_pin[@]}" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' -s "$work/hit.lua" "$base" -- "$work/paths.txt" >"$f" ;;
	miss) "${wrk_pin[@]}" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$work/miss.lua" "$base" -- "$work/paths.txt" "r$r$tool$RANDOM" >"$f" ;;
	rate-gzip)
		sed "s#^#GET $base#" "$work/paths.txt" >"$work/targets.txt"
		"${wrk_pin[@]}" "$vegeta" attack -rate="$RATE" -duration="$DURATION" -max-connections="$CONNS" \
			-header 'Accept-Encoding: gzip' -targets="$work/targets.txt" | "$vegeta" report -type=json |
			python3 -c 'import json, sys
r = json.load(sys.stdin); l = r["latencies"]; codes = r.get("status_codes") or {}
print("%d requests in vegeta" % r["requests"])
print("Requests/sec: %.2f" % r["throughput"])
print("50%% %.3fms" % (l["50th"] / 1e6)); print("99%% %.3fms" % (l["99th"] / 1e6))
bad = sum(n for c, n in codes.items() if c != "200")
if bad: print("Non-2xx or Socket errors: %d (%s)" % (bad, codes))' >"$f" ;;
	esac
	sleep 0.2 # requests the proxies still had in flight reach the app's counter
	after=$(origin_count)
	o=$((after - before))
	reqs=$(awk '/requests in/ { print $1 }' "$f")
	errs=$(awk '/Non-2xx|Socket errors/ { sub(/^ */, ""); printf "%s; ", $0 }' "$f")
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || die "$tool $row: wrk completed no request: $(cat "$f")"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$row" "$tool" \
		"$(awk '/Requests\/sec/ { print $2 }' "$f")" \
		"$(awk '$1 == "50%" { print $2 }' "$f" | to_ms)" \
		"$(awk '$1 == "99%" { print $2 }' "$f" | to_ms)" \
		"$reqs" "$o" "${errs:--}" >>"$out/results.tsv"
	[ -z "$errs" ] || die "$tool $row: $errs(see $f)"
	case $row in
	hit-* | rate-*) [ "$o" -le $((reqs / 1000)) ] || die "$tool $row: the app served $o of $reqs requests: not a hit run" ;;
	miss) [ "$tool" = app ] || [ "$o" -ge $((reqs * 98 / 100)) ] || die "$tool miss: the app served only $o of $reqs requests: some were hits" ;;
	esac
	echo "#   $row $tool: $(tail -1 "$out/results.tsv" | cut -f4-8 | tr '\t' ' ')" >&2
}

tools=(edge varnish nginx)
for r in $(seq 1 "$ROUNDS"); do
	# Rotate the order every round, so no tool always runs first.
	k=$(((r - 1) % 3))
	order=("${tools[@]:k}" "${tools[@]:0:k}")
	echo "# round $r/$ROUNDS: ${order[*]}" >&2
	for t in "${order[@]}"; do start "$t"; done
	for t in "${order[@]}"; do warm "$t"; done
	[ "$r" = 1 ] && describe
	rows=(hit-identity hit-gzip)
	[ "$RATE" -gt 0 ] && rows+=(rate-gzip)
	for row in "${rows[@]}"; do
		for t in "${order[@]}"; do run "$r" "$row" "$t"; done
	done
	if [ "$PPROF" = 1 ] && [ "$r" = "$ROUNDS" ]; then
		warm edge
		"${wrk_pin[@]}" wrk -t1 -c"$CONNS" -d12s -s "$work/hit.lua" "$edge" -- "$work/paths.txt" >/dev/null &
		wrk_bg=$!
		curl -s -o "$out/edge-cpu.pprof" "http://127.0.0.1:$edge_admin_port/debug/pprof/profile?seconds=10"
		wait "$wrk_bg" || true
		wrk_bg=""
		cp "$edge_bin" "$out/agora"
	fi
	for t in app "${order[@]}"; do run "$r" miss "$t"; done
	for t in "${order[@]}"; do stop "$t"; done
done

# --- report ----------------------------------------------------------------------
get() { awk -F'\t' -v row="$1" -v t="$2" -v c="$3" 'NR > 1 && $2 == row && $3 == t { print $c }' "$out/results.tsv" | median; }
{
	echo
	cat "$out/notes.txt"
	echo "# wrk -t1 -c$CONNS -d$DURATION on loopback, medians of $ROUNDS round(s); latency in ms"
	echo
	printf '%-13s %-8s %9s %8s %8s   %-14s %s\n' row tool "req/s" p50 p99 "agora/tool" "agora p99 vs tool's"
	for row in hit-identity hit-gzip; do
		ae=$(get "$row" edge 4); ap99=$(get "$row" edge 6)
		for t in edge varnish nginx; do
			rps=$(get "$row" "$t" 4); p50=$(get "$row" "$t" 5); p99=$(get "$row" "$t" 6)
			if [ "$t" = edge ]; then ratio="" cmp=""; else
				ratio=$(awk -v a="$ae" -v b="$rps" 'BEGIN { printf "%.2fx", a / b }')
				cmp=$(awk -v a="$ap99" -v b="$p99" 'BEGIN { printf "%s (%.2f vs %.2f)", (a <= b ? "no worse" : "WORSE"), a, b }')
			fi
			printf '%-13s %-8s %9.0f %8.2f %8.2f   %-14s %s\n' "$row" "$([ "$t" = edge ] && echo agora || echo "$t")" "$rps" "$p50" "$p99" "$ratio" "$cmp"
		done
	done
	if [ "$RATE" -gt 0 ]; then
		ap99=$(get rate-gzip edge 6)
		for t in edge varnish nginx; do
			rps=$(get rate-gzip "$t" 4); p50=$(get rate-gzip "$t" 5); p99=$(get rate-gzip "$t" 6)
			cmp=""
			[ "$t" = edge ] || cmp=$(awk -v a="$ap99" -v b="$p99" 'BEGIN { printf "%s (%.2f vs %.2f)", (a <= b ? "no worse" : "WORSE"), a, b }')
			printf '%-13s %-8s %9.0f %8.2f %8.2f   %-14s %s\n' "rate-gzip" "$([ "$t" = edge ] && echo agora || echo "$t")" "$rps" "$p50" "$p99" "@$RATE/s" "$cmp"
		done
	fi
	printf '%-13s %-8s %9s %8s %8s   %-14s %s\n' "" "" "" "" "" "tool/app" "p50 added to the app's"
	a_rps=$(get miss app 4); a_p50=$(get miss app 5)
	for t in app edge varnish nginx; do
		rps=$(get miss "$t" 4); p50=$(get miss "$t" 5); p99=$(get miss "$t" 6)
		if [ "$t" = app ]; then ratio="" cmp="(direct)"; else
			ratio=$(awk -v a="$rps" -v b="$a_rps" 'BEGIN { printf "%.2fx", a / b }')
			cmp=$(awk -v a="$p50" -v b="$a_p50" 'BEGIN { printf "%+.2f ms", a - b }')
		fi
		printf '%-13s %-8s %9.0f %8.2f %8.2f   %-14s %s\n' miss "$([ "$t" = edge ] && echo agora || echo "$t")" "$rps" "$p50" "$p99" "$ratio" "$cmp"
	done
	echo
	echo "targets on hits (agora ≥ 1.0x nginx and Varnish req/s, p99 no worse than either):"
	for row in hit-identity hit-gzip; do
		awk -v row="$row" -v e="$(get "$row" edge 4)" -v v="$(get "$row" varnish 4)" -v x="$(get "$row" nginx 4)" \
			-v ep="$(get "$row" edge 6)" -v vp="$(get "$row" varnish 6)" -v xp="$(get "$row" nginx 6)" 'BEGIN {
			ok = (e >= x && e >= v && ep <= xp && ep <= vp)
			printf "  %-13s agora/nginx %.2fx, agora/Varnish %.2fx, p99 %.2f vs %.2f (nginx) and %.2f (Varnish): %s\n",
				row, e / x, e / v, ep, xp, vp, ok ? "met" : "NOT met" }'
	done
	echo
	echo "raw results: $out/results.tsv (wrk outputs in $out/wrk/)"
} | tee "$out/summary.txt"
