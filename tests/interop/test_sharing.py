"""Sharing, delegation, free-busy and principal search over a real socket, with the PyPI
`caldav` library where it has a call for it and raw requests (as Apple Calendar, DAVx5,
Evolution and Outlook CalDav Synchronizer send them, shared/CLIENTS-multiuser.md) where it
has not. alice shares, bob is shared with or delegated to, carol must see nothing of either
throughout (except the free/busy time alice gives her in its own test).

Every test makes its own calendar of alice's and takes its shares back at the end, so the
tests do not depend on each other's order. The server's privacy setting is the default,
`principal_search = "groups"`.

Run: python3 -m pytest -q tests/interop/test_sharing.py   (needs target/debug/calvault)
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone

import caldav
import icalendar
import pytest
from caldav.elements import dav
from caldav.lib import error

DAV = "DAV:"
CALDAV = "urn:ietf:params:xml:ns:caldav"
CS = "http://calendarserver.org/ns/"
NS = f'xmlns:D="{DAV}" xmlns:C="{CALDAV}" xmlns:CS="{CS}"'
XML = {"Content-Type": "application/xml; charset=utf-8"}
ICS = {"Content-Type": "text/calendar; charset=utf-8"}
NEED_PRIVILEGES = f"{{{DAV}}}need-privileges"
UTC = timezone.utc


# ---------------------------------------------------------------------------
# iCalendar and XML


def event_ics(uid: str, summary: str, day: int = 10, hour: int = 9) -> str:
    """One hour on 2026-03-DAY in UTC, CRLF line endings (RFC 5545 §3.1)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//calvault//sharing interop tests//EN",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        "DTSTAMP:20260101T120000Z",
        f"DTSTART:202603{day:02d}T{hour:02d}0000Z",
        f"DTEND:202603{day:02d}T{hour + 1:02d}0000Z",
        f"SUMMARY:{summary}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "\r\n".join(lines) + "\r\n"


def summary_of(data: bytes | str) -> str:
    return str(icalendar.Calendar.from_ical(data).walk("VEVENT")[0]["SUMMARY"])


def path_of(url) -> str:
    return urllib.parse.unquote(urllib.parse.urlsplit(str(url)).path)


def propfind_body(*props: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8"?><D:propfind {NS}><D:prop>{"".join(props)}</D:prop></D:propfind>'


@dataclass
class Member:
    """One <D:response> of a multistatus: its status, and its properties found (200)."""

    href: str
    status: int | None
    props: dict  # "{ns}name" -> Element


def multistatus(r) -> dict[str, Member]:
    assert r.status == 207, f"expected 207 Multi-Status: {r}"
    root = ET.fromstring(r.body)
    out = {}
    for resp in root.findall(f"{{{DAV}}}response"):
        href = urllib.parse.unquote(resp.findtext(f"{{{DAV}}}href", "").strip())
        status = resp.findtext(f"{{{DAV}}}status")
        props = {}
        for ps in resp.findall(f"{{{DAV}}}propstat"):
            if " 200 " not in ps.findtext(f"{{{DAV}}}status", "") + " ":
                continue
            for prop in ps.find(f"{{{DAV}}}prop") or []:
                props[prop.tag] = prop
        out[href] = Member(href, int(status.split()[1]) if status else None, props)
    return out


def hrefs_in(el: ET.Element | None) -> list[str]:
    if el is None:
        return []
    return [urllib.parse.unquote((h.text or "").strip()) for h in el.iter(f"{{{DAV}}}href")]


def children(el: ET.Element | None) -> set[str]:
    return set() if el is None else {c.tag for c in el.iter() if c is not el}


def assert_need_privileges(r, privilege: str, ns: str = DAV, href: str | None = None) -> None:
    """403 with RFC 3744 §7.1.1's DAV:need-privileges naming `privilege` (and `href`)."""
    assert r.status == 403, f"expected 403 need-privileges {privilege}: {r}"
    root = ET.fromstring(r.body)
    assert root.tag == f"{{{DAV}}}error", r
    need = root.find(NEED_PRIVILEGES)
    assert need is not None, r
    resources = need.findall(f"{{{DAV}}}resource")
    assert resources, r
    named = {c.tag for res in resources for p in res.findall(f"{{{DAV}}}privilege") for c in p}
    assert f"{{{ns}}}{privilege}" in named, f"need-privileges names {named}, not {privilege}: {r}"
    if href is not None:
        assert href in [h for res in resources for h in hrefs_in(res)], r


def assert_library_refused(e: error.DAVError) -> None:
    """What python caldav hands its caller for a refused write: a 403 AuthorizationError
    that carries the need-privileges precondition (caldav >= 3 parses DAV:error bodies)."""
    assert isinstance(e, error.AuthorizationError), repr(e)
    assert e.status == 403, repr(e)
    assert NEED_PRIVILEGES in e.preconditions, (e.preconditions, e.body)


# ---------------------------------------------------------------------------
# Requests


def share_body(sharee: str, access: str | None) -> str:
    """CalendarServer's CS:share as Apple sends it (access "read"/"read-write"), or its
    CS:remove when `access` is None."""
    if access is None:
        inner = f"<CS:remove><D:href>{sharee}</D:href></CS:remove>"
    else:
        inner = (f"<CS:set><D:href>{sharee}</D:href><CS:common-name>Someone</CS:common-name>"
                 f"<CS:summary>shared</CS:summary><CS:{access}/></CS:set>")
    return f'<?xml version="1.0" encoding="utf-8"?><CS:share {NS}>{inner}</CS:share>'


def share_resource_body(sharee: str, access: str) -> str:
    """draft-pot-webdav-resource-sharing's DAV:share-resource (access read, read-write or
    no-access)."""
    return (f'<?xml version="1.0" encoding="utf-8"?><D:share-resource {NS}><D:sharee>'
            f"<D:href>{sharee}</D:href><D:share-access><D:{access}/></D:share-access>"
            "</D:sharee></D:share-resource>")


def sync_body(token: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?><D:sync-collection {NS}>'
            f"<D:sync-token>{token}</D:sync-token><D:sync-level>1</D:sync-level>"
            "<D:prop><D:getetag/></D:prop></D:sync-collection>")


def set_members_body(*hrefs: str) -> str:
    """The PROPPATCH of group-member-set on a proxy principal (Apple's delegation pane)."""
    members = "".join(f"<D:href>{h}</D:href>" for h in hrefs)
    return (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS}><D:set><D:prop>'
            f"<D:group-member-set>{members}</D:group-member-set></D:prop></D:set></D:propertyupdate>")


