# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Planning the IOMMU, VFIO device binding and huge pages of a host, read-only.

``read_host(files, boot_method, dropin_name)`` reads everything the plan needs through the
``_sources`` reader (so a captured snapshot works as the live host does) into a plain dict of
texts, names and link targets; ``plan(host, params)`` decides from that dict alone and returns
what the role must change, what refuses (``problems``), what waits for the IOMMU
(``deferred``) and what waits for a reboot (``pending_reboot``). Every value a host gave that
reaches a message or the result is cut to ``FIELD_MAX`` and has its control characters escaped.
"""

import fnmatch
import os
import posixpath
import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuinfo as cpuinfo
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_log as kernel_log
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _sources as sources

FIELD_MAX = file_values.FIELD_MAX
DEVICES_MAX = 1024  # PCI devices read, and vfio_devices entries taken
ALIASES_MAX = 65536  # PCI lines of modules.alias (Debian 12's kernel has about 9000)
POOLS_MAX = 64  # hugepages entries taken
FILES_MAX = 64  # grub drop-ins or BLS entries read
CONFIG_LIMIT = 65536  # bytes read of one configuration file
TOKENS_MAX = 1024  # words taken of one command line
DEPTH_MAX = 8  # stacked block or network devices followed (dm on md on a partition...)
LINES_MAX = 4096

ROLE_BLOCK_BEGIN = "# BEGIN hypervisor.kvm kvm_host"
ROLE_BLOCK_END = "# END hypervisor.kvm kvm_host"
GRUB_DEFAULT = "/etc/default/grub"
GRUB_DROPINS = "/etc/default/grub.d"
BLS_ENTRIES = "/boot/loader/entries"
GRUBENV = "/boot/grub2/grubenv"
PROC_CMDLINE = "/proc/cmdline"
BOOT_METHODS = ("grub_dropin", "grub_block", "grubby")

# The ACPI table that announces each IOMMU, and the vendor it names.
FIRMWARE_TABLES = (("DMAR", "intel"), ("IVRS", "amd"), ("IORT", None))
_CPU_IOMMU_VENDOR = {"intel": "intel", "zhaoxin": "intel", "amd": "amd", "hygon": "amd"}
# What the firmware setup calls the IOMMU, by the CPU's vendor when no ACPI table tells.
_FIRMWARE_SETTING = {"intel": "VT-d (Intel Virtualization Technology for Directed I/O)",
                     "amd": "the AMD IOMMU (AMD-Vi)"}

SIZE_2M = 2048
SIZE_1G = 1048576
_SIZE_WORDS = {SIZE_2M: "2 MiB", SIZE_1G: "1 GiB"}
_SIZE_PARAMETER = {SIZE_2M: "2M", SIZE_1G: "1G"}
# hugepages=<node>:<count>[,<node>:<count>] came with Linux 5.16: commit b5389086ad7b
# "hugetlbfs: extend the definition of hugepages parameter to support node allocation"
# (mm/hugetlb.c hugepages_setup; Documentation/admin-guide/kernel-parameters.txt "Format:
# <integer> or (node format) <node>:<integer>[,<node>:<integer>]"). Older kernels ignore it.
HUGEPAGES_NODE_FORMAT_SINCE = (5, 16)

PCI_CLASS_BRIDGE = "0x0604"
# Drivers a group member may have without keeping the group from vfio (besides no driver).
_GROUP_VIABLE_DRIVERS = ("vfio-pci", "pci-stub", "pcieport")

_PCI_ADDRESS = re.compile(r"^(?:([0-9a-f]{4,8}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$")
_PCI_ID = re.compile(r"^([0-9a-f]{4}):([0-9a-f]{4})$")
_SYSFS_PCI = re.compile(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_SIZE = re.compile(r"^\s*(\d{1,10})\s*(k|kb|m|mb|g|gb)\s*$", re.I)
_SIZE_UNITS = {"k": 1, "kb": 1, "m": 1024, "mb": 1024, "g": 1048576, "gb": 1048576}
_CONTROL = re.compile(u"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_NODE_NAME = re.compile(r"^node(\d{1,4})$")
_POOL_NAME = re.compile(r"^hugepages-(\d{1,10})kB$")
_DROPIN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_GRUB_ASSIGNMENT = re.compile(r"^(?:export\s+)?(GRUB_CMDLINE_LINUX(?:_DEFAULT)?)(\+?=)(.*)$")


def shown(value):
    """A host's value made safe for a message: cut to FIELD_MAX, control characters escaped."""
    text = u"%s" % (value,)
    text = _CONTROL.sub(lambda m: "\\x%02x" % ord(m.group(0)) if ord(m.group(0)) < 256
                        else "\\u%04x" % ord(m.group(0)), text[:FIELD_MAX])
    return text


# ---------------------------------------------------------------------------------------------
# Reading: the only part that touches the host, through a _sources.HostFiles.

def read_host(files, boot_method="grub_dropin", dropin_name="60-hypervisor-kvm"):
    """Read what ``plan`` needs from the host under ``files`` (a ``_sources.HostFiles``).

    Returns a dict of plain values: texts (``None`` when not readable), sorted names, and
    resolved sysfs paths (strings; no link is followed to get them, targets are read).
    """
    host = {
        "live": files.live,
        "arch": _arch(files),
        "osrelease": file_values.first_line(files.text("/proc/sys/kernel/osrelease", 4096)),
        "cpuinfo": files.text("/proc/cpuinfo", 1024 * 1024),
        "cmdline": files.text(PROC_CMDLINE, 65536),
        "tables": [name for name, dummy in FIRMWARE_TABLES if files.exists("/sys/firmware/acpi/tables/" + name)],
        "iommu_groups": len(files.listdir("/sys/kernel/iommu_groups")),
        "pci": _read_pci(files),
        "meminfo": files.text("/proc/meminfo", 65536),
        "pools": [n for n in files.listdir("/sys/kernel/mm/hugepages") if _POOL_NAME.match(n)][:16],
        "nodes": {},
        "pool_counts": {},
        "dropin_name": dropin_name,
        "boot_method": boot_method,
    }
    for name in files.listdir("/sys/devices/system/node")[:DEVICES_MAX]:
        match = _NODE_NAME.match(name)
        if match:
            host["nodes"][int(match.group(1))] = files.text("/sys/devices/system/node/%s/meminfo" % name, 65536)
    sizes = [int(_POOL_NAME.match(n).group(1)) for n in host["pools"]]
    paths = [pool_path(size, node) for size in sizes for node in [None] + sorted(host["nodes"])]
    host["pool_counts"] = read_pool_counts(files, paths)
    host["config"] = _read_config(files, boot_method)
    host["root"] = _read_root_disks(files)
    host["network"] = _read_default_route_devices(files)
    # Which module claims each device when it is not vfio-pci's: what modprobe reads for the
    # running kernel. A device bound to vfio-pci since the last boot shows no other driver.
    host["module_aliases"] = parse_pci_aliases(
        files.text("/lib/modules/%s/modules.alias" % host["osrelease"], 16 * 1024 * 1024)
        if host["osrelease"] and "/" not in host["osrelease"] else None)
    return host


