#!/usr/bin/env python3
"""Two calvault binaries, alternated: is a change faster, slower, or within noise?

    bench/compare.py OLD_BIN NEW_BIN [--rounds 3] [--size 10000] [-- extra bench.py args]

Runs bench/bench.py for calvault alone (same seeded calendar, fresh data directory each run),
old then new, `--rounds` times, so that a slow minute of the machine hits both alike. Prints
the median of each metric for each binary and new relative to old (>1: new is better).
Bounded: each bench.py run has its own import and step caps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROWS  # noqa: E402

HERE = Path(__file__).resolve().parent


def one_run(binary: str, size: int, extra: list[str]) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [sys.executable, str(HERE / "bench.py"), "--servers", "calvault", "--sizes",
             str(size), "--calvault-bin", binary, "--json", out.name, *extra],
            check=True, stdout=subprocess.DEVNULL)
        return json.loads(Path(out.name).read_text())["results"][str(size)]["calvault"]


def metric(result: dict, key: str, field: str | None) -> float | None:
    value = result.get(key)
    if field is not None:
        value = value.get(field) if isinstance(value, dict) else None
    return float(value) if isinstance(value, (int, float)) else None


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    for r in range(args.rounds):
        for which in ("old", "new"):
            print(f"round {r + 1}/{args.rounds}: {which}", file=sys.stderr, flush=True)
            runs[which].append(one_run(getattr(args, which), args.size, args.extra))
    print(f"{'':32}{'old':>12}{'new':>12}{'new/old':>10}   ({args.rounds} rounds, "
          f"{args.size} objects, medians)")
    for label, key, field, higher_better in ROWS:
        old = [v for v in (metric(x, key, field) for x in runs["old"]) if v is not None]
        new = [v for v in (metric(x, key, field) for x in runs["new"]) if v is not None]
        if not old or not new:
            continue
        a, b = statistics.median(old), statistics.median(new)
        ratio = (b / a if higher_better else a / b) if a and b else float("nan")
        print(f"{label:32}{a:12.2f}{b:12.2f}{ratio:9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
