"""Fixtures for the calvault interop tests.

A session-scoped fixture starts a fresh `calvault serve` on a free loopback
port with a temporary data directory and three users, as tests/interop/litmus.sh
does for one:

    calvault user add NAME --password-stdin --email ADDR --display-name TEXT --data DIR
    calvault serve --data DIR --listen 127.0.0.1:PORT

alice is the user of the single-user tests (`server.user`, the `client`, `principal`
and `default_calendar` fixtures); bob and carol are the other people of the sharing
tests (`Server.USERS`, `client_for`, `server.cli` for `calvault share ...` on the same
store). With $CALVAULT_DATABASE set (a postgres:// URL) the store is in that database:
the server reads it from the environment, and `server.cli` passes it as --database.

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
    store_args,
    wait_until_answering,
)

ROOT = Path(__file__).resolve().parents[2]
USER = "alice"
PASSWORD = "correct horse battery staple"
CLI_TIMEOUT = 60  # seconds any one calvault CLI command may take


@dataclass(frozen=True)
class Account:
    name: str
    password: str
    email: str
    display_name: str


# alice first: the single-user tests are hers.
ACCOUNTS = {
    a.name: a
    for a in (
        Account(USER, PASSWORD, "alice@example.org", "Alice Liddell"),
        Account("bob", "bob's own Pa55word", "bob@example.org", "Bob Cratchit"),
        Account("carol", "carol's own Pa55word", "carol@example.org", "Carol Danvers"),
    )
}


@dataclass
class Server:
    base: str  # http://127.0.0.1:PORT
    host: str
    port: int
    user: str
    password: str
    log_path: Path
    proc: subprocess.Popen
    binary: str = ""
    data: Path | None = None

    USERS = ACCOUNTS

    def auth_of(self, name: str) -> tuple[str, str]:
        """(name, password) of one of the session's users, for `request(auth=...)`."""
        return (name, ACCOUNTS[name].password)

    def cli(self, *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Runs `calvault ARGS` on the running server's store (--data, and --database with
        $CALVAULT_DATABASE); fails the test with its output unless it succeeded (`check`)."""
        assert self.data is not None
        r = subprocess.run(
            [self.binary, *args, *store_args(self.data)],
            input=stdin, capture_output=True, text=True, timeout=CLI_TIMEOUT,
        )
        if check and r.returncode != 0:
            pytest.fail(f"calvault {' '.join(args)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

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
    for account in ACCOUNTS.values():
        add = subprocess.run(
            [binary, "user", "add", account.name, "--password-stdin", "--email", account.email,
             "--display-name", account.display_name, *store_args(data)],
            input=(account.password + "\n").encode(),
            stdout=logf,
            stderr=logf,
            timeout=CLI_TIMEOUT,
        )
        if add.returncode != 0:
            logf.close()
            pytest.exit(
                f"'calvault user add {account.name}' failed ({add.returncode}):\n"
                f"{log_path.read_text(errors='replace')}",
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
    srv = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, USER, PASSWORD, log_path, proc,
                 binary=binary, data=data)
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
def client_for(server):
    """client_for(NAME): a python caldav client of one of the session's users (closed at the
    end of the session)."""
    import caldav

    clients = {}

    def get(name: str):
        if name not in clients:
            user, password = server.auth_of(name)
            c = caldav.DAVClient(url=server.root_url, username=user, password=password)
            clients[name] = c.__enter__()
        return clients[name]

    try:
        yield get
    finally:
        for c in clients.values():
            c.__exit__(None, None, None)


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
