"""Fixtures for the calvault interop tests.

A session-scoped fixture starts a fresh `calvault serve` on a free loopback
port with a temporary data directory and one user, exactly as
tests/interop/litmus.sh does:

    calvault user add NAME --password-stdin --data DIR
    calvault serve --data DIR --listen 127.0.0.1:PORT

The binary is $CALVAULT_BIN, default <repo>/target/debug/calvault.
The server's log (stderr+stdout) is kept in a temp file; its tail is printed
when a test fails.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass
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
USER = "alice"
PASSWORD = "correct horse battery staple"


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    host: str
    port: int
    user: str
    password: str
    log_path: Path
    proc: subprocess.Popen

    @property
    def root_url(self) -> str:
        return self.base + "/"

    def path(self, p: str) -> str:
        return p if p.startswith("/") else "/" + p

    def principal_path(self) -> str:
        return f"/dav/principals/{self.user}/"

    def home_path(self) -> str:
        return f"/dav/calendars/{self.user}/"

    def default_calendar_path(self) -> str:
        return f"/dav/calendars/{self.user}/calendar/"

    def request(
        self,
        method: str,
        path: str,
        body: bytes | str | None = None,
        headers: dict | None = None,
        auth: tuple[str, str] | None | bool = True,
    ) -> Resp:
        """One raw HTTP request (no redirects followed, bytes untouched)."""
        if path.startswith("http://") or path.startswith("https://"):
            path = urllib.parse.urlsplit(path).path
        hdrs = dict(headers or {})
        if auth is True:
            auth = (self.user, self.password)
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            hdrs["Authorization"] = "Basic " + token
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def log_tail(self, n: int = 80) -> str:
        return log_tail(self.log_path, n)


_SERVER: Server | None = None


@pytest.fixture(scope="session")
def server():
    global _SERVER
    binary = calvault_binary()
    work = Path(tempfile.mkdtemp(prefix="calvault-pytest-"))
    data = work / "data"
    log_path = work / "server.log"
    logf = open(log_path, "ab")
    add = subprocess.run(
        [binary, "user", "add", USER, "--password-stdin", "--data", str(data)],
        input=(PASSWORD + "\n").encode(),
        stdout=logf,
        stderr=logf,
        timeout=60,
    )
    if add.returncode != 0:
        logf.close()
        pytest.exit(
            f"'calvault user add' failed ({add.returncode}):\n{log_path.read_text(errors='replace')}",
            returncode=2,
        )
    proc = None
    for _attempt in range(3):
        port = free_port()
        proc = subprocess.Popen(
            [binary, "serve", "--data", str(data), "--listen", f"127.0.0.1:{port}"],
            stdout=logf,
            stderr=logf,
            stdin=subprocess.DEVNULL,
        )
        if wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30):
            break
        stop_process(proc, grace=5)
        proc = None
    if proc is None:
        logf.close()
        pytest.exit(
            f"calvault did not become ready:\n{log_path.read_text(errors='replace')[-4000:]}",
            returncode=2,
        )
    srv = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, USER, PASSWORD, log_path, proc)
    _SERVER = srv
    try:
        yield srv
    finally:
        _SERVER = None
        stop_process(proc)
        logf.close()
        if os.environ.get("CALVAULT_KEEP_DATA"):
            print(f"\ncalvault test data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed and _SERVER is not None:
        rep.sections.append(("calvault server log (tail)", _SERVER.log_tail()))


@pytest.fixture(scope="session")
def client(server):
    import caldav

    with caldav.DAVClient(url=server.root_url, username=server.user, password=server.password) as c:
        yield c


@pytest.fixture(scope="session")
def principal(client):
    return client.principal()


@pytest.fixture(scope="session")
def default_calendar(principal, server):
    for cal in principal.calendars():
        if urllib.parse.urlsplit(str(cal.url)).path == server.default_calendar_path():
            return cal
    raise AssertionError(
        f"default calendar {server.default_calendar_path()} not among "
        f"{[str(c.url) for c in principal.calendars()]}"
    )


@pytest.fixture
def fresh_calendar(principal):
    """A new, empty calendar made with MKCALENDAR; deleted afterwards."""
    cal_id = "t-" + uuid.uuid4().hex[:12]
    cal = principal.make_calendar(name=f"Test {cal_id}", cal_id=cal_id)
    yield cal
    try:
        cal.delete()
    except Exception:
        pass
