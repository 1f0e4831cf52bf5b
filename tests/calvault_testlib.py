"""What the Python test suites (tests/interop, tests/multinode) share: raw HTTP answers,
free loopback ports, starting and stopping processes, and log tails for failure reports.

Each suite's conftest.py puts this folder on sys.path and imports from here.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Resp:
    status: int
    headers: dict  # lower-cased names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def __repr__(self) -> str:
        return f"<{self.status} {self.headers} {self.body[:600]!r}>"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: Path, lines: int = 60) -> str:
    try:
        text = path.read_text(errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text[-lines:]) or "(empty)"


def stop_process(proc: subprocess.Popen | None, grace: float = 10) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within `grace` seconds."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace)


def wait_until_answering(host: str, port: int, proc: subprocess.Popen, deadline: float) -> bool:
    """True once host:port answers GET /.well-known/caldav below 500 (calvault listens only
    once its store is open and migrated; through nginx, the answer also proves a node is
    reachable); False if the process exited or the deadline passed."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            conn = http.client.HTTPConnection(host, port, timeout=2)
            try:
                conn.request("GET", "/.well-known/caldav")
                r = conn.getresponse()
                r.read()
            finally:
                conn.close()
            if r.status < 500:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def calvault_binary() -> str:
    """$CALVAULT_BIN, default <repo>/target/debug/calvault; ends the session if missing."""
    b = os.environ.get("CALVAULT_BIN") or str(ROOT / "target" / "debug" / "calvault")
    if not (os.path.isfile(b) and os.access(b, os.X_OK)):
        pytest.exit(f"calvault binary not found: {b} (cargo build -p calvault, or set CALVAULT_BIN)",
                    returncode=2)
    return b


def store_args(data: Path) -> list[str]:
    """The flags naming the session's store for a calvault command."""
    args = ["--data", str(data)]
    database = os.environ.get("CALVAULT_DATABASE", "").strip()
    if database:
        args += ["--database", database]
    return args
