#!/usr/bin/env bash
# What history costs: builds calvault twice in release mode (normally, and with the
# benchmark-only feature that skips the history insert), then runs bench/history.py.
#
#     bench/history.sh                 # 10,000 edits, 3 rounds per build
#     bench/history.sh --edits 2000    # quicker
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cargo build --release --bin calvault --features bench-no-history
cp target/release/calvault target/release/calvault-no-history
cargo build --release --bin calvault
exec python3 bench/history.py --with "$ROOT/target/release/calvault" \
    --without "$ROOT/target/release/calvault-no-history" "$@"
