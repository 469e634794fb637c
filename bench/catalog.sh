#!/usr/bin/env bash
# Measures the catalog read path of one `agora app` (issues 2 and 15):
# seeding time, start-up time, and product / category / filtered / search /
# suggest pages under wrk, on SQLite and PostgreSQL, with the medium profile
# (24,000 products) unless PROFILE says otherwise.
#
#   bench/catalog.sh                  both databases, medium profile
#   PROFILE=small bench/catalog.sh    quicker
#   DBS=sqlite bench/catalog.sh       one database
#   PROFILE=large SQLITE_DATA=/tmp/big PG_SCHEMA=big bench/catalog.sh
#       reuse a catalog seeded once (the large seed takes minutes): the
#       first run seeds into SQLITE_DATA / PG_SCHEMA and keeps them, later
#       runs measure them as they are
#   AGORA_BIN=/tmp/old-agora …       measure another build (a "before")
#
# Needs wrk (apt-get install wrk; installed here if missing and root) and, for
# PostgreSQL, the server the test command uses. Prints a table; nothing is
# asserted: the machine is small and noisy, so compare within one run.
set -Eeuo pipefail
# A failed command stops the run; say which, rather than stopping silently
# after the last table line.
trap 'echo "bench/catalog.sh: line $LINENO failed (exit $?): $BASH_COMMAND" >&2' ERR
cd "$(dirname "$0")/.."