def parse_pci_aliases(text):
    """The PCI lines of modules.alias ('alias pci:v00008086d000010D3sv*sd*bc*sc*i* e1000e'), as
    ``[(pattern, module)]``; [] without the file."""
    aliases = []
    for line in (text or "").splitlines():
        words = line.split()
        if len(words) == 3 and words[0] == "alias" and words[1].startswith("pci:"):
            aliases.append((words[1], words[2]))
            if len(aliases) >= ALIASES_MAX:
                break
    return aliases


def usual_modules(device, aliases):
    """The modules other than vfio-pci's that claim ``device`` by its modalias, sorted; [] when
    unknown (no modalias or no modules.alias)."""
    modalias = device.get("modalias")
    if not modalias:
        return []
    found = set(module for pattern, module in aliases if fnmatch.fnmatchcase(modalias, pattern))
    return sorted(found - set(("vfio_pci", "vfio-pci", "pci_stub", "pci-stub")))


def read_pool_counts(files, paths):
    """The ``nr_hugepages`` of each sysfs path in ``paths``: ``{path: int or None}``."""
    return dict((path, file_values.parse_int(files.text(path, 64))) for path in paths[:4096])


def plan_host(root, params):
    """Read the host under ``root`` (``/`` or a snapshot) and plan ``params`` for it.

    Raises ``_sources.SnapshotError`` when ``root`` is not a host.
    """
    files = sources.HostFiles(root)
    return plan(read_host(files, params.get("boot_method") or "grub_dropin",
                          params.get("dropin_name") or "60-hypervisor-kvm"), params)


def _arch(files):
    if files.live:
        return os.uname()[4]
    return file_values.first_line(files.text("/proc/sys/kernel/arch", 4096))


def _short(files, path):
    return file_values.first_line(files.text(path, 4096))


def _read_pci(files):
    devices = []
    for address in files.listdir("/sys/bus/pci/devices"):
        if not _SYSFS_PCI.match(address):
            continue
        base = "/sys/bus/pci/devices/" + address
        pci_class = _short(files, base + "/class")
        devices.append({
            "address": address,
            "vendor": _short(files, base + "/vendor"),
            "device": _short(files, base + "/device"),
            "class": pci_class,
            "driver": files.link_name(base + "/driver"),
            "modalias": _short(files, base + "/modalias"),
            "iommu_group": files.link_name(base + "/iommu_group"),
            "boot_vga": _short(files, base + "/boot_vga") if (pci_class or "").startswith("0x03") else None,
        })
        if len(devices) >= DEVICES_MAX:
            break
    return devices


def _read_config(files, boot_method):
    """The files that configure the kernel command line for ``boot_method``, in the order read."""
    config = {"files": [], "grubenv": None}
    if boot_method == "grubby":
        names = [n for n in files.listdir(BLS_ENTRIES) if n.endswith(".conf")][:FILES_MAX]
        for name in names:
            path = "%s/%s" % (BLS_ENTRIES, name)
            config["files"].append({"path": path, "text": files.text(path, CONFIG_LIMIT)})
        config["grubenv"] = files.text(GRUBENV, CONFIG_LIMIT)
        return config
    config["files"].append({"path": GRUB_DEFAULT, "text": files.text(GRUB_DEFAULT, CONFIG_LIMIT)})
    for name in [n for n in files.listdir(GRUB_DROPINS) if n.endswith(".cfg")][:FILES_MAX]:
        path = "%s/%s" % (GRUB_DROPINS, name)
        config["files"].append({"path": path, "text": files.text(path, CONFIG_LIMIT)})
    return config


def _resolve(link, target):
    """The sysfs device path a link at ``link`` with ``target`` points to (computed, not followed).

    None when the link is missing or points anywhere but ``/sys/devices/``, as no sysfs link does.
    """
    if target is None:
        return None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
    return path if path.startswith("/sys/devices/") else None


def _read_root_disks(files):
    """The disks under every block-device mount and swap device: ``{disks: [...], unresolved: [...]}``.

    Each disk is ``{name, path, top, uses}``: ``path`` its sysfs device directory, ``top`` the dm
    or md device it was found under (or None), ``uses`` the mount points and swaps on it (``/``
    first). dm, md and LVM are followed through ``slaves/``, and a partition gives its disk.
    """
    found = {"disks": [], "unresolved": []}
    text = None
    for path in ("/proc/self/mountinfo", "/proc/1/mountinfo"):
        text = files.text(path, 1024 * 1024)
        if text:
            break
    mounts = parse_mountinfo_mounts(text)
    if not any(m["mount_point"] == "/" for m in mounts):
        found["unresolved"].append("no root mount found in /proc/self/mountinfo")
    for mount in mounts:
        start = None
        if mount["major"]:
            link = "/sys/dev/block/%d:%d" % (mount["major"], mount["minor"])
            start = _resolve(link, files.link_target(link))
        if mount["fstype"].startswith("fuse") and not mount["major"]:
            continue  # a process serves it (its source may read /dev/fuse); no disk of its own
        # btrfs (and others) show an anonymous 0:N: the source names the device.
        if start is None and mount["source"].startswith("/dev/"):
            start = _block_by_source(files, mount["source"])
        if start is None:
            if mount["mount_point"] == "/" or mount["source"].startswith("/dev/") \
                    or mount["fstype"] in _DISK_FILESYSTEMS_WITHOUT_NUMBER:
                found["unresolved"].append("the filesystem on %s (%s, %s on %d:%d) has no block device in /sys" % (
                    shown(mount["mount_point"]), shown(mount["fstype"]), shown(mount["source"]), mount["major"],
                    mount["minor"]))
            continue
        _add_disks(files, found, start, mount["mount_point"])
    for swap in parse_swaps(files.text("/proc/swaps", 1024 * 1024)):
        # A swap file's disk is the disk of the filesystem holding it, among the mounts above.
        if swap["type"] != "partition":
            continue
        start = _block_by_source(files, swap["source"]) if swap["source"].startswith("/dev/") else None
        if start is None:
            found["unresolved"].append("the swap device %s has no block device in /sys" % shown(swap["source"]))
            continue
        _add_disks(files, found, start, "swap " + swap["source"])
    found["disks"].sort(key=lambda d: d["path"])
    return found


# Filesystems on disks that mountinfo shows with no block device number of their own (0:N).
_DISK_FILESYSTEMS_WITHOUT_NUMBER = ("zfs", "btrfs", "bcachefs")


def _block_by_source(files, source):
    """The sysfs directory of the block device a ``/dev/...`` path names, or None."""
    name = posixpath.basename(source)
    if source.startswith("/dev/mapper/"):
        name = _dm_by_name(files, name)
    if not name:
        return None
    return _resolve("/sys/class/block/" + name, files.link_target("/sys/class/block/" + name))


def _add_disks(files, found, start, use):
    """Add the disks under the block device ``start`` (a sysfs directory) to ``found``, used for ``use``."""
    stack, seen = [(start, 0)], set()
    top = None
    while stack:
        path, depth = stack.pop()
        if path in seen or depth > DEPTH_MAX:
            continue
        seen.add(path)
        slaves = files.listdir(path + "/slaves")[:64]
        if slaves:
            if path == start:  # a dm, md or LVM device: named with its disks
                top = posixpath.basename(start)
            for name in slaves:
                below = _resolve("%s/slaves/%s" % (path, name), files.link_target("%s/slaves/%s" % (path, name)))
                if below:
                    stack.append((below, depth + 1))
            continue
        disk = posixpath.dirname(path) if files.exists(path + "/partition") else path
        # loop, zram, nbd: no hardware of their own (a loop file's filesystem is a mount too).
        if disk.startswith("/sys/devices/virtual/") and use != "/":
            continue
        known = [d for d in found["disks"] if d["path"] == disk]
        if not known:
            if len(found["disks"]) >= DEVICES_MAX:
                continue
            known = [{"name": posixpath.basename(disk), "path": disk, "top": top, "uses": []}]
            found["disks"].append(known[0])
        if use not in known[0]["uses"]:
            known[0]["uses"].append(use)
            known[0]["uses"].sort(key=lambda u: (u != "/", u.startswith("swap "), u))
            if known[0]["uses"][0] == use:
                known[0]["top"] = top


