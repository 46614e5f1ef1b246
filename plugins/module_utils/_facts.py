# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gathering ``ansible_facts['kvm']``: read a host through ``_sources``, parse, decide.

``gather(root)`` is the one entry point; it always returns the same keys, with ``None``
where a value could not be read and an ``evidence`` entry saying why.
"""

from __future__ import annotations

import os
import re

from ansible_collections.hypervisor.kvm.plugins.module_utils import _parsers as parsers
from ansible_collections.hypervisor.kvm.plugins.module_utils import _sources as sources
from ansible_collections.hypervisor.kvm.plugins.module_utils import _verdict as verdict

# Where a kernel log may be, in the order they are tried after /dev/kmsg.
_LOG_FILES = ("/var/log/dmesg", "/var/log/kern.log")
_MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/lib/modprobe.d", "/lib/modprobe.d")
_DMI_FIELDS = ("sys_vendor", "product_name", "product_version", "board_vendor", "bios_vendor")
_PCI_VENDORS = {
    "0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel", "0x1af4": "virtio", "0x1234": "qemu",
    "0x1b36": "qemu", "0x15ad": "vmware", "0x1414": "microsoft", "0x1013": "cirrus",
    "0x102b": "matrox", "0x1a03": "aspeed", "0x80ee": "virtualbox",
}
# CPUID bits and MSRs that tell the extension from its firmware switch (x86).
_CPUID_VMX = (0x1, 2, 5)          # leaf 1, ECX bit 5
_CPUID_SVM = (0x80000001, 2, 2)   # leaf 0x80000001, ECX bit 2
_MSR_FEATURE_CONTROL = 0x3A       # bit 0 lock, bit 2 VMX outside SMX
_MSR_VM_CR = 0xC0010114           # bit 4 SVMDIS


class Evidence(object):
    """The observations behind the verdict, each with where it came from."""

    def __init__(self):
        self.items = []

    def add(self, source, observation):
        """Record one observation of one source."""
        self.items.append({"source": source, "observation": observation})


def gather(root="/", probe=None):
    """All KVM facts of the host under ``root``: a dict for ``ansible_facts['kvm']``.

    The live host (``root='/'``) is probed (``/dev/kvm`` ioctls, ``/dev/kmsg``, CPUID);
    a snapshot is only read, and its probes are reported as not probed. ``probe`` forces
    probing on or off.
    """
    files = sources.HostFiles(root)
    live = files.live if probe is None else probe
    ev = Evidence()
    if not live:
        ev.add(files.root, "a captured snapshot: read only, live probes (/dev/kvm ioctls, CPUID, MSR) not probed")

    arch = _arch(files, ev)
    kernel = files.text("/proc/sys/kernel/osrelease")
    kernel = kernel.strip() if kernel else None
    cpu = _cpu(files, arch, ev)
    modules = _modules(files, ev)
    log = _kernel_log(files, live, ev)
    dmi = dict((field, files.text("/sys/class/dmi/id/" + field)) for field in _DMI_FIELDS)
    guest = _guest(files, cpu, log, dmi, kernel, ev)
    needed = verdict.vendor_module(arch, cpu["vendor"])
    device, probed, probe_error = _device(files, live, ev)
    cmdline = files.text("/proc/cmdline") or ""
    blocks = _kernel_blocks(files, cmdline, ev)
    signals = _x86_firmware_signals(cpu, arch, log, live, ev)

    obs = {
        "arch": arch, "cpu": cpu, "modules": modules, "device": device, "guest": guest,
        "probed": probed, "probe_error": probe_error,
        "kernel_blocks": blocks, "user": _user() if live else None,
        "el": "el2" if "el2" in log["findings"] else ("el1" if "el1" in log["findings"] else None),
        "hyp_unavailable": "hyp_unavailable" in log["findings"],
        "no_hardware": log["findings"].get("no_hardware"),
        "kernel_log_read": log["complete"],
    }
    obs.update(signals)
    if arch == "aarch64":
        cpu["flag"] = {"el2": True, "el1": False}.get(obs["el"])
    usable, reason, remediation = verdict.decide(obs)
    nested = _nested(files, arch, needed, modules, cmdline, ev)
    _explain(ev, cpu, modules, needed, usable, reason)

    return {
        "usable": usable,
        "reason": reason,
        "remediation": remediation,
        "arch": arch,
        "kernel": kernel,
        "cpu": {"vendor": cpu["vendor"], "model": cpu["model"], "extension": cpu["extension"],
                "flag": cpu["flag"], "count": cpu["count"] or None},
        "vendor_module": needed,
        "modules": modules,
        "device": device,
        "nested": nested,
        "guest": guest,
        "iommu": _iommu(files, cmdline),
        "hugepages": _hugepages(files),
        "devices": dict((name, files.exists(path)) for name, path in (
            ("vhost_net", "/dev/vhost-net"), ("vhost_vsock", "/dev/vhost-vsock"),
            ("tun", "/dev/net/tun"), ("vfio", "/dev/vfio/vfio"))),
        "confidential": _confidential(files),
        "gpus": _gpus(files),
        "probed": probed,
        "evidence": ev.items,
    }


def _arch(files, ev):
    if files.live:
        return os.uname()[4]
    text, why = files.read("/proc/sys/kernel/arch")
    if text and text.strip():
        return text.strip()
    ev.add("/proc/sys/kernel/arch", "not readable (%s): architecture unknown" % (why or "empty"))
    return None


def _cpu(files, arch, ev):
    text, why = files.read("/proc/cpuinfo", limit=1024 * 1024)
    cpu = parsers.parse_cpuinfo(text, arch)
    if text is None:
        ev.add("/proc/cpuinfo", "not readable (%s)" % why)
    elif cpu["extension"]:
        shown = {True: "shown", False: "not shown", None: "not stated"}[cpu["flag"]]
        ev.add("/proc/cpuinfo", "vendor %s, model %s; extension '%s' %s" % (
            cpu["vendor"], cpu["model"], cpu["extension"], shown))
    else:
        ev.add("/proc/cpuinfo", "vendor %s, model %s; no known virtualization extension for it" % (
            cpu["vendor"], cpu["model"]))
    return cpu


def _modules(files, ev):
    """KVM modules loaded or built in: /sys/module lists both, /proc/modules only loaded ones."""
    names = set()
    builtin = []
    for name in files.listdir("/sys/module"):
        if name.startswith("kvm"):
            names.add(name)
            if not files.exists("/sys/module/%s/initstate" % name):
                builtin.append(name)
    proc = files.text("/proc/modules") or ""
    for line in proc.splitlines():
        name = line.split(" ", 1)[0]
        if name.startswith("kvm"):
            names.add(name)
    found = sorted(names)
    if found:
        ev.add("/sys/module", "KVM modules present: %s%s" % (
            ", ".join(found), " (built in: %s)" % ", ".join(builtin) if builtin else ""))
    else:
        ev.add("/sys/module", "no KVM module loaded or built in")
    return found


def _kernel_log(files, live, ev):
    """The kernel's statements, from /dev/kmsg (live) and the saved logs."""
    texts = []
    tried = []
    if live:
        text, why = sources.read_kmsg(files.path("/dev/kmsg"))
        if text is not None:
            texts.append(text)
            tried.append("/dev/kmsg read")
        else:
            tried.append("/dev/kmsg %s" % why)
    # A ring buffer that no longer holds the boot messages needs the saved logs too.
    for path in _LOG_FILES:
        if texts and any("Linux version" in t for t in texts):
            break
        text, why = files.read(path, limit=4 * 1024 * 1024, tail=True)
        if text is not None:
            texts.append(text)
            tried.append("%s read" % path)
        else:
            tried.append("%s %s" % (path, why))
    joined = "\n".join(texts)
    parsed = parsers.parse_kernel_log(joined)
    parsed["complete"] = "Linux version" in joined or bool(re.search(r"\[\s*0\.0+\]", joined))
    if not texts:
        ev.add("kernel log", "not readable: %s" % "; ".join(tried))
    else:
        said = "; ".join("'%s'" % line for line in parsed["findings"].values())
        ev.add("kernel log", "%s; %s%s" % (
            ", ".join(tried), said or "nothing said about KVM or firmware",
            "" if parsed["complete"] else " (boot messages no longer in it)"))
    return parsed


