# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Captured hosts give the facts their expected.yml says; the live host agrees with its probe."""

from __future__ import annotations

import fcntl
import os
import pathlib
import subprocess

import pytest
import yaml

from ansible_collections.hypervisor.kvm.plugins.module_utils._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils._sources import SnapshotError

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.yml").is_file())
TOP_KEYS = {"usable", "reason", "remediation", "arch", "kernel", "cpu", "vendor_module", "modules",
            "device", "nested", "guest", "iommu", "hugepages", "devices", "confidential", "gpus",
            "probed", "evidence"}


def _match(expected, actual, where):
    """Every key listed in ``expected`` is in ``actual`` with the same value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            assert key in actual, "%s.%s missing" % (where, key)
            _match(value, actual[key], "%s.%s" % (where, key))
    else:
        assert actual == expected, "%s: expected %r, got %r" % (where, expected, actual)


def test_fixtures_are_there():
    assert len(CASES) >= 3


@pytest.mark.parametrize("case", CASES)
def test_captured_host(case):
    expected = yaml.safe_load((FIXTURES / case / "expected.yml").read_text())
    facts = gather(str(FIXTURES / case / "root"))
    include = expected.pop("modules_include", [])
    mentions = expected.pop("remediation_mentions", [])
    _match(expected, facts, "kvm")
    assert set(include) <= set(facts["modules"])
    for group in mentions:
        assert any(word.lower() in facts["remediation"].lower() for word in group), (group, facts["remediation"])
    assert set(facts) == TOP_KEYS
    assert facts["probed"] is False
    assert any("not probed" in e["observation"] for e in facts["evidence"])


def _probe_create_vm():
    """Independently of the collection: can this process create a KVM VM?"""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        os.close(fcntl.ioctl(fd, 0xAE01, 0))
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def test_live_host_agrees_with_its_probe():
    facts = gather("/")
    assert set(facts) == TOP_KEYS
    assert facts["usable"] is _probe_create_vm()
    assert facts["arch"] == os.uname()[4]
    if facts["usable"]:
        assert facts["reason"] == "ok" and facts["remediation"] == ""
        assert facts["device"] == {"exists": True, "accessible": True, "api_version": 12, "vm_created": True}
        assert facts["probed"] is True
    else:
        assert facts["remediation"]


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/kvm"), reason="needs root and /dev/kvm")
def test_live_host_as_another_user():
    """Without root the answer is still a result, with evidence of what could not be read."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child drops to nobody and reports what it found
        os.close(read)
        status = b"error"
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            facts = gather("/")
            status = ("%s %s %s" % (facts["usable"], facts["reason"], os.access("/dev/kvm", os.R_OK | os.W_OK))).encode()
        finally:
            os.write(write, status)
            os._exit(0)
    os.close(write)
    answer = os.read(read, 200).decode()
    os.waitpid(pid, 0)
    usable, reason, can_open = answer.split()
    if can_open == "True":
        assert reason != "device_inaccessible"
    else:
        assert (usable, reason) == ("False", "device_inaccessible")


def test_snapshot_root_must_be_a_host(tmp_path):
    with pytest.raises(SnapshotError, match="not a directory"):
        gather(str(tmp_path / "nothing-here"))
    with pytest.raises(SnapshotError, match="neither proc/ nor sys/"):
        gather(str(tmp_path))


def test_empty_snapshot_still_answers(tmp_path):
    (tmp_path / "proc").mkdir()
    facts = gather(str(tmp_path))
    assert set(facts) == TOP_KEYS
    assert facts["usable"] is False and facts["reason"] == "unknown"
    assert facts["arch"] is None and facts["cpu"]["vendor"] is None
    sources = {e["source"] for e in facts["evidence"]}
    assert {"/proc/sys/kernel/arch", "/proc/cpuinfo", "kernel log"} <= sources


def test_capture_tool_round_trip(tmp_path):
    """A snapshot this collection's capture tool takes of this host reads as the live host does."""
    tool = pathlib.Path(__file__).resolve().parents[4] / "tools" / "capture-host"
    subprocess.run(["sh", str(tool), str(tmp_path)], check=True, capture_output=True)
    live, captured = gather("/"), gather(str(tmp_path / "root"))
    for key in ("arch", "kernel", "cpu", "modules", "vendor_module", "guest", "iommu", "devices", "gpus"):
        assert captured[key] == live[key], key
    assert captured["device"]["exists"] == live["device"]["exists"]
    # Without the probe a snapshot can only say what the files say; where it ran, they agree.
    if live["device"]["exists"] and live["usable"]:
        assert (captured["usable"], captured["reason"]) == (True, "ok")
