"""iMIP (RFC 6047) against a real SMTP server: an attendee who is no user of this server
gets the invitation by e-mail through the `[smtp]` relay, a relay outage loses nothing
(the persistent outbox retries), and `calvault imip receive` applies the attendee's
e-mailed REPLY, refusing a forged one.

The SMTP server is aiosmtpd (PyPI), started by this module on a loopback port. The
module runs its own calvault with `[smtp]` set, on the session's kind of store, with its
own user fay (organizer) so that under $CALVAULT_DATABASE it does not clash with the
session's users.

Run: CALVAULT_BIN=target/debug/calvault python3 -m pytest -q tests/interop/test_imip.py
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from calvault_testlib import calvault_binary, free_port, log_tail, stop_process, store_args, wait_until_answering
from conftest import Server

PASSWORD = "fay's own Pa55word"
ORGANIZER = "fay@example.org"
OUTSIDER = "zed@elsewhere.example"
CALENDAR = "/dav/calendars/fay/calendar/"
# Seconds a message may take to arrive: the sender looks at the outbox every second and
# retries after 1 s, then 2 s.
ARRIVAL = 30


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message) per message."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    def about(self, uid: str) -> list[tuple[list[str], email.message.EmailMessage]]:
        with self.lock:
            return [(to, m) for to, m in self.messages if uid in calendar_part(m)]

    def wait_for(self, uid: str, count: int, what: str, log: Path) -> list:
        deadline = time.monotonic() + ARRIVAL
        while time.monotonic() < deadline:
            got = self.about(uid)
            if len(got) >= count:
                return got
            time.sleep(0.2)
        pytest.fail(f"{what}: {len(self.about(uid))} of {count} messages arrived\n{log_tail(log)}")


class Relay:
    """An aiosmtpd server on one port that can be stopped and started again."""

    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox, self.port, self.controller = inbox, port, None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


def calendar_part(message: email.message.EmailMessage) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_content()
    return ""


def unfolded(text: str) -> list[str]:
    return re.sub(r"\r?\n[ \t]", "", text).splitlines()


def attendee_line(ics: str, address: str) -> str:
    lines = [line for line in unfolded(ics) if line.startswith("ATTENDEE") and address in line.lower()]
    assert len(lines) == 1, ics
    return lines[0]


def schedule_status(ics: str, address: str) -> str | None:
    m = re.search(r";SCHEDULE-STATUS=([0-9.]+)", attendee_line(ics, address))
    return m.group(1) if m else None


@pytest.fixture(scope="module")
def mail():
    binary = calvault_binary()
    work = Path(tempfile.mkdtemp(prefix="calvault-imip-"))
    data = work / "data"
    log_path = work / "server.log"
    inbox = Inbox()
    relay = Relay(inbox, free_port())
    relay.start()
    config = work / "calvault.toml"
    config.write_text(
        "[smtp]\n"
        f'url = "smtp://127.0.0.1:{relay.port}?tls=none"\n'
        'from = "calendar@example.org"\n'
        "retry_first_secs = 1\nretry_max_secs = 2\nmax_attempts = 100\npoll_secs = 1\ntimeout_secs = 5\n"
    )
    with open(log_path, "ab") as logf:
        subprocess.run(
            [binary, "user", "add", "fay", "--email", ORGANIZER, "--password-stdin", *store_args(data)],
            input=(PASSWORD + "\n").encode(), stdout=logf, stderr=logf, timeout=60, check=True,
        )
        port = free_port()
        proc = subprocess.Popen(
            [binary, "serve", "--config", str(config), *store_args(data), "--listen", f"127.0.0.1:{port}"],
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
        )
    try:
        assert wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30), log_path.read_text()
        server = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, "fay", PASSWORD, log_path, proc,
                        binary, data)
        yield server, inbox, relay, config
    finally:
        stop_process(proc)
        relay.stop()
        shutil.rmtree(work, ignore_errors=True)


def meeting(uid: str, start: str, summary: str = "Budget review") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:20261201T090000Z\r\nDTSTART:{start}\r\nDURATION:PT1H\r\n"
        f"SUMMARY:{summary}\r\nORGANIZER;CN=Fay:mailto:{ORGANIZER}\r\n"
        f"ATTENDEE;CN=Fay;PARTSTAT=ACCEPTED:mailto:{ORGANIZER}\r\n"
        f"ATTENDEE;CN=Zed;RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:{OUTSIDER}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def put(server: Server, uid: str, body: str) -> None:
    r = server.request("PUT", f"{CALENDAR}{uid}.ics", body, {"Content-Type": "text/calendar"})
    assert r.status in (201, 204), r


def organizer_copy(server: Server, uid: str) -> str:
    r = server.request("GET", f"{CALENDAR}{uid}.ics")
    assert r.status == 200, r
    return r.text


def wait_for_status(server: Server, uid: str, want: str) -> str:
    deadline = time.monotonic() + ARRIVAL
    while time.monotonic() < deadline:
        ics = organizer_copy(server, uid)
        if schedule_status(ics, OUTSIDER) == want:
            return ics
        time.sleep(0.2)
    pytest.fail(f"SCHEDULE-STATUS of {OUTSIDER} never became {want}:\n{ics}\n{server.log_tail()}")


def test_an_outside_attendee_gets_the_invitation_by_email(mail):
    server, inbox, _, _ = mail
    uid = "imip-" + uuid.uuid4().hex[:10]
    put(server, uid, meeting(uid, "20261215T100000Z"))
    [(to, message)] = inbox.wait_for(uid, 1, "the invitation", server.log_path)

    assert to == [OUTSIDER]
    assert OUTSIDER in message["To"]
    assert "calendar@example.org" in message["From"]
    assert ORGANIZER in message["Reply-To"], "replies go to the organizer"
    assert message["Message-ID"]
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "REQUEST", parts[0]["Content-Type"]
    ics = calendar_part(message)
    lines = unfolded(ics)
    assert "METHOD:REQUEST" in lines
    assert any(line.startswith("ORGANIZER") and line.lower().endswith(f"mailto:{ORGANIZER}") for line in lines)
    assert "PARTSTAT=NEEDS-ACTION" in attendee_line(ics, OUTSIDER)
    assert "SCHEDULE-STATUS" not in ics, "the server's parameters stay on the server"
    assert f"UID:{uid}" in lines

    wait_for_status(server, uid, "2.0")


def test_a_relay_outage_delays_the_update_but_loses_nothing(mail):
    server, inbox, relay, _ = mail
    uid = "imip-" + uuid.uuid4().hex[:10]
    put(server, uid, meeting(uid, "20261216T100000Z"))
    inbox.wait_for(uid, 1, "the invitation", server.log_path)
    wait_for_status(server, uid, "2.0")

    relay.stop()
    try:
        put(server, uid, meeting(uid, "20261216T140000Z", "Budget review (moved)"))
        # Queued with the write: the organizer's copy says so at once.
        assert schedule_status(organizer_copy(server, uid), OUTSIDER) == "1.1"
        deadline = time.monotonic() + ARRIVAL
        while "will retry" not in server.log_path.read_text(errors="replace"):
            assert time.monotonic() < deadline, server.log_tail()
            time.sleep(0.2)
        assert schedule_status(organizer_copy(server, uid), OUTSIDER) == "1.1"
    finally:
        relay.start()

    got = inbox.wait_for(uid, 2, "the update after the outage", server.log_path)
    update = calendar_part(got[-1][1])
    assert "DTSTART:20261216T140000Z" in unfolded(update)
    wait_for_status(server, uid, "2.0")
    time.sleep(2)
    ids = [m["Message-ID"] for _, m in inbox.about(uid)]
    assert len(ids) == 2 and len(set(ids)) == 2, f"each message sent once: {ids}"


def reply_mail(request_ics: str, sender: str, partstat: str) -> str:
    """The REPLY a mail client writes from a REQUEST: the attendee's own ATTENDEE only."""
    out = []
    for line in unfolded(request_ics):
        if line == "METHOD:REQUEST":
            line = "METHOD:REPLY"
        if line.startswith("ATTENDEE"):
            if OUTSIDER not in line.lower():
                continue
            line = re.sub(r"PARTSTAT=[A-Z-]+", f"PARTSTAT={partstat}", line)
        out.append(line)
    calendar = "\r\n".join(out) + "\r\n"
    return (
        f"From: Zed <{sender}>\r\nTo: {ORGANIZER}\r\nSubject: {partstat.title()}: Budget review\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n"
        + calendar
    )


