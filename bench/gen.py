"""Seeded generator of realistic calendar objects (1-3 KB each) for the benchmark.

Every object is one iCalendar file (one UID) with:
  * ~90 % VEVENTs, ~10 % VTODOs;
  * time zones Europe/Berlin (~45 %) and America/New_York (~35 %) with their VTIMEZONE,
    the rest UTC or all-day (DATE);
  * ~35 % of events recurring (weekly / daily / monthly; COUNT, UNTIL, a few unbounded),
    with EXDATEs and RECURRENCE-ID overrides in the same object as the master;
  * ORGANIZER + ATTENDEEs on ~60 %, VALARMs on ~80 %, a DESCRIPTION that pads the object
    to a target size drawn uniformly from 1100..2900 bytes;
  * start dates spread over 2024-01-01 .. 2027-12-31.

The same (seed, index) always gives the same bytes, so every server gets identical data.
Only ASCII is produced, so folding at 75 octets is folding at 75 characters.
"""

from __future__ import annotations

import datetime as dt
import random

PRODID = "-//calvault//bench generator 1.0//EN"

VTIMEZONES = {
    "Europe/Berlin": (
        "BEGIN:VTIMEZONE\r\n"
        "TZID:Europe/Berlin\r\n"
        "BEGIN:DAYLIGHT\r\n"
        "TZOFFSETFROM:+0100\r\n"
        "TZOFFSETTO:+0200\r\n"
        "TZNAME:CEST\r\n"
        "DTSTART:19700329T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
        "END:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\n"
        "TZOFFSETFROM:+0200\r\n"
        "TZOFFSETTO:+0100\r\n"
        "TZNAME:CET\r\n"
        "DTSTART:19701025T030000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
        "END:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    ),
    "America/New_York": (
        "BEGIN:VTIMEZONE\r\n"
        "TZID:America/New_York\r\n"
        "BEGIN:DAYLIGHT\r\n"
        "TZOFFSETFROM:-0500\r\n"
        "TZOFFSETTO:-0400\r\n"
        "TZNAME:EDT\r\n"
        "DTSTART:20070311T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\n"
        "END:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\n"
        "TZOFFSETFROM:-0400\r\n"
        "TZOFFSETTO:-0500\r\n"
        "TZNAME:EST\r\n"
        "DTSTART:20071104T020000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\n"
        "END:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    ),
}
# Rough UTC offsets, only used to write UNTIL in UTC (exactness does not matter).
TZ_OFFSET_H = {"Europe/Berlin": 1, "America/New_York": -5}

FIRST = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hugo", "Ida", "Jonas",
         "Karla", "Lukas", "Mia", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Sam", "Tina",
         "Uwe", "Vera", "Will", "Xenia", "Yusuf", "Zoe"]
LAST = ["Schmidt", "Miller", "Nguyen", "Garcia", "Weber", "Johnson", "Kowalski", "Rossi",
        "Dubois", "Tanaka", "Okafor", "Larsen", "Novak", "Silva", "Fischer", "Brown"]
DOMAINS = ["example.com", "example.org", "corp.example.net", "mail.example.de"]
SUMMARIES = ["Team sync", "1:1", "Sprint planning", "Design review", "Customer call",
             "Dentist", "Lunch", "Quarterly review", "Standup", "Budget meeting",
             "Yoga class", "Parent-teacher meeting", "Flight to Lisbon", "Board meeting",
             "Interview", "Release retro", "Workshop", "Doctor appointment", "Gym",
             "Architecture council", "Coffee chat", "Offsite", "Webinar", "Book club"]
TODO_SUMMARIES = ["Submit expense report", "Renew passport", "Prepare slides",
                  "Call plumber", "Review pull requests", "Pay invoice", "Book hotel",
                  "Update roadmap", "Order birthday present", "File taxes"]
LOCATIONS = ["Room 4.12", "Conference room Berlin", "Zoom", "Cafe Central",
             "Main office\\, 3rd floor", "Client site", "Home", "Building B\\, room 101"]
CATEGORIES = ["WORK", "PERSONAL", "MEETING", "TRAVEL", "HEALTH", "FAMILY"]
WORDS = ("agenda project review status update team customer budget plan design "
         "release milestone feedback action items follow up notes decision risk "
         "timeline scope quality metrics deploy roadmap hiring onboarding goals "
         "quarter report draft proposal contract invoice travel schedule priority "
         "dependencies blockers demo retro summary minutes dial in link bring laptop "
         "please confirm attendance location parking lunch provided").split()
WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

START = dt.datetime(2024, 1, 1)
SPAN_DAYS = (dt.datetime(2027, 12, 31) - START).days


def fold(line: str) -> str:
    """Fold one content line at 75 octets (ASCII only)."""
    if len(line) <= 75:
        return line + "\r\n"
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts) + "\r\n"