def _guest(files, cpu, log, dmi, kernel, ev):
    """Whether this host is a VM (of which hypervisor) or a container (which)."""
    from_dmi = parsers.hypervisor_from_dmi(dmi)
    from_log = log["hypervisor"]
    hypervisor = from_dmi
    # QEMU with KVM: DMI says QEMU, the CPUID signature (logged by the kernel) says KVM.
    if from_log and from_dmi in (None, "qemu"):
        hypervisor = from_log
    xen = (files.text("/sys/hypervisor/type") or "").strip()
    if not hypervisor and xen == "xen" and "control_d" not in (files.text("/proc/xen/capabilities") or ""):
        hypervisor = "xen"
    sysinfo = files.text("/proc/sysinfo") or ""
    if not hypervisor and "z/VM" in sysinfo:
        hypervisor = "zvm"
    elif not hypervisor and re.search(r"Control Program:\s*KVM", sysinfo):
        hypervisor = "kvm"
    if not hypervisor and cpu.get("platform") == "pSeries":
        hypervisor = "kvm" if "emulated by qemu" in (cpu.get("machine") or "") else "powervm"
    virtualized = bool(hypervisor) or "hypervisor" in cpu["flags"]
    if virtualized and not hypervisor:
        hypervisor = "vm-other"
    container = parsers.container_from_markers(
        files.text("/run/systemd/container"), files.exists("/.dockerenv"),
        files.exists("/run/.containerenv"), files.text("/proc/1/cgroup"), kernel)
    sources_seen = []
    if from_dmi:
        sources_seen.append("DMI says %s" % from_dmi)
    if from_log:
        sources_seen.append("kernel log says hypervisor %s" % from_log)
    if "hypervisor" in cpu["flags"]:
        sources_seen.append("CPU flag 'hypervisor'")
    ev.add("/sys/class/dmi/id, kernel log, /proc/cpuinfo",
           "virtual machine under %s (%s)" % (hypervisor, ", ".join(sources_seen)) if virtualized
           else "no sign of a hypervisor: bare metal")
    if container:
        ev.add("/run/systemd/container, /.dockerenv, /run/.containerenv, /proc/1/cgroup",
               "running in a %s container" % container)
    return {"virtualized": virtualized, "hypervisor": hypervisor, "container": container}


