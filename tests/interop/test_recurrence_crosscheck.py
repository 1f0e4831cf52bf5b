"""Cross-check of calvault's calendar-query time-range results against an
independent implementation: PyPI `recurring-ical-events` (on `icalendar`).

A seeded, deterministic corpus of single-UID calendar objects (recurring
events with EXDATE/RDATE/overrides, BYDAY ordinals, BYMONTHDAY, BYSETPOS,
INTERVAL, COUNT/UNTIL/unbounded; instances crossing the 2026 Europe/Berlin
and America/New_York DST transitions; all-day; floating; a made-up
"Custom/Zone" TZID carrying Berlin's rules; DURATION instead of DTEND;
VTODOs with DUE only, DTSTART only, both, DTSTART+DURATION, neither; and
objects placed exactly on window boundaries) plus the real-world files of
testdata/ics/ that hold one UID and no METHOD is PUT into a fresh calendar.
For ~30 UTC windows, the hrefs a Depth:1 calendar-query REPORT returns
(VCALENDAR > VEVENT|VTODO > time-range) must equal the objects that have
at least one instance in the window.

The calendar has no CALDAV:calendar-timezone, so the server reads floating
times and DATE values as UTC (RFC 4791 §9.9). recurring-ical-events reads
them in the time zone of the datetimes given to between(); the windows are
given in UTC, so both agree, and the library's naive results are read as
UTC here.

Where the library and RFC 4791 §9.9 differ (see RFC_NOTES below) the verdict
is computed from the RFC table by small explicit functions applied to the
instances that the library expanded; nothing else is loosened.

Run: python3 -m pytest -q tests/interop/test_recurrence_crosscheck.py
"""

from __future__ import annotations

import random
import re
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT / "testdata" / "ics"
SEED = 4791
UTC = timezone.utc
DAY = timedelta(days=1)

RFC_NOTES = """
Library vs RFC 4791 §9.9 / RFC 5545, each handled by an explicit function
below (rfc_vevent, rfc_vtodo, rfc_vtodo_without_dates, rfc_span, rfc_utc)
applied to the instances that the library expanded:
 1. VEVENT with DTEND equal to DTSTART: the RFC row for DTEND is
    (start < DTEND AND end > DTSTART), so a range starting exactly at that
    instant does not match; the library treats it as a point (start <= t <
    end) and does.
 2. VTODO: the library treats a to-do as the interval [DTSTART, DUE) (DUE =
    DTSTART+DURATION, DTSTART = DUE when only DUE is set, DUE = DTSTART
    when only DTSTART is set) and a to-do without both as matching every
    range. RFC 4791 has its own table: DUE only is (start < DUE AND end >=
    DUE); DTSTART+DURATION and DTSTART+DUE include the end instant; without
    DTSTART and DUE, CREATED/COMPLETED decide. For VTODOs the RFC table is
    always used.
 3. Instance ends: the library adds DURATION (and the DTSTART..DTEND
    length) in wall-clock time, so an instance spanning a DST change lasts
    an hour more or less than RFC 5545 §3.3.6/§3.8.5.3 say (hours, minutes
    and seconds are exact; only days and weeks are nominal).
 4. A local time skipped by a DST gap, in a zone icalendar builds from the
    VTIMEZONE (an unknown TZID such as Custom/Zone): the library gives it
    the offset after the gap, RFC 5545 §3.3.5 the offset before.
For VEVENTs the library's own between() verdict is used unless case 1 or a
differing instance time (3, 4) explains a difference; any other difference
between the library and the RFC functions fails the test.
"""

# --------------------------------------------------------------------------
# time zones
# --------------------------------------------------------------------------

VTZ_BERLIN_RULES = """BEGIN:DAYLIGHT
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
END:STANDARD"""

VTIMEZONES = {
    "Europe/Berlin": f"BEGIN:VTIMEZONE\nTZID:Europe/Berlin\n{VTZ_BERLIN_RULES}\nEND:VTIMEZONE",
    "Custom/Zone": f"BEGIN:VTIMEZONE\nTZID:Custom/Zone\n{VTZ_BERLIN_RULES}\nEND:VTIMEZONE",
    "America/New_York": """BEGIN:VTIMEZONE
TZID:America/New_York
BEGIN:DAYLIGHT
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
TZNAME:EDT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
TZNAME:EST
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
END:STANDARD
END:VTIMEZONE""",
}
ZONEINFO = {
    "Europe/Berlin": ZoneInfo("Europe/Berlin"),
    "Custom/Zone": ZoneInfo("Europe/Berlin"),
    "America/New_York": ZoneInfo("America/New_York"),
}
TZIDS = list(VTIMEZONES)

# kinds of DATE-TIME value: "utc", "float", "date", or a TZID
KINDS = ["utc", "float", "date"] + TZIDS


def val(kind: str, local: datetime) -> tuple[str, str]:
    """(parameters, value) of a date(-time) property; `local` is the naive
    wall-clock time (UTC for "utc", midnight for "date")."""
    if kind == "utc":
        return "", local.strftime("%Y%m%dT%H%M%SZ")
    if kind == "float":
        return "", local.strftime("%Y%m%dT%H%M%S")
    if kind == "date":
        return ";VALUE=DATE", local.strftime("%Y%m%d")
    return f";TZID={kind}", local.strftime("%Y%m%dT%H%M%S")


def prop(name: str, kind: str, *locals_: datetime) -> str:
    params = val(kind, locals_[0])[0]
    return f"{name}{params}:" + ",".join(val(kind, v)[1] for v in locals_)


def until_text(kind: str, local: datetime) -> str:
    """UNTIL: UTC when DTSTART has a TZID or is UTC, else like DTSTART
    (RFC 5545 §3.3.10)."""
    if kind in ZONEINFO:
        return local.replace(tzinfo=ZONEINFO[kind]).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return val(kind, local)[1]


