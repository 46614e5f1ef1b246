# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsers, on real lines, and on anything at all (hypothesis): always a value, never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.hypervisor.kvm.plugins.module_utils import _parsers as parsers
from ansible_collections.hypervisor.kvm.plugins.module_utils._facts import gather

from .hosts import BASE_FLAGS, cpuinfo_x86, write_host


@pytest.mark.parametrize("vendor_id,vendor,extension", [
    ("GenuineIntel", "intel", "vmx"), ("AuthenticAMD", "amd", "svm"), ("HygonGenuine", "hygon", "svm"),
    ("CentaurHauls", "zhaoxin", "vmx"), ("  Shanghai  ", "zhaoxin", "vmx"),
])
def test_x86_vendors(vendor_id, vendor, extension):
    info = parsers.parse_cpuinfo(cpuinfo_x86(vendor_id, "Some CPU", BASE_FLAGS + " " + extension), "x86_64")
    assert (info["vendor"], info["extension"], info["flag"], info["count"]) == (vendor, extension, True, 2)
    hidden = parsers.parse_cpuinfo(cpuinfo_x86(vendor_id, "Some CPU", BASE_FLAGS), "x86_64")
    assert hidden["flag"] is False


@pytest.mark.parametrize("line,fact", [
    ("[    0.081234] x86/cpu: VMX (outside TXT) disabled by BIOS", "firmware_disabled"),
    ("[    0.1] SVM disabled (by BIOS) in MSR_VM_CR", "firmware_disabled"),
    ("[   12.3] kvm: disabled by bios", "firmware_disabled"),
    ("6,512,12000000,-;kvm_intel: VMX not supported by CPU 0", "no_hardware"),
    ("[   49.4] kvm: no hardware support for 'kvm_amd'", "no_hardware"),
    ("[   49.4] has_svm: svm not available", "no_hardware"),
    ("[    0.1] CPU: All CPU(s) started at EL2", "el2"),
    ("[    0.1] CPU: All CPU(s) started at EL1", "el1"),
    ("[    0.5] kvm [1]: HYP mode not available", "hyp_unavailable"),
    ("[    0.5] kvm [1]: Protected nVHE mode initialized successfully", "kvm_initialized"),
    ("[   43.0] kvm: Nested Virtualization enabled", "nested_enabled"),
])
def test_kernel_log_statements(line, fact):
    findings = parsers.parse_kernel_log("[    0.0] Linux version 6.1\n" + line + "\n")["findings"]
    assert fact in findings
    assert not findings[fact].startswith(("[", "6,"))


@pytest.mark.parametrize("line,hypervisor", [
    ("[    0.000000] Hypervisor detected: KVM", "kvm"),
    ("[    0.000000] Hypervisor detected: VMware", "vmware"),
    ("[    0.000000] Hypervisor detected: Microsoft Hyper-V", "microsoft"),
    ("[    0.000000] Hypervisor detected: Xen HVM", "xen"),
])
def test_kernel_log_hypervisor(line, hypervisor):
    assert parsers.parse_kernel_log(line)["hypervisor"] == hypervisor


@pytest.mark.parametrize("dmi,hypervisor", [
    ({"sys_vendor": "QEMU"}, "qemu"), ({"product_name": "KVM"}, "kvm"),
    ({"sys_vendor": "VMware, Inc.", "product_name": "VMware Virtual Platform"}, "vmware"),
    ({"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}, "microsoft"),
    ({"sys_vendor": "innotek GmbH", "product_name": "VirtualBox"}, "oracle"),
    ({"sys_vendor": "Amazon EC2", "product_name": "c5.large"}, "amazon"),
    ({"sys_vendor": "Google", "product_name": "Google Compute Engine"}, "google"),
    ({"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R650"}, None),
    ({}, None),
])
def test_hypervisor_from_dmi(dmi, hypervisor):
    assert parsers.hypervisor_from_dmi(dmi) == hypervisor


@pytest.mark.parametrize("markers,container", [
    (("lxc\n", False, False, "", ""), "lxc"),
    (("oci", False, False, "", ""), "docker"),
    ((None, False, True, "", ""), "podman"),
    ((None, True, False, "", ""), "docker"),
    ((None, False, False, "12:pids:/docker/3f2a\n", ""), "docker"),
    ((None, False, False, "0::/kubepods.slice/kubepods-pod1.slice\n", ""), "container-other"),
    ((None, False, False, "", "5.15.153.1-microsoft-standard-WSL2"), "wsl"),
    ((None, False, False, "0::/init.scope\n", "6.1.0-28-amd64"), None),
])
def test_container_markers(markers, container):
    assert parsers.container_from_markers(*markers) == container


def test_cmdline_and_modprobe_blocks():
    assert parsers.parse_cmdline_blocks("ro modprobe.blacklist=nouveau,kvm_amd quiet") == ["modprobe.blacklist=nouveau,kvm_amd"]
    assert parsers.parse_cmdline_blocks("ro module_blacklist=nouveau quiet") == []
    assert parsers.parse_cmdline_blocks("kvm-arm.mode=none") == ["kvm-arm.mode=none"]
    assert parsers.parse_cmdline_blocks("kvm-arm.mode=nvhe") == []
    lines = parsers.parse_modprobe_blocks("/etc/modprobe.d/x.conf", "blacklist kvm-intel # no\ninstall kvm /bin/true\n"
                                          "blacklist nouveau\noptions kvm_amd nested=1\n")
    assert [b["module"] for b in lines] == ["kvm_intel", "kvm"]


@pytest.mark.parametrize("text,value", [("Y\n", True), ("1", True), ("N", False), ("0\n", False), ("", None),
                                        (None, None), ("maybe", None)])
def test_parse_bool(text, value):
    assert parsers.parse_bool(text) is value


# Property-based: whatever the files say, the parsers and gathering answer.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
LINES = st.lists(st.one_of(TEXT, st.sampled_from([
    "flags\t: vmx svm", "vendor_id : GenuineIntel", "processor : 0", "", ":", "isa : rv64",
    "CPU implementer : 0x41", "platform : PowerNV", "features : sie", "kvm: disabled by bios",
    "Hypervisor detected: ", "[ 0.0] CPU: All CPU(s) started at EL2", "\x00\xff"])), max_size=30).map("\n".join)
ARCHES = st.sampled_from(["x86_64", "aarch64", "s390x", "ppc64le", "riscv64", "i686", "", "mips", None])


@settings(max_examples=300, deadline=None)
@given(text=LINES, arch=ARCHES)
def test_cpuinfo_never_raises(text, arch):
    info = parsers.parse_cpuinfo(text, arch)
    assert info["flag"] in (True, False, None)


@settings(max_examples=300, deadline=None)
@given(text=LINES)
def test_kernel_log_never_raises(text):
    parsed = parsers.parse_kernel_log(text)
    assert set(parsed) == {"findings", "hypervisor"}


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_small_parsers_never_raise(text):
    parsers.parse_bool(text)
    parsers.parse_int(text)
    parsers.parse_cmdline_blocks(text)
    parsers.parse_modprobe_blocks("/etc/modprobe.d/x.conf", text)
    parsers.container_from_markers(text, False, False, text, text)
    parsers.hypervisor_from_dmi({"sys_vendor": text, "product_name": text})


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
    assert facts["reason"] in ("ok", "cpu_unsupported", "firmware_disabled", "nested_not_exposed",
                               "module_not_loaded", "kernel_disabled", "device_missing", "device_inaccessible", "unknown")
    assert isinstance(facts["remediation"], str) and facts["usable"] is (facts["reason"] == "ok")
