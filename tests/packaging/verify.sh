#!/usr/bin/env bash
# Checks the systemd units in packaging/ with `systemd-analyze verify` (unknown keys,
# bad values, missing executables), the way systemd would load them: the units are
# copied into a scratch directory with ExecStart pointing at the built binary
# ($CALVAULT_BIN, else target/debug/calvault), and the template as an instance.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${CALVAULT_BIN:-$ROOT/target/debug/calvault}
[ -x "$BIN" ] || { echo "verify.sh: no calvault binary at $BIN" >&2; exit 1; }
command -v systemd-analyze >/dev/null || { echo "verify.sh: systemd-analyze is missing (apt-get install systemd)" >&2; exit 1; }
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
for unit in calvault.service calvault-backup@.service calvault-backup@.timer; do
    name=${unit/@./@example.}
    sed "s|/usr/local/bin/calvault|$BIN|g" "$ROOT/packaging/$unit" >"$DIR/$name"
done
cd "$DIR"
# Messages about the host's own units (this may run in a container) are not ours: only
# lines naming our units count, and systemd-analyze's exit status.
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
    calvault.service calvault-backup@example.service calvault-backup@example.timer 2>&1) || {
    echo "$out"
    exit 1
}
ours=$(printf '%s\n' "$out" | grep -E 'calvault' || true)
if [ -n "$ours" ]; then
    echo "$ours"
    exit 1
fi
echo "verify.sh: calvault.service, calvault-backup@.service and calvault-backup@.timer verify"
