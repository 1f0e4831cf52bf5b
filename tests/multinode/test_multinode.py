"""Three calvault nodes on one PostgreSQL database behind nginx round-robin (see conftest.py).

What must hold for the nodes to be interchangeable:

1. a real client (PyPI `caldav`) works through the balancer although consecutive requests
   land on different nodes;
2. every node answers the same ctag, sync token and ETags, and tokens and ETags one node
   handed out are understood by the others;
3. conflicting writes sent to different nodes at the same moment have exactly one winner
   (If-Match, If-None-Match: *, UID uniqueness), and the history chains stay intact;
4. vdirsyncer syncs both ways through the balancer;
5. a meeting written on one node is answered on another;
6. a write lock taken on one node holds on every node (423 without its token), UNLOCK and
   expiry release it everywhere, and it outlives a restart of the node that took it.

Run: CALVAULT_TEST_POSTGRES=postgres://... python3 -m pytest -q -p no:cacheprovider tests/multinode
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import caldav
import icalendar
from calvault_testlib import stop_process
from conftest import start_node

if TYPE_CHECKING:  # the fixtures' classes, for annotations only
    from conftest import Endpoint, Resp

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
GETETAG = f"{{{DAV}}}getetag"
GETCTAG = f"{{{CS}}}getctag"
SYNC_TOKEN = f"{{{DAV}}}sync-token"
ICS = {"Content-Type": "text/calendar; charset=utf-8"}
XML = {"Content-Type": "application/xml; charset=utf-8"}
UTC = timezone.utc
SUBPROCESS_TIMEOUT = 180


# ---------------------------------------------------------------------------
# iCalendar


def ics(uid: str, summary: str, start: datetime, minutes: int = 60, rrule: str | None = None) -> str:
    """One VEVENT in UTC, CRLF line endings (RFC 5545 §3.1); `rrule` like "FREQ=WEEKLY;COUNT=6"."""
    end = start + timedelta(minutes=minutes)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//calvault//multinode tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T120000Z",
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}",
        f"DTEND:{end:%Y%m%dT%H%M%SZ}",
        *([f"RRULE:{rrule}"] if rrule else []),
        f"SUMMARY:{summary}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def event_of(text: str | bytes) -> icalendar.Event:
    """The (first) VEVENT of an iCalendar text."""
    return icalendar.Calendar.from_ical(text).walk("VEVENT")[0]


def uid_of(text: str | bytes) -> str:
    return str(event_of(text)["UID"])


def summary_of(text: str | bytes) -> str:
    return str(event_of(text)["SUMMARY"])


# ---------------------------------------------------------------------------
# WebDAV


def new_uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def bare_etag(etag: str | None) -> str:
    """An ETag without W/ and quotes: HTTP headers quote them, the history listing may not."""
    assert etag, "no ETag"
    return etag.strip().removeprefix("W/").strip('"')


def make_calendar(ep: Endpoint, prefix: str) -> str:
    """MKCALENDAR /dav/calendars/ann/PREFIX-xxxx/ on `ep`; returns its path."""
    path = f"/dav/calendars/ann/{new_uid(prefix)}/"
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<C:mkcalendar xmlns:D="{DAV}" xmlns:C="{CALDAV}"><D:set><D:prop>'
        f"<D:displayname>{prefix}</D:displayname></D:prop></D:set></C:mkcalendar>"
    )
    r = ep.request("MKCALENDAR", path, body, XML)
    assert r.status == 201, f"MKCALENDAR {path} on {ep.name}: {r}"
    return path


@dataclass
class Member:
    """One <D:response> of a multistatus."""

    href: str
    status: int | None  # a response-level status (sync-collection's 404 for a removed member)
    props: dict  # "{ns}name" -> text, from the propstat with status 200


def parse_multistatus(r: Resp) -> tuple[dict[str, Member], str | None]:
    """The responses of a 207 by (unquoted) href, and the report-level sync-token if any."""
    assert r.status == 207, f"expected 207 Multi-Status: {r}"
    root = ET.fromstring(r.body)
    members = {}
    for resp in root.findall(f"{{{DAV}}}response"):
        href = urllib.parse.unquote(resp.findtext(f"{{{DAV}}}href", "").strip())
        status = resp.findtext(f"{{{DAV}}}status")
        props = {}
        for ps in resp.findall(f"{{{DAV}}}propstat"):
            if " 200 " not in (ps.findtext(f"{{{DAV}}}status", "") + " "):
                continue
            prop_el = ps.find(f"{{{DAV}}}prop")
            for prop in list(prop_el) if prop_el is not None else []:
                props[prop.tag] = (prop.text or "").strip()
        members[href] = Member(href, int(status.split()[1]) if status else None, props)
    return members, root.findtext(f"{{{DAV}}}sync-token")


def propfind(ep: Endpoint, path: str, props: list[str], depth: str = "1") -> dict[str, Member]:
    """PROPFIND of Clark-notation `props` ("{DAV:}getetag") on `ep`."""
    prop_xml = "".join(f'<x:{p.split("}")[1]} xmlns:x="{p[1:].split("}")[0]}"/>' for p in props)
    body = f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>{prop_xml}</D:prop></D:propfind>'
    members, _ = parse_multistatus(ep.request("PROPFIND", path, body, XML | {"Depth": depth}))
    return members


def state_of(ep: Endpoint, cal: str) -> dict[str, dict]:
    """What `ep` says of a calendar and its members: ctag, sync token, ETags by href."""
    return {href: m.props for href, m in propfind(ep, cal, [GETCTAG, SYNC_TOKEN, GETETAG]).items()}


def sync_collection(ep: Endpoint, cal: str, token: str) -> tuple[dict[str, Member], str]:
    """A sync-collection REPORT (RFC 6578) from `token`; returns the members and the new token."""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
        f"<D:prop><D:getetag/></D:prop></D:sync-collection>"
    )
    members, new_token = parse_multistatus(ep.request("REPORT", cal, body, XML))
    assert new_token, "sync-collection answered without a sync-token"
    return members, new_token


def etags(ep: Endpoint, cal: str) -> dict[str, str]:
    """Member name -> ETag, as `ep` lists the calendar."""
    return {
        href.rsplit("/", 1)[1]: m.props[GETETAG]
        for href, m in propfind(ep, cal, [GETETAG]).items()
        if href.rstrip("/") != cal.rstrip("/")
    }


def contents(ep: Endpoint, cal: str) -> dict[str, str]:
    """UID -> iCalendar text of every object of a calendar, read with GETs from `ep`."""
    out = {}
    for name in etags(ep, cal):
        r = ep.request("GET", cal + name)
        assert r.status == 200, f"GET {cal + name} on {ep.name}: {r}"
        assert uid_of(r.body) not in out, f"UID {uid_of(r.body)} twice in {cal}"
        out[uid_of(r.body)] = r.text
    return out


def query_uids(ep: Endpoint, cal: str, start: datetime, end: datetime) -> set[str]:
    """UIDs a calendar-query REPORT with a VEVENT time-range (RFC 4791 §7.8.1) finds: the
    server's own answer, which client libraries widen and filter again."""
    body = (
        f'<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV}">'
        '<D:prop><C:calendar-data/></D:prop><C:filter><C:comp-filter name="VCALENDAR">'
        f'<C:comp-filter name="VEVENT"><C:time-range start="{start:%Y%m%dT%H%M%SZ}" end="{end:%Y%m%dT%H%M%SZ}"/>'
        "</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"
    )
    members, _ = parse_multistatus(ep.request("REPORT", cal, body, XML | {"Depth": "1"}))
    return {uid_of(m.props[f"{{{CALDAV}}}calendar-data"]) for m in members.values()}