def _dm_by_name(files, name):
    for entry in files.listdir("/sys/class/block")[:DEVICES_MAX]:
        if entry.startswith("dm-"):
            path = _resolve("/sys/class/block/" + entry, files.link_target("/sys/class/block/" + entry))
            if path and _short(files, path + "/dm/name") == name:
                return entry
    return None


def _read_default_route_devices(files):
    """The interfaces of the default routes down to the devices under them.

    Returns ``{interfaces: [names], devices: [{interface, via, path}], unresolved: [...]}``;
    a bridge gives its ports (``brif/``), a bond or VLAN its lower devices (``lower_*``).
    """
    found = {"interfaces": parse_default_route_interfaces(
        files.text("/proc/net/route", 1024 * 1024), files.text("/proc/net/ipv6_route", 1024 * 1024)),
        "devices": [], "unresolved": []}
    stack = [(name, None, 0) for name in reversed(found["interfaces"])]
    seen = set()
    while stack:
        name, via, depth = stack.pop()
        if name in seen or depth > DEPTH_MAX:
            continue
        seen.add(name)
        path = _resolve("/sys/class/net/" + name, files.link_target("/sys/class/net/" + name))
        if path is None:
            found["unresolved"].append("the interface %s of a default route is not in /sys/class/net" % shown(name))
            continue
        if "/devices/virtual/" in path:
            lower = files.listdir(path + "/brif")[:64] + [
                n[len("lower_"):] for n in files.listdir(path)[:1024] if n.startswith("lower_")]
            for below in sorted(set(lower), reverse=True):
                stack.append((below, via or name, depth + 1))
            continue
        found["devices"].append({"interface": name, "via": via, "path": path})
    return found


# ---------------------------------------------------------------------------------------------
# Parsing: text in, values out; nothing raises on malformed text.

def parse_mountinfo_mounts(text):
    """Every mount of mountinfo text: ``[{mount_point, major, minor, fstype, source}]``, ``/`` first.

    The last line for a mount point wins (a mount over it hides the earlier ones); octal escapes
    (``\\040`` for a space) are decoded.
    """
    mounts = {}
    for line in (text or "").splitlines()[:65536]:
        fields = line.split()
        if len(fields) < 10 or "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        major, sep, minor = fields[2].partition(":")
        if not (sep and major.isdigit() and minor.isdigit()) or len(fields) < dash + 3:
            continue
        point = _unescape_octal(fields[4])[:FIELD_MAX]
        mounts.pop(point, None)
        mounts[point] = {"mount_point": point, "major": int(major[:10]), "minor": int(minor[:10]),
                         "fstype": fields[dash + 1][:FIELD_MAX], "source": _unescape_octal(fields[dash + 2])[:FIELD_MAX]}
    return sorted(mounts.values(), key=lambda m: (m["mount_point"] != "/", m["mount_point"]))[:DEVICES_MAX]


def parse_swaps(text):
    """The swap areas of ``/proc/swaps``: ``[{source, type}]`` (type ``partition`` or ``file``)."""
    swaps = []
    for line in (text or "").splitlines()[1:DEVICES_MAX + 1]:
        fields = line.split()
        if len(fields) >= 2:
            swaps.append({"source": _unescape_octal(fields[0])[:FIELD_MAX], "type": fields[1][:FIELD_MAX]})
    return swaps


def _unescape_octal(text):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


def parse_default_route_interfaces(route, ipv6_route):
    """Interfaces of the IPv4 (``/proc/net/route``) and IPv6 (``/proc/net/ipv6_route``) default routes."""
    names = set()
    for line in (route or "").splitlines()[1:65536]:
        fields = line.split()
        if len(fields) >= 8 and fields[1] == "00000000" and fields[7] == "00000000":
            names.add(fields[0])
    for line in (ipv6_route or "").splitlines()[:65536]:
        fields = line.split()
        if len(fields) >= 10 and fields[0] == "0" * 32 and fields[1] == "00" and fields[9] != "lo":
            names.add(fields[9])
    return sorted(n for n in names if n and len(n) <= 64)


def pci_addresses_in_path(path):
    """The PCI addresses in a sysfs device path, from the root bus down (bridges included)."""
    return [part for part in (path or "").split("/") if _SYSFS_PCI.match(part)]


def parse_hugepage_size(value):
    """Page size in kB of ``'2M'``, ``'1G'``, ``'2048kB'``, ``'1GB'``...; None when it is none of 2 MiB, 1 GiB."""
    match = _SIZE.match(u"%s" % (value,))
    if not match:
        return None
    size = int(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]
    return size if size in (SIZE_2M, SIZE_1G) else None


def parse_vfio_entry(value):
    """``('address', '0000:01:00.0')``, ``('id', '10de:1b80')`` or ``(None, None)`` for an entry."""
    text = (u"%s" % (value,)).strip().lower()
    match = _PCI_ADDRESS.match(text)
    if match:
        return "address", "%s:%s:%s.%s" % (match.group(1) or "0000", match.group(2), match.group(3), match.group(4))
    if _PCI_ID.match(text):
        return "id", text
    return None, None


def parse_meminfo_total(text):
    """MemTotal in kB of ``/proc/meminfo`` or a node's ``meminfo`` (``Node 0 MemTotal: ... kB``)."""
    match = re.search(r"^(?:Node \d+ )?MemTotal:\s*(\d{1,15}) kB", text or "", re.M)
    return int(match.group(1)) if match else None


def parse_meminfo_available(text):
    """MemAvailable in kB of ``/proc/meminfo`` (Linux 3.14 and later), None without it."""
    match = re.search(r"^MemAvailable:\s*(\d{1,15}) kB", text or "", re.M)
    return int(match.group(1)) if match else None


def _shell_words(value):
    """The words of a shell assignment's value (quotes removed, an unquoted ``#`` ends it)."""
    words, current, quote, started = [], [], None, False
    for char in value:
        if quote:
            if char == quote:
                quote = None
            else:
                current.append(char)
        elif char in "\"'":
            quote, started = char, True
        elif char in " \t":
            if current or started:
                words.append("".join(current))
            current, started = [], False
        elif char == "#" and not current and not started:
            break
        else:
            current.append(char)
    if current or started:
        words.append("".join(current))
    return u" ".join(words).split()