def principal_search_body(needle: str, *props: str, match_type: str | None = None,
                          searched: str = "<D:displayname/><C:calendar-user-address-set/>") -> str:
    attr = f' match-type="{match_type}"' if match_type else ""
    wanted = "".join(props) or "<D:displayname/><C:calendar-home-set/><C:calendar-user-address-set/>"
    return (f'<?xml version="1.0" encoding="utf-8"?><D:principal-property-search {NS} test="anyof">'
            f"<D:property-search><D:prop>{searched}</D:prop><D:match{attr}>{needle}</D:match>"
            f"</D:property-search><D:prop>{wanted}</D:prop><D:apply-to-principal-collection-set/>"
            "</D:principal-property-search>")


FREE_BUSY_QUERY = (f'<?xml version="1.0" encoding="utf-8"?><C:free-busy-query {NS}>'
                   '<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:free-busy-query>')


class As:
    """Raw requests as one of the session's users."""

    def __init__(self, server, name: str):
        self.server = server
        self.name = name

    def __call__(self, method: str, path: str, body: str | bytes | None = None, headers: dict | None = None):
        return self.server.request(method, path, body, headers, auth=self.server.auth_of(self.name))

    def propfind(self, path: str, *props: str, depth: str = "0") -> dict[str, Member]:
        return multistatus(self("PROPFIND", path, propfind_body(*props), {"Depth": depth, **XML}))

    def prop(self, path: str, prop: str) -> ET.Element | None:
        """One property of one resource (None when it is not there)."""
        tag = ET.fromstring(f"<x {NS}>{prop}</x>")[0].tag
        return self.propfind(path, prop)[path].props.get(tag)

    def post(self, path: str, body: str):
        return self("POST", path, body, XML)

    def etag(self, path: str) -> str | None:
        r = self("GET", path)
        assert r.status == 200, r
        return r.header("etag")


def ctag(who: As, path: str) -> str:
    el = who.prop(path, "<CS:getctag/>")
    assert el is not None and el.text, f"no getctag on {path}"
    return el.text


def calendar_paths(client) -> set[str]:
    """The collections python caldav lists as the user's calendars (principal.calendars())."""
    return {path_of(c.url) for c in client.principal().calendars()}


# ---------------------------------------------------------------------------
# alice's calendar for one test


@dataclass
class Shared:
    """A calendar of alice's for one test, with two events in it."""

    slug: str
    path: str  # /dav/calendars/alice/SLUG/
    uids: list[str]
    secret: str  # a word in every summary, which must never reach carol

    def binding(self, sharee: str) -> str:
        """Where a share of it appears in a sharee's home (OWNER-SLUG)."""
        return f"/dav/calendars/{sharee}/alice-{self.slug}/"

    def href(self, uid: str, under: str | None = None) -> str:
        return (under or self.path) + f"{uid}.ics"

    @property
    def cli_name(self) -> str:
        return f"alice/{self.slug}"


@pytest.fixture
def alice_cal(server, client_for):
    """A new calendar of alice's (python caldav MKCALENDAR) with two events PUT raw; its
    shares with bob and carol are taken back and it is deleted afterwards."""
    alice = As(server, "alice")
    slug = "s-" + uuid.uuid4().hex[:10]
    client_for("alice").principal().make_calendar(name=f"Shared {slug}", cal_id=slug)
    secret = "SECRET" + uuid.uuid4().hex[:8]
    shared = Shared(slug, f"/dav/calendars/alice/{slug}/", [], secret)
    for i in range(2):
        uid = f"{slug}-{i}"
        r = alice("PUT", shared.href(uid), event_ics(uid, f"{secret} meeting {i}", day=10 + i), ICS)
        assert r.status == 201, r
        shared.uids.append(uid)
    yield shared
    for who in ("bob", "carol"):
        server.cli("share", "remove", shared.cli_name, who, check=False)
    alice("DELETE", shared.path)


def calendar_state(who: As, shared: Shared) -> dict:
    """What alice's calendar holds as `who` reads it: its ctag, display name and every
    object's ETag and summary."""
    members = who.propfind(shared.path, "<D:getetag/>", depth="1")
    objects = {}
    for href in members:
        if href != shared.path:
            r = who("GET", href)
            objects[href] = (r.header("etag"), summary_of(r.body))
    name = who.prop(shared.path, "<D:displayname/>")
    return {"ctag": ctag(who, shared.path), "name": name.text if name is not None else None,
            "objects": objects}


def grant(server, shared: Shared, how: str, sharee: str, access: str) -> None:
    """alice shares `shared` with `sharee` (access read or read-write): with the CLI, with
    a CS:share POST (by mailto: address) or a DAV:share-resource POST (by principal URL)."""
    alice = As(server, "alice")
    if how == "cli":
        server.cli("share", "add", shared.cli_name, sharee, f"--{access}")
    elif how == "cs-share":
        r = alice.post(shared.path, share_body(f"mailto:{sharee}@example.org", access))
        assert r.status == 200, r
    elif how == "share-resource":
        r = alice.post(shared.path, share_resource_body(f"/dav/principals/{sharee}/", access))
        assert r.status == 200, r
    else:
        raise AssertionError(how)


def revoke(server, shared: Shared, how: str, sharee: str) -> None:
    alice = As(server, "alice")
    if how == "cli":
        server.cli("share", "remove", shared.cli_name, sharee)
    elif how == "cs-share":
        r = alice.post(shared.path, share_body(f"mailto:{sharee}@example.org", None))
        assert r.status == 200, r
    elif how == "share-resource":
        r = alice.post(shared.path, share_resource_body(f"/dav/principals/{sharee}/", "no-access"))
        assert r.status == 200, r
    else:
        raise AssertionError(how)


def assert_carol_sees_nothing(server, shared: Shared, *more: str) -> None:
    """The quick form of the isolation matrix below, for the middle of the other tests."""
    carol = As(server, "carol")
    paths = [shared.path, shared.href(shared.uids[0]), "/dav/calendars/alice/",
             shared.binding("bob"), shared.href(shared.uids[0], shared.binding("bob")), *more]
    for path in paths:
        for method, body in (("GET", None), ("PROPFIND", propfind_body("<D:displayname/>"))):
            r = carol(method, path, body, {"Depth": "1"})
            assert r.status == 404, f"carol {method} {path}: {r}"
            assert shared.secret not in r.text, f"carol {method} {path} leaked: {r}"
    assert not any(p.startswith("/dav/calendars/alice/") or "alice-" in p
                   for p in calendar_paths_raw(server, "carol")), "carol lists a calendar of alice's"


def calendar_paths_raw(server, name: str) -> set[str]:
    home = f"/dav/calendars/{name}/"
    return set(As(server, name).propfind(home, "<D:resourcetype/>", depth="1")) - {home}


# ---------------------------------------------------------------------------
# read-only