def zulu(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(components: list[str]) -> str:
    body = "\n".join(components)
    zones = [VTIMEZONES[z] for z in TZIDS if f"TZID={z}" in body]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//calvault//recurrence crosscheck//EN"]
    text = "\n".join(lines + zones + [body, "END:VCALENDAR"])
    return "\r\n".join(text.split("\n")) + "\r\n"


def component(name: str, uid: str, lines: list[str]) -> str:
    return "\n".join(
        [f"BEGIN:{name}", f"UID:{uid}", "DTSTAMP:20260101T000000Z"] + lines + [f"END:{name}"]
    )


# --------------------------------------------------------------------------
# windows (UTC)
# --------------------------------------------------------------------------


def U(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


# DST transitions in 2026, in UTC
BERLIN_SPRING = U(2026, 3, 29, 1)
NY_SPRING = U(2026, 3, 8, 7)
BERLIN_FALL = U(2026, 10, 25, 1)
NY_FALL = U(2026, 11, 1, 6)

FIXED_WINDOWS: list[tuple[str, datetime, datetime]] = [
    ("day 2026-03-29 (Berlin spring)", U(2026, 3, 29), U(2026, 3, 30)),
    ("day 2026-03-08 (NY spring)", U(2026, 3, 8), U(2026, 3, 9)),
    ("week 2026-10-19 (Berlin fall)", U(2026, 10, 19), U(2026, 10, 26)),
    ("week 2026-10-26 (NY fall)", U(2026, 10, 26), U(2026, 11, 2)),
    ("month 2026-03", U(2026, 3, 1), U(2026, 4, 1)),
    ("month 2026-06", U(2026, 6, 1), U(2026, 7, 1)),
    ("month 2026-11", U(2026, 11, 1), U(2026, 12, 1)),
    ("year 2026", U(2026, 1, 1), U(2027, 1, 1)),
    ("hour ending at Berlin spring", BERLIN_SPRING - timedelta(hours=1), BERLIN_SPRING),
    ("hour starting at Berlin spring", BERLIN_SPRING, BERLIN_SPRING + timedelta(hours=1)),
    ("hour ending at NY spring", NY_SPRING - timedelta(hours=1), NY_SPRING),
    ("hour starting at NY spring", NY_SPRING, NY_SPRING + timedelta(hours=1)),
    ("hour ending at Berlin fall", BERLIN_FALL - timedelta(hours=1), BERLIN_FALL),
    ("hour starting at Berlin fall", BERLIN_FALL, BERLIN_FALL + timedelta(hours=1)),
    ("hour ending at NY fall", NY_FALL - timedelta(hours=1), NY_FALL),
    ("hour starting at NY fall", NY_FALL, NY_FALL + timedelta(hours=1)),
    ("minute 2026-05-12T09:59Z", U(2026, 5, 12, 9, 59), U(2026, 5, 12, 10)),
    ("month 2027-02", U(2027, 2, 1), U(2027, 3, 1)),
    ("leap days 2028-02-28..03-02", U(2028, 2, 28), U(2028, 3, 2)),
    # the years of the real-world files
    ("year 1997", U(1997, 1, 1), U(1998, 1, 1)),
    ("2004..2009", U(2004, 1, 1), U(2009, 1, 1)),
    ("year 2012", U(2012, 1, 1), U(2013, 1, 1)),
    ("summer 2014", U(2014, 6, 1), U(2014, 9, 1)),
    ("2016..2025", U(2016, 1, 1), U(2025, 1, 1)),
]
# windows whose boundaries get hand-placed objects (see edge_objects)
EDGE_WINDOWS = [
    "minute 2026-05-12T09:59Z",
    "hour starting at Berlin spring",
    "month 2026-06",
]

# --------------------------------------------------------------------------
# the generated corpus
# --------------------------------------------------------------------------

WD = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


@dataclass
class Obj:
    name: str  # resource name, NAME.ics
    text: str
    note: str
    real_world: bool = False
    cal: icalendar.Calendar | None = None
    comps: set = field(default_factory=set)
    cache: dict = field(default_factory=dict)  # per component name, see expected_verdict


def gen_rule(rng: random.Random) -> str:
    freq = rng.choice(["DAILY", "WEEKLY", "WEEKLY", "MONTHLY", "MONTHLY", "YEARLY"])
    parts = [f"FREQ={freq}"]
    if freq == "DAILY":
        iv = rng.choice([1, 1, 2, 3])
    elif freq == "WEEKLY":
        iv = rng.choice([1, 1, 2])
        days = sorted(rng.sample(range(7), rng.randint(1, 3)))
        parts.append("BYDAY=" + ",".join(WD[d] for d in days))
        if iv == 2 and rng.random() < 0.5:
            parts.append("WKST=SU")
    elif freq == "MONTHLY":
        iv = rng.choice([1, 1, 2])
        v = rng.randrange(5)
        if v == 0:
            parts.append(f"BYMONTHDAY={rng.choice([1, 10, 15, 28, 29, 30, 31, -1])}")
        elif v == 1:
            parts.append(f"BYDAY={rng.choice([1, 2, 3, 4, -1, -2])}{rng.choice(WD)}")
        elif v == 2:
            parts.append(f"BYDAY=MO,TU,WE,TH,FR;BYSETPOS={rng.choice([1, -1, 2])}")
        elif v == 3:
            parts.append(f"BYDAY=1{rng.choice(WD)},3{rng.choice(WD)}")
        else:
            parts.append(f"BYDAY=SA,SU;BYSETPOS={rng.choice([1, -1])}")
    else:
        iv = rng.choice([1, 1, 2])
        v = rng.randrange(3)
        if v == 1:
            parts.append(f"BYMONTH={rng.randint(1, 12)};BYDAY={rng.choice([1, 2, -1])}{rng.choice(WD)}")
        elif v == 2:
            m = sorted(rng.sample(range(1, 13), 2))
            parts.append(f"BYMONTH={m[0]},{m[1]};BYMONTHDAY={rng.choice([1, 15, 29])}")
    if iv > 1:
        parts.append(f"INTERVAL={iv}")
    return ";".join(parts)


def pick_start(rng: random.Random, kind: str, year_choices=(2026,)) -> datetime:
    """A naive local seed time, biased towards the DST transitions."""
    year = rng.choice(year_choices)
    if rng.random() < 0.5:
        anchor = rng.choice([date(year, 3, 8), date(year, 3, 29), date(year, 10, 25), date(year, 11, 1)])
        d = anchor + timedelta(days=rng.randint(-9, 3))
    else:
        d = date(year, 1, 1) + timedelta(days=rng.randrange(360))
    if kind == "date":
        return datetime(d.year, d.month, d.day)
    hour = rng.choice([0, 1, 2, 3, 8, 9, 12, 17, 22, 23, rng.randrange(24)])
    return datetime(d.year, d.month, d.day, hour, rng.choice([0, 0, 30, 45]))


DURATIONS = [  # (text, delta) for timed components
    ("PT30M", timedelta(minutes=30)),
    ("PT1H", timedelta(hours=1)),
    ("PT1H30M", timedelta(minutes=90)),
    ("PT3H", timedelta(hours=3)),
    ("PT25H", timedelta(hours=25)),
    ("P1D", DAY),
    ("P2DT1H", timedelta(days=2, hours=1)),
]


def end_lines(rng: random.Random, kind: str, start: datetime, allow_none=True) -> list[str]:
    """DTEND, DURATION or nothing for a VEVENT starting at `start`."""
    if kind == "date":
        r = rng.random()
        if r < 0.3 and allow_none:
            return []
        n = rng.choice([1, 1, 2, 3])
        if r < 0.6:
            return [f"DURATION:P{n}D"]
        return [prop("DTEND", "date", start + n * DAY)]
    r = rng.random()
    if r < 0.08 and allow_none:
        return []
    if r < 0.12:
        return ["DURATION:PT0S"]
    text, delta = rng.choice(DURATIONS)
    if r < 0.55:
        return [f"DURATION:{text}"]
    if kind in ZONEINFO and rng.random() < 0.15:
        other = rng.choice([z for z in TZIDS if z != kind])
        # same instant, written in another zone
        utc = start.replace(tzinfo=ZONEINFO[kind]) + delta
        return [prop("DTEND", other, utc.astimezone(ZONEINFO[other]).replace(tzinfo=None))]
    return [prop("DTEND", kind, start + delta)]


def recurring_object(rng: random.Random, name: str, comp: str = "VEVENT",
                     kind: str | None = None, rule: str | None = None,
                     start: datetime | None = None) -> Obj:
    kind = kind or rng.choice(KINDS + TZIDS)  # zones twice as likely
    rule = rule or gen_rule(rng)
    seed = start or pick_start(rng, kind, (2025, 2026, 2026, 2026))
    dtstart = next(iter(rrulestr(rule, dtstart=seed)))
    instances = list(islice(rrulestr(rule, dtstart=dtstart), 60))
    r = rng.random()
    if r < 0.4:
        count = rng.randint(2, 12)
        rule += f";COUNT={count}"
        instances = instances[:count]
    elif r < 0.7:
        n = rng.randint(1, 10)
        until = instances[n]
        if rng.random() < 0.4 and kind != "date":
            until += timedelta(minutes=rng.choice([-1, 1, 59]))
        rule += f";UNTIL={until_text(kind, until)}"
        instances = [i for i in instances if i <= until]
    lines = [prop("DTSTART", kind, dtstart)]
    if comp == "VEVENT":
        lines += end_lines(rng, kind, dtstart)
    else:
        lines += todo_end(rng, kind, dtstart)
    lines.append(f"RRULE:{rule}")
    excluded = set()
    if len(instances) > 2 and rng.random() < 0.45:
        excluded = set(rng.sample(instances[: min(len(instances), 10)], rng.randint(1, 2)))
        lines.append(prop("EXDATE", kind, *sorted(excluded)))
    if rng.random() < 0.3:
        step = DAY if kind == "date" else timedelta(hours=rng.choice([3, 26, -5]))
        extra = sorted({rng.choice(instances) + step * rng.randint(1, 4) for _ in range(2)} - set(instances))
        if extra:
            lines.append(prop("RDATE", kind, *extra))
    comps = [component(comp, name, lines)]
    note = f"{comp} {kind} RRULE:{rule}"
    kept = [i for i in instances[:12] if i not in excluded]
    if kept and rng.random() < 0.4:
        for rid in rng.sample(kept, min(len(kept), rng.randint(1, 2))):
            if kind == "date":
                delta = DAY * rng.choice([1, -2, 45])
            else:
                delta = rng.choice([timedelta(hours=-3), timedelta(hours=2), DAY, -2 * DAY,
                                    45 * DAY, timedelta(minutes=30), timedelta(hours=-19)])
            ov = [prop("RECURRENCE-ID", kind, rid), prop("DTSTART", kind, rid + delta)]
            if comp == "VEVENT":
                ov += end_lines(rng, kind, rid + delta, allow_none=False)
            else:
                ov += todo_end(rng, kind, rid + delta)
            ov.append("SUMMARY:moved")
            comps.append(component(comp, name, ov))
            note += f" moved {val(kind, rid)[1]} by {delta}"
    return Obj(name + ".ics", calendar_text(comps), note)


def todo_end(rng: random.Random, kind: str, start: datetime) -> list[str]:
    r = rng.random()
    if r < 0.35:
        return []  # DTSTART only
    if r < 0.55:
        return ["DURATION:" + ("P1D" if kind == "date" else rng.choice(["PT1H", "PT45M", "P1D"]))]
    return [prop("DUE", kind, start + (DAY * rng.randint(1, 3) if kind == "date"
                                       else timedelta(hours=rng.choice([1, 5, 30]))))]


def single_event(rng: random.Random, name: str) -> Obj:
    kind = rng.choice(KINDS + TZIDS)
    start = pick_start(rng, kind)
    lines = [prop("DTSTART", kind, start)]
    r = rng.random()
    if kind != "date" and r < 0.06:
        lines.append(prop("DTEND", kind, start))  # zero length via DTEND
    else:
        lines += end_lines(rng, kind, start)
    return Obj(name + ".ics", calendar_text([component("VEVENT", name, lines)]),
               f"single VEVENT {kind}")


def dst_objects(rng: random.Random, base: int) -> list[Obj]:
    """Instances at the wall-clock times that DST skips or repeats, and
    components that span a transition."""
    out = []
    cases = [  # (zone, local start, rule)
        ("Europe/Berlin", datetime(2026, 3, 25, 2, 30), "FREQ=DAILY;COUNT=8"),
        ("Custom/Zone", datetime(2026, 3, 22, 2, 30), "FREQ=WEEKLY;COUNT=3"),
        ("Europe/Berlin", datetime(2026, 10, 22, 2, 30), "FREQ=DAILY;COUNT=6"),
        ("Custom/Zone", datetime(2026, 10, 23, 2, 15), "FREQ=DAILY;UNTIL=20261027T000000Z"),
        ("America/New_York", datetime(2026, 3, 5, 2, 30), "FREQ=DAILY;COUNT=7"),
        ("America/New_York", datetime(2026, 10, 25, 1, 30), "FREQ=WEEKLY;COUNT=3"),
        ("America/New_York", datetime(2026, 10, 30, 1, 0), "FREQ=DAILY;COUNT=4"),
        ("Europe/Berlin", datetime(2026, 3, 1, 1, 30), "FREQ=WEEKLY;BYDAY=SU"),
        ("America/New_York", datetime(2026, 1, 4, 1, 45), "FREQ=MONTHLY;BYDAY=1SU,2SU"),
        ("Custom/Zone", datetime(2026, 1, 25, 3, 0), "FREQ=MONTHLY;BYDAY=-1SU;COUNT=12"),
    ]
    for i, (zone, start, rule) in enumerate(cases):
        name = f"xc-{base + i:03d}"
        lines = [prop("DTSTART", zone, start),
                 f"DURATION:{rng.choice(['PT30M', 'PT1H', 'PT2H'])}", f"RRULE:{rule}"]
        out.append(Obj(name + ".ics", calendar_text([component("VEVENT", name, lines)]),
                       f"DST VEVENT {zone} {start} RRULE:{rule}"))
    spans = [  # components whose interval contains a transition
        ("Europe/Berlin", datetime(2026, 3, 28, 12, 0), ["DURATION:P1D"]),
        ("Europe/Berlin", datetime(2026, 3, 28, 12, 0), ["DURATION:PT24H"]),
        ("Custom/Zone", datetime(2026, 10, 24, 12, 0), ["DURATION:P1D"]),
        ("America/New_York", datetime(2026, 3, 7, 22, 0),
         [prop("DTEND", "America/New_York", datetime(2026, 3, 8, 2, 30))]),  # ends in the gap
        ("America/New_York", datetime(2026, 10, 31, 23, 0),
         [prop("DTEND", "America/New_York", datetime(2026, 11, 1, 1, 30))]),  # ends in the fold
        ("Europe/Berlin", datetime(2026, 3, 29, 2, 30), ["DURATION:PT15M"]),  # starts in the gap
        ("Europe/Berlin", datetime(2026, 10, 25, 2, 30), ["DURATION:PT15M"]),  # starts in the fold
        ("America/New_York", datetime(2026, 3, 1, 1, 0), ["DURATION:P1D", "RRULE:FREQ=WEEKLY;COUNT=3"]),
        ("Europe/Berlin", datetime(2026, 10, 18, 23, 0), ["DURATION:P7D"]),
        ("Custom/Zone", datetime(2026, 3, 29, 0, 0),
         [prop("DTEND", "Custom/Zone", datetime(2026, 3, 29, 4, 0))]),
    ]
    for j, (zone, start, rest) in enumerate(spans):
        name = f"xc-{base + len(cases) + j:03d}"
        out.append(Obj(name + ".ics",
                       calendar_text([component("VEVENT", name, [prop("DTSTART", zone, start)] + rest)]),
                       f"DST span VEVENT {zone} {start} {rest}"))
    return out


def todo_objects(rng: random.Random, base: int) -> list[Obj]:
    out = []
    for i in range(34):
        name = f"xc-{base + i:03d}"
        kind = rng.choice(KINDS + TZIDS)
        start = pick_start(rng, kind)
        v = i % 8
        if v == 0:
            lines, note = [prop("DUE", kind, start)], "VTODO DUE only"
        elif v == 1:
            lines, note = [prop("DTSTART", kind, start)], "VTODO DTSTART only"
        elif v == 2:
            lines, note = [prop("DTSTART", kind, start)] + todo_end(rng, kind, start), "VTODO single"
        elif v == 3:
            lines, note = ["STATUS:NEEDS-ACTION"], "VTODO without dates"
        elif v == 4:
            lines, note = [f"CREATED:{zulu(start.replace(tzinfo=UTC))}"], "VTODO CREATED only"
        elif v == 5:
            c = start.replace(tzinfo=UTC)
            lines = [f"CREATED:{zulu(c)}", f"COMPLETED:{zulu(c + timedelta(days=rng.randint(0, 20)))}",
                     "STATUS:COMPLETED"]
            note = "VTODO CREATED+COMPLETED"
        elif v == 6:
            lines, note = [f"COMPLETED:{zulu(start.replace(tzinfo=UTC))}"], "VTODO COMPLETED only"
        else:
            out.append(recurring_object(rng, name, comp="VTODO", kind=kind))
            continue
        out.append(Obj(name + ".ics", calendar_text([component("VTODO", name, lines)]), note))
    return out


def edge_objects(windows: dict, base: int) -> list[Obj]:
    """Objects placed exactly on the boundaries of some windows."""
    out = []
    n = base
    H = timedelta(hours=1)

    def add(comp, lines, note, kind="utc"):
        nonlocal n
        name = f"xc-{n:03d}"
        n += 1
        out.append(Obj(name + ".ics", calendar_text([component(comp, name, lines)]), note))

    for wname in EDGE_WINDOWS:
        ws, we = windows[wname]
        s, e = ws.replace(tzinfo=None), we.replace(tzinfo=None)
        at = f"[{wname}]"
        add("VEVENT", [prop("DTSTART", "utc", s - H), prop("DTEND", "utc", s)], f"ends at window start {at}")
        add("VEVENT", [prop("DTSTART", "utc", e), prop("DTEND", "utc", e + H)], f"starts at window end {at}")
        add("VEVENT", [prop("DTSTART", "utc", e - timedelta(seconds=1)), "DURATION:PT1S"],
            f"last second of the window {at}")
        add("VEVENT", [prop("DTSTART", "utc", s)], f"DTSTART only at window start {at}")
        add("VEVENT", [prop("DTSTART", "utc", e)], f"DTSTART only at window end {at}")
        add("VEVENT", [prop("DTSTART", "utc", s), "DURATION:PT0S"], f"PT0S at window start {at}")
        add("VEVENT", [prop("DTSTART", "utc", s), prop("DTEND", "utc", s)],
            f"DTEND=DTSTART at window start {at}")
        add("VEVENT", [prop("DTSTART", "float", s)], f"floating point at window start {at}")
        add("VEVENT", [prop("DTSTART", "float", e - H), prop("DTEND", "float", e)],
            f"floating, ends at window end {at}")
        add("VEVENT", [prop("DTSTART", "utc", s - 3 * DAY - H), "DURATION:PT1H",
                       "RRULE:FREQ=DAILY;COUNT=4"], f"last instance ends at window start {at}")
        add("VEVENT", [prop("DTSTART", "utc", s - 3 * DAY - H / 2), "DURATION:PT1H",
                       "RRULE:FREQ=DAILY;COUNT=4"], f"last instance straddles window start {at}")
        add("VEVENT", [prop("DTSTART", "utc", s - 2 * DAY), "RRULE:FREQ=DAILY;COUNT=5",
                       prop("EXDATE", "utc", s)], f"point instances, the one at window start excluded {at}")
        add("VEVENT", [prop("DTSTART", "utc", s - 2 * DAY), "RRULE:FREQ=DAILY;UNTIL=" + s.strftime("%Y%m%dT%H%M%SZ")],
            f"UNTIL exactly at window start {at}")
        add("VEVENT", [prop("DTSTART", "utc", s - 3 * DAY), "DURATION:PT10M", prop("RDATE", "utc", s)],
            f"RDATE at window start {at}")
        # an override moving the instance at the window start away, and one moving another in
        name = f"xc-{n:03d}"
        n += 1
        comps = [
            component("VEVENT", name, [prop("DTSTART", "utc", s - 7 * DAY), "DURATION:PT5M",
                                       "RRULE:FREQ=WEEKLY;COUNT=4"]),
            component("VEVENT", name, [prop("RECURRENCE-ID", "utc", s), prop("DTSTART", "utc", s + 30 * DAY),
                                       "DURATION:PT5M"]),
        ]
        out.append(Obj(name + ".ics", calendar_text(comps), f"override moves instance at window start away {at}"))
        name = f"xc-{n:03d}"
        n += 1
        comps = [
            component("VEVENT", name, [prop("DTSTART", "utc", s - 70 * DAY), "DURATION:PT5M",
                                       "RRULE:FREQ=WEEKLY;COUNT=3"]),
            component("VEVENT", name, [prop("RECURRENCE-ID", "utc", s - 63 * DAY), prop("DTSTART", "utc", s),
                                       "DURATION:PT5M"]),
        ]
        out.append(Obj(name + ".ics", calendar_text(comps), f"override moves an instance to window start {at}"))
        add("VTODO", [prop("DUE", "utc", s)], f"VTODO DUE at window start {at}")
        add("VTODO", [prop("DUE", "utc", e)], f"VTODO DUE at window end {at}")
        add("VTODO", [prop("DTSTART", "utc", s)], f"VTODO DTSTART at window start {at}")
        add("VTODO", [prop("DTSTART", "utc", e)], f"VTODO DTSTART at window end {at}")
        add("VTODO", [prop("DTSTART", "utc", s - H), prop("DUE", "utc", s)], f"VTODO DTSTART..DUE ends at window start {at}")
        add("VTODO", [prop("DTSTART", "utc", s - H), "DURATION:PT1H"], f"VTODO DTSTART+DURATION ends at window start {at}")
        add("VTODO", [prop("DTSTART", "utc", e), prop("DUE", "utc", e)], f"VTODO DTSTART=DUE at window end {at}")
        add("VTODO", [f"CREATED:{zulu(we)}"], f"VTODO CREATED at window end {at}")
        add("VTODO", [f"COMPLETED:{zulu(we)}"], f"VTODO COMPLETED at window end {at}")
        if ws.hour == 0 and ws.minute == 0:
            add("VEVENT", [prop("DTSTART", "date", s - DAY)], f"all-day, the day before the window {at}")
            add("VEVENT", [prop("DTSTART", "date", e)], f"all-day, the day after the window {at}")
            add("VEVENT", [prop("DTSTART", "date", s - 2 * DAY), "RRULE:FREQ=DAILY;COUNT=2"],
                f"all-day daily, last day ends at window start {at}")
            add("VTODO", [prop("DUE", "date", s)], f"VTODO DUE date at window start {at}")
    return out


def generate_corpus(windows: dict) -> list[Obj]:
    rng = random.Random(SEED)
    objs: list[Obj] = []
    for i in range(40):
        objs.append(single_event(rng, f"xc-{i:03d}"))
    for i in range(40, 160):
        objs.append(recurring_object(rng, f"xc-{i:03d}"))
    for i in range(160, 185):  # all-day
        objs.append(recurring_object(rng, f"xc-{i:03d}", kind="date") if i % 3
                    else single_event_kind(rng, f"xc-{i:03d}", "date"))
    for i in range(185, 200):  # floating
        objs.append(recurring_object(rng, f"xc-{i:03d}", kind="float"))
    objs += dst_objects(rng, 200)
    objs += todo_objects(rng, 230)
    objs += edge_objects(windows, 300)
    return objs


def single_event_kind(rng, name, kind) -> Obj:
    start = pick_start(rng, kind)
    lines = [prop("DTSTART", kind, start)] + end_lines(rng, kind, start)
    return Obj(name + ".ics", calendar_text([component("VEVENT", name, lines)]), f"single VEVENT {kind}")


def real_world_objects() -> list[Obj]:
    out = []
    for f in sorted(TESTDATA.rglob("*.ics")):
        raw = f.read_bytes()
        text = raw.decode("utf-8", "replace")
        uids = set(re.findall(r"(?m)^UID[;:](.*?)\r?$", text))
        if len(uids) != 1 or re.search(r"(?m)^METHOD[:;]", text):
            continue
        rel = f.relative_to(TESTDATA).as_posix()
        name = "rw-" + re.sub(r"[^A-Za-z0-9_-]", "_", rel[:-4]) + ".ics"
        out.append(Obj(name, text, f"real-world {rel}", real_world=True))
    return out


# --------------------------------------------------------------------------
# expected verdicts
# --------------------------------------------------------------------------


def to_utc(v) -> datetime:
    """A library value in UTC; floating and DATE values read as UTC."""
    if isinstance(v, datetime):
        return v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)
    return datetime(v.year, v.month, v.day, tzinfo=UTC)


def rfc_vevent(has_dtend: bool, s: datetime, e: datetime, ws: datetime, we: datetime) -> bool:
    """RFC 4791 §9.9, VEVENT table, for one instance [s, e]."""
    if has_dtend or e > s:  # DTEND; DURATION > 0; DATE without DTEND (e = s + P1D)
        return ws < e and we > s
    return ws <= s and we > s  # DURATION = 0, or a DATE-TIME DTSTART alone


def rfc_vtodo(src, s: datetime, e: datetime, ws: datetime, we: datetime) -> bool:
    """RFC 4791 §9.9, VTODO table, rows with DTSTART or DUE, for one instance
    (the library's DTSTART s and DUE e; e = DTSTART+DURATION)."""
    has_start, has_dur, has_due = "DTSTART" in src, "DURATION" in src, "DUE" in src
    if has_start and has_dur:
        return ws <= e and (we > s or we >= e)
    if has_start and has_due:
        return (ws < e or ws <= s) and (we > s or we >= e)
    if has_start:
        return ws <= s and we > s
    return ws < e and we >= e  # DUE only


def rfc_vtodo_without_dates(src, ws: datetime, we: datetime) -> bool:
    """RFC 4791 §9.9, VTODO table, rows without DTSTART and DUE."""
    created = to_utc(src["CREATED"].dt) if "CREATED" in src else None
    completed = to_utc(src["COMPLETED"].dt) if "COMPLETED" in src else None
    if created and completed:
        return (ws <= created or ws <= completed) and (we >= created or we >= completed)
    if completed:
        return ws <= completed and we >= completed
    if created:
        return we > created
    return True


def source_index(occ, comps: list) -> int:
    """Which component (master or override) supplies a library instance."""
    if len(comps) == 1:
        return 0
    rid = occ.get("RECURRENCE-ID")
    if rid is not None:
        for i, c in enumerate(comps):
            if "RECURRENCE-ID" in c and to_utc(c["RECURRENCE-ID"].dt) == to_utc(rid.dt):
                return i
    for i, c in enumerate(comps):
        if "RECURRENCE-ID" not in c:
            return i
    return 0


def raw_values(text: str, comp: str, name: str) -> list:
    """The raw text of property `name` in each `comp` child of the VCALENDAR,
    in order (None where absent). icalendar turns DURATION into a timedelta,
    losing RFC 5545's nominal/exact distinction (PT24H is not P1D)."""
    out, stack = [], []
    for line in re.sub(r"\r?\n[ \t]", "", text).splitlines():
        u = line.upper()
        if u.startswith("BEGIN:"):
            stack.append(u[6:].strip())
            if stack == ["VCALENDAR", comp]:
                out.append(None)
        elif u.startswith("END:"):
            stack.pop()
        elif stack == ["VCALENDAR", comp] and re.match(name + r"[;:]", u):
            out[-1] = line.split(":", 1)[1].strip()
    return out


DURATION_RE = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def rfc_utc(v) -> datetime:
    """RFC 5545 §3.3.5 reading of a value in UTC: a local time that a DST
    gap skips takes the offset before the gap, one that a fall-back repeats
    is its first occurrence. (zoneinfo's fold=0 does this already; the
    dateutil zones icalendar builds from a VTIMEZONE with an unknown TZID
    give a skipped time the offset after the gap.)"""
    if not isinstance(v, datetime) or v.tzinfo is None:
        return to_utc(v)
    tz, local = v.tzinfo, v.replace(tzinfo=None)
    offsets = {local.replace(tzinfo=tz, fold=f).utcoffset() for f in (0, 1)}
    real = [o for o in offsets
            if (local - o).replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None) == local]
    if not real:  # in a gap
        before = (local - timedelta(hours=6)).replace(tzinfo=tz).utcoffset()
        return (local - before).replace(tzinfo=UTC)
    return (local - max(real)).replace(tzinfo=UTC)


