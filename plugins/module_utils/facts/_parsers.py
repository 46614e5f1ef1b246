# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers: text read from /proc, /sys and the kernel log in, plain values out.

Nothing here opens a file. Every function accepts ``None`` (the file could not be read)
and malformed text, and answers with what it could tell rather than raising.
"""

import json
import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as kernel_messages
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import Block, Cpu, KernelLog, LogLine, Option

__all__ = [
    "parse_cpuinfo",
    "parse_kernel_version",
    "parse_kernel_log",
    "current_boot",
    "cpuid_has",
    "firmware_from_msr",
    "other_hypervisors",
    "parse_cmdline_blocks",
    "parse_modprobe_blocks",
    "parse_module_options",
    "message_fields",
    "parse_bool",
    "parse_int",
    "hypervisor_from_dmi",
    "container_from_markers",
    "wsl_version",
    "confidential_guest",
]

# vendor_id / CPU implementer -> the vendor word the facts use
_X86_VENDORS = {
    "GenuineIntel": "intel",
    "AuthenticAMD": "amd",
    "HygonGenuine": "hygon",
    "CentaurHauls": "zhaoxin",
    "Shanghai": "zhaoxin",
}
_ARM_IMPLEMENTERS = {
    "0x41": "arm",
    "0x42": "broadcom",
    "0x43": "cavium",
    "0x46": "fujitsu",
    "0x48": "hisilicon",
    "0x4e": "nvidia",
    "0x50": "apm",
    "0x51": "qualcomm",
    "0x61": "apple",
    "0x6d": "microsoft",
    "0xc0": "ampere",
}
_RISCV_VENDORS = {"0x489": "sifive", "0x5b7": "thead", "0x710": "andes"}

# The extension KVM needs, by vendor on x86 and by architecture elsewhere.
_X86_EXTENSION = {"intel": "vmx", "zhaoxin": "vmx", "amd": "svm", "hygon": "svm"}
_ARCH_EXTENSION = {"aarch64": "el2", "s390x": "sie", "ppc64le": "hv", "ppc64": "hv", "riscv64": "h"}


def _fields(block):
    """Split one cpuinfo block into a dict of stripped 'key: value' pairs."""
    out = {}
    for line in block.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out.setdefault(key.strip().lower(), value.strip())
    return out


def _riscv_has_h(isa):
    """Whether a RISC-V ISA string (rv64imafdch_zicsr_...) names the H extension."""
    base = isa.lower().split("_", 1)[0]
    if not base.startswith(("rv32", "rv64")):
        return False
    return "h" in base[4:]


def parse_cpuinfo(text, arch):
    """Read /proc/cpuinfo text for the given ``uname -m``.

    Returns a ``Cpu``: ``extension_shown`` is True/False when the kernel shows/hides the
    extension KVM needs, None when the text says nothing either way; ``features`` is the set
    of x86 flags (or s390 features). Values are cut to ``FIELD_MAX`` characters.
    """
    info = {"vendor": None, "model": None, "extension": _ARCH_EXTENSION.get(arch or ""),
            "shown": None, "features": frozenset(), "platform": None, "machine": None, "count": 0}
    if text:
        _read_cpuinfo(text, arch, info)
    return Cpu(_cut(info["vendor"]), _cut(info["model"]), info["extension"], info["shown"], info["features"],
               _cut(info["platform"]), _cut(info["machine"]), info["count"])


# A value of a host's file shown to people is cut here: a host cannot make a fact of megabytes.
FIELD_MAX = 256


def _cut(value):
    return value[:FIELD_MAX] if isinstance(value, str) else value


def _read_cpuinfo(text, arch, info):
    """Fill ``info`` from /proc/cpuinfo text (see parse_cpuinfo)."""
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    first = _fields(blocks[0]) if blocks else {}
    info["count"] = sum(1 for b in blocks if re.search(r"^processor\s*:", b, re.M | re.I))
    if arch in ("x86_64", "i686", "i386") or "vendor_id" in first and "flags" in first:
        vendor_id = first.get("vendor_id", "").strip()
        info["vendor"] = _X86_VENDORS.get(vendor_id, vendor_id.lower() or None)
        info["model"] = first.get("model name") or None
        info["extension"] = _X86_EXTENSION.get(info["vendor"] or "")
        if "flags" in first:
            info["features"] = frozenset(first["flags"].split())
            if info["extension"]:
                info["shown"] = info["extension"] in info["features"]
            else:
                # An x86 vendor we do not know: either extension counts.
                found = [f for f in ("vmx", "svm") if f in info["features"]]
                info["extension"] = found[0] if found else None
                info["shown"] = bool(found)
    elif arch == "aarch64":
        implementer = first.get("cpu implementer", "").lower()
        info["vendor"] = _ARM_IMPLEMENTERS.get(implementer, implementer or None)
        part = first.get("cpu part")
        info["model"] = first.get("model name") or (
            "%s part %s" % (info["vendor"], part) if info["vendor"] and part else None)
        # EL2 is not a cpuinfo flag: the kernel log tells it (see parse_kernel_log).
    elif arch == "s390x":
        vendor = first.get("vendor_id", "")
        info["vendor"] = "ibm" if "IBM" in vendor.upper() else (vendor.lower() or None)
        machine = re.search(r"machine\s*=\s*(\w+)", text)
        info["model"] = "IBM Z machine type %s" % machine.group(1) if machine else None
        if "features" in first:
            info["features"] = frozenset(first["features"].split())
            info["shown"] = "sie" in info["features"]
    elif arch in ("ppc64le", "ppc64"):
        info["vendor"] = "ibm"
        info["model"] = first.get("cpu") or None
        # Later blocks carry platform/model: search the whole text.
        platform = re.search(r"^platform\s*:\s*(.+)$", text, re.M | re.I)
        if platform:
            info["platform"] = platform.group(1).strip()
            # KVM-HV needs the hypervisor mode that only bare metal (PowerNV) gives.
            info["shown"] = info["platform"].lower() == "powernv"
        machine = re.search(r"^machine\s*:\s*(.+)$", text, re.M | re.I)
        if machine:
            info["machine"] = machine.group(1).strip()
    elif arch == "riscv64":
        info["vendor"] = _RISCV_VENDORS.get(first.get("mvendorid", "").lower(), "riscv")
        info["model"] = first.get("uarch") or first.get("model name") or None
        isa = first.get("isa")
        if isa:
            info["shown"] = _riscv_has_h(isa)


def _version_tuple(text):
    """'5.16' -> (5, 16); None stays None."""
    if text is None:
        return None
    parts = str(text).split(".")
    return (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0)


def _compile_messages(rows):
    """The table with its patterns compiled once per run, and its versions as tuples."""
    compiled = []
    for row in rows:
        compiled.append((row, re.compile(row["pattern"]), _version_tuple(row["first"]), _version_tuple(row["last"])))
    return tuple(compiled)


_MESSAGES = _compile_messages(kernel_messages.MESSAGES)
# Where the kernel's current boot begins in a log that may hold several boots.
_BOOT_MARK = "Linux version "
# The kernel never logs a line longer than this; cutting keeps hostile logs linear.
_LINE_MAX = 1024
# How many places a row's literal is looked at before the row gives up (a hostile log can
# repeat a literal without the pattern).
_TRIES_PER_ROW = 64
# Of the rows whose every line counts (a refused module option), at most this many lines.
_EVERY_MAX = 16
_TIMESTAMP = re.compile(r"^\s*\[\s*\d+\.\d+\]\s*")
_KMSG_HEADER = re.compile(r"^\d+,\d+,\d+,[^;]{0,16};")
_TIME_ZERO = re.compile(r"^[^\n]{0,64}\[\s*0\.000000\]|^\d+,\d+,0,[^;]{0,16};")


def parse_kernel_version(osrelease):
    """The (major, minor) of a kernel release such as '6.1.0-28-amd64', or None."""
    match = re.match(r"\s*(\d+)\.(\d+)", osrelease or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def current_boot(text):
    """The part of a kernel log that belongs to the running kernel's boot.

    Saved logs (kern.log) hold several boots; the last 'Linux version' line starts the
    current one. Returns ``(text, complete)``, ``complete`` telling whether the boot's first
    messages are there.
    """
    if not text:
        return "", False
    start = text.rfind(_BOOT_MARK)
    if start < 0:
        return text, False
    start = text.rfind("\n", 0, start) + 1
    # A few lines come before the banner at time zero (x86 'tdx: Guest detected', arm64
    # 'Booting Linux on physical CPU'): they belong to this boot. An earlier boot's last
    # lines carry later times.
    for _count in range(8):
        before = text.rfind("\n", 0, max(start - 1, 0)) + 1 if start else 0
        if start == 0 or not _TIME_ZERO.search(text[before:start]):
            break
        start = before
    return text[start:], True


def parse_kernel_log(text):
    """The kernel's own statements about KVM in kernel-log text, read through the table.

    Accepts ``dmesg`` output, /var/log/kern.log lines or /dev/kmsg records. Only the current
    boot is read. Each row of ``_kernel_messages.MESSAGES`` is looked for by its literal
    text first and then its pattern within the (cut) line, so the cost is linear in the
    log's size. Returns a ``KernelLog``: the first matching line of each row, in table order
    (of a refused module option, the last ``_EVERY_MAX``, oldest first: a later load may
    have been refused for another value), the hypervisor a 'Hypervisor detected' line
    names, and whether the boot's start is there.
    """
    if text is None:
        return KernelLog((), None, False, False)
    text, complete = current_boot(text)
    lines = []
    hypervisor = None
    for row, pattern, _first, _last in _MESSAGES:
        if row["finding"] == "option_rejected":
            for line in _find_lines(text, row["text"], pattern, _EVERY_MAX):
                lines.append(LogLine(row["id"], row["finding"], line, row.get("context")))
            continue
        line = _find_line(text, row["text"], pattern)
        if line is None:
            continue
        lines.append(LogLine(row["id"], row["finding"], line, row.get("context")))
        if hypervisor is None and "Hypervisor detected:" in line:
            hypervisor = _hypervisor_id(line.split("Hypervisor detected:", 1)[-1].strip())
    return KernelLog(tuple(lines), hypervisor, complete, True)


def _find_line(text, literal, pattern):
    """The first line holding ``literal`` where ``pattern`` matches, stripped, or None."""
    found = _find_lines(text, literal, pattern, 1)
    return found[0] if found else None


def _find_lines(text, literal, pattern, most):
    """The first line holding ``literal`` where ``pattern`` matches (``most`` 1), or the last
    ``most`` such lines of the places looked at, stripped, oldest first."""
    found = []
    at = text.find(literal)
    tries = 0
    while at >= 0 and tries < _TRIES_PER_ROW and not (most == 1 and found):
        tries += 1
        start = text.rfind("\n", max(0, at - _LINE_MAX), at) + 1
        end = text.find("\n", at, at + _LINE_MAX)
        if end < 0:
            end = min(len(text), at + _LINE_MAX)
        line = text[start:end]
        if pattern.search(line):
            found.append(_strip_log_prefix(line))
        at = text.find(literal, end)
    return found[-most:]


def message_row(row_id):
    """The table row of a message id (its versions, file, source and context)."""
    for row, _pattern, _first, _last in _MESSAGES:
        if row["id"] == row_id:
            return row
    return None


def message_fields(line):
    """The named parts of a matched log line (``LogLine``) by its row's pattern: a dict of text.

    E.g. ``{'module': 'kvm_intel', 'value': 'maybe', 'param': 'nested'}`` for an invalid module
    parameter, ``{'msr': '0x3'}`` for a VMXON fault; empty when the row names no parts.
    """
    for row, pattern, _first, _last in _MESSAGES:
        if row["id"] == line.id:
            match = pattern.search(line.line)
            return dict((k, v) for k, v in match.groupdict().items() if v is not None) if match else {}
    return {}


def printed_by(row_id, version):
    """Whether a kernel of ``version`` (major, minor) prints the message ``row_id``.

    None when the version is not known.
    """
    for row, _pattern, first, last in _MESSAGES:
        if row["id"] == row_id:
            if version is None:
                return None
            return (first is None or version >= first) and (last is None or version <= last)
    return None


def behaviour_since(behaviour_id):
    """The (major, minor) from which the kernel behaves as ``_kernel_messages.BEHAVIOUR`` says."""
    for entry in kernel_messages.BEHAVIOUR:
        if entry["id"] == behaviour_id:
            return _version_tuple(entry["first"])
    return None


_HYPERVISOR_NAMES = (
    ("KVM", "kvm"), ("VMware", "vmware"), ("Microsoft", "microsoft"), ("Xen", "xen"),
    ("ACRN", "acrn"), ("Jailhouse", "jailhouse"), ("bhyve", "bhyve"), ("QNX", "qnx"),
)


def _hypervisor_id(name):
    for word, ident in _HYPERVISOR_NAMES:
        if name.startswith(word):
            return ident
    words = name.split()
    return words[0].lower()[:32] if words else None


def _strip_log_prefix(line):
    """Drop the timestamp of a dmesg line or the header of a /dev/kmsg record."""
    line = _TIMESTAMP.sub("", line, count=1)
    line = _KMSG_HEADER.sub("", line, count=1)
    return line.strip()[:300]


# Raw CPUID: (leaf, register index in eax..edx, bit) of each x86 extension.
CPUID_BITS = {"vmx": (0x1, 2, 5), "svm": (0x80000001, 2, 2)}
# The CPUID leaf 1 ECX bit 31 a hypervisor sets for its guests.
_CPUID_HYPERVISOR_BIT = 31


def cpuid_has(words, extension):
    """Whether raw CPUID ``(eax, ebx, ecx, edx)`` of the extension's leaf has its bit; None unread."""
    if words is None or extension not in CPUID_BITS:
        return None
    _leaf, register, bit = CPUID_BITS[extension]
    return bool(words[register] >> bit & 1)