def grub_command_line(files, dropin_path):
    """The command line ``/etc/default/grub`` and its drop-ins configure, word by word.

    ``files`` are ``[{path, text}]`` in the order grub-mkconfig sources them. Returns
    ``[{token, where, own}]``: GRUB_CMDLINE_LINUX then GRUB_CMDLINE_LINUX_DEFAULT, each as
    the shell would leave it (an assignment replaces, ``$GRUB_CMDLINE_LINUX`` in it keeps the
    earlier words, ``+=`` appends; other ``$VAR`` words are ignored). ``own`` marks words of the
    role's own drop-in (``dropin_path``) or block.
    """
    values = {"GRUB_CMDLINE_LINUX": [], "GRUB_CMDLINE_LINUX_DEFAULT": []}
    for item in files:
        in_block = False
        for line in (item["text"] or "").splitlines()[:LINES_MAX]:
            stripped = line.strip()
            if stripped == ROLE_BLOCK_BEGIN:
                in_block = True
                continue
            if stripped == ROLE_BLOCK_END:
                in_block = False
                continue
            match = _GRUB_ASSIGNMENT.match(stripped)
            if not match:
                continue
            name, operator = match.group(1), match.group(2)
            own = in_block or item["path"] == dropin_path
            where = "%s (the role's block)" % item["path"] if in_block else item["path"]
            words = []
            for word in _shell_words(match.group(3))[:TOKENS_MAX]:
                if word in ("$" + name, "${%s}" % name):
                    words.extend(values[name])
                elif not word.startswith("$"):
                    words.append({"token": word[:FIELD_MAX], "where": where, "own": own})
            values[name] = (values[name] + words if operator == "+=" else words)[:TOKENS_MAX]
    return values["GRUB_CMDLINE_LINUX"] + values["GRUB_CMDLINE_LINUX_DEFAULT"]


def bls_command_line(path, text, grubenv):
    """The words of a BLS entry's ``options`` lines; ``$kernelopts`` is grubenv's ``kernelopts=`` (EL 8)."""
    words = []
    for line in (text or "").splitlines()[:LINES_MAX]:
        key, dummy, value = line.strip().partition(" ")
        if key != "options":
            continue
        for word in value.split()[:TOKENS_MAX]:
            if word == "$kernelopts":
                words.extend({"token": w[:FIELD_MAX], "where": GRUBENV, "own": False}
                             for w in parse_grubenv_kernelopts(grubenv).split()[:TOKENS_MAX])
            elif not word.startswith("$"):
                words.append({"token": word[:FIELD_MAX], "where": path, "own": False})
    return words[:TOKENS_MAX]


def parse_grubenv_kernelopts(text):
    """The ``kernelopts=`` value of a grubenv file, '' when none."""
    match = re.search(r"^kernelopts=(.*)$", text or "", re.M)
    return match.group(1) if match else ""


def hugepage_pools_of(words, default_kb=SIZE_2M):
    """The boot-time pools a command line asks for, in order: ``[{size_kb, total, nodes, parameter, words}]``.

    A ``hugepages=`` takes the size of the ``hugepagesz=`` before it, or the default size
    (``default_hugepagesz=``, else ``default_kb``); ``nodes`` is ``{node: count}`` of the node
    format, else None. ``words`` are the command line's items the pool came from.
    """
    for word in words:
        key, dummy, value = word["token"].partition("=")
        if key == "default_hugepagesz" and parse_hugepage_size(value + ("B" if value[-1:].isalpha() else "")):
            default_kb = parse_hugepage_size(value + "B")
    pools, size, size_word = [], None, None
    for word in words:
        key, dummy, value = word["token"].partition("=")
        if key == "hugepagesz":
            size = parse_hugepage_size(value + ("B" if value[-1:].isalpha() else ""))
            size_word = word
        elif key == "hugepages":
            total, nodes = _hugepages_value(value)
            pool_size = size if size_word is not None else default_kb
            used = [size_word, word] if size_word is not None else [word]
            pools.append({"size_kb": pool_size, "total": total, "nodes": nodes,
                          "parameter": " ".join(w["token"] for w in used), "words": used})
            size, size_word = None, None
    return pools


def _hugepages_value(value):
    if ":" not in value:
        return file_values.parse_int(value), None
    nodes = {}
    for part in value.split(",")[:1024]:
        node, dummy, count = part.partition(":")
        if node.isdigit() and count.isdigit():
            nodes[int(node)] = int(count)
    return sum(nodes.values()), nodes


def _key_values(token):
    key, sep, value = token.partition("=")
    return key, (value.split(",") if sep else [])


# ---------------------------------------------------------------------------------------------
# Deciding.

class _Plan(object):
    """What the plan collects while it decides."""

    def __init__(self):
        self.problems = []
        self.deferred = []
        self.pending_reboot = []

    def problem(self, text):
        if text not in self.problems:
            self.problems.append(text)


def plan(host, params):
    """The plan for the host read by ``read_host`` and the module's ``params``.

    Returns the module's result keys: ``iommu``, ``kernel_parameters``, ``vfio``,
    ``host_devices``, ``hugepages``, ``problems``, ``deferred``, ``pending_reboot`` and
    ``changes_need_reboot``. Never raises on a malformed host or request: those are problems.
    """
    out = _Plan()
    if not _DROPIN_NAME.match(params.get("dropin_name") or ""):
        out.problem("dropin_name '%s' is not a file name for /etc/default/grub.d: use letters, digits, '.', '_' "
                    "and '-' (such as 60-hypervisor-kvm)" % shown(params.get("dropin_name")))
    cpu = cpuinfo.parse_cpuinfo(host.get("cpuinfo"), host.get("arch"))
    iommu = _iommu(host, cpu, params, out)
    devices = dict((d["address"], d) for d in host.get("pci") or [])
    host_devices, reasons = _host_devices(host, devices)
    vfio = _vfio(params, devices, iommu, reasons, out, host.get("module_aliases") or [])
    if params.get("vfio_devices") and host_devices["unresolved"]:
        out.problem("the devices this host needs could not all be traced to PCI devices (%s), so nothing is given "
                    "to vfio-pci while they are unknown: plan on the live host, or capture a snapshot with "
                    "/proc/self/mountinfo, /proc/swaps, /sys/dev/block and /sys/class/block; for a filesystem on "
                    "no block device (ZFS), find its disks' controllers (zpool status -P, lspci -D) and leave "
                    "vfio_devices empty on this host until they can be told apart" % (
                        "; ".join(host_devices["unresolved"])))
    hugepages, boot_pools = _hugepages(host, cpu, params, out)
    kernel = _kernel_parameters(host, params, iommu, boot_pools, out)
    for address in vfio["pending"]:
        device = devices[address]
        out.pending_reboot.append("%s (%s) is bound to %s, not vfio-pci: vfio-pci takes it at the next boot" % (
            address, device_id(device), shown(device["driver"]) if device["driver"] else "no driver"))
    _booted_short(hugepages, boot_pools, kernel, out)
    out.pending_reboot.extend(hugepages["pending"] + hugepages["runtime_deferred"])
    host_devices["reasons"] = reasons
    return {
        "iommu": iommu,
        "kernel_parameters": kernel,
        "vfio": vfio,
        "host_devices": host_devices,
        "hugepages": hugepages,
        "problems": out.problems,
        "deferred": out.deferred,
        "pending_reboot": out.pending_reboot,
        "changes_need_reboot": bool(out.pending_reboot),
    }


