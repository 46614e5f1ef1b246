# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Pure parsers: text read from /proc, /sys and the kernel log in, plain values out.

Nothing here opens a file. Every function accepts ``None`` (the file could not be read)
and malformed text, and answers with what it could tell rather than raising.
"""

from __future__ import annotations

import re

__all__ = [
    "parse_cpuinfo",
    "parse_kernel_log",
    "parse_cmdline_blocks",
    "parse_modprobe_blocks",
    "parse_bool",
    "parse_int",
    "hypervisor_from_dmi",
    "container_from_markers",
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

    Returns ``{'vendor', 'model', 'extension', 'flag', 'flags', 'platform', 'machine', 'count'}``:
    ``flag`` is True/False when the kernel shows/hides the extension KVM needs, None when
    the text says nothing either way. ``flags`` is the set of x86 flags (or s390 features).
    """
    info = {"vendor": None, "model": None, "extension": _ARCH_EXTENSION.get(arch or ""),
            "flag": None, "flags": frozenset(), "platform": None, "machine": None, "count": 0}
    if not text:
        return info
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    first = _fields(blocks[0]) if blocks else {}
    info["count"] = sum(1 for b in blocks if re.search(r"^processor\s*:", b, re.M | re.I))
    if arch in ("x86_64", "i686", "i386") or "vendor_id" in first and "flags" in first:
        vendor_id = first.get("vendor_id", "").strip()
        info["vendor"] = _X86_VENDORS.get(vendor_id, vendor_id.lower() or None)
        info["model"] = first.get("model name") or None
        info["extension"] = _X86_EXTENSION.get(info["vendor"] or "")
        if "flags" in first:
            info["flags"] = frozenset(first["flags"].split())
            if info["extension"]:
                info["flag"] = info["extension"] in info["flags"]
            else:
                # An x86 vendor we do not know: either extension counts.
                found = [f for f in ("vmx", "svm") if f in info["flags"]]
                info["extension"] = found[0] if found else None
                info["flag"] = bool(found)
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
            info["flags"] = frozenset(first["features"].split())
            info["flag"] = "sie" in info["flags"]
    elif arch in ("ppc64le", "ppc64"):
        info["vendor"] = "ibm"
        info["model"] = first.get("cpu") or None
        # Later blocks carry platform/model: search the whole text.
        platform = re.search(r"^platform\s*:\s*(.+)$", text, re.M | re.I)
        if platform:
            info["platform"] = platform.group(1).strip()
            # KVM-HV needs the hypervisor mode that only bare metal (PowerNV) gives.
            info["flag"] = info["platform"].lower() == "powernv"
        machine = re.search(r"^machine\s*:\s*(.+)$", text, re.M | re.I)
        if machine:
            info["machine"] = machine.group(1).strip()
    elif arch == "riscv64":
        info["vendor"] = _RISCV_VENDORS.get(first.get("mvendorid", "").lower(), "riscv")
        info["model"] = first.get("uarch") or first.get("model name") or None
        isa = first.get("isa")
        if isa:
            info["flag"] = _riscv_has_h(isa)
    return info


# Kernel log lines that settle a question, with the fact each one states.
_LOG_PATTERNS = (
    ("firmware_disabled", re.compile(r"VMX \(outside TXT\) disabled by BIOS", re.I)),
    ("firmware_disabled", re.compile(r"SVM disabled \(by BIOS\)", re.I)),
    ("firmware_disabled", re.compile(r"kvm(?:_intel|_amd)?: disabled by bios", re.I)),
    ("firmware_disabled", re.compile(r"VMX disabled by BIOS", re.I)),
    ("no_hardware", re.compile(r"no hardware support for '?kvm", re.I)),
    ("no_hardware", re.compile(r"(?:VMX|SVM) not supported by CPU|svm not available|vmx not available", re.I)),
    ("el2", re.compile(r"CPU: All CPU\(s\) started at EL2")),
    ("el1", re.compile(r"CPU: All CPU\(s\) started at EL1")),
    ("el_mismatch", re.compile(r"CPU\(s\) started in different exception levels", re.I)),
    ("kvm_initialized", re.compile(r"kvm \[\d+\]: .*mode initialized successfully", re.I)),
    ("hyp_unavailable", re.compile(r"kvm \[\d+\]: HYP mode not available", re.I)),
    ("nested_enabled", re.compile(r"kvm: Nested Virtualization enabled", re.I)),
)
_HYPERVISOR_LINE = re.compile(r"Hypervisor detected: (.+?)\s*$", re.M)
_HYPERVISOR_NAMES = (
    ("KVM", "kvm"), ("VMware", "vmware"), ("Microsoft", "microsoft"), ("Xen", "xen"),
    ("ACRN", "acrn"), ("Jailhouse", "jailhouse"), ("bhyve", "bhyve"), ("QNX", "qnx"),
)