def put(ep: Endpoint, path: str, body: str, **headers: str) -> Resp:
    """PUT of iCalendar text; keyword headers use _ for - (If_Match=...)."""
    hdrs = ICS | {k.replace("_", "-"): v for k, v in headers.items()}
    return ep.request("PUT", path, body, hdrs)


def race(requests: list[tuple[Endpoint, str, str, str, dict]]) -> list[Resp]:
    """Sends (endpoint, method, path, body, headers) requests at the same moment, one thread
    each: every connection is opened first, then a barrier releases all requests together."""
    barrier = threading.Barrier(len(requests))
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        futures = [
            pool.submit(ep.request, method, path, body, headers, "ann", barrier)
            for ep, method, path, body, headers in requests
        ]
        return [f.result(timeout=60) for f in futures]


def is_2xx(r: Resp) -> bool:
    return 200 <= r.status < 300


# ---------------------------------------------------------------------------
# 1. python caldav through nginx

SINGLES = 24
WEEKLIES = 6
WEEKLY_COUNT = 6


def planned_events() -> dict[str, tuple[datetime, int, int]]:
    """UID -> (first start, minutes, instance count): 24 one-off events, one a day from
    2026-03-01 09:00Z, and 6 weekly series of 6 from 2026-03-02..07 14:00Z."""
    plan = {}
    for i in range(SINGLES):
        plan[f"mn-single-{i:02d}"] = (datetime(2026, 3, 1, 9, tzinfo=UTC) + timedelta(days=i), 60, 1)
    for j in range(WEEKLIES):
        plan[f"mn-weekly-{j}"] = (datetime(2026, 3, 2, 14, tzinfo=UTC) + timedelta(days=j), 90, WEEKLY_COUNT)
    return plan


