#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, in a directory of its own, on a free
# loopback port, trusting local connections (it holds nothing but test data).
#
#     tests/postgres.sh start DIR     # prints the base URL, postgres://postgres@127.0.0.1:PORT
#                                     # (TLS on: DIR/tls/ca.crt is the CA of its certificate)
#     tests/postgres.sh stop DIR
#     tests/postgres.sh createdb URL NAME   # a fresh, empty database; prints its URL
#     tests/postgres.sh sweep URL           # drops every database named calvault_*
#
# Needs Debian's postgresql package (tests/run-all.sh installs it). As root, the server
# runs as the `postgres` user, which PostgreSQL requires.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$dir" ] && [ -x "$dir/initdb" ] || die "no PostgreSQL server found (apt-get install postgresql)"
    echo "$dir"
}

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# A test CA and a server certificate for 127.0.0.1 and localhost, so that clients can test
# sslmode=require and verify-full against this server.
tls_files() {
    local tls=$1
    [ -f "$tls/server.crt" ] && return 0
    mkdir -p "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=calvault test CA" \
        -keyout "$tls/ca.key" -out "$tls/ca.crt" >/dev/null 2>&1 || die "openssl: CA"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
        -keyout "$tls/server.key" -out "$tls/server.csr" >/dev/null 2>&1 || die "openssl: key"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/san.ext"
    openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.crt" -CAkey "$tls/ca.key" \
        -CAcreateserial -days 3650 -extfile "$tls/san.ext" -out "$tls/server.crt" \
        >/dev/null 2>&1 || die "openssl: certificate"
    chmod 600 "$tls/server.key"
    [ "$(id -u)" -eq 0 ] && chown -R postgres "$tls"
    chmod 644 "$tls/ca.crt"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "${1:-}" in
start)
    dir=${2:?usage: postgres.sh start DIR}
    bin=$(bin_dir)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
        as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    tls_files "$dir/tls"
    port=$(free_port)
    # fsync off: test data need not survive a power cut, and it makes tests several times
    # faster. Enough connections for several nodes' pools at once.
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$dir/tls/server.crt -c ssl_key_file=$dir/tls/server.key" \
        start >/dev/null || { tail -30 "$dir/server.log" >&2; die "PostgreSQL did not start"; }
    echo "$port" >"$dir/port"
    echo "postgres://postgres@127.0.0.1:$port"
    ;;
stop)
    dir=${2:?usage: postgres.sh stop DIR}
    bin=$(bin_dir)
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    ;;
createdb)
    url=${2:?usage: postgres.sh createdb URL NAME}
    name=${3:?usage: postgres.sh createdb URL NAME}
    PGOPTIONS="-c client_min_messages=warning" psql "$url/postgres" -qc "DROP DATABASE IF EXISTS $name" >/dev/null
    psql "$url/postgres" -qc "CREATE DATABASE $name" >/dev/null
    echo "$url/$name"
    ;;
sweep)
    # Tests make a database each (about 8 MB); the suites drop theirs, and this catches
    # what a killed test or a harness without a guard left, so disk use stays bounded.
    url=${2:?usage: postgres.sh sweep URL}
    psql "$url/postgres" -qAtc "SELECT datname FROM pg_database WHERE datname LIKE 'calvault\_%'" |
        while read -r name; do
            psql "$url/postgres" -qc "DROP DATABASE IF EXISTS \"$name\" WITH (FORCE)" >/dev/null
        done
    ;;
*)
    die "usage: postgres.sh start DIR | stop DIR | createdb URL NAME | sweep URL"
    ;;
esac
