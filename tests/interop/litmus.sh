#!/usr/bin/env bash
# WebDAV conformance: runs the `litmus` suites basic, copymove, props, http and
# locks (class 2) against a fresh calvault server, on a plain WebDAV collection
# under a user's calendar home.
#
# Usage: tests/interop/litmus.sh
# Env:   CALVAULT_BIN   server binary (default: <repo>/target/debug/calvault)
#        LITMUS_TESTS   suites to run (default: "basic copymove props http locks")
#        LITMUS_TIMEOUT seconds for the whole litmus run (default: 300)
#        LITMUS_MIN_LOCKS tests of the locks suite that must pass, not be skipped
#                       (default: 30; litmus skips the suite when OPTIONS does
#                       not advertise class 2)
# Exit:  0 when every suite ran and no test FAILED (warnings are printed and
#        allowed); non-zero otherwise, with the server log's tail printed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${CALVAULT_BIN:-$ROOT/target/debug/calvault}
SUITES=${LITMUS_TESTS:-basic copymove props http locks}
MIN_LOCKS=${LITMUS_MIN_LOCKS:-30}
LITMUS_TIMEOUT=${LITMUS_TIMEOUT:-300}
USER_NAME=litmus
PASSWORD='litmus-Pa55word'

die() { echo "litmus.sh: $*" >&2; exit 1; }

command -v litmus >/dev/null 2>&1 || die "litmus is not installed (apt-get install litmus)"
command -v curl >/dev/null 2>&1 || die "curl is not installed (apt-get install curl)"
[ -x "$BIN" ] || die "server binary not found: $BIN (build it or set CALVAULT_BIN)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/calvault-litmus.XXXXXX")
DATA=$WORK/data
LOG=$WORK/server.log
SERVER_PID=""
STATUS=1

show_log() {
    if [ -s "$LOG" ]; then
        echo "---- server log (last 60 lines of $LOG) ----" >&2
        tail -n 60 "$LOG" >&2
        echo "---- end of server log ----" >&2
    fi
}

cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in 1 2 3 4 5 6 7 8 9 10; do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.2
        done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "$rc" -ne 0 ] || [ "$STATUS" -ne 0 ]; then
        show_log
        echo "litmus.sh: work files kept in $WORK" >&2
    else
        rm -rf "$WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# --- user -------------------------------------------------------------------
printf '%s\n' "$PASSWORD" | "$BIN" user add "$USER_NAME" --password-stdin --data "$DATA" >>"$LOG" 2>&1 \
    || die "'calvault user add' failed"

# --- server (retry with another port if the chosen one got taken) ----------
PORT=""
for attempt in 1 2 3; do
    PORT=$(free_port)
    echo "== starting server on 127.0.0.1:$PORT (attempt $attempt)" >>"$LOG"
    "$BIN" serve --data "$DATA" --listen "127.0.0.1:$PORT" >>"$LOG" 2>&1 &
    SERVER_PID=$!
    ready=0
    for _ in $(seq 1 150); do           # up to ~30 s
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$PORT/.well-known/caldav" || true)
        if [ "${code:-000}" != 000 ] && [ "${code:0:1}" != 5 ]; then
            ready=1
            break
        fi
        sleep 0.2
    done
    [ "$ready" -eq 1 ] && break
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
done
[ -n "$SERVER_PID" ] || die "server did not become ready"
BASE=http://127.0.0.1:$PORT
echo "litmus.sh: server pid $SERVER_PID listening on $BASE"

# --- plain WebDAV collection for litmus ------------------------------------
URL=$BASE/dav/calendars/$USER_NAME/webdav/
code=$(curl -s -o "$WORK/mkcol.out" -w '%{http_code}' -u "$USER_NAME:$PASSWORD" -X MKCOL "$URL")
[ "$code" = 201 ] || die "MKCOL $URL answered $code (expected 201): $(head -c 500 "$WORK/mkcol.out")"

# --- litmus -----------------------------------------------------------------
# litmus writes debug.log/child.log into the current directory; keep them in WORK.
# -k: go on with later suites when one fails (litmus then exits 0 even on
# failures, so the verdict comes from parsing its output below).
echo "litmus.sh: running litmus suites [$SUITES] against $URL"
set +e
(cd "$WORK" && TESTS="$SUITES" timeout "$LITMUS_TIMEOUT" litmus -k "$URL" "$USER_NAME" "$PASSWORD") >"$WORK/litmus.raw" 2>&1
litmus_rc=$?
set -e
# litmus redraws each test line with '\r': keep what follows the last '\r'.
sed 's/.*\r//' "$WORK/litmus.raw" >"$WORK/litmus.out"

failed=0
if [ "$litmus_rc" -eq 124 ]; then
    echo "litmus.sh: litmus timed out after ${LITMUS_TIMEOUT}s" >&2
    failed=1
fi

echo "---- litmus results ----"
for suite in $SUITES; do
    summary=$(grep -E "^<- summary for \`$suite':" "$WORK/litmus.out" || true)
    if [ -z "$summary" ]; then
        echo "$suite: NO SUMMARY (suite did not run to completion)"
        failed=1
        continue
    fi
    echo "$summary"
    nfail=$(printf '%s\n' "$summary" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
    if [ -z "$nfail" ] || [ "$nfail" -ne 0 ]; then
        failed=1
    fi
    if [ "$suite" = locks ]; then
        npass=$(printf '%s\n' "$summary" | sed -nE 's/.* ([0-9]+) passed.*/\1/p')
        if [ -z "$npass" ] || [ "$npass" -lt "$MIN_LOCKS" ]; then
            echo "locks: only ${npass:-0} tests passed, at least $MIN_LOCKS must (skipped ones do not count)"
            failed=1
        fi
    fi
done

if grep -q 'WARNING' "$WORK/litmus.out"; then
    echo "---- litmus warnings (allowed) ----"
    grep -E 'WARNING|warnings? (was|were) issued' "$WORK/litmus.out" || true
fi
if grep -qE ' FAIL( |$)' "$WORK/litmus.out"; then
    failed=1
    echo "---- litmus failures ----"
    # a FAIL message can span lines: print until the next numbered test line
    awk '/ FAIL( |$)/ {p=1; print; next} p && /^ *[0-9]+\. / {p=0} p && /^(<-|->)/ {p=0} p {print}' "$WORK/litmus.out"
fi
if grep -q 'ERROR' "$WORK/litmus.out"; then
    grep 'ERROR' "$WORK/litmus.out" || true
fi

if [ "$failed" -ne 0 ]; then
    echo "---- full litmus output: $WORK/litmus.out, HTTP trace: $WORK/debug.log ----"
    echo "litmus: FAILED"
    exit 1
fi
STATUS=0
echo "litmus: all suites passed ($SUITES)"
