"""The web interface in a real headless Chromium, against the real binary on 127.0.0.1
(issue 25): sign in, calendars seen over CalDAV, events made in the UI read over CalDAV, an
event's own history with the property diff of its edit, recurrences made over CalDAV in the
week view, undo from History byte for byte, an event deleted from its page and undone, a
rollback from its preview, import and export, app passwords used and revoked over CalDAV,
XSS kept as text, forms refused without their CSRF token, and sharing (a calendar shared
read-only and read-write with bob, who sees it in his own browser and over CalDAV, then
removed; a group share; delegates; free/busy of all calendars; the refusals the page words).
Each page is screenshotted and checked with axe-core. The tests run in order and share one
signed-in browser."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
import urllib.parse
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD, USER

HOME = f"/dav/calendars/{USER}/"
WORK = f"/dav/calendars/{USER}/work/"


def monday_this_week() -> dt.date:
    today = dt.datetime.now(dt.timezone.utc).date()
    return today - dt.timedelta(days=today.weekday())


def event(uid: str, summary: str, start: str, extra: str = "") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//web//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
            f"DURATION:PT30M\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\nEND:VCALENDAR\r\n")


def hrefs(server, path: str) -> list[str]:
    r = server.request("PROPFIND", path, headers={"Depth": "1"}, body=(
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
        "</d:prop></d:propfind>"))
    assert r.status == 207, r
    return re.findall(r"<[^>]*href>([^<]+)</[^>]*href>", r.text)


def test_a_browser_at_the_root_gets_the_sign_in_page_and_clients_keep_dav(server, browser):
    browser.go("/")
    assert browser.path == "/web/signin"
    browser.look("sign-in")
    # A CalDAV client at the same URL still gets DAV.
    r = server.request("PROPFIND", "/", headers={"Depth": "0"})
    assert r.status == 207, r
    r = server.request("GET", "/", auth=None, headers={"Accept": "text/calendar"})
    assert r.status == 401 and "Basic" in r.header("www-authenticate"), r


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(server, browser):
    browser.fill("User name", USER)
    browser.fill("Password", "not the password")
    browser.click("Sign in")
    assert "Wrong user name or password" in browser.body_text()
    # By keyboard alone: the name, Tab, the password, Enter.
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec

    browser.field("User name").clear()
    browser.field("User name").send_keys(USER, Keys.TAB)
    active = browser.d.switch_to.active_element
    assert active.get_attribute("id") == browser.field("Password").get_attribute("id")
    old = browser.d.find_element(By.TAG_NAME, "html")
    active.send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(browser.d, 15).until(ec.staleness_of(old))
    assert browser.path == "/web/calendars"
    cookie = next(c for c in browser.d.get_cookies() if c["name"] == "calvault_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] in ("Lax", "Strict")
    nav = browser.d.find_element(By.CSS_SELECTOR, "nav[aria-label=Main]").text
    for name in ("Calendars", "History", "Devices", "Sharing", "Administration"):
        assert name in nav, nav
    # Security headers on every page.
    r = server.request("GET", "/web/signin", auth=None)
    csp = r.header("content-security-policy")
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_the_session_cookie_is_never_accepted_for_caldav(server, browser):
    r = server.request("PROPFIND", HOME, auth=None,
                       headers={"Depth": "1", "Cookie": browser.cookie_header()})
    assert r.status == 401, r


def test_a_calendar_created_in_the_browser_is_seen_over_caldav(server, browser):
    browser.go("/web/calendars")
    new = browser.section("New calendar")
    browser.fill("Name", "Work", new)
    browser.fill("Colour", "#d9480f", new)
    browser.click("Create", new)
    assert "Created the calendar" in browser.flash()
    assert WORK in hrefs(server, HOME)
    r = server.request("PROPFIND", WORK, headers={"Depth": "0"}, body=(
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:a="http://apple.com/ns/ical/">'
        "<d:prop><d:displayname/><a:calendar-color/></d:prop></d:propfind>"))
    assert ">Work<" in r.text and "#d9480f" in r.text, r
    browser.look("calendars")
    browser.look("calendars-phone", width=390)


def test_an_event_created_in_the_browser_is_read_over_caldav(server, browser):
    browser.go("/web/calendar?c=work")
    browser.follow(browser.link("New event"))
    day = (monday_this_week() + dt.timedelta(days=2)).isoformat()
    browser.fill("Title", "Dentist")
    browser.fill("Start date", day)
    browser.fill("Start time", "14:00")
    browser.fill("End date", day)
    browser.fill("End time", "15:00")
    browser.fill("Time zone", "Europe/Berlin")
    browser.fill("Location", "Main Street 1")
    browser.look("event-new")
    browser.click("Create")
    assert "Saved" in browser.flash()
    assert "Dentist" in browser.body_text()
    objects = [h for h in hrefs(server, WORK) if h.endswith(".ics")]
    assert len(objects) == 1, objects
    r = server.request("GET", objects[0])
    assert r.status == 200
    assert "SUMMARY:Dentist\r\n" in r.text
    assert f"DTSTART;TZID=Europe/Berlin:{day.replace('-', '')}T140000" in r.text
    assert "BEGIN:VTIMEZONE" in r.text and "LOCATION:Main Street 1" in r.text
    # The history records the write as made by the web interface.
    browser.go("/web/history?c=work")
    row = browser.d.find_element(By.XPATH, "//tr[.//a[normalize-space()='Dentist']]")
    assert "web" in row.text and USER in row.text


def test_an_event_edited_in_the_browser_keeps_its_uid(server, browser):
    browser.go("/web/calendar?c=work&view=week&date=" + monday_this_week().isoformat())
    browser.follow(browser.d.find_element(By.XPATH, "//a[contains(@class,'chip')][contains(., 'Dentist')]"))
    assert browser.field("Title").get_attribute("value") == "Dentist"
    browser.look("event-edit")
    browser.fill("Title", "Dentist (moved)")
    browser.click("Save")
    assert "Saved" in browser.flash()
    objects = [h for h in hrefs(server, WORK) if h.endswith(".ics")]
    assert len(objects) == 1
    r = server.request("GET", objects[0])
    assert "SUMMARY:Dentist (moved)" in r.text and "SEQUENCE:1" in r.text


def test_the_event_history_shows_the_summary_diff_of_the_edit(server, browser):
    browser.go("/web/calendar?c=work&view=week&date=" + monday_this_week().isoformat())
    browser.follow(browser.d.find_element(
        By.XPATH, "//a[contains(@class,'chip')][contains(., 'Dentist (moved)')]"))
    browser.follow(browser.link("History of this event"))
    name = [h for h in hrefs(server, WORK) if h.endswith(".ics")][0].rsplit("/", 1)[1]
    url = urllib.parse.urlsplit(browser.path)
    assert url.path == "/web/history", browser.path
    assert urllib.parse.parse_qs(url.query) == {"c": ["work"], "o": [name]}, browser.path
    assert browser.d.find_element(By.TAG_NAME, "h1").text == "History of Dentist (moved)"
    rows = browser.d.find_elements(By.CSS_SELECTOR, "table.history tbody tr")
    # Only this event's changes (not "Calendar created"), newest first.
    actions = [r.find_element(By.TAG_NAME, "strong").text for r in rows]
    assert actions == ["Changed", "Created"], actions
    diff = rows[0].find_element(By.CSS_SELECTOR, "pre.diff").text
    assert "VEVENT SUMMARY:\n  - SUMMARY:Dentist\n  + SUMMARY:Dentist (moved)" in diff, diff
    assert "LOCATION" not in diff and "DTSTART" not in diff, "what did not change is not shown"
    assert not rows[1].find_elements(By.CSS_SELECTOR, "pre.diff"), "a creation has no diff"
    browser.look("history-event")


def test_times_show_in_the_time_zone_the_user_chooses(server, browser):
    week = "/web/calendar?c=work&view=week&date=" + monday_this_week().isoformat()
    browser.go(week)
    chip = browser.d.find_element(By.XPATH, "//a[contains(@class,'chip')][contains(., 'Dentist')]")
    assert "13:00 – 14:00" in chip.text, "14:00 in Berlin is 13:00 UTC"
    for zone, shown in (("Europe/Berlin", "14:00 – 15:00"), ("UTC", "13:00 – 14:00")):
        browser.go("/web/account")
        browser.fill("Time zone", zone)
        browser.click("Save")
        assert zone in browser.flash()
        browser.go(week)
        assert f"times in {zone}" in browser.body_text()
        chip = browser.d.find_element(By.XPATH, "//a[contains(@class,'chip')][contains(., 'Dentist')]")
        assert shown in chip.text, chip.text


def test_a_recurring_event_made_over_caldav_shows_its_recurrences_in_the_week(server, browser):
    monday = monday_this_week()
    start = monday.strftime("%Y%m%d") + "T080000Z"
    body = event("standup-1", "Standup", start, "RRULE:FREQ=DAILY;COUNT=5\r\n")
    r = server.request("PUT", WORK + "standup.ics", body=body,
                       headers={"Content-Type": "text/calendar", "User-Agent": "DAVx5/4.4"})
    assert r.status == 201, r
    browser.go(f"/web/calendar?c=work&view=week&date={monday.isoformat()}")
    chips = browser.d.find_elements(By.XPATH, "//a[contains(@class,'chip')][contains(., 'Standup')]")
    assert len(chips) == 5, browser.body_text()
    days = browser.d.find_elements(By.CSS_SELECTOR, ".week .day")
    assert [("Standup" in d.text) for d in days] == [True] * 5 + [False] * 2
    browser.look("calendar-week")
    browser.go(f"/web/calendar?c=work&view=month&date={monday.isoformat()}")
    assert len(browser.d.find_elements(By.XPATH, "//a[contains(., 'Standup')]")) >= 5
    browser.look("calendar-month")
    browser.go(f"/web/calendar?c=work&view=agenda&date={monday.isoformat()}")
    browser.look("calendar-agenda")


def test_a_summary_with_markup_stays_text(server, browser):
    evil = "<script>window.__xss=1</script><img src=x onerror=window.__xss=2>"
    start = (monday_this_week() + dt.timedelta(days=3)).strftime("%Y%m%d") + "T120000Z"
    r = server.request("PUT", WORK + "xss.ics", body=event("xss-1", evil, start),
                       headers={"Content-Type": "text/calendar"})
    assert r.status == 201, r
    for path in (f"/web/calendar?c=work&view=agenda&date={monday_this_week().isoformat()}",
                 "/web/history?c=work"):
        browser.go(path)
        assert evil in browser.body_text()
        assert browser.d.execute_script("return window.__xss === undefined")
        assert not browser.d.find_elements(By.XPATH, "//img[@src='x']")
    r = server.request("DELETE", WORK + "xss.ics")
    assert r.status == 204, r


def test_tasks_made_over_caldav_are_listed_with_their_due_dates(server, browser):
    todo = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//web//EN\r\n"
            "BEGIN:VTODO\r\nUID:todo-1\r\nDTSTAMP:20260101T000000Z\r\nDUE:20261215T170000Z\r\n"
            "SUMMARY:File the report\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
    assert server.request("PUT", WORK + "todo.ics", body=todo,
                          headers={"Content-Type": "text/calendar"}).status == 201
    browser.go("/web/calendar?c=work")
    tasks = browser.section("Tasks")
    assert "File the report" in tasks.text and "Tue 15 Dec 2026, 17:00" in tasks.text, tasks.text
    assert server.request("DELETE", WORK + "todo.ics").status == 204


def test_an_event_deleted_over_caldav_is_undone_from_history_byte_for_byte(server, browser):
    before = server.request("GET", WORK + "standup.ics")
    assert before.status == 200
    r = server.request("DELETE", WORK + "standup.ics", headers={"User-Agent": "DAVx5/4.4"})
    assert r.status == 204
    browser.go("/web/history?c=work")
    browser.look("history")
    row = browser.d.find_element(
        By.XPATH, "//tr[.//strong[normalize-space()='Deleted']][.//a[normalize-space()='Standup']]")
    assert "DAVx5" in row.text
    browser.click("Undo", row)
    assert "Done: 1 written" in browser.flash(), browser.flash()
    after = server.request("GET", WORK + "standup.ics")
    assert after.status == 200
    assert after.body == before.body


def test_a_deleted_event_comes_back_from_recently_deleted(server, browser):
    before = server.request("GET", WORK + "standup.ics")
    assert server.request("DELETE", WORK + "standup.ics").status == 204
    browser.go("/web/history?c=work")
    deleted = browser.section("Recently deleted")
    browser.click("Restore", deleted)
    assert "Done: 1 written" in browser.flash()
    assert server.request("GET", WORK + "standup.ics").body == before.body


def test_a_calendar_is_rolled_back_from_the_preview(server, browser):
    browser.go("/web/history?c=work")
    # The newest change now is the last restore: the calendar as it is.
    first_row = browser.d.find_element(By.CSS_SELECTOR, "table.history tbody tr")
    point = browser.link("Restore calendar to this point", first_row).get_attribute("href")
    time.sleep(0.05)
    later = event("later-1", "Added later", monday_this_week().strftime("%Y%m%d") + "T160000Z")
    assert server.request("PUT", WORK + "later.ics", body=later,
                          headers={"Content-Type": "text/calendar"}).status == 201
    changed = server.request("GET", WORK + "standup.ics").body.replace(b"Standup", b"Standup (changed)")
    assert server.request("PUT", WORK + "standup.ics", body=changed,
                          headers={"Content-Type": "text/calendar"}).status == 204
    browser.d.get(point)
    text = browser.body_text()
    assert "Preview" in text and "later.ics" in text and "Standup" in text, text
    browser.look("history-rollback-preview")
    # Nothing changed yet.
    assert server.request("GET", WORK + "later.ics").status == 200
    browser.click("Confirm")
    assert "Done: 2 written" in browser.flash(), browser.flash()
    assert server.request("GET", WORK + "later.ics").status == 404
    assert b"Standup (changed)" not in server.request("GET", WORK + "standup.ics").body


def test_undo_everything_an_app_did_since(server, browser):
    since = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    bad = event("rogue-1", "Rogue", monday_this_week().strftime("%Y%m%d") + "T170000Z")
    assert server.request("PUT", WORK + "rogue.ics", body=bad,
                          headers={"Content-Type": "text/calendar", "User-Agent": "RogueSync/1.0"}).status == 201
    browser.go("/web/history?c=work")
    form = browser.section("Undo everything this app did since…")
    browser.fill("App or device", "RogueSync/1.0", form)
    browser.fill("Since", since, form)
    browser.click("Preview", form)
    assert "rogue.ics" in browser.body_text()
    browser.click("Confirm")
    assert "Done: 1 written" in browser.flash()
    assert server.request("GET", WORK + "rogue.ics").status == 404
    assert server.request("GET", WORK + "standup.ics").status == 200


def test_an_event_deleted_from_its_page_is_gone_and_history_undoes_it(server, browser):
    day = (monday_this_week() + dt.timedelta(days=30)).strftime("%Y%m%d")
    r = server.request("PUT", WORK + "haircut.ics", body=event("haircut-1", "Haircut", day + "T100000Z"),
                       headers={"Content-Type": "text/calendar"})
    assert r.status == 201, r
    before = server.request("GET", WORK + "haircut.ics")
    browser.go("/web/event?c=work&o=haircut.ics")
    assert browser.field("Title").get_attribute("value") == "Haircut"
    browser.click("Delete")
    assert browser.flash() == "Deleted. History can undo it.", browser.flash()
    assert browser.path.startswith("/web/calendar?c=work"), browser.path
    assert server.request("GET", WORK + "haircut.ics").status == 404
    browser.go("/web/history?c=work")
    row = browser.d.find_element(
        By.XPATH, "//tr[.//strong[normalize-space()='Deleted']][.//a[normalize-space()='Haircut']]")
    cells = row.find_elements(By.TAG_NAME, "td")
    assert cells[1].text == USER and cells[2].text == "web", [c.text for c in cells]
    assert "Haircut" in browser.section("Recently deleted").text
    browser.click("Undo", row)
    assert "Done: 1 written" in browser.flash(), browser.flash()
    after = server.request("GET", WORK + "haircut.ics")
    assert after.status == 200 and after.body == before.body
    assert "Haircut" not in browser.section("Recently deleted").text


def test_import_a_file_and_export_it(server, browser, tmp_path):
    ics = tmp_path / "holidays.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nMETHOD:PUBLISH\r\n"
        "BEGIN:VEVENT\r\nUID:imp-1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261224\r\nSUMMARY:Christmas Eve\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:imp-2\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261231\r\nSUMMARY:New Year's Eve\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:No UID\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:imp-bad\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:2026\r\nSUMMARY:Broken date\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n", newline="")
    browser.go("/web/import")
    browser.look("import-export")
    browser.field("Files").send_keys(str(ics))
    browser.fill("Into calendar", "")
    browser.fill("New calendar name", "Holidays")
    browser.click("Import")
    text = browser.body_text()
    # The event without a UID gets one made from its content (dav::calendars::import), so
    # importing the file again finds it too; the one with a broken date is refused by name.
    assert "3 created, 0 skipped, 1 failed." in text, text
    assert "imp-bad" in text
    browser.look("import-result")
    assert f"{HOME}holidays/" in hrefs(server, HOME)
    # Importing it again skips all three.
    browser.go("/web/import")
    browser.field("Files").send_keys(str(ics))
    browser.fill("Into calendar", "holidays")
    browser.click("Import")
    assert "0 created, 3 skipped" in browser.body_text()
    r = server.request("GET", "/web/export?c=holidays", auth=None,
                       headers={"Cookie": browser.cookie_header()})
    assert r.status == 200 and r.header("content-type").startswith("text/calendar")
    assert "attachment" in r.header("content-disposition")
    assert r.text.count("BEGIN:VEVENT") == 3 and "UID:imp-1" in r.text and "UID:imp-2" in r.text
    assert "SUMMARY:No UID" in r.text and "UID:calvault-" in r.text
    assert "METHOD" not in r.text and "X-WR-CALNAME:Holidays" in r.text


def test_an_app_password_works_over_caldav_until_it_is_revoked(server, browser):
    browser.go("/web/devices")
    new = browser.section("New app password")
    browser.fill("Label", "Ann's phone", new)
    browser.click("Create", new)
    secret = browser.d.find_element(By.ID, "secret").text.strip()
    assert secret.startswith("cv1-"), secret
    assert browser.d.find_elements(By.CSS_SELECTOR, ".qr svg")
    for client in ("Apple", "DAVx5", "Thunderbird", "Evolution"):
        assert client in browser.body_text()
    browser.look("devices-new-password")
    r = server.request("PROPFIND", HOME, headers={"Depth": "1"}, auth=(USER, secret))
    assert r.status == 207, r
    # Its use is recorded in the background: give it a moment to show as last used.
    deadline = time.monotonic() + 5
    while True:
        browser.go("/web/devices")
        row = browser.d.find_element(By.XPATH, "//tr[td[normalize-space()=\"Ann's phone\"]]")
        if "never" not in row.text or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert "never" not in row.text, "its use shows as last used"
    browser.look("devices")
    browser.click("Revoke", row)
    assert "Revoked" in browser.flash()
    r = server.request("PROPFIND", HOME, headers={"Depth": "1"}, auth=(USER, secret))
    assert r.status == 401, r


def test_the_apple_profile_carries_server_user_and_a_new_password(server, browser):
    r = server.request("POST", "/web/devices/profile", auth=None,
                       body=urllib.parse.urlencode({"csrf": browser.csrf(), "label": "Ann's Mac"}),
                       headers={"Cookie": browser.cookie_header(),
                                "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 200 and "x-apple-aspen-config" in r.header("content-type")
    password = re.search(r"<key>CalDAVPassword</key><string>([^<]+)</string>", r.text).group(1)
    assert "<string>127.0.0.1</string>" in r.text and f"<string>{USER}</string>" in r.text
    assert server.request("PROPFIND", HOME, headers={"Depth": "0"}, auth=(USER, password)).status == 207


def test_a_post_without_the_csrf_token_is_refused(server, browser):
    cookie = browser.cookie_header()
    form = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    r = server.request("POST", "/web/calendars", auth=None, body="name=Evil&events=on", headers=form)
    assert r.status == 403, r
    r = server.request("POST", "/web/calendars", auth=None,
                       body="name=Evil&events=on&csrf=forged", headers=form)
    assert r.status == 403, r
    assert f"{HOME}evil/" not in hrefs(server, HOME)
    # /api/ takes the session cookie only with the CSRF header.
    browser.go("/web/calendars")
    r = server.request("GET", "/api/history?calendar=work", auth=None, headers={"Cookie": cookie})
    assert r.status == 403, r
    r = server.request("GET", "/api/history?calendar=work", auth=None,
                       headers={"Cookie": cookie, "X-CSRF-Token": browser.csrf()})
    assert r.status == 200 and r.text.startswith("["), r
    # The same form posted by another page, without the token.
    browser.d.execute_script(
        "const f = document.createElement('form'); f.method = 'post'; f.action = '/web/calendars';"
        "const i = document.createElement('input'); i.name = 'name'; i.value = 'Evil'; f.appendChild(i);"
        "document.body.appendChild(f); f.submit();")
    WebDriverWait(browser.d, 15).until(
        lambda d: "did not come from this calvault page" in d.find_element(By.TAG_NAME, "body").text)
    browser.look("error-csrf")


def test_a_deleted_calendar_comes_back_from_recently_deleted(server, browser):
    before = server.request("GET", WORK + "standup.ics").body
    browser.go("/web/calendars")
    row = browser.d.find_element(By.XPATH, "//tr[.//a[normalize-space()='Work']]")
    browser.click("Delete", row)
    assert "Recently deleted" in browser.flash()
    assert WORK not in hrefs(server, HOME)
    deleted = browser.section("Recently deleted")
    assert "work" in deleted.text
    browser.look("calendars-recently-deleted")
    browser.click("Restore", deleted)
    assert "Restored" in browser.flash(), browser.flash()
    assert server.request("GET", WORK + "standup.ics").body == before


def test_the_other_pages_look_right(server, browser):
    browser.go("/web/account")
    browser.look("account")
    # Dark, as the system asks for it: the same pages, readable (axe checks the contrast).
    dark = [{"name": "prefers-color-scheme", "value": "dark"}]
    browser.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": dark})
    try:
        assert browser.d.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
        browser.go("/web/calendar?c=work&view=week&date=" + monday_this_week().isoformat())
        browser.look("calendar-week-dark")
        browser.go("/web/history?c=work")
        browser.look("history-dark")
    finally:
        browser.d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    browser.go("/web/admin")
    text = browser.body_text()
    store = "PostgreSQL" if os.environ.get("CALVAULT_DATABASE") else "SQLite"
    assert "Server status" in text and store in text and "History verification" in text
    browser.click("Verify now")
    assert "History verified" in browser.flash(), browser.flash()
    assert "Intact" in browser.section("Server status").text
    browser.look("administration")


def test_an_administrator_adds_a_user_who_can_sign_in_over_caldav(server, browser):
    browser.go("/web/admin")
    add = browser.section("Add user")
    browser.fill("User name", "bob", add)
    browser.fill("Password", "bobs password", add)
    browser.click("Create", add)
    assert "Added bob" in browser.flash(), browser.flash()
    r = server.request("PROPFIND", "/dav/calendars/bob/", headers={"Depth": "1"},
                       auth=("bob", "bobs password"))
    assert r.status == 207, r


BOB = ("bob", "bobs password")
BOB_HOME = "/dav/calendars/bob/"
# Where ann's Work shows in bob's home while it is shared with him (store::rules::sharing).
BOB_WORK = BOB_HOME + "ann-work/"


def grant_access(browser, heading: str, who: str) -> str | None:
    """The Access cell of `who`'s row in the sharing card `heading`, None without one."""
    rows = browser.section(heading).find_elements(
        By.XPATH, f".//tbody/tr[td[1][normalize-space()='{who}']]")
    return rows[0].find_elements(By.TAG_NAME, "td")[1].text if rows else None


