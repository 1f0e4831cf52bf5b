#!/usr/bin/env python3
"""Throughput of 1, 2 and 3 calvault nodes on one PostgreSQL behind nginx (round-robin).

For each node count: a fresh database, N `calvault serve --database` nodes, nginx in front;
then through nginx: bulk PUT (16 in flight), GET under 16 connections (wrk), and 1-week
calendar-queries under 8 concurrent clients. A 1-node run without nginx is the baseline.
Prints requests per second and where the CPU time went (calvault nodes, PostgreSQL, nginx),
which is what limits a one-machine test: every part shares the same cores.

    bench/multinode.py --postgres postgres://postgres@127.0.0.1:PORT [--objects 5000]

Use a release build (CALVAULT_BIN or --calvault-bin; default target/release/calvault).
"""

import argparse
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402
import gen  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process (with its reaped children)."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = sum(int(f) for f in fields[11:15]) / CLK_TCK  # utime stime cutime cstime
    return seconds


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two samples; a process that started in between counts whole
    (PostgreSQL starts a backend per new pool connection)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def pids_named(name: str) -> list[int]:
    out = subprocess.run(["pgrep", "-x", name], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


class Target:
    """What bench.py's load functions need: a port, a calendar path and a name."""

    def __init__(self, name: str, port: int, cal: str):
        self.name, self.port, self.cal = name, port, cal


class Cluster:
    """N calvault nodes on one fresh database, optionally behind nginx."""

    def __init__(self, args, nodes: int, balancer: bool, work: Path):
        self.args, self.work = args, work
        base = args.postgres.rstrip("/")
        name = f"calvault_multinode_{os.getpid()}_{nodes}_{int(balancer)}"
        for sql in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", f"{base}/postgres", "-qc", sql], check=True,
                           capture_output=True)
        self.database = f"{base}/{name}"
        subprocess.run([args.calvault_bin, "user", "add", bench.USER, "--password-stdin",
                        "--database", self.database], input=bench.PASSWORD + "\n", text=True,
                       check=True, capture_output=True)
        self.procs: list[subprocess.Popen] = []
        self.ports = [bench.free_port() for _ in range(nodes)]
        for port in self.ports:
            log = open(work / f"node-{port}.log", "wb")
            self.procs.append(subprocess.Popen(
                [args.calvault_bin, "serve", "--database", self.database, "--data",
                 str(work / f"unused-{port}"), "--listen", f"127.0.0.1:{port}",
                 "--log-level", "warn"],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        for port in self.ports:
            wait_for(port)
        self.nginx = None
        self.port = self.ports[0]
        if balancer:
            self.port = bench.free_port()
            self.nginx = start_nginx(work / f"nginx-{nodes}", self.ports, self.port)
            wait_for(self.port)

    def calvault_pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def nginx_pids(self) -> list[int]:
        if self.nginx is None:
            return []
        out = subprocess.run(["pgrep", "-P", str(self.nginx.pid)], capture_output=True,
                             text=True)
        return [self.nginx.pid] + [int(p) for p in out.stdout.split()]

    def stop(self) -> None:
        for p in self.procs + ([self.nginx] if self.nginx else []):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs + ([self.nginx] if self.nginx else []):
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def wait_for(port: int) -> None:
    c = bench.Client(port, 5)
    deadline = time.monotonic() + 60
    while True:
        try:
            c.request("OPTIONS", "/")
            c.close()
            return
        except OSError:
            c.close()
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing answered on port {port} within 60 s")
            time.sleep(0.1)


def start_nginx(prefix: Path, upstreams: list[int], port: int) -> subprocess.Popen:
    prefix.mkdir(parents=True, exist_ok=True)
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in upstreams)
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream calvault {{
{servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 20m;
        location / {{
            proxy_pass http://calvault;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
        }}
    }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return subprocess.Popen([nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"),
                             "-g", "daemon off;"], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def query_load(target: Target, seconds: float, clients: int) -> dict:
    """1-week calendar-queries (etags only) from `clients` threads for `seconds`."""
    count, errors = [0], [0]
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker(k: int) -> None:
        c = bench.Client(target.port, 30)
        week = 0
        while time.monotonic() < end:
            start = gen.START + dt.timedelta(days=7 * ((k * 13 + week) % 50))
            week += 1
            code, _, _ = c.request("REPORT", target.cal, bench.query_body(start, False),
                                   {**bench.XML, "Depth": "1"})
            with lock:
                if code == 207:
                    count[0] += 1
                else:
                    errors[0] += 1
        c.close()

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"per_s": count[0] / (time.perf_counter() - t0), "errors": errors[0]}


def measure(args, nodes: int, balancer: bool, objs, work: Path) -> dict:
    cluster = Cluster(args, nodes, balancer, work)
    try:
        target = Target(f"{nodes} node(s)", cluster.port, f"/dav/calendars/{bench.USER}/calendar/")
        result = {}
        steps = (
            ("put", lambda: bench.do_import(target, objs, args.step_cap, inflight=16)[0]),
            ("get", lambda: bench.wrk_get(target, [o.href_name for o in objs],
                                          args.seconds, 16, work)),
            ("query", lambda: query_load(target, args.seconds, 8)),
        )
        for name, step in steps:
            parts = (cluster.calvault_pids, lambda: pids_named("postgres"), cluster.nginx_pids)
            before = [cpu_by_pid(pids()) for pids in parts]
            t0 = time.perf_counter()
            outcome = step()
            wall = time.perf_counter() - t0
            after = [cpu_by_pid(pids()) for pids in parts]
            cpu = [cpu_used(b, a) / wall for b, a in zip(before, after)]
            if name in ("put", "get"):
                rate = outcome.extra["objects_per_s" if name == "put" else "requests_per_s"]
                errors = outcome.errors
                if outcome.error_sample:
                    bench.log(f"  first error: {outcome.error_sample}")
            else:
                rate, errors = outcome["per_s"], outcome["errors"]
            result[name] = {"per_s": rate, "errors": errors, "cpu": cpu}
            bench.log(f"{target.name}{' + nginx' if balancer else ''}: {name} {rate:.0f}/s "
                      f"(cores busy: calvault {cpu[0]:.2f}, postgres {cpu[1]:.2f}, "
                      f"nginx {cpu[2]:.2f}; errors {errors})")
        return result
    finally:
        cluster.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES"), required=False)
    ap.add_argument("--calvault-bin", default=os.environ.get(
        "CALVAULT_BIN", str(ROOT / "target/release/calvault")))
    ap.add_argument("--objects", type=int, default=5000)
    ap.add_argument("--seconds", type=float, default=10, help="seconds per GET/query step")
    ap.add_argument("--step-cap", type=float, default=300, help="seconds the PUT step may take")
    args = ap.parse_args()
    if not args.postgres:
        ap.error("--postgres postgres://... (or BENCH_POSTGRES) is required")
    objs = [gen.generate(bench.SEED, i) for i in range(args.objects)]
    work = Path(tempfile.mkdtemp(prefix="calvault-multinode-"))
    runs = [("1 node, direct", 1, False), ("1 node + nginx", 1, True),
            ("2 nodes + nginx", 2, True), ("3 nodes + nginx", 3, True)]
    results = {label: measure(args, n, lb, objs, work) for label, n, lb in runs}
    print(f"\n{args.objects} objects; {os.cpu_count()} cores shared by the nodes, PostgreSQL, "
          f"nginx and the load generators")
    print(f"{'':<18}{'PUT obj/s':>11}{'GET req/s':>11}{'query/s':>10}   "
          f"cores busy during GET (calvault / postgres / nginx)")
    for label, r in results.items():
        cpu = r["get"]["cpu"]
        print(f"{label:<18}{r['put']['per_s']:>11.0f}{r['get']['per_s']:>11.0f}"
              f"{r['query']['per_s']:>10.0f}   {cpu[0]:.2f} / {cpu[1]:.2f} / {cpu[2]:.2f}")
    errors = sum(step["errors"] or 0 for r in results.values() for step in r.values())
    if errors:
        print(f"{errors} requests failed; see the logs in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