def fmt_local(t: dt.datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%S")


def fmt_date(t: dt.datetime) -> str:
    return t.strftime("%Y%m%d")


def add_months(t: dt.datetime, n: int) -> dt.datetime:
    m = t.month - 1 + n
    return t.replace(year=t.year + m // 12, month=m % 12 + 1, day=min(t.day, 28))


def text(rng: random.Random, n_chars: int) -> str:
    out = []
    length = 0
    sentence = 0
    while length < n_chars:
        w = rng.choice(WORDS)
        if sentence == 0:
            w = w.capitalize()
        sentence += 1
        if sentence > rng.randint(6, 14):
            w += "."
            sentence = 0
            if rng.random() < 0.2:
                w += "\\n"
        elif rng.random() < 0.06:
            w += "\\,"
        out.append(w)
        length += len(w) + 1
    return " ".join(out)[:n_chars].rstrip("\\")


def person(rng: random.Random) -> tuple[str, str]:
    f, l = rng.choice(FIRST), rng.choice(LAST)
    return f"{f} {l}", f"{f.lower()}.{l.lower()}@{rng.choice(DOMAINS)}"


class Obj:
    __slots__ = ("uid", "href_name", "body", "kind")

    def __init__(self, uid: str, body: bytes, kind: str):
        self.uid = uid
        self.href_name = uid + ".ics"
        self.body = body
        self.kind = kind


def make_uid(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def generate(seed: int, index: int, revision: int = 0) -> Obj:
    """Object number `index` of the data set `seed`; `revision` > 0 gives a modified
    version of the same object (same UID, new SUMMARY/SEQUENCE/DTSTAMP)."""
    rng = random.Random(f"{seed}:{index}")
    uid = make_uid(rng)
    target = rng.randint(1100, 2900)
    r = rng.random()
    tzid = "Europe/Berlin" if r < 0.45 else ("America/New_York" if r < 0.80 else None)
    is_todo = rng.random() < 0.10
    all_day = (not is_todo) and tzid is None and rng.random() < 0.35
    day = START + dt.timedelta(days=rng.randrange(SPAN_DAYS))
    start = day.replace(hour=rng.randint(7, 19), minute=rng.choice((0, 15, 30, 45)))
    created = START - dt.timedelta(days=30) + dt.timedelta(days=rng.randrange(SPAN_DAYS))
    stamp = "%sZ" % fmt_local(created + dt.timedelta(days=revision))

    def dtprop(name: str, t: dt.datetime, date_only: bool = False) -> str:
        if date_only:
            return f"{name};VALUE=DATE:{fmt_date(t)}"
        if tzid:
            return f"{name};TZID={tzid}:{fmt_local(t)}"
        return f"{name}:{fmt_local(t)}Z"

    head = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    comp: list[str] = []
    overrides: list[list[str]] = []
    if is_todo:
        summary = rng.choice(TODO_SUMMARIES)
        comp += ["BEGIN:VTODO", f"UID:{uid}", f"DTSTAMP:{stamp}",
                 f"CREATED:{fmt_local(created)}Z", f"LAST-MODIFIED:{stamp}",
                 f"SEQUENCE:{revision}"]
        if rng.random() < 0.8:
            comp.append(dtprop("DTSTART", start))
            comp.append(dtprop("DUE", start + dt.timedelta(days=rng.randint(1, 14))))
        status = rng.choice(["NEEDS-ACTION", "NEEDS-ACTION", "IN-PROCESS", "COMPLETED"])
        comp += [f"SUMMARY:{summary}" + (f" (rev {revision})" if revision else ""),
                 f"PRIORITY:{rng.choice((0, 1, 5, 9))}", f"STATUS:{status}",
                 f"CATEGORIES:{rng.choice(CATEGORIES)}"]
        if status == "COMPLETED":
            comp += ["PERCENT-COMPLETE:100", f"COMPLETED:{fmt_local(start)}Z"]
        elif status == "IN-PROCESS":
            comp.append(f"PERCENT-COMPLETE:{rng.choice((10, 25, 50, 75))}")
        alarms = 1 if rng.random() < 0.6 else 0
    else:
        summary = rng.choice(SUMMARIES)
        dur = dt.timedelta(minutes=rng.choice((15, 30, 30, 45, 60, 60, 90, 120, 180)))
        comp += ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
                 f"CREATED:{fmt_local(created)}Z", f"LAST-MODIFIED:{stamp}",
                 f"SEQUENCE:{revision}"]
        if all_day:
            days = rng.choice((1, 1, 1, 2, 3))
            comp += [dtprop("DTSTART", start, True),
                     dtprop("DTEND", start + dt.timedelta(days=days), True)]
        else:
            comp += [dtprop("DTSTART", start), dtprop("DTEND", start + dur)]
        comp += [f"SUMMARY:{summary}" + (f" (rev {revision})" if revision else ""),
                 f"LOCATION:{rng.choice(LOCATIONS)}",
                 f"STATUS:{rng.choice(('CONFIRMED', 'CONFIRMED', 'TENTATIVE'))}",
                 f"TRANSP:{'TRANSPARENT' if all_day else 'OPAQUE'}",
                 f"CLASS:{rng.choice(('PUBLIC', 'PUBLIC', 'PRIVATE'))}",
                 f"CATEGORIES:{rng.choice(CATEGORIES)}"]
        # Recurrence
        if rng.random() < 0.35:
            f = rng.random()
            if f < 0.6:
                freq, step = "WEEKLY", "w"
                days_ = [WEEKDAYS[start.weekday()]]
                if rng.random() < 0.3:
                    days_.append(WEEKDAYS[(start.weekday() + rng.randint(1, 4)) % 7])
                rule = f"FREQ=WEEKLY;BYDAY={','.join(days_)}"
                if rng.random() < 0.2:
                    rule = "FREQ=WEEKLY;INTERVAL=2;BYDAY=" + days_[0]
                    step = "2w"
            elif f < 0.8:
                freq, step = "DAILY", "d"
                rule = "FREQ=DAILY"
            else:
                freq, step = "MONTHLY", "m"
                if start.day > 28:
                    start = start.replace(day=28)
                    comp = [c if not c.startswith("DTSTART") else dtprop("DTSTART", start, all_day)
                            for c in comp]
                rule = f"FREQ=MONTHLY;BYMONTHDAY={start.day}"
            e = rng.random()
            if e < 0.49 or freq == "DAILY" and e < 0.98:
                count = rng.randint(4, 12) if freq == "DAILY" else rng.randint(4, 40)
                rule += f";COUNT={count}"
                n_inst = count
            elif e < 0.98:
                months = rng.randint(1, 12)
                until = add_months(start, months)
                if all_day:
                    rule += f";UNTIL={fmt_date(until)}"
                else:
                    off = TZ_OFFSET_H.get(tzid, 0)
                    rule += f";UNTIL={fmt_local(until - dt.timedelta(hours=off))}Z"
                n_inst = {"w": months * 4, "2w": months * 2, "d": months * 30, "m": months}[step]
            else:
                n_inst = 60  # unbounded (~0.7 % of all objects)

            def inst(k: int) -> dt.datetime:
                if step == "w":
                    return start + dt.timedelta(weeks=k)
                if step == "2w":
                    return start + dt.timedelta(weeks=2 * k)
                if step == "d":
                    return start + dt.timedelta(days=k)
                return add_months(start, k)

            comp.append(f"RRULE:{rule}")
            cand = list(range(1, max(2, min(n_inst - 1, 12))))
            rng.shuffle(cand)
            if rng.random() < 0.4 and len(cand) > 1:
                for k in sorted(cand[:rng.randint(1, min(3, len(cand) - 1))]):
                    comp.append(dtprop("EXDATE", inst(k), all_day))
                cand = cand[3:]
            if rng.random() < 0.3 and cand:
                for k in cand[:rng.randint(1, min(2, len(cand)))]:
                    t = inst(k)
                    moved = t + dt.timedelta(hours=rng.choice((1, 2, -1))) if not all_day \
                        else t + dt.timedelta(days=1)
                    o = ["BEGIN:VEVENT", f"UID:{uid}", f"DTSTAMP:{stamp}",
                         dtprop("RECURRENCE-ID", t, all_day),
                         f"SEQUENCE:{revision + 1}"]
                    if all_day:
                        o += [dtprop("DTSTART", moved, True),
                              dtprop("DTEND", moved + dt.timedelta(days=1), True)]
                    else:
                        o += [dtprop("DTSTART", moved), dtprop("DTEND", moved + dur)]
                    o += [f"SUMMARY:{summary} (moved)", f"LOCATION:{rng.choice(LOCATIONS)}"]
                    overrides.append(o)
        alarms = 2 if rng.random() < 0.15 else (1 if rng.random() < 0.75 else 0)

    # People
    if not is_todo and rng.random() < 0.6:
        cn, mail = person(rng)
        comp.append(f"ORGANIZER;CN={cn}:mailto:{mail}")
        for _ in range(rng.randint(1, 8)):
            acn, amail = person(rng)
            ps = rng.choice(("ACCEPTED", "ACCEPTED", "TENTATIVE", "DECLINED", "NEEDS-ACTION"))
            role = rng.choice(("REQ-PARTICIPANT", "REQ-PARTICIPANT", "OPT-PARTICIPANT"))
            comp.append(f"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE={role};PARTSTAT={ps};RSVP=TRUE;"
                        f"CN={acn}:mailto:{amail}")
    alarm_lines: list[str] = []
    for a in range(alarms):
        trig = rng.choice(("-PT5M", "-PT10M", "-PT15M", "-PT30M", "-PT1H", "-P1D"))
        alarm_lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:Reminder: {summary}",
                        f"TRIGGER:{trig}" if not is_todo else f"TRIGGER;RELATED=END:{trig}",
                        "END:VALARM"]
        if a == 0 and rng.random() < 0.3:
            alarm_lines[-1:-1] = ["REPEAT:1", "DURATION:PT5M"]

    end = "END:VTODO" if is_todo else "END:VEVENT"
    tz_block = VTIMEZONES[tzid] if tzid else ""

    def assemble(desc: str) -> str:
        body = "".join(fold(x) for x in head) + tz_block
        lines = comp + ([f"DESCRIPTION:{desc}"] if desc else []) + alarm_lines + [end]
        body += "".join(fold(x) for x in lines)
        for o in overrides:
            body += "".join(fold(x) for x in o + ["END:VEVENT"])
        return body + "END:VCALENDAR\r\n"

    base = len(assemble("x"))
    # A folded line costs ~3 extra bytes per 74 characters.
    room = int((target - base) * 74 / 77)
    desc = text(rng, max(40, room))
    return Obj(uid, assemble(desc).encode("ascii"), "VTODO" if is_todo else "VEVENT")


if __name__ == "__main__":  # quick look: python3 bench/gen.py [N]
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    sizes = []
    for i in range(n):
        o = generate(1, i)
        sizes.append(len(o.body))
        if i < 2:
            sys.stdout.write(o.body.decode())
    sizes.sort()
    print(f"n={n} min={sizes[0]} p50={sizes[len(sizes)//2]} max={sizes[-1]}")
