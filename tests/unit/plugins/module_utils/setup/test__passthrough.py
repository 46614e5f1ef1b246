# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_passthrough_plan's decisions over small fake hosts written as snapshots (text and links)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _passthrough as passthrough
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_passthrough_plan

from ..hosts import BASE_FLAGS, cpuinfo_x86, write_host

INTEL = cpuinfo_x86("GenuineIntel", "Intel(R) Xeon(R) Gold 6338", BASE_FLAGS + " vmx pdpe1gb")
INTEL_NO_1G = cpuinfo_x86("GenuineIntel", "Intel(R) Core(TM) i5", BASE_FLAGS + " vmx")
AMD = cpuinfo_x86("AuthenticAMD", "AMD EPYC 7763 64-Core Processor", BASE_FLAGS + " svm pdpe1gb")
GIB = 1024 * 1024  # kB


class Host(object):
    """A fake host: files ({path: text}) and links ({path: target}), composed by the helpers below."""

    def __init__(self, cpuinfo=INTEL, cmdline="BOOT_IMAGE=/vmlinuz root=/dev/vda1 ro quiet", mem_kb=16 * GIB,
                 osrelease="6.1.0-28-amd64", arch="x86_64", available_kb=None):
        self.files = {
            "/proc/sys/kernel/arch": arch + "\n",
            "/proc/sys/kernel/osrelease": osrelease + "\n",
            "/proc/cpuinfo": cpuinfo,
            "/proc/cmdline": cmdline + "\n",
            "/proc/meminfo": "MemTotal:       %d kB\nMemFree:        1000 kB\nMemAvailable:   %d kB\n" % (
                mem_kb, mem_kb * 3 // 4 if available_kb is None else available_kb),
            "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages": "0\n",
            "/etc/default/grub": 'GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT="quiet"\nGRUB_CMDLINE_LINUX=""\n',
        }
        self.links = {}
        self.node(0, mem_kb)

    def add(self, files=None, links=None):
        self.files.update(files or {})
        self.links.update(links or {})
        return self

    def node(self, number, mem_kb, pool_2m=0, pool_1g=None):
        base = "/sys/devices/system/node/node%d" % number
        self.files[base + "/meminfo"] = "Node %d MemTotal:       %d kB\nNode %d MemFree: 1 kB\n" % (number, mem_kb, number)
        self.files[base + "/hugepages/hugepages-2048kB/nr_hugepages"] = "%d\n" % pool_2m
        if pool_1g is not None:
            self.files[base + "/hugepages/hugepages-1048576kB/nr_hugepages"] = "%d\n" % pool_1g
        return self

    def pool_1g(self, count=0):
        self.files["/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"] = "%d\n" % count
        return self

    def table(self, name):
        self.files["/sys/firmware/acpi/tables/" + name] = "x"
        return self

    def pci(self, address, pci_id, pci_class="0x020000", driver=None, group=None, boot_vga=None):
        base = "/sys/bus/pci/devices/" + address
        vendor, device = pci_id.split(":")
        self.files.update({base + "/vendor": "0x%s\n" % vendor, base + "/device": "0x%s\n" % device,
                           base + "/class": pci_class + "\n",
                           # As the kernel writes it: pci:v<vendor>d<device>sv<sub>sd<sub>bc<class>sc<sub>i<if>
                           base + "/modalias": "pci:v0000%sd0000%ssv00001AF4sd00001100bc%ssc%si%s\n" % (
                               vendor.upper(), device.upper(), pci_class[2:4].upper(), pci_class[4:6].upper(),
                               pci_class[6:8].upper())})
        if boot_vga is not None:
            self.files[base + "/boot_vga"] = "%d\n" % boot_vga
        if driver:
            self.links[base + "/driver"] = "../../../bus/pci/drivers/" + driver
        if group is not None:
            self.links[base + "/iommu_group"] = "../../../kernel/iommu_groups/%d" % group
            self.files["/sys/kernel/iommu_groups/%d/type" % group] = "DMA\n"
        return self

    def root_on(self, major_minor, sysfs_path, partition=False, fstype="ext4", source="/dev/vda1"):
        """The root filesystem on the block device major:minor whose sysfs directory is ``sysfs_path``."""
        self.files["/proc/self/mountinfo"] = (
            "22 1 0:21 / /proc rw - proc proc rw\n"
            "29 1 %s / / rw,relatime shared:1 - %s %s rw\n" % (major_minor, fstype, source))
        self.links["/sys/dev/block/" + major_minor] = "../.." + sysfs_path[len("/sys"):]
        if partition:
            self.files[sysfs_path + "/partition"] = "1\n"
        else:
            self.files[sysfs_path + "/size"] = "1000\n"
        return self

    def default_route(self, interface, sysfs_path):
        self.files["/proc/net/route"] = (
            "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
            "%s\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
            "%s\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" % (interface, interface))
        return self.net(interface, sysfs_path)

    def net(self, interface, sysfs_path):
        self.links["/sys/class/net/" + interface] = "../.." + sysfs_path[len("/sys"):]
        self.files[sysfs_path + "/mtu"] = "1500\n"
        return self

    def write(self, tmp_path):
        return write_host(tmp_path, self.files, self.links)


VDA = "/sys/devices/pci0000:00/0000:00:05.0/virtio2/block/vda"
ETH0 = "/sys/devices/pci0000:00/0000:00:03.0/virtio0/net/eth0"
NVME0N1 = "/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1"


def vm_host(**kwargs):
    """A q35-like VM: virtio-blk root (vda1) at 00:05.0, virtio-net eth0 at 00:03.0."""
    return (Host(**kwargs).pci("0000:00:05.0", "1af4:1042", "0x010000", "virtio-pci")
            .pci("0000:00:03.0", "1af4:1041", "0x020000", "virtio-pci")
            .root_on("252:1", VDA + "/vda1", partition=True).default_route("eth0", ETH0))


def run(tmp_path, host, **params):
    full = {"iommu": False, "iommu_passthrough": False, "vfio_devices": [], "hugepages": [], "min_free_mb": 2048,
            "boot_method": "grub_dropin", "dropin_name": "60-hypervisor-kvm", "own_parameters": []}
    full.update(params)
    return passthrough.plan_host(host.write(tmp_path), full)


def strings(value):
    """Every string in a result, keys included."""
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [k] + strings(v)]
    if isinstance(value, list):
        return [t for v in value for t in strings(v)]
    return [value] if isinstance(value, str) else []


def has(lines, *words):
    """Some line holds every word."""
    return any(all(w in line for w in words) for line in lines)


KEYS = {"iommu", "kernel_parameters", "vfio", "host_devices", "hugepages", "problems", "deferred",
        "pending_reboot", "changes_need_reboot"}


# --- IOMMU and kernel parameters --------------------------------------------------------------