def _device(files, live, ev):
    """/dev/kvm as the facts report it, whether it was probed, and why the probe fell short."""
    exists = files.exists("/dev/kvm")
    device = {"exists": exists, "accessible": None, "api_version": None, "vm_created": None}
    if not exists:
        ev.add("/dev/kvm", "does not exist")
        return device, False, None
    if not live:
        ev.add("/dev/kvm", "existed when captured; not probed")
        return device, False, None
    probe = sources.probe_kvm(files.path("/dev/kvm"))
    device.update(accessible=probe["opened"], api_version=probe["api_version"], vm_created=probe["vm_created"])
    if not probe["opened"]:
        ev.add("/dev/kvm", "exists; cannot be opened by this user (%s)" % probe["open_error"])
        return device, True, "open failed: %s" % probe["open_error"]
    ev.add("/dev/kvm", "opened; KVM_GET_API_VERSION %s; KVM_CREATE_VM %s" % (
        probe["api_version"],
        "succeeded" if probe["vm_created"] else "failed (%s)" % probe["vm_error"]))
    return device, True, probe["vm_error"]


def _kernel_blocks(files, cmdline, ev):
    blocks = list(parsers.parse_cmdline_blocks(cmdline))
    for directory in _MODPROBE_DIRS:
        for name in files.listdir(directory):
            if name.endswith(".conf"):
                path = "%s/%s" % (directory, name)
                blocks.extend(parsers.parse_modprobe_blocks(path, files.text(path)))
    for block in blocks:
        if isinstance(block, dict):
            ev.add(block["file"], "keeps %s from loading: '%s'" % (block["module"], block["line"]))
        else:
            ev.add("/proc/cmdline", "kernel parameter keeps KVM off: '%s'" % block)
    return blocks


def _x86_firmware_signals(cpu, arch, log, live, ev):
    """Tell firmware-disabled from missing hardware on x86: kernel log, raw CPUID, MSRs."""
    signals = {"firmware_disabled": log["findings"].get("firmware_disabled"), "raw_extension": None}
    if signals["firmware_disabled"]:
        ev.add("kernel log", "firmware turned the extension off: '%s'" % signals["firmware_disabled"])
    if arch not in ("x86_64", "i686", "i386") or not live or cpu["extension"] not in ("vmx", "svm"):
        return signals
    leaf, register, bit = _CPUID_VMX if cpu["extension"] == "vmx" else _CPUID_SVM
    words = sources.read_cpuid(leaf)
    if words is None:
        ev.add("/dev/cpu/0/cpuid", "not readable (the cpuid driver is not loaded or this is not root)")
    else:
        signals["raw_extension"] = bool(words[register] >> bit & 1)
        ev.add("/dev/cpu/0/cpuid", "raw CPUID %s '%s'" % (
            "has" if signals["raw_extension"] else "does not have", cpu["extension"]))
    if cpu["extension"] == "vmx":
        value = sources.read_msr(_MSR_FEATURE_CONTROL)
        if value is not None and value & 1 and not value & 4:
            signals["firmware_disabled"] = "IA32_FEATURE_CONTROL locked with VMX off"
    else:
        value = sources.read_msr(_MSR_VM_CR)
        if value is not None and value & 0x10:
            signals["firmware_disabled"] = "VM_CR.SVMDIS set"
    if value is not None:
        ev.add("/dev/cpu/0/msr", signals["firmware_disabled"] or "firmware leaves the extension on")
    return signals