def share(browser, heading: str, who: str, access: str | None = None):
    card = browser.section(heading)
    browser.fill("User or group", who, card)
    if access:
        browser.fill("Access", access, card)
    browser.click("Share", card)


def test_a_calendar_shared_read_only_is_seen_by_the_sharee(server, browser, second_browser):
    browser.go("/web/sharing")
    assert "Only you." in browser.section("Work").text
    assert "Nothing yet" in browser.section("Shared with me").text
    share(browser, "Work", "bob", "read")
    assert browser.flash() == "Shared \u201cWork\u201d with bob: Read.", browser.flash()
    assert grant_access(browser, "Work", "bob") == "Read"
    browser.look("sharing")
    browser.look("sharing-phone", width=390)
    # bob, in his own browser: on his Sharing and Calendars pages, and in his calendar apps.
    bob = second_browser
    bob.sign_in(*BOB)
    bob.go("/web/sharing")
    mine = bob.section("Shared with me")
    row = mine.find_element(By.XPATH, ".//tbody/tr[td[1][normalize-space()='Work']]")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[1:3] == ["ann", "Read"] and BOB_WORK in cells[3], cells
    bob.look("sharing-shared-with-me")
    bob.go("/web/calendars")
    theirs = bob.section("Shared with you")
    row = theirs.find_element(By.XPATH, ".//tbody/tr[td[1][contains(., 'Work')]]")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert "Shared" in cells[0] and cells[1:3] == ["ann", "Read"], cells
    bob.look("calendars-shared-with-you")
    assert BOB_WORK in hrefs_as(server, BOB_HOME, BOB)
    r = server.request("GET", BOB_WORK + "standup.ics", auth=BOB)
    assert r.status == 200 and b"UID:" in r.body, r
    r = server.request("PUT", BOB_WORK + "bobs.ics", auth=BOB, headers={"If-None-Match": "*"},
                       body=event("bobs-1", "Bob was here", "20270105T090000Z"))
    assert r.status == 403 and "need-privileges" in r.text, r