def firmware_from_msr(extension, value):
    """What the firmware's MSR says of the extension: 'enabled', 'disabled', 'txt_only' or None.

    Intel IA32_FEATURE_CONTROL (0x3a): bit 0 locks it, bit 1 allows VMX inside SMX (TXT),
    bit 2 outside; unlocked, the kernel enables VMX itself. AMD VM_CR (0xc0010114): bit 4
    SVMDIS set means the firmware disabled SVM.
    """
    if value is None:
        return None
    if extension == "vmx":
        if not value & 1 or value & 4:
            return "enabled"
        return "txt_only" if value & 2 else "disabled"
    if extension == "svm":
        return "disabled" if value & 0x10 else "enabled"
    return None


_KVM_MODULE_NAME = re.compile(r"^kvm([_-]\w+)?$")


def _is_kvm_module(name):
    return bool(_KVM_MODULE_NAME.match(name.replace("-", "_")))


# Built-in KVM's init functions, as initcall_blacklist= names them (x86, arm64, riscv, s390, POWER).
_KVM_INITCALLS = re.compile(
    r"^(vmx_init|svm_init|kvm_x86_init|kvm_arm_init|arm_init|riscv_kvm_init|kvm_s390_init|"
    r"kvmppc_book3s_init_hv|kvmppc_book3s_init_pr|kvmppc_book3s_init|kvm_init)$")
