# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding: from what was observed on a host to kvm-ok's answer, its reason and what to do.

Pure functions of an ``Observations``; ``decide`` is the whole verdict. The reasons are
``_reasons.REASONS``; the kernel's messages and the versions that print them are the table
in ``_kernel_messages``, read through its look-ups and ``_kernel_log``.
"""

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as kernel_messages
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cmdline_modprobe as cmdline_modprobe
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuid_msr as cpuid_msr
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._cpuinfo import X86_ARCHES
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import Verdict

# From these kernels the flag is removed from /proc/cpuinfo when the firmware left the
# extension off (``_kernel_messages.BEHAVIOUR``); before them, the flag shows whenever the
# CPU has the extension.
_FLAG_CLEARED_SINCE = {
    "vmx": kernel_messages.behaviour_since("vmx_flag_cleared_when_firmware_off"),
    "svm": kernel_messages.behaviour_since("svm_flag_cleared_when_firmware_off"),
}

# The module that drives the extension, by vendor on x86 and by architecture elsewhere.
_VENDOR_MODULE = {"intel": "kvm_intel", "zhaoxin": "kvm_intel", "amd": "kvm_amd", "hygon": "kvm_amd"}
_ARCH_MODULE = {"aarch64": "kvm", "s390x": "kvm", "ppc64le": "kvm_hv", "ppc64": "kvm_hv", "riscv64": "kvm"}
# Modules that provide /dev/kvm without the hardware extension (software KVM such as PVM).
SOFTWARE_KVM_MODULES = ("kvm_pvm",)

_EXTENSION_NAME = {
    "vmx": "Intel VT-x (vmx)",
    "svm": "AMD-V (svm)",
    "el2": "the ARM virtualization extensions (EL2)",
    "sie": "the IBM Z SIE instruction",
    "hv": "POWER hypervisor mode (PowerNV)",
    "h": "the RISC-V H extension",
}

_FIRMWARE_SETTING = {
    "intel": '"Intel Virtualization Technology" (Intel VT-x, sometimes "VMX")',
    "zhaoxin": '"Virtualization Technology" (VT-x, sometimes "VMX")',
    "amd": '"SVM Mode" (AMD-V, sometimes "AMD Virtualization")',
    "hygon": '"SVM Mode" (AMD-V)',
}

# What to change on the parent hypervisor so that this VM sees the extension.
_NESTED_HOW = {
    "kvm": ("on the KVM host that runs this VM, turn on nesting for its vendor module "
            "(/etc/modprobe.d/kvm.conf: 'options kvm_intel nested=1' or 'options kvm_amd nested=1', "
            "then reload the module) and give this VM the host CPU model (libvirt "
            "<cpu mode='host-passthrough'/>, or qemu -cpu host), then power this VM off and on again"),
    "qemu": ("give this VM a CPU model with the extension: with KVM on the parent use "
             "-cpu host (libvirt <cpu mode='host-passthrough'/>) and nested=1 on its vendor module; "
             "under emulation (TCG) use -cpu max; then power this VM off and on again"),
    "vmware": ("power the VM off, enable 'Expose hardware assisted virtualization to the guest OS' "
               "in its CPU settings (vhv.enable = \"TRUE\"), then power it on"),
    "microsoft": ("on Hyper-V, with the VM off: Set-VMProcessor -VMName <name> "
                  "-ExposeVirtualizationExtensions $true; on Azure, choose a VM size that supports "
                  "nested virtualization"),
    "oracle": "power the VM off and run: VBoxManage modifyvm <name> --nested-hw-virt on",
    "xen": "set nestedhvm=1 in this guest's xl configuration and restart the guest",
    "amazon": "use a bare-metal (*.metal) instance, or an instance type that offers nested virtualization",
    "google": ("create the VM with nested virtualization enabled "
               "(gcloud compute instances create ... --enable-nested-virtualization) on an Intel machine type"),
    "parallels": "enable nested virtualization in the VM's CPU settings while it is shut down",
    "zvm": ("z/VM does not pass the SIE instruction to its guests for KVM: run KVM in an LPAR, or "
            "in a KVM guest whose host has 'options kvm nested=1'"),
    "bhyve": "bhyve does not offer nested virtualization; run this host on bare metal or another hypervisor",
}
_NESTED_DEFAULT = ("enable nested virtualization on the hypervisor that runs this VM, pass the "
                   "host CPU (with its virtualization extension) through to this VM, then power it "
                   "off and on again")


def vendor_module(arch, vendor):
    """The kernel module KVM needs for this architecture and CPU vendor, or None."""
    if arch in X86_ARCHES:
        return _VENDOR_MODULE.get(vendor or "")
    return _ARCH_MODULE.get(arch or "")


def extension_name(extension):
    """The extension as people know it: 'Intel VT-x (vmx)', 'AMD-V (svm)', ..."""
    return _EXTENSION_NAME.get(extension or "", "hardware virtualization")


def firmware_steps(vendor, arch, txt=False):
    """The BIOS/UEFI steps that turn the extension on, naming the vendor's setting.

    ``txt``: the evidence cannot tell VT-x off altogether from VT-x on only inside Intel TXT
    (SMX), so the steps name the TXT remedies too.
    """
    if arch == "aarch64":
        return ("The firmware or boot loader starts Linux at EL1, where KVM cannot run. Update the "
                "board firmware (or switch the boot loader) so that it enters the kernel at EL2, then "
                "reboot; on a server, look for a 'virtualization' or 'hypervisor' option in its "
                "UEFI setup.")
    setting = _FIRMWARE_SETTING.get(vendor or "", '"Virtualization Technology" (VT-x or AMD-V / SVM)')
    return ("The CPU supports it, but the firmware has it turned off. Restart the machine and enter "
            "the BIOS/UEFI setup (press F2, F10, Del or Esc while the maker's logo shows; the key "
            "depends on the maker), enable %s, usually under Advanced, CPU Configuration or "
            "Security, save and exit, then power the machine off completely and on again: a warm "
            "reboot may not apply the change.%s" % (
                setting, _TXT_TOO if txt and (vendor or "") == "intel" else ""))


# The kernel's 'VMX (outside TXT) disabled by BIOS' (and kvm_intel's lines from 5.6) are printed
# both when VT-x is off and when the firmware enables it only inside SMX, for Intel TXT.
_TXT_TOO = (" If that setting already shows enabled, the firmware enables VT-x only inside SMX, for Intel "
            "TXT: then either disable TXT (\"Intel TXT\" / \"Trusted Execution Technology\"), or enable "
            "VT-x outside SMX where the setup offers it (\"VT-x for non-TXT\", \"VMX outside SMX\"), and "
            "power the machine off and on again.")


def decide(obs):
    """kvm-ok's answer for a host: a ``Verdict`` (usable, reason, remediation, settled_by).

    ``obs`` is an ``Observations``. What the kernel does when asked settles it first (a VM
    created, or /dev/kvm refused); a snapshot's /dev/kvm is weighed against this boot's log
    (another hypervisor's hold, a lost VMXON setting); then what the kernel is (WSL 1 has none,
    a confidential guest's cannot run KVM); then what keeps KVM away, most specific first: a
    container, WSL 2 (set on Windows), another hypervisor, the kernel's command line,
    modprobe.d, an option value the kernel refused, the firmware (the kernel's log lines, read
    with the host's kernel version and CPU vendor, or the raw MSR), the parent hypervisor, and
    the CPU itself.
    """
    device = obs.device
    others = obs.others or ()
    modules = set(obs.modules or ())
    needed = vendor_module(obs.arch, obs.cpu.vendor)
    ext = extension_name(obs.cpu.extension)

    if device.vm_created:
        return Verdict(True, "ok", "", "/dev/kvm: KVM_CREATE_VM succeeded")
    # WSL 1 has no Linux kernel: whatever stands at /dev/kvm is not KVM's.
    if obs.guest.wsl == 1:
        return Verdict(False, "nested_not_exposed", _wsl1(),
                       "kernel release %s: WSL 1, no Linux kernel" % (obs.kernel or "unknown"))
    if device.exists and obs.probed:
        if device.accessible is False:
            return Verdict(False, "device_inaccessible", _inaccessible(obs), "/dev/kvm: open refused")
        if obs.guest.wsl == 2:
            return Verdict(False, "unknown", _wsl2_probe_failed(obs.probe_error, ext),
                           "/dev/kvm in WSL 2: %s" % (obs.probe_error or "no answer"))
        if others:
            return Verdict(False, "other_hypervisor", _other_hypervisor(others, ext),
                           "KVM_CREATE_VM failed while %s is on this machine" % _names(others))
        held = _vmxon_firmware(obs) or _vmxon_lost(obs)
        if held:
            return held
        enable = _line(obs, "enable_failed")
        return Verdict(False, "unknown", _probe_failed(obs.probe_error, enable, ext),
                       "/dev/kvm: %s" % (obs.probe_error or "no answer"))
    if device.exists:
        # capture-host's records say whether its user could have opened it; older snapshots
        # say only that it existed.
        if obs.access is not None and obs.access.allowed is False:
            return Verdict(False, "device_inaccessible", _inaccessible(obs), "a snapshot: %s" % obs.access.why)
        if obs.access is not None and obs.access.allowed is None:
            return Verdict(False, "unknown", _access_unknown(obs), "a snapshot: %s" % obs.access.why)
        return _snapshot_device(obs, others, ext)

    # What the kernel is settles it before anything on it: a confidential guest's, in which
    # KVM cannot run; a container shares that kernel.
    if obs.guest.confidential:
        return Verdict(False, "nested_not_exposed", _confidential_guest(obs.guest.confidential, obs.guest.hypervisor),
                       "a confidential guest (%s)" % obs.guest.confidential)
    if obs.guest.container:
        return Verdict(False, "device_missing", _container(obs.guest.container, modules, obs.guest.wsl),
                       "a %s container without /dev/kvm%s" % (
                           obs.guest.container, " on WSL 2" if obs.guest.wsl == 2 else ""))
    if "xen-dom0" in others:
        return Verdict(False, "other_hypervisor", _other_hypervisor(others, ext),
                       "/proc/xen/capabilities: this kernel is the Xen dom0")

    present = needed in modules or (obs.arch not in X86_ARCHES and "kvm" in modules and needed == "kvm")
    if obs.guest.wsl == 2:
        # Microsoft's kernel and its command line are set on Windows (.wslconfig), not here.
        return _decide_wsl2(obs, modules, needed, ext, present)
    cmdline = [b for b in obs.blocks if b.kind == "cmdline" and _blocks_now(b, modules, needed)]
    if cmdline:
        return Verdict(False, "kernel_disabled", _kernel_blocks(cmdline),
                       "/proc/cmdline: %s" % ", ".join(sorted(set(b.text for b in cmdline))))
    modprobe = [b for b in obs.blocks if b.kind == "modprobe" and b.module in (needed, "kvm")]
    if modprobe and not present:
        return Verdict(False, "module_blocked", _modprobe_blocks(modprobe, needed),
                       "%s: '%s'" % (modprobe[0].file, modprobe[0].text))
    refused = _option_refused(obs, modules, needed)
    if refused:
        return refused

    if obs.arch in X86_ARCHES:
        return _decide_x86(obs, modules, needed, ext, present)
    if obs.arch == "aarch64":
        return _decide_arm(obs, modules)
    if obs.arch in ("s390x", "ppc64le", "ppc64", "riscv64"):
        return _decide_by_flag(obs, modules, needed, ext)
    return Verdict(False, "unknown", (
        "This architecture (%s) is not one this collection knows how to judge; check that the "
        "kernel has KVM for it (ls /sys/module | grep kvm) and that /dev/kvm exists."
        % (obs.arch or "not readable")), "architecture %s" % (obs.arch or "unknown"))


def _blocks_now(block, modules, needed):
    """Whether a command-line parameter keeps KVM off on this host now."""
    if block.effect in ("hide_feature", "kvm_off", "initcall"):
        return True
    # A blacklisted module that is loaded anyway (or built in) is not kept off.
    return block.module in (needed, "kvm") and block.module not in modules


def _line(obs, *findings):
    """The first kernel-log line with one of these findings that applies to this host's CPU."""
    for line in obs.log.lines:
        if line.finding in findings and _applies(line, obs):
            return line
    return None


# The table's architectures, as ``uname -m`` names them.
_TABLE_ARCH = {"x86": X86_ARCHES, "arm64": ("aarch64", "armv7l", "armv8l"), "riscv": ("riscv64",),
               "s390": ("s390x",), "powerpc": ("ppc64le", "ppc64")}
_VENDOR_FAMILY = {"intel": "intel", "zhaoxin": "intel", "amd": "amd", "hygon": "amd"}


def _applies(line, obs):
    """Whether a matched message speaks of this host: a message of another architecture does
    not, and one of the other vendor's module (kvm_intel on an AMD host) only says the wrong
    module was tried."""
    row = kernel_messages.message_row(line.id) or {}
    arches = _TABLE_ARCH.get(row.get("arch"))
    if arches and obs.arch and obs.arch not in arches:
        return False
    vendor = row.get("vendor")
    if vendor and obs.cpu.vendor and obs.arch in X86_ARCHES:
        if _VENDOR_FAMILY.get(vendor, vendor) != _VENDOR_FAMILY.get(obs.cpu.vendor, obs.cpu.vendor):
            return False
    return True


def _tells_cpu_from_firmware(line, obs):
    """Whether a 'CPU lacks it' line settles it on this kernel.

    Before the kernel hid the flag for firmware reasons, the vendor modules' checks saw the
    CPU itself. From then on such a line settles it only where the same kernel prints a
    message of its own when the firmware is the cause (kvm_intel from 6.3: 'VMX not enabled
    (by BIOS)'), so that the line cannot be the firmware's.
    """
    row = kernel_messages.message_row(line.id) or {}
    since = _FLAG_CLEARED_SINCE.get(obs.cpu.extension or "")
    version = obs.kernel_version
    if version is None or since is None or version < since:
        return version is not None
    if not row.get("vendor"):
        return False
    for other in kernel_messages.MESSAGES:
        if (other["finding"] == "firmware_disabled" and other["vendor"] == row["vendor"]
                and other["id"] != row["id"] and other["file"] == row["file"]
                and kernel_messages.printed_by(other["id"], version)):
            return True
    return False


def _decide_x86(obs, modules, needed, ext, present):
    cpu, guest, raw = obs.cpu, obs.guest, obs.raw
    software = sorted(modules.intersection(SOFTWARE_KVM_MODULES))
    if software:
        return Verdict(False, "device_missing", _device_missing(modules),
                       "%s provides KVM without the hardware flag" % ", ".join(software))
    txt = _line(obs, "firmware_disabled_txt")
    in_txt = _line(obs, "firmware_disabled_in_txt")
    firmware = _line(obs, "firmware_disabled")
    msr = raw.firmware or _vmxon_msr(obs)[0]
    if txt or in_txt or firmware or msr in ("disabled", "txt_only"):
        said = ("kernel log: '%s'" % (txt or in_txt or firmware).line if (txt or in_txt or firmware)
                else _msr_said(obs, msr))
        if guest.virtualized:
            # A VM's virtual firmware is set by its parent: the change is there.
            return Verdict(False, "nested_not_exposed", _nested(guest.hypervisor, ext), said + ", in a VM")
        if txt or msr == "txt_only":
            if not txt and firmware:
                said += "; MSR: firmware enables VT-x only inside TXT"
            return Verdict(False, "firmware_disabled", txt_steps(), said)
        if in_txt:
            return Verdict(False, "firmware_disabled", tboot_steps(), said)
        # Without /proc/cpuinfo, a VMX line of the kernel still says whose CPU it is.
        vendor = cpu.vendor or (kernel_messages.message_row(firmware.id) or {}).get("vendor") if firmware else cpu.vendor
        return Verdict(False, "firmware_disabled", firmware_steps(vendor, "x86_64", _txt_possible(obs, msr, vendor)),
                       said)
    enable = _line(obs, "enable_failed")
    lost = _vmxon_lost(obs)
    if lost and not present:
        return lost
    if obs.others and (enable or not present):
        return Verdict(False, "other_hypervisor", _other_hypervisor(obs.others, ext),
                       "%s on this machine%s" % (_names(obs.others), ", kernel log: '%s'" % enable.line if enable else ""))
    if cpu.extension_shown:
        if needed and not present:
            if enable:
                return Verdict(False, "unknown", _probe_failed(None, enable, ext), "kernel log: '%s'" % enable.line)
            return Verdict(False, "module_not_loaded", _load_module(needed, ext),
                           "/proc/cpuinfo shows %s; %s not loaded" % (cpu.extension, needed))
        return Verdict(False, "device_missing", _device_missing(modules), "modules loaded, no /dev/kvm")
    # The kernel does not show the extension.
    if guest.virtualized:
        return Verdict(False, "nested_not_exposed", _nested(guest.hypervisor, ext),
                       "a VM under %s without %s" % (guest.hypervisor, cpu.extension or "the extension"))
    if raw.extension is True:
        return Verdict(False, "firmware_disabled", firmware_steps(cpu.vendor, "x86_64", _txt_possible(obs, msr)),
                       "raw CPUID has %s while the kernel hides it" % cpu.extension)
    if raw.extension is False:
        return Verdict(False, "cpu_unsupported", _cpu_unsupported(cpu, ext), "raw CPUID lacks %s" % cpu.extension)
    since = _FLAG_CLEARED_SINCE.get(cpu.extension or "")
    version = obs.kernel_version
    if since and version and version < since:
        return Verdict(False, "cpu_unsupported", _cpu_unsupported(cpu, ext),
                       "kernel %d.%d shows %s whenever the CPU has it (hidden only from %d.%d)"
                       % (version + (cpu.extension,) + since))
    lacks = _line(obs, "cpu_unsupported")
    if lacks and _tells_cpu_from_firmware(lacks, obs):
        return Verdict(False, "cpu_unsupported", _cpu_unsupported(cpu, ext), "kernel log: '%s'" % lacks.line)
    if obs.log.complete and since:
        # The kernels that hide the flag say so once at boot (feat_ctl.c for vmx, amd.c and
        # hygon.c for svm); this boot's log is whole and holds no such line.
        return Verdict(False, "cpu_unsupported", _cpu_unsupported(cpu, ext),
                       "this boot's log is whole and holds no 'disabled by BIOS' line for %s" % cpu.extension)
    return Verdict(False, "unknown", _undecided(cpu, ext, obs), "neither the kernel log nor raw CPUID settles it")


def _decide_arm(obs, modules):
    ext = extension_name("el2")
    el2 = _line(obs, "el2")
    el1 = _line(obs, "el1") or _line(obs, "hyp_unavailable") or _line(obs, "el_mismatch")
    off = _line(obs, "kvm_disabled_cmdline")
    if off:
        return Verdict(False, "kernel_disabled", (
            "KVM is turned off on the kernel command line (kvm-arm.mode=none). Remove that parameter "
            "from the boot loader's configuration (GRUB_CMDLINE_LINUX in /etc/default/grub, then "
            "update-grub or grub2-mkconfig -o /boot/grub2/grub.cfg) and reboot."), "kernel log: '%s'" % off.line)
    failed = _line(obs, "kvm_init_failed")
    if el2 and not el1 and failed:
        return Verdict(False, "unknown", (
            "Linux started at EL2, but KVM could not set up its hypervisor there; the kernel said: "
            "'%s'. Two causes remain: the firmware (PSCI, reserved memory) or the kernel's KVM mode "
            "(kvm-arm.mode=protected needs support the board may lack). Booting once with "
            "kvm-arm.mode=nvhe on the command line tells them apart: if KVM then starts, the mode "
            "was the cause; if not, update the firmware." % failed.line), "kernel log: '%s'" % failed.line)
    if el2 and not el1:
        if "kvm" not in modules:
            return Verdict(False, "module_not_loaded", _load_module("kvm", ext), "kernel log: '%s'" % el2.line)
        return Verdict(False, "device_missing", _device_missing(modules), "kernel log: '%s'" % el2.line)
    if obs.guest.virtualized:
        return Verdict(False, "nested_not_exposed", _nested(obs.guest.hypervisor, ext),
                       "a VM under %s started at EL1" % obs.guest.hypervisor)
    if el1:
        return Verdict(False, "firmware_disabled", firmware_steps(None, "aarch64"), "kernel log: '%s'" % el1.line)
    return Verdict(False, "unknown", (
        "Two causes remain: the firmware or boot loader started Linux at EL1 (where KVM cannot "
        "run), or this is a virtual machine without nested virtualization. The kernel log tells "
        "them apart: run 'sudo dmesg | grep -E \"started at EL|HYP mode\"' (or this check with "
        "become: true)."), "the kernel log could not be read")


def _decide_by_flag(obs, modules, needed, ext):
    cpu, guest, arch = obs.cpu, obs.guest, obs.arch
    shown = cpu.extension_shown
    platform = _line(obs, "platform_unsupported")
    if platform:
        # The CPU has HV mode: this kernel does not use tlbie (disable_tlbie on its command line,
        # or built without CONFIG_PPC_RADIX_BROADCAST_TLBIE), and KVM-HV needs it.
        return Verdict(False, "kernel_disabled", (
            "KVM-HV refuses this host although the CPU has %s: the kernel said '%s'. This kernel does "
            "not use the tlbie instruction: it was booted with 'disable_tlbie' (remove it from the boot "
            "loader's configuration and reboot) or built without CONFIG_PPC_RADIX_BROADCAST_TLBIE (boot "
            "a kernel built with it). KVM-PR, which runs guests without hypervisor mode (slower), may "
            "still work: 'modprobe kvm_pr'." % (ext, platform.line)),
            "kernel log: '%s'" % platform.line)
    sbi = _line(obs, "firmware_unsupported")
    if sbi:
        return Verdict(False, "firmware_disabled", (
            "The CPU has the RISC-V H extension but its SBI firmware is too old for KVM; the kernel "
            "said '%s'. Update the board's OpenSBI firmware (SBI v0.2 or later, with the RFENCE "
            "extension) and reboot." % sbi.line), "kernel log: '%s'" % sbi.line)
    if shown is None and _line(obs, "hyp_unavailable"):
        # The kernel's KVM said the extension is not there (cpuinfo did not tell).
        shown = False
    if shown:
        if needed and needed not in modules:
            return Verdict(False, "module_not_loaded", _load_module(needed, ext),
                           "/proc/cpuinfo shows %s; %s not loaded" % (cpu.extension, needed))
        return Verdict(False, "device_missing", _device_missing(modules), "modules loaded, no /dev/kvm")
    if guest.virtualized or (arch.startswith("ppc64") and shown is False):
        return Verdict(False, "nested_not_exposed", _nested(guest.hypervisor, ext, arch),
                       "a guest of %s" % (guest.hypervisor or "a hypervisor"))
    if shown is False:
        return Verdict(False, "cpu_unsupported", _cpu_unsupported(cpu, ext), "/proc/cpuinfo lacks %s" % cpu.extension)
    return Verdict(False, "unknown", (
        "/proc/cpuinfo could not be read to tell whether the CPU offers %s. Run "
        "'grep -m1 -E \"features|isa|platform\" /proc/cpuinfo' on the host." % ext), "/proc/cpuinfo not readable")


def _decide_wsl2(obs, modules, needed, ext, present):
    """WSL 2: a Hyper-V VM whose kernel is Microsoft's; what it lacks is given on Windows."""
    if obs.cpu.extension_shown:
        if needed and not present:
            return Verdict(False, "module_not_loaded", _wsl2_without_kvm(ext, needed, obs.kernel),
                           "WSL 2: /proc/cpuinfo shows %s; %s neither built in nor loaded" % (obs.cpu.extension, needed))
        return Verdict(False, "device_missing", _device_missing(modules), "WSL 2: modules present, no /dev/kvm")
    return Verdict(False, "nested_not_exposed", _wsl2_nested(ext),
                   "WSL 2 (kernel %s) without %s" % (obs.kernel or "unknown", obs.cpu.extension or "the extension"))


# Where WSL 2 is given nested virtualization, said once for every sentence that needs it.
_WSL2_NESTED_HOW = ("Windows 11 (Windows 10 does not offer it to WSL), with 'nestedVirtualization=true' under "
                    "[wsl2] in %UserProfile%\\.wslconfig; then run 'wsl --shutdown' in Windows and start the "
                    "distribution again")


def _wsl2_nested(ext):
    return ("This host is WSL 2, a Hyper-V virtual machine that Windows runs, and Windows does not give it "
            "nested virtualization: its virtual CPU has no %s, so there is no /dev/kvm. The change is on "
            "Windows, not in a BIOS and not in this Linux: nested virtualization for WSL 2 needs %s ('wsl "
            "--update' first for a current WSL). Then /dev/kvm appears." % (ext, _WSL2_NESTED_HOW))


def _wsl2_without_kvm(ext, module, kernel):
    return ("This host is WSL 2 and its virtual CPU offers %s (Windows gives it nested virtualization), but "
            "its kernel (%s) has no KVM: %s is neither built in nor loaded. WSL 2 boots Microsoft's kernel, "
            "not this distribution's, so no package or module command in this distribution changes it: run "
            "'wsl --update' in Windows for a kernel with KVM built in, then 'wsl --shutdown' and start the "
            "distribution again; "
            "with a kernel of your own (kernel= under [wsl2] in %%UserProfile%%\\.wslconfig), build it with "
            "CONFIG_KVM and CONFIG_KVM_INTEL or CONFIG_KVM_AMD set to y." % (ext, kernel or "unknown", module))


def _wsl2_probe_failed(error, ext):
    return ("KVM would not start a virtual machine here (%s). This host is WSL 2: its KVM is built into "
            "Microsoft's kernel and runs on the nested %s that Windows gives it, so the cause is on the "
            "Windows side, not a module to reload here. Run 'wsl --update' in Windows, keep "
            "'nestedVirtualization=true' under [wsl2] in %%UserProfile%%\\.wslconfig, run 'wsl --shutdown' "
            "and start the distribution again; if it still fails, the kernel log (dmesg) in WSL says what "
            "KVM saw." % (error or "no answer", ext))


def _wsl1():
    return ("This is WSL 1 (Windows Subsystem for Linux, version 1): there is no Linux kernel here, Windows "
            "answers Linux's system calls itself, so KVM cannot run in it at all, whatever the CPU, BIOS or "
            "modules. Convert the distribution to WSL 2, which boots a Linux kernel in a Hyper-V virtual "
            "machine: in Windows run 'wsl --set-version <distro> 2' (names from 'wsl -l -v'), on %s. Or run "
            "KVM on a Linux host." % _WSL2_NESTED_HOW)


_CONFIDENTIAL_NAMES = {"sev": "AMD SEV", "sev-es": "AMD SEV-ES", "sev-snp": "AMD SEV-SNP", "tdx": "Intel TDX"}


def _confidential_guest(kind, hypervisor):
    under = " under %s" % hypervisor if hypervisor and hypervisor != "vm-other" else ""
    if kind == "tdx":
        why = ("the TDX module gives a trust domain no VMX, so KVM cannot run inside it and nested "
               "virtualization cannot be turned on for it")
    else:
        why = ("KVM refuses to run inside one by design ('KVM is unsupported when running as an SEV "
               "guest'), so nested virtualization cannot be turned on for it")
    return ("This host is an %s confidential virtual machine%s: its memory and CPU state are hidden from "
            "its hypervisor, and %s. The change is on the parent, not in a BIOS or a module: run this "
            "workload in a virtual machine that is not confidential and has nested virtualization, or on "
            "bare metal." % (_CONFIDENTIAL_NAMES.get(kind, "confidential-computing"), under, why))


def _names(others):
    return ", ".join(_OTHER_NAMES.get(o, o) for o in others)


_OTHER_NAMES = {"virtualbox": "VirtualBox", "vmware": "VMware Workstation/Player", "jailhouse": "the Jailhouse hypervisor",
                "xen-dom0": "the Xen hypervisor"}
_OTHER_HOW = {
    "virtualbox": ("power off every VirtualBox VM, then stop its driver: 'sudo systemctl stop vboxdrv' "
                   "(or 'sudo rmmod vboxnetadp vboxnetflt vboxdrv'), and keep it from starting at boot "
                   "('sudo systemctl disable vboxdrv') if this machine is to run KVM"),
    "vmware": ("power off every VMware VM, then stop its services: 'sudo systemctl stop vmware' "
               "(or 'sudo /etc/init.d/vmware stop', then 'sudo rmmod vmnet vmmon')"),
    "jailhouse": "stop the Jailhouse hypervisor ('sudo jailhouse disable'), then unload it ('sudo rmmod jailhouse')",
    "xen-dom0": ("this kernel runs as Xen's dom0, and KVM cannot run under Xen: boot the same kernel "
                 "without the Xen hypervisor (the boot menu's entry without 'with Xen hypervisor'; "
                 "make it the default with grub-set-default or GRUB_DEFAULT)"),
}


def _other_hypervisor(others, ext):
    return ("Another hypervisor on this machine holds %s, which only one hypervisor can use at a "
            "time; this is not a BIOS setting. To use KVM, %s. Then load the KVM module again "
            "('modprobe -r %s; modprobe %s' as root) or reboot." % (
                ext, "; and ".join(_OTHER_HOW.get(o, "stop %s" % o) for o in others),
                "kvm_intel" if "vmx" in ext else "kvm_amd", "kvm_intel" if "vmx" in ext else "kvm_amd"))


def txt_steps():
    """The steps when the firmware enables VT-x only inside Intel TXT (SMX) and the kernel runs outside it."""
    return ("VT-x is not simply off: the firmware enables Intel VT-x only inside SMX, that is for Intel "
            "TXT (Trusted Execution Technology), and this kernel was not started through TXT (tboot), "
            "so VT-x is off for it. Restart the machine, enter the BIOS/UEFI setup (F2, F10, Del or "
            "Esc) and do one of two things: disable TXT (\"Intel TXT\" / \"Trusted Execution "
            "Technology\"), keeping \"Intel Virtualization Technology\" (VT-x) enabled; or, where the "
            "setup offers it, enable VT-x outside SMX (named \"VT-x for non-TXT\", \"VMX outside SMX\" "
            "or similar). Save, then power the machine off completely and on again; if the change does "
            "not take, disable VT-x, VT-d and TXT, power off, then enable VT-x and VT-d again. Booting "
            "this kernel through tboot, inside TXT, also works.")


def tboot_steps():
    """The steps when the kernel started through tboot (inside TXT) and the firmware left VMX off there."""
    return ("This kernel was started through tboot, inside Intel TXT (SMX), and the firmware enables "
            "VT-x only outside SMX, so VT-x is off for it. Either boot the same kernel without tboot "
            "(the boot menu's entry without tboot), or in the BIOS/UEFI setup (F2, F10, Del or Esc) "
            "enable \"Intel Virtualization Technology\" for TXT as well (named \"VT-x with TXT\", "
            "\"VMX inside SMX\" or similar; on many machines enabling \"Intel TXT\" with VT-x and VT-d "
            "does it). Save, then power the machine off and on again.")


def _txt_possible(obs, msr, vendor=None):
    """Whether the evidence leaves open that VT-x is on only inside TXT (Intel, MSR not read as off).

    Before 5.6 kvm_intel printed its own TXT line next to 'disabled by bios', so without it
    the firmware turned VT-x off; from 5.6 neither the boot line nor kvm_intel's says which.
    """
    if (vendor or obs.cpu.vendor) != "intel" or msr == "disabled":
        return False
    since = kernel_messages.behaviour_since("kvm_vmx_uses_feature_flag")
    return not (obs.kernel_version and since and obs.kernel_version < since)


def _vmxon_msr(obs):
    """What a 'VMXON faulted' line's IA32_FEATURE_CONTROL value says: (firmware, line) or (None, None)."""
    line = _line(obs, "enable_failed")
    if obs.cpu.extension != "vmx" or not line or line.id != "x86_vmxon_faulted":
        return None, None
    value = file_values.parse_int(kernel_messages.message_fields(line).get("msr"))
    firmware = cpuid_msr.firmware_from_msr("vmx", value)
    return (firmware, line) if firmware in ("disabled", "txt_only") else (None, None)


def _msr_said(obs, msr):
    firmware, line = _vmxon_msr(obs)
    what = "enables VT-x only inside TXT" if msr == "txt_only" else "turned it off"
    if firmware and not obs.raw.firmware:
        return "kernel log: '%s' (the firmware %s)" % (line.line, what)
    return "MSR: firmware %s" % what


def _vmxon_firmware(obs):
    """The verdict when VMXON faulted because the firmware's MSR lost VMX (e.g. after a resume)."""
    firmware, line = _vmxon_msr(obs)
    if not firmware:
        return None
    said = "kernel log: '%s'" % line.line
    if obs.guest.virtualized:
        return Verdict(False, "nested_not_exposed", _nested(obs.guest.hypervisor, extension_name("vmx")),
                       said + ", in a VM")
    if firmware == "txt_only":
        return Verdict(False, "firmware_disabled", txt_steps(), said)
    return Verdict(False, "firmware_disabled", firmware_steps(obs.cpu.vendor, "x86_64"), said)


def _vmxon_lost(obs):
    """The verdict when VMXON faulted although the firmware's MSR value does not say VT-x is off.

    Another hypervisor holding VT-x never reaches VMXON (CR4.VMXE is checked first). With the
    MSR unlocked (bit 0 clear) the firmware's setting was lost after boot, typically on resume
    from suspend. A locked value that enables VT-x says nothing of the cause; in a VM, the fault
    is the parent's nested VMX.
    """
    line = next((line for line in obs.log.lines if line.id == "x86_vmxon_faulted"), None)
    if not line or obs.cpu.extension != "vmx" or _vmxon_msr(obs)[0]:
        return None
    msr = kernel_messages.message_fields(line).get("msr", "?")
    if obs.guest.virtualized:
        return Verdict(False, "nested_not_exposed", _nested(obs.guest.hypervisor, extension_name("vmx")),
                       "kernel log: '%s', in a VM" % line.line)
    value = file_values.parse_int(msr)
    if value is None or value & 1:
        return None
    return Verdict(False, "unknown", (
        "VMXON faulted (the kernel said: '%s'): IA32_FEATURE_CONTROL reads %s, which is not the "
        "locked, VT-x-enabled value the firmware set at boot, so it was lost after boot, most often "
        "on resume from suspend; another hypervisor is not the cause (it would have been found "
        "before VMXON). Power the machine off and on again (a cold boot restores the firmware's "
        "setting) and check that KVM starts a VM; if it breaks after every resume, update the "
        "kernel (5.7 and later set the MSR again on resume) and the firmware." % (line.line, msr)),
        "kernel log: '%s'" % line.line)


def _snapshot_device(obs, others, ext):
    """A snapshot's /dev/kvm existed; this boot's log may still say KVM could not enable VT-x/AMD-V.

    'enabling virtualization on CPUn failed' is printed when KVM tried to turn the extension on
    and found it held (VMXE/SVME already set). Before 6.12 KVM does that when a VM starts, so
    the line with another hypervisor's module loaded says that hypervisor holds it; the line
    alone may be stale (the other one stopped since) or a holder this check does not know:
    it cannot tell. From 6.12 KVM turns it on when its module loads and /dev/kvm exists only
    after a load that succeeded, so KVM holds the extension and an earlier line is stale.
    """
    held = _vmxon_firmware(obs) or _vmxon_lost(obs)
    if held:
        return held
    # Only KVM's own line says the extension was held; a VMXON fault is not another hypervisor's.
    enable = next((line for line in obs.log.lines if line.id == "kvm_enabling_virtualization_failed"), None)
    at_load = kernel_messages.behaviour_since("virtualization_enabled_at_module_load")
    version = obs.kernel_version
    if enable and version and at_load and version >= at_load and obs.virt_at_load is not False:
        return Verdict(True, "ok", "", "a snapshot: /dev/kvm existed when captured; kernel %d.%d turns %s on when "
                       "its module loads, so '%s' is from an earlier load that failed" % (version + (ext, enable.line)))
    if obs.guest.wsl == 2 and enable:
        # Under WSL 2 the extension is Hyper-V's nested one: the cause is on Windows.
        return Verdict(False, "unknown", _wsl2_probe_failed("kernel log: '%s'" % enable.line, ext),
                       "kernel log: '%s' in WSL 2" % enable.line)
    if obs.guest.wsl == 2:
        return Verdict(True, "ok", "", "a snapshot: /dev/kvm existed when captured, in WSL 2")
    if enable and others:
        return Verdict(False, "other_hypervisor", _other_hypervisor(others, ext),
                       "kernel log: '%s' while %s is loaded" % (enable.line, _names(others)))
    if enable:
        return Verdict(False, "unknown", _enable_failed_alone(enable, ext),
                       "kernel log: '%s'; /dev/kvm existed; no other hypervisor's module loaded" % enable.line)
    if others and not obs.log.read and not (version and at_load and version >= at_load):
        # Before 6.12 the two take turns; without the log nothing says whose turn it was.
        return Verdict(False, "unknown", _shared_without_log(others, ext),
                       "/dev/kvm existed while %s is loaded; the kernel log was not captured" % _names(others))
    return Verdict(True, "ok", "", "a snapshot: /dev/kvm existed when captured%s" % (
        " and %s could open it" % obs.user if obs.access is not None and obs.access.allowed else ""))


def _shared_without_log(others, ext):
    return ("/dev/kvm exists, and %s is loaded too. Up to kernel 6.11 KVM and it take turns on %s: "
            "while one of them runs a VM, the other cannot start one, and the kernel then logs 'kvm: "
            "enabling virtualization on CPUn failed'; that log was not captured, so this snapshot "
            "cannot say whose turn it is. If KVM cannot start a VM, %s." % (
                _names(others), ext, "; and ".join(_OTHER_HOW.get(o, "stop %s" % o) for o in others)))


def _enable_failed_alone(enable, ext):
    return ("KVM failed to turn on %s during this boot (the kernel said: '%s'), although /dev/kvm "
            "exists: most often another hypervisor held it then. None of the hypervisors this check knows "
            "(VirtualBox's vboxdrv, VMware's vmmon) is loaded now: if one ran and has been stopped "
            "since, KVM works now; if the holder is still there it is one this check does not know. "
            "Starting a VM tells: run hypervisor.kvm.kvm_check on the live host (it creates an empty "
            "VM), or look for the holder with 'lsmod' and 'sudo dmesg | grep -i -E \"vmx|svm|hypervisor\"', "
            "and stop it." % (ext, enable.line))


def _undecided(cpu, ext, obs):
    since = _FLAG_CLEARED_SINCE.get(cpu.extension or "")
    kernel = "%d.%d" % obs.kernel_version if obs.kernel_version else "this kernel"
    if cpu.extension == "vmx":
        command = "sudo dmesg | grep -i 'disabled by BIOS'"
        meaning = "a 'VMX ... disabled by BIOS' line means the firmware, none (with the boot messages there) means the CPU"
    else:
        command = "sudo modprobe cpuid && sudo ansible localhost -m hypervisor.kvm.kvm_check"
        meaning = "with the cpuid driver loaded the check reads raw CPUID, which tells them apart"
    return ("The kernel does not show %s, and the evidence here cannot tell which of two causes it "
            "is: the CPU (%s) lacks it, or the firmware turned it off (%s hides the flag in both cases%s). "
            "One command tells them apart: '%s': %s. If it is the firmware: %s" % (
                ext, cpu.model or "model unknown", kernel,
                ", as every kernel from %d.%d does" % since if since else "", command, meaning,
                firmware_steps(cpu.vendor, "x86_64", _txt_possible(obs, None))))


def _nested(hypervisor, ext, arch=None):
    if arch and arch.startswith("ppc64"):
        how = ("KVM-HV needs bare metal (PowerNV/OPAL firmware); in a PowerVM LPAR it cannot run. In "
               "a KVM guest, enable nested KVM-HV on the host (kvm_hv nested=1, and the guest's "
               "cap-nested-hv=on), then power this VM off and on again")
    else:
        how = _NESTED_HOW.get(hypervisor or "", _NESTED_DEFAULT)
    return ("This host is a virtual machine%s whose virtual CPU does not offer %s, so nested "
            "virtualization is not exposed to it. The change is on the parent hypervisor, not in "
            "this machine's BIOS: %s." % (
                " under %s" % hypervisor if hypervisor else "", ext, how))


def _load_module(module, ext):
    return ("The CPU offers %s but the %s kernel module is not loaded. Load it now with "
            "'modprobe %s' (as root) and at every boot with "
            "'echo %s > /etc/modules-load.d/kvm.conf'; the role hypervisor.kvm.kvm_host does both. "
            "If modprobe fails, its message and the kernel log (dmesg) say why." % (ext, module, module, module))


def _device_missing(modules):
    return ("The KVM modules are loaded (%s) but /dev/kvm does not exist. Make udev create it "
            "('udevadm trigger --subsystem-match=misc' or a reboot), or create it by hand: "
            "'mknod /dev/kvm c 10 232 && chgrp kvm /dev/kvm && chmod 660 /dev/kvm'."
            % (", ".join(sorted(modules)) or "none"))


def _container(container, modules, wsl=None):
    host = ("The host's KVM modules are visible here (%s), so pass its device in: " % ", ".join(sorted(modules))
            if modules else "Check that the host itself can run KVM (ansible HOST -m hypervisor.kvm.kvm_check), then pass its device in: ")
    return ("This is a %s container and /dev/kvm is not passed into it. %s"
            "docker or podman run --device /dev/kvm; LXC/Incus: "
            "'incus config device add NAME kvm unix-char source=/dev/kvm' "
            "(or lxc.cgroup2.devices.allow = c 10:232 rwm with a bind mount of /dev/kvm); "
            "Kubernetes: a KVM device plugin; systemd-nspawn: --bind=/dev/kvm "
            "with DeviceAllow=/dev/kvm rw.%s" % (container, host, _WSL2_BENEATH if wsl == 2 else ""))


_WSL2_BENEATH = (" This container runs on WSL 2, a Hyper-V virtual machine of Windows, which has /dev/kvm "
                 "only when Windows gives it nested virtualization: " + _WSL2_NESTED_HOW + "; check with "
                 "'ls -l /dev/kvm' in the WSL distribution that runs the engine (Docker Desktop runs it in its "
                 "own, docker-desktop, and takes the device as a volume: -v /dev/kvm:/dev/kvm).")


# How GitHub documents giving every user /dev/kvm on its hosted runners (a runner user is not
# in the kvm group and cannot log in again mid-job); it suits any host where everyone may use KVM.
_UDEV_RULE_ALL = ('echo \'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"\' | '
                  'sudo tee /etc/udev/rules.d/99-kvm4all.rules, then '
                  "'sudo udevadm control --reload-rules && sudo udevadm trigger --name-match=kvm'")


def _access_unknown(obs):
    who = obs.user or "the user it was captured for"
    return ("/dev/kvm existed when captured, but what was recorded cannot say whether %s could open it (%s). "
            "On the host, as that user, run 'test -r /dev/kvm -a -w /dev/kvm && echo yes' or "
            "'ansible localhost -m hypervisor.kvm.kvm_check', which opens it; 'getfacl /dev/kvm' and "
            "'id -nG' show what decides it." % (who, obs.access.why))


def _inaccessible(obs):
    """What to do when /dev/kvm exists and the verdict's user cannot open it: the fix that fits
    its owner, group and mode (``obs.access``, when known) and whether this is a container whose
    user namespace does not hold the device's group."""
    user = obs.user
    access = obs.access
    name = user or "USER"
    group = obs.device.group or "kvm"
    if access is not None and access.allowed:
        # Only live: the mode lets the user in, and the kernel still said no.
        return ("/dev/kvm exists and its owner, group and mode (%s) let %s open it, yet the open was "
                "refused: something besides its permissions refuses it. %sLook for an SELinux or "
                "AppArmor denial ('ausearch -m avc -ts recent' or 'journalctl -k | grep -i "
                "apparmor')." % ("%s:%s %s" % (obs.device.owner or obs.device.uid, obs.device.group or obs.device.gid,
                                               obs.device.mode), user or "this user",
                                 "This is a %s container: allow the device in its device cgroup (docker or podman "
                                 "run --device /dev/kvm; LXC: lxc.cgroup2.devices.allow = c 10:232 rwm). Otherwise, "
                                 % obs.guest.container if obs.guest.container else ""))
    if access is not None and access.group_unmapped and not obs.guest.container:
        return ("/dev/kvm's group (gid %s on the host) is not mapped into the user namespace %s runs in "
                "(unshare, bwrap, a sandbox), so the group the device allows is not one this user can "
                "hold here. Open it from outside that namespace, or map the group into it (newgidmap, "
                "or the sandbox's option for extra groups); or let every user open it, on the host: %s."
                % (obs.device.gid, user or "this user", _UDEV_RULE_ALL))
    if access is not None and access.group_unmapped:
        return ("/dev/kvm is passed into this %s, but its group (the host's kvm group) is not "
                "mapped into the container's user namespace: it shows as gid %s, and the user "
                "here does not hold the host's kvm group. With rootless podman, keep the host user's "
                "groups: 'podman run --group-add keep-groups --device /dev/kvm ...' (the crun "
                "runtime keeps them, runc does not: add --runtime crun if podman uses runc); the "
                "host user must be in kvm itself ('sudo usermod -aG kvm HOST_USER' on the host, then "
                "log in again). Or let every user open it, on the host: %s." % (
                    "container", obs.device.gid, _UDEV_RULE_ALL))
    if access is not None and access.stale_session:
        return ("/dev/kvm exists but %s cannot open it: the group database puts %s in '%s', which may open "
                "it, but this session started before that and does not hold the group. Log out and in "
                "again (or start a new session: 'newgrp %s', 'su - %s'); a reboot is not needed." % (
                    user or "this user", name, group, group, name))
    if access is not None and not access.group_rw:
        return ("/dev/kvm exists but %s cannot open it, and its mode (%s) gives its group no read "
                "and write, so joining the group does not help. Give the group access, or every "
                "user, with a udev rule: %s (or MODE=\"0660\" in that rule, then 'sudo usermod -aG "
                "kvm %s' and log in again); or run with become: true." % (
                    user or "this user", obs.device.mode, _UDEV_RULE_ALL, name))
    return ("/dev/kvm exists but %s cannot open it. Add the user to the group that owns it (%s): "
            "'usermod -aG %s %s', then log in again (a running session keeps its old groups); or "
            "let every user open it with a udev rule (what GitHub documents for its hosted "
            "runners): %s; or run with become: true.%s" % (
                user or "this user", "'%s'" % group if obs.device.group else "usually 'kvm'", group, name,
                _UDEV_RULE_ALL, "" if obs.device.mode else
                " If the device's mode is not 0660 root:kvm, a udev rule changed it."))


def _probe_failed(error, enable, ext):
    said = " The kernel said: '%s'." % enable.line if enable else ""
    return ("KVM would not start a virtual machine here (%s).%s Two causes remain: another hypervisor "
            "(VirtualBox, VMware Workstation, or one this check does not know) holds %s, or KVM's "
            "module failed to enable it. 'lsmod | grep -E \"vbox|vmmon|vmx86\"' tells them apart: a "
            "line there names the other hypervisor to stop; none means reloading the KVM vendor "
            "module ('modprobe -r kvm_intel kvm_amd; modprobe kvm_intel or kvm_amd') and reading "
            "dmesg." % (error or "no answer", said, ext))


def _option_refused(obs, modules, needed):
    """The verdict when the kernel refused KVM's module for a parameter value it could not parse.

    Only the module this host needs (or kvm itself), and only while it is not loaded: once it
    is, the line is from an earlier attempt. So is a line whose value the configuration no
    longer gives (the parameter is set to another value now, or, on the live host, nothing
    this check reads sets it: corrected since, or typed once to modprobe): then the next load
    may well work, and the module is merely not loaded.
    """
    # The newest refusal first: an older one may be of a value corrected since.
    for line in reversed(obs.log.lines):
        if line.finding != "option_rejected" or not _applies(line, obs):
            continue
        fields = kernel_messages.message_fields(line)
        module = (fields.get("module") or "").replace("-", "_")
        if module not in (needed, "kvm") or module in modules:
            continue
        param = (fields.get("param") or "").replace("-", "_")
        setting = [o for o in obs.options if o.module == module and o.param == param]
        setters = [o for o in setting if _unquoted(o.value) == _unquoted(fields.get("value", ""))]
        if (setting and not setters) or (obs.live and not setting):
            continue
        return Verdict(False, "module_blocked", _option_steps(module, param, fields.get("value", ""), setters, line),
                       "kernel log: '%s'%s" % (line.line, "; set by %s" % ", ".join(
                           sorted(set(o.file for o in setters))) if setters else ""))
    return None


def _unquoted(value):
    value = (value or "").strip()
    return value[1:-1] if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"" else value


def _option_steps(module, param, value, setters, line):
    where = "; ".join("'%s' in %s" % (o.text, o.file) for o in setters)
    files = sorted(set(o.file for o in setters if o.file != "/proc/cmdline"))
    cmdline = any(o.file == "/proc/cmdline" for o in setters)
    fix = []
    if files:
        fix.append("correct or remove %s=%s in %s" % (param, value, " and ".join(files)))
    if cmdline:
        fix.append("remove %s.%s=%s from the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, "
                   "then update-grub or grub2-mkconfig -o /boot/grub2/grub.cfg) and reboot, since modprobe "
                   "passes the command line's value at every load" % (module, param, value))
    if not setters:
        fix.append("find where it is set with 'grep -rn \"%s\" %s' and 'cat /proc/cmdline', and correct or "
                   "remove it" % (param, " ".join(cmdline_modprobe.MODPROBE_DIRS)))
    return ("The kernel refused to load %s: the value '%s' given to its parameter '%s' is invalid (the "
            "kernel said: '%s'), so the module is not loaded; the firmware and the CPU are not the cause. "
            "It is set by %s. To fix it, %s ('modinfo -p %s' lists the values %s takes), then load "
            "the module with 'modprobe %s'." % (
                module, value, param, line.line,
                where or "a modprobe.d 'options %s %s=%s' line or '%s.%s=%s' on the kernel command line, "
                "neither of which this check could read" % (module, param, value, module, param, value),
                "; and ".join(fix), module, param, module))


def _kernel_blocks(blocks):
    params = sorted(set(b.text for b in blocks))
    effects = set(b.effect for b in blocks)
    what = []
    if "blacklist" in effects:
        what.append("blacklists a KVM module")
    if "initcall" in effects:
        what.append("skips the built-in KVM's start")
    if "hide_feature" in effects:
        what.append("hides the CPU's virtualization flag from the kernel")
    if "kvm_off" in effects:
        what.append("turns KVM off")
    return ("The kernel command line keeps KVM off: %s %s. Remove %s from the boot loader's "
            "configuration (GRUB_CMDLINE_LINUX in /etc/default/grub, then update-grub or "
            "grub2-mkconfig -o /boot/grub2/grub.cfg; on systems with BLS entries, grubby "
            "--update-kernel=ALL --remove-args=...) and reboot." % (
                ", ".join("'%s'" % p for p in params), " and ".join(what),
                "it" if len(params) == 1 else "them"))


def _modprobe_blocks(blocks, needed):
    lines = "; ".join("the line '%s' in %s" % (b.text, b.file) for b in blocks)
    hard = any(b.effect == "install" for b in blocks)
    return ("modprobe configuration keeps %s from loading: %s. %s Remove %s, then load the module "
            "with 'modprobe %s' (or reboot)." % (
                needed or "the KVM module", lines,
                "An 'install' line makes modprobe run another command instead of loading it."
                if hard else "A 'blacklist' line stops it from loading at boot; an explicit modprobe still loads it.",
                "that line" if len(blocks) == 1 else "those lines", needed or "kvm"))


def _cpu_unsupported(cpu, ext):
    model = cpu.model or "this CPU"
    return ("%s does not have %s, so KVM cannot accelerate virtual machines here; QEMU can only "
            "emulate them, slowly. Run virtual machines on a machine whose CPU has hardware "
            "virtualization." % (model, ext))
