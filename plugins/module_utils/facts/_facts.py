# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Gathering ``ansible_facts['kvm']``: read the host, then decide, then assemble the result.

``gather(root)`` is the one entry point; it always returns the same keys, with ``None``
where a value could not be read and an ``evidence`` entry saying why. Reading is done by
``_read`` (through ``_sources``, text turned into values by the parsers
of each subject: ``_cpuinfo``, ``_kernel_log``, ``_cmdline_modprobe``, ...), deciding by
``_verdict.decide`` on the ``Observations`` read, and ``_assemble`` only shapes.
"""

import os

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cmdline_modprobe as cmdline_modprobe
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _containers as containers
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuid_msr as cpuid_msr
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuinfo as cpuinfo
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _hypervisors as hypervisors
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_log as kernel_log
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _permissions as permissions
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _sources as sources
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _verdict as verdict
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import (
    Device, Guest, KernelLog, Observations, Raw)

# Where a kernel log may be, in the order they are tried after /dev/kmsg.
_LOG_FILES = ("/var/log/dmesg", "/var/log/kern.log")
_LOG_LIMIT = 4 * 1024 * 1024
_PCI_VENDORS = {
    "0x10de": "nvidia", "0x1002": "amd", "0x8086": "intel", "0x1af4": "virtio", "0x1234": "qemu",
    "0x1b36": "qemu", "0x15ad": "vmware", "0x1414": "microsoft", "0x1013": "cirrus",
    "0x102b": "matrox", "0x1a03": "aspeed", "0x80ee": "virtualbox",
}
_MSR_FEATURE_CONTROL = 0x3A
_MSR_VM_CR = 0xC0010114


class Evidence(object):
    """The observations behind the verdict, each with where it came from."""

    def __init__(self):
        self.items = []

    def add(self, source, observation):
        """Record one observation of one source."""
        self.items.append({"source": source, "observation": observation})


def gather(root="/"):
    """All KVM facts of the host under ``root``: a dict for ``ansible_facts['kvm']``.

    The live host (``root='/'``) is probed (``/dev/kvm`` ioctls, ``/dev/kmsg``, raw CPUID and
    MSRs where readable); a snapshot is only read, and its probes are reported as not
    probed.
    """
    files = sources.HostFiles(root)
    # A snapshot's /dev and kernel log are files someone sent: never probed.
    live = files.live
    ev = Evidence()
    obs, extra = _read(files, live, ev)
    result = verdict.decide(obs)
    _explain(ev, obs, result)
    return _assemble(obs, result, extra, ev)


def _read(files, live, ev):
    """Read everything the verdict and the facts need: ``(Observations, other facts)``."""
    if not live:
        ev.add(files.root, "a captured snapshot: read only, live probes (/dev/kvm ioctls, CPUID, MSR) not probed")
    arch = _arch(files, ev)
    kernel = file_values.first_line(_text(files, "/proc/sys/kernel/osrelease", ev, 4096))
    cpu = _cpu(files, arch, ev)
    names, modules = _modules(files, ev)
    log = _kernel_log(files, live, ev)
    dmi = dict((field, _text(files, "/sys/class/dmi/id/" + field, ev, 4096)) for field in hypervisors.DMI_FIELDS)
    guest = _guest(files, cpu, log, dmi, kernel, ev)
    device, probed, probe_error, user, identity, access = _device(files, live, ev)
    cmdline = files.text("/proc/cmdline") or ""
    blocks, options = _blocks(files, cmdline, ev)
    others = hypervisors.other_hypervisors(names, files.text("/proc/xen/capabilities"))
    if others:
        ev.add("/sys/module, /proc/xen/capabilities", "another hypervisor on this machine: %s" % ", ".join(others))
    raw = _raw(cpu, arch, live, ev)
    obs = Observations(arch, kernel, kernel_log.parse_kernel_version(kernel), cpu, tuple(modules), device, probed,
                       probe_error, guest, log, tuple(blocks), raw, tuple(others), user, tuple(options),
                       file_values.parse_bool(files.text("/sys/module/kvm/parameters/enable_virt_at_load", 64)),
                       identity, access, live)
    needed = verdict.vendor_module(arch, cpu.vendor)
    extra = {
        "vendor_module": needed,
        "nested": dict(_nested(files, arch, needed, modules, cmdline, ev), set_by=_nested_set_by(options, needed)),
        "iommu": _iommu(files, cmdline),
        "hugepages": _hugepages(files),
        "devices": dict((name, files.exists(path)) for name, path in (
            ("vhost_net", "/dev/vhost-net"), ("vhost_vsock", "/dev/vhost-vsock"),
            ("tun", "/dev/net/tun"), ("vfio", "/dev/vfio/vfio"))),
        "confidential": _confidential(files),
        "gpus": _gpus(files, ev),
        "reboot_pending": _reboot_pending(files, ev),
    }
    return obs, extra


def _assemble(obs, result, extra, ev):
    """The facts dict: the verdict, what was observed, and the evidence."""
    cpu = obs.cpu
    shown = cpu.extension_shown
    if obs.arch == "aarch64":
        el2 = any(line.finding == "el2" for line in obs.log.lines)
        el1 = any(line.finding in ("el1", "hyp_unavailable") for line in obs.log.lines)
        shown = True if el2 and not el1 else (False if el1 else None)
    return {
        "usable": result.usable,
        "reason": result.reason,
        "remediation": result.remediation,
        "arch": obs.arch,
        "kernel": obs.kernel,
        "cpu": {"vendor": cpu.vendor, "model": cpu.model, "extension": cpu.extension,
                "extension_shown": shown, "count": cpu.count or None},
        "vendor_module": extra["vendor_module"],
        "modules": list(obs.modules),
        "device": dict(obs.device._asdict()),
        "nested": extra["nested"],
        "guest": dict(obs.guest._asdict()),
        "iommu": extra["iommu"],
        "hugepages": extra["hugepages"],
        "devices": extra["devices"],
        "confidential": extra["confidential"],
        "gpus": extra["gpus"],
        "reboot_pending": extra["reboot_pending"],
        "user": _identity_facts(obs),
        "probed": obs.probed,
        "evidence": ev.items,
    }


def _text(files, path, ev, limit=None):
    """Text of a host file; a refusal other than 'missing' (a link, a FIFO) goes in the evidence."""
    text, why = files.read(path, limit) if limit else files.read(path)
    if text is None and why and why != "missing":
        ev.add(path, "not read (%s)" % why)
    return text


def _listdir(files, path, ev):
    """Names in a host directory; a refusal other than 'missing' goes in the evidence."""
    names, why = files.readdir(path)
    if why and why != "missing":
        ev.add(path, "not listed (%s)" % why)
    return names


def _arch(files, ev):
    if files.live:
        return os.uname()[4]
    text, why = files.read("/proc/sys/kernel/arch")
    arch = file_values.first_line(text)
    if arch:
        return arch
    ev.add("/proc/sys/kernel/arch", "not readable (%s): architecture unknown" % (why or "empty"))
    return None


def _cpu(files, arch, ev):
    text, why = files.read("/proc/cpuinfo", limit=1024 * 1024)
    cpu = cpuinfo.parse_cpuinfo(text, arch)
    if text is None:
        ev.add("/proc/cpuinfo", "not readable (%s)" % why)
    elif cpu.extension:
        shown = {True: "shown", False: "not shown", None: "not stated"}[cpu.extension_shown]
        ev.add("/proc/cpuinfo", "vendor %s, model %s; extension '%s' %s" % (
            cpu.vendor, cpu.model, cpu.extension, shown))
    else:
        ev.add("/proc/cpuinfo", "vendor %s, model %s; no known virtualization extension for it" % (
            cpu.vendor, cpu.model))
    return cpu


def _modules(files, ev):
    """KVM modules loaded or built in: /sys/module lists both, /proc/modules only loaded ones.

    Returns ``(every module name seen, the KVM modules)``.
    """
    names = set(files.listdir("/sys/module"))
    builtin = [n for n in sorted(names) if n.startswith("kvm") and not files.exists("/sys/module/%s/initstate" % n)]
    for line in (files.text("/proc/modules") or "").splitlines():
        names.add(line.split(" ", 1)[0])
    found = sorted(n for n in names if n.startswith("kvm"))[:32]
    if found:
        ev.add("/sys/module", "KVM modules present: %s%s" % (
            ", ".join(found), " (built in: %s)" % ", ".join(builtin) if builtin else ""))
    else:
        ev.add("/sys/module", "no KVM module loaded or built in")
    return names, found


def _kernel_log(files, live, ev):
    """The kernel's statements, from /dev/kmsg (live) and the saved logs."""
    texts = []
    tried = []
    if live:
        text, why = sources.read_kmsg(files.path("/dev/kmsg"), limit=_LOG_LIMIT)
        if text is not None:
            texts.append(text)
            tried.append("/dev/kmsg read")
        else:
            tried.append("/dev/kmsg %s" % why)
    # A ring buffer that no longer holds the boot messages needs the saved logs too.
    for path in _LOG_FILES:
        if texts and kernel_log.current_boot(texts[0])[1]:
            break
        text, why = files.read(path, limit=_LOG_LIMIT, tail=True)
        if text is not None:
            texts.append(text)
            tried.append("%s read" % path)
        else:
            tried.append("%s %s" % (path, why))
    if not texts:
        ev.add("kernel log", "not readable: %s" % "; ".join(tried))
        return KernelLog((), None, False, False)
    # The freshest source that holds the boot's start wins; else they are read together.
    whole = next((t for t in texts if kernel_log.current_boot(t)[1]), "\n".join(texts))
    log = kernel_log.parse_kernel_log(whole)
    said = "; ".join("'%s'" % line.line for line in log.lines if line.finding != "hypervisor")
    ev.add("kernel log", "%s; %s%s" % (
        ", ".join(tried), said or "nothing said about KVM or firmware",
        "" if log.complete else " (boot messages no longer in it)"))
    return log


