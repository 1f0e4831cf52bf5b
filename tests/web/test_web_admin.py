"""Administration in a real headless Chromium, against the real binary on 127.0.0.1 (issue
25, "Administration"): a user who is not an administrator has no "Administration" in the
navigation and is refused the page and its forms (403); the server status shows the backup
tool's last request; an administrator disables an account (its browser session ends, its
password is refused in the browser and over CalDAV) and enables it again, cannot disable
their own account, changes an account's quota, which the next PUT is held to, and resets a
password (the old one is refused, the new one signs in); and a calendar shared with a user
opens read only from their Calendars page, while free/busy alone opens nothing. Each page is
screenshotted and checked with axe-core. The tests run in order and share the browsers of
the module."""

from __future__ import annotations

import datetime as dt
import urllib.parse

from selenium.webdriver.common.by import By

from conftest import PASSWORD, USER

CARL = ("carl", "carls password")


def event(uid: str, summary: str, start: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//calvault tests//web//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\n"
            f"DURATION:PT30M\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def user_row(browser, name: str):
    """The Users table's row of `name`, its "Manage" details opened."""
    row = browser.section("Users").find_element(
        By.XPATH, f".//tbody/tr[td[1]/strong[normalize-space()='{name}']]")
    details = row.find_element(By.CSS_SELECTOR, "details.edit")
    if details.get_attribute("open") is None:
        details.find_element(By.TAG_NAME, "summary").click()
    return row


def caldav_status(server, auth) -> int:
    return server.request("PROPFIND", f"/dav/calendars/{auth[0]}/", headers={"Depth": "0"},
                          auth=auth).status


def test_an_administrator_adds_carl_who_signs_in(server, browser, second_browser):
    browser.sign_in(USER, PASSWORD)
    browser.go("/web/admin")
    add = browser.section("Add user")
    browser.fill("User name", CARL[0], add)
    browser.fill("Password", CARL[1], add)
    browser.click("Create", add)
    assert "Added carl" in browser.flash(), browser.flash()
    assert caldav_status(server, CARL) == 207
    second_browser.sign_in(*CARL)


def test_a_user_who_is_not_an_administrator_gets_no_administration(server, browser,
                                                                   second_browser):
    carl = second_browser
    carl.go("/web/calendars")
    nav = carl.d.find_element(By.CSS_SELECTOR, "nav[aria-label=Main]")
    assert "Calendars" in nav.text and "Administration" not in nav.text, nav.text
    assert not carl.d.find_elements(By.CSS_SELECTOR, "a[href='/web/admin']")
    csrf = carl.csrf()
    carl.go("/web/admin")
    text = carl.body_text()
    assert "Forbidden" in text, text
    assert "Only an administrator may see this page" in text, text
    assert "Server status" not in text and "Add user" not in text, text
    carl.look("administration-refused")
    cookie = {"Cookie": carl.cookie_header()}
    r = server.request("GET", "/web/admin", auth=None, headers=cookie)
    assert r.status == 403 and "Only an administrator may see this page" in r.text, r
    # Nor do the forms work for him, with his own valid token: ann's password stays.
    r = server.request("POST", "/web/admin/password", auth=None, body=urllib.parse.urlencode(
        {"csrf": csrf, "user": USER, "password": "carl was here"}),
        headers={**cookie, "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 403 and "Only an administrator" in r.text, r
    assert caldav_status(server, (USER, "carl was here")) == 401
    assert caldav_status(server, (USER, PASSWORD)) == 207
    # ann, an administrator, has the link.
    browser.go("/web/calendars")
    assert browser.link("Administration").get_attribute("href").endswith("/web/admin")


def last_backup(browser) -> str:
    browser.go("/web/admin")
    return browser.section("Server status").find_element(
        By.XPATH, ".//dt[normalize-space()='Last backup']/following-sibling::dd[1]").text


def test_the_status_shows_the_backup_tools_last_request(server, browser):
    assert last_backup(browser).startswith("None since the server started."), last_backup(browser)
    agent = {"User-Agent": "calvault-backup/0.0-test", "Depth": "0"}
    # Another client, and the tool with a wrong password, are no backup.
    assert server.request("PROPFIND", "/dav/calendars/carl/", auth=CARL,
                          headers={"User-Agent": "DAVx5/4.4", "Depth": "0"}).status == 207
    assert server.request("PROPFIND", "/dav/calendars/carl/", auth=(CARL[0], "wrong"),
                          headers=agent).status == 401
    assert last_backup(browser).startswith("None since the server started.")
    assert server.request("PROPFIND", "/dav/calendars/carl/", auth=CARL,
                          headers=agent).status == 207
    text = last_backup(browser)
    year = dt.datetime.now(dt.timezone.utc).year
    assert text.startswith("Last backup seen by this server: "), text
    assert str(year) in text, text
    assert text.endswith(", by carl with calvault-backup/0.0-test (since the server started)."), text
    browser.look("administration-backup")


def test_a_disabled_account_is_signed_out_and_refused_until_enabled(server, browser,
                                                                    second_browser):
    browser.go("/web/admin")
    browser.click("Disable", user_row(browser, "carl"))
    assert browser.flash().startswith("carl is disabled"), browser.flash()
    row = user_row(browser, "carl")
    assert "Disabled" in row.find_element(By.XPATH, "./td[1]").text
    assert browser.button("Enable", row)
    browser.look("administration-disabled")
    assert "disabled" in server.cli("user", "list").split("carl", 1)[1].splitlines()[0]
    # carl's open session ended; his password is refused in the browser and over CalDAV.
    second_browser.go("/web/calendars")
    assert second_browser.path == "/web/signin", second_browser.path
    second_browser.fill("User name", CARL[0])
    second_browser.fill("Password", CARL[1])
    second_browser.click("Sign in")
    assert second_browser.path.startswith("/web/signin"), second_browser.path
    assert caldav_status(server, CARL) == 401

    browser.click("Enable", user_row(browser, "carl"))
    assert browser.flash() == "carl is enabled again and can sign in.", browser.flash()
    assert caldav_status(server, CARL) == 207
    second_browser.sign_in(*CARL)


def test_an_administrator_cannot_disable_their_own_account(server, browser):
    browser.go("/web/admin")
    mine = user_row(browser, "ann")
    assert "You cannot disable your own account." in mine.text
    assert not mine.find_elements(By.XPATH, ".//button[normalize-space()='Disable']")
    # Even a hand-made form is refused, with the reason.
    body = urllib.parse.urlencode({"csrf": browser.csrf(), "user": "ann", "disabled": "on"})
    r = server.request("POST", "/web/admin/state", body=body, auth=None, headers={
        "Cookie": browser.cookie_header(),
        "Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 303, r
    browser.go("/web/admin")
    assert browser.flash().startswith("You cannot disable your own account"), browser.flash()
    assert caldav_status(server, (USER, PASSWORD)) == 207


def test_a_quota_changed_on_the_page_holds_the_next_put(server, browser):
    big = event("carl-big", "x" * 1500, "20270105T090000Z")
    browser.go("/web/admin")
    row = user_row(browser, "carl")
    browser.fill("Quota", "1 kB", row)
    browser.click("Save", row)
    assert browser.flash() == "The quota of carl is now 1 kB.", browser.flash()
    assert user_row(browser, "carl").find_element(By.XPATH, "./td[3]").text.startswith("1")
    r = server.request("PUT", "/dav/calendars/carl/calendar/big.ics", body=big, auth=CARL)
    assert r.status == 507 and "quota-not-exceeded" in r.text, r

    row = user_row(browser, "carl")
    browser.fill("Quota", "lots", row)
    browser.click("Save", row)
    assert '"lots" is not a size' in browser.flash(), browser.flash()

    row = user_row(browser, "carl")
    browser.fill("Quota", "5 MB", row)
    browser.click("Save", row)
    assert browser.flash() == "The quota of carl is now 5 MB.", browser.flash()
    assert browser.field("Quota", user_row(browser, "carl")).get_attribute("value") == "5 MB"
    browser.look("administration-quota")
    r = server.request("PUT", "/dav/calendars/carl/calendar/big.ics", body=big, auth=CARL)
    assert r.status == 201, r

    row = user_row(browser, "carl")
    browser.fill("Quota", "", row)
    browser.click("Save", row)
    assert browser.flash() == "carl has the server's default quota again.", browser.flash()
    assert "quota" not in server.cli("user", "list").split("carl", 1)[1].splitlines()[0]


def test_a_shared_calendar_opens_read_only_and_free_busy_opens_nothing(server, browser,
                                                                         second_browser):
    today = dt.datetime.now(dt.timezone.utc).date()
    monday = today - dt.timedelta(days=today.weekday())
    start = monday.strftime("%Y%m%d") + "T100000Z"
    r = server.request("PUT", "/dav/calendars/ann/calendar/review.ics",
                       body=event("ann-review", "Quarterly review", start))
    assert r.status == 201, r
    server.cli("share", "add", "ann/calendar", "carl", "--read")
    carl = second_browser
    carl.go("/web/calendars")
    row = carl.section("Shared with you").find_element(
        By.XPATH, ".//tbody/tr[td[1][contains(., 'Calendar')]]")
    carl.follow(carl.link("Open", row))
    text = carl.body_text()
    assert "Quarterly review" in text, text
    assert "shared by ann (Read), read only here" in text, text
    assert not carl.d.find_elements(By.XPATH, "//a[normalize-space()='New event']")
    assert not carl.d.find_elements(By.XPATH, "//a[contains(@href, '/web/event')]")
    carl.follow(carl.link("Month"))
    assert "Quarterly review" in carl.body_text()
    assert "owner=ann" in carl.path
    carl.look("calendar-shared-month")
    shared_view = carl.path

    # Free/busy alone: the calendar is no longer listed, and its page is not found.
    server.cli("share", "add", "ann/calendar", "carl", "--free-busy")
    carl.go("/web/calendars")
    assert not carl.d.find_elements(By.ID, "shared-with-you")
    carl.go(shared_view)
    assert "No calendar \"calendar\" of ann is shared with you." in carl.body_text()
    assert "Quarterly review" not in carl.body_text()
    # Nor may anyone open a calendar of someone who shares nothing with them.
    browser.go("/web/calendar?c=calendar&owner=carl")
    assert "No calendar \"calendar\" of carl is shared with you." in browser.body_text()


def test_a_password_reset_by_an_administrator_replaces_the_old_one(server, browser,
                                                                   second_browser):
    new = "carls new password"
    carl = second_browser
    carl.go("/web/calendars")
    assert carl.path == "/web/calendars", "carl is signed in before the reset"
    browser.go("/web/admin")
    row = user_row(browser, "carl")
    browser.fill("New password", new, row)
    browser.click("Reset password", row)
    assert browser.flash() == "New password set for carl; their browser sessions ended.", \
        browser.flash()
    # carl's open session ended with it.
    carl.go("/web/calendars")
    assert carl.path == "/web/signin", carl.path
    # The old password is refused, in the browser and over CalDAV; the new one works.
    carl.fill("User name", CARL[0])
    carl.fill("Password", CARL[1])
    carl.click("Sign in")
    assert carl.path.startswith("/web/signin"), carl.path
    assert "Wrong user name or password." in carl.body_text()
    assert caldav_status(server, CARL) == 401
    assert caldav_status(server, (CARL[0], new)) == 207
    carl.sign_in(CARL[0], new)
    # ann's own session is untouched by resetting someone else's password.
    browser.go("/web/admin")
    assert browser.path == "/web/admin"
