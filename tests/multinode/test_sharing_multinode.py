"""Sharing and delegation across nodes (see conftest.py): a grant made through one node is in
force on every other node with the very next request, and so is its revocation (issue 22:
"A revoked share disappears from the sharee's home and every request to it fails at once, on
every node"). No node may keep a decision of its own: every node is asked before and after
each change, so a node that remembered "no access" (or "access") would fail here.

ann shares, bob is shared with or delegated to, carol sees nothing on any node throughout.

Run: CALVAULT_TEST_POSTGRES=postgres://... python3 -m pytest -q -p no:cacheprovider tests/multinode
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from typing import TYPE_CHECKING

import caldav
from test_multinode import CALDAV, CS, DAV, ICS, UTC, XML, ics, make_calendar, new_uid, propfind, put, summary_of

if TYPE_CHECKING:  # the fixtures' classes, for annotations only
    from conftest import Endpoint, Resp



def share_body(sharee: str, access: str | None) -> str:
    """CalendarServer's CS:share as Apple sends it; CS:remove when `access` is None."""
    if access is None:
        inner = f"<CS:remove><D:href>{sharee}</D:href></CS:remove>"
    else:
        inner = f"<CS:set><D:href>{sharee}</D:href><CS:{access}/></CS:set>"
    return f'<?xml version="1.0" encoding="utf-8"?><CS:share xmlns:D="{DAV}" xmlns:CS="{CS}">{inner}</CS:share>'


def set_members_body(*hrefs: str) -> str:
    """PROPPATCH of group-member-set on a proxy principal (Apple's delegation pane)."""
    members = "".join(f"<D:href>{h}</D:href>" for h in hrefs)
    return (f'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="{DAV}"><D:set><D:prop>'
            f"<D:group-member-set>{members}</D:group-member-set></D:prop></D:set></D:propertyupdate>")


def need_privileges(r: Resp, privilege: str) -> bool:
    """Whether `r` is RFC 3744 §7.1.1's 403 naming `privilege`."""
    if r.status != 403:
        return False
    root = ET.fromstring(r.body)
    return root.find(f".//{{{DAV}}}need-privileges//{{{DAV}}}{privilege}") is not None


def home_members(ep: Endpoint, user: str) -> dict[str, set[str]]:
    """The collections of `user`'s calendar home as `ep` lists them, with their resourcetypes."""
    home = f"/dav/calendars/{user}/"
    body = (f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="{DAV}"><D:prop><D:resourcetype/>'
            "</D:prop></D:propfind>")
    r = ep.request("PROPFIND", home, body, XML | {"Depth": "1"}, user=user)
    assert r.status == 207, f"{user}'s home on {ep.name}: {r}"
    out = {}
    for resp in ET.fromstring(r.body).findall(f"{{{DAV}}}response"):
        href = resp.findtext(f"{{{DAV}}}href", "").strip()
        rt = resp.find(f".//{{{DAV}}}resourcetype")
        out[href] = set() if rt is None else {c.tag for c in rt}
    out.pop(home, None)
    return out


def bob_puts(ep: Endpoint, path: str, summary: str, start: datetime) -> Resp:
    """bob PUTs a new one-hour event at `path` through `ep`."""
    return ep.request("PUT", path, ics(new_uid("bob"), summary, start), ICS, user="bob")


def proxy_write_for(ep: Endpoint, user: str) -> Resp:
    """`user`'s PROPFIND of CS:calendar-proxy-write-for on their own principal (DAVx5)."""
    body = (f'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="{DAV}" xmlns:CS="{CS}">'
            "<D:prop><CS:calendar-proxy-write-for/></D:prop></D:propfind>")
    return ep.request("PROPFIND", f"/dav/principals/{user}/", body, XML | {"Depth": "0"}, user=user)


def assert_carol_sees_nothing(nodes: list[Endpoint], *paths: str) -> None:
    for node in nodes:
        for path in paths:
            for method in ("GET", "PROPFIND"):
                r = node.request(method, path, headers={"Depth": "0"}, user="carol")
                assert r.status == 404, f"carol {method} {path} on {node.name}: {r}"
        assert not any("ann" in href for href in home_members(node, "carol")), node.name


