# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The parsers, on real lines, and on anything at all (hypothesis): always a value, never an exception."""

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as table
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cmdline_modprobe as cmdline_modprobe
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _containers as containers
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuid_msr as cpuid_msr
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuinfo as cpuinfo
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _hypervisors as hypervisors
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_log as kernel_log
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import REASONS

from ..hosts import BASE_FLAGS, cpuinfo_x86, write_host


@pytest.mark.parametrize("vendor_id,vendor,extension", [
    ("GenuineIntel", "intel", "vmx"), ("AuthenticAMD", "amd", "svm"), ("HygonGenuine", "hygon", "svm"),
    ("CentaurHauls", "zhaoxin", "vmx"), ("  Shanghai  ", "zhaoxin", "vmx"),
])
def test_x86_vendors(vendor_id, vendor, extension):
    info = cpuinfo.parse_cpuinfo(cpuinfo_x86(vendor_id, "Some CPU", BASE_FLAGS + " " + extension), "x86_64")
    assert (info.vendor, info.extension, info.extension_shown, info.count) == (vendor, extension, True, 2)
    hidden = cpuinfo.parse_cpuinfo(cpuinfo_x86(vendor_id, "Some CPU", BASE_FLAGS), "x86_64")
    assert hidden.extension_shown is False


ROWS = table.MESSAGES
BOOT = "[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)\n"


def test_table_rows_are_whole():
    """Every row names its pattern, versions, file, source and the finding it supports."""
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids))
    for row in ROWS:
        assert row["finding"] in table.FINDINGS, row["id"]
        assert row["text"] and row["file"] and row["source"] and row["first"], row["id"]
        assert row["arch"] in ("x86", "arm64", "riscv", "s390", "powerpc", "any"), row["id"]
        first = kernel_log.parse_kernel_version(row["first"])
        assert first is not None and (3, 0) <= first, row["id"]
        if row["last"] is not None:
            assert kernel_log.parse_kernel_version(row["last"]) >= first, row["id"]


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_message_alone(row):
    """The message as the kernel prints it, with a dmesg timestamp or a /dev/kmsg header."""
    assert row["text"] in row["sample"] and re.search(row["pattern"], row["sample"]), row["id"]
    for line in ("[   12.345678] " + row["sample"], "3,512,12000000,-;" + row["sample"]):
        log = kernel_log.parse_kernel_log(BOOT + line + "\n")
        found = [m for m in log.lines if m.id == row["id"]]
        assert found and found[0].finding == row["finding"]
        assert found[0].line == row["sample"].strip()[:300]
        assert log.complete


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_message_only_in_the_current_boot(row):
    """A line of an earlier boot in kern.log says nothing about this one."""
    log = kernel_log.parse_kernel_log(BOOT + "[ 5.0] " + row["sample"] + "\n" + BOOT + "[ 1.0] nothing here\n")
    assert row["id"] not in [m.id for m in log.lines]


def test_versions_of_a_message():
    assert table.printed_by("x86_kvm_support_disabled_by_bios", (6, 1)) is True
    assert table.printed_by("x86_kvm_support_disabled_by_bios", (5, 15)) is False
    assert table.printed_by("x86_kvm_support_disabled_by_bios", None) is None
    assert table.behaviour_since("vmx_flag_cleared_when_firmware_off") == (5, 6)


@pytest.mark.parametrize("osrelease,version", [
    ("6.1.0-28-amd64", (6, 1)), ("3.10.0-1160.el7.x86_64", (3, 10)), ("5.15.0-91-generic\n", (5, 15)),
    ("6.18-rc1", (6, 18)), ("", None), (None, None), ("linux", None)])
def test_kernel_version(osrelease, version):
    assert kernel_log.parse_kernel_version(osrelease) == version


@pytest.mark.parametrize("value,firmware", [
    (0x0, "enabled"), (0x5, "enabled"), (0x1, "disabled"), (0x3, "txt_only"), (0x7, "enabled"), (None, None)])