def expected_instances(plan, start: datetime, end: datetime) -> set[tuple[str, datetime]]:
    """(UID, instance start) of every instance overlapping [start, end) (RFC 4791 §9.9),
    computed here independently of the server and the client library."""
    found = set()
    for uid, (first, minutes, count) in plan.items():
        for k in range(count):
            s = first + timedelta(weeks=k)
            if s < end and s + timedelta(minutes=minutes) > start:
                found.add((uid, s))
    return found


def instance_key(obj) -> tuple[str, datetime]:
    """(UID, start) of one expanded instance the library returned."""
    comp = obj.icalendar_component
    return str(comp["UID"]), comp["DTSTART"].dt.astimezone(UTC)


def test_caldav_client_through_the_balancer(cluster):
    log_from = cluster.access_log_size()
    plan = planned_events()
    with caldav.DAVClient(url=cluster.url, username="ann", password="pw") as client:
        principal = client.principal()
        assert urllib.parse.urlsplit(str(principal.url)).path == "/dav/principals/ann/"
        paths = {urllib.parse.urlsplit(str(c.url)).path for c in principal.calendars()}
        assert "/dav/calendars/ann/calendar/" in paths, paths

        cal_id = new_uid("mn-caldav")
        cal = principal.make_calendar(name="Multinode caldav", cal_id=cal_id)
        assert cal_id in {urllib.parse.urlsplit(str(c.url)).path.strip("/").split("/")[-1]
                          for c in principal.calendars()}

        for uid, (first, minutes, count) in plan.items():
            rrule = f"FREQ=WEEKLY;COUNT={count}" if count > 1 else None
            cal.save_event(ics(uid, f"Summary of {uid}", first, minutes, rrule))

        events = cal.events()
        assert {str(e.icalendar_component["UID"]) for e in events} == set(plan)
        # hrefs in answers name the balancer (Host is passed through), so the library keeps
        # talking to nginx, never to a node directly
        assert {urllib.parse.urlsplit(str(e.url)).netloc for e in events} == {cluster.proxy.addr}

        def search_uids(start, end):
            return {str(o.icalendar_component["UID"]) for o in cal.search(start=start, end=end, event=True)}

        def search_instances(start, end, **kw):
            return {instance_key(o) for o in cal.search(start=start, end=end, event=True, expand=True, **kw)}

        ranges = [
            (datetime(2026, 3, 10, tzinfo=UTC), datetime(2026, 3, 13, tzinfo=UTC)),  # singles + weeklies
            (datetime(2026, 4, 5, tzinfo=UTC), datetime(2026, 4, 20, tzinfo=UTC)),  # last weekly instances only
            (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC)),  # after everything
        ]
        for start, end in ranges:
            want = expected_instances(plan, start, end)
            assert search_uids(start, end) == {uid for uid, _ in want}, (start, end)
            assert search_instances(start, end) == want, (start, end)
            assert search_instances(start, end, server_expand=True) == want, (start, end)
            cal_path = urllib.parse.urlsplit(str(cal.url)).path
            assert query_uids(cluster.proxy, cal_path, start, end) == {uid for uid, _ in want}, (start, end)
        # the ranges do test something: one-offs and series in the first, series only in the second
        assert {uid[:9] for uid, _ in expected_instances(plan, *ranges[0])} == {"mn-single", "mn-weekly"}
        assert {uid for uid, _ in expected_instances(plan, *ranges[1])} == {f"mn-weekly-{j}" for j in range(6)}

        # edit: five summaries, and one series cut to two instances
        for i in range(5):
            ev = cal.event_by_uid(f"mn-single-{i:02d}")
            ev.icalendar_component["SUMMARY"] = f"Edited {i}"
            ev.save()
        series = cal.event_by_uid("mn-weekly-0")
        first, minutes, _ = plan["mn-weekly-0"]
        series.data = ics("mn-weekly-0", "Shortened series", first, minutes, "FREQ=WEEKLY;COUNT=2")
        series.save()
        plan["mn-weekly-0"] = (first, minutes, 2)

        # delete: four one-offs and one series
        gone = [f"mn-single-{i:02d}" for i in range(20, 24)] + ["mn-weekly-5"]
        for uid in gone:
            cal.event_by_uid(uid).delete()
            del plan[uid]

        final = {str(e.icalendar_component["UID"]): str(e.icalendar_component["SUMMARY"]) for e in cal.events()}
        assert set(final) == set(plan)
        assert [final[f"mn-single-{i:02d}"] for i in range(5)] == [f"Edited {i}" for i in range(5)]
        assert final["mn-weekly-0"] == "Shortened series"
        assert final["mn-single-05"] == "Summary of mn-single-05"
        start, end = ranges[1]
        want = expected_instances(plan, start, end)
        assert {uid for uid, _ in want} == {f"mn-weekly-{j}" for j in range(1, 5)}
        assert search_instances(start, end) == want

        cal.delete()

    entries = cluster.access_entries(since=log_from)
    assert len(entries) >= 60, f"only {len(entries)} requests reached nginx"
    errors = [e for e in entries if e["status"] >= 500]
    assert not errors, errors
    per_node = Counter(e["upstream"] for e in entries)
    assert set(per_node) == {n.addr for n in cluster.nodes}, per_node
    for node in cluster.nodes:
        # plain round-robin: about a third each
        assert per_node[node.addr] >= len(entries) / 5, per_node


