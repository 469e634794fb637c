#!/usr/bin/env bash
# Benchmarks `agora edge` against the anchors of issue 5: Varnish and nginx
# proxy_cache in front of the same origin (`agora app` on the seeded small
# store) and the same URL set (its product pages).
#
#   bench/edge.sh                   everything, three alternating rounds
#   ROUNDS=1 DURATION=5s bench/edge.sh   quicker
#   AGORA_REV=HEAD bench/edge.sh   measure a commit, not the working tree
#   PPROF=1 bench/edge.sh           also a 10 s CPU profile of the edge under
#                                   hit load (see below)
#
# Installs varnish, nginx and wrk with apt-get when missing (needs root).
# Every server listens on loopback, is started here in the foreground mode
# with its own configuration and pid file in a temp dir, and is stopped on
# exit; nothing is installed as a service or left running.
#
# What is measured (wrk -t1 -c64, random product URL per request):
#   hit/identity  every cache warmed first, so the runs measure hits
#   hit/gzip      the same with Accept-Encoding: gzip (each cache warmed
#                 with it too)
#   miss          pass-through: each request is a product page with a unique
#                 ?nb=N query, so no cache can answer it and each one goes to
#                 the app (and is then stored, as the page is public; that is
#                 the real miss path). The app hit directly with the same
#                 URLs is the baseline.
# For each: requests/s, p50 and p99, medians over the rounds, and the ratios
# Agora/nginx and Agora/Varnish (requests/s; >1 means Agora is faster).
#
# Anchor configurations, kept to what an operator would write:
#   Varnish: honours s-maxage (its default), hashes GET/HEAD whether or not
#     the request carries cookies (like Agora: cookies are not in the key),
#     keeps the built-in refusal to store responses with Set-Cookie, gzips
#     text/html once when storing (do_gzip) and gunzips for identity clients.
#   nginx: proxy_cache with the validity taken from the origin's
#     Cache-Control (s-maxage), no proxy_ignore_headers, gzip on for
#     text/html (level 1, nginx's default), which compresses on every hit.
#   Both strip Surrogate-Key from responses, as Agora does.
# Only public product pages are measured; they carry no Set-Cookie.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PPROF=${PPROF:-0}

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v varnishd >/dev/null || need+=(varnish)
command -v nginx >/dev/null || need+=(nginx)
if [ ${#need[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "bench: needs ${need[*]} (apt-get install ${need[*]})" >&2; exit 1; }
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
varnishd_bin=$(command -v varnishd || echo /usr/sbin/varnishd)
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

work=$(mktemp -d)
chmod 755 "$work"
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for f in "$work/nginx.pid" "$work/varnish.pid"; do
		p=$(cat "$f" 2>/dev/null) && kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_log() { # wait_log FILE PATTERN PID
	until grep -q "$2" "$1" 2>/dev/null; do
		kill -0 "$3" 2>/dev/null || { cat "$1" >&2; exit 1; }
		sleep 0.05
	done
}
wait_http() { # wait_http URL
	for _ in $(seq 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done
	echo "bench: $1 did not come up" >&2; exit 1
}

# The binary under test: the working tree, or with AGORA_REV=<commit> that
# commit (git archive; read-only on the repository), e.g. while the working
# tree is mid-edit.
mkdir -p "$work/src"
if [ -n "${AGORA_REV:-}" ]; then
	git archive "$AGORA_REV" | tar -C "$work/src" -xf -
else
	tar --exclude=./.git --exclude='*.test' --exclude=./agora -cf - . | tar -C "$work/src" -xf -
fi
(cd "$work/src" && go build -o "$work/agora" ./cmd/agora)
agora="$work/agora"
edge_bin="$agora"
if [ "$PPROF" = 1 ]; then
	# The edge's admin listener has no /debug/pprof; profile a build with one
	# added file serving net/http/pprof on AGORA_PPROF (loopback only).
	cat >"$work/src/cmd/agora/zz_bench_pprof.go" <<'GO'
package main

import (
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	if a := os.Getenv("AGORA_PPROF"); a != "" {
		go http.ListenAndServe(a, nil)
	}
}
GO
	(cd "$work/src" && go build -o "$work/agora-pprof" ./cmd/agora)
	edge_bin="$work/agora-pprof"
fi

# Origin: the small profile, on SQLite.
"$agora" seed --db "sqlite:$work/agora.db" --media "$work/media" --profile small --quiet >"$work/seed.log"
"$agora" app --db "sqlite:$work/agora.db" --media "$work/media" --listen 127.0.0.1:0 --metrics-listen "" \
	--access-log=false --drain-delay 0s 2>"$work/app.log" &
app_pid=$!; pids+=("$app_pid")
wait_log "$work/app.log" 'msg=serving' "$app_pid"
app=$(grep -o 'url=http://[^ ]*' "$work/app.log" | head -1 | cut -d= -f2)
app_hostport=${app#http://}

for p in $(seq 1 20); do curl -s "$app/api/v1/products?per_page=100&page=$p"; echo; done |
	grep -o '"slug":"[a-z0-9-]*"' | cut -d'"' -f4 | sort -u | sed 's#^#/products/#' | head -1000 >"$work/paths.txt"
npaths=$(wc -l <"$work/paths.txt")

# Agora's edge.
edge_admin_port=$(free_port)
pprof_port=$(free_port)
AGORA_PPROF=$([ "$PPROF" = 1 ] && echo "127.0.0.1:$pprof_port" || true) \
	"$edge_bin" edge --backends "$app" --listen 127.0.0.1:0 --admin-listen "127.0.0.1:$edge_admin_port" \
	--cache-size 512MiB 2>"$work/edge.log" &
edge_pid=$!; pids+=("$edge_pid")
wait_log "$work/edge.log" 'msg="edge serving"' "$edge_pid"
edge=$(grep -o 'url=http://[^ ]*' "$work/edge.log" | head -1 | cut -d= -f2)

# Varnish.
varnish_port=$(free_port)
cat >"$work/default.vcl" <<VCL
vcl 4.1;
backend app { .host = "127.0.0.1"; .port = "${app_hostport#*:}"; }
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
sub vcl_deliver { unset resp.http.Surrogate-Key; }
VCL
mkdir -p "$work/varnish"
"$varnishd_bin" -F -j none -n "$work/varnish" -a "127.0.0.1:$varnish_port" -T none -P "$work/varnish.pid" \
	-f "$work/default.vcl" -s malloc,512m >"$work/varnish.log" 2>&1 &
pids+=($!)
varnish="http://127.0.0.1:$varnish_port"

# nginx.
nginx_port=$(free_port)
mkdir -p "$work/nginx/cache" "$work/nginx/tmp"
cat >"$work/nginx.conf" <<NGINX
worker_processes auto;
pid $work/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/nginx/tmp/body;
	proxy_temp_path $work/nginx/tmp/proxy;
	fastcgi_temp_path $work/nginx/tmp/fcgi;
	uwsgi_temp_path $work/nginx/tmp/uwsgi;
	scgi_temp_path $work/nginx/tmp/scgi;
	proxy_cache_path $work/nginx/cache levels=1:2 keys_zone=edge:32m max_size=512m inactive=1h use_temp_path=off;
	upstream app { server $app_hostport; keepalive 64; }
	gzip on;
	gzip_types text/html;
	server {
		listen 127.0.0.1:$nginx_port;
		location / {
			proxy_pass http://app;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$host;
			proxy_cache edge;
			proxy_hide_header Surrogate-Key;
			add_header X-Cache-Status \$upstream_cache_status;
		}
	}
}
NGINX
"$nginx_bin" -c "$work/nginx.conf" -p "$work/nginx" -g 'daemon off;' >"$work/nginx.log" 2>&1 &
pids+=($!)
nginx="http://127.0.0.1:$nginx_port"

wait_http "$edge/"; wait_http "$varnish/"; wait_http "$nginx/"

# warm URL [HEADER]: fetch every product path once, over one connection.
warm() {
	awk -v b="$1" '{print "url = \"" b $0 "\"\noutput = \"/dev/null\""}' "$work/paths.txt" >"$work/curl.cfg"
	if [ -n "${2:-}" ]; then curl -s -K "$work/curl.cfg" -H "$2"; else curl -s -K "$work/curl.cfg"; fi
}
for b in "$edge" "$varnish" "$nginx"; do
	warm "$b"; warm "$b" 'Accept-Encoding: gzip'
	warm "$b"; warm "$b" 'Accept-Encoding: gzip' # a second pass: Varnish/nginx store on the first
done

sample=$(head -1 "$work/paths.txt")
size_id=$(curl -s -o /dev/null -w '%{size_download}' "$app$sample")
size_gz=$(curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}' "$varnish$sample")
sizes=$(awk -v b="$app" '{print "url = \"" b $0 "\"\noutput = \"/dev/null\"\nwrite-out = \"%{size_download}\\n\""}' "$work/paths.txt" |
	curl -s -K - | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "min %d, median %d, mean %d, max %d", a[1], a[int((NR+1)/2)], s/NR, a[NR]}')
{
	echo "# $npaths product URLs, identity bytes: $sizes; e.g. $sample: $size_id identity, $size_gz gzip (from Varnish)"
	for n in edge varnish nginx; do
		b=${!n}
		echo "# $n hit check: $(curl -s -D- -o /dev/null "$b$sample" | grep -iE '^(cache-status|x-cache-status|x-varnish|age):' | tr -d '\r' | tr '\n' ' ')"
		echo "# $n gzip check: $(curl -s -D- -o /dev/null -H 'Accept-Encoding: gzip' "$b$sample" | grep -iE '^content-encoding:' | tr -d '\r')"
	done
} | tee "$work/notes.txt"

cat >"$work/hit.lua" <<'LUA'
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
LUA
# Unique query per request: a different cache key each time for every cache
# (nb is not a tracking parameter, so Agora keeps it in the key).
cat >"$work/miss.lua" <<'LUA'
local paths = {}
local n = 0
local salt = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  salt = tonumber(args[2])
end
request = function()
  n = n + 1
  return wrk.format("GET", paths[math.random(#paths)] .. "?nb=" .. salt .. "-" .. n)
end
LUA

# run MODE NAME URL: appends "MODE NAME rps p50_ms p99_ms" to results.
to_ms() { awk '{v=$1; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; printf "%.3f", v}'; }
salt=0
run() {
	local mode=$1 name=$2 url=$3 out
	case $mode in
	hit-identity) out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$work/hit.lua" "$url" -- "$work/paths.txt") ;;
	hit-gzip) out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H 'Accept-Encoding: gzip' -s "$work/hit.lua" "$url" -- "$work/paths.txt") ;;
	miss) salt=$((salt + 1)); out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -s "$work/miss.lua" "$url" -- "$work/paths.txt" "$salt$RANDOM") ;;
	esac
	if grep -q 'Non-2xx' <<<"$out"; then echo "# $mode $name: $(grep 'Non-2xx' <<<"$out")" >&2; fi
	printf '%s %s %s %s %s\n' "$mode" "$name" \
		"$(awk '/Requests\/sec/{print $2}' <<<"$out")" \
		"$(awk '$1=="50%"{print $2}' <<<"$out" | to_ms)" \
		"$(awk '$1=="99%"{print $2}' <<<"$out" | to_ms)" >>"$work/results.txt"
}

: >"$work/results.txt"
for r in $(seq 1 "$ROUNDS"); do
	echo "# round $r/$ROUNDS" >&2
	for mode in hit-identity hit-gzip; do
		for n in edge varnish nginx; do run "$mode" "$n" "${!n}"; done
	done
	for n in app edge varnish nginx; do run miss "$n" "${!n}"; done
done

if [ "$PPROF" = 1 ]; then
	wrk -t1 -c"$CONNS" -d12s -s "$work/hit.lua" "$edge" -- "$work/paths.txt" >/dev/null &
	wrk_pid=$!
	curl -s -o "$work/cpu.pprof" "http://127.0.0.1:$pprof_port/debug/pprof/profile?seconds=10"
	wait "$wrk_pid" || true
	echo "# pprof of the edge under hit/identity load (top 25 cumulative):"
	go tool pprof -top -cum -nodecount=25 "$edge_bin" "$work/cpu.pprof" 2>/dev/null | sed 's/^/# /'
	echo "# (top 20 flat):"
	go tool pprof -top -nodecount=20 "$edge_bin" "$work/cpu.pprof" 2>/dev/null | sed 's/^/# /'
fi

# Medians per mode and server, then the table.
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
get() { awk -v m="$1" -v n="$2" -v c="$3" '$1==m && $2==n {print $c}' "$work/results.txt" | median; }
echo
echo "wrk -t1 -c$CONNS -d$DURATION, medians of $ROUNDS rounds; p50/p99 in ms"
printf '%-13s %-8s %10s %9s %9s\n' mode server "req/s" p50 p99
for mode in hit-identity hit-gzip miss; do
	servers="edge varnish nginx"; [ "$mode" = miss ] && servers="app edge varnish nginx"
	for n in $servers; do
		printf '%-13s %-8s %10s %9s %9s\n' "$mode" "$n" "$(get "$mode" "$n" 3)" "$(get "$mode" "$n" 4)" "$(get "$mode" "$n" 5)"
	done
	e=$(get "$mode" edge 3); v=$(get "$mode" varnish 3); x=$(get "$mode" nginx 3)
	line=$(awk -v e="$e" -v v="$v" -v x="$x" 'BEGIN {printf "Agora/nginx %.2fx  Agora/Varnish %.2fx", e/x, e/v}')
	if [ "$mode" = miss ]; then
		a=$(get miss app 3)
		line="$line  (vs app direct: edge $(awk -v e="$e" -v a="$a" 'BEGIN{printf "%.2f", e/a}')x, varnish $(awk -v e="$v" -v a="$a" 'BEGIN{printf "%.2f", e/a}')x, nginx $(awk -v e="$x" -v a="$a" 'BEGIN{printf "%.2f", e/a}')x)"
	fi
	echo "  $mode: $line"
done
echo
echo "raw runs:"
sed 's/^/  /' "$work/results.txt"
