#!/usr/bin/env python3
"""What calvault's history costs: write throughput of a normal build against a build that
skips the history insert (cargo feature `bench-no-history`), and the history's size per
10,000 edits. Started by bench/history.sh, which builds both binaries.

Each round: a fresh data directory, 2,000 objects imported, then EDITS edits (PUT of a new
revision of an existing object, 8 in flight), timed. Rounds alternate between the builds
to spread the machine's noise over both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
import gen  # noqa: E402

OBJECTS = 2_000


class Build(bench.Calvault):
    def __init__(self, binary: str, workdir: Path):
        args = argparse.Namespace(calvault_bin=binary)
        super().__init__(args, workdir)


def round_trip(binary: str, edits: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="calvault-history-bench-"))
    srv = Build(binary, workdir)
    srv.start()
    try:
        base = [gen.generate(bench.SEED, i) for i in range(OBJECTS)]
        st, loaded = bench.do_import(srv, base, 600)
        if st.errors:
            raise RuntimeError(f"import failed: {st.error_sample}")
        changed = [gen.generate(bench.SEED, i % OBJECTS, revision=1 + i // OBJECTS)
                   for i in range(edits)]
        st, done = bench.do_import(srv, changed, 900)
        if st.errors or done != edits:
            raise RuntimeError(f"edits failed: {st.error_sample}")
        rate = st.extra["objects_per_s"]
    finally:
        srv.stop()
    out = {"edits_per_s": rate}
    stats = subprocess.run([binary, "history", "stats", "--json", "--data", str(srv.data)],
                           capture_output=True, text=True)
    if stats.returncode == 0:
        rows = [json.loads(line) for line in stats.stdout.splitlines() if line.strip()]
        out["history_versions"] = sum(r["versions"] for r in rows)
        out["history_data_bytes"] = sum(r["data_bytes"] for r in rows)
    out["db_bytes"] = sum(f.stat().st_size for f in srv.data.iterdir())
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--with", dest="with_history", required=True)
    p.add_argument("--without", dest="without_history", required=True)
    p.add_argument("--edits", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    results: dict[str, list[dict]] = {"with history": [], "without history": []}
    for r in range(a.rounds):
        for label, binary in (("with history", a.with_history),
                              ("without history", a.without_history)):
            res = round_trip(binary, a.edits)
            bench.log(f"round {r + 1} {label}: {res}")
            results[label].append(res)
    on = statistics.median(x["edits_per_s"] for x in results["with history"])
    off = statistics.median(x["edits_per_s"] for x in results["without history"])
    last = results["with history"][-1]
    cost = (off - on) / off * 100 if off else float("nan")
    print(f"\n{a.edits} edits on {OBJECTS} objects, 8 in flight, median of {a.rounds} rounds")
    print(f"  with history      {on:10.1f} edits/s")
    print(f"  without history   {off:10.1f} edits/s")
    print(f"  history costs     {cost:10.1f} % of write throughput (target < 20 %)")
    if "history_data_bytes" in last:
        per_10k = last["history_data_bytes"] / (last["history_versions"] or 1) * 10_000
        print(f"  history size      {last['history_versions']} versions, "
              f"{last['history_data_bytes'] / 1e6:.1f} MB of version data "
              f"({per_10k / 1e6:.1f} MB per 10,000 edits); database {last['db_bytes'] / 1e6:.1f} MB")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