# ---------------------------------------------------------------------------
# 2. stateless nodes


def test_nodes_agree_and_understand_each_others_tokens(cluster):
    n1, n2, n3 = cluster.nodes
    cal = make_calendar(n1, "mn-stateless")
    for i in range(6):  # written via every node in turn
        node = cluster.nodes[i % 3]
        r = put(node, f"{cal}e{i}.ics", ics(f"stateless-{i}", f"Event {i}", datetime(2026, 5, 1 + i, 8, tzinfo=UTC)),
                If_None_Match="*")
        assert r.status == 201, r

    # the same ctag, sync token and ETags from every node
    states = [state_of(n, cal) for n in cluster.nodes]
    assert len(states[0]) == 7 and cal in states[0], states[0]
    assert states[0][cal][GETCTAG] and states[0][cal][SYNC_TOKEN]
    assert all(states[0][f"{cal}e{i}.ics"][GETETAG] for i in range(6))
    assert states[1] == states[0] and states[2] == states[0], states
    # every node knows the other account too, and keeps it out
    for node in cluster.nodes:
        assert node.request("GET", f"{cal}e1.ics", user="bob").status in (403, 404)
        assert node.request("PROPFIND", "/dav/calendars/bob/", headers={"Depth": "0"}, user="bob").status == 207

    # a sync token from node 1, a change via node 2, the question to node 3
    token = states[0][cal][SYNC_TOKEN]
    old_etag = states[0][f"{cal}e2.ics"][GETETAG]
    r = put(n2, f"{cal}e2.ics", ics("stateless-2", "Changed via node 2", datetime(2026, 5, 3, 8, tzinfo=UTC)),
            If_Match=old_etag)
    assert is_2xx(r), r
    new_etag = n1.request("GET", f"{cal}e2.ics").header("etag")
    assert new_etag != old_etag
    changes, token2 = sync_collection(n3, cal, token)
    assert set(changes) == {f"{cal}e2.ics"}, changes
    assert changes[f"{cal}e2.ics"].props[GETETAG] == new_etag
    assert token2 != token
    assert token2 == state_of(n1, cal)[cal][SYNC_TOKEN]
    assert state_of(n2, cal)[cal][GETCTAG] != states[0][cal][GETCTAG]

    # a deletion via node 1, asked of node 2 with node 3's token: exactly that deletion
    assert is_2xx(n1.request("DELETE", f"{cal}e4.ics"))
    changes, token3 = sync_collection(n2, cal, token2)
    assert set(changes) == {f"{cal}e4.ics"}, changes
    assert changes[f"{cal}e4.ics"].status == 404
    # nothing since the latest token, whichever node is asked
    for node in cluster.nodes:
        changes, again = sync_collection(node, cal, token3)
        assert changes == {} and again == token3

    # the states agree again after the writes
    states = [state_of(n, cal) for n in cluster.nodes]
    assert states[1] == states[0] and states[2] == states[0], states

    # an ETag from one node is an If-Match on another, and is stale on a third once used
    etag = n3.request("GET", f"{cal}e0.ics").header("etag")
    r = put(n1, f"{cal}e0.ics", ics("stateless-0", "Matched via node 1", datetime(2026, 5, 1, 8, tzinfo=UTC)),
            If_Match=etag)
    assert is_2xx(r), r
    r = put(n2, f"{cal}e0.ics", ics("stateless-0", "Stale via node 2", datetime(2026, 5, 1, 8, tzinfo=UTC)),
            If_Match=etag)
    assert r.status == 412, r
    assert n3.request("DELETE", f"{cal}e0.ics", headers={"If-Match": etag}).status == 412
    got = n2.request("GET", f"{cal}e0.ics")
    assert summary_of(got.body) == "Matched via node 1"
    assert n3.request("DELETE", f"{cal}e0.ics", headers={"If-Match": got.header("etag")}).status in (200, 204)
    assert n1.request("GET", f"{cal}e0.ics").status == 404


