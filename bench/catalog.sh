#!/usr/bin/env bash
# Measures the catalog read path of one `agora app` (issue 2): seeding time,
# start-up time, and product / category / search pages under wrk, on SQLite
# and PostgreSQL, with the medium profile (24,000 products).
#
#   bench/catalog.sh                  both databases, medium profile
#   PROFILE=small bench/catalog.sh    quicker
#   DBS=sqlite bench/catalog.sh       one database
#
# Needs wrk (apt-get install wrk; installed here if missing and root) and, for
# PostgreSQL, the server the test command uses. Prints a table; nothing is
# asserted: the machine is small and noisy, so compare within one run.
set -euo pipefail
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
go build -o "$work/agora" ./cmd/agora
agora="$work/agora"

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
	mkdir -p "$data"
	if [ "$db" = sqlite ]; then
		url="sqlite:$data/agora.db"
	else
		schema="bench_$$"
		psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
		url="${PG}&search_path=$schema"
	fi
	start=$(date +%s.%N)
	"$agora" seed --db "$url" --media "$data/media" --profile "$PROFILE" --quiet >"$work/seed.log"
	seed_s=$(echo "$(date +%s.%N) - $start" | bc)

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
	for w in shirt blue cotton lamp wooden steel classic soft black travel; do echo "/search?q=$w"; echo "/search?q=$w&sort=price_asc"; done >"$work/search.txt"

	run_wrk product "$work/products.txt"
	run_wrk category "$work/categories.txt"
	run_wrk search "$work/search.txt"
	echo "# $db: seed --profile $PROFILE took ${seed_s}s; app serving ${up_ms} ms after start; $(wc -l <"$work/products.txt") product URLs"
	kill $app; wait $app 2>/dev/null || true
	[ "$db" = postgres ] && psql "$PG" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
done
