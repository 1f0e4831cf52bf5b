"""Fixtures for the web interface's browser tests (tests/web).

A module-scoped `calvault serve` on a free loopback port with a fresh data directory and the
administrator `ann`, and one headless Chromium (Debian's `chromium` and `chromium-driver`,
driven by PyPI `selenium`) with a fresh profile; the machine's network is closed, so every
background service of the browser is off. Helpers: `look(name)` saves a full-page
screenshot to $CALVAULT_WEB_SCREENSHOTS (default <repo>/target/web-screenshots) and runs
axe-core ($AXE_JS, the npm package's axe.min.js) on the page, failing on any serious or
critical violation. With $CALVAULT_DATABASE (a postgres:// URL) the server's store is in
PostgreSQL (the binary reads the variable itself); each test module gets a fresh database of
its own beside that one (tests/postgres.sh createdb), as each gets its own data directory.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from calvault_testlib import (  # noqa: E402
    Resp,
    calvault_binary,
    free_port,
    log_tail,
    stop_process,
    wait_until_answering,
)

ROOT = Path(__file__).resolve().parents[2]
USER = "ann"
PASSWORD = "correct horse battery"
SHOTS = Path(os.environ.get("CALVAULT_WEB_SCREENSHOTS") or ROOT / "target" / "web-screenshots")
AXE_JS = Path(os.environ.get("AXE_JS") or ROOT / "target" / "web-node" / "node_modules" / "axe-core" / "axe.min.js")


@dataclass
class Server:
    base: str
    host: str
    port: int
    log_path: Path
    binary: str
    data: Path
    env: dict

    def cli(self, *args: str) -> str:
        """Runs `calvault ARGS --data DATA` on the server's store (the command line works on
        it while the server runs; $CALVAULT_DATABASE reaches it as it reaches the server)."""
        done = subprocess.run([self.binary, *args, "--data", str(self.data)],
                              capture_output=True, text=True, timeout=60, env=self.env)
        assert done.returncode == 0, done.stderr
        return done.stdout

    def request(self, method, path, body=None, headers=None, auth=(USER, PASSWORD)) -> Resp:
        hdrs = dict(headers or {})
        if auth:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            hdrs["Authorization"] = "Basic " + token
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()


_SERVER: Server | None = None


def _module_env(module: str) -> dict:
    """The environment of a module's server and commands: under $CALVAULT_DATABASE, a fresh
    database named after it and the module, so that modules never see each other's accounts."""
    env = dict(os.environ)
    url = env.get("CALVAULT_DATABASE")
    if url:
        base, _, name = url.rstrip("/").rpartition("/")
        own = f"{name}_{module}".lower()[:63]
        made = subprocess.run([str(ROOT / "tests" / "postgres.sh"), "createdb", base, own],
                              capture_output=True, text=True, timeout=60)
        assert made.returncode == 0, made.stderr
        env["CALVAULT_DATABASE"] = made.stdout.strip()
    return env


@pytest.fixture(scope="module")
def server(request):
    global _SERVER
    binary = calvault_binary()
    env = _module_env(request.module.__name__.rpartition(".")[2])
    work = Path(tempfile.mkdtemp(prefix="calvault-web-"))
    data = work / "data"
    log_path = work / "server.log"
    logf = open(log_path, "ab")
    add = subprocess.run(
        [binary, "user", "add", USER, "--admin", "--password-stdin", "--data", str(data)],
        input=(PASSWORD + "\n").encode(), stdout=logf, stderr=logf, timeout=60, env=env,
    )
    assert add.returncode == 0, log_path.read_text(errors="replace")
    proc = None
    for _attempt in range(3):
        port = free_port()
        proc = subprocess.Popen(
            [binary, "serve", "--data", str(data), "--listen", f"127.0.0.1:{port}"],
            stdout=logf, stderr=logf, stdin=subprocess.DEVNULL, env=env,
        )
        if wait_until_answering("127.0.0.1", port, proc, time.monotonic() + 30):
            break
        stop_process(proc, grace=5)
        proc = None
    assert proc is not None, log_path.read_text(errors="replace")[-4000:]
    _SERVER = Server(f"http://127.0.0.1:{port}", "127.0.0.1", port, log_path, str(binary), data,
                     env)
    try:
        yield _SERVER
    finally:
        _SERVER = None
        stop_process(proc)
        logf.close()
        shutil.rmtree(work, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed and _SERVER is not None:
        rep.sections.append(("calvault server log (tail)", log_tail(_SERVER.log_path, 60)))


def _chromium_options(profile: str):
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--no-first-run", "--no-default-browser-check", "--disable-extensions",
              "--window-size=1280,900", "--lang=en-US", f"--user-data-dir={profile}"):
        opts.add_argument(a)
    return opts


def _chromium(server):
    """A fresh headless Chromium (its own profile, so its own cookies) on the server."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    profile = tempfile.mkdtemp(prefix="calvault-chromium-")
    # The pages show times in the browser's zone: keep it fixed.
    env = dict(os.environ, TZ="UTC")
    service = Service(executable_path=driver_path, env=env)
    driver = webdriver.Chrome(service=service, options=_chromium_options(profile))
    driver.set_page_load_timeout(30)
    try:
        yield Browser(driver, server)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def browser(server):
    yield from _chromium(server)


@pytest.fixture(scope="module")
def second_browser(server):
    """Another person's browser beside `browser` (a sharee signs in there)."""
    yield from _chromium(server)