@pytest.mark.parametrize("how", ["cli", "cs-share"])
def test_a_read_only_share_is_read_and_synced_and_refuses_every_write(server, client_for, alice_cal, how):
    alice, bob = As(server, "alice"), As(server, "bob")
    binding = alice_cal.binding("bob")
    assert binding not in calendar_paths(client_for("bob"))
    grant(server, alice_cal, how, "bob", "read")
    before = calendar_state(alice, alice_cal)

    # python caldav lists it among bob's calendars, at its place in his home.
    bobs = client_for("bob")
    assert binding in calendar_paths(bobs), calendar_paths(bobs)
    assert alice_cal.path not in calendar_paths(bobs)
    home = bob.propfind("/dav/calendars/bob/", "<D:resourcetype/>", "<D:owner/>",
                        "<D:current-user-privilege-set/>", "<CS:shared-url/>", depth="1")
    copy = home[binding]
    assert {f"{{{CALDAV}}}calendar", f"{{{CS}}}shared"} <= children(copy.props[f"{{{DAV}}}resourcetype"])
    assert hrefs_in(copy.props[f"{{{DAV}}}owner"]) == ["/dav/principals/alice/"]
    assert hrefs_in(copy.props[f"{{{CS}}}shared-url"]) == [alice_cal.path]
    cups = children(copy.props[f"{{{DAV}}}current-user-privilege-set"])
    assert f"{{{DAV}}}read" in cups, cups
    assert not {f"{{{DAV}}}{p}" for p in ("write", "write-content", "write-properties", "bind", "all")} & cups, cups

    # He reads what alice has: same objects, same bytes, same ETags, same ctag.
    cal = bobs.calendar(url=binding)
    events = cal.events()
    assert sorted(str(e.icalendar_component["UID"]) for e in events) == sorted(alice_cal.uids)
    for uid in alice_cal.uids:
        his, hers = bob("GET", alice_cal.href(uid, binding)), alice("GET", alice_cal.href(uid))
        assert (his.status, his.body, his.header("etag")) == (200, hers.body, hers.header("etag"))
    assert ctag(bob, binding) == before["ctag"]

    # He syncs: python caldav's sync token, and a raw sync-collection, see alice's next event.
    synced = cal.objects_by_sync_token(load_objects=True)
    assert sorted(path_of(o.url) for o in synced) == sorted(alice_cal.href(u, binding) for u in alice_cal.uids)
    token = synced.sync_token
    new_uid = f"{alice_cal.slug}-later"
    r = alice("PUT", alice_cal.href(new_uid), event_ics(new_uid, f"{alice_cal.secret} later", day=20), ICS)
    assert r.status == 201, r
    updated, deleted = synced.sync()
    assert [path_of(o.url) for o in updated] == [alice_cal.href(new_uid, binding)], updated
    assert not deleted
    raw = multistatus(bob("REPORT", binding, sync_body(token), XML))
    assert list(raw) == [alice_cal.href(new_uid, binding)], raw
    before = calendar_state(alice, alice_cal)

    # Every write through python caldav: a 403 carrying need-privileges.
    with pytest.raises(error.DAVError) as e:
        cal.save_event(event_ics(f"{alice_cal.slug}-bob", "by bob"))
    assert_library_refused(e.value)
    mine = cal.event_by_uid(alice_cal.uids[0])
    mine.icalendar_component["SUMMARY"] = "changed by bob"
    with pytest.raises(error.DAVError) as e:
        mine.save()
    assert_library_refused(e.value)
    with pytest.raises(error.DAVError) as e:
        cal.event_by_uid(alice_cal.uids[1]).delete()
    assert_library_refused(e.value)
    with pytest.raises(error.DAVError) as e:
        bobs.calendar(url=alice_cal.path).set_properties([dav.DisplayName("bob's now")])
    assert_library_refused(e.value)

    # The same raw, each naming the privilege it lacks; at the binding and at alice's URL.
    first = alice_cal.uids[0]
    assert_need_privileges(bob("PUT", alice_cal.href(first, binding), event_ics(first, "x"), ICS), "write-content")
    assert_need_privileges(bob("PUT", binding + "new.ics", event_ics("new", "x"), ICS), "bind", href=binding)
    assert_need_privileges(bob("DELETE", alice_cal.href(first, binding)), "unbind")
    assert_need_privileges(bob("PUT", alice_cal.href(first), event_ics(first, "x"), ICS), "write-content")
    assert_need_privileges(bob("DELETE", alice_cal.href(first)), "unbind")
    assert_need_privileges(bob("DELETE", alice_cal.path), "unbind")
    owner_props = (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS}><D:set><D:prop>'
                   "<D:displayname>bob's now</D:displayname><C:calendar-description>x</C:calendar-description>"
                   "</D:prop></D:set></D:propertyupdate>")
    assert_need_privileges(bob("PROPPATCH", alice_cal.path, owner_props, XML), "write-properties")
    assert_need_privileges(bob("MKCOL", binding + "sub/"), "bind")
    assert_need_privileges(bob("MKCALENDAR", binding + "sub/"), "bind")
    assert_need_privileges(bob("MOVE", alice_cal.href(first, binding),
                               headers={"Destination": server.base + "/dav/calendars/bob/calendar/moved.ics"}),
                           "unbind")
    assert_need_privileges(bob.post(alice_cal.path, share_body("mailto:carol@example.org", "read")), "share")

    # Nothing changed for alice.
    assert calendar_state(alice, alice_cal) == before
    assert bob("GET", "/dav/calendars/bob/calendar/moved.ics").status == 404
    assert_carol_sees_nothing(server, alice_cal)

    # His own name for it is his alone (the binding's properties are his).
    r = bob("PROPPATCH", binding, owner_props, XML)
    assert r.status == 207 and "200" in r.text, r
    assert bob.prop(binding, "<D:displayname/>").text == "bob's now"
    assert calendar_state(alice, alice_cal) == before

    revoke(server, alice_cal, how, "bob")
    assert binding not in calendar_paths(client_for("bob"))


# ---------------------------------------------------------------------------
# read-write