def duration_end(start, text: str) -> datetime:
    """RFC 5545 §3.3.6: weeks and days are nominal (same wall-clock time),
    hours, minutes and seconds exact."""
    m = DURATION_RE.match(text.upper())
    assert m, text
    sign = -1 if m[1] == "-" else 1
    days = timedelta(days=sign * (7 * int(m[2] or 0) + int(m[3] or 0)))
    exact = sign * timedelta(hours=int(m[4] or 0), minutes=int(m[5] or 0), seconds=int(m[6] or 0))
    return rfc_utc(start + days if not isinstance(start, datetime) or start.tzinfo is None
                   else (start.replace(tzinfo=None) + days).replace(tzinfo=start.tzinfo)) + exact


def rfc_span(occ, src, raw_duration: str | None, comp: str) -> tuple[datetime, datetime]:
    """RFC 5545's UTC start and end of one library instance: the start
    read by rfc_utc; the end DTSTART+DURATION as above, or with DTEND (DUE)
    the exact duration of the supplying component (§3.8.5.3: 'the same
    exact duration will apply to all the members of the generated
    recurrence set'); a DATE alone lasts one day, a DATE-TIME alone none."""
    end_name = "DUE" if comp == "VTODO" else "DTEND"
    if "DTSTART" not in src or "DTSTART" not in occ:  # VTODO with DUE only: a point at DUE
        t = rfc_utc(occ[end_name].dt)
        return t, t
    start = occ["DTSTART"].dt
    s = rfc_utc(start)
    if raw_duration:
        return s, duration_end(start, raw_duration)
    if end_name in src:
        return s, s + (rfc_utc(src[end_name].dt) - rfc_utc(src["DTSTART"].dt))
    if comp == "VEVENT" and not isinstance(start, datetime):
        return s, s + DAY
    return s, s