def receive(server: Server, config: Path, message: str) -> subprocess.CompletedProcess:
    return server.cli("imip", "receive", "--config", str(config), stdin=message, check=False)


def test_imip_receive_applies_the_attendees_reply_and_refuses_a_forged_one(mail):
    server, inbox, _, config = mail
    uid = "imip-" + uuid.uuid4().hex[:10]
    put(server, uid, meeting(uid, "20261217T100000Z"))
    [(_, invitation)] = inbox.wait_for(uid, 1, "the invitation", server.log_path)
    request_ics = calendar_part(invitation)
    before = wait_for_status(server, uid, "2.0")

    forged = receive(server, config, reply_mail(request_ics, "mallory@evil.example", "DECLINED"))
    assert forged.returncode == 65, forged
    assert "forged" in forged.stderr, forged.stderr
    stranger = receive(server, config, reply_mail(request_ics, OUTSIDER, "ACCEPTED").replace(uid, uid + "-x"))
    assert stranger.returncode == 65, stranger
    assert "no meeting" in stranger.stderr, stranger.stderr
    not_mail = receive(server, config, "this is not a message")
    assert not_mail.returncode == 65, not_mail
    assert organizer_copy(server, uid) == before, "a refused reply changes nothing"

    accepted = receive(server, config, reply_mail(request_ics, OUTSIDER, "ACCEPTED"))
    assert accepted.returncode == 0, accepted
    assert "ACCEPTED" in accepted.stdout
    assert "PARTSTAT=ACCEPTED" in attendee_line(organizer_copy(server, uid), OUTSIDER)
