#!/usr/bin/env bash
# bench/csv_update.sh — a price-and-stock update from CSV (issue 16): seed a
# catalog, export it, change every price (+10%) and every stock level (+1)
# in the file, then time `agora import` of it, and count the purge log
# entries and tags it appended. On SQLite and PostgreSQL (a schema of its
# own on the server the tests use, dropped after).
#
#   bench/csv_update.sh                   PRODUCTS=33000 (about 100,000 variants)
#   PRODUCTS=3000 bench/csv_update.sh     a quick check
#   DBS=sqlite bench/csv_update.sh        one database
#
# Prints one line per database; nothing is asserted (the target, 60 s for
# 100,000 variants, is read off the line).
set -euo pipefail
[ "${1:-}" = --help ] && { sed -n '2,/^set /p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; }
cd "$(dirname "$0")/.."
PRODUCTS=${PRODUCTS:-33000}
DBS=${DBS:-sqlite postgres}
PG=${AGORA_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
export PGOPTIONS="-c client_min_messages=warning"
work=$(mktemp -d)
schema="bench_csv_$$"
trap 'rm -rf "$work"; psql -q "$PG" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true' EXIT
go build -o "$work/agora" ./cmd/agora
A="$work/agora"

purge_stats() { # purge_stats DIALECT DB: "ENTRIES TAGS" of the purge log
	if [ "$1" = sqlite ]; then
		python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); rows=c.execute('SELECT tags FROM purge_log').fetchall(); print(len(rows), sum(len(r[0].split()) for r in rows))" "$2"
	else
		psql -qtA "$PG" -c "SELECT count(*) || ' ' || COALESCE(sum(array_length(string_to_array(tags, ' '), 1)), 0) FROM $schema.purge_log"
	fi
}

for d in $DBS; do
	if [ "$d" = sqlite ]; then
		file="$work/agora.db"; db="sqlite:$file"
	else
		psql -q "$PG" -c "CREATE SCHEMA $schema" >/dev/null
		db="${PG}&search_path=$schema"; file=""
	fi
	"$A" seed --db "$db" --media "$work/media-$d" --products "$PRODUCTS" --quiet >/dev/null
	"$A" export --db "$db" >"$work/before.csv"
	variants=$(($(wc -l <"$work/before.csv") - 1))
	# price is column 14, stock 16; a quoted description may hold commas and
	# line breaks, so the edit goes through Python's csv module.
	python3 - "$work/before.csv" "$work/after.csv" <<'PY'
import csv, sys
from decimal import Decimal
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f, open(sys.argv[2], 'w', newline='', encoding='utf-8') as g:
    r, w = csv.reader(f), csv.writer(g)
    w.writerow(next(r))
    for row in r:
        row[13] = str((Decimal(row[13]) * Decimal('1.10')).quantize(Decimal('0.01')))
        row[15] = str(int(row[15] or 0) + 1)
        w.writerow(row)
PY
	read -r e0 t0 < <(purge_stats "$d" "${file:-x}")
	start=$(date +%s.%N)
	"$A" import "$work/after.csv" --update-only --quiet --db "$db" >"$work/import.txt"
	took=$(echo "$(date +%s.%N) - $start" | bc)
	read -r e1 t1 < <(purge_stats "$d" "${file:-x}")
	printf '%-8s %d products, %d variants: import %.1f s; purge log +%d entries, +%d tags; %s\n' \
		"$d" "$PRODUCTS" "$variants" "$took" $((e1 - e0)) $((t1 - t0)) "$(tail -1 "$work/import.txt")"
	[ "$d" = postgres ] && psql -q "$PG" -c "DROP SCHEMA $schema CASCADE" >/dev/null
done