def occ_span(occ) -> tuple[datetime, datetime]:
    """The library's start and end of an instance, in UTC."""
    s = to_utc(occ["DTSTART"].dt) if "DTSTART" in occ else None
    end_prop = "DUE" if occ.name == "VTODO" else "DTEND"
    e = to_utc(occ[end_prop].dt) if end_prop in occ else s
    if s is None:
        s = e
    return s, e


@dataclass
class Verdict:
    expected: bool
    library: bool
    rfc: bool
    why: str  # which rule decided


def expected_verdict(obj: Obj, comp: str, ws: datetime, we: datetime) -> Verdict:
    if comp not in obj.cache:
        comps = [c for c in obj.cal.walk() if c.name == comp]
        durations = raw_values(obj.text, comp, "DURATION")
        assert len(durations) == len(comps), (obj.name, comp)
        obj.cache[comp] = (comps, durations, recurring_ical_events.of(obj.cal, components=[comp]))
    comps, durations, query = obj.cache[comp]
    if comp == "VTODO" and not any("DTSTART" in c or "DUE" in c for c in comps):
        rfc = any(rfc_vtodo_without_dates(c, ws, we) for c in comps)
        lib = next(iter(query.between(ws, we)), None) is not None
        return Verdict(rfc, lib, rfc, "RFC VTODO table (no DTSTART/DUE)")
    # Every instance that can meet the window by either reading; the
    # library's between() keeps those overlapping [ws - 1 day, we + 1 day).
    padded = list(query.between(ws - DAY, we + DAY))
    if not padded:
        return Verdict(False, False, False, "library: no instance near the window")
    lib = next(iter(query.between(ws, we)), None) is not None
    rfc = False
    zero_dtend_at_start = span_differs = False
    for occ in padded:
        i = source_index(occ, comps)
        src = comps[i]
        s, e = rfc_span(occ, src, durations[i], comp)
        span_differs = span_differs or (s, e) != occ_span(occ)
        if comp == "VTODO":
            rfc = rfc or rfc_vtodo(src, s, e, ws, we)
        else:
            has_dtend = "DTEND" in src
            rfc = rfc or rfc_vevent(has_dtend, s, e, ws, we)
            zero_dtend_at_start = zero_dtend_at_start or (has_dtend and s == e == ws)
    if comp == "VTODO":
        return Verdict(rfc, lib, rfc, "RFC VTODO table on library instances")
    if lib != rfc and span_differs:
        return Verdict(rfc, lib, rfc, "RFC 5545 instance times (exact DURATION/DTEND, DST gap)")
    if lib != rfc and zero_dtend_at_start and not rfc:
        return Verdict(rfc, lib, rfc, "RFC VEVENT DTEND row (DTEND = DTSTART at range start)")
    return Verdict(lib, lib, rfc, "library")