PROFILE=${PROFILE:-medium}
DBS=${DBS:-sqlite postgres}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-32}
export PGOPTIONS="-c client_min_messages=warning"
PG=${AGORA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

if ! command -v wrk >/dev/null; then
	[ "$(id -u)" = 0 ] || { echo "bench: needs wrk (apt-get install wrk)" >&2; exit 1; }
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
if [ -n "${AGORA_BIN:-}" ]; then
	agora=$AGORA_BIN
else
	go build -o "$work/agora" ./cmd/agora
	agora="$work/agora"
fi

# wrk script: each request picks a random path from $PATHS_FILE, so the
# whole catalog is exercised rather than one hot page.
cat >"$work/paths.lua" <<'LUA'
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
request = function()
  return wrk.format("GET", paths[math.random(#paths)])
end
LUA

median_of() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# run_wrk NAME FILE: prints "NAME req/s p50 p99" from a -c$CONNS run, and the
# p50 of a single-connection run (closest to server time).
run_wrk() {
	local name=$1 file=$2 out1 outn
	out1=$(wrk -t1 -c1 -d5s --latency -s "$work/paths.lua" "$base" -- "$file")
	outn=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/paths.lua" "$base" -- "$file")
	local p50_1 rps p50 p99
	p50_1=$(awk '$1=="50%"{print $2}' <<<"$out1")
	rps=$(awk '/Requests\/sec/{print $2}' <<<"$outn")
	p50=$(awk '$1=="50%"{print $2}' <<<"$outn")
	p99=$(awk '$1=="99%"{print $2}' <<<"$outn")
	printf '%-10s %-9s %10s %10s %10s %12s\n' "$db" "$name" "$rps" "$p50" "$p99" "$p50_1"
}

printf '%-10s %-9s %10s %10s %10s %12s\n' db page "req/s" "p50" "p99" "p50(c=1)"
for db in $DBS; do
	data="$work/$db"
	keep=""
	if [ "$db" = sqlite ]; then
		[ -n "${SQLITE_DATA:-}" ] && data=$SQLITE_DATA keep=1
		url="sqlite:$data/agora.db"
	else
		schema=${PG_SCHEMA:-bench_$$}
		[ -n "${PG_SCHEMA:-}" ] && data=${PG_MEDIA:-/tmp/agora-bench-$schema} keep=1
		url="${PG}&search_path=$schema"
	fi
	mkdir -p "$data"
	seed_s="(reused)"
	seeded=""
	if [ -n "$keep" ]; then
		if [ "$db" = sqlite ]; then
			[ -s "$data/agora.db" ] && seeded=1
		else
			[ "$(psql "$PG" -Atc "SELECT to_regclass('$schema.products') IS NOT NULL")" = t ] && seeded=1
		fi
	fi
	if [ -z "$seeded" ]; then
		[ "$db" = postgres ] && psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
		start=$(date +%s.%N)
		"$agora" seed --db "$url" --media "$data/media" --profile "$PROFILE" --quiet >"$work/seed.log"
		seed_s="$(echo "$(date +%s.%N) - $start" | bc)s"
	fi

	"$agora" migrate --db "$url" >/dev/null 2>&1 || true # a reused catalog may predate a migration
	start=$(date +%s.%N)
	"$agora" app --db "$url" --media "$data/media" --listen 127.0.0.1:0 --metrics-listen "" \
		--access-log=false --drain-delay 0s 2>"$work/app.log" &
	app=$!
	until grep -q 'msg=serving' "$work/app.log"; do
		kill -0 $app 2>/dev/null || { cat "$work/app.log"; exit 1; }
		sleep 0.01
	done
	up_ms=$(echo "($(date +%s.%N) - $start) * 1000 / 1" | bc)
	base=$(grep -o 'url=http://[^ ]*' "$work/app.log" | head -1 | cut -d= -f2)

	curl -s "$base/api/v1/products?per_page=100&page=1" >/dev/null
	# Product, category and search paths sampled from the seeded catalog.
	for p in $(seq 1 10); do curl -s "$base/api/v1/products?per_page=100&page=$p"; echo; done |
		grep -o '"slug":"[a-z0-9-]*"' | cut -d'"' -f4 | sed 's#^#/products/#' >"$work/products.txt"
	curl -s "$base/api/v1/categories" | grep -o '"slug":"[a-z0-9-]*"' | cut -d'"' -f4 >"$work/cats"
	: >"$work/categories.txt"
	while read -r c; do
		for page in 1 2 5; do
			for s in relevance price_asc newest; do echo "/categories/$c?page=$page&sort=$s"; done
		done
	done <"$work/cats" >>"$work/categories.txt"
	# The five biggest categories (the departments with most products),
	# every sort, pages 1, 2, 5 and 40.
	: >"$work/big.txt"
	# Listing totals stop at 1,000 ("1,000+"), so a category's size is the
	# sum of its availability facet, which is exact (category_facets).
	for c in $(head -200 "$work/cats"); do
		n=$(curl -s "$base/api/v1/products?category=$c&facets=1&per_page=1" | python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    d = {}
print(sum(v["count"] for f in d.get("facets", []) if f["param"] == "availability" for v in f["values"]))
') || n=0
		echo "${n:-0} $c"
	done | sort -rn | head -5 | while read -r _ c; do
		for page in 1 2 5 40; do
			for s in relevance price_asc price_desc newest name; do echo "/categories/$c?page=$page&sort=$s"; done
		done
	done >"$work/big.txt"
	# Filtered listings: a category with one or two facet values taken from
	# its own facets (canonical order, so no redirect is measured).
	: >"$work/filtered.txt"
	# A fixed random source, so every run measures the same 60 categories
	# (a file: "yes" in a process substitution dies of SIGPIPE).
	printf '%065536d' 0 >"$work/random"
	for c in $(shuf -n 60 --random-source="$work/random" "$work/cats"); do
		curl -s "$base/api/v1/products?category=$c&facets=1&per_page=1" | python3 -c '
import json, sys, urllib.parse
c = sys.argv[1]
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(0)
fs = {f["param"]: [v["value"] for v in f["values"] if v["count"] > 0] for f in d.get("facets", [])}
combos = []
for p, vs in fs.items():
    for v in vs[:2]:
        combos.append([(p, v)])
if fs.get("availability") and fs.get("brand"):
    combos.append([("availability", "in_stock"), ("brand", fs["brand"][0])])
combos.append([("price", "10-50")])
for combo in combos:
    q = "&".join(k + "=" + urllib.parse.quote_plus(v) for k, v in sorted(combo))
    print("/categories/%s?%s" % (c, q))
' "$c"
	done >"$work/filtered.txt"
	words="shirt blue cotton lamp wooden steel classic soft black travel tested suitable range"
	for w in $words; do echo "/search?q=$w"; echo "/search?q=$w&sort=price_asc"; done >"$work/search.txt"
	for w in $words; do echo "/search?q=$w&availability=in_stock"; done >"$work/searchf.txt"
	for w in $words; do for n in 1 2 3 4; do echo "/api/v1/search/suggest?q=${w:0:$n}"; done; done >"$work/suggest.txt"

	run_wrk product "$work/products.txt"
	run_wrk category "$work/categories.txt"
	run_wrk big "$work/big.txt"
	[ -s "$work/filtered.txt" ] && run_wrk filtered "$work/filtered.txt"
	run_wrk search "$work/search.txt"
	run_wrk search+f "$work/searchf.txt"
	run_wrk suggest "$work/suggest.txt"
	echo "# $db: seed --profile $PROFILE: $seed_s; app serving ${up_ms} ms after start; $(wc -l <"$work/products.txt") product URLs, $(wc -l <"$work/filtered.txt") filtered"
	kill $app; wait $app 2>/dev/null || true
	if [ "$db" = postgres ] && [ -z "$keep" ]; then
		psql "$PG" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
	fi
done
