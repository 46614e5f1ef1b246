# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report page of the 204-host run, in Debian's chromium driven headless by Playwright.

Screenshots (desktop, phone) and a PDF (print) go to tests/output/fleet/ as test artifacts.
"""

from __future__ import annotations

import shutil
import tempfile

import pytest

import factcache
import sshfleet
from sshfleet import OUTPUT

factcache.import_collection()

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser_context():
    profile = tempfile.mkdtemp(prefix="kvm-report-chromium-")
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=FLAGS,
                viewport={"width": 1280, "height": 900})
            context.set_default_timeout(30000)
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture()
def page(browser_context, fleet_run):
    """The live run's index.html, with every request that is not the file itself recorded and refused."""
    requests = []

    def guard(route):
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    tab = browser_context.new_page()
    tab.route("**/*", guard)
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto((fleet_run["live_report"]["dir"] / "index.html").as_uri())
    tab.requests = requests
    tab.errors = errors
    yield tab
    tab.close()


def visible_hosts(page):
    return page.eval_on_selector_all("#hosts-table tbody tr:not([hidden])", "rows => rows.map(r => r.dataset.host)")


def test_page_is_self_contained(page):
    assert all(url.startswith("file://") for url in page.requests), page.requests
    assert len(page.requests) == 1, page.requests
    assert not page.errors, page.errors


def test_table_lists_every_host(page, fleet_run):
    report = fleet_run["live_report"]["json"]
    hosts = visible_hosts(page)
    assert hosts == [row["host"] for row in report["hosts"]]
    assert page.inner_text("#shown") == "%d of %d hosts shown" % (report["total"], report["total"])


def test_chart_counts_add_up(page, fleet_run):
    report = fleet_run["live_report"]["json"]
    bars = page.eval_on_selector_all(".bar[data-verdict]", "bars => bars.map(b => [b.dataset.verdict, Number(b.dataset.count)])")
    assert sum(count for verdict, count in bars) == report["total"] == len(visible_hosts(page))
    assert dict(bars) == {c["verdict"]: c["count"] for c in report["counts"]}
    rows = page.eval_on_selector_all("#hosts-table tbody tr", "rows => rows.map(r => r.dataset.verdict)")
    for verdict, count in bars:
        assert rows.count(verdict) == count, verdict


def test_filter_hides_rows(page, fleet_run):
    report = fleet_run["live_report"]["json"]
    page.fill("#filter", "unreachable")
    hosts = visible_hosts(page)
    assert sorted(hosts) == sorted(r["host"] for r in report["hosts"] if r["verdict"] == "unreachable")
    assert page.inner_text("#shown") == "%d of %d hosts shown" % (len(hosts), report["total"])
    page.fill("#filter", "kvm-00")
    assert visible_hosts(page) == ["kvm-%03d" % i for i in range(1, 10)]
    page.fill("#filter", "no host is called this")
    assert visible_hosts(page) == []
    page.fill("#filter", "")
    assert len(visible_hosts(page)) == report["total"]


def test_chart_bar_filters_by_verdict(page, fleet_run):
    report = fleet_run["live_report"]["json"]
    page.click('.bar[data-verdict="failed"]')
    assert visible_hosts(page) == [r["host"] for r in report["hosts"] if r["verdict"] == "failed"]
    page.click('.bar[data-verdict="failed"]')
    assert len(visible_hosts(page)) == report["total"]


def test_sorting(page, fleet_run):
    report = fleet_run["live_report"]["json"]
    names = [row["host"] for row in report["hosts"]]
    page.click("#hosts-table thead th:nth-child(1) button")  # the Host column starts ascending: now descending
    assert visible_hosts(page) == names[::-1]
    assert page.get_attribute("#hosts-table thead th:nth-child(1)", "aria-sort") == "descending"
    page.click("#hosts-table thead th:nth-child(2) button")
    order = [c["verdict"] for c in report["counts"]]
    verdicts = page.eval_on_selector_all("#hosts-table tbody tr", "rows => rows.map(r => r.dataset.verdict)")
    assert verdicts == sorted(verdicts, key=order.index)
    assert verdicts[0] == "ok" and verdicts[-1] == order[-1]
    page.click("#hosts-table thead th:nth-child(1) button")
    assert visible_hosts(page) == names


def test_remediation_for_every_host_that_cannot(page, fleet_run):
    report = fleet_run["live_report"]["json"]
    named = page.eval_on_selector_all(".fix .hostlist .h", "names => names.map(n => n.textContent)")
    assert sorted(named) == sorted(r["host"] for r in report["hosts"] if not r["usable"])
    # Off screen, the lists are not laid out (content-visibility: auto): scrolled to, they are.
    page.locator('.fix[data-verdict="failed"]').scroll_into_view_if_needed()
    page.wait_for_function("selector => document.querySelector(selector).innerText.length > 0",
                           arg='.fix[data-verdict="failed"] .hostlist')
    failed = page.inner_text('.fix[data-verdict="failed"] .hostlist')
    assert sshfleet.MISSING_SNAPSHOT in failed, failed
    link = page.get_attribute('#hosts-table tr[data-verdict="unreachable"] a.badge', "href")
    assert page.is_visible(link)


def test_screenshots_phone_and_print(page, fleet_run):
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-desktop.png"))
    page.screenshot(path=str(OUTPUT / "report-desktop-full.png"), full_page=True)
    page.locator("#fixes").screenshot(path=str(OUTPUT / "report-what-to-do.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways on a phone"
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(OUTPUT / "report-phone.png"))
    page.locator("#hosts-table tbody tr:nth-child(12)").scroll_into_view_if_needed()
    page.screenshot(path=str(OUTPUT / "report-phone-hosts.png"))
    page.emulate_media(media="print")
    assert not page.is_visible("#filter")
    page.pdf(path=str(OUTPUT / "report.pdf"), format="A4")
    assert (OUTPUT / "report.pdf").stat().st_size > 10000


def test_labels_are_the_collections(page, fleet_run):
    from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import LABELS  # pylint: disable=import-outside-toplevel
    badges = page.eval_on_selector_all("#hosts-table tbody tr", "rows => rows.map(r => [r.dataset.verdict, "
                                       "r.querySelector('.badge').textContent])")
    for verdict, text in badges:
        if verdict in LABELS:
            assert text == LABELS[verdict], (verdict, text)