def _guest(files, cpu, log, dmi, kernel, ev):
    """Whether this host is a VM (of which hypervisor) or a container (which)."""
    from_dmi = hypervisors.hypervisor_from_dmi(dmi)
    from_log = log.hypervisor
    hypervisor = from_dmi
    # QEMU with KVM: DMI says QEMU, the CPUID signature (logged by the kernel) says KVM.
    if from_log and from_dmi in (None, "qemu"):
        hypervisor = from_log
    xen = (_text(files, "/sys/hypervisor/type", ev, 4096) or "").strip()
    if not hypervisor and xen == "xen" and "control_d" not in (files.text("/proc/xen/capabilities") or ""):
        hypervisor = "xen"
    if not hypervisor:
        hypervisor = hypervisors.hypervisor_from_sysinfo(files.text("/proc/sysinfo", limit=65536))
    if not hypervisor and cpu.platform == "pSeries":
        hypervisor = "kvm" if "emulated by qemu" in (cpu.machine or "") else "powervm"
    wsl = containers.wsl_version(
        kernel, _text(files, "/proc/version", ev, 4096),
        files.exists("/proc/sys/fs/binfmt_misc/WSLInterop") or files.exists("/proc/sys/fs/binfmt_misc/WSLInterop-late"),
        files.exists("/run/WSL"))
    # WSL 2 runs in a Hyper-V VM of Windows; WSL 1 runs on Windows' own kernel, which holds
    # the CPU's virtualization: either way Microsoft's layer is above this Linux.
    if wsl:
        hypervisor = "microsoft"
    confidential = hypervisors.confidential_guest(log.lines, cpu.features)
    virtualized = bool(hypervisor) or "hypervisor" in cpu.features or bool(confidential)
    if virtualized and not hypervisor:
        hypervisor = "vm-other"
    container = containers.container_from_markers(
        _text(files, "/run/systemd/container", ev, 4096), files.exists("/.dockerenv"),
        files.exists("/run/.containerenv"), _text(files, "/proc/1/cgroup", ev, 65536))
    seen = []
    if wsl:
        seen.append("WSL 1: Windows' own kernel answers, there is no Linux kernel" if wsl == 1
                    else "WSL 2: Microsoft's Linux kernel in a Hyper-V VM of Windows")
    if from_dmi:
        seen.append("DMI says %s" % from_dmi)
    if from_log:
        seen.append("kernel log says hypervisor %s" % from_log)
    if "hypervisor" in cpu.features:
        seen.append("CPU flag 'hypervisor'")
    if confidential:
        seen.append("a confidential guest (%s)" % confidential)
    ev.add("/sys/class/dmi/id, kernel log, /proc/cpuinfo, /proc/version",
           "virtual machine under %s (%s)" % (hypervisor, ", ".join(seen)) if virtualized
           else "no sign of a hypervisor: bare metal")
    if container:
        ev.add("/run/systemd/container, /.dockerenv, /run/.containerenv, /proc/1/cgroup",
               "running in a %s container" % container)
    return Guest(virtualized, hypervisor, container, wsl, confidential)


