#!/usr/bin/env bash
# What the backup tool costs: builds calvault in release mode, serves a seeded realistic
# calendar (bench/gen.py) from it and runs bench/backup.py: full, no-change, incremental
# (10 changes) and --full backups with their requests and bytes, verify, and a restore.
#
#     bench/backup.sh                   # 10,000 objects
#     bench/backup.sh --objects 2000    # quicker
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cargo build --release --bin calvault
exec python3 bench/backup.py --bin "$ROOT/target/release/calvault" "$@"
