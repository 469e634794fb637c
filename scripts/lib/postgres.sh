# PostgreSQL for the tests: sourced by scripts/test and scripts/pg-fresh-check.
#
# The tests need a role that may create schemas (and the trusted extension
# unaccent) in a database of its own. On a server whose TCP authentication
# lets postgres in without a password (trust) the default address works as
# it is. Debian's pg_createcluster sets TCP authentication to scram-sha-256
# (PostgreSQL 14+), so on a freshly installed server it does not: then a
# role agora_test is made through the local socket as the postgres system
# user (peer authentication), with a generated password kept in
# ~/.cache/agora (mode 600), owning a database agora_test. The server's own
# authentication settings are never changed.

pg_say() { printf '\033[1m== %s\033[0m\n' "$*" >&2; }

# pg_super PORT [psql args…]: psql as the postgres system user through the
# local socket, reading SQL from standard input (never from the command
# line, where ps would show a password).
pg_super() {
	local port=$1
	shift
	local psql=(psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@")
	if [ "$(id -un)" = postgres ]; then
		"${psql[@]}"
	elif [ "$(id -u)" = 0 ] && command -v runuser >/dev/null; then
		runuser -u postgres -- "${psql[@]}"
	elif command -v sudo >/dev/null && sudo -n -u postgres true 2>/dev/null; then
		sudo -n -u postgres -- "${psql[@]}"
	else
		echo "cannot run psql as the postgres system user (run as root, or give sudo rights to it)" >&2
		return 1
	fi
}

# pg_tcp_ok PORT USER DB [PASSWORD]: whether USER can connect over TCP to DB
# (never prompting for a password).
pg_tcp_ok() {
	PGPASSWORD="${4:-}" PGCONNECT_TIMEOUT=5 psql -X -w -q -h 127.0.0.1 -p "$1" -U "$2" -d "$3" -tAc 'SELECT 1' >/dev/null 2>&1
}

# pg_password_file PORT: where the generated password of agora_test on the
# server at PORT is kept.
pg_password_file() {
	echo "${XDG_CACHE_HOME:-$HOME/.cache}/agora/postgres-test-$1.password"
}

# pg_provision_role PORT: makes (or updates) role agora_test with the kept
# password, generating one the first time, and its database agora_test;
# prints the address for AGORA_TEST_POSTGRES. Idempotent.
pg_provision_role() {
	local port=$1 file pw
	file=$(pg_password_file "$port")
	mkdir -p "$(dirname "$file")"
	chmod 700 "$(dirname "$file")"
	if [ -s "$file" ]; then
		pw=$(cat "$file")
	else
		pw=$(od -An -tx1 -N24 /dev/urandom | tr -d ' \n')
		(umask 077 && printf '%s\n' "$pw" >"$file")
	fi
	pg_super "$port" >/dev/null <<SQL || return 1
SELECT 'CREATE ROLE agora_test' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'agora_test') \gexec
ALTER ROLE agora_test WITH LOGIN PASSWORD '$pw';
SELECT 'CREATE DATABASE agora_test OWNER agora_test' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'agora_test') \gexec
SQL
	if ! pg_tcp_ok "$port" agora_test agora_test "$pw"; then
		echo "role agora_test was made but cannot log in over TCP on port $port: check pg_hba.conf allows password (scram-sha-256 or md5) logins from 127.0.0.1" >&2
		return 1
	fi
	echo "postgres://agora_test:$pw@127.0.0.1:$port/agora_test?sslmode=disable"
}