def _device(files, live, ev):
    """/dev/kvm: ``(Device, probed, why the probe fell short, the user, its Identity, Access)``.

    Who may open it comes from its owner, group and mode (live: lstat; a snapshot:
    capture-host's records) weighed against the user (live: this process; a snapshot: the user
    capture-host recorded) in its user namespace.
    """
    exists = files.exists("/dev/kvm")
    node, identity, maps = _who_may_open(files, live, exists, ev)
    fields = {}
    if node is not None:
        fields = {"uid": node.uid, "owner": node.owner, "gid": node.gid, "group": node.group,
                  "mode": "%04o" % node.mode, "major_minor": node.major_minor, "acl": node.acl}
    if not exists:
        ev.add("/dev/kvm", "does not exist")
        return Device(False, None, None, None, **fields), False, None, None, identity, None
    access = permissions.judge(node, identity, *maps) if node is not None and identity is not None else None
    if access is not None:
        ev.add("/dev/kvm permissions", access.why)
    if not live:
        ev.add("/dev/kvm", "existed when captured; not probed")
        user = (identity.name or str(identity.uid)) if identity is not None else None
        return (Device(True, access.allowed if access else None, None, None, **fields), False, None, user,
                identity, access)
    user = _user()
    probe = sources.probe_kvm(files.path("/dev/kvm"))
    device = Device(True, True if probe["opened"] else (False if probe["refused"] else None),
                    probe["api_version"], probe["vm_created"], **fields)
    if not probe["opened"]:
        ev.add("/dev/kvm", "exists; cannot be opened by %s (%s)" % (user, probe["open_error"]))
        return device, True, "open failed: %s" % probe["open_error"], user, identity, access
    ev.add("/dev/kvm", "opened; KVM_GET_API_VERSION %s; KVM_CREATE_VM %s" % (
        probe["api_version"],
        "succeeded" if probe["vm_created"] else "failed (%s)" % probe["vm_error"]))
    return device, True, probe["vm_error"], user, identity, access


