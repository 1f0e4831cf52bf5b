"""What `calvault backup` costs: full and incremental backup of a realistic calendar served
by calvault, with the requests each run sent, the repository size against the raw .ics
bytes, and a restore into a fresh server. Run through bench/backup.sh (release build).
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import gen  # noqa: E402

USER, PASSWORD, PASSPHRASE = "bench", "bench-pw", "bench passphrase"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SEED = 42


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary: str, workdir: Path):
        self.binary, self.port = binary, free_port()
        self.data = workdir / f"data-{self.port}"
        subprocess.run([binary, "user", "add", USER, "--password-stdin", "--data", str(self.data)],
                       input=PASSWORD + "\n", text=True, check=True, capture_output=True)
        self.proc = subprocess.Popen([binary, "serve", "--data", str(self.data), "--listen",
                                      f"127.0.0.1:{self.port}", "--log-level", "warn"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("calvault did not start")
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}/"
        self.cal = f"/dav/calendars/{USER}/calendar/"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def request(port: int, method: str, path: str, body: bytes = b"") -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    c.request(method, path, body, {"Authorization": AUTH, "Content-Type": "text/calendar"})
    status = c.getresponse().status
    c.close()
    return status


def load(server: Server, count: int) -> int:
    """PUTs `count` generated objects, 8 in flight; returns their raw bytes."""
    def worker(indexes: range) -> int:
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        total = 0
        for i in indexes:
            obj = gen.generate(SEED, i)
            c.request("PUT", server.cal + obj.href_name, obj.body,
                      {"Authorization": AUTH, "Content-Type": "text/calendar"})
            r = c.getresponse()
            r.read()
            if r.status not in (201, 204):
                raise RuntimeError(f"PUT {obj.href_name} -> {r.status}")
            total += len(obj.body)
        return total
    per = (count + 7) // 8
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        parts = [range(k * per, min(count, (k + 1) * per)) for k in range(8)]
        return sum(pool.map(worker, parts))


def calvault(binary: str, *args: str) -> tuple[float, str]:
    env = dict(os.environ, CALVAULT_PASSPHRASE=PASSPHRASE, CALVAULT_PASSWORD=PASSWORD)
    t = time.monotonic()
    r = subprocess.run([binary, *args], env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - t
    if r.returncode:
        raise RuntimeError(f"calvault {' '.join(args)} failed: {r.stdout}{r.stderr}")
    return elapsed, r.stdout


def run_figures(out: str) -> tuple[int, int]:
    m = re.search(r"(\d+) objects fetched in (\d+) requests", out)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--objects", type=int, default=10_000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="calvault-backup-bench-"))
    rows = []
    try:
        server = Server(args.bin, work)
        t = time.monotonic()
        raw = load(server, args.objects)
        print(f"loaded {args.objects} objects ({raw / 1e6:.1f} MB) in {time.monotonic() - t:.1f} s",
              flush=True)
        repo = str(work / "repo")
        init_s, _ = calvault(args.bin, "init", "--repo", repo)
        common = ("--repo", repo, "--url", server.url, "--user", USER)

        secs, out = calvault(args.bin, "backup", *common)
        fetched, reqs = run_figures(out)
        size_full = du(Path(repo))
        rows.append(("full backup", secs, reqs, fetched, size_full))

        secs, out = calvault(args.bin, "backup", *common)
        fetched, reqs = run_figures(out)
        rows.append(("no-change backup", secs, reqs, fetched, du(Path(repo)) - size_full))

        # 10 changes: 5 edits, 3 new objects, 2 deletions.
        for i in range(5):
            obj = gen.generate(SEED, i, revision=1)
            assert request(server.port, "PUT", server.cal + obj.href_name, obj.body) == 204
        for i in range(3):
            obj = gen.generate(SEED + 1, i)
            assert request(server.port, "PUT", server.cal + obj.href_name, obj.body) == 201
        for i in range(10, 12):
            obj = gen.generate(SEED, i)
            assert request(server.port, "DELETE", server.cal + obj.href_name) == 204
        before = du(Path(repo))
        secs, out = calvault(args.bin, "backup", *common)
        fetched, reqs = run_figures(out)
        rows.append(("incremental (10 changes)", secs, reqs, fetched, du(Path(repo)) - before))

        secs, out = calvault(args.bin, "backup", *common, "--full")
        fetched, reqs = run_figures(out)
        rows.append(("full comparison (--full)", secs, reqs, fetched, 0))

        verify_s, _ = calvault(args.bin, "verify", "--repo", repo, "--read-data")

        target = Server(args.bin, work)
        restore_s, out = calvault(args.bin, "restore", "latest", "--repo", repo, "--url",
                                  target.url, "--user", USER)
        m = re.search(r"(\d+) object\(s\) written.*?(\d+) requests", out, re.S)
        target.stop()
        server.stop()

        print(f"\ncalvault backup of {args.objects} objects served by calvault "
              f"(release build, 2 cores, Argon2id 64 MiB on every open)")
        print(f"{'step':<28}{'time s':>9}{'requests':>10}{'fetched':>9}{'bytes added':>13}")
        for name, secs, reqs, fetched, added in rows:
            print(f"{name:<28}{secs:>9.2f}{reqs:>10}{fetched:>9}{added:>13,}")
        print(f"{'verify --read-data':<28}{verify_s:>9.2f}")
        print(f"{'restore into fresh calvault':<28}{restore_s:>9.2f}"
              f"{(m.group(2) if m else '?'):>10}{(m.group(1) if m else '?'):>9}")
        print(f"\nraw .ics bytes {raw:,}; repository after the first backup {size_full:,} "
              f"({size_full / raw:.2f} of raw); init {init_s:.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