def test_feature_control_msr(value, firmware):
    assert cpuid_msr.firmware_from_msr("vmx", value) == firmware


def test_vm_cr_msr():
    assert cpuid_msr.firmware_from_msr("svm", 0x10) == "disabled"
    assert cpuid_msr.firmware_from_msr("svm", 0x8) == "enabled"


def test_kernel_log_is_linear_on_hostile_lines():
    """A megabyte line, or a literal repeated without its pattern, costs milliseconds of CPU (CPU, not wall
    time: a busy machine must not fail it; backtracking would cost seconds to hours)."""
    long_line = "x" * (4 * 1024 * 1024)
    repeated = "disabled by bios " * 200000
    for text in (long_line, BOOT + long_line, BOOT + repeated, ("kvm: " * 50 + "\n") * 20000):
        start = time.process_time()
        kernel_log.parse_kernel_log(text)
        assert time.process_time() - start < 0.5


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
    assert hypervisors.hypervisor_from_dmi(dmi) == hypervisor


@pytest.mark.parametrize("markers,container", [
    (("lxc\n", False, False, ""), "lxc"),
    (("oci", False, False, ""), "docker"),
    ((None, False, True, ""), "podman"),
    ((None, True, False, ""), "docker"),
    ((None, False, False, "12:pids:/docker/3f2a\n"), "docker"),
    ((None, False, False, "0::/kubepods.slice/kubepods-pod1.slice\n"), "container-other"),
    # WSL is not a container: WSL 2 is a Hyper-V VM (wsl_version tells it).
    (("wsl\n", False, False, ""), None),
    ((None, False, False, "0::/init.scope\n"), None),
])
def test_container_markers(markers, container):
    assert containers.container_from_markers(*markers) == container


@pytest.mark.parametrize("markers,version", [
    (("5.15.167.4-microsoft-standard-WSL2", None, False, False), 2),
    (("4.19.128-microsoft-standard", None, False, False), 2),
    (("6.6.87.2-microsoft-standard-WSL2+", None, False, False), 2),
    # A kernel a person built for WSL 2 keeps the interop marker.
    (("5.8.0-rc3-ziomario-standard", None, True, False), 2),
    (("6.1.0-28-amd64", None, False, True), 2),
    (("4.4.0-19041-Microsoft", None, False, False), 1),
    (("4.4.0-22621-Microsoft", "Linux version 4.4.0-22621-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) "
      "#2215-Microsoft Sat Jan 01 00:00:00 PST 2022", True, False), 1),
    (("6.1.0-28-amd64", "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)", False, False), None),
    (("5.15.0-1057-azure", None, False, False), None),
    ((None, None, False, False), None),
])
def test_wsl_version(markers, version):
    assert containers.wsl_version(*markers) == version


def _log(*lines):
    return kernel_log.parse_kernel_log(BOOT + "".join("[    1.0] %s\n" % line for line in lines)).lines


@pytest.mark.parametrize("lines,flags,kind", [
    (["Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"], "", "sev-snp"),
    (["Memory Encryption Features active: AMD SEV SEV-ES"], "sev sev_es sev_snp", "sev-es"),
    (["AMD Memory Encryption Features active: SEV SEV-ES"], "", "sev-es"),
    (["AMD Secure Encrypted Virtualization (SEV) active"], "", "sev"),
    (["SEV: Status: SEV SEV-ES SEV-SNP DebugSwap"], "", "sev-snp"),
    (["kvm_amd: KVM is unsupported when running as an SEV guest"], "hypervisor sev sev_es", "sev-es"),
    (["SVM: KVM is unsupported when running as an SEV guest"], "hypervisor", "sev"),
    (["Memory Encryption Features active: Intel TDX"], "", "tdx"),
    (["tdx: Guest detected"], "", "tdx"),
    ([], "hypervisor tdx_guest", "tdx"),
    # Azure/Hyper-V with a paravisor: the isolation type is the last digit of Group B.
    (["Hyper-V: Isolation Config: Group A 0x1, Group B 0xba2"], "hypervisor", "sev-snp"),
    (["Hyper-V: Isolation Config: Group A 0x1, Group B 0xbe3"], "hypervisor", "tdx"),
    (["Hyper-V: Isolation Config: Group A 0x1, Group B 0x1"], "hypervisor", None),
    # A host: SME in the kernel's line, sev flags on bare metal, are no guest.
    (["Memory Encryption Features active: AMD SME"], "sme sev sev_es sev_snp", None),
    (["AMD Memory Encryption Features active: SME"], "sme sev", None),
    (["kvm_amd: SEV-ES and SEV-SNP supported: 255 ASIDs"], "sev sev_es sev_snp", None),
    ([], "sev sev_es sev_snp hypervisor", None),
])
def test_confidential_guest(lines, flags, kind):
    assert hypervisors.confidential_guest(_log(*lines), frozenset(flags.split())) == kind


