#!/usr/bin/env bash
# Builds the fuzz targets with libFuzzer's coverage instrumentation and runs each for a
# bounded time, seeded from the project's test data. Fails on a crash (a panic aborts), a
# hang (one input over TIMEOUT seconds) or an allocation over MALLOC_MB in one go, and
# replays every input kept in fuzz/regressions/TARGET/ first.
#
#     fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]     (default 60 s, every target)
#
# No cargo-fuzz and no nightly toolchain: libfuzzer-sys links libFuzzer itself, and the
# instrumentation flags are the ones cargo-fuzz passes (stable rustc accepts them).
# Findings are written to $TARGET_DIR/fuzz-artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SECONDS_PER_TARGET=${1:-60}
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(ical rrule xml_requests headers)
TIMEOUT=${FUZZ_TIMEOUT:-10}
MALLOC_MB=${FUZZ_MALLOC_MB:-512}
RSS_MB=${FUZZ_RSS_MB:-2048}

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
FUZZ_TARGET_DIR=$TARGET_DIR/fuzz
WORK=$TARGET_DIR/fuzz-work
rm -rf "$WORK"
mkdir -p "$WORK"

export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
# Some of the flags above count as unstable on older toolchains.
export RUSTC_BOOTSTRAP=1
# An explicit --target keeps RUSTFLAGS off the build scripts, which have no libFuzzer.
HOST=$(rustc -vV | sed -n 's/^host: //p')
echo "fuzz: building ${TARGETS[*]} for $HOST"
cargo build --release --manifest-path "$ROOT/fuzz/Cargo.toml" --target-dir "$FUZZ_TARGET_DIR" \
    --target "$HOST" $(printf -- '--bin %s ' "${TARGETS[@]}")
BIN_DIR=$FUZZ_TARGET_DIR/$HOST/release

# Seeds: whole .ics files; the recurrence lines of each; the bodies of the engine's golden
# requests; the header examples kept in fuzz/seeds/.
seed_ical() {
    find "$ROOT/testdata/ics" -name "*.ics" -size -64k -exec cp -t "$1/" {} +
    for f in "$ROOT"/crates/dav/tests/golden/put/*.request; do
        sed '1,/^$/d' "$f" > "$1/golden-$(basename "$f" .request)"
    done
}
seed_rrule() {
    find "$ROOT/testdata/ics" -name "*.ics" -print0 | while IFS= read -r -d "" f; do
        grep -aE '^(DTSTART|DTEND|DURATION|RRULE|EXRULE|EXDATE|RDATE|RECURRENCE-ID)[;:]' "$f" \
            > "$1/$(basename "$f" .ics)" || true
    done
    printf 'DTSTART;TZID=Europe/Paris:20260105T090000\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20261231T000000Z\r\nEXDATE;TZID=Europe/Paris:20260107T090000' > "$1/weekly"
    printf 'DTSTART:20260131T100000Z\r\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;BYSETPOS=1;COUNT=40' > "$1/monthly"
}
seed_xml_requests() {
    for f in "$ROOT"/crates/dav/tests/golden/*/*.request; do
        local body
        body=$(sed '1,/^$/d' "$f")
        case $body in "<"*) printf '%s' "$body" > "$1/$(basename "$(dirname "$f")")-$(basename "$f" .request)" ;; esac
    done
}
seed_headers() { cp "$ROOT"/fuzz/seeds/headers/* "$1/"; }

failed=()
for t in "${TARGETS[@]}"; do
    corpus=$WORK/corpus-$t
    artifacts=$TARGET_DIR/fuzz-artifacts/$t
    mkdir -p "$corpus" "$artifacts"
    "seed_$t" "$corpus"
    limits=(-timeout="$TIMEOUT" -malloc_limit_mb="$MALLOC_MB" -rss_limit_mb="$RSS_MB" -max_len=65536)
    regressions=$ROOT/fuzz/regressions/$t
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        echo "fuzz: $t: replaying $(ls "$regressions" | wc -l) kept input(s)"
        if ! "$BIN_DIR/$t" "${limits[@]}" "$regressions"/* > "$WORK/$t-regressions.log" 2>&1; then
            tail -40 "$WORK/$t-regressions.log"
            failed+=("$t (a kept regression input fails again)")
            continue
        fi
    fi
    echo "fuzz: $t: ${SECONDS_PER_TARGET}s from $(ls "$corpus" | wc -l) seed(s)"
    if "$BIN_DIR/$t" "${limits[@]}" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
        -artifact_prefix="$artifacts/" "$corpus" > "$WORK/$t.log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$WORK/$t.log" \
            | sed "s/^/fuzz: $t: /"
    else
        tail -60 "$WORK/$t.log"
        failed+=("$t (see $artifacts)")
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}"
    exit 1
fi
echo "fuzz: OK - ${TARGETS[*]} ran ${SECONDS_PER_TARGET}s each without a finding"
