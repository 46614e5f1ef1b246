# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""/proc/cpuinfo: the CPU's vendor, model and whether it shows the extension KVM needs.

Nothing here opens a file; ``parse_cpuinfo`` accepts ``None`` and malformed text.
"""

import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import Cpu
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._file_values import FIELD_MAX

# The names ``uname -m`` gives an x86 machine (the one list: the verdict, the facts and the
# role's preflight read it from here or from the facts).
X86_ARCHES = ("x86_64", "i686", "i386")

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


def _cut(value):
    return value[:FIELD_MAX] if isinstance(value, str) else value


def _read_cpuinfo(text, arch, info):
    """Fill ``info`` from /proc/cpuinfo text (see parse_cpuinfo)."""
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    first = _fields(blocks[0]) if blocks else {}
    info["count"] = sum(1 for b in blocks if re.search(r"^processor\s*:", b, re.M | re.I))
    if arch in X86_ARCHES or "vendor_id" in first and "flags" in first:
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