# X86_FEATURE_VMX is word 4 bit 5, X86_FEATURE_SVM word 6 bit 2: clearcpuid= takes the
# bit number (every kernel) or, from 5.19, the flag's name.
_CLEARCPUID_KVM = {"vmx": "vmx", "133": "vmx", "svm": "svm", "194": "svm"}


def parse_cmdline_blocks(text):
    """Kernel command-line parameters that keep KVM off, as ``Block``s of kind 'cmdline'.

    Finds the parameters that blacklist a KVM module (``module_blacklist=``,
    ``modprobe.blacklist=``), skip a built-in KVM's init (``initcall_blacklist=``), hide the
    CPU feature (``clearcpuid=vmx``/``svm`` or their bit numbers) or turn KVM off
    (``kvm-arm.mode=none``). ``module`` is the KVM module named, or the hidden flag.
    """
    blocks = []
    for param in (text or "").split()[:512]:
        key, _sep, value = param.partition("=")
        norm = key.replace("-", "_").lower()
        shown = param[:FIELD_MAX]
        if norm in ("module_blacklist", "modprobe.blacklist"):
            for name in value.split(","):
                if _is_kvm_module(name):
                    blocks.append(Block("cmdline", "blacklist", shown, "/proc/cmdline", name.replace("-", "_")))
        elif norm == "kvm_arm.mode" and value.lower() == "none":
            blocks.append(Block("cmdline", "kvm_off", shown, "/proc/cmdline", "kvm"))
        elif norm == "initcall_blacklist":
            for name in value.split(","):
                if _KVM_INITCALLS.match(name):
                    blocks.append(Block("cmdline", "initcall", shown, "/proc/cmdline", name))
        elif norm == "clearcpuid":
            for name in value.split(","):
                flag = _CLEARCPUID_KVM.get(name.strip().lower())
                if flag:
                    blocks.append(Block("cmdline", "hide_feature", shown, "/proc/cmdline", flag))
    return blocks