# ---------------------------------------------------------------------------
# 3. concurrent conflicting writes across nodes

IF_MATCH_ROUNDS = 20
CREATE_ROUNDS = 8


def history_of(cluster, cal: str) -> list[dict]:
    """`calvault history ann/CAL --json`: every version of the calendar, newest first."""
    name = cal.strip("/").split("/")[-1]
    r = cluster.cli("history", f"ann/{name}", "--json")
    assert r.returncode == 0, f"calvault history ann/{name} failed:\n{r.stdout}{r.stderr}"
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


RACE_START = datetime(2026, 6, 1, 10, tzinfo=UTC)


def race_if_match(nodes: list[Endpoint], cal: str) -> list[tuple[str, str]]:
    """Rounds of three PUTs with the same If-Match, one per node: one 2xx, two 412, and the
    winner's body is what every node serves. Returns the winners' (SUMMARY, ETag)."""
    target = f"{cal}race.ics"
    assert put(nodes[0], target, ics("race", "Round start", RACE_START), If_None_Match="*").status == 201
    winners = []
    for rnd in range(IF_MATCH_ROUNDS):
        etag = nodes[rnd % 3].request("GET", target).header("etag")
        bodies = [ics("race", f"Round {rnd} node {i + 1}", RACE_START) for i in range(3)]
        answers = race([(n, "PUT", target, b, ICS | {"If-Match": etag}) for n, b in zip(nodes, bodies)])
        won = [i for i, r in enumerate(answers) if is_2xx(r)]
        assert len(won) == 1, f"round {rnd}: {answers}"
        assert sorted(r.status for r in answers if not is_2xx(r)) == [412, 412], f"round {rnd}: {answers}"
        for node in nodes:
            assert node.request("GET", target).body.decode() == bodies[won[0]], f"round {rnd}, {node.name}"
        got = nodes[(won[0] + 1) % 3].request("GET", target)
        if answers[won[0]].header("etag"):
            assert answers[won[0]].header("etag") == got.header("etag")
        winners.append((summary_of(bodies[won[0]]), bare_etag(got.header("etag"))))
    return winners


def race_same_uid(nodes: list[Endpoint], cal: str) -> list[tuple[str, str]]:
    """Rounds of one UID PUT under three names, one per node: one 201, two refused with
    CALDAV:no-uid-conflict, and only the winner's name exists. Returns (name, SUMMARY)."""
    winners = []
    for rnd in range(CREATE_ROUNDS):
        uid = new_uid("same-uid")
        names = [f"uid-{rnd}-{i}.ics" for i in range(3)]
        bodies = [ics(uid, f"UID round {rnd} node {i + 1}", RACE_START) for i in range(3)]
        answers = race([(n, "PUT", cal + name, b, ICS) for n, name, b in zip(nodes, names, bodies)])
        won = [i for i, r in enumerate(answers) if r.status == 201]
        assert len(won) == 1, f"round {rnd}: {answers}"
        for i, r in enumerate(answers):
            if i != won[0]:
                assert r.status in (403, 409) and b"no-uid-conflict" in r.body, f"round {rnd}: {r}"
        listed = etags(nodes[rnd % 3], cal)
        assert [n for n in names if n in listed] == [names[won[0]]], f"round {rnd}: {sorted(listed)}"
        assert nodes[(rnd + 1) % 3].request("GET", cal + names[won[0]]).body.decode() == bodies[won[0]]
        winners.append((names[won[0]], summary_of(bodies[won[0]])))
    return winners


def race_same_name(nodes: list[Endpoint], cal: str) -> list[tuple[str, str]]:
    """Rounds of If-None-Match: * PUTs of one new name, one per node: one 201, two 412.
    Returns (name, SUMMARY) of the winners."""
    winners = []
    for rnd in range(CREATE_ROUNDS):
        name = f"new-{rnd}.ics"
        uid = new_uid("same-name")
        bodies = [ics(uid, f"Name round {rnd} node {i + 1}", RACE_START) for i in range(3)]
        answers = race([(n, "PUT", cal + name, b, ICS | {"If-None-Match": "*"}) for n, b in zip(nodes, bodies)])
        won = [i for i, r in enumerate(answers) if r.status == 201]
        assert len(won) == 1, f"round {rnd}: {answers}"
        assert sorted(r.status for r in answers if r.status != 201) == [412, 412], f"round {rnd}: {answers}"
        assert nodes[rnd % 3].request("GET", cal + name).body.decode() == bodies[won[0]]
        winners.append((name, summary_of(bodies[won[0]])))
    return winners


