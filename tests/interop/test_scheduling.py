"""Scheduling (RFC 6638) with the python `caldav` library's own API against a real
calvault: `save_with_invites`, the attendee's inbox, `accept_invite`, and a free-busy
request to the outbox (shared/CLIENTS-multiuser.md §6).

Then caldav-server-tester's scheduling checks, with ed as its second account.

The module starts its own server (as conftest.py does) on the same kind of store, with
its own two users, dora (organizer) and ed (attendee): under $CALVAULT_DATABASE both
servers share one PostgreSQL database, so the names must not be the session's, and the
session's sharing tests must not see this module's invitations and grants.

Run: CALVAULT_BIN=target/debug/calvault python3 -m pytest -q tests/interop/test_scheduling.py
"""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import caldav
import pytest

from calvault_testlib import calvault_binary, free_port, stop_process, store_args, wait_until_answering

PASSWORD = "correct horse battery staple"
USERS = {"dora": "dora@example.org", "ed": "ed@example.org"}


@pytest.fixture(scope="module")
def base_url():
    binary = calvault_binary()
    work = Path(tempfile.mkdtemp(prefix="calvault-sched-"))
    data = work / "data"
    log_path = work / "server.log"
    with open(log_path, "ab") as logf:
        for name, email in USERS.items():
            subprocess.run(
                [binary, "user", "add", name, "--email", email, "--password-stdin", *store_args(data)],
                input=(PASSWORD + "\n").encode(),
                stdout=logf,
                stderr=logf,
                timeout=60,
                check=True,
            )
        # Ed lets dora see when he is busy (the default principal_search "groups" shows
        # nobody's free-busy without a grant).
        subprocess.run(
            [binary, "share", "add", "ed/*", "dora", "--free-busy", *store_args(data)],
            stdout=logf,
            stderr=logf,
            timeout=60,
            check=True,
        )
        port = free_port()
        proc = subprocess.Popen(
            [binary, "serve", *store_args(data), "--listen", f"127.0.0.1:{port}"],
            stdout=logf,
            stderr=logf,
            stdin=subprocess.DEVNULL,
        )
        try:
            assert wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30), log_path.read_text()
            yield f"http://127.0.0.1:{port}/"
        finally:
            stop_process(proc)
            shutil.rmtree(work, ignore_errors=True)


def client(base_url: str, name: str) -> caldav.DAVClient:
    return caldav.DAVClient(url=base_url, username=name, password=PASSWORD)


def path_of(obj) -> str:
    return urllib.parse.urlsplit(str(obj.url)).path