# An ``install`` command that loads nothing: the module is kept off.
_NOOP_COMMANDS = ("false", "true", "nologin", "echo", ":")


def parse_modprobe_blocks(path, text):
    """``blacklist kvm_intel`` or ``install kvm_amd /bin/false`` lines of one modprobe.d file.

    Returns ``Block``s of kind 'modprobe' with effect 'blacklist' (not loaded by alias, so
    not at boot; an explicit modprobe still loads it) or 'install' (modprobe runs the
    command instead of loading it).
    """
    found = []
    for raw in (text or "").splitlines()[:4096]:
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if len(words) < 2 or not _is_kvm_module(words[1]):
            continue
        module = words[1].replace("-", "_")
        if words[0] == "blacklist":
            found.append(Block("modprobe", "blacklist", line[:FIELD_MAX], path, module))
        elif words[0] == "install" and len(words) >= 3 and words[2].rsplit("/", 1)[-1] in _NOOP_COMMANDS:
            found.append(Block("modprobe", "install", line[:FIELD_MAX], path, module))
    return found


def _option_words(word):
    """'kvm-intel.nested=1' -> ('kvm_intel', 'nested', '1'); None when it is no KVM module's."""
    key, sep, value = word.partition("=")
    module, dot, param = key.partition(".")
    if not dot or not param or not _is_kvm_module(module):
        return None
    return module.replace("-", "_"), param.replace("-", "_")[:64], value[:FIELD_MAX] if sep else ""


