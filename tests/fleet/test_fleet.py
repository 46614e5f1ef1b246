# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report playbook on 204 hosts over real SSH: every host reported, one task each, cached facts."""

from __future__ import annotations

import csv
import io

import factcache
import sshfleet

factcache.import_collection()

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import REASONS as _REASONS  # noqa: E402  pylint: disable=wrong-import-position

REASONS = set(_REASONS)


def test_live_run_succeeds(fleet_run):
    rc, output = fleet_run["live"][:2]
    assert rc == 0, output[-3000:]


def test_every_host_is_in_the_report(fleet_run):
    report = fleet_run["live_report"]["json"]
    expected = fleet_run["expected"]
    assert report["total"] == len(expected) >= 204
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
    rc, output, seconds = fleet_run["cache"]
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
    assert seconds < fleet_run["live"][2], "reading the cache should be faster than reaching the hosts"


def test_nothing_left_running(fleet_run):
    assert not fleet_run["leftovers"]
