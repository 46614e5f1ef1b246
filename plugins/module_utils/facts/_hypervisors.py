# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which hypervisor this Linux runs under (DMI, IBM Z's sysinfo, a confidential guest's kernel) or beside.

Nothing here opens a file; every function accepts ``None`` and malformed text.
"""

import re

# DMI strings -> systemd-detect-virt identifiers; first match wins, like systemd.
_DMI_TABLE = (
    ("KVM", "kvm"), ("OpenStack", "kvm"), ("KubeVirt", "kvm"), ("Amazon EC2", "amazon"),
    ("QEMU", "qemu"), ("VMware", "vmware"), ("VMW", "vmware"), ("innotek GmbH", "oracle"),
    ("VirtualBox", "oracle"), ("Oracle Corporation", "oracle"), ("Xen", "xen"), ("Bochs", "bochs"),
    ("Parallels", "parallels"), ("BHYVE", "bhyve"), ("Hyper-V", "microsoft"),
    ("Apple Virtualization", "apple"), ("Google Compute Engine", "google"),
)
# The DMI files (/sys/class/dmi/id/) that name a hypervisor, in the order systemd-detect-virt reads
# them (the first that names one wins): the facts read these and no others.
DMI_FIELDS = ("product_name", "sys_vendor", "board_vendor", "bios_vendor", "product_version")


def hypervisor_from_dmi(dmi):
    """The hypervisor a VM's DMI strings name, or None on bare metal or without DMI.

    ``dmi`` maps DMI file names (sys_vendor, product_name, ...) to their text.
    """
    for field in DMI_FIELDS:
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


def hypervisor_from_sysinfo(text):
    """The hypervisor an IBM Z /proc/sysinfo names ('zvm' or 'kvm'), or None in an LPAR."""
    text = text or ""
    if "z/VM" in text:
        return "zvm"
    if re.search(r"Control Program:[ \t]{0,16}KVM", text):
        return "kvm"
    return None


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