def _iommu(host, cpu, params, out):
    tables = host.get("tables") or []
    table = tables[0] if tables else None
    vendor = dict(FIRMWARE_TABLES).get(table) if table else None
    if vendor is None and table is None:
        vendor = _CPU_IOMMU_VENDOR.get(cpu.vendor or "")
    groups = host.get("iommu_groups") or 0
    result = {"vendor": vendor, "firmware_table": table, "on": groups > 0, "groups": groups}
    if (params.get("iommu") or params.get("vfio_devices")) and table is None and not groups:
        out.problem("the firmware shows no IOMMU (no DMAR/IVRS ACPI table): enable %s in firmware setup, or "
                    "kvm_firmware can with its iommu setting; in a VM the parent must give it a virtual IOMMU" % (
                        _FIRMWARE_SETTING.get(vendor, "VT-d / AMD IOMMU (AMD-Vi)")))
    if params.get("vfio_devices") and not params.get("iommu") and not groups:
        out.problem("vfio_devices need the IOMMU, which is not on: set iommu: true as well")
    if params.get("iommu_passthrough") and host.get("arch") not in cpuinfo.X86_ARCHES:
        out.problem("iommu=pt (iommu_passthrough) is an x86 kernel parameter and this host is %s: "
                    "set iommu_passthrough: false" % shown(host.get("arch") or "of an unknown architecture"))
    return result


def wanted_parameters(params, iommu, arch, boot_pools):
    """The kernel parameters the request needs, in the order they are written."""
    wanted = []
    if params.get("iommu") and iommu["firmware_table"] == "DMAR":
        wanted.append("intel_iommu=on")
    if params.get("iommu_passthrough") and arch in cpuinfo.X86_ARCHES:
        wanted.append("iommu=pt")
    for pool in boot_pools:
        wanted.append(pool["parameter"])
    return wanted


def _kernel_parameters(host, params, iommu, boot_pools, out):
    arch = host.get("arch")
    wanted = wanted_parameters(params, iommu, arch, boot_pools)
    live_words = [{"token": t[:FIELD_MAX], "where": PROC_CMDLINE, "own": False}
                  for t in (host.get("cmdline") or "").split()[:TOKENS_MAX]]
    lines, read_from = _configured_lines(host, out)
    grubby = host.get("boot_method") == "grubby"
    own_parameters = _own_parameters(params, out) if grubby else []
    if own_parameters:
        lines = [_mark_own(line, own_parameters) for line in lines]
    own_tokens = set(w["token"] for line in lines for w in line if w["own"])
    # What the role passed to grubby before and a reboot has not replaced yet is its own too.
    own_tokens.update(t for entry in own_parameters for t in entry.split())
    live, pending, missing = [], [], []
    for parameter in wanted:
        (live if _has(live_words, parameter) else pending).append(parameter)
        if not lines or not all(_has(line, parameter) for line in lines):
            missing.append(parameter)
    # intel_iommu=on changes nothing where the kernel's build already turned the IOMMU on.
    pending_effect = [p for p in pending if not (p == "intel_iommu=on" and iommu["on"])]
    conflicts = []
    config_words = [w for line in lines for w in line]
    for word in config_words + live_words:
        if word["own"] or (word["where"] == PROC_CMDLINE and word["token"] in own_tokens):
            continue
        if _conflicts(word["token"], params, iommu["vendor"]):
            _add_conflict(conflicts, word["token"], word["where"])
    for pool in hugepage_pools_of(config_words) + hugepage_pools_of(live_words):
        if all(w["own"] for w in pool["words"]) or _same_pool(pool, boot_pools, params, host):
            continue
        if pool["words"][0]["where"] == PROC_CMDLINE and all(
                w["token"] in own_tokens for w in pool["words"]):
            continue
        if pool["size_kb"] in _asked_sizes(params):
            _add_conflict(conflicts, pool["parameter"], pool["words"][-1]["where"])
    replaced = _grubby_replaces(lines, wanted, missing) if grubby else []
    conflicts.sort(key=lambda c: (c["parameter"], c["where"]))
    by_parameter = {}
    for conflict in conflicts:
        by_parameter.setdefault(conflict["parameter"], []).append(conflict["where"])
    for parameter in sorted(by_parameter):
        wheres = by_parameter[parameter]
        out.problem("%s is set in %s: remove it; the role does not override a setting a person made%s" % (
            shown(parameter), " and ".join(shown(w) for w in wheres),
            " (in /proc/cmdline only: it goes at the next boot once no configuration has it)"
            if wheres == [PROC_CMDLINE] else ""))
    for token, where, parameter in replaced:
        if any(shown(token) in c["parameter"].split() for c in conflicts):
            continue
        _add_conflict(conflicts, token, where)
        if parameter.startswith("hugepagesz="):
            mine = [w["token"] for line in lines if any(w["token"] == token for w in line) for w in line
                    if not w["own"] and _key_values(w["token"])[0] in _HUGEPAGE_KEYS]
            out.problem("%s is set in %s, and grubby replaces an argument of the same name (hugepages=, hugepagesz=, "
                        "default_hugepagesz=), so adding %s would overwrite that pool: combine them by hand in "
                        "the options of every entry (on EL 8 the kernelopts of %s), e.g. '%s', and the role then "
                        "finds its pair and leaves it" % (
                            shown(token), shown(where), parameter, GRUBENV,
                            shown(" ".join(t for t in mine if t not in parameter.split()) + " " + parameter)))
        else:
            out.problem("%s is set in %s, and grubby replaces an argument of the same name, so adding %s would "
                        "overwrite it: put the value you want, with %s in it, in every entry yourself (grubby "
                        "--update-kernel=ALL --args=...), or remove it" % (
                            shown(token), shown(where), parameter, parameter))
    conflicts.sort(key=lambda c: (c["parameter"], c["where"]))
    for parameter in pending_effect:
        out.pending_reboot.append("kernel parameter %s is not on the running kernel's command line: it takes "
                                  "effect at the next boot" % parameter)
    remove = [entry for entry in own_parameters if entry not in wanted and any(
        _has_run(line, entry.split()) for line in lines)]
    return {"wanted": wanted, "live": live, "pending": pending_effect, "missing_in_config": missing,
            "conflicts": conflicts, "read_from": read_from, "remove_from_config": remove}


_HUGEPAGE_KEYS = ("hugepages", "hugepagesz", "default_hugepagesz")


def _own_parameters(params, out):
    """The ``own_parameters`` entries, each as one string of words; a problem for any that is not a string."""
    own = []
    for index, entry in enumerate((params.get("own_parameters") or [])[:TOKENS_MAX]):
        if not isinstance(entry, str) or not entry.split():
            out.problem("own_parameters[%d] '%s' is not a kernel parameter: give each as the role passed it, such "
                        "as 'hugepagesz=1G hugepages=2'" % (index, shown(entry)))
            continue
        entry = " ".join(entry.split())
        if entry not in own:
            own.append(entry)
    return own


def _has_run(line, tokens):
    """Whether the words of ``line`` hold ``tokens`` one after another."""
    words = [w["token"] for w in line]
    return any(words[i:i + len(tokens)] == tokens for i in range(len(words) - len(tokens) + 1))


def _mark_own(line, own_parameters):
    """A copy of a configured line with the words of ``own_parameters`` (each a run of words) marked own."""
    line = [dict(w) for w in line]
    for entry in own_parameters:
        tokens = entry.split()
        for start in range(len(line) - len(tokens) + 1):
            if [w["token"] for w in line[start:start + len(tokens)]] == tokens:
                for word in line[start:start + len(tokens)]:
                    word["own"] = True
    return line


