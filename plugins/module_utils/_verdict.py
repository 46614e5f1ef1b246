# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding: from what was observed on a host to kvm-ok's answer, its reason and what to do.

Pure functions of plain values; ``decide`` is the whole verdict.
"""

from __future__ import annotations

REASONS = (
    "ok",
    "cpu_unsupported",
    "firmware_disabled",
    "nested_not_exposed",
    "module_not_loaded",
    "kernel_disabled",
    "device_missing",
    "device_inaccessible",
    "unknown",
)

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
    if arch in ("x86_64", "i686", "i386"):
        return _VENDOR_MODULE.get(vendor or "")
    return _ARCH_MODULE.get(arch or "")


def extension_name(extension):
    """The extension as people know it: 'Intel VT-x (vmx)', 'AMD-V (svm)', ..."""
    return _EXTENSION_NAME.get(extension or "", "hardware virtualization")


def firmware_steps(vendor, arch):
    """The BIOS/UEFI steps that turn the extension on, naming the vendor's setting."""
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
            "reboot may not apply the change." % setting)


def decide(obs):
    """kvm-ok's answer for a host: ``(usable, reason, remediation)``.

    ``obs`` is a dict of what was observed: ``arch``, ``cpu`` (vendor, model, extension,
    flag), ``modules``, ``device`` (exists, accessible, api_version, vm_created),
    ``guest`` (virtualized, hypervisor, container), and the signals ``probed`` (the live
    device probe ran), ``probe_error``, ``firmware_disabled`` (a kernel log line or MSR
    reading saying so), ``raw_extension`` (the extension in raw CPUID: True, False or
    None), ``no_hardware`` (a kernel log line saying the CPU lacks it), ``kernel_blocks``
    (command-line parameters or modprobe lines keeping KVM off), ``el`` ('el2', 'el1' or
    None on aarch64), ``user``.
    """
    arch = obs.get("arch")
    cpu = obs.get("cpu") or {}
    vendor = cpu.get("vendor")
    extension = cpu.get("extension")
    device = obs.get("device") or {}
    guest = obs.get("guest") or {}
    modules = set(obs.get("modules") or ())
    needed = vendor_module(arch, vendor)
    software = sorted(modules.intersection(SOFTWARE_KVM_MODULES))

    # What the kernel does when asked settles it: flags can mislead, a created VM cannot.
    if device.get("vm_created"):
        return True, "ok", ""
    if device.get("exists") and obs.get("probed"):
        if device.get("accessible") is False:
            return False, "device_inaccessible", _inaccessible(obs.get("user"))
        return False, "unknown", _probe_failed(obs.get("probe_error"))
    if device.get("exists"):
        # A snapshot: the node was there; it could not be opened to confirm.
        return True, "ok", ""

    container = guest.get("container")
    if container:
        return False, "device_missing", _container(container, modules)

    if obs.get("kernel_blocks") and (needed not in modules):
        return False, "kernel_disabled", _kernel_blocks(obs["kernel_blocks"])

    if arch in ("x86_64", "i686", "i386"):
        return _decide_x86(obs, cpu, vendor, extension, modules, needed, guest, software)
    if arch == "aarch64":
        return _decide_arm(obs, guest, modules)
    if arch in ("s390x", "ppc64le", "ppc64", "riscv64"):
        return _decide_by_flag(obs, cpu, arch, extension, modules, needed, guest)
    return False, "unknown", (
        "This architecture (%s) is not one this collection knows how to judge; check that the "
        "kernel has KVM for it and that /dev/kvm exists." % (arch or "not readable"))


def _decide_x86(obs, cpu, vendor, extension, modules, needed, guest, software):
    ext = extension_name(extension)
    if obs.get("firmware_disabled"):
        # A VM's virtual firmware does not do this; a physical one does.
        if guest.get("virtualized"):
            return False, "nested_not_exposed", _nested(guest.get("hypervisor"), ext)
        return False, "firmware_disabled", firmware_steps(vendor, "x86_64")
    flag = cpu.get("flag")
    if flag:
        if needed and needed not in modules:
            return False, "module_not_loaded", _load_module(needed, ext)
        return False, "device_missing", _device_missing(modules)
    # The extension is not shown by the kernel.
    if software:
        return False, "device_missing", _device_missing(modules)
    if guest.get("virtualized"):
        return False, "nested_not_exposed", _nested(guest.get("hypervisor"), ext)
    if obs.get("raw_extension"):
        # Raw CPUID has it, the kernel hid it: firmware turned it off (kernel 5.6+).
        return False, "firmware_disabled", firmware_steps(vendor, "x86_64")
    if obs.get("no_hardware") or obs.get("raw_extension") is False or obs.get("kernel_log_read"):
        # The kernel log was read and says nothing of the firmware: the CPU lacks it.
        return False, "cpu_unsupported", _cpu_unsupported(cpu, ext)
    return False, "unknown", (
        "The kernel does not show %s, and neither the kernel log nor raw CPUID could be read to "
        "tell whether the CPU lacks it or the firmware turned it off. Run the check as root "
        "(become: true) so that the kernel log can be read. If the CPU supports it, the firmware "
        "has it off: %s" % (ext, firmware_steps(vendor, "x86_64")))