@pytest.mark.parametrize("how", ["cli", "share-resource"])
def test_a_read_write_sharee_writes_and_the_owner_sees_it_as_his(server, client_for, alice_cal, how):
    alice, bob = As(server, "alice"), As(server, "bob")
    binding = alice_cal.binding("bob")
    grant(server, alice_cal, how, "bob", "read-write")
    cups = children(bob.prop(binding, "<D:current-user-privilege-set/>"))
    assert {f"{{{DAV}}}write-content", f"{{{DAV}}}bind", f"{{{DAV}}}unbind"} <= cups, cups
    alices_sync = client_for("alice").calendar(url=alice_cal.path).objects_by_sync_token(load_objects=True)
    ctag0 = ctag(alice, alice_cal.path)
    first, second = alice_cal.uids
    etag0 = alice.etag(alice_cal.href(first))

    # bob adds, edits and deletes through python caldav at his binding.
    cal = client_for("bob").calendar(url=binding)
    added_uid = f"{alice_cal.slug}-from-bob"
    added = cal.save_event(event_ics(added_uid, "added by bob", day=25))
    assert path_of(added.url).startswith(binding)
    edited = cal.event_by_uid(first)
    edited.icalendar_component["SUMMARY"] = "edited by bob"
    edited.save()
    cal.event_by_uid(second).delete()

    # alice sees each change: the new ETag, a new ctag, the new event under her own URL.
    r = alice("GET", alice_cal.href(first))
    assert r.status == 200 and summary_of(r.body) == "edited by bob", r
    assert r.header("etag") != etag0
    assert r.header("etag") == bob("GET", alice_cal.href(first, binding)).header("etag")
    assert alice("GET", alice_cal.href(second)).status == 404
    added_name = path_of(added.url).rsplit("/", 1)[1]
    r = alice("GET", alice_cal.path + added_name)
    assert r.status == 200 and summary_of(r.body) == "added by bob", r
    assert ctag(alice, alice_cal.path) != ctag0
    assert ctag(alice, alice_cal.path) == ctag(bob, binding)
    updated, deleted = alices_sync.sync()
    assert {path_of(o.url) for o in updated} == {alice_cal.href(first), alice_cal.path + added_name}
    assert {path_of(o.url) for o in deleted} == {alice_cal.href(second)}

    # The history names bob as the author of his three changes, alice of her two.
    listing = server.cli("history", "alice").stdout
    ours = [line for line in listing.splitlines() if alice_cal.slug in line]
    assert len(ours) >= 5, listing
    assert sum("bob" in line for line in ours) == 3, "\n".join(ours)
    entries = [json.loads(line) for line in server.cli("history", alice_cal.cli_name, "--json").stdout.splitlines()]
    authors = {}
    for entry in entries:
        authors.setdefault(entry["object"], []).append(entry["author"])
    assert authors[added_name] == ["bob"], entries
    assert sorted(authors[f"{first}.ics"]) == ["alice", "bob"], entries
    assert sorted(authors[f"{second}.ics"]) == ["alice", "bob"], entries

    # He may write, not share further.
    assert_need_privileges(bob.post(binding, share_body("mailto:carol@example.org", "read")), "share")
    assert_carol_sees_nothing(server, alice_cal)


# ---------------------------------------------------------------------------
# Apple Calendar's sharing flow (CLIENTS-multiuser.md §2a, APL)


APPLE_HOME_PROPS = ("<D:resourcetype/>", "<D:owner/>", "<D:current-user-privilege-set/>",
                    "<D:displayname/>", "<CS:getctag/>", "<CS:invite/>", "<CS:allowed-sharing-modes/>",
                    "<CS:shared-url/>", '<I:calendar-color xmlns:I="http://apple.com/ns/ical/"/>')


def invitees(el: ET.Element | None) -> dict[str, tuple[set[str], set[str]]]:
    """CS:invite as {href: (its status elements, its access elements)}."""
    out = {}
    for user in ([] if el is None else el.findall(f"{{{CS}}}user")):
        href = hrefs_in(user)[0]
        status = {c.tag for c in user if c.tag.startswith(f"{{{CS}}}invite-")}
        access = children(user.find(f"{{{CS}}}access"))
        out[href] = (status, access)
    return out


def test_apple_calendar_shares_from_get_info_and_the_sharee_sees_it_in_his_home(server, alice_cal):
    alice, bob = As(server, "alice"), As(server, "bob")
    binding = alice_cal.binding("bob")
    # Apple looks for the sharing and proxy tokens on OPTIONS (any URL of hers) and for POST.
    for path in (alice_cal.path, "/dav/calendars/alice/", "/dav/principals/alice/"):
        r = alice("OPTIONS", path)
        tokens = {t.strip() for t in (r.header("dav") or "").split(",")}
        assert {"access-control", "calendar-access", "calendarserver-sharing", "calendar-proxy"} <= tokens, r
    assert "POST" in (alice("OPTIONS", alice_cal.path).header("allow") or ""), r

    # Its Depth 1 PROPFIND of the home: the calendar can be shared, and is not yet.
    home = alice.propfind("/dav/calendars/alice/", *APPLE_HOME_PROPS, depth="1")[alice_cal.path].props
    assert f"{{{CS}}}can-be-shared" in children(home[f"{{{CS}}}allowed-sharing-modes"])
    assert f"{{{CS}}}shared-owner" not in children(home[f"{{{DAV}}}resourcetype"])
    assert invitees(home.get(f"{{{CS}}}invite")) == {}

    # Get Info ▸ Share: one POST naming bob by address, and someone this server does not know
    # (skipped, as CalendarServer marks it invite-invalid; the others are still shared with).
    body = (f'<?xml version="1.0" encoding="utf-8"?><CS:share {NS}>'
            "<CS:set><D:href>mailto:bob@example.org</D:href><CS:common-name>Bob</CS:common-name>"
            "<CS:summary>Plans</CS:summary><CS:read-write/></CS:set>"
            "<CS:set><D:href>mailto:stranger@elsewhere.example</D:href><CS:read/></CS:set>"
            "</CS:share>")
    r = alice.post(alice_cal.path, body)
    assert r.status == 200, r
    home = alice.propfind("/dav/calendars/alice/", *APPLE_HOME_PROPS, depth="1")[alice_cal.path].props
    assert f"{{{CS}}}shared-owner" in children(home[f"{{{DAV}}}resourcetype"])
    invited = invitees(home.get(f"{{{CS}}}invite"))
    bobs_entry = [v for k, v in invited.items() if k in ("mailto:bob@example.org", "/dav/principals/bob/")]
    assert len(bobs_entry) == 1, invited
    status, access = bobs_entry[0]
    assert status == {f"{{{CS}}}invite-accepted"} and access == {f"{{{CS}}}read-write"}, invited
    assert not any("stranger" in k and f"{{{CS}}}invite-accepted" in v[0] for k, v in invited.items()), invited

    # bob's Apple Calendar: the share is a calendar of his home, marked CS:shared, with its
    # owner, the URL it is shared from and a privilege set that lets him write.
    mine = bob.propfind("/dav/calendars/bob/", *APPLE_HOME_PROPS, depth="1")
    copy = mine[binding].props
    assert {f"{{{DAV}}}collection", f"{{{CALDAV}}}calendar", f"{{{CS}}}shared"} <= \
        children(copy[f"{{{DAV}}}resourcetype"])
    assert f"{{{CS}}}shared-owner" not in children(copy[f"{{{DAV}}}resourcetype"])
    assert hrefs_in(copy[f"{{{DAV}}}owner"]) == ["/dav/principals/alice/"]
    assert hrefs_in(copy[f"{{{CS}}}shared-url"]) == [alice_cal.path]
    assert {f"{{{DAV}}}write-content", f"{{{DAV}}}bind"} <= children(copy[f"{{{DAV}}}current-user-privilege-set"])
    assert copy[f"{{{CS}}}getctag"].text == ctag(alice, alice_cal.path)
    # At startup it PROPPATCHes colour and order: his own, not alice's.
    apple = 'xmlns:I="http://apple.com/ns/ical/"'
    colour = (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate {NS} {apple}><D:set><D:prop>'
              "<I:calendar-color>#FF2968FF</I:calendar-color><I:calendar-order>3</I:calendar-order>"
              "</D:prop></D:set></D:propertyupdate>")
    r = bob("PROPPATCH", binding, colour, XML)
    assert r.status == 207 and "HTTP/1.1 200" in r.text and "HTTP/1.1 4" not in r.text, r
    colour_tag = "{http://apple.com/ns/ical/}calendar-color"
    assert bob.propfind(binding, *APPLE_HOME_PROPS)[binding].props[colour_tag].text == "#FF2968FF"
    hers = alice.propfind(alice_cal.path, *APPLE_HOME_PROPS)[alice_cal.path].props.get(colour_tag)
    assert hers is None or hers.text != "#FF2968FF", ET.tostring(hers)

    # The sharee removes it from his home: gone for him, alice's calendar untouched.
    assert bob("DELETE", binding).status in (200, 204)
    assert binding not in bob.propfind("/dav/calendars/bob/", "<D:resourcetype/>", depth="1")
    still = set(alice.propfind(alice_cal.path, "<D:getetag/>", depth="1"))
    assert {alice_cal.href(u) for u in alice_cal.uids} <= still
    # ... and alice unshares with CS:remove: no sharee, no shared-owner.
    r = alice.post(alice_cal.path, share_body("mailto:bob@example.org", None))
    assert r.status == 200, r
    home = alice.propfind("/dav/calendars/alice/", *APPLE_HOME_PROPS, depth="1")[alice_cal.path].props
    assert f"{{{CS}}}shared-owner" not in children(home[f"{{{DAV}}}resourcetype"])
    assert not any("bob" in k for k in invitees(home.get(f"{{{CS}}}invite"))), ET.tostring(home[f"{{{CS}}}invite"])
    assert bob("GET", alice_cal.href(alice_cal.uids[0])).status == 404
    assert_carol_sees_nothing(server, alice_cal)