def parse_module_options(path, text):
    """Parameters set for the KVM modules' next load: ``Option``s.

    ``path`` names where ``text`` comes from: /proc/cmdline (``kvm_intel.nested=1`` words),
    or a modprobe.d file (``options kvm_intel nested=1 ept=0`` lines, comments dropped).
    """
    found = []
    if path == "/proc/cmdline":
        for word in (text or "").split()[:512]:
            parts = _option_words(word)
            if parts:
                found.append(Option(parts[0], parts[1], parts[2], path, word[:FIELD_MAX]))
        return found
    for raw in (text or "").splitlines()[:4096]:
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if len(words) < 3 or words[0] != "options" or not _is_kvm_module(words[1]):
            continue
        module = words[1].replace("-", "_")
        for word in words[2:64]:
            key, sep, value = word.partition("=")
            found.append(Option(module, key.replace("-", "_")[:64], value[:FIELD_MAX] if sep else "", path,
                                line[:FIELD_MAX]))
    return found


# Other hypervisors' kernel modules, which hold VT-x/AMD-V while their guests run.
_OTHER_HYPERVISOR_MODULES = (
    ("vboxdrv", "virtualbox"), ("vboxsup", "virtualbox"), ("vmmon", "vmware"), ("vmx86", "vmware"),
    # Jailhouse turns VMX/SVM on for itself and keeps Linux as its root cell once enabled.
    ("jailhouse", "jailhouse"),
)
# Not hypervisors: VMware's guest tools (vmw_vmci, vmw_balloon, vmwgfx, vmxnet3) and host
# networking (vmnet), VirtualBox's guest additions (vboxguest, vboxsf).


def other_hypervisors(module_names, xen_capabilities):
    """Other hypervisors on this machine: 'virtualbox', 'vmware', 'jailhouse', 'xen-dom0' (sorted, unique).

    Takes the names in /sys/module (and /proc/modules) and /proc/xen/capabilities text
    (``control_d`` there: this kernel is Xen's dom0, under the Xen hypervisor).
    """
    found = set(ident for name, ident in _OTHER_HYPERVISOR_MODULES if name in module_names)
    if "control_d" in (xen_capabilities or ""):
        found.add("xen-dom0")
    return sorted(found)