def hrefs_as(server, path: str, auth) -> list[str]:
    r = server.request("PROPFIND", path, auth=auth, headers={"Depth": "1"}, body=(
        '<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:displayname/>'
        "</d:prop></d:propfind>"))
    assert r.status == 207, r
    return re.findall(r"<[^>]*href>([^<]+)</[^>]*href>", r.text)


def test_sharing_says_what_was_wrong(server, browser):
    browser.go("/web/sharing")
    share(browser, "Work", "nobody", "read")
    assert browser.d.find_elements(By.CSS_SELECTOR, ".flash.error"), browser.body_text()
    assert browser.flash().startswith("There is no user \u201cnobody\u201d"), browser.flash()
    share(browser, "Work", USER, "read-write")
    assert browser.flash().startswith("You cannot share with yourself"), browser.flash()
    share(browser, "Work", "@nosuchgroup", "read")
    assert browser.flash().startswith("There is no group \u201cnosuchgroup\u201d"), browser.flash()
    card = browser.section("Delegates")
    browser.fill("User name", USER, card)
    browser.click("Delegate", card)
    assert browser.flash().startswith("You cannot share with yourself"), browser.flash()
    browser.look("sharing-error")
    # Nothing changed: bob still reads only.
    assert grant_access(browser, "Work", "bob") == "Read"
    assert grant_access(browser, "Work", USER) is None
    assert "No delegates." in browser.section("Delegates").text
    # And a share posted without the page's token is refused.
    form = {"Cookie": browser.cookie_header(), "Content-Type": "application/x-www-form-urlencoded"}
    r = server.request("POST", "/web/sharing", auth=None, headers=form,
                       body="c=work&who=bob&access=admin")
    assert r.status == 403, r
    browser.go("/web/sharing")
    assert grant_access(browser, "Work", "bob") == "Read"


