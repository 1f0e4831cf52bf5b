"""Fixtures for the multi-node tests: three stateless `calvault serve` nodes on one
PostgreSQL database, behind nginx doing plain round-robin.

The session fixture `cluster`:

1. creates a fresh database on $CALVAULT_TEST_POSTGRES (a base URL such as
   postgres://postgres@127.0.0.1:5432, e.g. from `tests/postgres.sh start DIR`);
2. starts three nodes at once on it, `calvault serve --database URL --listen
   127.0.0.1:PORT --data DIR`, each with its own (unused) data directory, so that nothing
   but the database is shared and the nodes' schema migrations race as in a real deploy;
3. adds the users ann, bob and carol with `calvault user add NAME --password-stdin --database URL`
   while the nodes run;
4. starts nginx (`nginx -p PREFIX -c nginx.conf -g 'daemon off;'`) with the three nodes as
   one round-robin upstream and an access log that names the upstream of every request;
5. tears all of it down, and drops the database, at the end of the session.

The binary is $CALVAULT_BIN, default <repo>/target/debug/calvault. Every process logs to a
file in the session's temporary directory; when a test fails, the tails of the node logs and
of nginx's logs are attached to the report. CALVAULT_KEEP_DATA=1 keeps that directory (and
the database).
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calvault_testlib import (  # noqa: E402
    Resp,
    calvault_binary,
    free_port,
    log_tail,
    stop_process,
    wait_until_answering,
)

ROOT = Path(__file__).resolve().parents[2]
# ann and bob for every test; carol is the third user of the sharing tests, who sees nothing.
USERS = {"ann": "pw", "bob": "bob-pw", "carol": "carol-pw"}
NODE_COUNT = 3
STARTUP_TIMEOUT = 60  # seconds a node or nginx gets to answer its first request
CLI_TIMEOUT = 120  # seconds any one calvault CLI command may take


# ---------------------------------------------------------------------------
# HTTP


def basic_auth(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return "Basic " + token


@dataclass
class Endpoint:
    """One HTTP server on the loopback interface: a node or the balancer.

    Requests are raw (http.client, one connection each, no redirects, bytes untouched) so
    that the tests see exactly what a node answered, and authenticate as ann by default.
    """

    name: str
    port: int
    host: str = "127.0.0.1"

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def addr(self) -> str:
        """host:port, as nginx writes it in $upstream_addr."""
        return f"{self.host}:{self.port}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict | None = None,
        user: str | None = "ann",
        barrier: threading.Barrier | None = None,
        timeout: float = 30,
    ) -> Resp:
        """Sends one request and reads the whole answer.

        With `barrier`, the connection is opened first and the request is only sent once
        every party has reached the barrier, so that racing requests leave together.
        """
        if path.startswith(("http://", "https://")):
            path = urllib.parse.urlsplit(path).path
        hdrs = dict(headers or {})
        if user:
            hdrs["Authorization"] = basic_auth(user, USERS[user])
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            conn.connect()
            if barrier is not None:
                barrier.wait(timeout=timeout)
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()


# ---------------------------------------------------------------------------
# The cluster


def postgres_base() -> str:
    base = os.environ.get("CALVAULT_TEST_POSTGRES", "").strip()
    if not base:
        pytest.fail(
            "CALVAULT_TEST_POSTGRES is not set: the multi-node tests need a PostgreSQL server. "
            "Start a throwaway one with `tests/postgres.sh start DIR` and export the URL it "
            "prints, e.g. CALVAULT_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT",
            pytrace=False,
        )
    if not base.startswith(("postgres://", "postgresql://")):
        pytest.fail(f"CALVAULT_TEST_POSTGRES={base!r} is not a postgres:// URL", pytrace=False)
    return base.rstrip("/")


def database_url(base: str, name: str) -> str:
    """`base` (a server URL, perhaps with a database and a query) pointed at database `name`."""
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def psql(url: str, sql: str) -> None:
    """Runs one statement; fails the session with psql's message when it fails."""
    r = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql],
        capture_output=True, text=True, timeout=60,
        env=dict(os.environ, PGOPTIONS="-c client_min_messages=warning"),
    )
    if r.returncode != 0:
        pytest.fail(f"psql {sql!r} on {url} failed ({r.returncode}): {r.stderr.strip()}", pytrace=False)