# ---------------------------------------------------------------------------
# revocation


@pytest.mark.parametrize("how", ["cli", "cs-share", "share-resource"])
def test_a_revoked_share_is_gone_at_once(server, client_for, alice_cal, how):
    bob = As(server, "bob")
    binding = alice_cal.binding("bob")
    grant(server, alice_cal, how, "bob", "read-write")
    cal = client_for("bob").calendar(url=binding)
    synced = cal.objects_by_sync_token(load_objects=True)
    assert len(synced.objects) == 2
    obj = alice_cal.href(alice_cal.uids[0], binding)
    assert bob("GET", obj).status == 200

    revoke(server, alice_cal, how, "bob")

    # The very next request fails, whatever it is, as if the calendar had never been there:
    # at alice's URLs 404; in bob's own home exactly what a calendar he never had answers
    # (404, and for a PUT 409, RFC 4918 §9.7.1: its parent collection is not there).
    assert binding not in calendar_paths(client_for("bob"))
    assert binding not in calendar_paths_raw(server, "bob")
    never = "/dav/calendars/bob/never-shared/"
    first = alice_cal.uids[0]
    for method, path, body in [
        ("GET", obj, None),
        ("GET", binding, None),
        ("PROPFIND", binding, propfind_body("<D:displayname/>")),
        ("REPORT", binding, sync_body(synced.sync_token)),
        ("PUT", obj, event_ics(first, "after revoke")),
        ("PUT", binding + "late.ics", event_ics("late", "after revoke")),
        ("DELETE", obj, None),
        ("PROPPATCH", binding, f'<D:propertyupdate {NS}><D:set><D:prop><D:displayname>late'
                               "</D:displayname></D:prop></D:set></D:propertyupdate>"),
        ("GET", alice_cal.href(first), None),
        ("PUT", alice_cal.href(first), event_ics(first, "after revoke")),
        ("DELETE", alice_cal.href(first), None),
        ("PROPFIND", alice_cal.path, propfind_body("<D:displayname/>")),
    ]:
        headers = {"Depth": "1", **(ICS if method == "PUT" else XML)}
        r = bob(method, path, body, headers)
        if path.startswith(binding):
            absent = bob(method, never + path[len(binding):], body, headers)
            assert r.status == absent.status and r.status in (404, 409), \
                f"bob {method} {path} after the revoke: {r}, never shared: {absent}"
        else:
            assert r.status == 404, f"bob {method} {path} after the revoke: {r}"
        assert alice_cal.secret not in r.text
    with pytest.raises(error.DAVError):
        synced.sync()
    # Nothing he tried reached her calendar.
    alice = As(server, "alice")
    r = alice("GET", alice_cal.href(first))
    assert r.status == 200 and alice_cal.secret in summary_of(r.body), r
    assert set(alice.propfind(alice_cal.path, "<D:getetag/>", depth="1")) == \
        {alice_cal.path, *(alice_cal.href(u) for u in alice_cal.uids)}


# ---------------------------------------------------------------------------
# the third user


METHODS_WITH_BODIES = [
    ("GET", None, {}),
    ("HEAD", None, {}),
    ("PROPFIND", propfind_body("<D:displayname/>", "<D:getetag/>"), {"Depth": "0"}),
    ("PROPFIND", propfind_body("<D:displayname/>", "<D:getetag/>"), {"Depth": "1"}),
    ("PROPFIND", None, {"Depth": "infinity"}),
    ("PROPPATCH", f'<D:propertyupdate {NS}><D:set><D:prop><D:displayname>carol</D:displayname>'
                  "</D:prop></D:set></D:propertyupdate>", {}),
    ("PUT", event_ics("carol-1", "carol was here"), ICS),
    ("DELETE", None, {}),
    ("MKCOL", None, {}),
    ("MKCALENDAR", None, {}),
    ("COPY", None, {"Destination": "/dav/calendars/carol/calendar/copied.ics"}),
    ("MOVE", None, {"Destination": "/dav/calendars/carol/calendar/moved.ics"}),
    ("REPORT", f'<C:calendar-query {NS}><D:prop><D:getetag/><C:calendar-data/></D:prop>'
               '<C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>', {"Depth": "1"}),
    ("REPORT", sync_body(""), {}),
    ("REPORT", FREE_BUSY_QUERY, {"Depth": "1"}),
    ("REPORT", f'<D:expand-property {NS}><D:property name="group-member-set"/></D:expand-property>', {}),
    ("POST", share_body("mailto:carol@example.org", "read-write"), XML),
    ("POST", share_resource_body("/dav/principals/carol/", "read-write"), XML),
    ("LOCK", f'<D:lockinfo {NS}><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/>'
             "</D:locktype></D:lockinfo>", XML),
    ("ACL", None, XML),
]