def first_line(text):
    """The first line of a one-line file (osrelease, a sysfs id), stripped and cut; None when empty."""
    if not text:
        return None
    line = text.strip().split("\n", 1)[0].strip()
    return line[:FIELD_MAX] or None


def parse_thp_mode(text):
    """The chosen mode of /sys/kernel/mm/transparent_hugepage/enabled ('always [madvise] never')."""
    chosen = re.search(r"\[(\w{1,32})\]", (text or "")[:4096])
    return chosen.group(1) if chosen else None


def parse_reboot_pending(text):
    """What the role kvm_host left waiting for the next boot: a JSON list of sentences, or None.

    The file is the host's, so it is read as data: at most 20 strings, each cut to FIELD_MAX;
    anything else (not JSON, not a list of strings) gives None for the caller to say so.
    """
    if text is None:
        return []
    try:
        value = json.loads(text[:65536])
    except ValueError:
        return None
    # json gives unicode on Python 2 and str on 3: type(u"") is either.
    if not isinstance(value, list) or not all(isinstance(item, type(u"")) for item in value):
        return None
    return [item.strip()[:FIELD_MAX] for item in value[:20] if item.strip()]


def iommu_parameters(cmdline):
    """The IOMMU parameters on a kernel command line (intel_iommu=, amd_iommu=, iommu=)."""
    return [p[:FIELD_MAX] for p in (cmdline or "").split()[:512]
            if p.split("=", 1)[0] in ("intel_iommu", "amd_iommu", "iommu")]


def hypervisor_from_sysinfo(text):
    """The hypervisor an IBM Z /proc/sysinfo names ('zvm' or 'kvm'), or None in an LPAR."""
    text = text or ""
    if "z/VM" in text:
        return "zvm"
    if re.search(r"Control Program:[ \t]{0,16}KVM", text):
        return "kvm"
    return None


def parse_bool(text):
    """A sysfs boolean (``Y``/``N``/``1``/``0``) as True/False, None when it is neither."""
    value = (text or "").strip().lower()
    if value in ("y", "1", "yes", "on", "true"):
        return True
    if value in ("n", "0", "no", "off", "false"):
        return False
    return None


def parse_int(text):
    """A decimal or 0x-hex integer from sysfs, None when it is not one."""
    value = (text or "").strip()
    try:
        return int(value, 0)
    except ValueError:
        return None


# DMI strings -> systemd-detect-virt identifiers; first match wins, like systemd.
_DMI_TABLE = (
    ("KVM", "kvm"), ("OpenStack", "kvm"), ("KubeVirt", "kvm"), ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"), ("VMware", "vmware"), ("VMW", "vmware"), ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"), ("Oracle Corporation", "oracle"), ("Xen", "xen"), ("Bochs", "bochs"),
    ("Parallels", "parallels"), ("BHYVE", "bhyve"), ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"), ("Google Compute Engine", "google"),
)
_DMI_FIELDS = ("product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version")


def hypervisor_from_dmi(dmi):
    """The hypervisor a VM's DMI strings name, or None on bare metal or without DMI.

    ``dmi`` maps DMI file names (sys_vendor, product_name, ...) to their text.
    """
    for field in _DMI_FIELDS:
        value = (dmi.get(field) or "").strip()
        if not value:
            continue
        for prefix, ident in _DMI_TABLE:
            if value.startswith(prefix):
                return ident
    # Hyper-V and Azure say it in two fields together.
    if (dmi.get("sys_vendor") or "").strip() == "Microsoft Corporation" and \
            (dmi.get("product_name") or "").strip() == "Virtual Machine":
        return "microsoft"
    return None


_CGROUP_CONTAINERS = (
    ("/docker/", "docker"), ("/docker-", "docker"), ("/libpod-", "podman"), ("/lxc/", "lxc"),
    ("/lxc.payload", "lxc"), ("kubepods", "container-other"), ("/machine.slice/systemd-nspawn", "systemd-nspawn"),
)


def container_from_markers(run_systemd_container, dockerenv, containerenv, cgroup):
    """The container a process runs in, as systemd-detect-virt --container names it, or None.

    Reads, in systemd's order: /run/systemd/container text, /run/.containerenv and
    /.dockerenv presence (booleans) and PID 1's cgroup text. WSL is not a container here
    (``wsl_version`` tells it): WSL 2 is a Hyper-V virtual machine.
    """
    value = (run_systemd_container or "").strip()
    if value and value != "wsl":
        return {"oci": "docker"}.get(value, value)[:64]
    if containerenv:
        return "podman"
    if dockerenv:
        return "docker"
    for line in (cgroup or "").splitlines():
        for marker, ident in _CGROUP_CONTAINERS:
            if marker in line:
                return ident
    return None