# Where capture-host leaves its records in a snapshot (tools/capture-host).
CAPTURE_DEVICES = "/.capture/devices"
CAPTURE_IDENTITY = "/.capture/identity"


def _who_may_open(files, live, exists, ev):
    """``(/dev/kvm's NodeMode or None, the Identity or None, (uid_map, gid_map, overflow ids))``."""
    uid_map = permissions.parse_id_map(_text(files, "/proc/self/uid_map", ev, 65536))
    gid_map = permissions.parse_id_map(_text(files, "/proc/self/gid_map", ev, 65536))
    overflow = tuple(file_values.parse_int(files.text(path, limit=64)) or permissions.OVERFLOW_ID
                     for path in ("/proc/sys/kernel/overflowuid", "/proc/sys/kernel/overflowgid"))
    if live:
        node = sources.node_mode(files.path("/dev/kvm")) if exists else None
        identity = sources.process_identity()
    else:
        text, why = files.read(CAPTURE_DEVICES, limit=65536)
        nodes, bad = permissions.parse_devices(text)
        if nodes is None:
            if exists:
                ev.add(CAPTURE_DEVICES, "%s: the device nodes' owner, group and mode were not captured "
                       "(a capture-host older than these records)" % why)
            node = None
        else:
            node = nodes.get("/dev/kvm")
            if bad:
                ev.add(CAPTURE_DEVICES, "%d line(s) that are not records: ignored" % bad)
        identity, why = permissions.parse_identity(_text(files, CAPTURE_IDENTITY, ev, 65536))
        if why:
            ev.add(CAPTURE_IDENTITY, "%s: ignored" % why)
    if node is not None:
        ev.add("/dev/kvm", "%s node %s, owner %s, group %s, mode %04o%s" % (
            {"c": "character device", "b": "block device", "l": "symbolic link"}.get(node.type, "not a device"),
            node.major_minor or "", _named(node.owner, node.uid), _named(node.group, node.gid), node.mode,
            ", with an access control list" if node.acl else ""))
    if identity is not None:
        initial = permissions.is_initial(uid_map)
        identity = identity._replace(user_namespace=None if initial is None else not initial)
        ev.add(CAPTURE_IDENTITY if not live else "this process",
               "judged for %s, gid %s, groups %s (%s)%s" % (
                   permissions.who(identity), identity.gid,
                   ", ".join(_named(name, number) for number, name in identity.groups[:32]) or "none",
                   {"process": "the user that ran the %s" % ("module" if live else "capture"),
                    "sudo": "the user who ran sudo", "option": "named by capture-host --user"}.get(
                        identity.source, "source not stated"),
                   ("; in a user namespace: uid 0 here is uid %s outside" % permissions.to_outside(uid_map, 0)
                    if initial is False else "") +
                   ("; /etc/group has '%s'" % identity.kvm_group_line if identity.kvm_group_line else "")))
    return node, identity, (uid_map, gid_map, overflow)


