#!/usr/bin/env bash
# bench/pops.sh — purge-to-visible latency across PoPs (issue 13): three
# `agora edge` processes, each following one of two `agora app` instances
# on one PostgreSQL database; 200 price changes, alternately committed
# through either instance; for each PoP, the time from the change's answer
# to the first response of that PoP showing the new price (p50, p99, max).
#
# Usage: bench/pops.sh [--help]
#
#   bench/pops.sh                       200 changes
#   CHANGES=20 bench/pops.sh            a quick check
#
# Environment:
#   CHANGES=200      price changes (each waits until every PoP shows it)
#   AGORA_TEST_POSTGRES=postgres://…   the server the store is made on (a
#                    schema of its own, dropped after); default as the tests
#   OUT_DIR=…        where the raw log goes (default: a new directory
#                    ${TMPDIR:-/tmp}/agora-bench-pops.XXXX, printed at the end)
#
# It runs TestPoPsConvergeOnPostgres (cmd/agora/pops_e2e_test.go) with
# AGORA_POPS_CHANGES set: the same processes and checks as the test, the
# processes built without the race detector. One shopper per PoP polls the
# PoP's status (its applied purge seq) and the product page back to back,
# so a latency includes up to one poll round (a few ms). The test also
# checks that no PoP served a price older than the purge it reported
# applied, and fails if one did.
set -euo pipefail
[ "${1:-}" = --help ] && { sed -n '2,/^set /p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0; }
cd "$(dirname "$0")/.."
. bench/lib.sh

CHANGES=${CHANGES:-200}
OUT_DIR=${OUT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agora-bench-pops.XXXX")}
mkdir -p "$OUT_DIR"
export AGORA_TEST_POSTGRES=${AGORA_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?') + working tree"

echo "# bench/pops.sh: $CHANGES price changes, 3 PoPs, 2 apps, PostgreSQL ($rev)" >&2
AGORA_POPS_CHANGES=$CHANGES go test ./cmd/agora -run '^TestPoPsConvergeOnPostgres$' -count=1 -v -timeout 20m \
	>"$OUT_DIR/test.log" 2>&1 || { tail -40 "$OUT_DIR/test.log" >&2; die "the run failed; log in $OUT_DIR/test.log"; }

echo "| PoP | changes | p50 | p99 | max | p50, other instance | max, other instance |"
echo "|---|---:|---:|---:|---:|---:|---:|"
grep -o 'purge-to-visible at .*' "$OUT_DIR/test.log" |
	sed -E 's/purge-to-visible at (pop-[0-9]+) over ([0-9]+) changes .*: p50 (\S+) p99 (\S+) max (\S+); through the other instance: p50 (\S+) max (\S+)/| \1 | \2 | \3 | \4 | \5 | \6 | \7 |/'
echo >&2 "# raw log: $OUT_DIR/test.log"