class Browser:
    """The driver with what the tests do again and again, found by visible names."""

    def __init__(self, driver, server: Server):
        self.d = driver
        self.server = server

    def follow(self, element):
        """Clicks a link and waits for the page it leads to."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.d.find_element(By.TAG_NAME, "html")
        element.click()
        WebDriverWait(self.d, 15).until(ec.staleness_of(old))

    def go(self, path: str):
        self.d.get(self.server.base + path)

    @property
    def path(self) -> str:
        u = urllib.parse.urlsplit(self.d.current_url)
        return u.path + ("?" + u.query if u.query else "")

    def field(self, label: str, scope=None):
        """The form field whose <label> reads `label` (the label contract of the issue)."""
        from selenium.webdriver.common.by import By

        root = scope or self.d
        lab = root.find_element(By.XPATH, f".//label[normalize-space()={_xpath_text(label)}]")
        target = lab.get_attribute("for")
        if target:
            return self.d.find_element(By.ID, target)
        return lab.find_element(By.XPATH, ".//input")

    def fill(self, label: str, value: str, scope=None):
        el = self.field(label, scope)
        kind = el.get_attribute("type")
        if kind in ("date", "time", "datetime-local", "color"):
            # Chromium's date widgets take keys in the locale's order: set the value instead.
            self.d.execute_script("arguments[0].value = arguments[1];", el, value)
        elif el.tag_name == "select":
            from selenium.webdriver.support.ui import Select

            Select(el).select_by_value(value)
        else:
            el.clear()
            el.send_keys(value)

    def button(self, text: str, scope=None):
        from selenium.webdriver.common.by import By

        root = scope or self.d
        return root.find_element(By.XPATH, f".//button[normalize-space()={_xpath_text(text)}]")

    def click(self, text: str, scope=None):
        """Clicks a submit button and waits for the page it leads to."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.d.find_element(By.TAG_NAME, "html")
        self.button(text, scope).click()
        WebDriverWait(self.d, 15).until(_gone(old))

    def link(self, text: str, scope=None):
        from selenium.webdriver.common.by import By

        root = scope or self.d
        return root.find_element(By.XPATH, f".//a[normalize-space()={_xpath_text(text)}]")

    def section(self, heading: str):
        """The card whose heading reads `heading`."""
        from selenium.webdriver.common.by import By

        return self.d.find_element(
            By.XPATH, f"//section[.//*[self::h1 or self::h2][normalize-space()={_xpath_text(heading)}]]")

    def flash(self) -> str:
        from selenium.webdriver.common.by import By

        found = self.d.find_elements(By.CSS_SELECTOR, ".flash")
        return found[0].text if found else ""

    def body_text(self) -> str:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.TAG_NAME, "body").text

    def cookie_header(self) -> str:
        return "; ".join(f"{c['name']}={c['value']}" for c in self.d.get_cookies())

    def csrf(self) -> str:
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.CSS_SELECTOR, "meta[name=csrf-token]").get_attribute("content")

    def sign_in(self, user: str, password: str):
        self.go("/web/signin")
        self.fill("User name", user)
        self.fill("Password", password)
        self.click("Sign in")
        assert self.path == "/web/calendars", self.body_text()

    def look(self, name: str, width: int = 1280):
        """Saves a full-page screenshot and fails on serious or critical axe violations; a
        signed-in page must have "Sharing" in its navigation."""
        from selenium.webdriver.common.by import By

        for nav in self.d.find_elements(By.CSS_SELECTOR, "nav[aria-label=Main]"):
            assert "Sharing" in nav.text, f"{name}: no Sharing in the navigation: {nav.text}"
        SHOTS.mkdir(parents=True, exist_ok=True)
        height = self.d.execute_script(
            "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight);")
        self.d.set_window_size(width, min(max(int(height) + 120, 600), 5000))
        self.d.save_screenshot(str(SHOTS / f"{name}.png"))
        self.d.set_window_size(1280, 900)
        self.axe(name)

    def axe(self, name: str):
        if not AXE_JS.is_file():
            pytest.fail(f"axe-core not found at {AXE_JS} (npm install axe-core, or set AXE_JS)")
        self.d.execute_script(AXE_JS.read_text())
        result = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));")
        bad = [v for v in result if v.get("impact") in ("serious", "critical")]
        report = json.dumps([{"id": v["id"], "impact": v["impact"], "help": v["help"],
                              "nodes": [n.get("html", "")[:200] for n in v.get("nodes", [])[:5]]}
                             for v in bad], indent=2)
        assert not bad, f"axe-core on {name}: {report}"


def _gone(element):
    """A wait condition: `element` left the document (the page was replaced). Chromium
    sometimes says so with an "unknown error" (the node "does not belong to the document")
    instead of a stale element reference, while the old document is torn down."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

    def predicate(_driver):
        try:
            element.is_enabled()
            return False
        except StaleElementReferenceException:
            return True
        except WebDriverException as e:
            if "does not belong to the document" in str(e):
                return True
            raise

    return predicate


def _xpath_text(s: str) -> str:
    if "'" not in s:
        return f"'{s}'"
    return "concat('" + "', \"'\", '".join(s.split("'")) + "')"