def _named(name, number):
    """'name (N)' or 'N'."""
    return "%s (%d)" % (name, number) if name else "%d" % number


def _identity_facts(obs):
    """The user the verdict is for, as facts."""
    identity = obs.identity
    if identity is None:
        return {"name": None, "uid": None, "gid": None, "groups": [], "source": None, "user_namespace": None}
    return {"name": identity.name, "uid": identity.uid, "gid": identity.gid,
            "groups": [{"id": number, "name": name} for number, name in identity.groups],
            "source": identity.source, "user_namespace": identity.user_namespace}


def _blocks(files, cmdline, ev):
    """Command-line parameters and modprobe.d lines that keep KVM off, and the KVM modules'
    options they set: ``(blocks, options)``."""
    blocks = list(cmdline_modprobe.parse_cmdline_blocks(cmdline))
    options = list(cmdline_modprobe.parse_module_options("/proc/cmdline", cmdline))
    seen = set()
    for directory in cmdline_modprobe.MODPROBE_DIRS:
        for name in _listdir(files, directory, ev)[:256]:
            if name.endswith(".conf") and name not in seen:
                seen.add(name)
                path = "%s/%s" % (directory, name)
                text = _text(files, path, ev, 65536)
                blocks.extend(cmdline_modprobe.parse_modprobe_blocks(path, text))
                options.extend(cmdline_modprobe.parse_module_options(path, text)[:64])
    for block in blocks:
        ev.add(block.file, "keeps %s %s: '%s'" % (block.module, {
            "blacklist": "from loading by name at boot", "install": "from loading (install command)",
            "initcall": "from starting (built-in init skipped)", "hide_feature": "hidden from the kernel",
            "kvm_off": "off"}[block.effect], block.text))
    return blocks, options