def race_disjoint(nodes: list[Endpoint], cal: str) -> list[str]:
    """Writes that do not conflict must all succeed however they interleave: rounds of three
    new objects, one per node, then the same object deleted via all three (one 2xx, two 404).
    A sync from before reports exactly what is left of them. Returns the names created."""
    token = state_of(nodes[0], cal)[cal][SYNC_TOKEN]
    created = []
    for rnd in range(CREATE_ROUNDS):
        names = [f"disjoint-{rnd}-{i}.ics" for i in range(3)]
        answers = race([(n, "PUT", cal + name, ics(new_uid("disjoint"), name, RACE_START), ICS)
                        for n, name in zip(nodes, names)])
        assert [r.status for r in answers] == [201, 201, 201], f"round {rnd}: {answers}"
        created += names
    deleted = [f"disjoint-{rnd}-0.ics" for rnd in range(CREATE_ROUNDS)]
    for name in deleted:
        answers = race([(n, "DELETE", cal + name, None, {}) for n in nodes])
        assert sorted(r.status for r in answers) in ([204, 404, 404], [200, 404, 404]), f"{name}: {answers}"
    changes, _ = sync_collection(nodes[1], cal, token)
    assert {href.rsplit("/", 1)[1]: m.status for href, m in changes.items()} == {
        name: (404 if name in deleted else None) for name in created
    }
    return created


def test_conflicting_writes_on_different_nodes_have_one_winner(cluster):
    nodes = cluster.nodes
    cal = make_calendar(nodes[0], "mn-race")
    if_match_winners = race_if_match(nodes, cal)
    uid_winners = race_same_uid(nodes, cal)
    name_winners = race_same_name(nodes, cal)
    disjoint = race_disjoint(nodes, cal)

    # every hash chain still verifies
    verify = cluster.cli("history", "verify")
    assert verify.returncode == 0, f"calvault history verify:\n{verify.stdout}{verify.stderr}"

    # the history holds each winning write exactly once, and no losing one
    history = history_of(cluster, cal)
    race_versions = [e for e in history if e.get("object") == "race.ics"]
    assert len(race_versions) == 1 + IF_MATCH_ROUNDS, [e["summary"] for e in race_versions]
    for summary, etag in if_match_winners:
        matching = [e for e in race_versions if e["summary"] == summary]
        assert len(matching) == 1, (summary, matching)
        assert bare_etag(matching[0]["etag"]) == etag
    objects = Counter(e.get("object") for e in history)
    for name, summary in uid_winners + name_winners:
        assert objects[name] == 1, (name, objects)
        assert [e["summary"] for e in history if e.get("object") == name] == [summary]
    losers = {f"uid-{r}-{i}.ics" for r in range(CREATE_ROUNDS) for i in range(3)} - {n for n, _ in uid_winners}
    assert not losers & set(objects), sorted(losers & set(objects))
    for name in disjoint:  # created once, and the raced deletion recorded once
        assert objects[name] == (2 if name.endswith("-0.ics") else 1), (name, objects)
    collection_versions = 1  # MKCALENDAR
    assert len(history) == (collection_versions + 1 + IF_MATCH_ROUNDS + 2 * CREATE_ROUNDS
                            + len(disjoint) + CREATE_ROUNDS), Counter(e["action"] for e in history)


# ---------------------------------------------------------------------------
# 4. vdirsyncer through nginx


def vdirsyncer(conf: Path, *args: str) -> str:
    """Runs `vdirsyncer -c CONF ARGS`, answering every question with yes; returns its output."""
    exe = shutil.which("vdirsyncer")
    cmd = [exe] if exe else [sys.executable, "-m", "vdirsyncer"]
    r = subprocess.run(
        [*cmd, "-c", str(conf), *args],
        input="y\n" * 50, capture_output=True, text=True, timeout=SUBPROCESS_TIMEOUT,
    )
    assert r.returncode == 0, f"vdirsyncer {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout + r.stderr


def local_events(folder: Path) -> dict[str, str]:
    """UID -> text of every .ics file vdirsyncer keeps in `folder` (one file per UID)."""
    out = {}
    for f in sorted(folder.glob("*.ics")):
        text = f.read_bytes().decode("utf-8")  # line endings untouched
        assert uid_of(text) not in out, f"two local files hold UID {uid_of(text)}"
        out[uid_of(text)] = text
    return out


def file_of(folder: Path, uid: str) -> Path:
    """The one local file holding `uid` (vdirsyncer picks the file names)."""
    matches = [f for f in folder.glob("*.ics") if uid_of(f.read_bytes()) == uid]
    assert len(matches) == 1, (uid, matches)
    return matches[0]


