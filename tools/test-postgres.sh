#!/usr/bin/env bash
# tools/test-postgres.sh COMMAND...  - run COMMAND (the test suite) with BLOG_TEST_DATABASE_URL naming a
# PostgreSQL server, and exit with its status.
#
# The server at TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test) if it answers;
# else a private throwaway cluster: Debian's postgresql (installed when missing), initdb into a temporary
# directory, listening on a unix socket there only (no TCP), trust auth, stopped and deleted when COMMAND ends.
# TEST_PYTHON: the Python (with SQLAlchemy and psycopg) used to ask the server; default .venv/bin/python.
set -euo pipefail

URL="${TEST_POSTGRES_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}"
PYTHON="${TEST_PYTHON:-$(dirname "$0")/../.venv/bin/python}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

log() { echo "test-postgres: $*" >&2; }
die() { log "$*"; exit 1; }
[ $# -gt 0 ] || die "usage: $0 COMMAND..."

# Connects and runs SELECT 1 within a few seconds: the server is up, lets us in, and has the database.
answers() {
    "$PYTHON" - "$1" >/dev/null 2>&1 <<'EOF'
import sys

import sqlalchemy as sa

engine = sa.create_engine(sys.argv[1], connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)
with engine.connect() as conn:
    conn.execute(sa.text("SELECT 1"))
EOF
}

shown_url=$(sed -E 's#(//[^:/@]*):[^@]*@#\1:***@#' <<<"$URL")
if answers "$URL"; then
    log "using the server at $shown_url"
    BLOG_TEST_DATABASE_URL="$URL" exec "$@"
fi

# ---- no server answers: a private one ------------------------------------------------------------------
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
BIN=$(bindir)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    log "no PostgreSQL answers at $shown_url; installing Debian's postgresql"
    $SUDO apt-get update && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
    BIN=$(bindir)
    [ -n "$BIN" ] && [ -x "$BIN/initdb" ] || die "no initdb in /usr/lib/postgresql/*/bin after installing postgresql"
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/blog-test-postgres.XXXXXX")  # data, socket and log; short enough for a socket path
OWNER=()
if [ "$(id -u)" = 0 ]; then  # initdb and postgres refuse to run as root: the cluster belongs to Debian's postgres user
    id postgres >/dev/null 2>&1 || die "no 'postgres' user to run the private cluster as"
    chown postgres: "$DIR"
    OWNER=(runuser -u postgres --)
fi
stop() {
    "${OWNER[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 130' INT TERM

log "no PostgreSQL answers at $shown_url; starting a private one ($BIN) on a socket in $DIR"
"${OWNER[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
# Throwaway data: no fsync. Room for the connections of one xdist worker per core.
"${OWNER[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/postgres.log" -w -t 60 -o "-c listen_addresses='' \
    -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start \
    >/dev/null || { cat "$DIR/postgres.log" >&2; die "the private PostgreSQL did not start"; }
"${OWNER[@]}" "$BIN/createdb" -h "$DIR" -U postgres test

URL="postgresql+psycopg://postgres@/test?host=$DIR"
answers "$URL" || die "the private PostgreSQL at $DIR does not answer"
BLOG_TEST_DATABASE_URL="$URL" "$@"