def _raw(cpu, arch, live, ev):
    """Raw CPUID and the firmware's MSR on a live x86 host, where the drivers are readable."""
    if arch not in cpuinfo.X86_ARCHES or not live or cpu.extension not in cpuid_msr.CPUID_BITS:
        return Raw(None, None, False, False)
    leaf = cpuid_msr.CPUID_BITS[cpu.extension][0]
    words = sources.read_cpuid(leaf)
    extension = cpuid_msr.cpuid_has(words, cpu.extension)
    if words is None:
        ev.add("/dev/cpu/0/cpuid", "not readable (the cpuid driver is not loaded, or not root): raw CPUID not read")
    else:
        ev.add("/dev/cpu/0/cpuid", "raw CPUID %s '%s'" % ("has" if extension else "does not have", cpu.extension))
    value = sources.read_msr(_MSR_FEATURE_CONTROL if cpu.extension == "vmx" else _MSR_VM_CR)
    firmware = cpuid_msr.firmware_from_msr(cpu.extension, value)
    if value is None:
        ev.add("/dev/cpu/0/msr", "not readable (the msr driver is not loaded, or not root): firmware MSR not read")
    else:
        ev.add("/dev/cpu/0/msr", {"enabled": "the firmware leaves the extension on",
                                  "disabled": "the firmware turned the extension off (and locked it)",
                                  "txt_only": "the firmware enables VT-x only inside TXT (SMX)"}[firmware])
    return Raw(extension, firmware, words is not None, value is not None)


def _nested(files, arch, needed, modules, cmdline, ev):
    module = needed if needed in modules else None
    if arch == "aarch64":
        enabled = ("kvm-arm.mode=nested" in cmdline) if "kvm" in modules else None
        return {"enabled": enabled, "module": "kvm" if "kvm" in modules else None}
    if module is None:
        return {"enabled": None, "module": None}
    source = "/sys/module/%s/parameters/nested" % module
    text, why = files.read(source)
    enabled = file_values.parse_bool(text)
    if text is None:
        ev.add(source, "%s has no nested parameter" % module if why == "missing" else "not readable (%s)" % why)
    elif enabled is None:
        ev.add(source, "not a yes/no value: %r" % text.strip()[:40])
    return {"enabled": enabled, "module": module}


def _nested_set_by(options, needed):
    """Where the vendor module's next load takes ``nested=`` from: ``FILE: LINE`` strings in the order
    kmod hands them to the module, so the last one wins: the modprobe.d lines by file name, then the
    kernel command line (libkmod reads it after every file). A line that sets it twice is listed once;
    of more than 16, the last 16."""
    found = [o for o in options if o.module == needed and o.param == "nested"]
    files = sorted((o for o in found if o.file != "/proc/cmdline"), key=lambda o: o.file.rsplit("/", 1)[-1])
    cmdline = [o for o in found if o.file == "/proc/cmdline"]
    said = []
    for option in files + cmdline:
        entry = "%s: %s" % (option.file, option.text)
        if not said or said[-1] != entry:
            said.append(entry)
    return said[-16:]


def _iommu(files, cmdline):
    groups = files.listdir("/sys/kernel/iommu_groups")
    table = None
    for name in ("DMAR", "IVRS", "IORT"):
        if files.exists("/sys/firmware/acpi/tables/" + name):
            table = name
            break
    return {"enabled": bool(groups), "groups": len(groups), "firmware_table": table,
            "kernel_parameters": cmdline_modprobe.iommu_parameters(cmdline)}


def _hugepages(files):
    pools = {}
    for name in files.listdir("/sys/kernel/mm/hugepages")[:16]:
        base = "/sys/kernel/mm/hugepages/" + name
        pools[name.replace("hugepages-", "")[:file_values.FIELD_MAX]] = {
            "total": file_values.parse_int(files.text(base + "/nr_hugepages")),
            "free": file_values.parse_int(files.text(base + "/free_hugepages")),
        }
    return {"pools": pools, "transparent": file_values.parse_thp_mode(files.text("/sys/kernel/mm/transparent_hugepage/enabled")),
            "ksm": file_values.parse_bool(files.text("/sys/kernel/mm/ksm/run"))}