def test_read_write_lets_the_sharee_write_and_remove_takes_it_back(server, browser, second_browser):
    browser.go("/web/sharing")
    share(browser, "Work", "bob", "read-write")
    assert browser.flash() == "Shared \u201cWork\u201d with bob: Read and write.", browser.flash()
    assert grant_access(browser, "Work", "bob") == "Read and write"
    r = server.request("PUT", BOB_WORK + "bobs.ics", auth=BOB, headers={"If-None-Match": "*"},
                       body=event("bobs-1", "Bob was here", "20270105T090000Z"))
    assert r.status == 201, r
    assert b"Bob was here" in server.request("GET", WORK + "bobs.ics").body
    second_browser.go("/web/sharing")
    assert "Read and write" in second_browser.section("Shared with me").text
    row = browser.section("Work").find_element(By.XPATH, ".//tbody/tr[td[1][normalize-space()='bob']]")
    browser.click("Remove", row)
    assert browser.flash() == "bob no longer has access to \u201cWork\u201d.", browser.flash()
    assert "Only you." in browser.section("Work").text
    assert BOB_WORK not in hrefs_as(server, BOB_HOME, BOB)
    assert server.request("GET", WORK + "bobs.ics", auth=BOB).status == 404
    second_browser.go("/web/sharing")
    assert "Nothing yet" in second_browser.section("Shared with me").text
    second_browser.go("/web/calendars")
    assert "Shared with you" not in second_browser.body_text()


