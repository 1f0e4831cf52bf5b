"""A write calvault acknowledged survives a power cut.

calvault runs with its data on lossyfs (a FUSE filesystem that keeps every unsynced write in
memory, as a page cache does). Eight clients PUT events; after a while the server is killed
and the filesystem drops everything that was not fsynced — what a power cut does to a
machine's page cache. Then the surviving files are opened directly: the database must pass
SQLite's integrity check, and every PUT that was answered 201 must be there with the ETag it
was answered with.

Needs /dev/fuse, libfuse2 and fusepy (tests/run-all.sh installs them) and root (to mount).
With `synchronous=NORMAL` (a commit reaches the WAL file but not the disk) this test fails:
the acknowledged writes since the last checkpoint are gone.
"""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import socket
import sqlite3
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calvault_testlib import (  # noqa: E402
    calvault_binary,
    free_port,
    log_tail,
    stop_process,
    wait_until_answering,
)

HERE = Path(__file__).resolve().parent
USER, PASSWORD = "ann", "power cut password"
AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
WRITERS = 8
LOAD_SECONDS = 6
MAX_PUTS = 4000


def event(uid: str) -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//power cut test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n"
        "DTSTART:20261210T100000Z\r\nDTEND:20261210T110000Z\r\n"
        f"SUMMARY:written before the power cut {uid}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


def fuse_available() -> str | None:
    if os.geteuid() != 0:
        return "mounting needs root"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse"
    try:
        import fuse  # noqa: F401
    except (ImportError, OSError, EnvironmentError) as e:
        return f"fusepy/libfuse2 not usable: {e}"
    return None


@pytest.fixture
def lossy_data_dir():
    missing = fuse_available()
    if missing:
        pytest.fail(f"the power-loss test cannot run: {missing}")
    work = Path(tempfile.mkdtemp(prefix="calvault-power-"))
    disk, mount, control = work / "disk", work / "mnt", work / "ctl.sock"
    disk.mkdir()
    mount.mkdir()
    fs = subprocess.Popen([sys.executable, str(HERE / "lossyfs.py"), str(disk), str(mount),
                           str(control)], stderr=open(work / "lossyfs.log", "wb"))
    deadline = time.monotonic() + 15
    while not os.path.ismount(mount):
        if fs.poll() is not None or time.monotonic() > deadline:
            pytest.fail("lossyfs did not mount:\n" + log_tail(work / "lossyfs.log"))
        time.sleep(0.1)

    def power_cut() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(control))
            s.sendall(b"cut\n")
            assert s.recv(16).strip() == b"ok"

    def unmount() -> None:
        if os.path.ismount(mount):
            subprocess.run(["umount", "-l", str(mount)], check=False)
        stop_process(fs, grace=5)

    try:
        yield disk, mount, power_cut, unmount
    finally:
        unmount()
        shutil.rmtree(work, ignore_errors=True)


def start_server(data: Path, log: Path) -> tuple[subprocess.Popen, int]:
    binary = calvault_binary()
    subprocess.run([binary, "user", "add", USER, "--password-stdin", "--data", str(data)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([binary, "serve", "--data", str(data), "--listen",
                             f"127.0.0.1:{port}"], stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT)
    if not wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30):
        pytest.fail("calvault did not start:\n" + log_tail(log))
    return proc, port


def writer(port: int, stop: threading.Event, acked: dict, lock: threading.Lock,
           sent: list) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        with lock:
            if sent[0] >= MAX_PUTS:
                return
            sent[0] += 1
        uid = uuid.uuid4().hex
        try:
            conn.request("PUT", f"/dav/calendars/{USER}/calendar/{uid}.ics", body=event(uid),
                         headers={"Authorization": AUTH, "Content-Type": "text/calendar",
                                  "If-None-Match": "*"})
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            return  # the server is gone: whatever was in flight was never acknowledged
        if r.status == 201:
            with lock:
                acked[uid] = r.getheader("ETag")


def test_every_acknowledged_write_survives_a_power_cut(lossy_data_dir, tmp_path):
    disk, mount, power_cut, unmount = lossy_data_dir
    server, port = start_server(mount, tmp_path / "before.log")
    acked: dict[str, str] = {}
    lock, stop, sent = threading.Lock(), threading.Event(), [0]
    threads = [threading.Thread(target=writer, args=(port, stop, acked, lock, sent))
               for _ in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    # The power cut, in the middle of the load: the machine stops (the server with it) and
    # what the page cache held is gone.
    server.kill()
    server.wait(timeout=10)
    power_cut()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    unmount()
    with lock:
        survivors_expected = dict(acked)
    assert len(survivors_expected) >= 50, (
        f"only {len(survivors_expected)} PUTs were acknowledged before the cut: too few to "
        "say anything\n" + log_tail(tmp_path / "before.log"))

    db = disk / "calvault.db"
    with sqlite3.connect(db) as check:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    # The same files, on the "disk" itself, served again.
    binary = calvault_binary()
    port = free_port()
    log = tmp_path / "after.log"
    proc = subprocess.Popen([binary, "serve", "--data", str(disk), "--listen",
                             f"127.0.0.1:{port}"], stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30), log_tail(log)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        lost = []
        for uid, etag in survivors_expected.items():
            conn.request("GET", f"/dav/calendars/{USER}/calendar/{uid}.ics",
                         headers={"Authorization": AUTH})
            r = conn.getresponse()
            body = r.read()
            if r.status != 200 or r.getheader("ETag") != etag or body != event(uid):
                lost.append((uid, r.status))
        assert not lost, (f"{len(lost)} of {len(survivors_expected)} acknowledged writes were "
                          f"lost in the power cut, e.g. {lost[:3]}")
    finally:
        stop_process(proc)


def test_each_acknowledged_write_is_synced_before_its_answer(tmp_path):
    """strace counts the syncs: 40 PUTs one after another are 40 groups of one, so at least
    40 fsync/fdatasync calls (before this, none: synchronous=NORMAL syncs at checkpoints)."""
    if shutil.which("strace") is None:
        pytest.fail("strace is not installed (tests/run-all.sh installs it)")
    binary = calvault_binary()
    data = tmp_path / "data"
    subprocess.run([binary, "user", "add", USER, "--password-stdin", "--data", str(data)],
                   input=PASSWORD + "\n", text=True, check=True, capture_output=True)
    port = free_port()
    trace = tmp_path / "syncs.txt"
    log = tmp_path / "server.log"
    proc = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o",
                             str(trace), binary, "serve", "--data", str(data), "--listen",
                             f"127.0.0.1:{port}"], stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30), log_tail(log)
        before = trace.read_text().count("sync(")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for i in range(40):
            uid = f"synced-{i}"
            conn.request("PUT", f"/dav/calendars/{USER}/calendar/{uid}.ics", body=event(uid),
                         headers={"Authorization": AUTH, "Content-Type": "text/calendar"})
            r = conn.getresponse()
            r.read()
            assert r.status == 201, r.status
        syncs = trace.read_text().count("sync(") - before
        assert syncs >= 40, f"{syncs} syncs for 40 acknowledged writes"
    finally:
        # strace detaches on SIGTERM and leaves the server running: end the whole group.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        stop_process(proc)