def test_tdx_line_before_the_banner_belongs_to_this_boot():
    """tdx_early_init prints before start_kernel's banner, at time zero."""
    old = "[  900.1] tdx: Guest detected\n[  901.0] reboot: Restarting system\n"
    log = kernel_log.parse_kernel_log(old + "[    0.000000] tdx: Guest detected\n" + BOOT)
    assert [m.id for m in log.lines] == ["x86_tdx_guest_detected"] and log.complete
    assert kernel_log.parse_kernel_log(old + BOOT).lines == ()


@pytest.mark.parametrize("cmdline,effects", [
    ("ro modprobe.blacklist=nouveau,kvm_amd quiet", [("blacklist", "kvm_amd")]),
    ("ro module_blacklist=nouveau quiet", []),
    ("kvm-arm.mode=none", [("kvm_off", "kvm")]),
    ("kvm-arm.mode=nvhe", []),
    ("clearcpuid=vmx,pku", [("hide_feature", "vmx")]),
    ("clearcpuid=133", [("hide_feature", "vmx")]),
    ("clearcpuid=194", [("hide_feature", "svm")]),
    ("clearcpuid=pku", []),
    ("initcall_blacklist=svm_init", [("initcall", "svm_init")]),
    ("initcall_blacklist=acpi_init", []),
])
def test_cmdline_blocks(cmdline, effects):
    assert [(b.effect, b.module) for b in cmdline_modprobe.parse_cmdline_blocks(cmdline)] == effects


def test_modprobe_blocks():
    text = ("blacklist kvm-intel # no\ninstall kvm /bin/true\ninstall kvm_amd /sbin/modprobe --ignore-install kvm_amd\n"
            "blacklist nouveau\noptions kvm_amd nested=1\n")
    lines = cmdline_modprobe.parse_modprobe_blocks("/etc/modprobe.d/x.conf", text)
    assert [(b.effect, b.module) for b in lines] == [("blacklist", "kvm_intel"), ("install", "kvm")]


def test_module_options():
    text = ("# site\noptions kvm-intel nested=maybe ept=0 # old\noptions nouveau modeset=0\n"
            "options kvm_amd\nblacklist kvm_amd\n")
    found = cmdline_modprobe.parse_module_options("/etc/modprobe.d/kvm.conf", text)
    assert [(o.module, o.param, o.value) for o in found] == [("kvm_intel", "nested", "maybe"), ("kvm_intel", "ept", "0")]
    assert found[0].text == "options kvm-intel nested=maybe ept=0" and found[0].file == "/etc/modprobe.d/kvm.conf"
    words = cmdline_modprobe.parse_module_options("/proc/cmdline", "ro kvm-amd.npt=bogus kvm.enable_virt_at_load=0 i915.x=1 kvm")
    assert [(o.module, o.param, o.value, o.text) for o in words] == [
        ("kvm_amd", "npt", "bogus", "kvm-amd.npt=bogus"), ("kvm", "enable_virt_at_load", "0", "kvm.enable_virt_at_load=0")]


