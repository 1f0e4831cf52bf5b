"""caldav-server-tester (PyPI, the python `caldav` project's own server checker) run against
calvault: its principal-search checks must find full support for each of the session's
users, as issue 22 asks ("caldav-server-tester fails its three principal-search checks").

The checks are `CheckPrincipalSearch`: `principal-search.by-name.self` (a search for one's
own display name finds one's principal), `principal-search.list-all` (a search without a
filter finds at least one principal) and `principal-search` (derived from the two). They go
through `DAVClient.search_principals()`, so they also hold calvault to what that library
sends and parses (dav::quirks::principal_search_props, principal_search_finds_users_only).

The tool is run as its users run it, `caldav-server-tester --caldav-url ... --run-checks
CheckPrincipalSearch --format hints`, whose output is a Python literal of every feature it
observed. It is installed by tests/run-all.sh (CALDAV_SERVER_TESTER_VERSION).

Run: python3 -m pytest -q tests/interop/test_caldav_server_tester.py
"""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys

import pytest

PRINCIPAL_SEARCH_FEATURES = ("principal-search", "principal-search.by-name.self", "principal-search.list-all")
TESTER_TIMEOUT = 120  # seconds for one run of the tool (it takes about one)


def run_principal_search_checks(server, user: str) -> dict:
    """The features caldav-server-tester observed as `user`, as {feature: {"support": ...}}."""
    if importlib.util.find_spec("caldav_server_tester") is None:
        pytest.fail("caldav-server-tester is not installed (tests/run-all.sh installs it: "
                    "pip install caldav-server-tester)")
    name, password = server.auth_of(user)
    r = subprocess.run(
        [sys.executable, "-m", "caldav_server_tester.caldav_server_tester",
         "--caldav-url", server.root_url, "--caldav-username", name, "--caldav-password", password,
         "--run-checks", "CheckPrincipalSearch", "--format", "hints"],
        capture_output=True, text=True, timeout=TESTER_TIMEOUT,
    )
    assert r.returncode == 0, f"caldav-server-tester failed ({r.returncode}):\n{r.stdout}{r.stderr}"
    try:
        return ast.literal_eval(r.stdout.strip())
    except (ValueError, SyntaxError):
        pytest.fail(f"caldav-server-tester printed no feature list:\n{r.stdout}{r.stderr}")


def assert_principal_search_passes(server, user: str) -> None:
    observed = run_principal_search_checks(server, user)
    verdicts = {f: observed.get(f, {}).get("support") for f in PRINCIPAL_SEARCH_FEATURES}
    assert verdicts == {f: "full" for f in PRINCIPAL_SEARCH_FEATURES}, \
        f"caldav-server-tester as {user}: {verdicts} (all it saw: {observed})"


@pytest.mark.parametrize("user", ["alice", "bob", "carol"])
def test_caldav_server_tester_principal_search_checks_pass(server, user):
    assert_principal_search_passes(server, user)


def test_caldav_server_tester_principal_search_checks_pass_for_members_of_a_group(server):
    """With alice and bob in a group and a calendar shared with it, their searches also see
    each other and the group principal, which python caldav must still be able to parse."""
    group = "testers"
    server.cli("group", "add", group, "--display-name", "The Testers")
    try:
        for member in ("alice", "bob"):
            server.cli("group", "member", "add", group, member)
        server.cli("share", "add", "alice/calendar", f"@{group}", "--read")
        for user in ("alice", "bob", "carol"):
            assert_principal_search_passes(server, user)
    finally:
        server.cli("share", "remove", "alice/calendar", f"@{group}", check=False)
        server.cli("group", "remove", group, check=False)