def test_a_share_with_a_group_reaches_its_members(server, browser, second_browser):
    server.cli("group", "add", "family")
    server.cli("group", "member", "add", "family", "bob")
    browser.go("/web/sharing")
    share(browser, "Work", "@family", "read")
    assert browser.flash() == "Shared \u201cWork\u201d with @family: Read.", browser.flash()
    assert grant_access(browser, "Work", "@family") == "Read"
    second_browser.go("/web/sharing")
    assert "Work" in second_browser.section("Shared with me").text
    assert server.request("GET", WORK + "standup.ics", auth=BOB).status == 200
    row = browser.section("Work").find_element(By.XPATH, ".//tbody/tr[td[1][normalize-space()='@family']]")
    browser.click("Remove", row)
    assert "@family no longer has access" in browser.flash(), browser.flash()
    assert server.request("GET", WORK + "standup.ics", auth=BOB).status == 404


def test_a_delegate_reaches_every_calendar_until_removed(server, browser, second_browser):
    browser.go("/web/sharing")
    card = browser.section("Delegates")
    browser.fill("User name", "bob", card)
    browser.fill("Access", "read-write", card)
    browser.click("Delegate", card)
    assert browser.flash() == "bob is your delegate now: they may read and change all your calendars.", \
        browser.flash()
    assert grant_access(browser, "Delegates", "bob") == "Read and write"
    assert WORK in hrefs_as(server, HOME, BOB)
    r = server.request("PUT", WORK + "delegated.ics", auth=BOB, headers={"If-None-Match": "*"},
                       body=event("delegated-1", "Booked by bob", "20270106T090000Z"))
    assert r.status == 201, r
    bob = second_browser
    bob.go("/web/sharing")
    assert "All calendars (as a delegate)" in bob.section("Shared with me").text
    bob.go("/web/calendars")
    row = bob.section("Shared with you").find_element(By.XPATH, ".//tbody/tr[td[1][contains(., 'Work')]]")
    assert "Delegated" in row.text and "ann" in row.text, row.text
    browser.look("sharing-delegates")
    row = browser.section("Delegates").find_element(By.XPATH, ".//tbody/tr[td[1][normalize-space()='bob']]")
    browser.click("Remove", row)
    assert browser.flash() == "bob no longer has access to all your calendars.", browser.flash()
    assert "No delegates." in browser.section("Delegates").text
    r = server.request("PROPFIND", HOME, auth=BOB, headers={"Depth": "0"})
    assert r.status == 404, r
    # Free/busy of all calendars: bob may ask when ann is busy, and sees no calendar.
    share(browser, "Free/busy of all calendars", "bob")
    assert "bob may see when you are busy" in browser.flash(), browser.flash()
    assert grant_access(browser, "Free/busy of all calendars", "bob") == "Free/busy only"
    bob.go("/web/sharing")
    assert "Free/busy only" in bob.section("Shared with me").text
    bob.go("/web/calendars")
    assert "Shared with you" not in bob.body_text()
    row = browser.section("Free/busy of all calendars").find_element(
        By.XPATH, ".//tbody/tr[td[1][normalize-space()='bob']]")
    browser.click("Remove", row)
    assert "Nobody sees your free/busy." in browser.section("Free/busy of all calendars").text


def test_change_password_and_sign_out(server, browser):
    browser.go("/web/account")
    browser.fill("Current password", PASSWORD)
    browser.fill("New password", PASSWORD + "!")
    browser.fill("Repeat new password", PASSWORD + "!")
    browser.click("Change password")
    assert "Password changed" in browser.flash()
    assert server.request("PROPFIND", HOME, headers={"Depth": "0"},
                          auth=(USER, PASSWORD + "!")).status == 207
    cookie = browser.cookie_header()
    browser.click("Sign out")
    assert browser.path == "/web/signin"
    r = server.request("GET", "/web/calendars", auth=None, headers={"Cookie": cookie})
    assert r.status == 303 and r.header("location") == "/web/signin"
