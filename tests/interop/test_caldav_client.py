"""End-to-end CalDAV interop tests: a real CalDAV client library (PyPI
`caldav`) against a fresh calvault server (see conftest.py).

Run: python3 -m pytest -q tests/interop   (needs target/debug/calvault)
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from datetime import date, datetime

import caldav
import icalendar
import pytest
from caldav.lib import error

NON_ASCII = "Café – Zürich 日本語 🎉"


def crlf(text: str) -> str:
    """iCalendar text with CRLF line endings (RFC 5545 section 3.1)."""
    return "\r\n".join(line for line in text.strip("\n").split("\n")) + "\r\n"


VTIMEZONE_ZURICH = """BEGIN:VTIMEZONE
TZID:Europe/Zurich
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19810329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19961027T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def recurring_event_ics(uid: str, summary: str = NON_ASCII) -> str:
    """Weekly meeting in Europe/Zurich, one date excluded, one instance moved,
    with organizer, attendees, an alarm and non-ASCII text."""
    return crlf(
        f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//calvault//interop tests//EN
CALSCALE:GREGORIAN
{VTIMEZONE_ZURICH}
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20250101T120000Z
CREATED:20250101T120000Z
LAST-MODIFIED:20250101T120000Z
SEQUENCE:0
DTSTART;TZID=Europe/Zurich:20250106T100000
DTEND;TZID=Europe/Zurich:20250106T110000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10
EXDATE;TZID=Europe/Zurich:20250120T100000
SUMMARY:{summary}
LOCATION:Bahnhofstrasse 1\\, 8001 Zürich
DESCRIPTION:Weekly sync – Übersicht\\nSecond line: 日本語 🎉
ORGANIZER;CN=Alice Müller:mailto:alice@example.com
ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:bob@example.com
ATTENDEE;CN=Zoë;ROLE=OPT-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:zoe@example.com
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Reminder: {summary}
TRIGGER:-PT15M
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20250101T120000Z
RECURRENCE-ID;TZID=Europe/Zurich:20250113T100000
DTSTART;TZID=Europe/Zurich:20250113T140000
DTEND;TZID=Europe/Zurich:20250113T150000
SEQUENCE:1
SUMMARY:Moved: {summary}
ORGANIZER;CN=Alice Müller:mailto:alice@example.com
ATTENDEE;CN=Bob;PARTSTAT=ACCEPTED:mailto:bob@example.com
END:VEVENT
END:VCALENDAR"""
    )


def simple_event_ics(uid: str, summary: str, day: int = 10) -> str:
    return crlf(
        f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//calvault//interop tests//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20250101T120000Z
DTSTART:202503{day:02d}T090000Z
DTEND:202503{day:02d}T100000Z
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR"""
    )