def test_a_third_user_finds_nothing_of_anyone_elses(server, client_for, alice_cal):
    """carol, with alice's calendar shared read-write with bob, bob a write delegate of alice
    and both in a group: every method on every URL of theirs is 404, exactly as on a URL
    that names nothing, and no answer holds anything of theirs."""
    alice, carol = As(server, "alice"), As(server, "carol")
    grant(server, alice_cal, "cli", "bob", "read-write")
    r = alice("PROPPATCH", "/dav/principals/alice/calendar-proxy-write/",
              set_members_body("/dav/principals/bob/"), XML)
    assert r.status == 207 and "200" in r.text, r
    group = "g-" + alice_cal.slug
    server.cli("group", "add", group, "--display-name", f"Team {alice_cal.secret}")
    server.cli("group", "member", "add", group, "alice")
    server.cli("group", "member", "add", group, "bob")
    before = calendar_state(alice, alice_cal)
    binding = alice_cal.binding("bob")
    first = alice_cal.uids[0]
    try:
        targets = [
            alice_cal.path, alice_cal.href(first), "/dav/calendars/alice/",
            "/dav/calendars/alice/calendar/", binding, alice_cal.href(first, binding),
            "/dav/calendars/bob/", "/dav/calendars/bob/calendar/",
            "/dav/principals/alice/", "/dav/principals/bob/",
            "/dav/principals/alice/calendar-proxy-write/", "/dav/principals/alice/calendar-proxy-read/",
            f"/dav/groups/{group}/",
        ]
        # The answer for what does not exist at all, to compare with.
        absent = ["/dav/calendars/nobody/", "/dav/calendars/nobody/calendar/x.ics",
                  "/dav/principals/nobody/", "/dav/groups/nobody/"]
        for method, body, headers in METHODS_WITH_BODIES:
            expected = {carol(method, p, body, headers).status for p in absent}
            assert expected == {404}, f"{method} on absent paths: {expected}"
            for path in targets:
                r = carol(method, path, body, headers)
                assert r.status == 404, f"carol {method} {path}: {r}"
                for word in (alice_cal.secret, "alice@example.org", "Bob Cratchit", "Alice Liddell"):
                    assert word not in r.text, f"carol {method} {path} leaked {word}: {r}"

        # OPTIONS answers the same for what exists and what does not.
        opt = carol("OPTIONS", alice_cal.path)
        none = carol("OPTIONS", "/dav/calendars/nobody/calendar/")
        assert (opt.status, opt.header("dav"), opt.header("allow")) == \
            (none.status, none.header("dav"), none.header("allow"))

        # A write aimed at their calendars from carol's own: a destination that is not there.
        mine = "/dav/calendars/carol/calendar/carols.ics"
        assert carol("PUT", mine, event_ics("carols", "carol's own"), ICS).status == 201
        for method in ("COPY", "MOVE"):
            into_theirs = carol(method, mine, headers={"Destination": server.base + alice_cal.href("stolen")})
            nowhere = server.base + "/dav/calendars/nobody/calendar/x.ics"
            into_nothing = carol(method, mine, headers={"Destination": nowhere})
            assert into_theirs.status == into_nothing.status and into_theirs.status in (403, 404, 409), \
                (into_theirs, into_nothing)
        carol("DELETE", mine)

        # python caldav as carol: her calendars are her own, her searches find herself.
        carols = client_for("carol")
        assert calendar_paths(carols) == {"/dav/calendars/carol/calendar/"}
        found = {path_of(p.url) for p in carols.search_principals()}
        assert found == {"/dav/principals/carol/"}, found
        assert carols.search_principals(name="Alice") == []
        assert carols.search_principals(name="Team") == []
        for needle in ("alice@example.org", "Cratchit", alice_cal.secret):
            r = carol("REPORT", "/dav/calendars/carol/calendar/", principal_search_body(needle), {"Depth": "0", **XML})
            assert multistatus(r) == {}, f"carol's search for {needle}: {r}"
        listing = carol("PROPFIND", "/dav/principals/", propfind_body("<D:displayname/>"), {"Depth": "1", **XML})
        assert listing.status in (207, 403, 404)
        for word in ("/dav/principals/alice/", "/dav/principals/bob/", group):
            assert word not in listing.text, f"the principal listing shows carol {word}: {listing}"
        homes = carol("PROPFIND", "/dav/calendars/", propfind_body("<D:displayname/>"), {"Depth": "1", **XML})
        for word in ("/dav/calendars/alice/", "/dav/calendars/bob/"):
            assert word not in homes.text, f"the home listing shows carol {word}: {homes}"

        # Nothing of alice's changed, nothing was added to carol's.
        assert calendar_state(alice, alice_cal) == before
        # Her calendar and her scheduling inbox and outbox (docs/scheduling.md).
        assert calendar_paths_raw(server, "carol") == {
            "/dav/calendars/carol/calendar/",
            "/dav/calendars/carol/inbox/",
            "/dav/calendars/carol/outbox/",
        }
        assert list(carol.propfind("/dav/calendars/carol/calendar/", "<D:getetag/>", depth="1")) == \
            ["/dav/calendars/carol/calendar/"]
    finally:
        alice("PROPPATCH", "/dav/principals/alice/calendar-proxy-write/", set_members_body(), XML)
        server.cli("group", "remove", group)


# ---------------------------------------------------------------------------
# delegation