def meeting(uid: str, start: datetime) -> str:
    stamp = start.strftime("%Y%m%dT%H%M%SZ")
    end = (start + timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{stamp}\r\nDTSTART:{stamp}\r\nDTEND:{end}\r\n"
        "SUMMARY:Quarterly planning\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )


def test_the_server_says_it_schedules(base_url):
    with client(base_url, "dora") as c:
        assert c.supports_scheduling()
        principal = c.principal()
        addresses = [str(a) for a in principal.calendar_user_address_set()]
        assert addresses[0] == "mailto:dora@example.org"
        assert path_of(principal.schedule_inbox()) == "/dav/calendars/dora/inbox/"
        assert path_of(principal.schedule_outbox()) == "/dav/calendars/dora/outbox/"


def test_invite_lands_in_the_inbox_and_accepting_reaches_the_organizer(base_url):
    uid = "sched-" + uuid.uuid4().hex[:10]
    start = datetime(2026, 12, 14, 10, 0, tzinfo=timezone.utc)
    with client(base_url, "dora") as dora, client(base_url, "ed") as ed:
        dora_cal = dora.principal().calendars()[0]
        dora_cal.save_with_invites(meeting(uid, start), ["ed@example.org"])

        ed_principal = ed.principal()
        items = ed_principal.schedule_inbox().get_items()
        invites = [i for i in items if uid in i.data]
        assert len(invites) == 1, [i.data for i in items]
        invite = invites[0]
        assert invite.is_invite_request()
        # The server put the meeting into ed's calendar already.
        ed_cal = ed_principal.calendars()[0]
        copy = ed_cal.event_by_uid(uid)
        assert "PARTSTAT=NEEDS-ACTION" in copy.data.replace("\r\n ", "")

        invite.accept_invite(calendar=ed_cal)

        organizer_copy = dora_cal.event_by_uid(uid)
        organizer_copy.load()
        listed = organizer_copy.icalendar_component.get("attendee", [])
        if not isinstance(listed, list):
            listed = [listed]
        attendees = {str(a).lower(): a.params.get("PARTSTAT") for a in listed}
        assert attendees["mailto:ed@example.org"] == "ACCEPTED", organizer_copy.data
        # One copy of the meeting in ed's calendars, not two.
        assert len([e for e in ed_cal.events() if uid in e.data]) == 1


def test_free_busy_of_an_attendee_through_the_outbox(base_url):
    start = datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc)
    with client(base_url, "dora") as dora, client(base_url, "ed") as ed:
        ed_cal = ed.principal().calendars()[0]
        busy = meeting("busy-" + uuid.uuid4().hex[:8], start)
        ed_cal.save_event(busy)
        answer = dora.principal().freebusy_request(
            start - timedelta(hours=1), start + timedelta(hours=3), ["mailto:ed@example.org"]
        )
        assert answer["errors"] == {}, answer
        text = answer["mailto:ed@example.org"].data.replace("\r\n ", "")
        assert "FREEBUSY;FBTYPE=BUSY:20261215T090000Z/20261215T100000Z" in text, text
        # Dora granted ed nothing: he may see her principal (he shares with her), not
        # her busy time.
        answer = ed.principal().freebusy_request(
            start - timedelta(hours=1), start + timedelta(hours=3), ["mailto:dora@example.org"]
        )
        assert answer["errors"] == {"mailto:dora@example.org": "3.8;No authority"}


# caldav-server-tester's RFC 6638 checks (the classes of its checks.py) and every feature
# they record; each must come out "full".
SCHEDULING_CHECKS = (
    "CheckScheduling", "CheckSchedulingDetails", "CheckFreeBusyQueryRFC6638", "CheckScheduleTag",
    "CheckSchedulingInboxDelivery", "CheckScheduleTagStablePartstat",
)
SCHEDULING_FEATURES = (
    "scheduling", "scheduling.mailbox", "scheduling.calendar-user-address-set",
    "scheduling.calendar-user-address-set.populated", "scheduling.freebusy-query",
    "scheduling.schedule-tag", "scheduling.schedule-tag.stable-partstat",
    "scheduling.mailbox.inbox-delivery", "scheduling.auto-schedule",
)


def test_caldav_server_tester_scheduling_checks_pass(base_url, tmp_path):
    """The checker's multi-user checks take the second account from a caldav config file
    section (`--config-section`), so both accounts are written to one."""
    if importlib.util.find_spec("caldav_server_tester") is None:
        pytest.fail("caldav-server-tester is not installed (tests/run-all.sh installs it)")
    config = tmp_path / "calendar.conf"
    config.write_text(json.dumps({
        name: {"caldav_url": base_url, "caldav_username": name, "caldav_password": PASSWORD}
        for name in USERS
    }))
    checks = [arg for check in SCHEDULING_CHECKS for arg in ("--run-checks", check)]
    r = subprocess.run(
        [sys.executable, "-m", "caldav_server_tester.caldav_server_tester",
         "--config-section", "dora", "--config-section", "ed", *checks, "--format", "hints"],
        capture_output=True, text=True, timeout=240,
        env={**os.environ, "CALDAV_CONFIG_FILE": str(config)},
    )
    assert r.returncode == 0, f"caldav-server-tester failed ({r.returncode}):\n{r.stdout}{r.stderr}"
    observed = ast.literal_eval(r.stdout.strip())
    verdicts = {f: observed.get(f, {}).get("support") for f in SCHEDULING_FEATURES}
    assert verdicts == {f: "full" for f in SCHEDULING_FEATURES}, observed