@pytest.mark.parametrize("line,fields", [
    ("kvm_intel: `maybe' invalid for parameter `nested'", {"module": "kvm_intel", "value": "maybe", "param": "nested"}),
    ("kvm_amd: '' invalid for parameter 'npt'", {"module": "kvm_amd", "value": "", "param": "npt"}),
    ("VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x3", {"msr": "0x3"}),
])
def test_message_fields(line, fields):
    found = kernel_log.parse_kernel_log(BOOT + "[ 9.0] " + line + "\n").lines
    assert found and table.message_fields(found[0]) == fields


def test_other_modules_invalid_value_is_not_kvms():
    """Another driver's refused option, or a KVM line's wording inside it, matches no KVM row."""
    log = kernel_log.parse_kernel_log(BOOT + "[ 9.0] rtl8723de: `X' invalid for parameter `ant_sel'\n")
    assert [m.id for m in log.lines] == []


def test_other_hypervisors():
    # VMware's guest tools and host networking are not hypervisors holding VT-x.
    assert hypervisors.other_hypervisors({"vmw_vmci", "vmw_balloon", "vmwgfx", "vmxnet3", "vmw_pvscsi", "vsock", "vmnet",
                                          "vboxguest", "vboxsf"}, None) == []
    assert hypervisors.other_hypervisors({"jailhouse"}, None) == ["jailhouse"]
    assert hypervisors.other_hypervisors({"vboxdrv", "kvm"}, None) == ["virtualbox"]
    assert hypervisors.other_hypervisors({"vmmon"}, "control_d\n") == ["vmware", "xen-dom0"]
    assert hypervisors.other_hypervisors(set(), "") == []


@pytest.mark.parametrize("text,value", [("Y\n", True), ("1", True), ("N", False), ("0\n", False), ("", None),
                                        (None, None), ("maybe", None)])
def test_parse_bool(text, value):
    assert file_values.parse_bool(text) is value


# Property-based: whatever the files say, the parsers and gathering answer.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
LINES = st.lists(st.one_of(TEXT, st.sampled_from([
    "flags\t: vmx svm", "vendor_id : GenuineIntel", "processor : 0", "", ":", "isa : rv64",
    "CPU implementer : 0x41", "platform : PowerNV", "features : sie", "kvm: disabled by bios",
    "Hypervisor detected: ", "[ 0.0] CPU: All CPU(s) started at EL2", "\x00\xff", "Linux version 6.1"]
    + [row["sample"] for row in table.MESSAGES])), max_size=30).map("\n".join)
ARCHES = st.sampled_from(["x86_64", "aarch64", "s390x", "ppc64le", "riscv64", "i686", "", "mips", None])


@settings(max_examples=300, deadline=None)
@given(text=LINES, arch=ARCHES)
def test_cpuinfo_never_raises(text, arch):
    info = cpuinfo.parse_cpuinfo(text, arch)
    assert info.extension_shown in (True, False, None)
    assert info.model is None or len(info.model) <= file_values.FIELD_MAX


@settings(max_examples=300, deadline=None)
@given(text=LINES)
def test_kernel_log_never_raises(text):
    parsed = kernel_log.parse_kernel_log(text)
    assert all(line.finding in table.FINDINGS for line in parsed.lines)
    # Whatever else surrounds them, the table's messages of the current boot are found.
    current = kernel_log.current_boot(text)[0]
    for row in table.MESSAGES:
        if any(row["sample"] == line.strip() for line in current.splitlines()):
            assert row["id"] in [m.id for m in parsed.lines]


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_small_parsers_never_raise(text):
    file_values.parse_bool(text)
    file_values.parse_int(text)
    cmdline_modprobe.parse_cmdline_blocks(text)
    cmdline_modprobe.parse_modprobe_blocks("/etc/modprobe.d/x.conf", text)
    containers.container_from_markers(text, False, False, text)
    containers.wsl_version(text, text, False, False)
    hypervisors.hypervisor_from_dmi({"sys_vendor": text, "product_name": text})


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
