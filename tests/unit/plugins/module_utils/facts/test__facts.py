# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Captured hosts give the facts their expected.yml says.

The live host's own checks (the probe, another user, the capture tool) need this machine and
root: they are the integration target ``kvm_facts_live``.
"""

import json
import pathlib

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import REASONS
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._sources import SnapshotError

from .. import hosts
from ..hosts import write_host
from .strategies import ARCHES, LINES, TEXT

FIXTURES = pathlib.Path(__file__).resolve().parents[3] / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "expected.yml").is_file())
TOP_KEYS = {"usable", "reason", "remediation", "arch", "kernel", "cpu", "vendor_module", "modules",
            "device", "nested", "guest", "iommu", "hugepages", "devices", "confidential", "gpus", "reboot_pending",
            "user", "probed", "evidence"}


# expected.yml files copied from shared/ stay byte-identical to what was captured; they name
# cpu.extension_shown by its 1.0.0 name.
_RENAMED = {"flag": "extension_shown"}


def _match(expected, actual, where):
    """Every key listed in ``expected`` is in ``actual`` with the same value."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        for key, value in expected.items():
            key = _RENAMED.get(key, key) if where == "kvm.cpu" else key
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


@pytest.mark.parametrize("text,pending,said", [
    (None, [], None),
    ('["kernel parameters not on /proc/cmdline yet: iommu=pt", "  "]\n',
     ["kernel parameters not on /proc/cmdline yet: iommu=pt"], "1 change(s) of kvm_host wait for the next boot"),
    ('{"not": "a list"}', None, "not a JSON list of sentences: ignored"),
    ('["one", 2]', None, "not a JSON list of sentences: ignored"),
    ("garbage <script>", None, "not a JSON list of sentences: ignored"),
    (json.dumps(["x" * 1000] * 50), ["x" * 256] * 20, "20 change(s) of kvm_host wait for the next boot"),
])
def test_reboot_pending_is_the_roles_note_read_as_data(tmp_path, text, pending, said):
    files = {"/proc/cpuinfo": hosts.cpuinfo_x86("AuthenticAMD", "EPYC", hosts.BASE_FLAGS + " svm")}
    if text is not None:
        files["/run/hypervisor-kvm/reboot-pending.json"] = text
    facts = gather(hosts.write_host(tmp_path, files))
    assert facts["reboot_pending"] == pending
    notes = [e["observation"] for e in facts["evidence"] if e["source"] == "/run/hypervisor-kvm/reboot-pending.json"]
    assert notes == ([said] if said else [])


def test_nested_set_by_lists_every_setting_as_kmod_applies_them(tmp_path):
    files = {
        "/proc/sys/kernel/arch": "x86_64\n",
        "/proc/cpuinfo": hosts.cpuinfo_x86("AuthenticAMD", "EPYC", hosts.BASE_FLAGS + " svm"),
        "/proc/cmdline": "BOOT_IMAGE=/vmlinuz kvm-amd.nested=0 quiet\n",
        "/etc/modprobe.d/zz-admin.conf": "options kvm_amd nested=0\n",
        "/usr/lib/modprobe.d/kvm_host.conf": "# the role's\noptions kvm-amd nested=1\n",
        "/etc/modprobe.d/other.conf": "options kvm_amd avic=1\noptions kvm_intel nested=1\n",
    }
    facts = gather(hosts.write_host(tmp_path, files))
    assert facts["nested"]["set_by"] == [
        "/usr/lib/modprobe.d/kvm_host.conf: options kvm-amd nested=1",
        "/etc/modprobe.d/zz-admin.conf: options kvm_amd nested=0",
        "/proc/cmdline: kvm-amd.nested=0",
    ]


def test_nested_set_by_keeps_what_kmod_reads_and_the_last_sixteen(tmp_path):
    files = {
        "/proc/sys/kernel/arch": "x86_64\n",
        "/proc/cpuinfo": hosts.cpuinfo_x86("AuthenticAMD", "EPYC", hosts.BASE_FLAGS + " svm"),
        "/proc/cmdline": "BOOT_IMAGE=/vmlinuz quiet\n",
        # kmod reads the first directory's file of a name: /usr/lib's is hidden.
        "/etc/modprobe.d/kvm.conf": "options kvm_amd nested=1 nested=0\n",
        "/usr/lib/modprobe.d/kvm.conf": "options kvm_amd nested=1\n",
    }
    for n in range(20):
        files["/etc/modprobe.d/n%02d.conf" % n] = "options kvm_amd nested=%d\n" % (n % 2)
    facts = gather(hosts.write_host(tmp_path, files))
    set_by = facts["nested"]["set_by"]
    assert len(set_by) == 16 and set_by[-1] == "/etc/modprobe.d/n19.conf: options kvm_amd nested=1", set_by
    assert set_by[0] == "/etc/modprobe.d/n04.conf: options kvm_amd nested=0", set_by
    facts = gather(hosts.write_host(tmp_path / "few", {k: v for k, v in files.items() if "/n" not in k}))
    assert facts["nested"]["set_by"] == ["/etc/modprobe.d/kvm.conf: options kvm_amd nested=1 nested=0"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(arch=ARCHES, cpuinfo=LINES, log=LINES, value=TEXT, cmdline=TEXT)
def test_gather_on_malformed_host_always_answers(tmp_path_factory, arch, cpuinfo, log, value, cmdline):
    files = {"/proc/cpuinfo": cpuinfo, "/var/log/dmesg": log, "/proc/cmdline": cmdline,
             "/sys/module/kvm_intel/parameters/nested": value, "/sys/module/kvm_amd/parameters/sev": value,
             "/sys/kernel/mm/transparent_hugepage/enabled": value, "/sys/class/dmi/id/sys_vendor": value,
             "/sys/bus/pci/devices/0000:00:02.0/class": "0x030000", "/sys/bus/pci/devices/0000:00:02.0/vendor": value,
             "/sys/bus/pci/devices/0000:00:02.0/sriov_totalvfs": value,
             "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages": value, "/run/systemd/container": value}
    if arch is not None:
        files["/proc/sys/kernel/arch"] = arch
    facts = gather(write_host(tmp_path_factory.mktemp("host"), files))
    assert facts["reason"] in REASONS
    assert isinstance(facts["remediation"], str) and facts["usable"] is (facts["reason"] == "ok")