def clean_env() -> dict:
    """The environment for calvault processes, without CALVAULT_* settings a developer may
    have exported (CALVAULT_DATABASE, CALVAULT_DATA, ...): only the command line counts."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CALVAULT_")}


@dataclass
class Cluster:
    binary: str
    database: str  # the fresh database's URL
    work: Path
    nodes: list[Endpoint]
    proxy: Endpoint
    node_logs: list[Path]
    nginx_prefix: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def url(self) -> str:
        """The balancer's root URL, which clients are given."""
        return self.proxy.base + "/"

    @property
    def access_log(self) -> Path:
        return self.nginx_prefix / "logs" / "access.log"

    @property
    def error_log(self) -> Path:
        return self.nginx_prefix / "logs" / "error.log"

    def cli(self, *args: str, stdin: str | None = None, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
        """Runs `calvault ARGS --database URL` and returns its result (not checked)."""
        return subprocess.run(
            [self.binary, *args, "--database", self.database],
            input=stdin, capture_output=True, text=True, timeout=timeout,
            cwd=self.work, env=clean_env(),
        )

    def access_log_size(self) -> int:
        try:
            return self.access_log.stat().st_size
        except FileNotFoundError:
            return 0

    def access_entries(self, since: int = 0) -> list[dict]:
        """The balancer's access log from byte offset `since`, one dict per request (see
        the log_format in nginx.conf)."""
        with open(self.access_log, "rb") as f:
            f.seek(since)
            return [json.loads(line) for line in f.read().decode().splitlines() if line.strip()]

    def diagnostics(self) -> list[tuple[str, str]]:
        out = [(f"calvault node {i + 1} log (tail)", log_tail(p)) for i, p in enumerate(self.node_logs)]
        out.append(("nginx error log (tail)", log_tail(self.error_log, 30)))
        out.append(("nginx access log (tail)", log_tail(self.access_log, 30)))
        return out


def start_node(binary: str, database: str, data: Path, log: Path, procs: list) -> Endpoint:
    """Starts one node on a free port (again on another port if it loses a port race).
    Every process started is added to `procs` at once, so that teardown stops it whatever
    happens next."""
    for _attempt in range(3):
        ep = Endpoint(f"node-{data.name}", free_port())
        with open(log, "ab") as logf:
            proc = subprocess.Popen(
                [binary, "serve", "--database", database, "--listen", ep.addr, "--data", str(data)],
                stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, env=clean_env(),
            )
        procs.append(proc)
        if wait_until_answering(ep.host, ep.port, proc, time.monotonic() + STARTUP_TIMEOUT):
            return ep
        stop_process(proc)
    raise RuntimeError(f"calvault serve did not come up in 3 tries (last exit status {proc.returncode}; see its log)")


def nginx_conf(prefix: Path, listen: int, nodes: list[Endpoint]) -> str:
    """Round-robin over the nodes (no stickiness), as docs/deploy.md recommends.

    `proxy_next_upstream off`: a request that fails on one node is not retried on another,
    so the access log names the one node that answered and a node's error reaches the test.
    """
    servers = "\n".join(f"        server {n.addr};" for n in nodes)
    tmp = prefix / "tmp"
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log notice;

events {{
    worker_connections 512;
}}

http {{
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    log_format upstreams escape=json
        '{{"status":$status,"upstream":"$upstream_addr","upstream_status":"$upstream_status",'
        '"method":"$request_method","uri":"$request_uri","agent":"$http_user_agent"}}';
    access_log {prefix}/logs/access.log upstreams;

    upstream calvault {{
{servers}
        keepalive 16;
    }}

    server {{
        listen 127.0.0.1:{listen};
        client_max_body_size 20m;

        location / {{
            proxy_pass http://calvault;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_request_buffering on;
            proxy_next_upstream off;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


def start_nginx(prefix: Path, nodes: list[Endpoint], procs: list) -> Endpoint:
    """Starts nginx in front of `nodes` on a free port; like start_node, adds it to `procs`."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(nginx, os.X_OK):
        raise RuntimeError("nginx not found (apt-get install nginx)")
    for sub in ("logs", "tmp"):
        (prefix / sub).mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):
        ep = Endpoint("nginx", free_port())
        (prefix / "nginx.conf").write_text(nginx_conf(prefix, ep.port, nodes))
        with open(prefix / "logs" / "stderr.log", "ab") as logf:
            proc = subprocess.Popen(
                # -e: the log for the moments before nginx.conf is read (not /var/log/nginx)
                [nginx, "-p", str(prefix), "-e", "logs/error.log", "-c", "nginx.conf", "-g", "daemon off;"],
                stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
            )
        procs.append(proc)
        if wait_until_answering(ep.host, ep.port, proc, time.monotonic() + STARTUP_TIMEOUT):
            return ep
        stop_process(proc)
    raise RuntimeError("nginx did not come up:\n" + log_tail(prefix / "logs" / "stderr.log"))


def start_cluster(c: Cluster) -> None:
    """Nodes, then users, then nginx; on failure raises with every log tail."""
    try:
        # The three nodes start at once on the empty database, as a whole pool would after
        # a deploy: their schema migrations must not trip over each other.
        results: list = [None] * NODE_COUNT

        def start(i: int) -> None:
            try:
                results[i] = start_node(c.binary, c.database, c.work / f"data{i + 1}", c.node_logs[i], c.procs)
            except Exception as e:  # reported below
                results[i] = e

        threads = [threading.Thread(target=start, args=(i,), daemon=True) for i in range(NODE_COUNT)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=4 * STARTUP_TIMEOUT)
        failed = [f"node {i + 1}: {r}" for i, r in enumerate(results) if not isinstance(r, Endpoint)]
        if failed:
            raise RuntimeError("\n".join(failed))
        for i, ep in enumerate(results):
            ep.name = f"node{i + 1}"
        c.nodes = results
        # Users are added while the nodes run, as an operator would.
        for name, password in USERS.items():
            r = c.cli("user", "add", name, "--password-stdin", stdin=password + "\n")
            if r.returncode != 0:
                raise RuntimeError(f"calvault user add {name} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        c.proxy = start_nginx(c.nginx_prefix, c.nodes, c.procs)
    except Exception as e:
        logs = "\n\n".join(f"--- {title} ---\n{text}" for title, text in c.diagnostics())
        raise RuntimeError(f"the cluster did not start: {e}\n\n{logs}") from e


_CLUSTER: Cluster | None = None


@pytest.fixture(scope="session")
def cluster():
    global _CLUSTER
    base = postgres_base()
    binary = calvault_binary()
    db_name = "calvault_multinode_" + uuid.uuid4().hex[:10]
    admin_url = database_url(base, "postgres")
    psql(admin_url, f"CREATE DATABASE {db_name}")
    work = Path(tempfile.mkdtemp(prefix="calvault-multinode-"))
    c = Cluster(
        binary=binary, database=database_url(base, db_name), work=work, nodes=[],
        proxy=Endpoint("nginx", 0), node_logs=[work / f"node{i + 1}.log" for i in range(NODE_COUNT)],
        nginx_prefix=work / "nginx",
    )
    try:
        start_cluster(c)
        _CLUSTER = c
        yield c
    finally:
        _CLUSTER = None
        for proc in reversed(c.procs):  # nginx first, then the nodes
            stop_process(proc)
        if os.environ.get("CALVAULT_KEEP_DATA"):
            print(f"\nmulti-node test data kept in {work}, database {c.database}")
        else:
            psql(admin_url, f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")
            shutil.rmtree(work, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Attaches the nodes' and nginx's log tails to a failed test's report (a failed start
    carries them in its message)."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and rep.when == "call" and _CLUSTER is not None:
        for title, text in _CLUSTER.diagnostics():
            rep.sections.append((title, text))