IOMMU_CASES = [
    # id, host, params, expected iommu, wanted, pending, problem words
    ("intel-dmar-off", lambda: vm_host().table("DMAR"), {"iommu": True},
     {"vendor": "intel", "firmware_table": "DMAR", "on": False, "groups": 0}, ["intel_iommu=on"], ["intel_iommu=on"], None),
    ("intel-dmar-live", lambda: vm_host(cmdline="root=/dev/vda1 intel_iommu=on iommu=pt").table("DMAR")
     .pci("0000:00:1f.0", "8086:2918", "0x060100", None, 0), {"iommu": True, "iommu_passthrough": True},
     {"vendor": "intel", "firmware_table": "DMAR", "on": True, "groups": 1}, ["intel_iommu=on", "iommu=pt"], [], None),
    ("intel-dmar-live-with-more-options", lambda: vm_host(cmdline="intel_iommu=on,sm_on").table("DMAR"), {"iommu": True},
     {"vendor": "intel", "firmware_table": "DMAR", "on": False, "groups": 0}, ["intel_iommu=on"], [], None),
    ("amd-ivrs-on-by-default", lambda: vm_host(cpuinfo=AMD).table("IVRS").pci("0000:00:00.0", "1022:1480", "0x060000", None, 0),
     {"iommu": True}, {"vendor": "amd", "firmware_table": "IVRS", "on": True, "groups": 1}, [], [], None),
    ("no-table-intel", vm_host, {"iommu": True},
     {"vendor": "intel", "firmware_table": None, "on": False, "groups": 0}, [], [],
     ["the firmware shows no IOMMU (no DMAR/IVRS ACPI table): enable VT-d (Intel", "kvm_firmware", "virtual IOMMU"]),
    ("no-table-amd", lambda: vm_host(cpuinfo=AMD), {"iommu": True},
     {"vendor": "amd", "firmware_table": None, "on": False, "groups": 0}, [], [], ["enable the AMD IOMMU (AMD-Vi) in"]),
    ("no-table-but-groups (virtio-iommu)", lambda: vm_host().pci("0000:00:01.0", "1af4:1057", "0x088000", "virtio-pci", 3),
     {"iommu": True}, {"vendor": "intel", "firmware_table": None, "on": True, "groups": 1}, [], [], None),
    ("pt-not-on-arm", lambda: vm_host(arch="aarch64").table("IORT"), {"iommu": True, "iommu_passthrough": True},
     {"vendor": None, "firmware_table": "IORT", "on": False, "groups": 0}, [], [], ["iommu=pt", "aarch64", "iommu_passthrough: false"]),
]


@pytest.mark.parametrize("case", IOMMU_CASES, ids=[c[0] for c in IOMMU_CASES])
def test_iommu(tmp_path, case):
    dummy, host, params, iommu, wanted, pending, problem = case
    result = run(tmp_path, host(), **params)
    assert set(result) == KEYS
    assert result["iommu"] == iommu
    assert result["kernel_parameters"]["wanted"] == wanted
    assert result["kernel_parameters"]["pending"] == pending
    assert result["changes_need_reboot"] == bool(result["pending_reboot"])
    if problem:
        assert has(result["problems"], *problem), result["problems"]
    else:
        assert result["problems"] == []


def test_intel_iommu_on_is_not_pending_where_the_kernel_turned_the_iommu_on(tmp_path):
    host = vm_host().table("DMAR").pci("0000:00:1f.0", "8086:2918", "0x060100", None, 0)
    result = run(tmp_path, host, iommu=True)
    assert result["kernel_parameters"]["live"] == [] and result["kernel_parameters"]["pending"] == []
    assert result["kernel_parameters"]["missing_in_config"] == ["intel_iommu=on"]
    assert result["changes_need_reboot"] is False