# Where the role kvm_host leaves what its last run wrote for the next boot; on /run, so a boot
# takes it away (roles/kvm_host/vars/main.yml, __kvm_host_reboot_pending_file).
REBOOT_PENDING_FILE = "/run/hypervisor-kvm/reboot-pending.json"


def _reboot_pending(files, ev):
    """What waits for the next boot, as the role kvm_host left it; None when the file is not its."""
    pending = file_values.parse_reboot_pending(_text(files, REBOOT_PENDING_FILE, ev, 65536))
    if pending is None:
        ev.add(REBOOT_PENDING_FILE, "not a JSON list of sentences: ignored")
    elif pending:
        ev.add(REBOOT_PENDING_FILE, "%d change(s) of kvm_host wait for the next boot" % len(pending))
    return pending


def _confidential(files):
    def param(module, name):
        return file_values.parse_bool(files.text("/sys/module/%s/parameters/%s" % (module, name)))
    return {"sev": param("kvm_amd", "sev"), "sev_es": param("kvm_amd", "sev_es"),
            "sev_snp": param("kvm_amd", "sev_snp"), "tdx": param("kvm_intel", "tdx"),
            "sev_device": files.exists("/dev/sev")}


def _short(files, path):
    """A short sysfs value (an id, a class), or None."""
    return file_values.first_line(files.text(path, limit=4096))


def _gpus(files, ev):
    """Display controllers (PCI class 0x03) and how each can be given to a VM."""
    gpus = []
    for address in files.listdir("/sys/bus/pci/devices")[:1024]:
        base = "/sys/bus/pci/devices/" + address
        pci_class = file_values.first_line(_text(files, base + "/class", ev, 4096)) or ""
        if not pci_class.startswith("0x03"):
            continue
        vendor_id = _short(files, base + "/vendor")
        driver = files.link_name(base + "/driver")
        group = files.link_name(base + "/iommu_group")
        total_vfs = file_values.parse_int(files.text(base + "/sriov_totalvfs", limit=64))
        mdev = []
        for type_name in files.listdir(base + "/mdev_supported_types")[:64]:
            tbase = "%s/mdev_supported_types/%s" % (base, type_name)
            mdev.append({"type": type_name[:file_values.FIELD_MAX], "name": _short(files, tbase + "/name"),
                         "available_instances": file_values.parse_int(files.text(tbase + "/available_instances", limit=64))})
        gpus.append({
            "address": address[:file_values.FIELD_MAX], "vendor": _PCI_VENDORS.get(vendor_id or "", vendor_id),
            "vendor_id": vendor_id, "device_id": _short(files, base + "/device"),
            "class": pci_class, "driver": driver[:file_values.FIELD_MAX] if driver else None,
            "iommu_group": file_values.parse_int(group), "passthrough_ready": driver == "vfio-pci" and group is not None,
            "sriov": {"total_vfs": total_vfs, "num_vfs": file_values.parse_int(files.text(base + "/sriov_numvfs", limit=64))}
            if total_vfs else None,
            "mdev_types": mdev,
        })
        if len(gpus) >= 64:
            break
    return gpus


def _user():
    try:
        import pwd
        return pwd.getpwuid(os.geteuid()).pw_name
    except (ImportError, KeyError):
        return str(os.geteuid())


def _explain(ev, obs, result):
    """The evidence's last words: software KVM, a missing module, and what settled the verdict."""
    modules = set(obs.modules)
    needed = verdict.vendor_module(obs.arch, obs.cpu.vendor)
    software = sorted(modules.intersection(verdict.SOFTWARE_KVM_MODULES))
    if software and not obs.cpu.extension_shown:
        ev.add("/sys/module", "KVM is provided by %s, a software KVM that needs no %s flag" % (
            ", ".join(software), obs.cpu.extension or "hardware"))
    if needed and needed not in modules and not software:
        ev.add("/sys/module", "%s, the module this CPU needs, is not loaded" % needed)
    ev.add("verdict", "KVM acceleration %s (%s), settled by %s" % (
        "can be used" if result.usable else "can NOT be used", result.reason, result.settled_by))
