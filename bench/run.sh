#!/usr/bin/env bash
# The one command for the calvault benchmark against Radicale and Xandikos:
#
#     bench/run.sh                      # sizes 10000 and 50000 (takes a while: Radicale is capped)
#     bench/run.sh --quick              # smoke test: 500 objects, short caps
#     bench/run.sh --sizes "1000 5000"  # other sizes
#
# 1. installs what is missing: a venv at target/bench-venv with radicale and xandikos (PyPI),
#    and wrk (Debian) for the GET load test (a Python fallback is used without it);
# 2. builds calvault in release mode (cargo build --release --bin calvault; ~10 min cold);
# 3. runs bench/bench.py, which starts each server alone on 127.0.0.1 with a fresh data dir,
#    loads the same seeded calendar, measures, prints the table side by side with calvault's
#    ratio to each peer and the targets met / not met, and writes target/bench-results.json.
#    A peer's import stops at the cap (its rate is what it reached); the objects it did not
#    get through PUT are then written into its storage directly, so that every server
#    answers the queries on the same full data set (--capped-peer-queries subset|skip for
#    the older behaviours).
#
# Options (each also as an environment variable):
#   --sizes "N ..."        BENCH_SIZES        object counts            [10000 50000]
#   --import-cap S         BENCH_IMPORT_CAP   seconds per import step  [300]
#   --step-cap S           BENCH_STEP_CAP     seconds per query step   [120]
#   --servers "a b"        BENCH_SERVERS      subset of calvault radicale xandikos
#   --peer-sizes "N ..."   BENCH_PEER_SIZES   sizes at which the peers run too [every size]
#   --quick                                   500 objects, 60 s import cap, 20 s step caps
#   --no-build                                use the existing binary
#   CALVAULT_BIN=path                         binary to benchmark (implies --no-build), e.g.
#                                             target/debug/calvault to test the harness
#   RADICALE_VERSION, XANDIKOS_VERSION        pins for pip (default: pinned below)
# Anything else is passed on to bench/bench.py (see `bench/bench.py --help`).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

RADICALE_VERSION=${RADICALE_VERSION:-3.9.0}
XANDIKOS_VERSION=${XANDIKOS_VERSION:-0.4.10}
# The independent reference the table's result check uses when servers disagree.
RIE_VERSION=${RIE_VERSION:-3.8.2}
VENV="$ROOT/target/bench-venv"

note() { printf 'bench: %s\n' "$*" >&2; }

build=1
[ -n "${CALVAULT_BIN:-}" ] && build=0
py_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --sizes) read -r -a s <<<"$2"; py_args+=(--sizes "${s[@]}"); shift 2 ;;
        --servers) read -r -a s <<<"$2"; py_args+=(--servers "${s[@]}"); shift 2 ;;
        --peer-sizes) read -r -a s <<<"$2"; py_args+=(--peer-sizes "${s[@]}"); shift 2 ;;
        --import-cap|--step-cap) py_args+=("$1" "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) py_args+=("$1"); shift ;;
    esac
done
if [ -n "${BENCH_SERVERS:-}" ]; then
    read -r -a s <<<"$BENCH_SERVERS"; py_args+=(--servers "${s[@]}")
fi

# --- 1. tools -------------------------------------------------------------------------------
if ! command -v python3 >/dev/null 2>&1; then
    note "python3 is required"; exit 1
fi
if ! command -v wrk >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
        note "apt-get install wrk"
        (DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null) ||
            note "could not install wrk; the GET test uses the Python load generator"
    else
        note "wrk not found; the GET test uses the Python load generator"
    fi
fi
venv_ok() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$RADICALE_VERSION" "$XANDIKOS_VERSION" "$RIE_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
sys.exit(0 if (version("radicale"), version("xandikos"), version("recurring-ical-events"))
         == (sys.argv[1], sys.argv[2], sys.argv[3]) else 1)
EOF
}
if ! venv_ok; then
    note "creating $VENV with radicale==$RADICALE_VERSION xandikos==$XANDIKOS_VERSION recurring-ical-events==$RIE_VERSION"
    [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
        "radicale==$RADICALE_VERSION" "xandikos==$XANDIKOS_VERSION" \
        "recurring-ical-events==$RIE_VERSION"
    venv_ok || { note "installing radicale/xandikos/recurring-ical-events failed"; exit 1; }
fi

# --- 2. build ---------------------------------------------------------------------------------
if [ "$build" -eq 1 ]; then
    note "cargo build --release --bin calvault (about 10 minutes on 2 cores the first time)"
    cargo build --release --bin calvault
    export CALVAULT_BIN="$ROOT/target/release/calvault"
fi

# --- 3. run -----------------------------------------------------------------------------------
exec "$VENV/bin/python" "$ROOT/bench/bench.py" "${py_args[@]}"
