# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report playbook on a fleet over real SSH: every host reported, one task each, cached facts;
then its page in Debian's chromium driven headless by Playwright.

make test-fleet runs it on the small fleet, make soak on the 204-host rig (conftest.SHAPES). One
file, so that pytest-xdist (--dist loadfile) starts the fleet once. Screenshots (desktop, phone)
and a PDF (print) go to tests/output/fleet/ as test artifacts.
"""

from __future__ import annotations

import csv
import io

import pytest

import factcache
import sshfleet
from sshfleet import OUTPUT

factcache.import_collection()

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import REASONS as _REASONS  # noqa: E402  pylint: disable=wrong-import-position

REASONS = set(_REASONS)


def test_live_run_succeeds(fleet_run):
    rc, output = fleet_run["live"][:2]
    assert rc == 0, output[-3000:]


def test_every_host_is_in_the_report(fleet_run):
    report = fleet_run["live_report"]["json"]
    expected = fleet_run["expected"]
    shape = fleet_run["shape"]
    assert report["total"] == len(expected) == shape["hosts"] + shape["closed"]
    assert {row["host"] for row in report["hosts"]} == set(expected)
    assert sum(c["count"] for c in report["counts"]) == report["total"]


def test_verdicts_are_right_per_host(fleet_run):
    rows = {row["host"]: row for row in fleet_run["live_report"]["json"]["hosts"]}
    for host, root in fleet_run["expected"].items():
        row = rows[host]
        if root is None:
            assert row["verdict"] == "unreachable", row
            assert row["message"] and row["remediation"], row
        elif root == sshfleet.MISSING_SNAPSHOT:
            assert row["verdict"] == "failed", row
            assert sshfleet.MISSING_SNAPSHOT in row["message"], row
        else:
            assert row["verdict"] in REASONS and row["source"] == "live", row
            assert row["usable"] is (row["verdict"] == "ok"), row
            assert row["usable"] or row["remediation"], row


def test_the_fleet_is_a_real_mix(fleet_run):
    verdicts = {c["verdict"] for c in fleet_run["live_report"]["json"]["counts"]}
    assert {"ok", "unreachable", "failed"} <= verdicts
    assert len(verdicts & (REASONS - {"ok"})) >= 2, verdicts


def test_csv_has_the_same_data(fleet_run):
    report = fleet_run["live_report"]["json"]
    text = (fleet_run["live_report"]["dir"] / "hosts.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["host"] for r in rows] == [r["host"] for r in report["hosts"]]
    assert [r["verdict"] for r in rows] == [r["verdict"] for r in report["hosts"]]
    assert list(rows[0]) == report["columns"]


def test_one_task_per_host(fleet_run):
    """The report adds no per-host round trip: every host runs one task, one host also renders."""
    recap = fleet_run["recap"]
    assert set(recap) == set(fleet_run["expected"])
    renderers = [h for h, c in recap.items() if c["ok"] > 1]
    assert len(renderers) == 1, renderers
    for host, counters in recap.items():
        if host not in renderers:
            assert counters["ok"] + counters["ignored"] + counters["skipped"] >= 1, (host, counters)
            assert counters["ok"] <= 1 and counters["changed"] == 0, (host, counters)


def test_pipelining_and_become(fleet_run):
    rc, output = fleet_run["verbose"][:2]
    assert rc == 0, output[-3000:]
    remote = [line for line in output.splitlines() if line.startswith("<%s>" % sshfleet.address(0))]
    commands = [line for line in remote if "SSH: EXEC" in line]
    assert commands and all("sudo" in line and "-u nobody" in line for line in commands), commands
    assert any("BECOME-SUCCESS" in line for line in remote)
    # Without pipelining the module would be copied to the host first (a PUT) and run from there.
    assert not [line for line in remote if " PUT " in line]
    row = fleet_run["verbose_report"]["hosts"][0]
    assert row["host"] == "kvm-001" and row["source"] == "live" and row["verdict"] in REASONS, row


def test_report_from_cache_reaches_no_host(fleet_run):
    rc, output = fleet_run["cache"][:2]
    assert rc == 0, output[-3000:]
    live = {row["host"]: row for row in fleet_run["live_report"]["json"]["hosts"]}
    cached = {row["host"]: row for row in fleet_run["cache_report"]["json"]["hosts"]}
    assert set(cached) == set(live)
    for host, row in cached.items():
        if live[host]["verdict"] in ("unreachable", "failed"):
            # Never gathered, so never cached.
            assert row["verdict"] == "no_data", row
        else:
            assert row["source"] == "cache", row
            assert row["verdict"] == live[host]["verdict"], (row, live[host])
    assert "unreachable" not in {row["verdict"] for row in cached.values()}


@pytest.mark.soak
def test_report_from_cache_is_faster_than_reaching_the_hosts(fleet_run):
    """A timing: on a handful of hosts under load it says nothing, on 204 it does."""
    assert fleet_run["cache"][2] < fleet_run["live"][2], "reading the cache should be faster than reaching the hosts"


def test_nothing_left_running(fleet_run):
    assert not fleet_run["leftovers"]


# The page.

@pytest.fixture()
def page(chromium, fleet_run):
    """The live run's index.html, with every request that is not the file itself recorded and refused."""
    requests = []

    def guard(route):
        requests.append(route.request.url)
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            route.abort()

    tab = chromium.new_page()
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
