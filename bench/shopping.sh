#!/usr/bin/env bash
# Measures the write side of one `agora app` (issue 3): add-to-cart latency
# and sustained checkout throughput over HTTP, with the stock checks, on
# SQLite and PostgreSQL. Every checkout is a fresh shopper: add to cart,
# then POST /api/v1/checkout with its own Idempotency-Key.
#
#   bench/shopping.sh                 both databases
#   DBS=sqlite WORKERS=16 bench/shopping.sh
#
# Prints one table per database; nothing is asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

DBS=${DBS:-sqlite postgres}
WORKERS=${WORKERS:-32}
DURATION=${DURATION:-10s}
export PGOPTIONS="-c client_min_messages=warning"
PG=${AGORA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/agora" ./cmd/agora
go build -o "$work/shop" ./bench/shop

for db in $DBS; do
	data="$work/$db"
	mkdir -p "$data"
	if [ "$db" = sqlite ]; then
		url="sqlite:$data/agora.db"
	else
		schema="bench_shop_$$"
		psql "$PG" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
		url="${PG}&search_path=$schema"
	fi
	"$work/agora" seed --db "$url" --media "$data/media" --profile small --quiet >/dev/null
	"$work/agora" app --db "$url" --media "$data/media" --listen 127.0.0.1:0 --metrics-listen "" \
		--access-log=false --drain-delay 0s 2>"$work/app.log" &
	app=$!
	until grep -q 'msg=serving' "$work/app.log"; do
		kill -0 $app 2>/dev/null || { cat "$work/app.log"; exit 1; }
		sleep 0.01
	done
	base=$(grep -o 'url=http://[^ ]*' "$work/app.log" | head -1 | cut -d= -f2)
	echo "# $db, $WORKERS shoppers, $DURATION per phase"
	"$work/shop" --url "$base" --workers "$WORKERS" --duration "$DURATION" --db "$url"
	kill $app; wait $app 2>/dev/null || true
	if [ "$db" = postgres ]; then psql "$PG" -qc "DROP SCHEMA $schema CASCADE" >/dev/null; fi
done