# --------------------------------------------------------------------------
# CalDAV
# --------------------------------------------------------------------------

MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>recurrence crosscheck</D:displayname>
    <C:supported-calendar-component-set>
      <C:comp name="VEVENT"/><C:comp name="VTODO"/>
    </C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""

QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="{comp}">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


def report_names(server, cal_path: str, comp: str, ws: datetime, we: datetime) -> set[str]:
    body = QUERY.format(comp=comp, start=zulu(ws), end=zulu(we))
    r = server.request("REPORT", cal_path, body,
                       {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    assert r.status == 207, (comp, zulu(ws), zulu(we), r.status, r.body[:2000])
    names = set()
    for href in ET.fromstring(r.body).iter("{DAV:}href"):
        p = urllib.parse.unquote(urllib.parse.urlsplit(href.text.strip()).path)
        assert p.startswith(cal_path), p
        if p.rstrip("/") != cal_path.rstrip("/"):
            names.add(p[len(cal_path):])
    return names


def derived_windows(objs: list[Obj]) -> list[tuple[str, datetime, datetime]]:
    """Windows that touch library instances exactly (start or end)."""
    rng = random.Random(SEED + 1)
    out = []
    picks = [o for o in objs if not o.real_world and "VEVENT" in o.comps and "RRULE" in o.text]
    picks = rng.sample(picks, 3)
    rw = [o for o in objs if o.real_world and "VEVENT" in o.comps]
    picks += rng.sample(rw, min(2, len(rw)))
    M, H = timedelta(minutes=1), timedelta(hours=1)
    for o in picks:
        occs = list(islice(recurring_ical_events.of(o.cal).after(U(1990, 1, 1)), 10))
        if not occs:
            continue
        s, e = occ_span(rng.choice(occs))
        tag = o.name[:-4]
        out.append((f"starts at an instance start of {tag}", s, s + M))
        out.append((f"ends at an instance start of {tag}", s - H, s))
        if e > s:
            out.append((f"starts at an instance end of {tag}", e, e + H))
            out.append((f"ends at an instance end of {tag}", e - M, e))
    return out


# --------------------------------------------------------------------------
# the test
# --------------------------------------------------------------------------


def test_time_range_matches_recurring_ical_events(server):
    windows = {n: (s, e) for n, s, e in FIXED_WINDOWS}
    generated = generate_corpus(windows)
    names = [o.name for o in generated]
    assert len(names) == len(set(names))

    cal_path = f"/dav/calendars/{server.user}/xc-{uuid.uuid4().hex[:10]}/"
    r = server.request("MKCALENDAR", cal_path, MKCALENDAR, {"Content-Type": "application/xml"})
    assert r.status == 201, (r.status, r.body)
    try:
        objs: list[Obj] = []
        for o in generated:
            r = server.request("PUT", cal_path + o.name, o.text,
                               {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
            assert r.status == 201, f"generated {o.name} ({o.note}) refused: {r.status} {r.body[:500]!r}\n{o.text}"
            objs.append(o)
        real = real_world_objects()
        refused, unreadable = [], []
        for o in real:
            r = server.request("PUT", cal_path + o.name, o.text.encode("utf-8"),
                               {"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
            if r.status != 201:
                refused.append(f"{o.note}: {r.status}")
                continue
            objs.append(o)
        accepted = len(objs) - len(generated)
        print(f"\nreal-world files with one UID and no METHOD: {len(real)}, accepted {accepted}, "
              f"refused {len(refused)}")
        for x in refused:
            print("  refused:", x)
        assert accepted >= 20, (accepted, refused)

        for o in objs:
            try:
                o.cal = icalendar.Calendar.from_ical(o.text)
            except Exception as ex:  # the server accepted what the library can't read
                unreadable.append(f"{o.note}: {ex!r}")
                continue
            o.comps = {c.name for c in o.cal.walk() if c.name in ("VEVENT", "VTODO")}
        assert not [u for u in unreadable if "real-world" not in u], unreadable
        objs = [o for o in objs if o.cal is not None]
        for u in unreadable:
            print("  library can't read:", u)

        all_windows = FIXED_WINDOWS + derived_windows(objs)
        mismatches, handled, lib_failed, unexplained = [], {}, set(), []
        checks = positives = 0
        for wname, ws, we in all_windows:
            for comp in ("VEVENT", "VTODO"):
                got = report_names(server, cal_path, comp, ws, we)
                for o in objs:
                    if comp not in o.comps:
                        assert o.name not in got, (o.name, comp, wname)
                        continue
                    if o.name in lib_failed:
                        continue
                    try:
                        v = expected_verdict(o, comp, ws, we)
                    except Exception as ex:
                        if not o.real_world:
                            raise
                        lib_failed.add(o.name)
                        print(f"  library can't expand {o.note}: {ex!r}")
                        continue
                    checks += 1
                    positives += v.expected
                    if v.expected != v.library:
                        handled.setdefault(v.why, []).append(f"{o.name} in {wname}")
                    elif v.library != v.rfc:
                        unexplained.append(f"{o.name} ({o.note}) {comp} in {wname}: "
                                           f"library {v.library}, RFC functions {v.rfc}")
                    if (o.name in got) != v.expected:
                        mismatches.append((o, comp, wname, ws, we, v, o.name in got))
        print(f"objects: {len(objs)} ({len(generated)} generated, {len(objs) - len(generated)} "
              f"real-world), windows: {len(all_windows)}, object x window verdicts: {checks} "
              f"({positives} expected to match)")
        for why, cases in handled.items():
            print(f"  RFC verdict used instead of the library's ({why}): {len(cases)}, e.g. {cases[:3]}")
        if mismatches or unexplained:
            lines = [f"{len(mismatches)} mismatches between calvault and the expected verdicts:"]
            for o, comp, wname, ws, we, v, got in mismatches:
                lines.append(
                    f"\n--- {o.name} ({o.note}) {comp} window {wname!r} "
                    f"[{zulu(ws)}, {zulu(we)}): expected {v.expected} ({v.why}; library {v.library}, "
                    f"RFC {v.rfc}), calvault {got}"
                )
            shown = []
            for o, *_ in mismatches:
                if o.name not in shown and len(shown) < 8:
                    shown.append(o.name)
                    lines.append(f"\n=== {o.name}\n{o.text}")
            if unexplained:
                lines.append(f"\n{len(unexplained)} library/RFC differences not covered by RFC_NOTES "
                             "(a test problem, not necessarily a server one):")
                lines += unexplained[:20]
            pytest.fail("\n".join(lines))
    finally:
        server.request("DELETE", cal_path)
