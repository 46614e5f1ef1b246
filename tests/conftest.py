# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every suite shares: the tally of hostile and faulty inputs, and one headless chromium.

A test marked ``@pytest.mark.hostile`` feeds the collection something an attacker or bad luck
would (a wedged BMC, a credential echoed back, a host whose verdict cannot be read, a pool at
``/``); the end of each run says how many such inputs held.

The ``chromium`` fixture is Debian's chromium driven headless by Playwright, one per test
process, for the pages the tests open (the docs site, the fleet report).
"""

import shutil
import tempfile

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No network of its own: no QUIC, no background fetches, no updates, no sync.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]

_HOSTILE = {"held": 0, "failed": 0}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hostile: a hostile or faulty input the collection must hold against (counted at the end)")
    config.addinivalue_line(
        "markers", "deadline: measures how long a run takes; make runs these apart from the other tests, among themselves")
    config.addinivalue_line(
        "markers", "soak: holds only at scale (the 204-host fleet): make soak runs it, make test leaves it out")


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    if "hostile" not in report.keywords or report.skipped:
        return
    if report.when == "call":
        _HOSTILE["held" if report.passed else "failed"] += 1
    elif report.failed:
        _HOSTILE["failed"] += 1


def pytest_terminal_summary(terminalreporter):
    if _HOSTILE["held"] or _HOSTILE["failed"]:
        terminalreporter.write_line("hostile or faulty inputs: %d held, %d did not" % (
            _HOSTILE["held"], _HOSTILE["failed"]))


@pytest.fixture(scope="session")
def chromium():
    """A browser context (1280x900, 30 s timeouts) in a throwaway profile; each test opens its own tabs
    and routes their requests itself."""
    sync_api = pytest.importorskip("playwright.sync_api")
    profile = tempfile.mkdtemp(prefix="kvm-chromium-")
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS,
                viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30000)
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