def todo_ics(uid: str, summary: str, due: str | None) -> str:
    due_line = f"DUE;VALUE=DATE:{due}\n" if due else ""
    return crlf(
        f"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//calvault//interop tests//EN
BEGIN:VTODO
UID:{uid}
DTSTAMP:20250101T120000Z
SUMMARY:{summary}
{due_line}STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR"""
    )


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def new_uid() -> str:
    return f"{uuid.uuid4()}@interop.calvault.test"


def path_of(url) -> str:
    return urllib.parse.urlsplit(str(url)).path


def parse(data: bytes | str) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def components(cal: icalendar.Calendar, name: str) -> list:
    return [c for c in cal.walk() if c.name == name]


# --------------------------------------------------------------------------
# discovery and authentication
# --------------------------------------------------------------------------


def test_well_known_caldav_redirects_to_dav_root(server):
    r = server.request("GET", "/.well-known/caldav", auth=False)
    assert r.status in (301, 302, 307, 308), r
    assert path_of(r.header("location")) == "/dav/"


def test_bad_credentials_are_rejected(server):
    body = '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><current-user-principal/></prop></propfind>'
    no_auth = server.request("PROPFIND", "/dav/", body, {"Depth": "0"}, auth=False)
    assert no_auth.status == 401
    assert "basic" in (no_auth.header("www-authenticate") or "").lower()
    wrong = server.request(
        "PROPFIND", "/dav/", body, {"Depth": "0"}, auth=(server.user, "wrong password")
    )
    assert wrong.status == 401
    # the user's events are not readable without credentials
    r = server.request("GET", server.default_calendar_path(), auth=False)
    assert r.status == 401


def test_discovery_from_bare_root_url(server):
    """A client given only http://host:port/ finds principal, home, calendar."""
    with caldav.DAVClient(
        url=server.root_url, username=server.user, password=server.password
    ) as c:
        principal = c.principal()
        assert path_of(principal.url) == server.principal_path()
        home = principal.calendar_home_set
        assert path_of(home.url) == server.home_path()
        cals = principal.calendars()
        by_path = {path_of(cal.url): cal for cal in cals}
        assert server.default_calendar_path() in by_path, list(by_path)
        assert by_path[server.default_calendar_path()].get_display_name() == "Calendar"
        # a user's plain WebDAV collections, if any, are not listed as calendars
        for cal in cals:
            assert path_of(cal.url).startswith(server.home_path())


def test_discovery_from_well_known(server):
    with caldav.DAVClient(
        url=server.base + "/.well-known/caldav",
        username=server.user,
        password=server.password,
    ) as c:
        assert path_of(c.principal().url) == server.principal_path()


# --------------------------------------------------------------------------
# calendars
# --------------------------------------------------------------------------


def test_make_calendar_with_name_and_delete_it(principal, server):
    cal_id = "work-" + uuid.uuid4().hex[:8]
    name = "Work – Büro 📅"
    cal = principal.make_calendar(name=name, cal_id=cal_id)
    assert path_of(cal.url) == f"{server.home_path()}{cal_id}/"
    listed = {path_of(c.url): c for c in principal.calendars()}
    assert path_of(cal.url) in listed
    assert listed[path_of(cal.url)].get_display_name() == name
    assert cal.events() == []

    cal.delete()
    assert path_of(cal.url) not in {path_of(c.url) for c in principal.calendars()}
    assert server.request("PROPFIND", path_of(cal.url), headers={"Depth": "0"}).status == 404


# --------------------------------------------------------------------------
# events: byte-exact round trip, recurrence, time zones, alarms, attendees
# --------------------------------------------------------------------------


def test_put_get_is_byte_exact_with_recurrence_tz_attendees_alarm(server, default_calendar):
    uid = new_uid()
    ics = recurring_event_ics(uid)
    body = ics.encode("utf-8")
    href = server.default_calendar_path() + uuid.uuid4().hex + ".ics"

    put = server.request(
        "PUT",
        href,
        body,
        {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
    )
    assert put.status == 201, put
    got = server.request("GET", href)
    assert got.status == 200
    assert got.body == body, "GET must return exactly the bytes that were PUT"
    assert (got.header("content-type") or "").startswith("text/calendar")
    etag = got.header("etag")
    assert etag and etag.startswith('"'), f"strong ETag expected, got {etag!r}"
    if put.header("etag"):
        assert put.header("etag") == etag

    # what the client library makes of it
    ev = default_calendar.event_by_url(server.base + href)
    parsed = parse(ev.data)
    vevents = components(parsed, "VEVENT")
    assert len(vevents) == 2
    master = next(v for v in vevents if "RECURRENCE-ID" not in v)
    override = next(v for v in vevents if "RECURRENCE-ID" in v)
    assert str(master["SUMMARY"]) == NON_ASCII
    assert master["RRULE"]["FREQ"] == ["WEEKLY"]
    assert master.decoded("DTSTART").tzinfo is not None
    assert "Zurich" in str(master["DTSTART"].params.get("TZID"))
    exdates = master["EXDATE"]
    exdates = exdates if isinstance(exdates, list) else [exdates]
    assert any(d.dt.date() == date(2025, 1, 20) for ex in exdates for d in ex.dts)
    assert override.decoded("RECURRENCE-ID").date() == date(2025, 1, 13)
    assert str(override["SUMMARY"]) == "Moved: " + NON_ASCII
    assert str(master["ORGANIZER"]) == "mailto:alice@example.com"
    attendees = sorted(str(a) for a in master["ATTENDEE"])
    assert attendees == ["mailto:bob@example.com", "mailto:zoe@example.com"]
    assert len(components(parsed, "VALARM")) == 1
    assert len(components(parsed, "VTIMEZONE")) == 1


def test_library_save_event_then_get_by_url_and_uid(server, default_calendar):
    uid = new_uid()
    ev = default_calendar.save_event(recurring_event_ics(uid))
    assert ev.url is not None
    assert path_of(ev.url).startswith(server.default_calendar_path())

    # raw GET returns what the library sent
    got = server.request("GET", path_of(ev.url))
    assert got.status == 200
    assert lf(got.body.decode("utf-8")) == lf(ev.data)
    assert NON_ASCII.encode("utf-8") in got.body

    # by URL
    again = default_calendar.event_by_url(ev.url)
    assert str(again.icalendar_component["UID"]) == uid
    assert str(again.icalendar_component["SUMMARY"]) == NON_ASCII

    # by UID (calendar-query REPORT)
    found = default_calendar.event_by_uid(uid)
    assert path_of(found.url) == path_of(ev.url)
    assert str(found.icalendar_component["SUMMARY"]) == NON_ASCII
    with pytest.raises(error.NotFoundError):
        default_calendar.event_by_uid("no-such-uid-" + uuid.uuid4().hex)


def test_update_event_with_library(server, default_calendar):
    uid = new_uid()
    ev = default_calendar.save_event(simple_event_ics(uid, "Before"))
    etag_before = server.request("GET", path_of(ev.url)).header("etag")

    ev.load()
    ev.icalendar_component["SUMMARY"] = "After – geändert 🎉"
    ev.save()

    got = server.request("GET", path_of(ev.url))
    assert got.status == 200
    assert "After – geändert 🎉".encode("utf-8") in got.body
    assert b"Before" not in got.body
    assert got.header("etag") != etag_before
    # still exactly one object with that UID
    assert path_of(default_calendar.event_by_uid(uid).url) == path_of(ev.url)


def test_if_match_and_if_none_match(server, default_calendar):
    href = server.default_calendar_path() + uuid.uuid4().hex + ".ics"
    uid = new_uid()
    v1 = simple_event_ics(uid, "Version 1").encode()
    v2 = simple_event_ics(uid, "Version 2").encode()
    v3 = simple_event_ics(uid, "Version 3").encode()
    ct = {"Content-Type": "text/calendar; charset=utf-8"}

    assert server.request("PUT", href, v1, ct | {"If-None-Match": "*"}).status == 201
    # creating again over an existing object fails
    assert server.request("PUT", href, v2, ct | {"If-None-Match": "*"}).status == 412
    etag1 = server.request("GET", href).header("etag")
    assert etag1

    ok = server.request("PUT", href, v2, ct | {"If-Match": etag1})
    assert ok.status in (200, 204), ok
    got = server.request("GET", href)
    assert got.body == v2
    etag2 = got.header("etag")
    assert etag2 and etag2 != etag1
    if ok.header("etag"):
        assert ok.header("etag") == etag2

    stale = server.request("PUT", href, v3, ct | {"If-Match": etag1})
    assert stale.status == 412
    assert server.request("GET", href).body == v2, "a 412 must not change the object"

    assert server.request("DELETE", href, headers={"If-Match": etag1}).status == 412
    assert server.request("GET", href).status == 200
    assert server.request("DELETE", href, headers={"If-Match": etag2}).status in (200, 204)
    assert server.request("GET", href).status == 404


def test_library_update_with_stale_etag_is_refused(server, default_calendar):
    uid = new_uid()
    mine = default_calendar.save_event(simple_event_ics(uid, "Original"))
    mine.load()  # caches the current ETag
    # somebody else changes the event meanwhile
    theirs = default_calendar.event_by_url(mine.url)
    theirs.icalendar_component["SUMMARY"] = "Changed elsewhere"
    theirs.save()

    mine.icalendar_component["SUMMARY"] = "Lost update"
    # the library sends If-Match with the ETag it cached; the server says 412
    with pytest.raises(error.ETagMismatchError):
        mine.save()
    assert b"Changed elsewhere" in server.request("GET", path_of(mine.url)).body


def test_delete_event_then_get_is_404(server, default_calendar):
    uid = new_uid()
    ev = default_calendar.save_event(simple_event_ics(uid, "To be deleted"))
    href = path_of(ev.url)
    assert server.request("GET", href).status == 200
    ev.delete()
    assert server.request("GET", href).status == 404
    with pytest.raises(error.NotFoundError):
        default_calendar.event_by_uid(uid)
    assert uid not in {str(e.icalendar_component["UID"]) for e in default_calendar.events()}


def test_same_uid_at_second_href_is_a_uid_conflict(server):
    """RFC 4791 5.3.2.1: one UID per calendar; a second resource with the
    same UID is refused with the CALDAV:no-uid-conflict precondition."""
    uid = new_uid()
    cal = server.default_calendar_path()
    first, second = cal + uuid.uuid4().hex + ".ics", cal + uuid.uuid4().hex + ".ics"
    ct = {"Content-Type": "text/calendar; charset=utf-8"}
    assert server.request("PUT", first, simple_event_ics(uid, "First"), ct).status == 201
    r = server.request("PUT", second, simple_event_ics(uid, "Second"), ct)
    assert r.status in (403, 409), r
    assert b"no-uid-conflict" in r.body
    assert server.request("GET", second).status == 404
    assert b"First" in server.request("GET", first).body


def test_reject_non_calendar_data_in_calendar(server):
    href = server.default_calendar_path() + uuid.uuid4().hex + ".ics"
    r = server.request("PUT", href, b"this is not iCalendar", {"Content-Type": "text/calendar"})
    assert r.status in (400, 403, 415), r
    assert server.request("GET", href).status == 404


# --------------------------------------------------------------------------
# listing, todos, multiget
# --------------------------------------------------------------------------


def test_events_and_todos_are_listed_separately(fresh_calendar):
    cal = fresh_calendar
    ev_uids = [new_uid() for _ in range(3)]
    for i, uid in enumerate(ev_uids):
        cal.save_event(simple_event_ics(uid, f"Event {i} {NON_ASCII}", day=10 + i))
    cal.save_event(recurring_event_ics(rec_uid := new_uid()))
    due_uid, nodate_uid = new_uid(), new_uid()
    cal.save_todo(todo_ics(due_uid, "Pay taxes – Steuern", "20250430"))
    cal.save_todo(todo_ics(nodate_uid, "Someday: learn 日本語", None))

    events = cal.events()
    assert sorted(str(e.icalendar_component["UID"]) for e in events) == sorted(ev_uids + [rec_uid])
    assert all(e.data for e in events), "events() must come back with their data"

    todos = cal.todos()
    by_uid = {str(t.icalendar_component["UID"]): t for t in todos}
    assert sorted(by_uid) == sorted([due_uid, nodate_uid])
    due = by_uid[due_uid].icalendar_component.decoded("DUE")
    assert due == date(2025, 4, 30)
    assert "DUE" not in by_uid[nodate_uid].icalendar_component
    assert "DTSTART" not in by_uid[nodate_uid].icalendar_component

    assert str(cal.todo_by_uid(nodate_uid).icalendar_component["SUMMARY"]) == "Someday: learn 日本語"


def test_completed_todo_leaves_open_todo_list(fresh_calendar):
    cal = fresh_calendar
    open_uid, done_uid = new_uid(), new_uid()
    cal.save_todo(todo_ics(open_uid, "Still open", "20250501"))
    done = cal.save_todo(todo_ics(done_uid, "Will be done", None))
    done.complete()
    assert {str(t.icalendar_component["UID"]) for t in cal.todos()} == {open_uid}
    assert {str(t.icalendar_component["UID"]) for t in cal.todos(include_completed=True)} == {
        open_uid,
        done_uid,
    }
    status = cal.todo_by_uid(done_uid).icalendar_component["STATUS"]
    assert str(status) == "COMPLETED"


def test_multiget_several_objects(server, fresh_calendar):
    cal = fresh_calendar
    saved = {}
    for i in range(3):
        uid = new_uid()
        saved[uid] = cal.save_event(simple_event_ics(uid, f"Multi {i} – {NON_ASCII}", day=i + 1))
    tuid = new_uid()
    saved[tuid] = cal.save_todo(todo_ics(tuid, "Multi todo", "20250301"))

    urls = [o.url for o in saved.values()]
    objs = cal.multiget(urls)
    assert len(objs) == len(urls)
    by_uid = {str(o.icalendar_component["UID"]): o for o in objs}
    assert set(by_uid) == set(saved)
    for uid, o in by_uid.items():
        raw = server.request("GET", path_of(o.url))
        assert raw.status == 200
        # (XML parsers turn CRLF inside text into LF unless the server sends
        # the CR as &#13;, so compare modulo line endings)
        assert lf(o.data) == lf(raw.body.decode("utf-8")), "multiget data must equal GET data"
    assert "Multi todo" in str(by_uid[tuid].icalendar_component["SUMMARY"])

    # calendar_multiget is the older spelling; must give the same objects
    assert len(list(cal.calendar_multiget(urls[:2]))) == 2


def test_time_range_search_finds_recurrence_instances(fresh_calendar):
    cal = fresh_calendar
    rec_uid = new_uid()
    cal.save_event(recurring_event_ics(rec_uid))
    single_uid = new_uid()
    cal.save_event(simple_event_ics(single_uid, "Single in March", day=10))

    def uids(start, end):
        found = cal.search(start=start, end=end, event=True)
        return {str(e.icalendar_component["UID"]) for e in found}

    # 3rd week: instance on Mon 2025-01-27 (the master starts 2025-01-06)
    assert uids(datetime(2025, 1, 27), datetime(2025, 1, 28)) == {rec_uid}
    # March: 10th instance is on 2025-03-10; the single event too
    assert uids(datetime(2025, 3, 10), datetime(2025, 3, 11)) == {rec_uid, single_uid}
    # after COUNT=10 has run out (last instance 2025-03-10): nothing recurring
    assert uids(datetime(2025, 6, 1), datetime(2025, 7, 1)) == set()
    # a Tuesday: no instance
    assert uids(datetime(2025, 1, 28, 0, 0), datetime(2025, 1, 28, 23, 0)) == set()