def test_a_delegate_finds_the_delegator_and_writes_at_her_urls(server, client_for, alice_cal):
    alice, bob = As(server, "alice"), As(server, "bob")
    write_proxy = "/dav/principals/alice/calendar-proxy-write/"
    read_proxy = "/dav/principals/alice/calendar-proxy-read/"
    discovery = ("<C:calendar-home-set/>", "<CS:calendar-proxy-read-for/>", "<CS:calendar-proxy-write-for/>",
                 "<D:group-membership/>", "<D:displayname/>", "<D:resourcetype/>")
    try:
        # Apple's delegation pane: PROPPATCH the proxy principal's group-member-set.
        r = alice("PROPPATCH", write_proxy, set_members_body("/dav/principals/bob/"), XML)
        assert r.status == 207 and "HTTP/1.1 200" in r.text, r
        members = alice.propfind(write_proxy, "<D:group-member-set/>", "<D:resourcetype/>")[write_proxy]
        assert hrefs_in(members.props[f"{{{DAV}}}group-member-set"]) == ["/dav/principals/bob/"]
        assert f"{{{CS}}}calendar-proxy-write" in children(members.props[f"{{{DAV}}}resourcetype"])
        assert "bob" in server.cli("delegate", "list", "alice").stdout
        # ... and reads it back with expand-property, as the pane lists delegates by name.
        pane = (f'<?xml version="1.0" encoding="utf-8"?><D:expand-property {NS}>'
                '<D:property name="group-member-set"><D:property name="displayname"/>'
                f'<D:property name="calendar-user-address-set" namespace="{CALDAV}"/>'
                "</D:property></D:expand-property>")
        for proxy, names in ((write_proxy, {"Bob Cratchit"}), (read_proxy, set())):
            r = alice("REPORT", proxy, pane, {"Depth": "0", **XML})
            assert r.status == 207, r
            member_set = ET.fromstring(r.body).find(f".//{{{DAV}}}group-member-set")
            assert member_set is not None, r
            listed = {d.text for d in member_set.iter(f"{{{DAV}}}displayname")}
            assert listed == names, r
            if names:
                assert "mailto:bob@example.org" in hrefs_in(member_set), r

        # DAVx5's discovery on bob's own principal.
        mine = bob.propfind("/dav/principals/bob/", *discovery)["/dav/principals/bob/"].props
        assert hrefs_in(mine[f"{{{CS}}}calendar-proxy-write-for"]) == ["/dav/principals/alice/"]
        assert hrefs_in(mine.get(f"{{{CS}}}calendar-proxy-read-for")) == []
        assert write_proxy in hrefs_in(mine[f"{{{DAV}}}group-membership"])
        # ... then a PROPFIND of each delegator for her calendar-home-set.
        hers = bob.propfind("/dav/principals/alice/", "<C:calendar-home-set/>", "<D:displayname/>")
        her_home = hers["/dav/principals/alice/"].props[f"{{{CALDAV}}}calendar-home-set"]
        assert hrefs_in(her_home) == ["/dav/calendars/alice/"]
        # Apple's startup expand-property resolves the delegators' names and addresses.
        expand = (f'<?xml version="1.0" encoding="utf-8"?><D:expand-property {NS}>'
                  f'<D:property name="calendar-proxy-write-for" namespace="{CS}">'
                  '<D:property name="displayname"/>'
                  f'<D:property name="calendar-user-address-set" namespace="{CALDAV}"/>'
                  f'<D:property name="email-address-set" namespace="{CS}"/>'
                  "</D:property></D:expand-property>")
        r = bob("REPORT", "/dav/principals/bob/", expand, {"Depth": "0", **XML})
        assert r.status == 207 and "mailto:alice@example.org" in r.text and "Alice Liddell" in r.text, r

        # python caldav, given the delegator's principal, lists and writes her calendars.
        bobs = client_for("bob")
        delegator = caldav.Principal(client=bobs, url=server.base + "/dav/principals/alice/")
        listed = {path_of(c.url) for c in delegator.calendars()}
        assert {alice_cal.path, "/dav/calendars/alice/calendar/"} <= listed, listed
        cal = bobs.calendar(url=alice_cal.path)
        assert len(cal.events()) == 2
        uid = f"{alice_cal.slug}-delegate"
        saved = cal.save_event(event_ics(uid, "booked by bob", day=27))
        r = alice("GET", path_of(saved.url))
        assert r.status == 200 and summary_of(r.body) == "booked by bob", r
        cups = children(bob.prop(alice_cal.path, "<D:current-user-privilege-set/>"))
        assert f"{{{DAV}}}write-content" in cups, cups
        history = [json.loads(x) for x in server.cli("history", alice_cal.cli_name, "--json").stdout.splitlines()]
        assert [e["author"] for e in history if e["object"] == path_of(saved.url).rsplit("/", 1)[1]] == ["bob"]
        assert_carol_sees_nothing(server, alice_cal)

        # A read delegate reads and cannot write; the CUPS says so (DAVx5 decides by it).
        r = alice("PROPPATCH", write_proxy, set_members_body(), XML)
        assert r.status == 207 and "HTTP/1.1 200" in r.text, r
        r = alice("PROPPATCH", read_proxy, set_members_body("mailto:bob@example.org"), XML)
        assert r.status == 207 and "HTTP/1.1 200" in r.text, r
        mine = bob.propfind("/dav/principals/bob/", *discovery)["/dav/principals/bob/"].props
        assert hrefs_in(mine[f"{{{CS}}}calendar-proxy-read-for"]) == ["/dav/principals/alice/"]
        assert hrefs_in(mine.get(f"{{{CS}}}calendar-proxy-write-for")) == []
        assert len(cal.events()) == 3
        cups = children(bob.prop(alice_cal.path, "<D:current-user-privilege-set/>"))
        assert f"{{{DAV}}}read" in cups and f"{{{DAV}}}write-content" not in cups, cups
        with pytest.raises(error.DAVError) as e:
            cal.save_event(event_ics(f"{uid}-2", "not by bob"))
        assert_library_refused(e.value)
        assert_need_privileges(bob("DELETE", path_of(saved.url)), "unbind")
        # Only alice names her delegates.
        assert_need_privileges(bob("PROPPATCH", write_proxy, set_members_body("/dav/principals/bob/"), XML),
                               "write-acl")
    finally:
        alice("PROPPATCH", write_proxy, set_members_body(), XML)
        alice("PROPPATCH", read_proxy, set_members_body(), XML)

    # Taken out, he reaches nothing of hers.
    assert bob("GET", alice_cal.href(alice_cal.uids[0])).status == 404
    mine = bob.propfind("/dav/principals/bob/", *discovery)["/dav/principals/bob/"].props
    assert hrefs_in(mine.get(f"{{{CS}}}calendar-proxy-read-for")) == []


# ---------------------------------------------------------------------------
# free-busy only


def busy_periods(text: str) -> set[str]:
    """START/END of every busy period of a VFREEBUSY (one FREEBUSY line may hold several)."""
    unfolded = text.replace("\r\n ", "").replace("\n ", "")
    out = set()
    for line in unfolded.splitlines():
        if line.startswith("FREEBUSY"):
            out.update(line.split(":", 1)[1].split(","))
    return out


