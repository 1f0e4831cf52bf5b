#!/usr/bin/env bash
# The one command that runs calvault's whole test suite, on a fresh Debian
# machine or a developer's:
#
#     tests/run-all.sh
#
# 1. installs what is missing (idempotent, quiet): litmus, curl, openssl, python3 +
#    pip, PostgreSQL, nginx, strace, libfuse2, systemd (systemd-analyze), chromium +
#    chromium-driver and npm (Debian), the Python packages caldav, caldav-server-tester,
#    fusepy, recurring-ical-events, icalendar, pytest, vdirsyncer, selenium, and the CalDAV servers
#    radicale and xandikos (the backup tool is tested against them), cargo-nextest, and
#    axe-core (npm, for the browser tests);
# 2. builds the workspace once (bins + tests, debug);
# 3. starts a throwaway PostgreSQL server (tests/postgres.sh) for the steps below;
# 4. checks formatting (cargo fmt), lints (cargo clippy -D warnings), dependency
#    licences (cargo deny, installed when missing) and the systemd units in packaging/
#    (systemd-analyze verify, tests/packaging/verify.sh), fuzzes four parsers for 60 s each
#    (fuzz/run.sh), then runs the Rust tests (cargo
#    nextest; cargo test if nextest is unavailable), the PostgreSQL store's conformance
#    suite among them;
# 5. runs the end-to-end and protocol engine tests again with the store in PostgreSQL;
# 6. runs the litmus WebDAV suites (basic, copymove, props, http, locks) against
#    target/debug/calvault, on SQLite and on PostgreSQL;
# 7. runs the CalDAV client interop tests (pytest, PyPI `caldav`; the time-range
#    cross-check against PyPI `recurring-ical-events`; caldav-server-tester's
#    principal-search checks), on SQLite and on PostgreSQL;
# 8. runs the multi-node test: three nodes on one PostgreSQL behind nginx, driven by
#    python `caldav` and vdirsyncer (tests/multinode);
# 9. runs the durability tests: a power cut during a write load on a filesystem that drops
#    what was not synced, and the syncs of acknowledged writes counted with strace
#    (tests/durability);
# 10. runs the web interface's browser tests: every flow in a real headless Chromium
#    (selenium), axe-core on every page, a screenshot of each page kept in
#    target/web-screenshots/ (tests/web).
#
# Every step after the build runs even if an earlier one failed; the exit code
# is non-zero if any step failed. Interop steps are bounded by `timeout`.
# Env: INTEROP_TIMEOUT (seconds per interop step, default 600),
#      CALDAV_VERSION (PyPI caldav version to use, default pinned below),
#      RECURRING_ICAL_EVENTS_VERSION, ICALENDAR_VERSION, CALDAV_SERVER_TESTER_VERSION (likewise).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

INTEROP_TIMEOUT=${INTEROP_TIMEOUT:-600}
# The interop tests are written against this version's requests (see
# tests/interop/); pinned so CI does not change behaviour under our feet.
CALDAV_VERSION=${CALDAV_VERSION:-3.6.0}
# tests/interop/test_recurrence_crosscheck.py compares our time-range results with
# these (their boundary semantics are documented there); pinned for the same reason.
RECURRING_ICAL_EVENTS_VERSION=${RECURRING_ICAL_EVENTS_VERSION:-3.8.2}
ICALENDAR_VERSION=${ICALENDAR_VERSION:-7.3.0}
# tests/interop/test_caldav_server_tester.py runs this checker's principal-search checks.
CALDAV_SERVER_TESTER_VERSION=${CALDAV_SERVER_TESTER_VERSION:-1.7.0}
# The backup tool's end-to-end tests (crates/calvault/tests/backup.rs) back up and
# restore into these servers from PyPI (the same versions the benchmark pins).
RADICALE_VERSION=${RADICALE_VERSION:-3.9.0}
XANDIKOS_VERSION=${XANDIKOS_VERSION:-0.4.10}
# The multi-node test syncs through the load balancer with this vdirsyncer.
VDIRSYNCER_VERSION=${VDIRSYNCER_VERSION:-0.21.0}
# tests/interop/test_imip.py receives the invitations calvault sends with this SMTP server.
AIOSMTPD_VERSION=${AIOSMTPD_VERSION:-1.4.6}
# tests/durability/lossyfs.py is a FUSE filesystem written with it.
FUSEPY_VERSION=${FUSEPY_VERSION:-3.0.1}
# tests/web drives Debian's chromium through chromium-driver with this selenium, and checks
# every page with this axe-core (npm).
SELENIUM_VERSION=${SELENIUM_VERSION:-4.51.0}
AXE_CORE_VERSION=${AXE_CORE_VERSION:-4.14.1}