def _grubby_replaces(lines, wanted, missing):
    """Words of the BLS entries that the role's ``grubby --args`` would overwrite: ``[(token, where, parameter)]``.

    grubby puts an argument whose name is in the options already in its place: rhboot/grubby's
    grubby-bls, update_args (``sed -e "s,$key=[^ ]*,$key=$value,"`` when ``grep "${key}="`` finds it;
    later releases remove ``$key=...`` before appending). So while a wanted parameter is missing
    from an entry (the role runs grubby on every entry), a person's word of the same name in any
    entry is lost: for the 1 GiB pair, any hugepages=, hugepagesz= or default_hugepagesz=.
    """
    found = []
    for parameter in wanted:
        if parameter not in missing:
            continue
        tokens = parameter.split()
        keys = _HUGEPAGE_KEYS if parameter.startswith("hugepagesz=") else (_key_values(parameter)[0],)
        for line in lines:
            for word in line:
                if word["own"] or word["token"] in tokens or _key_values(word["token"])[0] not in keys:
                    continue
                if (word["token"], word["where"], parameter) not in found:
                    found.append((word["token"], word["where"], parameter))
    return found


def _add_conflict(conflicts, parameter, where):
    entry = {"parameter": shown(parameter), "where": shown(where)}
    if entry not in conflicts:
        conflicts.append(entry)


def _configured_lines(host, out):
    """The configured command lines (one for grub, one per BLS entry) and the files read."""
    config = host.get("config") or {"files": []}
    read = [f for f in config["files"] if f["text"] is not None]
    read_from = [f["path"] for f in read]
    if host.get("boot_method") == "grubby":
        lines = [bls_command_line(f["path"], f["text"], config.get("grubenv")) for f in read]
        if any(w["where"] == GRUBENV for line in lines for w in line):
            read_from.append(GRUBENV)
        if not lines:
            out.problem("boot_method grubby reads the boot entries in %s and there is none: use grub_dropin or "
                        "grub_block on a host without Boot Loader Specification entries" % BLS_ENTRIES)
        return lines, read_from
    dropin = "%s/%s.cfg" % (GRUB_DROPINS, host.get("dropin_name") or "")
    return ([grub_command_line(read, dropin)] if read else []), read_from


def _has(words, parameter):
    """Whether a command line holds ``parameter`` (a pool's ``hugepagesz=... hugepages=...`` as a pair)."""
    if parameter.startswith("hugepagesz="):
        wanted = hugepage_pools_of([{"token": t, "where": "", "own": False} for t in parameter.split()])[0]
        return any(p["size_kb"] == wanted["size_kb"] and p["total"] == wanted["total"]
                   and p["nodes"] == wanted["nodes"] for p in hugepage_pools_of(words))
    key, values = _key_values(parameter)
    for word in words:
        word_key, word_values = _key_values(word["token"])
        if word_key == key and set(values) <= set(word_values):
            return True
    return False


def _conflicts(token, params, vendor):
    """Whether a command-line word undoes what is asked (``intel_iommu=off``, ``iommu=soft``...)."""
    key, values = _key_values(token)
    iommu = params.get("iommu")
    passthrough = params.get("iommu_passthrough")
    if key == "intel_iommu":
        return bool(iommu) and vendor in ("intel", None) and "off" in values
    if key == "amd_iommu":
        return bool(iommu) and vendor in ("amd", None) and "off" in values
    if key == "iommu":
        # Documentation/admin-guide/kernel-parameters.txt, iommu= [X86]: "off" initialises no
        # IOMMU, "soft" uses software bounce buffering instead of one, "nopt" undoes "pt".
        return bool(iommu or passthrough) and ("off" in values or "soft" in values) or (
            bool(passthrough) and "nopt" in values)
    if key == "iommu.passthrough":
        return bool(passthrough) and bool(values) and values[0].lower() in ("0", "n", "no", "off")
    return False


def _asked_sizes(params):
    sizes = set()
    for entry in (params.get("hugepages") or [])[:POOLS_MAX]:
        size = parse_hugepage_size(entry.get("size")) if isinstance(entry, dict) else None
        if size:
            sizes.add(size)
    return sizes


def _same_pool(pool, boot_pools, params, host):
    """Whether a pool on a command line is what the request asks (then it is no conflict)."""
    for wanted in boot_pools:
        if wanted["size_kb"] == pool["size_kb"]:
            return wanted["total"] == pool["total"] and wanted["nodes"] == pool["nodes"]
    if pool["size_kb"] == SIZE_2M:
        asked = _request_counts(params, SIZE_2M)
        if asked is not None:
            total, nodes = asked
            return pool["total"] == total and (pool["nodes"] or None) == (nodes or None)
    return False


def _request_counts(params, size_kb):
    """``(total, {node: count} or None)`` the request asks of one page size, or None."""
    total, nodes, found = 0, {}, False
    for entry in (params.get("hugepages") or [])[:POOLS_MAX]:
        if not isinstance(entry, dict) or parse_hugepage_size(entry.get("size")) != size_kb:
            continue
        count = entry.get("count") if isinstance(entry.get("count"), int) else 0
        found = True
        total += count
        if entry.get("node") is not None:
            nodes[entry["node"]] = count
    return (total, nodes or None) if found else None


def device_id(device):
    """``vendor:device`` of a PCI device as vfio-pci's ids= takes it (``8086:10d3``)."""
    def part(value):
        value = (value or "").lower()
        return value[2:] if value.startswith("0x") else value
    return shown("%s:%s" % (part(device.get("vendor")), part(device.get("device"))))


def _is_bridge(device):
    return (device.get("class") or "").startswith(PCI_CLASS_BRIDGE)


def _host_devices(host, devices):
    """The PCI devices the host itself needs: ``({boot_disk, network, console, unresolved}, reasons)``."""
    reasons = {}
    result = {"boot_disk": [], "network": [], "console": [], "unresolved": []}

    def add(kind, address, reason):
        address = shown(address)
        if address not in result[kind]:
            result[kind].append(address)
        reasons.setdefault(address, reason)

    root = host.get("root") or {"disks": [], "unresolved": []}
    for disk in root["disks"]:
        addresses = pci_addresses_in_path(disk["path"])
        name = shown(disk["name"])
        if disk.get("top") and disk["top"] != disk["name"]:
            name = "%s, under %s" % (name, shown(disk["top"]))
        holding = _disk_use_words(disk.get("uses") or ["/"])
        for index, address in enumerate(reversed(addresses)):
            add("boot_disk", address, "the controller of %s (%s)" % (holding, name) if index == 0
                else "a PCI bridge on the way to %s (%s)" % (holding, name))
        if not addresses:
            result["unresolved"].append("%s %s is on no PCI device" % (holding, name))
    network = host.get("network") or {"devices": [], "unresolved": []}
    for nic in network["devices"]:
        addresses = pci_addresses_in_path(nic["path"])
        name = shown(nic["interface"])
        if nic.get("via"):
            name = "%s, under %s" % (name, shown(nic["via"]))
        for index, address in enumerate(reversed(addresses)):
            add("network", address, "the network card of a default route (%s)" % name if index == 0
                else "a PCI bridge on the way to the network card of a default route (%s)" % name)
    for address in sorted(devices):
        device = devices[address]
        if (device.get("boot_vga") or "").strip() == "1":
            add("console", address, "the boot display (boot_vga is 1)")
    result["unresolved"].extend(root["unresolved"] + network["unresolved"])
    for kind in ("boot_disk", "network", "console"):
        result[kind].sort()
    return result, reasons


