# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The workflow for a job split across execution nodes, as Ansible sees it.

AWX's job slicing runs one playbook per slice of the inventory, each with its own run_once; fact
storage keeps what each slice gathered. Here: three `--limit` slices (hosts taken round-robin, as
AWX slices) gather with kvm_report_write=false into one jsonfile fact cache, then one run
reports from that cache. Its report must equal the report of one run that gathered every host
into its own cache and reported from it, and, row for row, a single live run's.
"""

from __future__ import annotations

import json

import pytest

import factcache

SLICES = 3


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """13 hosts on the controller, each diagnosing a captured host (one a missing snapshot)."""
    work = tmp_path_factory.mktemp("slices")
    roots = sorted(p / "root" for p in factcache.FIXTURES.iterdir() if (p / "root").is_dir())
    lines = ["---", "all:", "  vars:", "    ansible_connection: local", "    kvm_report_become: false", "  hosts:"]
    hosts = []
    for index in range(2 * len(roots)):
        hosts.append(factcache.host_name(index))
        lines.append("    %s: {kvm_snapshot_root: %s}" % (hosts[-1], json.dumps(str(roots[index % len(roots)]))))
    hosts.append("missing-snapshot")
    lines.append("    missing-snapshot: {kvm_snapshot_root: /nonexistent/kvm-snapshot}")
    (work / "inventory.yml").write_text("\n".join(lines) + "\n")
    return {"work": work, "hosts": hosts}


def run(fleet, cache, *args):
    rc, output, seconds = factcache.playbook(factcache.environment(fleet["work"] / cache), "-i",
                                             fleet["work"] / "inventory.yml", "hypervisor.kvm.report", *args)
    assert rc == 0, output[-3000:]
    return output


def report(fleet, name):
    data = json.loads((fleet["work"] / name / "hosts.json").read_text())
    data.pop("generated")
    return data


@pytest.fixture(scope="module")
def reports(fleet):
    work, hosts = fleet["work"], fleet["hosts"]
    outputs = []
    for number in range(SLICES):
        outputs.append(run(fleet, "sliced-facts", "-e", "kvm_report_write=false",
                           "--limit", ",".join(hosts[number::SLICES])))
    run(fleet, "sliced-facts", "-e", "kvm_report_from_cache=true", "-e", "kvm_report_dir=%s" % (work / "from-slices"))
    run(fleet, "single-facts", "-e", "kvm_report_dir=%s" % (work / "single-live"))
    run(fleet, "single-facts", "-e", "kvm_report_from_cache=true", "-e", "kvm_report_dir=%s" % (work / "single-cache"))
    return {"slice_outputs": outputs, "slices": report(fleet, "from-slices"), "single_cache": report(fleet, "single-cache"),
            "single_live": report(fleet, "single-live")}


def test_slices_write_no_report(fleet, reports):
    for output in reports["slice_outputs"]:
        assert "Write the page" not in output and "ok=1" in output
    assert not (fleet["work"] / "kvm-report").exists()


def test_report_from_the_slices_cache_equals_one_run_over_all_hosts(reports):
    assert reports["slices"] == reports["single_cache"]


def test_report_from_the_slices_cache_matches_the_live_run(fleet, reports):
    live = {row["host"]: row for row in reports["single_live"]["hosts"]}
    cached = {row["host"]: row for row in reports["slices"]["hosts"]}
    assert set(cached) == set(live) == set(fleet["hosts"])
    for host, row in cached.items():
        if live[host]["verdict"] == "failed":
            assert row["verdict"] == "no_data", row  # a failed gathering leaves nothing in the cache
            continue
        assert (row["source"], live[host]["source"]) == ("cache", "live")
        assert dict(row, source="live") == live[host]
    assert {row["verdict"] for row in cached.values()} >= {"ok", "nested_not_exposed", "no_data"}