def test_a_share_granted_and_revoked_through_one_node_holds_on_the_others_at_once(cluster):
    nodes = cluster.nodes
    n1, n2, n3 = nodes
    cal = make_calendar(n1, "mn-shared")
    slug = cal.rstrip("/").rsplit("/", 1)[1]
    binding = f"/dav/calendars/bob/ann-{slug}/"
    event = f"{cal}e.ics"
    assert put(n1, event, ics(new_uid("shared"), "ann's plans", datetime(2026, 6, 1, 9, tzinfo=UTC))).status == 201

    # Every node is asked first, so that none could answer later from what it saw now.
    for node in nodes:
        assert node.request("GET", event, user="bob").status == 404, node.name
        assert binding not in home_members(node, "bob"), node.name
    assert_carol_sees_nothing(nodes, cal, event)

    # Read-only, granted through node 1: read on every node at once, written on none.
    r = n1.request("POST", cal, share_body("/dav/principals/bob/", "read"), XML)
    assert r.status == 200, r
    for node in nodes:
        got = node.request("GET", f"{binding}e.ics", user="bob")
        assert got.status == 200 and summary_of(got.body) == "ann's plans", f"{node.name}: {got}"
        assert node.request("GET", event, user="bob").status == 200, node.name
        assert {f"{{{CALDAV}}}calendar", f"{{{CS}}}shared"} <= home_members(node, "bob")[binding], node.name
        r = bob_puts(node, f"{binding}{node.name}.ics", "by bob", datetime(2026, 6, 2, 9, tzinfo=UTC))
        assert need_privileges(r, "bind"), f"{node.name}: {r}"
    assert_carol_sees_nothing(nodes, cal, event, binding)

    # Read-write, through node 2: bob writes through each node, ann sees it on another.
    r = n2.request("POST", cal, share_body("/dav/principals/bob/", "read-write"), XML)
    assert r.status == 200, r
    for i, node in enumerate(nodes):
        r = bob_puts(node, f"{binding}{node.name}.ics", f"by bob via {node.name}",
                     datetime(2026, 6, 3 + i, 9, tzinfo=UTC))
        assert r.status == 201, f"{node.name}: {r}"
        mirror = nodes[(i + 1) % 3]
        got = mirror.request("GET", f"{cal}{node.name}.ics")
        assert got.status == 200 and summary_of(got.body) == f"by bob via {node.name}", f"{mirror.name}: {got}"

    # python caldav through the balancer (every request to whichever node) lists it.
    with caldav.DAVClient(url=cluster.url, username="bob", password="bob-pw") as bobs:
        assert binding in {str(c.url).split(cluster.proxy.base, 1)[-1] for c in bobs.principal().calendars()}

    # Revoked through node 3: gone on every node with the next request.
    r = n3.request("POST", cal, share_body("/dav/principals/bob/", None), XML)
    assert r.status == 200, r
    for node in nodes:
        assert binding not in home_members(node, "bob"), node.name
        for path in (f"{binding}e.ics", event, cal):
            r = node.request("GET", path, user="bob")
            assert r.status == 404, f"bob GET {path} on {node.name} after the revoke: {r}"
        r = bob_puts(node, event, "too late", datetime(2026, 6, 9, 9, tzinfo=UTC))
        assert r.status == 404, f"{node.name}: {r}"
    with caldav.DAVClient(url=cluster.url, username="bob", password="bob-pw") as bobs:
        assert binding not in {str(c.url).split(cluster.proxy.base, 1)[-1] for c in bobs.principal().calendars()}
    assert summary_of(n2.request("GET", event).body) == "ann's plans"

    # The command line works on the database directly, while the nodes run: the same holds.
    r = cluster.cli("share", "add", f"ann/{slug}", "bob", "--read")
    assert r.returncode == 0, r.stdout + r.stderr
    for node in nodes:
        assert node.request("GET", event, user="bob").status == 200, node.name
    r = cluster.cli("share", "remove", f"ann/{slug}", "bob")
    assert r.returncode == 0, r.stdout + r.stderr
    for node in nodes:
        assert node.request("GET", event, user="bob").status == 404, node.name
    assert_carol_sees_nothing(nodes, cal, event, binding)


def test_a_delegation_set_through_one_node_holds_on_the_others_at_once(cluster):
    nodes = cluster.nodes
    n1, n2, n3 = nodes
    cal = make_calendar(n1, "mn-delegated")
    event = f"{cal}e.ics"
    assert put(n1, event, ics(new_uid("delegated"), "ann's day", datetime(2026, 7, 1, 9, tzinfo=UTC))).status == 201
    write_proxy = "/dav/principals/ann/calendar-proxy-write/"
    for node in nodes:
        assert node.request("GET", event, user="bob").status == 404, node.name

    # ann names bob her write delegate through node 2 (Apple's delegation pane).
    r = n2.request("PROPPATCH", write_proxy, set_members_body("/dav/principals/bob/"), XML)
    assert r.status == 207 and "HTTP/1.1 200" in r.text, r
    try:
        for i, node in enumerate(nodes):
            # DAVx5's discovery on his own principal, then a write at her URL.
            mine = proxy_write_for(node, "bob")
            assert mine.status == 207 and "/dav/principals/ann/" in mine.text, f"{node.name}: {mine}"
            r = bob_puts(node, f"{cal}bob-{node.name}.ics", f"booked via {node.name}",
                         datetime(2026, 7, 2 + i, 9, tzinfo=UTC))
            assert r.status == 201, f"{node.name}: {r}"
        assert set(propfind(n3, cal, [f"{{{DAV}}}getetag"])) >= {f"{cal}bob-{n.name}.ics" for n in nodes}
        assert_carol_sees_nothing(nodes, cal, event, write_proxy)
    finally:
        # ... and takes it back through node 3.
        r = n3.request("PROPPATCH", write_proxy, set_members_body(), XML)
        assert r.status == 207 and "HTTP/1.1 200" in r.text, r
    for node in nodes:
        assert node.request("GET", event, user="bob").status == 404, node.name
        r = bob_puts(node, f"{cal}late.ics", "too late", datetime(2026, 7, 9, 9, tzinfo=UTC))
        assert r.status == 404, f"{node.name}: {r}"
        mine = proxy_write_for(node, "bob")
        assert mine.status == 207 and "/dav/principals/ann/" not in mine.text, f"{node.name}: {mine}"