def _disk_use_words(uses):
    """How a reason names a disk by its first use: the root filesystem's disk, the disk holding /boot..."""
    use = uses[0]
    if use == "/":
        return "the root filesystem's disk"
    if use.startswith("swap "):
        return "the disk of the swap device %s" % shown(use[len("swap "):])
    return "the disk holding %s" % shown(use)


def _vfio(params, devices, iommu, reasons, out, aliases):
    entries = params.get("vfio_devices") or []
    if len(entries) > DEVICES_MAX:
        out.problem("vfio_devices has %d entries; at most %d are taken" % (len(entries), DEVICES_MAX))
    listed = set()
    for entry in entries[:DEVICES_MAX]:
        kind, value = parse_vfio_entry(entry)
        if kind is None:
            out.problem("vfio_devices entry '%s' is neither a PCI address (0000:01:00.0, or 01:00.0 for domain "
                        "0000) nor a vendor:device id in hex (10de:1b80): give one of the two" % shown(entry))
        elif kind == "address":
            if value in devices:
                listed.add(value)
            else:
                out.problem("vfio_devices entry %s: this host has no PCI device %s (/sys/bus/pci/devices): "
                            "check the address with lspci -D" % (shown(entry), value))
        else:
            matching = [a for a in devices if device_id(devices[a]) == value]
            if not matching:
                out.problem("vfio_devices entry %s: no PCI device of this host has the id %s: check it with "
                            "lspci -nn" % (shown(entry), value))
            listed.update(matching)
    ids = sorted(set(device_id(devices[a]) for a in listed))
    for pci_id in ids:
        others = sorted(a for a in devices if device_id(devices[a]) == pci_id and a not in listed)
        if others:
            mine = sorted(a for a in listed if device_id(devices[a]) == pci_id)
            out.problem("%s has the id %s, and vfio-pci's ids= option takes every device with that id: %s %s "
                        "it too and %s not listed: list them too, or leave %s with the host" % (
                            ", ".join(mine), pci_id, ", ".join(others), "has" if len(others) == 1 else "have",
                            "is" if len(others) == 1 else "are", ", ".join(mine)))
    for address in sorted(listed):
        if address in reasons:
            out.problem("%s is %s: it must stay with the host; remove it from vfio_devices" % (
                address, reasons[address]))
    groups = {}
    for address in sorted(devices):
        if devices[address]["iommu_group"] is not None:
            groups.setdefault(devices[address]["iommu_group"], []).append(address)
    result = []
    for address in sorted(listed):
        device = devices[address]
        group = device["iommu_group"]
        members = groups.get(group, []) if group is not None else []
        result.append({"address": address, "id": device_id(device),
                       "driver": shown(device["driver"]) if device["driver"] else None,
                       "iommu_group": file_values.parse_int(group), "group_members": members,
                       "bound": device["driver"] == "vfio-pci"})
        if not iommu["on"]:
            continue
        if group is None:
            out.problem("%s is in no IOMMU group although the IOMMU is on: the kernel cannot isolate it, so it "
                        "cannot go to a virtual machine; remove it from vfio_devices" % address)
            continue
        for member in members:
            if member == address:
                continue
            other = devices[member]
            if member in reasons and not _is_bridge(other):
                out.problem("%s shares IOMMU group %s (%s) with %s, which is %s: every device of a group goes "
                            "to the guest together, and that one must stay with the host; remove %s from "
                            "vfio_devices" % (address, shown(group), ", ".join(members), member, reasons[member],
                                              address))
            elif member not in listed and not _is_bridge(other) and other["driver"] not in _GROUP_VIABLE_DRIVERS \
                    and other["driver"] is not None:
                out.problem("%s shares IOMMU group %s (%s) with %s (%s, driver %s), which is not listed: every "
                            "device of a group goes to the guest together; list %s too, or leave %s with the "
                            "host" % (address, shown(group), ", ".join(members), member, device_id(other),
                                      shown(other["driver"]), member, address))
    if listed and not iommu["on"]:
        out.deferred.append("the IOMMU is not on yet, so which devices share an IOMMU group with %s cannot be "
                            "told: the role checks the groups again after the reboot" % ", ".join(sorted(listed)))
    # softdep takes module names: the modules modules.alias names for each device (so a device bound
    # to vfio-pci since the last boot keeps its driver's softdep), else the driver bound now.
    drivers = set()
    for address in listed:
        device = devices[address]
        modules = usual_modules(device, aliases)
        if modules:
            drivers.update(shown(module) for module in modules)
        elif device["driver"] and device["driver"] not in ("vfio-pci", "pci-stub"):
            drivers.add(shown(device["driver"]))
    drivers = sorted(drivers)
    return {"ids": ids, "drivers": drivers, "devices": result,
            "pending": [d["address"] for d in result if not d["bound"]]}