section() { printf '\n==================== %s ==================== (at %dm%02ds)\n' "$*" $((SECONDS / 60)) $((SECONDS % 60)); }
note() { printf 'run-all: %s\n' "$*"; }

# ---------------------------------------------------------------------------
section "setup: tools"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo -n)
    fi
fi

apt_updated=0
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        note "cannot install $* (no apt-get); please install them"
        return 1
    fi
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
        note "cannot install $* (not root, no sudo); please install them"
        return 1
    fi
    if [ "$apt_updated" -eq 0 ]; then
        "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
        apt_updated=1
    fi
    note "apt-get install $*"
    "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

missing=()
command -v litmus >/dev/null 2>&1 || missing+=(litmus)
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
# The durability tests: strace counts syncs; lossyfs (FUSE, through fusepy) drops unsynced data.
command -v strace >/dev/null 2>&1 || missing+=(strace)
ls /usr/lib/*/libfuse.so.2 >/dev/null 2>&1 || missing+=(libfuse2)
# The browser tests: Debian's Chromium and its WebDriver, a font for the pages, npm for axe-core.
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
command -v npm >/dev/null 2>&1 || missing+=(npm)
# The fuzz targets link libFuzzer, which libfuzzer-sys compiles from C++.
command -v g++ >/dev/null 2>&1 || missing+=(g++)
# packaging/'s units are checked with systemd-analyze verify.
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
if ! command -v python3 >/dev/null 2>&1 || ! python3 -m pip --version >/dev/null 2>&1; then
    missing+=(python3-pip)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    apt_install "${missing[@]}"
fi

py_ok() {
    python3 - "$CALDAV_VERSION" "$RECURRING_ICAL_EVENTS_VERSION" "$ICALENDAR_VERSION" \
        "$RADICALE_VERSION" "$XANDIKOS_VERSION" "$VDIRSYNCER_VERSION" "$FUSEPY_VERSION" \
        "$CALDAV_SERVER_TESTER_VERSION" "$AIOSMTPD_VERSION" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import caldav, icalendar, pytest, recurring_ical_events, radicale, xandikos, vdirsyncer  # noqa: F401
import fuse  # noqa: F401
import caldav_server_tester, aiosmtpd  # noqa: F401
want = {"aiosmtpd": sys.argv[9], "caldav": sys.argv[1], "recurring-ical-events": sys.argv[2], "icalendar": sys.argv[3],
        "radicale": sys.argv[4], "xandikos": sys.argv[5], "vdirsyncer": sys.argv[6],
        "fusepy": sys.argv[7], "caldav-server-tester": sys.argv[8]}
sys.exit(0 if all(version(n) == v for n, v in want.items()) else 1)
EOF
}
if ! py_ok; then
    note "pip install caldav==$CALDAV_VERSION recurring-ical-events==$RECURRING_ICAL_EVENTS_VERSION icalendar==$ICALENDAR_VERSION pytest radicale==$RADICALE_VERSION xandikos==$XANDIKOS_VERSION vdirsyncer==$VDIRSYNCER_VERSION fusepy==$FUSEPY_VERSION caldav-server-tester==$CALDAV_SERVER_TESTER_VERSION aiosmtpd==$AIOSMTPD_VERSION"
    pip_args=(-q --disable-pip-version-check install "caldav==$CALDAV_VERSION"
        "recurring-ical-events==$RECURRING_ICAL_EVENTS_VERSION" "icalendar==$ICALENDAR_VERSION" pytest
        "radicale==$RADICALE_VERSION" "xandikos==$XANDIKOS_VERSION" "vdirsyncer==$VDIRSYNCER_VERSION"
        "fusepy==$FUSEPY_VERSION" "caldav-server-tester==$CALDAV_SERVER_TESTER_VERSION"
        "aiosmtpd==$AIOSMTPD_VERSION")
    # Debian's system python refuses plain pip installs (PEP 668).
    if ! python3 -m pip "${pip_args[@]}" 2>/dev/null; then
        python3 -m pip "${pip_args[@]}" --break-system-packages
    fi
    py_ok || { note "caldav/recurring-ical-events/icalendar/pytest/radicale/xandikos/vdirsyncer/caldav-server-tester/aiosmtpd still not importable after pip install"; exit 1; }
fi

selenium_ok() {
    python3 -c "import sys; from importlib.metadata import version; import selenium; sys.exit(version('selenium') != sys.argv[1])" "$SELENIUM_VERSION" >/dev/null 2>&1
}
if ! selenium_ok; then
    note "pip install selenium==$SELENIUM_VERSION"
    if ! python3 -m pip -q --disable-pip-version-check install "selenium==$SELENIUM_VERSION" 2>/dev/null; then
        python3 -m pip -q --disable-pip-version-check install "selenium==$SELENIUM_VERSION" --break-system-packages
    fi
    selenium_ok || { note "selenium still not importable after pip install"; exit 1; }
fi

command -v cargo >/dev/null 2>&1 || { note "cargo not found: install the Rust toolchain (rustup)"; exit 1; }
HAVE_NEXTEST=1
if ! cargo nextest --version >/dev/null 2>&1; then
    note "cargo install cargo-nextest --locked"
    if ! cargo install -q cargo-nextest --locked; then
        note "cargo-nextest could not be installed; falling back to cargo test"
        HAVE_NEXTEST=0
    fi
fi
note "litmus $(litmus --version 2>/dev/null | awk '{print $2}'), $(python3 --version), caldav $(python3 -c 'import caldav; print(caldav.__version__)'), recurring-ical-events $(python3 -c 'from importlib.metadata import version; print(version("recurring-ical-events"))'), $(cargo --version)"

# ---------------------------------------------------------------------------
section "build: cargo build --workspace --bins --tests"
note "disk before the build: $(df -h --output=avail . | tail -1 | tr -d " ") free"
cargo build --workspace --bins --tests

TARGET_DIR=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export CALVAULT_BIN="$TARGET_DIR/debug/calvault"
# The Python that runs Radicale and Xandikos for the backup tests.
export CALVAULT_TEST_PYTHON=${CALVAULT_TEST_PYTHON:-$(command -v python3)}
[ -x "$CALVAULT_BIN" ] || { note "build produced no $CALVAULT_BIN"; exit 1; }
# axe-core for the browser tests, from npm into the target directory (no Node at run time:
# the tests inject its one file into the page).
export AXE_JS="$TARGET_DIR/web-node/node_modules/axe-core/axe.min.js"
if ! grep -qs "\"version\": \"$AXE_CORE_VERSION\"" "$TARGET_DIR/web-node/node_modules/axe-core/package.json"; then
    note "npm install axe-core@$AXE_CORE_VERSION"
    mkdir -p "$TARGET_DIR/web-node"
    npm install --no-save --no-audit --no-fund --silent --prefix "$TARGET_DIR/web-node" \
        "axe-core@$AXE_CORE_VERSION" || note "npm install axe-core failed"
fi

# ---------------------------------------------------------------------------
section "setup: PostgreSQL (tests/postgres.sh)"
PG_DIR=$(mktemp -d)
trap '"$ROOT/tests/postgres.sh" stop "$PG_DIR"; rm -rf "$PG_DIR"' EXIT
CALVAULT_TEST_POSTGRES=$("$ROOT/tests/postgres.sh" start "$PG_DIR")
export CALVAULT_TEST_POSTGRES
# The CA of the test server's certificate, for the TLS tests.
export CALVAULT_TEST_POSTGRES_CA="$PG_DIR/tls/ca.crt"
note "PostgreSQL $(psql "$CALVAULT_TEST_POSTGRES/postgres" -qAtc 'SHOW server_version') at $CALVAULT_TEST_POSTGRES"
# A fresh database for one step.
pg_database() { "$ROOT/tests/postgres.sh" createdb "$CALVAULT_TEST_POSTGRES" "$1"; }
# Drops the databases the steps before left, before the next step makes its own.
pg_sweep() { "$ROOT/tests/postgres.sh" sweep "$CALVAULT_TEST_POSTGRES" || true; }

results=()
failures=0
record() { # name rc
    if [ "$2" -eq 0 ]; then
        results+=("$1: ok")
    else
        results+=("$1: FAILED (exit $2)")
        failures=$((failures + 1))
    fi
}

# ---------------------------------------------------------------------------
# cargo_tests TITLE ARGS...: the Rust tests, through nextest when it is there.
cargo_tests() {
    local title=$1
    shift
    local rc=0
    if [ "$HAVE_NEXTEST" -eq 1 ]; then
        section "$title: cargo nextest run $*"
        cargo nextest run --no-fail-fast --no-tests=warn "$@" || rc=$?
    else
        section "$title: cargo test $*"
        cargo test --no-fail-fast "$@" || rc=$?
    fi
    record "$title" "$rc"
}

# interop TITLE COMMAND...: one bounded interop step.
interop() {
    local title=$1
    shift
    section "interop: $title"
    local rc=0
    timeout --kill-after=10 "$INTEROP_TIMEOUT" "$@" || rc=$?
    [ "$rc" -eq 124 ] && note "$title timed out after ${INTEROP_TIMEOUT}s"
    [ "$rc" -eq 5 ] && note "$title collected no tests"
    record "$title" "$rc"
}

# The code's own gates: formatting, lints as errors, and only permissive licences (advisories
# need the advisory database from GitHub, which this machine cannot reach).
gate() { # title command...
    local title=$1
    shift
    section "$title: $*"
    local rc=0
    "$@" || rc=$?
    record "$title" "$rc"
}
gate "format" cargo fmt --all -- --check
gate "clippy" cargo clippy --workspace --all-targets -- -D warnings
# No two modules of one crate import each other (ARCHITECTURE.md: layers, not a web).
gate "import circles" python3 "$ROOT/tests/tools/module_cycles.py" "$ROOT/crates"
if command -v cargo-deny >/dev/null 2>&1 || cargo install -q --locked cargo-deny; then
    gate "licences (cargo deny)" cargo deny check licenses bans sources
else
    record "licences (cargo deny)" 1
fi

gate "systemd units (systemd-analyze verify)" "$ROOT/tests/packaging/verify.sh"
# Four parsers fuzzed for a bounded time each (FUZZ_SECONDS, default 60): a crash, a hang or
# an oversized allocation fails the step (fuzz/README.md).
gate "fuzz (ical, rrule, xml_requests, headers)" "$ROOT/fuzz/run.sh" "${FUZZ_SECONDS:-60}"

cargo_tests "rust tests" --workspace
pg_sweep
CALVAULT_TEST_STORE=postgres cargo_tests "rust end-to-end tests on PostgreSQL" \
    -p calvault --test e2e --test history --test security --test ops
pg_sweep
CALVAULT_TEST_STORE=postgres cargo_tests "protocol engine tests on PostgreSQL" -p dav
pg_sweep

interop "litmus (WebDAV basic copymove props http locks)" "$ROOT/tests/interop/litmus.sh"
CALVAULT_DATABASE=$(pg_database calvault_litmus) \
    interop "litmus on PostgreSQL" "$ROOT/tests/interop/litmus.sh"

PYTEST=(python3 -m pytest -q -p no:cacheprovider)
interop "caldav client (caldav $CALDAV_VERSION)" "${PYTEST[@]}" "$ROOT/tests/interop"
CALVAULT_DATABASE=$(pg_database calvault_interop) \
    interop "caldav client on PostgreSQL" "${PYTEST[@]}" "$ROOT/tests/interop"

pg_sweep
interop "multi-node: 3 nodes, PostgreSQL, nginx; caldav + vdirsyncer" \
    "${PYTEST[@]}" "$ROOT/tests/multinode"

interop "durability: a power cut on lossyfs, syncs under strace" \
    "${PYTEST[@]}" "$ROOT/tests/durability"

# Screenshots of every page stay in target/web-screenshots/ (a CI artifact).
CALVAULT_WEB_SCREENSHOTS="$TARGET_DIR/web-screenshots" \
    interop "web interface in headless Chromium (selenium, axe-core)" \
    "${PYTEST[@]}" "$ROOT/tests/web"
CALVAULT_DATABASE=$(pg_database calvault_web) CALVAULT_WEB_SCREENSHOTS="$TARGET_DIR/web-screenshots-postgres" \
    interop "web interface on PostgreSQL" "${PYTEST[@]}" "$ROOT/tests/web"

# ---------------------------------------------------------------------------
section "summary"
note "disk: $(df -h --output=used,avail "$TARGET_DIR" | tail -1 | awk '{print $1" used, "$2" free"}') where the target directory is; target $(du -sh "$TARGET_DIR" 2>/dev/null | cut -f1)"
for r in "${results[@]}"; do
    echo "  $r"
done
if [ "$failures" -ne 0 ]; then
    echo "run-all: FAILED - $failures of ${#results[@]} test steps failed (build ok)"
    exit 1
fi
echo "run-all: OK - build and all ${#results[@]} test steps passed"
