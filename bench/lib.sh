# bench/lib.sh — what the bench scripts share; sourced, never run.

die() { echo "bench: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# wait_http URL PID LOG: until URL answers 200; if the process PID ends or
# 30 s pass first, the end of LOG and exit.
wait_http() {
	for _ in $(seq 600); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$1")" = 200 ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench: $1 did not come up; its log:" >&2
	tail -20 "$3" >&2
	exit 1
}

# median: of the numbers on stdin, one per line ("nan" when none).
stop_pid() { # stop_pid PID: TERM, then wait for it (KILL after 5 s)
	local p=$1
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || return 0
	for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
}

median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# to_ms: wrk's duration (850.00us, 1.20ms, 2.01s) on stdin, in ms.
to_ms() { awk '{ v = $1; if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms$/, "", v); else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }; printf "%.3f", v }'; }

# apt_install PKG…: installs the packages as root with apt-get, keeping
# their services (nginx on :80, varnish, haproxy) from starting: the
# scripts run their own instances.
apt_install() {
	[ $# -gt 0 ] || return 0
	[ "$(id -u)" = 0 ] || die "needs $* (as root: apt-get install $*)"
	echo "# installing $* with apt-get" >&2
	local made_policy=0 apt_ok=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	apt-get update -qq >/dev/null &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null && apt_ok=1
	[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ "$apt_ok" = 1 ] || die "apt-get install $* failed"
}

# source_tree DIR: the source to measure into DIR, and rev naming it:
# commit AGORA_REV when set (so a past commit can be measured against the
# present), else the working tree as it is.
source_tree() {
	mkdir -p "$1"
	if [ -n "${AGORA_REV:-}" ]; then
		git archive "$AGORA_REV" | tar -C "$1" -xf -
		rev=$(git rev-parse --short "$AGORA_REV")
	else
		tar --exclude=./.git --exclude='*.test' --exclude=./agora -cf - . | tar -C "$1" -xf -
		rev="$(git rev-parse --short HEAD 2>/dev/null || echo '?') + working tree"
	fi
}