def _hugepages(host, cpu, params, out):
    """Huge page pools asked: ``(result, boot pools wanted)``; problems for what cannot be."""
    entries = params.get("hugepages") or []
    if len(entries) > POOLS_MAX:
        out.problem("hugepages has %d entries; at most %d are taken" % (len(entries), POOLS_MAX))
    supported = set(int(_POOL_NAME.match(n).group(1)) for n in host.get("pools") or [])
    nodes = host.get("nodes") or {}
    counts = host.get("pool_counts") or {}
    asked = []
    for index, entry in enumerate(entries[:POOLS_MAX]):
        where = "hugepages[%d]" % index
        if not isinstance(entry, dict):
            out.problem("%s is not a dict of size, count and node" % where)
            continue
        size = parse_hugepage_size(entry.get("size"))
        count, node = entry.get("count"), entry.get("node")
        if size is None:
            out.problem("%s: size '%s' is not a huge page size this role sets: use 2M or 1G (also written 2048kB, "
                        "1048576kB, 2MB, 1GB)" % (where, shown(entry.get("size"))))
            continue
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            out.problem("%s: count %s is not a whole number of pages of 0 or more" % (where, shown(count)))
            continue
        if node is not None and (not isinstance(node, int) or isinstance(node, bool) or node not in nodes):
            out.problem("%s: node %s is not a NUMA node of this host (it has %s in /sys/devices/system/node): "
                        "give one of those, or no node for the whole host" % (
                            where, shown(node), ", ".join("node%d" % n for n in sorted(nodes)) or "none"))
            continue
        if size == SIZE_1G and host.get("arch") in cpuinfo.X86_ARCHES and cpu.features and "pdpe1gb" not in cpu.features:
            out.problem("%s: 1 GiB pages need the CPU flag pdpe1gb, which /proc/cpuinfo does not show: use 2M pages "
                        "(in a VM, have the parent pass the flag, e.g. -cpu host or the pdpe1gb feature)" % where)
            continue
        if size not in supported:
            out.problem("%s: this kernel offers no %s pages (no /sys/kernel/mm/hugepages/hugepages-%dkB): use a size "
                        "it offers (%s)" % (where, _SIZE_WORDS[size], size, ", ".join(
                            _SIZE_WORDS.get(s, "%d kB" % s) for s in sorted(supported)) or "none"))
            continue
        if any(a["size_kb"] == size and a["node"] == node for a in asked):
            out.problem("%s asks the %s pool%s a second time: give each size and node once" % (
                where, _SIZE_WORDS[size], " of node %d" % node if node is not None else ""))
            continue
        asked.append({"size_kb": size, "count": count, "node": node})
    _memory_checks(host, params, asked, out)
    boot_sizes = [SIZE_1G]
    for size in boot_sizes:
        pools = [a for a in asked if a["size_kb"] == size]
        if any(a["node"] is None for a in pools) and any(a["node"] is not None for a in pools):
            out.problem("hugepages asks 1 GiB pages both for the whole host and per node: the kernel's "
                        "hugepages= takes one form; give every 1 GiB entry a node, or none")
        if any(a["node"] is not None for a in pools):
            version = kernel_log.parse_kernel_version(host.get("osrelease"))
            if version is None or version < HUGEPAGES_NODE_FORMAT_SINCE:
                out.problem("per-node 1 GiB pages need the node form of hugepages= (hugepages=0:2,1:2), which "
                            "Linux 5.16 added; this kernel is %s: ask 1 GiB pages for the whole host (no node), "
                            "or boot a newer kernel" % shown(host.get("osrelease") or "of an unknown release"))
    runtime, boot, runtime_pending, pending, runtime_deferred = [], [], [], [], []
    # Pages written at run time come out of the memory free now, not MemTotal: a busy host has
    # less. A node has no MemAvailable of its own, so the host's bounds every pool; the pools
    # written now draw on it one after another.
    available_kb = parse_meminfo_available(host.get("meminfo"))
    room_kb = None if available_kb is None else available_kb - max(int(params.get("min_free_mb") or 0), 0) * 1024
    for pool in sorted(asked, key=lambda a: (a["size_kb"], -1 if a["node"] is None else a["node"])):
        path = pool_path(pool["size_kb"], pool["node"])
        current = counts.get(path)
        where = "node %d" % pool["node"] if pool["node"] is not None else "the whole host"
        line = "%s pages on %s: %s now, %d asked" % (_SIZE_WORDS[pool["size_kb"]], where,
                                                     "unknown" if current is None else current, pool["count"])
        if pool["size_kb"] == SIZE_1G:
            boot.append({"size_kb": pool["size_kb"], "count": pool["count"], "node": pool["node"],
                         "current": current})
            if current != pool["count"]:
                pending.append(line + ": allocated at the next boot")
        else:
            growth_kb = (pool["count"] - (current or 0)) * pool["size_kb"]
            apply_now = growth_kb <= 0 or (room_kb is not None and growth_kb <= room_kb)
            runtime.append({"size_kb": pool["size_kb"], "count": pool["count"], "node": pool["node"], "path": path,
                            "current": current, "apply_now": apply_now})
            if not apply_now:
                runtime_deferred.append(line + ": more than the memory available now (%s), so they are reserved "
                                        "at the next boot" % (
                                            "MemAvailable in /proc/meminfo could not be read" if room_kb is None
                                            else "%d MiB free beyond min_free_mb" % (max(room_kb, 0) // 1024)))
            elif current != pool["count"]:
                runtime_pending.append(line + ": the role writes %s" % path)
                if growth_kb > 0:
                    room_kb -= growth_kb
    boot_pools = []
    if boot:
        if all(b["node"] is None for b in boot):
            boot_pools.append({"size_kb": SIZE_1G, "total": boot[0]["count"], "nodes": None,
                               "parameter": "hugepagesz=1G hugepages=%d" % boot[0]["count"]})
        elif all(b["node"] is not None for b in boot):
            nodes_asked = dict((b["node"], b["count"]) for b in boot)
            boot_pools.append({"size_kb": SIZE_1G, "total": sum(nodes_asked.values()), "nodes": nodes_asked,
                               "parameter": "hugepagesz=1G hugepages=%s" % ",".join(
                                   "%d:%d" % (n, nodes_asked[n]) for n in sorted(nodes_asked))})
    return {"runtime": runtime, "boot": boot, "runtime_pending": runtime_pending, "pending": pending,
            "runtime_deferred": runtime_deferred}, boot_pools


def _booted_short(hugepages, boot_pools, kernel, out):
    """A 1 GiB pool still short although the kernel booted with its parameter: another reboot
    would not fill it (the kernel found no room early in the boot), so it is a problem, not pending."""
    live = [pool["parameter"] for pool in boot_pools if pool["parameter"] in kernel["live"]]
    short = [pool for pool in hugepages["boot"] if pool["current"] is not None and pool["current"] < pool["count"]]
    if not live or not short:
        return
    for pool in short:
        out.problem("the kernel booted with %s but holds %d of the %d 1 GiB pages asked for on %s: it found no "
                    "free, aligned 1 GiB ranges for the rest early in the boot (its log says 'HugeTLB: allocating "
                    "... failed'), and another reboot would not change that; ask for at most %d%s" % (
                        live[0], pool["current"], pool["count"],
                        "the whole host" if pool["node"] is None else "node %d" % pool["node"], pool["current"],
                        "" if pool["node"] is None else " on that node, or put pages on other nodes"))
    hugepages["pending"] = []


def pool_path(size_kb, node=None):
    """The sysfs ``nr_hugepages`` file of a pool, host-wide or of one NUMA node."""
    if node is None:
        return "/sys/kernel/mm/hugepages/hugepages-%dkB/nr_hugepages" % size_kb
    return "/sys/devices/system/node/node%d/hugepages/hugepages-%dkB/nr_hugepages" % (node, size_kb)


def _memory_checks(host, params, asked, out):
    """Problems for a request that leaves less than min_free_mb outside huge pages, host-wide or on a node."""
    min_free_kb = max(int(params.get("min_free_mb") or 0), 0) * 1024
    if not asked:
        return
    scopes = [(None, parse_meminfo_total(host.get("meminfo")), asked)]
    for node in sorted(set(a["node"] for a in asked if a["node"] is not None)):
        scopes.append((node, parse_meminfo_total((host.get("nodes") or {}).get(node)),
                       [a for a in asked if a["node"] == node]))
    for node, total_kb, pools in scopes:
        place = "the host" if node is None else "node %s" % node
        source = "/proc/meminfo" if node is None else "/sys/devices/system/node/node%s/meminfo" % node
        if total_kb is None:
            out.problem("the memory of %s could not be read (MemTotal in %s), so huge pages cannot be checked "
                        "against min_free_mb" % (place, source))
            continue
        asked_kb = sum(a["size_kb"] * a["count"] for a in pools)
        if asked_kb + min_free_kb <= total_kb:
            continue
        smallest = min(pools, key=lambda a: a["size_kb"])
        others_kb = asked_kb - smallest["size_kb"] * smallest["count"]
        at_most = max(total_kb - min_free_kb - others_kb, 0) // smallest["size_kb"]
        out.problem("hugepages asks %d MiB of huge pages on %s, which has %d MiB: at least %d MiB must stay outside "
                    "huge pages (min_free_mb); ask for at most %d %s pages%s" % (
                        asked_kb // 1024, place, total_kb // 1024, min_free_kb // 1024, at_most,
                        _SIZE_WORDS[smallest["size_kb"]],
                        " with the other pools as asked" if others_kb else ""))