def _nested(files, arch, needed, modules, cmdline, ev):
    module = needed if needed in modules else None
    if arch == "aarch64":
        enabled = ("kvm-arm.mode=nested" in cmdline) if "kvm" in modules else None
        return {"enabled": enabled, "module": "kvm" if "kvm" in modules else None}
    if module is None:
        return {"enabled": None, "module": None}
    source = "/sys/module/%s/parameters/nested" % module
    text, why = files.read(source)
    enabled = parsers.parse_bool(text)
    if text is None:
        ev.add(source, "%s has no nested parameter" % module if why == "missing" else "not readable (%s)" % why)
    elif enabled is None:
        ev.add(source, "not a yes/no value: %r" % text.strip()[:40])
    return {"enabled": enabled, "module": module}


def _iommu(files, cmdline):
    groups = files.listdir("/sys/kernel/iommu_groups")
    table = None
    for name in ("DMAR", "IVRS", "IORT"):
        if files.exists("/sys/firmware/acpi/tables/" + name):
            table = name
            break
    params = [p for p in cmdline.split() if p.split("=", 1)[0] in ("intel_iommu", "amd_iommu", "iommu")]
    return {"enabled": bool(groups), "groups": len(groups), "firmware_table": table,
            "kernel_parameters": params}


def _hugepages(files):
    pools = {}
    for name in files.listdir("/sys/kernel/mm/hugepages"):
        base = "/sys/kernel/mm/hugepages/" + name
        pools[name.replace("hugepages-", "")] = {
            "total": parsers.parse_int(files.text(base + "/nr_hugepages")),
            "free": parsers.parse_int(files.text(base + "/free_hugepages")),
        }
    thp = files.text("/sys/kernel/mm/transparent_hugepage/enabled")
    chosen = re.search(r"\[(\w+)\]", thp or "")
    return {"pools": pools, "transparent": chosen.group(1) if chosen else None,
            "ksm": parsers.parse_bool(files.text("/sys/kernel/mm/ksm/run"))}


def _confidential(files):
    def param(module, name):
        return parsers.parse_bool(files.text("/sys/module/%s/parameters/%s" % (module, name)))
    return {"sev": param("kvm_amd", "sev"), "sev_es": param("kvm_amd", "sev_es"),
            "sev_snp": param("kvm_amd", "sev_snp"), "tdx": param("kvm_intel", "tdx"),
            "sev_device": files.exists("/dev/sev")}


def _gpus(files):
    """Display controllers (PCI class 0x03) and how each can be given to a VM."""
    gpus = []
    for address in files.listdir("/sys/bus/pci/devices"):
        base = "/sys/bus/pci/devices/" + address
        pci_class = (files.text(base + "/class") or "").strip()
        if not pci_class.startswith("0x03"):
            continue
        vendor_id = (files.text(base + "/vendor") or "").strip() or None
        driver = files.link_name(base + "/driver")
        group = files.link_name(base + "/iommu_group")
        total_vfs = parsers.parse_int(files.text(base + "/sriov_totalvfs"))
        mdev = []
        for type_name in files.listdir(base + "/mdev_supported_types"):
            tbase = "%s/mdev_supported_types/%s" % (base, type_name)
            mdev.append({"type": type_name, "name": (files.text(tbase + "/name") or "").strip() or None,
                         "available_instances": parsers.parse_int(files.text(tbase + "/available_instances"))})
        gpus.append({
            "address": address, "vendor": _PCI_VENDORS.get(vendor_id or "", vendor_id),
            "vendor_id": vendor_id, "device_id": (files.text(base + "/device") or "").strip() or None,
            "class": pci_class, "driver": driver, "iommu_group": parsers.parse_int(group),
            "passthrough_ready": driver == "vfio-pci" and group is not None,
            "sriov": {"total_vfs": total_vfs, "num_vfs": parsers.parse_int(files.text(base + "/sriov_numvfs"))}
            if total_vfs else None,
            "mdev_types": mdev,
        })
    return gpus


def _user():
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


def _explain(ev, cpu, modules, needed, usable, reason):
    software = [m for m in modules if m in verdict.SOFTWARE_KVM_MODULES]
    if software and not cpu.get("flag"):
        ev.add("/sys/module", "KVM is provided by %s, a software KVM that needs no %s flag" % (
            ", ".join(software), cpu.get("extension") or "hardware"))
    if needed and needed not in modules and not software:
        ev.add("/sys/module", "%s, the module this CPU needs, is not loaded" % needed)
    ev.add("verdict", "KVM acceleration %s (%s)" % ("can be used" if usable else "can NOT be used", reason))