def test_vdirsyncer_through_the_balancer(cluster, tmp_path):
    log_from = cluster.access_log_size()
    n1, n2, n3 = cluster.nodes
    cal = make_calendar(n1, "mn-vds")
    cal_id = cal.strip("/").split("/")[-1]
    start = datetime(2026, 7, 1, 9, tzinfo=UTC)
    for i in range(8):
        rrule = "FREQ=DAILY;COUNT=5" if i == 0 else None
        assert put(cluster.nodes[i % 3], f"{cal}v{i}.ics", ics(f"vds-{i}", f"Remote {i}", start + timedelta(days=i),
                                                               rrule=rrule)).status == 201

    local = tmp_path / "local"
    conf = tmp_path / "vdirsyncer.conf"
    conf.write_text(f"""[general]
status_path = "{tmp_path / 'status'}/"

[pair multinode]
a = "multinode_local"
b = "multinode_remote"
collections = ["{cal_id}"]
conflict_resolution = "b wins"

[storage multinode_local]
type = "filesystem"
path = "{local}/"
fileext = ".ics"

[storage multinode_remote]
type = "caldav"
url = "{cluster.url}"
username = "ann"
password = "pw"
""")
    folder = local / cal_id

    # first sync: the local folder holds exactly the server's events
    vdirsyncer(conf, "discover")
    vdirsyncer(conf, "sync")
    server = contents(n2, cal)
    assert len(server) == 8
    assert local_events(folder) == server

    # local changes: one new event, one edited, one deleted
    (folder / "vds-new.ics").write_bytes(ics("vds-new", "Made locally", start + timedelta(days=20)).encode())
    edited = file_of(folder, "vds-3")
    edited.write_bytes(edited.read_bytes().replace(b"SUMMARY:Remote 3", b"SUMMARY:Edited locally"))
    file_of(folder, "vds-5").unlink()
    vdirsyncer(conf, "sync")
    server = contents(n3, cal)
    assert set(server) == {f"vds-{i}" for i in range(8) if i != 5} | {"vds-new"}
    assert summary_of(server["vds-new"]) == "Made locally"
    assert summary_of(server["vds-3"]) == "Edited locally"
    assert summary_of(server["vds-4"]) == "Remote 4"
    assert local_events(folder) == server  # uploaded byte for byte
    # and what the library reads through the balancer agrees
    with caldav.DAVClient(url=cluster.url, username="ann", password="pw") as client:
        remote = client.calendar(url=cluster.proxy.base + cal)
        assert {str(e.icalendar_component["UID"]) for e in remote.events()} == set(server)

    # a change on the server reaches the local file
    names = {uid_of(n1.request("GET", cal + name).body): (name, etag) for name, etag in etags(n1, cal).items()}
    name, etag = names["vds-6"]
    assert is_2xx(put(n2, cal + name, ics("vds-6", "Changed on the server", start + timedelta(days=6)), If_Match=etag))
    vdirsyncer(conf, "sync")
    assert summary_of(file_of(folder, "vds-6").read_bytes()) == "Changed on the server"
    assert local_events(folder) == contents(n1, cal)

    # vdirsyncer's requests all went through the balancer, to every node
    synced = [e for e in cluster.access_entries(since=log_from) if "vdirsyncer" in e["agent"].lower()]
    assert synced, "no vdirsyncer request in nginx's access log"
    assert not [e for e in synced if e["status"] >= 500], synced
    assert {e["upstream"] for e in synced} == {n.addr for n in cluster.nodes}


# ---------------------------------------------------------------------------
# 5. scheduling across nodes (docs/scheduling.md)


def test_an_invitation_written_on_one_node_is_answered_on_another(cluster):
    """Ann invites bob through node 1; bob finds it and accepts through node 2; ann sees
    the answer through node 3. The accounts have no e-mail here: the meeting names its
    calendar users by principal URL, as Apple's clients may."""
    n1, n2, n3 = cluster.nodes
    uid = new_uid("mn-meeting")
    start = datetime(2026, 12, 14, 10, tzinfo=UTC).strftime("%Y%m%dT%H%M%SZ")
    meeting = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//multinode//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:{uid}\r\nDTSTAMP:{start}\r\nDTSTART:{start}\r\nDURATION:PT1H\r\nSUMMARY:Across nodes\r\n"
        "ORGANIZER:/dav/principals/ann/\r\nATTENDEE;PARTSTAT=ACCEPTED:/dav/principals/ann/\r\n"
        "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:/dav/principals/bob/\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    ann_path = f"/dav/calendars/ann/calendar/{uid}.ics"
    r = put(n1, ann_path, meeting, If_None_Match="*")
    assert r.status == 201, r
    assert r.header("schedule-tag"), r

    bob_path = f"/dav/calendars/bob/calendar/{uid}.ics"
    got = n2.request("GET", bob_path, user="bob")
    assert got.status == 200, got
    tag = got.header("schedule-tag")
    bobs = got.body.decode().replace("\r\n ", "")
    assert "PARTSTAT=NEEDS-ACTION" in bobs, bobs
    inbox = n3.request("PROPFIND", "/dav/calendars/bob/inbox/", headers={"Depth": "1"}, user="bob")
    assert inbox.status == 207 and inbox.body.count(b"<D:response>") == 2, inbox

    accepted = bobs.replace("PARTSTAT=NEEDS-ACTION", "PARTSTAT=ACCEPTED")
    r = n2.request("PUT", bob_path, accepted, ICS | {"If-Schedule-Tag-Match": tag}, user="bob")
    assert r.status == 204, r
    ann_copy = n3.request("GET", ann_path)
    text = ann_copy.body.decode().replace("\r\n ", "")
    assert "PARTSTAT=ACCEPTED;RSVP=TRUE;SCHEDULE-STATUS=1.2:/dav/principals/bob/" in text, text
    assert ann_copy.header("schedule-tag") == tag, "an answer keeps the organizer's tag"