# WSL 1 has no Linux kernel: Windows answers uname with a release such as
# '4.4.0-19041-Microsoft' (capital M) and /proc/version with 'Microsoft@Microsoft.com'.
# WSL 2 boots Microsoft's Linux kernel in a Hyper-V VM: '4.19.128-microsoft-standard',
# '5.15.167.4-microsoft-standard-WSL2' (lower case), or a kernel a person built.
_WSL1_RELEASE = re.compile(r"-Microsoft\b")
_WSL2_RELEASE = re.compile(r"microsoft-standard|-WSL2\b|\bWSL2\b")


def wsl_version(osrelease, proc_version, interop, run_wsl):
    """1 or 2 when this Linux runs in Windows Subsystem for Linux, None otherwise.

    Reads the kernel release, /proc/version text, whether
    /proc/sys/fs/binfmt_misc/WSLInterop (or WSLInterop-late) and /run/WSL exist (booleans),
    (WSL_DISTRO_NAME, an environment variable anyone can set, is not read). The markers without
    a Microsoft kernel name (a kernel a person built for WSL 2) still say WSL 2.
    """
    release = (osrelease or "").strip()[:FIELD_MAX]
    version = (proc_version or "")[:1024]
    if _WSL1_RELEASE.search(release) or "Microsoft@Microsoft.com" in version:
        return 1
    if _WSL2_RELEASE.search(release) or _WSL2_RELEASE.search(version) or "microsoft" in release.lower():
        return 2
    if interop or run_wsl:
        return 2
    return None


# What a confidential guest's kernel calls its kind, as systemd-detect-virt --cvm names it.
_CVM_WORDS = (("SEV-SNP", "sev-snp"), ("SEV-ES", "sev-es"), ("TDX", "tdx"), ("SEV", "sev"))


def confidential_guest(lines, features):
    """The confidential-computing kind of this guest: 'sev', 'sev-es', 'sev-snp', 'tdx' or None.

    ``lines`` are the kernel log's matched ``LogLine``s; ``features`` the x86 flags of
    /proc/cpuinfo. The kernel's own words decide ('confidential_guest' lines of the table);
    the flag ``tdx_guest`` exists only in a TDX guest. The flags sev, sev_es and sev_snp
    show on a SEV-capable host too, so they only refine a guest the kernel already named.
    """
    said = [line for line in lines if line.finding == "confidential_guest"]
    features = features or frozenset()
    isolation = [_ISOLATION_TYPES.get(line.line.rstrip()[-1:]) for line in said if "Isolation Config" in line.line]
    if "tdx_guest" in features or "tdx" in isolation or any("TDX" in line.line or "tdx:" in line.line for line in said):
        return "tdx"
    if not said:
        return None
    best = "sev-snp" if "sev-snp" in isolation else None
    # 'Memory Encryption Features active: ...' and 'SEV: Status: ...' name every feature on;
    # 'KVM is unsupported when running as an SEV guest' names none: the flags tell which.
    for line in said:
        if "active" in line.line or "Status:" in line.line:
            words = set(re.findall(r"SEV(?:-[A-Z]+)?", line.line))
            for word, kind in _CVM_WORDS:
                if word in words:
                    best = _stronger(best, kind)
                    break
    if best is None:
        for flag, kind in (("sev_snp", "sev-snp"), ("sev_es", "sev-es")):
            if flag in features:
                return kind
    return best or "sev"


_CVM_ORDER = ("sev", "sev-es", "sev-snp")
# Hyper-V's isolation type, the last hex digit of 'Isolation Config: ... Group B 0x...'.
_ISOLATION_TYPES = {"2": "sev-snp", "3": "tdx"}


def _stronger(one, other):
    """The later SEV generation of two (SEV-SNP implies SEV-ES implies SEV)."""
    if one is None:
        return other
    return one if _CVM_ORDER.index(one) >= _CVM_ORDER.index(other) else other