def parse_kernel_log(text):
    """Find the kernel's own statements about virtualization in kernel log text.

    Accepts ``dmesg`` output, /var/log/kern.log lines or /dev/kmsg records. Returns
    ``{'findings': {fact: first matching line}, 'hypervisor': id or None}`` where
    ``fact`` is one of firmware_disabled, no_hardware, el2, el1, el_mismatch,
    kvm_initialized, hyp_unavailable, nested_enabled.
    """
    findings = {}
    hypervisor = None
    if not text:
        return {"findings": findings, "hypervisor": hypervisor}
    for line in text.splitlines():
        if "kvm" not in line.lower() and "bios" not in line.lower() and "EL" not in line \
                and "supported" not in line and "available" not in line and "Hypervisor" not in line:
            continue
        for fact, pattern in _LOG_PATTERNS:
            if fact not in findings and pattern.search(line):
                findings[fact] = _strip_log_prefix(line)
        if hypervisor is None:
            match = _HYPERVISOR_LINE.search(line)
            if match:
                hypervisor = _hypervisor_id(match.group(1))
    return {"findings": findings, "hypervisor": hypervisor}


def _hypervisor_id(name):
    for word, ident in _HYPERVISOR_NAMES:
        if name.startswith(word):
            return ident
    return name.split()[0].lower() if name.split() else None


def _strip_log_prefix(line):
    """Drop the timestamp of a dmesg line or the header of a /dev/kmsg record."""
    line = re.sub(r"^\s*\[\s*\d+\.\d+\]\s*", "", line)
    line = re.sub(r"^\d+,\d+,\d+,[^;]*;", "", line)
    return line.strip()[:300]


_KVM_MODULE_NAME = re.compile(r"^kvm([_-]\w+)?$")


def _is_kvm_module(name):
    return bool(_KVM_MODULE_NAME.match(name.replace("-", "_")))


def parse_cmdline_blocks(text):
    """Kernel command-line parameters that keep KVM off.

    Returns a list of the offending parameters as written (``module_blacklist=kvm_intel``,
    ``kvm-arm.mode=none``, ``kvm_amd.enable=0``...), empty when none.
    """
    blocks = []
    for param in (text or "").split():
        key, _sep, value = param.partition("=")
        norm = key.replace("-", "_").lower()
        if norm in ("module_blacklist", "modprobe.blacklist"):
            if any(_is_kvm_module(m) for m in value.split(",")):
                blocks.append(param)
        elif norm == "kvm_arm.mode" and value.lower() == "none":
            blocks.append(param)
        elif norm == "initcall_blacklist" and re.search(r"\b(vmx_init|svm_init|kvm_\w*init)\b", value):
            blocks.append(param)
    return blocks


def parse_modprobe_blocks(path, text):
    """``blacklist kvm_intel`` or ``install kvm_amd /bin/false`` lines of one modprobe.d file.

    Returns a list of ``{'file', 'line', 'module'}``.
    """
    found = []
    for raw in (text or "").splitlines():
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if len(words) < 2 or not _is_kvm_module(words[1]):
            continue
        if words[0] == "blacklist" or (
                words[0] == "install" and len(words) >= 3 and words[2].rsplit("/", 1)[-1] in ("false", "true")):
            found.append({"file": path, "line": line, "module": words[1].replace("-", "_")})
    return found


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


def container_from_markers(run_systemd_container, dockerenv, containerenv, cgroup, osrelease):
    """The container a process runs in, as systemd-detect-virt --container names it, or None.

    Reads, in systemd's order: /run/systemd/container text, /run/.containerenv and
    /.dockerenv presence (booleans), PID 1's cgroup text, and the kernel release (WSL).
    """
    value = (run_systemd_container or "").strip()
    if value:
        return {"oci": "docker"}.get(value, value)
    if containerenv:
        return "podman"
    if dockerenv:
        return "docker"
    for line in (cgroup or "").splitlines():
        for marker, ident in _CGROUP_CONTAINERS:
            if marker in line:
                return ident
    if "microsoft" in (osrelease or "").lower() and "wsl" in (osrelease or "").lower():
        return "wsl"
    return None