GRUB_CASES = [
    # id, files, conflicts expected, missing_in_config
    ("person-set-off-in-default-grub",
     {"/etc/default/grub": 'GRUB_CMDLINE_LINUX="quiet intel_iommu=off"\n'},
     [{"parameter": "intel_iommu=off", "where": "/etc/default/grub"}], ["intel_iommu=on"]),
    ("off-in-the-roles-own-dropin",
     {"/etc/default/grub.d/60-hypervisor-kvm.cfg": 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=off"\n'},
     [], ["intel_iommu=on"]),
    ("off-in-the-roles-block",
     {"/etc/default/grub": 'GRUB_CMDLINE_LINUX="quiet"\n# BEGIN hypervisor.kvm kvm_host\n'
                           'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=off"\n# END hypervisor.kvm kvm_host\n'},
     [], ["intel_iommu=on"]),
    ("off-in-another-dropin",
     {"/etc/default/grub.d/50-cloudimg.cfg": "GRUB_CMDLINE_LINUX_DEFAULT='console=ttyS0 intel_iommu=off iommu=soft'\n"},
     [{"parameter": "intel_iommu=off", "where": "/etc/default/grub.d/50-cloudimg.cfg"},
      {"parameter": "iommu=soft", "where": "/etc/default/grub.d/50-cloudimg.cfg"}], ["intel_iommu=on"]),
    ("replaced-by-a-later-assignment-is-gone",
     {"/etc/default/grub": 'GRUB_CMDLINE_LINUX="intel_iommu=off"\nGRUB_CMDLINE_LINUX="quiet"\n'}, [], ["intel_iommu=on"]),
    ("configured-already-in-own-dropin",
     {"/etc/default/grub.d/60-hypervisor-kvm.cfg": 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX intel_iommu=on" # role\n'},
     [], []),
    ("commented-out-is-nothing",
     {"/etc/default/grub": '#GRUB_CMDLINE_LINUX="intel_iommu=off"\nGRUB_CMDLINE_LINUX="${GRUB_CMDLINE_LINUX} intel_iommu=on"\n'},
     [], []),
]


@pytest.mark.parametrize("case", GRUB_CASES, ids=[c[0] for c in GRUB_CASES])
def test_grub_configuration(tmp_path, case):
    dummy, files, conflicts, missing = case
    result = run(tmp_path, vm_host().table("DMAR").add(files), iommu=True)
    assert result["kernel_parameters"]["conflicts"] == conflicts
    assert result["kernel_parameters"]["missing_in_config"] == missing
    for conflict in conflicts:
        assert has(result["problems"], conflict["parameter"], "is set in", conflict["where"], "remove it")
    if not conflicts:
        assert result["problems"] == []


def test_conflict_live_in_the_running_kernel(tmp_path):
    result = run(tmp_path, vm_host(cmdline="root=/dev/vda1 iommu=nopt").table("DMAR"), iommu=True, iommu_passthrough=True)
    assert result["kernel_parameters"]["conflicts"] == [{"parameter": "iommu=nopt", "where": "/proc/cmdline"}]
    assert has(result["problems"], "iommu=nopt is set in /proc/cmdline", "next boot")


def test_a_live_value_the_role_wrote_is_no_conflict(tmp_path):
    host = vm_host(cmdline="root=/dev/vda1 hugepagesz=1G hugepages=2").pool_1g(2).add({
        "/etc/default/grub.d/60-hypervisor-kvm.cfg": 'GRUB_CMDLINE_LINUX="$GRUB_CMDLINE_LINUX hugepagesz=1G hugepages=2"\n'})
    result = run(tmp_path, host, hugepages=[{"size": "1G", "count": 4}])
    assert result["kernel_parameters"]["conflicts"] == [] and result["problems"] == []
    assert result["kernel_parameters"]["wanted"] == ["hugepagesz=1G hugepages=4"]
    assert result["kernel_parameters"]["missing_in_config"] == ["hugepagesz=1G hugepages=4"]
    assert result["hugepages"]["pending"] == ["1 GiB pages on the whole host: 2 now, 4 asked: allocated at the next boot"]


def test_hugepages_set_by_a_person_with_another_value_conflicts(tmp_path):
    host = vm_host().pool_1g(0).add({"/etc/default/grub": 'GRUB_CMDLINE_LINUX="hugepagesz=1G hugepages=8"\n'})
    result = run(tmp_path, host, hugepages=[{"size": "1G", "count": 4}])
    assert result["kernel_parameters"]["conflicts"] == [
        {"parameter": "hugepagesz=1G hugepages=8", "where": "/etc/default/grub"}]
    same = run(tmp_path / "same", vm_host().pool_1g(0).add(
        {"/etc/default/grub": 'GRUB_CMDLINE_LINUX="hugepagesz=1G hugepages=4"\n'}), hugepages=[{"size": "1G", "count": 4}])
    assert same["kernel_parameters"]["conflicts"] == [] and same["kernel_parameters"]["missing_in_config"] == []


BLS = "title Red Hat Enterprise Linux\nversion 5.14.0-427.el9.x86_64\nlinux /vmlinuz-5.14.0\n"
GRUBBY_CASES = [
    ("el9-configured", {"/boot/loader/entries/abc-5.14.0.conf": BLS + "options root=/dev/vda1 ro intel_iommu=on\n",
                        "/boot/loader/entries/abc-0-rescue.conf": BLS + "options root=/dev/vda1 ro intel_iommu=on\n"},
     [], [], ["/boot/loader/entries/abc-0-rescue.conf", "/boot/loader/entries/abc-5.14.0.conf"]),
    ("el9-one-entry-lacks-it", {"/boot/loader/entries/abc-5.14.0.conf": BLS + "options root=/dev/vda1 ro intel_iommu=on\n",
                                "/boot/loader/entries/abc-5.14.1.conf": BLS + "options root=/dev/vda1 ro\n"},
     [], ["intel_iommu=on"], ["/boot/loader/entries/abc-5.14.0.conf", "/boot/loader/entries/abc-5.14.1.conf"]),
    ("el8-kernelopts-conflict", {"/boot/loader/entries/abc-4.18.0.conf": BLS + "options $kernelopts $tuned_params\n",
                                 "/boot/grub2/grubenv": "# GRUB Environment Block\nkernelopts=root=/dev/vda1 ro intel_iommu=off\n"},
     [{"parameter": "intel_iommu=off", "where": "/boot/grub2/grubenv"}], ["intel_iommu=on"],
     ["/boot/loader/entries/abc-4.18.0.conf", "/boot/grub2/grubenv"]),
    ("el8-kernelopts-configured", {"/boot/loader/entries/abc-4.18.0.conf": BLS + "options $kernelopts\n",
                                   "/boot/grub2/grubenv": "kernelopts=root=/dev/vda1 ro intel_iommu=on\n"},
     [], [], ["/boot/loader/entries/abc-4.18.0.conf", "/boot/grub2/grubenv"]),
]


@pytest.mark.parametrize("case", GRUBBY_CASES, ids=[c[0] for c in GRUBBY_CASES])
def test_grubby_entries(tmp_path, case):
    dummy, files, conflicts, missing, read_from = case
    # /etc/default/grub says off, but grubby hosts boot from their entries: it is not read.
    host = vm_host().table("DMAR").add(files).add({"/etc/default/grub": 'GRUB_CMDLINE_LINUX="intel_iommu=off"\n'})
    result = run(tmp_path, host, iommu=True, boot_method="grubby")
    assert result["kernel_parameters"]["conflicts"] == conflicts
    assert result["kernel_parameters"]["missing_in_config"] == missing
    assert result["kernel_parameters"]["read_from"] == read_from


GRUBBY_OWN_CASES = [
    # id, options of the entry (or kernelopts), own_parameters, 1G count asked, conflicts, problem words, remove_from_config
    ("person-2M-pool-would-be-overwritten", "root=/dev/vda1 ro hugepagesz=2M hugepages=512", [], 4,
     [{"parameter": "hugepages=512", "where": "E"}, {"parameter": "hugepagesz=2M", "where": "E"}],
     ["hugepagesz=2M is set in E", "grubby replaces an argument of the same name",
      "'hugepagesz=2M hugepages=512 hugepagesz=1G hugepages=4'", "finds its pair and leaves it"], []),
    ("person-default-size-would-be-overwritten", "root=/dev/vda1 default_hugepagesz=2M", [], 4,
     [{"parameter": "default_hugepagesz=2M", "where": "E"}], ["default_hugepagesz=2M is set in E", "grubby"], []),
    ("combined-by-hand-is-found-and-left", "ro hugepagesz=2M hugepages=512 hugepagesz=1G hugepages=4", [], 4, [], None, []),
    ("roles-own-earlier-count-is-no-conflict", "ro hugepagesz=1G hugepages=2", ["hugepagesz=1G hugepages=2"], 4, [], None,
     ["hugepagesz=1G hugepages=2"]),
    ("roles-own-and-still-wanted", "ro hugepagesz=1G hugepages=4", ["hugepagesz=1G hugepages=4"], 4, [], None, []),
    ("roles-own-no-longer-asked", "ro hugepagesz=1G hugepages=2 iommu=pt", ["hugepagesz=1G hugepages=2", "iommu=pt"], None,
     [], None, ["hugepagesz=1G hugepages=2", "iommu=pt"]),
    ("roles-own-gone-from-the-entries", "ro", ["hugepagesz=1G hugepages=2"], None, [], None, []),
    ("without-own-parameters-the-earlier-pair-is-a-persons", "ro hugepagesz=1G hugepages=2", [], 4,
     [{"parameter": "hugepagesz=1G hugepages=2", "where": "E"}], ["hugepagesz=1G hugepages=2 is set in E", "remove it"], []),
    ("own-pair-next-to-a-persons-2M-pool", "ro hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=2",
     ["hugepagesz=1G hugepages=2"], 4, [{"parameter": "hugepages=64", "where": "E"}, {"parameter": "hugepagesz=2M", "where": "E"}],
     ["'hugepagesz=2M hugepages=64 hugepagesz=1G hugepages=4'"], ["hugepagesz=1G hugepages=2"]),
]


@pytest.mark.parametrize("case", GRUBBY_OWN_CASES, ids=[c[0] for c in GRUBBY_OWN_CASES])
@pytest.mark.parametrize("el8", [False, True], ids=["el9-options", "el8-kernelopts"])
def test_grubby_own_parameters_and_what_grubby_would_overwrite(tmp_path, case, el8):
    dummy, options, own, count_1g, conflicts, problem, remove = case
    entry = "/boot/loader/entries/abc-5.14.0.conf"
    where = "/boot/grub2/grubenv" if el8 else entry
    files = ({entry: BLS + "options $kernelopts\n", "/boot/grub2/grubenv": "kernelopts=%s\n" % options} if el8
             else {entry: BLS + "options %s\n" % options})
    host = vm_host().pool_1g(0).add(files)
    hugepages = [{"size": "1G", "count": count_1g}] if count_1g is not None else []
    result = run(tmp_path, host, boot_method="grubby", hugepages=hugepages, own_parameters=own)
    kernel = result["kernel_parameters"]
    assert kernel["conflicts"] == [dict(c, where=where) for c in conflicts]
    assert kernel["remove_from_config"] == remove
    if problem:
        assert has(result["problems"], *[w.replace("set in E", "set in " + where) for w in problem]), result["problems"]
    else:
        assert result["problems"] == []


def test_grubby_would_replace_another_value_of_a_wanted_key(tmp_path):
    host = vm_host().table("DMAR").add({"/boot/loader/entries/a.conf": BLS + "options ro intel_iommu=sm_on\n"})
    result = run(tmp_path, host, iommu=True, boot_method="grubby")
    assert result["kernel_parameters"]["conflicts"] == [{"parameter": "intel_iommu=sm_on", "where": "/boot/loader/entries/a.conf"}]
    assert has(result["problems"], "intel_iommu=sm_on is set in", "grubby replaces an argument of the same name",
               "with intel_iommu=on in it")
    # The same words with grub: the role adds its own drop-in, and the kernel reads both.
    result = run(tmp_path / "grub", vm_host().table("DMAR").add({"/etc/default/grub": 'GRUB_CMDLINE_LINUX="intel_iommu=sm_on"\n'}),
                 iommu=True)
    assert result["problems"] == [] and result["kernel_parameters"]["remove_from_config"] == []


def test_the_roles_earlier_pair_still_live_is_no_conflict(tmp_path):
    # EL: the role asked 2 pages, the host booted with them; now 4 are asked.
    host = vm_host(cmdline="root=/dev/vda1 hugepagesz=1G hugepages=2").pool_1g(2).add(
        {"/boot/loader/entries/a.conf": BLS + "options root=/dev/vda1 hugepagesz=1G hugepages=2\n"})
    result = run(tmp_path, host, boot_method="grubby", hugepages=[{"size": "1G", "count": 4}],
                 own_parameters=["hugepagesz=1G  hugepages=2"])
    kernel = result["kernel_parameters"]
    assert result["problems"] == [] and kernel["conflicts"] == []
    assert kernel["remove_from_config"] == ["hugepagesz=1G hugepages=2"]
    assert kernel["missing_in_config"] == ["hugepagesz=1G hugepages=4"]
    assert has(result["pending_reboot"], "1 GiB pages on the whole host: 2 now, 4 asked")


@pytest.mark.parametrize("own", [[""], ["  "], [3]])
def test_own_parameters_must_be_parameters(tmp_path, own):
    host = vm_host().add({"/boot/loader/entries/a.conf": BLS + "options ro\n"})
    result = run(tmp_path, host, boot_method="grubby", own_parameters=own)
    assert has(result["problems"], "own_parameters[0]", "is not a kernel parameter")


def test_own_parameters_are_ignored_with_grub(tmp_path):
    host = vm_host().pool_1g(0).add({"/etc/default/grub": 'GRUB_CMDLINE_LINUX="hugepagesz=1G hugepages=2"\n'})
    result = run(tmp_path, host, hugepages=[{"size": "1G", "count": 4}], own_parameters=["hugepagesz=1G hugepages=2"])
    assert result["kernel_parameters"]["remove_from_config"] == []
    assert result["kernel_parameters"]["conflicts"] == [{"parameter": "hugepagesz=1G hugepages=2", "where": "/etc/default/grub"}]


@pytest.mark.parametrize("name", ["../../../etc/passwd", "", "a b", "x" * 65])
def test_dropin_name_must_be_a_file_name(tmp_path, name):
    result = run(tmp_path, vm_host(), dropin_name=name)
    assert has(result["problems"], "dropin_name", "is not a file name for /etc/default/grub.d")


def test_grubby_without_entries_is_a_problem(tmp_path):
    result = run(tmp_path, vm_host().table("DMAR"), iommu=True, boot_method="grubby")
    assert has(result["problems"], "grubby", "/boot/loader/entries")


# --- VFIO ---------------------------------------------------------------------------------------

def nic_host(**kwargs):
    """Bare metal: NVMe root (partition) at 3d:00.0 under root port 00:1d.0; two 82574L NICs, one spare GPU."""
    return (Host(**kwargs).table("DMAR")
            .pci("0000:00:1d.0", "8086:a330", "0x060400", "pcieport", 5)
            .pci("0000:3d:00.0", "144d:a808", "0x010802", "nvme", 5)
            .pci("0000:00:1c.0", "8086:a338", "0x060400", "pcieport", 6)
            .pci("0000:01:00.0", "8086:10d3", "0x020000", "e1000e", 7)
            .pci("0000:02:00.0", "8086:10d3", "0x020000", "e1000e", 8)
            .pci("0000:41:00.0", "10de:1b80", "0x030000", "nouveau", 27)
            .pci("0000:41:00.1", "10de:10f0", "0x040300", "snd_hda_intel", 27)
            .root_on("259:2", NVME0N1 + "/nvme0n1p2", partition=True, source="/dev/nvme0n1p2")
            .default_route("eno1", "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/net/eno1"))


ON = "root=/dev/nvme0n1p2 intel_iommu=on"


def test_vfio_by_address_and_by_id(tmp_path):
    result = run(tmp_path, nic_host(cmdline=ON), iommu=True, vfio_devices=["41:00.0", "10de:10F0"])
    assert result["problems"] == []
    assert result["vfio"] == {
        "ids": ["10de:10f0", "10de:1b80"], "drivers": ["nouveau", "snd_hda_intel"],
        "devices": [
            {"address": "0000:41:00.0", "id": "10de:1b80", "driver": "nouveau", "iommu_group": 27,
             "group_members": ["0000:41:00.0", "0000:41:00.1"], "bound": False},
            {"address": "0000:41:00.1", "id": "10de:10f0", "driver": "snd_hda_intel", "iommu_group": 27,
             "group_members": ["0000:41:00.0", "0000:41:00.1"], "bound": False}],
        "pending": ["0000:41:00.0", "0000:41:00.1"]}
    assert has(result["pending_reboot"], "0000:41:00.0 (10de:1b80) is bound to nouveau")
    assert result["deferred"] == []


def test_bound_devices_are_not_pending(tmp_path):
    host = nic_host(cmdline=ON).pci("0000:41:00.0", "10de:1b80", "0x030000", "vfio-pci", 27) \
        .pci("0000:41:00.1", "10de:10f0", "0x040300", "vfio-pci", 27)
    result = run(tmp_path, host, iommu=True, vfio_devices=["0000:41:00.0", "0000:41:00.1"])
    assert result["vfio"]["pending"] == [] and result["vfio"]["drivers"] == []
    assert result["pending_reboot"] == [] and result["changes_need_reboot"] is False


# Lines of a modules.alias (Debian 12, 6.1.0-28-amd64): what modprobe loads for a modalias.
MODULES_ALIAS = (
    "# Aliases extracted from modules themselves.\n"
    "alias pci:v000010DEd*sv*sd*bc03sc*i* nouveau\n"
    "alias pci:v*d*sv*sd*bc04sc03i* snd_hda_intel\n"
    "alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e\n"
    "alias pci:v*d*sv*sd*bc*sc*i* vfio_pci\n"
    "alias usb:v1D6Bp0002d*dc*dsc*dp*ic*isc*ip*in* some_usb_driver\n"
    "alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci\n")


def test_devices_bound_to_vfio_keep_their_drivers_softdep(tmp_path):
    # After the boot that bound them, the driver link says vfio-pci: the softdep must still name the
    # modules that would claim them first, or the next run would drop it and the boot after that
    # would give the devices back to them.
    host = nic_host(cmdline=ON).pci("0000:41:00.0", "10de:1b80", "0x030000", "vfio-pci", 27) \
        .pci("0000:41:00.1", "10de:10f0", "0x040300", "vfio-pci", 27) \
        .add({"/lib/modules/6.1.0-28-amd64/modules.alias": MODULES_ALIAS})
    result = run(tmp_path, host, iommu=True, vfio_devices=["0000:41:00.0", "0000:41:00.1"])
    assert result["vfio"]["drivers"] == ["nouveau", "snd_hda_intel"]
    assert result["vfio"]["pending"] == [] and result["problems"] == []


def test_pci_aliases_are_read_as_modprobe_matches_them():
    aliases = passthrough.parse_pci_aliases(MODULES_ALIAS)
    assert ("pci:v*d*sv*sd*bc*sc*i*", "vfio_pci") in aliases and len(aliases) == 5
    nic = {"modalias": "pci:v00008086d000010D3sv00008086sd0000A01Fbc02sc00i00"}
    assert passthrough.usual_modules(nic, aliases) == ["e1000e"]
    assert passthrough.usual_modules({"modalias": None}, aliases) == []
    assert passthrough.parse_pci_aliases(None) == []


VFIO_PROBLEMS = [
    ("id-shared-with-an-unlisted-device", ["0000:02:00.0"],
     ["0000:02:00.0 has the id 8086:10d3", "0000:01:00.0 has it too", "list them too"]),
    ("id-that-names-the-host-nic", ["8086:10d3"],
     ["0000:01:00.0 is the network card of a default route (eno1)", "remove it from vfio_devices"]),
    ("boot-disk-controller-nvme-partition", ["0000:3d:00.0"],
     ["0000:3d:00.0 is the controller of the root filesystem's disk (nvme0n1)"]),
    ("group-holds-the-nvme", ["0000:00:1d.0"],
     ["0000:00:1d.0 is a PCI bridge on the way to the root filesystem's disk (nvme0n1)"]),
    ("group-member-not-listed", ["0000:41:00.0"],
     ["0000:41:00.0 shares IOMMU group 27 (0000:41:00.0, 0000:41:00.1) with 0000:41:00.1 (10de:10f0, driver "
      "snd_hda_intel), which is not listed", "list 0000:41:00.1 too"]),
    ("no-such-address", ["0000:99:00.0"], ["this host has no PCI device 0000:99:00.0"]),
    ("no-such-id", ["1234:5678"], ["no PCI device of this host has the id 1234:5678"]),
    ("bad-entry", ["gpu0"], ["'gpu0' is neither a PCI address (0000:01:00.0, or 01:00.0 for domain 0000) nor a "
                             "vendor:device id in hex (10de:1b80)"]),
    ("bad-entry-escaped", ["a\x1b[31mb"], ["'a\\x1b[31mb' is neither"]),
]


@pytest.mark.parametrize("case", VFIO_PROBLEMS, ids=[c[0] for c in VFIO_PROBLEMS])
def test_vfio_problems(tmp_path, case):
    dummy, entries, words = case
    result = run(tmp_path, nic_host(cmdline=ON), iommu=True, vfio_devices=entries)
    assert has(result["problems"], *words), result["problems"]


def test_host_devices_of_nvme_and_nic(tmp_path):
    result = run(tmp_path, nic_host(cmdline=ON))
    assert result["host_devices"]["boot_disk"] == ["0000:00:1d.0", "0000:3d:00.0"]
    assert result["host_devices"]["network"] == ["0000:00:1c.0", "0000:01:00.0"]
    assert result["host_devices"]["reasons"]["0000:3d:00.0"] == "the controller of the root filesystem's disk (nvme0n1)"


def test_boot_disk_virtio_blk_whole_disk(tmp_path):
    host = (Host().pci("0000:00:05.0", "1af4:1042", "0x010000", "virtio-pci")
            .root_on("252:0", VDA, source="/dev/vda"))
    result = run(tmp_path, host, vfio_devices=["00:05.0"])
    assert result["host_devices"]["boot_disk"] == ["0000:00:05.0"]
    assert has(result["problems"], "0000:00:05.0 is the controller of the root filesystem's disk (vda)")


def test_boot_disk_lvm_on_nvme_through_dm_slaves(tmp_path):
    host = (Host().table("DMAR").pci("0000:00:1d.0", "8086:a330", "0x060400", "pcieport")
            .pci("0000:3d:00.0", "144d:a808", "0x010802", "nvme")
            .root_on("253:0", "/sys/devices/virtual/block/dm-0", source="/dev/mapper/vg-root")
            .add({NVME0N1 + "/nvme0n1p3/partition": "3\n"},
                 {"/sys/devices/virtual/block/dm-0/slaves/nvme0n1p3":
                  "../../../../pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1/nvme0n1p3"}))
    result = run(tmp_path, host, iommu=True, vfio_devices=["0000:3d:00.0"])
    assert result["host_devices"]["boot_disk"] == ["0000:00:1d.0", "0000:3d:00.0"]
    assert has(result["problems"], "0000:3d:00.0 is the controller of the root filesystem's disk (nvme0n1, under dm-0)")


def test_btrfs_root_without_a_block_number_is_found_by_its_source(tmp_path):
    host = (Host().pci("0000:3d:00.0", "144d:a808", "0x010802", "nvme")
            .root_on("0:33", NVME0N1 + "/nvme0n1p2", partition=True, fstype="btrfs", source="/dev/nvme0n1p2")
            .add(links={"/sys/class/block/nvme0n1p2": "../../devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0/nvme0n1/nvme0n1p2"}))
    result = run(tmp_path, host)
    assert result["host_devices"]["boot_disk"] == ["0000:00:1d.0", "0000:3d:00.0"]


SDA = "/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda"
SDB = "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/host1/target1:0:0/1:0:0:0/block/sdb"


def disks_host():
    """Root on nvme0n1p2; /boot on sda1 (AHCI 00:1f.2); /srv on sdb1 (HBA 02:00.0 under 00:1c.0); swap on sda2."""
    mountinfo = ("22 1 0:21 / /proc rw - proc proc rw\n"
                 "29 1 259:2 / / rw shared:1 - ext4 /dev/nvme0n1p2 rw\n"
                 "30 29 8:1 / /boot rw - ext4 /dev/sda1 rw\n"
                 "31 29 8:17 / /srv/my\\040data rw - xfs /dev/sdb1 rw\n"
                 "32 29 0:40 / /run rw - tmpfs tmpfs rw\n"
                 "33 29 7:0 / /snap/core/1 ro - squashfs /dev/loop0 ro\n"
                 "34 29 0:52 / /run/user/1000/doc rw - fuse.portal /dev/fuse rw\n"
                 "35 29 0:53 / /mnt/nfs rw - nfs4 server:/export rw\n")
    return (Host().pci("0000:00:1d.0", "8086:a330", "0x060400", "pcieport")
            .pci("0000:3d:00.0", "144d:a808", "0x010802", "nvme")
            .pci("0000:00:1f.2", "8086:2922", "0x010601", "ahci")
            .pci("0000:00:1c.0", "8086:a338", "0x060400", "pcieport")
            .pci("0000:02:00.0", "1000:0097", "0x010700", "mpt3sas")
            .root_on("259:2", NVME0N1 + "/nvme0n1p2", partition=True, source="/dev/nvme0n1p2")
            .add({"/proc/self/mountinfo": mountinfo, SDA + "/sda1/partition": "1\n", SDA + "/sda2/partition": "2\n",
                  SDB + "/sdb1/partition": "1\n", "/sys/devices/virtual/block/loop0/size": "8\n",
                  "/proc/swaps": "Filename\tType\tSize\tUsed\tPriority\n/dev/sda2 partition 1000 0 -2\n"
                                 "/swapfile file 1000 0 -3\n"},
                 {"/sys/dev/block/8:1": "../../devices" + SDA[len("/sys/devices"):] + "/sda1",
                  "/sys/dev/block/8:17": "../../devices" + SDB[len("/sys/devices"):] + "/sdb1",
                  "/sys/dev/block/7:0": "../../devices/virtual/block/loop0",
                  "/sys/class/block/sda2": "../../devices" + SDA[len("/sys/devices"):] + "/sda2"}))


def test_every_block_mount_and_swap_partition_is_the_hosts(tmp_path):
    result = run(tmp_path, disks_host())
    devices = result["host_devices"]
    assert devices["boot_disk"] == ["0000:00:1c.0", "0000:00:1d.0", "0000:00:1f.2", "0000:02:00.0", "0000:3d:00.0"]
    assert devices["reasons"]["0000:3d:00.0"] == "the controller of the root filesystem's disk (nvme0n1)"
    assert devices["reasons"]["0000:00:1f.2"] == "the controller of the disk holding /boot (sda)"
    assert devices["reasons"]["0000:02:00.0"] == "the controller of the disk holding /srv/my data (sdb)"
    assert devices["reasons"]["0000:00:1c.0"] == "a PCI bridge on the way to the disk holding /srv/my data (sdb)"
    assert devices["unresolved"] == []  # the loop device of a snap is no hardware, the swap file is on /
    result = run(tmp_path / "vfio", disks_host(), vfio_devices=["0000:02:00.0"])
    assert has(result["problems"], "0000:02:00.0 is the controller of the disk holding /srv/my data (sdb)",
               "must stay with the host")


def test_swap_partition_alone_on_a_disk(tmp_path):
    host = disks_host().add({"/proc/swaps": "Filename Type Size Used Priority\n/dev/sdb2 partition 1 0 -2\n",
                             SDB + "/sdb2/partition": "2\n"},
                            {"/sys/class/block/sdb2": "../../devices" + SDB[len("/sys/devices"):] + "/sdb2"})
    host.files["/proc/self/mountinfo"] = "29 1 259:2 / / rw shared:1 - ext4 /dev/nvme0n1p2 rw\n"
    result = run(tmp_path, host)
    assert result["host_devices"]["reasons"]["0000:02:00.0"] == "the controller of the disk of the swap device /dev/sdb2 (sdb)"


UNRESOLVED_CASES = [
    # id, mountinfo, swaps, unresolved words
    ("zfs-root", "29 1 0:25 / / rw shared:1 - zfs rpool/ROOT/debian rw,xattr\n", "",
     "the filesystem on / (zfs, rpool/ROOT/debian on 0:25) has no block device in /sys"),
    ("zfs-home", "29 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n30 29 0:26 / /home rw - zfs tank/home rw\n", "",
     "the filesystem on /home (zfs, tank/home on 0:26)"),
    ("snapshot-without-sys-dev-block", "29 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n30 29 8:1 / /boot rw - ext4 /dev/sda1 rw\n",
     "", "the filesystem on /boot (ext4, /dev/sda1 on 8:1) has no block device in /sys"),
    ("swap-partition-unknown", "29 1 259:2 / / rw - ext4 /dev/nvme0n1p2 rw\n",
     "Filename Type Size Used Priority\n/dev/sdc2 partition 1 0 -2\n", "the swap device /dev/sdc2 has no block device"),
    ("no-root-mount", "22 1 0:21 / /proc rw - proc proc rw\n", "", "no root mount found"),
]


@pytest.mark.parametrize("case", UNRESOLVED_CASES, ids=[c[0] for c in UNRESOLVED_CASES])
def test_host_devices_not_traced_refuse_every_vfio_device(tmp_path, case):
    dummy, mountinfo, swaps, words = case
    host = nic_host(cmdline=ON).add({"/proc/self/mountinfo": mountinfo, "/proc/swaps": swaps})
    result = run(tmp_path, host, iommu=True)
    assert has(result["host_devices"]["unresolved"], words), result["host_devices"]["unresolved"]
    assert result["problems"] == []  # nothing asked of vfio-pci: nothing to refuse
    result = run(tmp_path / "vfio", host, iommu=True, vfio_devices=["0000:41:00.0", "0000:41:00.1"])
    assert has(result["problems"], "could not all be traced to PCI devices", words,
               "nothing is given to vfio-pci while they are unknown"), result["problems"]


def test_device_sharing_a_group_with_the_root_disk_controller(tmp_path):
    # The SATA controller (root on sda) and the audio function of the same chipset in one group.
    host = (Host(cmdline="intel_iommu=on").table("DMAR")
            .pci("0000:00:1f.2", "8086:2922", "0x010601", "ahci", 9)
            .pci("0000:00:1f.3", "8086:2930", "0x0c0500", "i801_smbus", 9)
            .root_on("8:1", "/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block/sda/sda1",
                     partition=True, source="/dev/sda1"))
    result = run(tmp_path, host, iommu=True, vfio_devices=["0000:00:1f.3"])
    assert has(result["problems"], "0000:00:1f.3 shares IOMMU group 9 (0000:00:1f.2, 0000:00:1f.3) with 0000:00:1f.2",
               "the controller of the root filesystem's disk (sda)", "must stay with the host")


def test_device_in_no_group_while_the_iommu_is_on(tmp_path):
    host = nic_host(cmdline=ON).pci("0000:42:00.0", "10de:1e89", "0x030000", "nouveau")
    result = run(tmp_path, host, iommu=True, vfio_devices=["0000:42:00.0"])
    assert has(result["problems"], "0000:42:00.0 is in no IOMMU group although the IOMMU is on")


def test_group_checks_are_deferred_while_the_iommu_is_off(tmp_path):
    host = vm_host().table("DMAR").pci("0000:41:00.0", "10de:1b80", "0x030000", "nouveau") \
        .pci("0000:41:00.1", "10de:10f0", "0x040300", "snd_hda_intel")
    result = run(tmp_path, host, iommu=True, vfio_devices=["0000:41:00.0"])
    assert result["problems"] == []
    assert has(result["deferred"], "the IOMMU is not on yet", "0000:41:00.0", "after the reboot")
    assert result["vfio"]["devices"][0]["iommu_group"] is None and result["vfio"]["devices"][0]["group_members"] == []


def test_default_route_nic_under_a_bridge(tmp_path):
    host = (Host().pci("0000:01:00.0", "8086:1533", "0x020000", "igb")
            .default_route("br0", "/sys/devices/virtual/net/br0")
            .add({"/sys/devices/virtual/net/br0/brif/enp1s0": "", "/proc/net/ipv6_route":
                  "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                  "00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n"})
            .net("enp1s0", "/sys/devices/pci0000:00/0000:00:1c.4/0000:01:00.0/net/enp1s0"))
    result = run(tmp_path, host, vfio_devices=["0000:01:00.0"])
    assert result["host_devices"]["network"] == ["0000:00:1c.4", "0000:01:00.0"]
    assert has(result["problems"], "0000:01:00.0 is the network card of a default route (enp1s0, under br0)")


def test_default_route_over_a_bond(tmp_path):
    host = (Host().default_route("bond0", "/sys/devices/virtual/net/bond0")
            .add({"/sys/devices/virtual/net/bond0/lower_eno1": "", "/sys/devices/virtual/net/bond0/lower_eno2": ""})
            .net("eno1", "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0/net/eno1")
            .net("eno2", "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.1/net/eno2"))
    result = run(tmp_path, host)
    assert result["host_devices"]["network"] == ["0000:00:1c.0", "0000:01:00.0", "0000:01:00.1"]


def test_boot_vga_gpu_stays_with_the_host(tmp_path):
    host = nic_host(cmdline=ON).pci("0000:00:02.0", "8086:4680", "0x030000", "i915", 1, boot_vga=1)
    result = run(tmp_path, host, iommu=True, vfio_devices=["00:02.0"])
    assert result["host_devices"]["console"] == ["0000:00:02.0"]
    assert has(result["problems"], "0000:00:02.0 is the boot display (boot_vga is 1)")


def test_vfio_without_iommu_asked_and_off(tmp_path):
    host = Host().table("DMAR").pci("0000:41:00.0", "10de:1b80", "0x030000", "nouveau")
    result = run(tmp_path, host, vfio_devices=["0000:41:00.0"])
    assert has(result["problems"], "vfio_devices need the IOMMU", "iommu: true")


# --- Huge pages ---------------------------------------------------------------------------------

def numa_host(**kwargs):
    return vm_host(mem_kb=8 * GIB, **kwargs).pool_1g(0).node(0, 4 * GIB, pool_1g=0).node(1, 4 * GIB, pool_1g=0)


HUGEPAGE_CASES = [
    ("2M-host-wide", [{"size": "2M", "count": 512}],
     {"runtime": [{"size_kb": 2048, "count": 512, "node": None, "current": 0,
                   "path": "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "apply_now": True}],
      "boot": [], "runtime_deferred": [],
      "runtime_pending": ["2 MiB pages on the whole host: 0 now, 512 asked: the role writes "
                          "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"], "pending": []}, [], None),
    ("2M-per-node-spelled-2048kB", [{"size": "2048kB", "count": 256, "node": 1}, {"size": "2MB", "count": 0, "node": 0}],
     {"runtime": [{"size_kb": 2048, "count": 0, "node": 0, "current": 0,
                   "path": "/sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages", "apply_now": True},
                  {"size_kb": 2048, "count": 256, "node": 1, "current": 0,
                   "path": "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "apply_now": True}],
      "boot": [], "runtime_deferred": [],
      "runtime_pending": ["2 MiB pages on node 1: 0 now, 256 asked: the role writes "
                          "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"], "pending": []}, [], None),
    ("1G-host-wide", [{"size": "1G", "count": 2}],
     {"runtime": [], "runtime_deferred": [], "boot": [{"size_kb": 1048576, "count": 2, "node": None, "current": 0}], "runtime_pending": [],
      "pending": ["1 GiB pages on the whole host: 0 now, 2 asked: allocated at the next boot"]},
     ["hugepagesz=1G hugepages=2"], None),
    ("1G-per-node", [{"size": "1GB", "count": 1, "node": 1}, {"size": "1048576kB", "count": 1, "node": 0}],
     {"runtime": [], "runtime_deferred": [],
      "boot": [{"size_kb": 1048576, "count": 1, "node": 0, "current": 0},
               {"size_kb": 1048576, "count": 1, "node": 1, "current": 0}], "runtime_pending": [],
      "pending": ["1 GiB pages on node 0: 0 now, 1 asked: allocated at the next boot",
                  "1 GiB pages on node 1: 0 now, 1 asked: allocated at the next boot"]},
     ["hugepagesz=1G hugepages=0:1,1:1"], None),
    ("exceeds-a-node", [{"size": "2M", "count": 1536, "node": 0}], None, [],
     ["asks 3072 MiB of huge pages on node 0, which has 4096 MiB: at least 2048 MiB must stay outside huge pages "
      "(min_free_mb); ask for at most 1024 2 MiB pages"]),
    ("exceeds-the-host", [{"size": "1G", "count": 5}, {"size": "2M", "count": 1024}], None, None,
     ["asks 7168 MiB of huge pages on the host, which has 8192 MiB", "ask for at most 512 2 MiB pages with the other pools"]),
    ("unknown-node", [{"size": "2M", "count": 1, "node": 3}], None, [],
     ["hugepages[0]: node 3 is not a NUMA node of this host (it has node0, node1"]),
    ("bad-size", [{"size": "4M", "count": 1}], None, [],
     ["hugepages[0]: size '4M' is not a huge page size this role sets: use 2M or 1G"]),
    ("bad-size-word", [{"size": "huge", "count": 1}], None, [], ["size 'huge'"]),
    ("negative-count", [{"size": "2M", "count": -1}], None, [], ["count -1 is not a whole number"]),
    ("twice", [{"size": "2M", "count": 1}, {"size": "2M", "count": 2}], None, [], ["hugepages[1] asks the 2 MiB pool a second time"]),
    ("1G-mixed-forms", [{"size": "1G", "count": 1}, {"size": "1G", "count": 1, "node": 0}], None, None,
     ["both for the whole host and per node"]),
]


@pytest.mark.parametrize("case", HUGEPAGE_CASES, ids=[c[0] for c in HUGEPAGE_CASES])
def test_hugepages(tmp_path, case):
    dummy, entries, expected, wanted, problem = case
    result = run(tmp_path, numa_host(), hugepages=entries)
    if expected is not None:
        assert result["hugepages"] == expected
    if wanted is not None:
        assert result["kernel_parameters"]["wanted"] == wanted
    if problem:
        assert has(result["problems"], *problem), result["problems"]
    else:
        assert result["problems"] == []
    assert result["changes_need_reboot"] == bool(result["hugepages"]["pending"])


def test_1g_without_pdpe1gb(tmp_path):
    result = run(tmp_path, vm_host(cpuinfo=INTEL_NO_1G), hugepages=[{"size": "1G", "count": 1}])
    assert has(result["problems"], "hugepages[0]: 1 GiB pages need the CPU flag pdpe1gb")
    assert result["kernel_parameters"]["wanted"] == []


def test_1g_per_node_needs_linux_5_16(tmp_path):
    result = run(tmp_path, numa_host(osrelease="5.15.0-91-generic"), hugepages=[{"size": "1G", "count": 1, "node": 0}])
    assert has(result["problems"], "Linux 5.16", "5.15.0-91-generic")
    newer = run(tmp_path / "newer", numa_host(osrelease="5.16.0"), hugepages=[{"size": "1G", "count": 1, "node": 0}])
    assert newer["problems"] == []


def test_min_free_mb_counts(tmp_path):
    result = run(tmp_path, numa_host(), hugepages=[{"size": "2M", "count": 1536, "node": 0}], min_free_mb=512)
    assert result["problems"] == []


def test_1g_live_pool_holds_the_count(tmp_path):
    host = numa_host(cmdline="root=/dev/vda1 hugepagesz=1G hugepages=2").pool_1g(2)
    result = run(tmp_path, host, hugepages=[{"size": "1G", "count": 2}])
    assert result["kernel_parameters"]["live"] == ["hugepagesz=1G hugepages=2"]
    assert result["hugepages"]["pending"] == [] and result["changes_need_reboot"] is False


def test_1g_pool_short_after_booting_with_its_parameter_is_a_problem_not_pending(tmp_path):
    # Seen on the Debian 12 VM with 3 GiB: "HugeTLB: allocating 1 of page size 1.00 GiB failed.
    # Only allocated 0 hugepages." A reboot would fail the same way: the role must not reboot again.
    host = numa_host(cmdline="root=/dev/vda1 hugepagesz=1G hugepages=2").pool_1g(1)
    result = run(tmp_path, host, hugepages=[{"size": "1G", "count": 2}])
    assert result["hugepages"]["pending"] == [] and result["pending_reboot"] == []
    assert result["changes_need_reboot"] is False
    assert has(result["problems"], "booted with hugepagesz=1G hugepages=2", "holds 1 of the 2", "at most 1")
    # Not booted with it yet: the same shortage waits for the boot, and is no problem.
    result = run(tmp_path / "before", numa_host(cmdline="root=/dev/vda1").pool_1g(1),
                 hugepages=[{"size": "1G", "count": 2}])
    assert result["problems"] == [] and has(result["pending_reboot"], "1 GiB pages on the whole host")


def test_1g_per_node_short_after_booting_names_the_node(tmp_path):
    host = numa_host(cmdline="root=/dev/vda1 hugepagesz=1G hugepages=0:1,1:1", osrelease="6.1.0-28-amd64")
    host.node(1, 4 * GIB, pool_1g=0).node(0, 4 * GIB, pool_1g=1)
    result = run(tmp_path, host, hugepages=[{"size": "1G", "count": 1, "node": 0}, {"size": "1G", "count": 1, "node": 1}])
    assert has(result["problems"], "holds 0 of the 1 1 GiB pages asked for on node 1", "put pages on other nodes")
    assert result["pending_reboot"] == []


RUNTIME_ROOM_CASES = [
    # id, MemAvailable kB, pools already (host-wide 2M, node 0 2M), entries, apply_now per pool, deferred words
    ("fits", 4 * GIB, (0, 0), [{"size": "2M", "count": 1024}], [True], []),
    ("busy-host", 3 * GIB, (0, 0), [{"size": "2M", "count": 1536}], [False],
     ["2 MiB pages on the whole host: 0 now, 1536 asked: more than the memory available now (2048 MiB free beyond "
      "min_free_mb), so they are reserved at the next boot"]),
    ("only-the-growth-counts", 3 * GIB, (512, 512), [{"size": "2M", "count": 1024}], [True], []),
    ("shrinking-is-always-now", 1 * GIB, (1024, 1024), [{"size": "2M", "count": 16}], [True], []),
    ("equal-is-now", 1 * GIB, (1024, 1024), [{"size": "2M", "count": 1024}], [True], []),
    ("pools-draw-on-the-same-memory", 3 * GIB, (0, 0),
     [{"size": "2M", "count": 768, "node": 0}, {"size": "2M", "count": 768, "node": 1}], [True, False],
     ["2 MiB pages on node 1: 0 now, 768 asked: more than the memory available now (512 MiB free"]),
    ("no-memavailable", None, (0, 0), [{"size": "2M", "count": 1}], [False],
     ["MemAvailable in /proc/meminfo could not be read"]),
]


@pytest.mark.parametrize("case", RUNTIME_ROOM_CASES, ids=[c[0] for c in RUNTIME_ROOM_CASES])
def test_runtime_pools_wait_for_the_boot_when_the_memory_free_now_is_short(tmp_path, case):
    dummy, available_kb, (now_host, now_node0), entries, apply_now, deferred = case
    host = vm_host(mem_kb=8 * GIB, available_kb=available_kb or 0).node(0, 4 * GIB, pool_2m=now_node0).node(1, 4 * GIB)
    host.files["/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"] = "%d\n" % now_host
    if available_kb is None:
        host.files["/proc/meminfo"] = "MemTotal: %d kB\n" % (8 * GIB)
    result = run(tmp_path, host, hugepages=entries, min_free_mb=1024)
    assert result["problems"] == []
    assert [pool["apply_now"] for pool in result["hugepages"]["runtime"]] == apply_now
    assert len(result["hugepages"]["runtime_deferred"]) == len(deferred)
    for words in deferred:
        assert has(result["hugepages"]["runtime_deferred"], words), result["hugepages"]["runtime_deferred"]
        assert has(result["pending_reboot"], words)
    assert not any(has(result["hugepages"]["runtime_pending"], line) for line in result["hugepages"]["runtime_deferred"])
    assert result["changes_need_reboot"] == bool(deferred)


# --- Parsers --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,expected", [
    ("2M", 2048), ("2m", 2048), ("2048kB", 2048), ("2MB", 2048), ("1G", 1048576), ("1GB", 1048576),
    ("1048576kB", 1048576), ("4M", None), ("", None), (None, None), ("1T", None), ("2 M", 2048),
])
def test_parse_hugepage_size(text, expected):
    assert passthrough.parse_hugepage_size(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("0000:01:00.0", ("address", "0000:01:00.0")), ("01:00.0", ("address", "0000:01:00.0")),
    ("10000:e1:00.7", ("address", "10000:e1:00.7")), ("10DE:1B80", ("id", "10de:1b80")),
    ("01:00", (None, None)), ("0000:01:00.8", (None, None)), ("10de-1b80", (None, None)),
])
def test_parse_vfio_entry(text, expected):
    assert passthrough.parse_vfio_entry(text) == expected


def test_shown_escapes_and_cuts():
    assert passthrough.shown("a\nb\x1b") == "a\\x0ab\\x1b"
    assert len(passthrough.shown("x" * 10000)) == passthrough.FIELD_MAX


# --- The module, as Ansible runs it -------------------------------------------------------------------

MODULE = pathlib.Path(kvm_passthrough_plan.__file__)
COLLECTIONS = str(MODULE.parents[5])


def run_module(tmp_path, **args):
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=True)}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS] + sys.path))
    proc = subprocess.run([sys.executable, str(MODULE), str(path)], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    return json.loads(proc.stdout)


def test_module_against_a_snapshot(tmp_path):
    root = nic_host(cmdline=ON).write(tmp_path / "host")
    result = run_module(tmp_path, root=root, iommu=True, iommu_passthrough=True,
                        vfio_devices=["0000:41:00.0", "0000:41:00.1"], hugepages=[{"size": "2M", "count": 64}])
    assert result["changed"] is False and "failed" not in result
    assert KEYS <= set(result)
    assert result["problems"] == []
    assert result["kernel_parameters"]["wanted"] == ["intel_iommu=on", "iommu=pt"]
    assert result["kernel_parameters"]["pending"] == ["iommu=pt"]
    assert result["vfio"]["ids"] == ["10de:10f0", "10de:1b80"]
    assert result["changes_need_reboot"] is True


def test_module_refuses_a_root_that_is_no_host(tmp_path):
    result = run_module(tmp_path, root=str(tmp_path / "missing"))
    assert result["failed"] is True
    assert result["msg"].startswith("Cannot plan the IOMMU, VFIO and huge pages: the snapshot directory")


def test_module_argument_spec_rejects_a_bad_boot_method(tmp_path):
    result = run_module(tmp_path, root="/", boot_method="lilo")
    assert result["failed"] is True and "boot_method" in result["msg"]


def test_hostile_links_are_read_not_followed_and_loops_end(tmp_path):
    # A dm device that is its own slave, a link pointing out of the root, an interface named with an escape.
    host = (Host().root_on("253:0", "/sys/devices/virtual/block/dm-0", source="/dev/mapper/x")
            .add(links={"/sys/devices/virtual/block/dm-0/slaves/dm-0": "../../dm-0",
                        "/sys/devices/virtual/block/dm-0/slaves/evil": "/etc/../../../root/.ssh"})
            .default_route("eth0", "/sys/devices/virtual/net/eth0"))
    host.files["/proc/net/route"] += "e\x1b[2Jth1\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
    result = run(tmp_path, host, vfio_devices=["0000:00:05.0"])
    assert result["host_devices"]["boot_disk"] == [] and result["host_devices"]["network"] == []
    assert result["host_devices"]["unresolved"] == [
        "the interface e\\x1b[2Jth1 of a default route is not in /sys/class/net"]
    assert not any("\x1b" in text for text in strings(result))
    assert has(result["problems"], "this host has no PCI device 0000:00:05.0")


CONFLICT_CASES = [
    # id, cpuinfo, table, grub line, params, conflicting parameters
    ("amd_iommu=off on AMD", AMD, "IVRS", "amd_iommu=off", {"iommu": True}, ["amd_iommu=off"]),
    ("amd_iommu=off on Intel is not about this host", INTEL, "DMAR", "amd_iommu=off", {"iommu": True}, []),
    ("iommu=off undoes the IOMMU", INTEL, "DMAR", "iommu=off", {"iommu": True}, ["iommu=off"]),
    ("iommu.passthrough=0 undoes pt", INTEL, "DMAR", "iommu.passthrough=0", {"iommu": True, "iommu_passthrough": True},
     ["iommu.passthrough=0"]),
    ("iommu=pt is no conflict when not asked", INTEL, "DMAR", "iommu=pt", {"iommu": True}, []),
    ("nothing asked, nothing conflicts", INTEL, "DMAR", "intel_iommu=off iommu=soft", {}, []),
]


@pytest.mark.parametrize("case", CONFLICT_CASES, ids=[c[0] for c in CONFLICT_CASES])
@pytest.mark.parametrize("boot_method", ["grub_dropin", "grub_block"])
def test_conflicting_values(tmp_path, case, boot_method):
    dummy, cpuinfo, table, line, params, conflicting = case
    host = vm_host(cpuinfo=cpuinfo).table(table).add({"/etc/default/grub": 'GRUB_CMDLINE_LINUX="%s"\n' % line})
    result = run(tmp_path, host, boot_method=boot_method, **params)
    assert [c["parameter"] for c in result["kernel_parameters"]["conflicts"]] == conflicting


def test_ipv6_default_route_nic(tmp_path):
    host = (Host().add({"/proc/net/ipv6_route":
                        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 "
                        "fe800000000000000000000000000001 00000400 00000001 00000000 00450003   enp2s0\n"})
            .net("enp2s0", "/sys/devices/pci0000:00/0000:00:1c.1/0000:02:00.0/net/enp2s0"))
    result = run(tmp_path, host)
    assert result["host_devices"]["network"] == ["0000:00:1c.1", "0000:02:00.0"]