def test_free_busy_alone_answers_busy_time_and_refuses_every_other_read(server, client_for, alice_cal):
    carol = As(server, "carol")
    server.cli("share", "add", "alice/*", "carol", "--free-busy")
    try:
        carols = client_for("carol")
        start, end = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)
        # python caldav's free/busy request (a free-busy-query REPORT), on the calendar and on
        # another of alice's (the grant is on her whole home): busy times, nothing else.
        for path, busy in ((alice_cal.path, {"20260310T090000Z/20260310T100000Z",
                                              "20260311T090000Z/20260311T100000Z"}),
                           ("/dav/calendars/alice/calendar/", set())):
            text = carols.calendar(url=path).freebusy_request(start, end).data
            assert "BEGIN:VFREEBUSY" in text, text
            assert busy_periods(text) == busy, text
            assert alice_cal.secret not in text and alice_cal.slug not in text, text
            assert "SUMMARY" not in text and "VEVENT" not in text, text

        # Every other read is refused, and names what it lacks.
        first = alice_cal.href(alice_cal.uids[0])
        assert_need_privileges(carol("GET", first), "read")
        assert_need_privileges(carol("PROPFIND", alice_cal.path, propfind_body("<D:displayname/>"),
                                     {"Depth": "0", **XML}), "read")
        assert_need_privileges(carol("REPORT", alice_cal.path, sync_body(""), XML), "read")
        with pytest.raises(error.DAVError) as e:
            carols.calendar(url=alice_cal.path).events()
        assert isinstance(e.value, error.AuthorizationError) and e.value.status == 403, repr(e.value)
        assert_need_privileges(carol("PUT", alice_cal.href("carol"), event_ics("carol", "x"), ICS), "bind")
        for r in (carol("GET", first), carol("REPORT", alice_cal.path, sync_body(""), XML)):
            assert alice_cal.secret not in r.text
        # No binding: a free-busy grant is nothing to list among carol's calendars.
        assert calendar_paths(carols) == {"/dav/calendars/carol/calendar/"}
        assert "free-busy" in server.cli("share", "list", "alice").stdout
    finally:
        server.cli("share", "remove", "alice/*", "carol")
    assert carol("REPORT", alice_cal.path, FREE_BUSY_QUERY, {"Depth": "1", **XML}).status == 404


# ---------------------------------------------------------------------------
# principal search (default privacy setting: "groups")


def test_principal_search_finds_oneself_and_those_one_shares_with(server, client_for, alice_cal):
    bob = As(server, "bob")
    bobs = client_for("bob")
    # Before anything is shared, bob finds himself alone (and by his name).
    assert {path_of(p.url) for p in bobs.search_principals()} == {"/dav/principals/bob/"}
    me = bobs.search_principals(name="Bob Cratchit")
    assert [(path_of(p.url), path_of(p.calendar_home_set.url)) for p in me] == \
        [("/dav/principals/bob/", "/dav/calendars/bob/")]
    assert bobs.search_principals(name="Alice") == []

    grant(server, alice_cal, "cs-share", "bob", "read")
    found = {path_of(p.url) for p in bobs.search_principals()}
    assert found == {"/dav/principals/bob/", "/dav/principals/alice/"}, found
    assert [path_of(p.url) for p in bobs.search_principals(name="alice")] == ["/dav/principals/alice/"]

    # Evolution: a bare address, Depth 0, to a calendar URL; exactly one principal.
    r = bob("REPORT", alice_cal.binding("bob"), principal_search_body("alice@example.org",
            searched="<C:calendar-user-address-set/>"), {"Depth": "0", **XML})
    hits = multistatus(r)
    assert list(hits) == ["/dav/principals/alice/"], r
    addresses = hits["/dav/principals/alice/"].props[f"{{{CALDAV}}}calendar-user-address-set"]
    assert "mailto:alice@example.org" in hrefs_in(addresses)
    # Outlook CalDav Synchronizer: match-type="equals" on displayname, to the principal URL.
    r = bob("REPORT", "/dav/principals/bob/", principal_search_body("Alice Liddell", "<D:displayname/>",
            "<C:calendar-user-type/>", match_type="equals", searched="<D:displayname/>"), {"Depth": "0", **XML})
    assert list(multistatus(r)) == ["/dav/principals/alice/"], r
    r = bob("REPORT", "/dav/principals/", principal_search_body("Alice", match_type="equals",
            searched="<D:displayname/>"), {"Depth": "0", **XML})
    assert multistatus(r) == {}, r
    # Apple: what is searchable.
    r = bob("REPORT", "/dav/principals/", f'<D:principal-search-property-set {NS}/>', {"Depth": "0", **XML})
    assert r.status == 200, r
    searchable = {c.tag for c in ET.fromstring(r.body).iter() if c.tag.startswith("{") and "prop" not in c.tag}
    assert {f"{{{DAV}}}displayname", f"{{{CALDAV}}}calendar-user-address-set", f"{{{CS}}}email-address-set"} \
        <= searchable, r

    # carol, whom nobody shares with, is found by nobody but herself.
    assert bobs.search_principals(name="Carol") == []
    r = bob("REPORT", "/dav/principals/", principal_search_body("carol@example.org"), {"Depth": "0", **XML})
    assert multistatus(r) == {}, r
    assert bob("PROPFIND", "/dav/principals/carol/", propfind_body("<D:displayname/>"), {"Depth": "0"}).status == 404
    # alice finds bob, whom she shares with.
    assert [path_of(p.url) for p in client_for("alice").search_principals(name="Cratchit")] == ["/dav/principals/bob/"]


def test_a_group_share_reaches_members_and_search_still_works(server, client_for, alice_cal):
    """A share with @GROUP: members see it in their homes; their searches list the group
    principal too, and python caldav's search must still parse the answer."""
    bob = As(server, "bob")
    group = "g-" + alice_cal.slug
    server.cli("group", "add", group, "--display-name", "The Team")
    try:
        server.cli("group", "member", "add", group, "bob")
        server.cli("share", "add", alice_cal.cli_name, f"@{group}", "--read")
        bobs = client_for("bob")
        assert alice_cal.binding("bob") in calendar_paths(bobs)
        member = bob.propfind("/dav/principals/bob/", "<D:group-membership/>")["/dav/principals/bob/"]
        assert f"/dav/groups/{group}/" in hrefs_in(member.props[f"{{{DAV}}}group-membership"])
        found = {path_of(p.url) for p in bobs.search_principals()}
        assert {"/dav/principals/bob/", "/dav/principals/alice/"} <= found, found
        assert_carol_sees_nothing(server, alice_cal, f"/dav/groups/{group}/")
        server.cli("group", "member", "remove", group, "bob")
        assert alice_cal.binding("bob") not in calendar_paths(bobs)
        assert bob("GET", alice_cal.href(alice_cal.uids[0])).status == 404
    finally:
        server.cli("group", "remove", group)