def _decide_arm(obs, guest, modules):
    el = obs.get("el")
    ext = extension_name("el2")
    if el == "el2":
        if "kvm" not in modules:
            return False, "module_not_loaded", _load_module("kvm", ext)
        return False, "device_missing", _device_missing(modules)
    if guest.get("virtualized"):
        return False, "nested_not_exposed", _nested(guest.get("hypervisor"), ext)
    if el == "el1" or obs.get("hyp_unavailable"):
        return False, "firmware_disabled", firmware_steps(None, "aarch64")
    return False, "unknown", (
        "The kernel log could not be read to tell whether Linux started at EL2, which KVM needs "
        "on ARM. Run the check as root (become: true); if the log says it started at EL1, the "
        "firmware or boot loader must be changed to enter the kernel at EL2.")


def _decide_by_flag(obs, cpu, arch, extension, modules, needed, guest):
    ext = extension_name(extension)
    flag = cpu.get("flag")
    if flag:
        if needed and needed not in modules:
            return False, "module_not_loaded", _load_module(needed, ext)
        return False, "device_missing", _device_missing(modules)
    if guest.get("virtualized") or (arch.startswith("ppc64") and flag is False):
        return False, "nested_not_exposed", _nested(guest.get("hypervisor"), ext, arch)
    if flag is False:
        return False, "cpu_unsupported", _cpu_unsupported(cpu, ext)
    return False, "unknown", "/proc/cpuinfo could not be read to tell whether the CPU offers %s." % ext


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


def _container(container, modules):
    host = ("The host's KVM modules are visible here (%s), so pass its device in: " % ", ".join(sorted(modules))
            if modules else "Check that the host itself can run KVM (ansible HOST -m hypervisor.kvm.kvm_check), then pass its device in: ")
    return ("This is a %s container and /dev/kvm is not passed into it. %s"
            "docker or podman run --device /dev/kvm; LXC/Incus: "
            "'incus config device add NAME kvm unix-char source=/dev/kvm' "
            "(or lxc.cgroup2.devices.allow = c 10:232 rwm with a bind mount of /dev/kvm); "
            "Kubernetes: a KVM device plugin; systemd-nspawn: --bind=/dev/kvm "
            "with DeviceAllow=/dev/kvm rw." % (container, host))


def _inaccessible(user):
    who = user or "this user"
    return ("/dev/kvm exists but %s cannot open it. Add the user to the group that owns it (usually "
            "'kvm'): 'usermod -aG kvm %s', then log in again; or run with become: true. If the "
            "device's mode is not 0660 root:kvm, a udev rule changed it." % (who, user or "USER"))


def _probe_failed(error):
    return ("/dev/kvm opens but KVM would not create a virtual machine (%s). Another hypervisor "
            "(VirtualBox, VMware Workstation) may be holding the CPU's virtualization extension, or "
            "the kernel log (dmesg) says why; stop the other hypervisor or reload the KVM vendor "
            "module." % (error or "no answer"))


def _kernel_blocks(blocks):
    params = [b for b in blocks if isinstance(b, str)]
    lines = [b for b in blocks if isinstance(b, dict)]
    parts = []
    if params:
        parts.append("remove %s from the kernel command line (GRUB_CMDLINE_LINUX in /etc/default/grub, "
                     "then update-grub or grub2-mkconfig -o /boot/grub2/grub.cfg, and reboot)"
                     % ", ".join("'%s'" % p for p in params))
    for line in lines:
        parts.append("remove the line '%s' from %s" % (line["line"], line["file"]))
    return ("KVM is kept off by the kernel's configuration: %s. Then load the module with "
            "modprobe (or reboot)." % "; ".join(parts))


def _cpu_unsupported(cpu, ext):
    model = cpu.get("model") or "this CPU"
    return ("%s does not have %s, so KVM cannot accelerate virtual machines here; QEMU can only "
            "emulate them, slowly. Run virtual machines on a machine whose CPU has hardware "
            "virtualization." % (model, ext))