# ---------------------------------------------------------------------------
# 6. write locks across nodes (docs/locks-and-merging.md)

LOCKINFO = (
    f'<?xml version="1.0" encoding="utf-8"?><D:lockinfo xmlns:D="{DAV}">'
    "<D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype>"
    "<D:owner>multinode</D:owner></D:lockinfo>"
)


def lock(ep: Endpoint, path: str, seconds: int) -> str:
    """LOCK on `ep` for `seconds`; returns the token (without its angle brackets)."""
    r = ep.request("LOCK", path, LOCKINFO, XML | {"Timeout": f"Second-{seconds}", "Depth": "0"})
    assert r.status == 200, f"LOCK {path} on {ep.name}: {r}"
    token = r.header("lock-token") or ""
    assert token.startswith("<") and token.endswith(">"), r
    return token[1:-1]


def test_a_lock_taken_on_one_node_holds_on_every_node_and_outlives_a_restart(cluster):
    n1, n2, n3 = cluster.nodes
    cal = make_calendar(n1, "mn-locks")
    path = cal + "locked.ics"
    start = datetime(2026, 12, 21, 9, tzinfo=UTC)
    assert put(n1, path, ics("mn-lock", "Before the lock", start)).status == 201

    # Taken on node 1: node 2 refuses a PUT without the token, takes one with it.
    token = lock(n1, path, 600)
    r = put(n2, path, ics("mn-lock", "No token", start))
    assert r.status == 423, r
    assert b"lock-token-submitted" in r.body, r
    r = put(n2, path, ics("mn-lock", "With the token", start), If=f"(<{token}>)")
    assert r.status == 204, r
    assert summary_of(n3.request("GET", path).body) == "With the token"

    # Released by UNLOCK on node 3: node 2 writes without a token.
    r = n3.request("UNLOCK", path, headers={"Lock-Token": f"<{token}>"})
    assert r.status == 204, r
    assert put(n2, path, ics("mn-lock", "After UNLOCK", start)).status == 204

    # A lock that lapses: held on node 2 until its timeout, gone after it on node 3.
    lock(n1, path, 2)
    assert put(n2, path, ics("mn-lock", "Too early", start)).status == 423
    time.sleep(2.5)
    assert put(n3, path, ics("mn-lock", "After the timeout", start)).status == 204

    # A restart forgets nothing: a fourth node takes a lock and is killed; started again
    # on the same database it still refuses a PUT without the token, as node 1 does.
    data = cluster.work / "data-restart"
    log = cluster.work / "node-restart.log"
    extra = start_node(cluster.binary, cluster.database, data, log, cluster.procs)
    token = lock(extra, path, 600)
    cluster.procs[-1].kill()
    cluster.procs[-1].wait(timeout=30)
    extra = start_node(cluster.binary, cluster.database, data, log, cluster.procs)
    try:
        assert put(extra, path, ics("mn-lock", "No token after restart", start)).status == 423
        assert put(n1, path, ics("mn-lock", "No token on node 1", start)).status == 423
        discovery = extra.request(
            "PROPFIND", path,
            f'<D:propfind xmlns:D="{DAV}"><D:prop><D:lockdiscovery/></D:prop></D:propfind>',
            XML | {"Depth": "0"},
        )
        assert token in discovery.body.decode(), discovery
        r = extra.request("UNLOCK", path, headers={"Lock-Token": f"<{token}>"})
        assert r.status == 204, r
        assert put(n1, path, ics("mn-lock", "Unlocked after restart", start)).status == 204
    finally:
        stop_process(cluster.procs[-1])
