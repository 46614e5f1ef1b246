# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict for each reason, each architecture and each kernel behaviour.

Every case is a small host tree in the snapshot format, read through ``gather`` as a
captured host would be, so the parsers, the reading and the decision are all exercised.
"""

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import (
    Cpu, Device, Guest, KernelLog, LogLine, Observations, Raw)
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._permissions import Access
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import REASONS
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._verdict import decide

from ..hosts import BASE_FLAGS, BOOT_LOG, DELL_DMI, QEMU_DMI, cpuinfo_x86, module, write_host

INTEL = ("GenuineIntel", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz")
AMD = ("AuthenticAMD", "AMD EPYC 7763 64-Core Processor")


def x86(vendor, flags, log="", dmi=None, extra=None, kernel="6.1.0-28-amd64"):
    files = {
        "/proc/sys/kernel/arch": "x86_64\n",
        "/proc/sys/kernel/osrelease": kernel + "\n",
        "/proc/cpuinfo": cpuinfo_x86(vendor[0], vendor[1], flags),
        "/proc/cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n",
        "/proc/1/cgroup": "0::/init.scope\n",
    }
    if log is not None:
        files["/var/log/dmesg"] = BOOT_LOG.replace("6.1.0-28-amd64", kernel) + log
    files.update(dmi if dmi is not None else DELL_DMI)
    files.update(extra or {})
    return files


def arm(log, extra=None, dmi=None, cmdline="root=/dev/nvme0n1p2 ro"):
    files = {
        "/proc/sys/kernel/arch": "aarch64\n",
        "/proc/cpuinfo": "processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\n"
                         "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd0c\n",
        "/proc/cmdline": cmdline + "\n",
        "/var/log/dmesg": "[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x413fd0c1]\n"
                          "[    0.000000] Linux version 6.1.0-28-arm64\n" + log,
    }
    files.update(dmi or {})
    files.update(extra or {})
    return files


S390_CPUINFO = ("vendor_id       : IBM/S390\n# processors    : 4\nbogomips per cpu: 3241.00\n"
                "features\t: esan3 zarch stfle msa ldisp eimm dfp edat etf3eh highgprs te vx sie\n"
                "processor 0: version = FF,  identification = 0133E8,  machine = 8561\n")
PPC_CPUINFO = ("processor\t: 0\ncpu\t\t: POWER9 (raw), altivec supported\nclock\t\t: 3800.000000MHz\n"
               "revision\t: 2.2 (pvr 004e 1202)\n\ntimebase\t: 512000000\nplatform\t: %s\nmodel\t\t: %s\n")

KVM_INTEL = module("kvm")
KVM_INTEL.update(module("kvm_intel", nested="Y"))
KVM_AMD = module("kvm")
KVM_AMD.update(module("kvm_amd", nested="1"))
PVM = module("kvm", builtin=True)
PVM.update(module("kvm_pvm", builtin=True))

CASES = [
    # name, files, reason, remediation must mention (groups of alternatives), must not mention
    ("intel-usable", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(KVM_INTEL, **{"/dev/kvm": None})),
     "ok", [], []),
    ("amd-builtin-modules", x86(AMD, BASE_FLAGS + " svm", extra=dict(
        module("kvm", builtin=True), **dict(module("kvm_amd", builtin=True, nested="1"), **{"/dev/kvm": None}))),
     "ok", [], []),
    # Kernel 5.6+ hides vmx and says so at boot.
    ("intel-firmware-off-new-kernel", x86(INTEL, BASE_FLAGS,
                                          log="[    0.081234] x86/cpu: VMX (outside TXT) disabled by BIOS\n"),
     "firmware_disabled", [["Intel Virtualization Technology"], ["F2"], ["power"]], ["nested"]),
    # Older kernels keep the flag; kvm_intel refuses to load.
    ("intel-firmware-off-old-kernel", x86(INTEL, BASE_FLAGS + " vmx",
                                          log="[   12.0] kvm: disabled by bios\n"),
     "firmware_disabled", [["VT-x"], ["BIOS"]], []),
    ("amd-firmware-off", x86(AMD, BASE_FLAGS, log="[    0.1] SVM disabled (by BIOS) in MSR_VM_CR\n"),
     "firmware_disabled", [["SVM Mode"], ["AMD-V"], ["F10", "Del"]], ["VT-x"]),
    ("hygon-firmware-off", x86(("HygonGenuine", "Hygon C86 7285 32-core Processor"), BASE_FLAGS,
                               log="[    0.1] SVM disabled (by BIOS) in MSR_VM_CR\n"),
     "firmware_disabled", [["SVM Mode"]], []),
    ("intel-no-vtx-bare-metal", x86(("GenuineIntel", "Intel(R) Atom(TM) CPU N270"), BASE_FLAGS),
     "cpu_unsupported", [["does not have"], ["Atom"]], ["BIOS"]),
    # No kernel log to read: the collection says it cannot tell, and what to do.
    ("intel-no-flag-no-log", x86(INTEL, BASE_FLAGS, log=None),
     "unknown", [["sudo", "become"], ["BIOS"]], []),
    ("intel-module-not-loaded", x86(INTEL, BASE_FLAGS + " vmx", extra=module("kvm")),
     "module_not_loaded", [["kvm_intel"], ["modprobe"]], []),
    ("zhaoxin-module-not-loaded", x86(("CentaurHauls", "ZHAOXIN KaiXian KX-6640MA"), BASE_FLAGS + " vmx"),
     "module_not_loaded", [["kvm_intel"]], []),
    ("amd-blacklisted", x86(AMD, BASE_FLAGS + " svm", extra={
        "/etc/modprobe.d/no-kvm.conf": "# site policy\nblacklist kvm_amd\n"}),
     "module_blocked", [["/etc/modprobe.d/no-kvm.conf"], ["blacklist kvm_amd"]], ["BIOS"]),
    ("intel-install-false", x86(INTEL, BASE_FLAGS + " vmx", extra={
        "/etc/modprobe.d/disable.conf": "install kvm_intel /bin/false\n"}),
     "module_blocked", [["install kvm_intel /bin/false"], ["install' line"]], ["BIOS"]),
    ("cmdline-module-blacklist", x86(INTEL, BASE_FLAGS + " vmx", extra={
        "/proc/cmdline": "root=/dev/sda1 module_blacklist=kvm,kvm_intel quiet\n"}),
     "kernel_disabled", [["module_blacklist=kvm,kvm_intel"], ["GRUB"]], []),
    # The kernel's words, read with the kernel's version and the CPU's vendor (issue: every
    # kernel generation). Debian 12 (6.1) keeps svm in cpuinfo when the firmware turned SVM
    # off; only x86.c's 5.16-6.2 wording says so.
    ("amd-firmware-off-debian12", x86(AMD, BASE_FLAGS + " svm", extra=module("kvm"),
                                      log="[    3.2] kvm: support for 'kvm_amd' disabled by bios\n"),
     "firmware_disabled", [["SVM Mode"], ["power"]], ["modprobe", "nested"]),
    # Before 5.6 vmx shows whenever the CPU has VT-x: its absence on bare metal is the CPU.
    ("atom-no-vtx-kernel-3.8", x86(("GenuineIntel", "Intel(R) Atom(TM) CPU N270 @ 1.60GHz"), BASE_FLAGS,
                                   log=None, kernel="3.8.0-19-generic"),
     "cpu_unsupported", [["Atom"], ["does not have"]], ["BIOS"]),
    # From 5.6 both causes hide vmx: with no log and no raw CPUID, say which two remain.
    ("intel-no-flag-no-log-5.15", x86(INTEL, BASE_FLAGS, log=None, kernel="5.15.0-91-generic"),
     "unknown", [["lacks it"], ["firmware turned it off"], ["disabled by BIOS"]], []),
    ("intel-txt-only", x86(INTEL, BASE_FLAGS, log="[    0.08] x86/cpu: VMX (inside TXT) disabled by BIOS\n"),
     "firmware_disabled", [["TXT"], ["Intel Virtualization Technology"]], []),
    # AMD before 6.7 never clears svm: no flag on bare metal means the CPU lacks AMD-V.
    ("amd-no-svm-kernel-6.5", x86(AMD, BASE_FLAGS, log=None, kernel="6.5.0-41-generic"),
     "cpu_unsupported", [["AMD-V"]], ["BIOS"]),
    # From 6.7 a firmware-disabled AMD loses svm too, and amd.c says so once at boot.
    ("amd-firmware-off-kernel-6.8", x86(AMD, BASE_FLAGS, kernel="6.8.0-45-generic",
                                        log="[    0.2] SVM disabled (by BIOS) in MSR_VM_CR\n"
                                            "[   10.1] kvm_amd: SVM not supported by CPU 0\n"),
     "firmware_disabled", [["SVM Mode"]], ["nested"]),
    # The same kvm_amd line with this boot's log whole and no firmware line: the CPU.
    ("amd-no-svm-kernel-6.8-boot-log-whole", x86(AMD, BASE_FLAGS, kernel="6.8.0-45-generic",
                                                 log="[   10.1] kvm_amd: SVM not supported by CPU 0\n"),
     "cpu_unsupported", [["AMD-V"]], ["F10"]),
    # With the boot messages gone, the kvm_amd line cannot tell which: say the two causes.
    ("amd-no-svm-kernel-6.8-boot-log-gone", x86(AMD, BASE_FLAGS, kernel="6.8.0-45-generic", log=None, extra={
        "/var/log/kern.log": "Nov 27 09:00:01 host kernel: [ 9000.1] kvm_amd: SVM not supported by CPU 0\n"}),
     "unknown", [["lacks it"], ["firmware turned it off"], ["cpuid"]], []),
    # kvm_intel from 6.3 prints its own firmware line, so 'VMX not supported' is the CPU.
    ("intel-vmx-not-supported-kernel-6.5", x86(("GenuineIntel", "Intel(R) Celeron(R) N4000"), BASE_FLAGS,
                                               kernel="6.5.0-41-generic", log=None, extra={
        "/var/log/kern.log": "Nov 27 09:00:01 host kernel: [ 9000.1] kvm_intel: VMX not supported by CPU 0\n"}),
     "cpu_unsupported", [["Celeron"]], ["F2"]),
    # 5.6-6.2 hid vmx for both causes and kvm.ko's 'no hardware support' cannot tell them apart.
    ("intel-no-hardware-support-kernel-5.15", x86(INTEL, BASE_FLAGS, kernel="5.15.0-91-generic", log=None, extra={
        "/var/log/kern.log": "Nov 27 09:00:01 host kernel: [ 9000.1] kvm: no hardware support\n"}),
     "unknown", [["lacks it"], ["disabled by BIOS"]], []),
    ("intel-vmx-not-enabled-by-bios-kernel-6.8", x86(INTEL, BASE_FLAGS, kernel="6.8.0-45-generic", log=None, extra={
        "/var/log/kern.log": "[ 20.0] kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0\n"}),
     "firmware_disabled", [["Intel Virtualization Technology"]], []),
    ("amd-sev-guest", x86(AMD, BASE_FLAGS + " hypervisor", dmi=QEMU_DMI, kernel="6.8.0-45-generic",
                          log="[    0.0] Hypervisor detected: KVM\n[  5.0] kvm_amd: KVM is unsupported when running as an SEV guest\n"),
     "nested_not_exposed", [["SEV"], ["not confidential"]], ["BIOS/UEFI setup"]),
    # 6.12+ enables VT-x at load: another hypervisor's hold shows as a failed load.
    ("enable-failed-unknown-holder", x86(INTEL, BASE_FLAGS + " vmx", extra=module("kvm"), kernel="6.12.0-1-amd64",
                                         log="[   40.0] kvm: enabling virtualization on CPU0 failed\n"),
     "unknown", [["another hypervisor"], ["lsmod"]], ["BIOS/UEFI setup"]),
    # kvm_intel tried on an AMD host only says the wrong module was tried.
    ("amd-wrong-module-tried", x86(AMD, BASE_FLAGS + " svm", extra=module("kvm"), kernel="6.8.0-45-generic",
                                   log="[    9.9] kvm_intel: VMX not supported by CPU 0\n"),
     "module_not_loaded", [["kvm_amd"]], ["BIOS", "VT-x"]),
    # The kernel command line: hide the feature, skip a built-in's init.
    ("cmdline-clearcpuid-vmx", x86(INTEL, BASE_FLAGS, extra={
        "/proc/cmdline": "root=/dev/sda1 clearcpuid=vmx quiet\n"}),
     "kernel_disabled", [["clearcpuid=vmx"], ["hides"]], ["BIOS/UEFI setup"]),
    ("cmdline-clearcpuid-bit-svm", x86(AMD, BASE_FLAGS, extra={"/proc/cmdline": "ro clearcpuid=194\n"}),
     "kernel_disabled", [["clearcpuid=194"]], ["BIOS/UEFI setup"]),
    ("cmdline-initcall-builtin", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(module("kvm", builtin=True), **{
        "/proc/cmdline": "ro initcall_blacklist=vmx_init\n"})),
     "kernel_disabled", [["initcall_blacklist=vmx_init"]], []),
    # A blacklisted module that is loaded anyway keeps nothing off.
    ("blacklisted-but-loaded", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(KVM_INTEL, **{
        "/dev/kvm": None, "/etc/modprobe.d/bl.conf": "blacklist kvm_intel\n"})), "ok", [], []),
    # Another hypervisor holds VT-x: name it and how to stop it, never the BIOS.
    ("virtualbox-holds-vtx", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(module("kvm"), **{
        "/sys/module/vboxdrv/initstate": "live\n"}),
        log="[   40.0] kvm: enabling virtualization on CPU0 failed\n"),
     "other_hypervisor", [["VirtualBox"], ["vboxdrv"]], ["BIOS/UEFI setup", "F2"]),
    ("vmware-workstation-holds-svm", x86(AMD, BASE_FLAGS + " svm", extra=dict(module("kvm"), **{
        "/sys/module/vmmon/initstate": "live\n"})),
     "other_hypervisor", [["VMware"], ["vmmon"]], ["F10"]),
    ("xen-dom0", x86(INTEL, BASE_FLAGS + " hypervisor", dmi={}, extra={
        "/proc/xen/capabilities": "control_d\n", "/sys/hypervisor/type": "xen\n"}),
     "other_hypervisor", [["Xen"], ["without"]], ["BIOS/UEFI setup"]),
    ("modules-loaded-device-missing", x86(INTEL, BASE_FLAGS + " vmx", extra=KVM_INTEL),
     "device_missing", [["udev", "mknod"]], []),
    ("docker-without-device", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(KVM_INTEL, **{"/.dockerenv": None})),
     "device_missing", [["--device /dev/kvm"], ["docker"]], []),
    ("podman-without-device", x86(AMD, BASE_FLAGS + " svm", extra=dict(KVM_AMD, **{"/run/.containerenv": None})),
     "device_missing", [["--device /dev/kvm"]], []),
    ("lxc-without-device", x86(AMD, BASE_FLAGS + " svm", extra={"/run/systemd/container": "lxc\n"}),
     "device_missing", [["incus", "lxc"]], []),
    # Virtual machines: the fix is on the parent hypervisor, never in a BIOS.
    ("vmware-guest-no-vhv", x86(INTEL, BASE_FLAGS + " hypervisor", dmi={
        "/sys/class/dmi/id/sys_vendor": "VMware, Inc.\n", "/sys/class/dmi/id/product_name": "VMware7,1\n"},
        log="[    0.0] Hypervisor detected: VMware\n"),
     "nested_not_exposed", [["Expose hardware assisted virtualization", "vhv.enable"]], ["BIOS/UEFI setup", "F2"]),
    ("hyperv-guest", x86(AMD, BASE_FLAGS + " hypervisor", dmi={
        "/sys/class/dmi/id/sys_vendor": "Microsoft Corporation\n",
        "/sys/class/dmi/id/product_name": "Virtual Machine\n"}),
     "nested_not_exposed", [["ExposeVirtualizationExtensions"]], ["F10"]),
    ("aws-guest", x86(INTEL, BASE_FLAGS + " hypervisor", dmi={
        "/sys/class/dmi/id/sys_vendor": "Amazon EC2\n", "/sys/class/dmi/id/product_name": "m5.large\n"},
        log="[    0.0] Hypervisor detected: KVM\n"),
     "nested_not_exposed", [["metal"]], ["BIOS/UEFI setup"]),
    ("kvm-guest-no-nested", x86(INTEL, BASE_FLAGS + " hypervisor", dmi=QEMU_DMI,
                                log="[    0.0] Hypervisor detected: KVM\n"),
     "nested_not_exposed", [["nested=1"], ["host-passthrough"]], ["F2"]),
    # A VM whose virtual firmware leaves VMX locked off: still the parent's business.
    ("vm-with-vmx-locked", x86(INTEL, BASE_FLAGS + " hypervisor", dmi=QEMU_DMI,
                               log="[    0.0] Hypervisor detected: KVM\n[    0.1] x86/cpu: VMX (outside TXT) disabled by BIOS\n"),
     "nested_not_exposed", [["parent"]], ["F2"]),
    # WSL 2 is a Hyper-V VM of Windows, not a container: nested virtualization is given on Windows.
    ("wsl2-without-nesting", x86(INTEL, BASE_FLAGS + " hypervisor", dmi={}, log=None,
                                 kernel="5.15.167.4-microsoft-standard-WSL2"),
     "nested_not_exposed", [["nestedVirtualization=true"], ["wsl --shutdown"], ["Windows 11"]],
     ["docker run", "BIOS/UEFI setup", "modprobe", "Set-VMProcessor"]),
    ("wsl2-custom-kernel-interop", x86(AMD, BASE_FLAGS + " hypervisor", dmi={}, kernel="6.6.36-custom",
                                       extra={"/proc/sys/fs/binfmt_misc/WSLInterop": "enabled\n"}),
     "nested_not_exposed", [[".wslconfig"]], ["SVM Mode", "docker run"]),
    ("wsl2-nested-on-kernel-without-kvm", x86(INTEL, BASE_FLAGS + " hypervisor vmx", dmi={}, log=None,
                                              kernel="4.19.128-microsoft-standard"),
     "module_not_loaded", [["wsl --update"]], ["modprobe kvm_intel", "modules-load"]),
    ("wsl2-with-kvm", x86(INTEL, BASE_FLAGS + " hypervisor vmx", dmi={}, log=None, kernel="5.15.150.1-microsoft-standard-WSL2",
                          extra=dict(module("kvm", builtin=True), **dict(
                              module("kvm_intel", builtin=True, nested="Y"), **{"/dev/kvm": None}))),
     "ok", [], []),
    ("docker-in-wsl2", x86(INTEL, BASE_FLAGS + " hypervisor", dmi={}, log=None, kernel="6.6.87.2-microsoft-standard-WSL2",
                           extra={"/.dockerenv": None}),
     "device_missing", [["--device /dev/kvm", "-v /dev/kvm"], ["nestedVirtualization"]], ["BIOS/UEFI setup"]),
    ("wsl1", x86(INTEL, BASE_FLAGS + " hypervisor", dmi={}, log=None, kernel="4.4.0-19041-Microsoft"),
     "nested_not_exposed", [["WSL 1"], ["wsl --set-version"], ["no Linux kernel"]],
     ["docker run", "BIOS/UEFI setup", "modprobe"]),
    # Confidential guests: KVM cannot run in them; the kernel says which kind.
    ("sev-snp-guest-svm-shown", x86(AMD, BASE_FLAGS + " hypervisor svm", dmi=QEMU_DMI, kernel="6.8.0-45-generic",
                                    log="[    0.0] Hypervisor detected: KVM\n"
                                        "[    0.5] Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP\n"),
     "nested_not_exposed", [["SEV-SNP"], ["not confidential"]], ["modprobe", "BIOS/UEFI setup"]),
    ("tdx-guest", x86(INTEL, BASE_FLAGS + " hypervisor tdx_guest", dmi=QEMU_DMI, kernel="6.8.0-45-generic"),
     "nested_not_exposed", [["Intel TDX"], ["not confidential"]], ["BIOS/UEFI setup"]),
    # A SEV host is no guest: its flags and kvm_amd's sev=Y say it can run SEV guests.
    ("sev-host-usable", x86(AMD, BASE_FLAGS + " svm sme sev sev_es sev_snp", kernel="6.8.0-45-generic",
                            log="[    0.4] Memory Encryption Features active: AMD SME\n"
                                "[    7.3] kvm_amd: SEV-ES and SEV-SNP supported: 255 ASIDs\n",
                            extra=dict(module("kvm"), **dict(module("kvm_amd", sev="Y", sev_es="Y", sev_snp="Y"),
                                                             **{"/dev/kvm": None, "/dev/sev": None}))),
     "ok", [], []),
    # This development machine: software KVM, built in, no svm flag, /dev/kvm works.
    ("software-kvm-pvm", x86(AMD, BASE_FLAGS + " hypervisor", dmi={}, log="[    0.0] Hypervisor detected: KVM\n",
                             extra=dict(PVM, **{"/dev/kvm": None})),
     "ok", [], []),
    # TXT (issue: every path that reads VT-x off must say TXT where the evidence allows it).
    # Up to 5.5 kvm_intel says it outright, with or without its 'kvm: ' prefix.
    ("intel-txt-only-kernel-3.8", x86(INTEL, BASE_FLAGS + " vmx", kernel="3.8.4-202.fc18.x86_64",
                                      log="[   12.1] kvm: disable TXT in the BIOS or activate TXT before enabling KVM\n"
                                          "[   12.1] kvm: disabled by bios\n"),
     "firmware_disabled", [["disable TXT"], ["outside SMX"], ["VT-x for non-TXT"]], ["nested", "tboot, inside TXT) and"]),
    ("intel-txt-only-other-prefix", x86(INTEL, BASE_FLAGS + " vmx", kernel="4.19.0-6-amd64", log=None, extra={
        "/var/log/kern.log": "Jan  1 00:00:01 h kernel: [ 9.0] kvm_intel: disable TXT in the BIOS or activate TXT "
                             "before enabling KVM\nJan  1 00:00:01 h kernel: [ 9.0] kvm: disabled by bios\n"}),
     "firmware_disabled", [["disable TXT"], ["outside SMX"]], []),
    # Before 5.6 a 'disabled by bios' without the TXT line is VT-x off: no TXT talk.
    ("intel-off-kernel-4.15-no-txt", x86(INTEL, BASE_FLAGS + " vmx", kernel="4.15.0-45-generic",
                                         log="[   20.0] kvm: disabled by bios\n"),
     "firmware_disabled", [["Intel Virtualization Technology"]], ["TXT", "SMX"]),
    # From 5.6 neither feat_ctl's nor kvm_intel's line tells VT-x off from VT-x only inside TXT.
    ("intel-outside-txt-line-names-both", x86(INTEL, BASE_FLAGS, kernel="5.15.0-91-generic",
                                              log="[    0.08] x86/cpu: VMX (outside TXT) disabled by BIOS\n"),
     "firmware_disabled", [["Intel Virtualization Technology"], ["disable TXT"], ["outside SMX"]], ["nested"]),
    ("intel-support-disabled-5.16-names-both", x86(INTEL, BASE_FLAGS, kernel="6.1.0-28-amd64", log=None, extra={
        "/var/log/kern.log": "[ 9000.1] kvm: support for 'kvm_intel' disabled by bios\n"}),
     "firmware_disabled", [["disable TXT"], ["outside SMX"]], []),
    ("intel-not-enabled-6.8-names-both", x86(INTEL, BASE_FLAGS, kernel="6.8.0-45-generic", log=None, extra={
        "/var/log/kern.log": "[ 20.0] kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0\n"}),
     "firmware_disabled", [["Intel Virtualization Technology"], ["disable TXT"]], []),
    # tboot: the kernel is inside TXT; the other way round.
    ("intel-inside-txt-tboot", x86(INTEL, BASE_FLAGS, log="[    0.08] x86/cpu: VMX (inside TXT) disabled by BIOS\n"),
     "firmware_disabled", [["without tboot"], ["VT-x with TXT", "inside SMX"]], ["disable TXT"]),
    # A VMXON fault after boot: the MSR value it prints decides (0x3: only inside SMX).
    ("intel-vmxon-fault-txt-only-snapshot", x86(INTEL, BASE_FLAGS + " vmx", kernel="5.15.0-91-generic",
                                                extra=dict(KVM_INTEL, **{"/dev/kvm": None}),
                                                log="[ 3000.1] VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x3\n"
                                                    "[ 3000.1] kvm: enabling virtualization on CPU0 failed\n"),
     "firmware_disabled", [["disable TXT"], ["outside SMX"]], ["VirtualBox"]),
    ("intel-vmxon-fault-locked-off-snapshot", x86(INTEL, BASE_FLAGS + " vmx", kernel="5.15.0-91-generic",
                                                  extra=dict(KVM_INTEL, **{"/dev/kvm": None}),
                                                  log="[ 3000.1] VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x1\n"
                                                      "[ 3000.1] kvm: enabling virtualization on CPU0 failed\n"),
     "firmware_disabled", [["Intel Virtualization Technology"]], ["TXT", "VirtualBox"]),
    # Another hypervisor holds VT-x while a snapshot's /dev/kvm exists (issue: not 'ok').
    ("snapshot-virtualbox-holds-vtx-5.15", x86(INTEL, BASE_FLAGS + " vmx", kernel="5.15.0-91-generic", extra=dict(
        KVM_INTEL, **{"/dev/kvm": None, "/proc/modules": "vboxnetadp 28672 0 - Live 0x0\nvboxdrv 557056 2 vboxnetadp, Live 0x0\n"}),
        log="[  676.88] kvm: enabling virtualization on CPU11 failed\n[  676.88] kvm: enabling virtualization on CPU0 failed\n"),
     "other_hypervisor", [["VirtualBox"], ["vboxdrv"]], ["BIOS/UEFI setup", "F2", "TXT"]),
    ("snapshot-vmware-holds-svm-6.8", x86(AMD, BASE_FLAGS + " svm", kernel="6.8.0-45-generic", extra=dict(
        KVM_AMD, **{"/dev/kvm": None, "/sys/module/vmmon/initstate": "live\n"}),
        log="[  500.0] kvm: enabling virtualization on CPU3 failed\n"),
     "other_hypervisor", [["VMware"], ["vmmon"]], ["F10", "SVM Mode"]),
    # The line alone: the holder may have stopped since, or be one this check does not know.
    ("snapshot-enable-failed-no-holder", x86(INTEL, BASE_FLAGS + " vmx", kernel="6.5.0-41-generic",
                                             extra=dict(KVM_INTEL, **{"/dev/kvm": None}),
                                             log="[  500.0] kvm: enabling virtualization on CPU0 failed\n"),
     "unknown", [["kvm_check"], ["stopped since"]], ["BIOS/UEFI setup"]),
    # From 6.12 /dev/kvm exists only after a load that turned VT-x on: KVM holds it.
    ("snapshot-6.12-kvm-holds-vtx", x86(INTEL, BASE_FLAGS + " vmx", kernel="6.12.3", extra=dict(
        KVM_INTEL, **{"/dev/kvm": None, "/sys/module/vboxdrv/initstate": "live\n"}),
        log="[   30.0] kvm: enabling virtualization on CPU0 failed\n"), "ok", [], []),
    ("snapshot-6.12-virt-at-load-off", x86(INTEL, BASE_FLAGS + " vmx", kernel="6.12.3", extra=dict(
        KVM_INTEL, **dict(module("kvm", enable_virt_at_load="N"), **{
            "/dev/kvm": None, "/sys/module/vboxdrv/initstate": "live\n"})),
        log="[  300.0] kvm: enabling virtualization on CPU0 failed\n"),
     "other_hypervisor", [["VirtualBox"]], ["BIOS/UEFI setup"]),
    # VMware guest tools are not a hypervisor.
    ("vmware-guest-tools-not-a-hypervisor", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(KVM_INTEL, **{
        "/dev/kvm": None, "/proc/modules": "vmw_vmci 86016 1 - Live 0x0\nvmw_balloon 24576 0 - Live 0x0\n"})),
     "ok", [], []),
    # A module refused for an option value: name it and where it is set (issue: not 'modprobe it').
    ("intel-nested-invalid-modprobe-d", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(module("kvm"), **{
        "/etc/modprobe.d/kvm.conf": "# nested\noptions kvm_intel nested=maybe\n"}),
        log="[   40.0] kvm_intel: `maybe' invalid for parameter `nested'\n"),
     "module_blocked", [["/etc/modprobe.d/kvm.conf"], ["options kvm_intel nested=maybe"], ["nested"]],
     ["BIOS", "echo kvm_intel"]),
    ("amd-npt-invalid-cmdline", x86(AMD, BASE_FLAGS + " svm", extra=dict(module("kvm"), **{
        "/proc/cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro kvm-amd.npt=bogus quiet\n"}),
        log="[    5.0] kvm_amd: `bogus' invalid for parameter `npt'\n"),
     "module_blocked", [["kvm-amd.npt=bogus"], ["GRUB"], ["reboot"]], ["BIOS/UEFI setup"]),
    ("intel-option-invalid-file-unread", x86(INTEL, BASE_FLAGS + " vmx", extra=module("kvm"),
                                             log="[   40.0] kvm_intel: 'Y1' invalid for parameter 'enable_apicv'\n"),
     "module_blocked", [["grep -rn"], ["enable_apicv"]], ["BIOS"]),
    ("kvm-core-option-invalid", x86(INTEL, BASE_FLAGS + " vmx", extra={
        "/usr/lib/modprobe.d/kvm.conf": "options kvm halt_poll_ns=-x\n"},
        log="[   40.0] kvm: `-x' invalid for parameter `halt_poll_ns'\n"),
     "module_blocked", [["/usr/lib/modprobe.d/kvm.conf"], ["halt_poll_ns"]], []),
    # An unknown option is ignored: the module loads.
    ("unknown-option-ignored", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(KVM_INTEL, **{
        "/dev/kvm": None, "/etc/modprobe.d/kvm-intel.conf": "options kvm-intel nested=1 ve_injection=1\n"}),
        log="[   40.0] kvm_intel: unknown parameter 've_injection' ignored\n"), "ok", [], []),
    ("unknown-option-not-loaded", x86(INTEL, BASE_FLAGS + " vmx", extra=module("kvm"),
                                      log="[   40.0] kvm_intel: unknown parameter 've_injection' ignored\n"),
     "module_not_loaded", [["modprobe kvm_intel"]], []),
    # The line is stale once the module is loaded; the other vendor's module says nothing here.
    ("invalid-option-then-loaded", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(KVM_INTEL, **{"/dev/kvm": None}),
                                       log="[   40.0] kvm_intel: `maybe' invalid for parameter `nested'\n"), "ok", [], []),
    # The file now gives the parameter another value: the refusal was of the old one.
    ("invalid-option-corrected-since", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(module("kvm"), **{
        "/etc/modprobe.d/kvm.conf": "options kvm_intel nested=1\n"}),
        log="[   40.0] kvm_intel: `maybe' invalid for parameter `nested'\n"),
     "module_not_loaded", [["modprobe kvm_intel"]], ["nested=maybe"]),
    # Two refusals this boot: the newer one is of the value the file gives now.
    ("invalid-option-refused-twice", x86(AMD, BASE_FLAGS + " svm", extra=dict(module("kvm"), **{
        "/etc/modprobe.d/kvm.conf": "options kvm_amd nested=bogus\n"}),
        log="[   40.0] kvm_amd: `maybe' invalid for parameter `nested'\n"
            "[   90.0] kvm_amd: `bogus' invalid for parameter `nested'\n"),
     "module_blocked", [["nested=bogus"], ["/etc/modprobe.d/kvm.conf"]], ["Load it now"]),
    ("invalid-option-quoted-in-the-file", x86(INTEL, BASE_FLAGS + " vmx", extra=dict(module("kvm"), **{
        "/etc/modprobe.d/kvm.conf": "options kvm_intel nested=\"maybe\"\n"}),
        log="[   40.0] kvm_intel: `maybe' invalid for parameter `nested'\n"),
     "module_blocked", [["/etc/modprobe.d/kvm.conf"]], []),
    ("invalid-option-other-vendor", x86(INTEL, BASE_FLAGS + " vmx", extra=module("kvm"),
                                        log="[   40.0] kvm_amd: `2' invalid for parameter `nested'\n"),
     "module_not_loaded", [["modprobe kvm_intel"]], []),
    # arm64: EL2 is told by the kernel log, KVM is usually built in.
    ("arm64-el2-usable", arm("[    0.1] CPU: All CPU(s) started at EL2\n[    0.5] kvm [1]: VHE mode initialized successfully\n",
                             extra=dict(module("kvm", builtin=True), **{"/dev/kvm": None})), "ok", [], []),
    ("arm64-el1-bare-metal", arm("[    0.1] CPU: All CPU(s) started at EL1\n[    0.5] kvm [1]: HYP mode not available\n",
                                 extra=module("kvm", builtin=True)),
     "firmware_disabled", [["EL2"], ["firmware", "boot loader"]], ["SVM", "VT-x"]),
    ("arm64-vm-no-nested", arm("[    0.1] CPU: All CPU(s) started at EL1\n[    0.5] kvm [1]: HYP mode not available\n",
                               dmi=QEMU_DMI),
     "nested_not_exposed", [["parent"]], ["BIOS/UEFI setup"]),
    ("arm64-el2-hyp-init-failed", arm("[    0.1] CPU: All CPU(s) started at EL2\n"
                                      "[    0.6] kvm [1]: error initializing Hyp mode: -12\n",
                                      extra=module("kvm", builtin=True)),
     "unknown", [["kvm-arm.mode=nvhe"], ["firmware"]], ["SVM"]),
    ("arm64-inconsistent-modes", arm("[    0.1] CPU: CPUs started in inconsistent modes\n"),
     "firmware_disabled", [["EL2"]], []),
    ("s390x-kvm-says-no-sie", {"/proc/sys/kernel/arch": "s390x\n", "/proc/sysinfo": "VM00 Control Program: z/VM    7.2.0\n",
                               "/var/log/dmesg": "[    0.0] Linux version 6.1.0\n[ 3.0] kvm-s390: SIE is not available\n"},
     "nested_not_exposed", [["z/VM"]], ["BIOS/UEFI setup"]),
    ("riscv64-sbi-too-old", {"/proc/sys/kernel/arch": "riscv64\n",
                             "/proc/cpuinfo": "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdch_zicsr\n",
                             "/var/log/dmesg": "[ 0.0] Linux version 6.6.0\n[ 1.0] kvm [1]: require SBI v0.2 or higher\n"},
     "firmware_disabled", [["OpenSBI"]], ["F2"]),
    ("ppc64le-kvm-hv-no-tlbie", {"/proc/sys/kernel/arch": "ppc64le\n",
                                 "/proc/cpuinfo": PPC_CPUINFO % ("PowerNV", "9006-22P"),
                                 "/var/log/dmesg": "[ 0.0] Linux version 6.6.0\n[ 2.0] KVM-HV: Host does not support TLBIE\n"},
     "kernel_disabled", [["kvm_pr"], ["disable_tlbie"]], ["F2"]),
    ("arm64-kvm-arm-mode-none", arm("[    0.1] CPU: All CPU(s) started at EL2\n", cmdline="root=/dev/vda kvm-arm.mode=none"),
     "kernel_disabled", [["kvm-arm.mode=none"]], []),
    ("s390x-lpar-usable", {"/proc/sys/kernel/arch": "s390x\n", "/proc/cpuinfo": S390_CPUINFO,
                           "/proc/sysinfo": "Type: 8561\nLPAR Name: LP01\n", "/dev/kvm": None,
                           "/sys/module/kvm/initstate": "live\n"}, "ok", [], []),
    ("s390x-zvm-guest-without-sie", {"/proc/sys/kernel/arch": "s390x\n",
                                     "/proc/cpuinfo": S390_CPUINFO.replace(" sie", ""),
                                     "/proc/sysinfo": "VM00 Control Program: z/VM    7.2.0\n"},
     "nested_not_exposed", [["z/VM"], ["LPAR"]], ["BIOS/UEFI setup"]),
    ("ppc64le-powernv-usable", {"/proc/sys/kernel/arch": "ppc64le\n",
                                "/proc/cpuinfo": PPC_CPUINFO % ("PowerNV", "9006-22P"), "/dev/kvm": None,
                                "/sys/module/kvm_hv/initstate": "live\n", "/sys/module/kvm/initstate": "live\n"},
     "ok", [], []),
    ("ppc64le-powernv-kvm-hv-not-loaded", {"/proc/sys/kernel/arch": "ppc64le\n",
                                           "/proc/cpuinfo": PPC_CPUINFO % ("PowerNV", "9006-22P")},
     "module_not_loaded", [["kvm_hv"]], []),
    ("ppc64le-powervm-lpar", {"/proc/sys/kernel/arch": "ppc64le\n",
                              "/proc/cpuinfo": PPC_CPUINFO % ("pSeries", "IBM,9009-42A")},
     "nested_not_exposed", [["PowerNV"]], ["BIOS/UEFI setup"]),
    ("riscv64-h-usable", {"/proc/sys/kernel/arch": "riscv64\n",
                          "/proc/cpuinfo": "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdch_zicsr_zifencei\nmmu\t\t: sv48\n",
                          "/dev/kvm": None, "/sys/module/kvm/initstate": "live\n"}, "ok", [], []),
    ("riscv64-no-h", {"/proc/sys/kernel/arch": "riscv64\n",
                      "/proc/cpuinfo": "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdc_zicsr\nmmvendorid\t: 0x489\n"},
     "cpu_unsupported", [["RISC-V H"]], []),
    ("unknown-architecture", {"/proc/sys/kernel/arch": "loongarch64\n", "/proc/cpuinfo": "system type : generic\n"},
     "unknown", [["loongarch64"]], []),
]


# Every reason that a file can show, on each architecture other than x86: the host as its
# architecture shows KVM available (``ready``), then one thing changed.
EL2 = "[    0.1] CPU: All CPU(s) started at EL2\n"
READY = {
    "aarch64": (arm(EL2), "kvm"),
    "s390x": ({"/proc/sys/kernel/arch": "s390x\n", "/proc/cpuinfo": S390_CPUINFO,
               "/proc/sysinfo": "Type: 8561\nLPAR Name: LP01\n"}, "kvm"),
    "ppc64le": ({"/proc/sys/kernel/arch": "ppc64le\n", "/proc/cpuinfo": PPC_CPUINFO % ("PowerNV", "9006-22P")}, "kvm_hv"),
    "riscv64": ({"/proc/sys/kernel/arch": "riscv64\n",
                 "/proc/cpuinfo": "processor\t: 0\nhart\t\t: 0\nisa\t\t: rv64imafdch_zicsr_zifencei\n"}, "kvm"),
}


def _arch_case(arch, change):
    files, module_name = READY[arch]
    files = dict(files)
    loaded = dict(module("kvm"), **module(module_name)) if module_name != "kvm" else module("kvm")
    if change == "ok":
        files.update(loaded, **{"/dev/kvm": None})
    elif change == "device_missing":
        files.update(loaded, **{"/.dockerenv": None})
    elif change == "kernel_disabled":
        files["/proc/cmdline"] = "root=/dev/sda2 module_blacklist=%s\n" % module_name
    elif change == "module_blocked":
        files["/etc/modprobe.d/local.conf"] = "install %s /bin/false\n" % module_name
    elif change == "unknown":
        files.pop("/proc/cpuinfo")
        files.pop("/var/log/dmesg", None)
    return files


ARCH_CASES = [(arch, change) for arch in sorted(READY)
              for change in ("ok", "module_not_loaded", "device_missing", "kernel_disabled", "module_blocked", "unknown")]


@pytest.mark.parametrize("arch,reason", ARCH_CASES, ids=["%s-%s" % c for c in ARCH_CASES])
def test_each_reason_on_each_architecture(tmp_path, arch, reason):
    facts = gather(write_host(tmp_path, _arch_case(arch, reason)))
    assert facts["reason"] == reason, facts["evidence"]
    assert facts["arch"] == arch
    if reason != "ok":
        for word in ("VT-x", "SVM Mode", "F2"):
            assert word not in facts["remediation"]


@pytest.mark.parametrize("name,files,reason,mentions,never", CASES, ids=[c[0] for c in CASES])
def test_verdict(tmp_path, name, files, reason, mentions, never):
    facts = gather(write_host(tmp_path, files))
    assert facts["reason"] == reason, facts["evidence"]
    assert facts["usable"] is (reason == "ok")
    assert (facts["remediation"] == "") is (reason == "ok")
    for group in mentions:
        assert any(word.lower() in facts["remediation"].lower() for word in group), (group, facts["remediation"])
    for word in never:
        assert word.lower() not in facts["remediation"].lower(), (word, facts["remediation"])
    assert facts["evidence"][-1]["source"] == "verdict"


def observations(**changes):
    """An x86 bare-metal Intel host with vmx shown and nothing else, changed by ``changes``."""
    base = Observations(
        arch="x86_64", kernel="6.1.0", kernel_version=(6, 1),
        cpu=Cpu("intel", "Intel(R) Xeon(R)", "vmx", True, frozenset(["vmx"]), None, None, 4),
        modules=("kvm", "kvm_intel"), device=Device(False, None, None, None), probed=False, probe_error=None,
        guest=Guest(False, None, None), log=KernelLog((), None, True, True), blocks=(),
        raw=Raw(None, None, False, False), others=(), user=None)
    return base._replace(**changes)


def test_a_refused_option_nothing_sets_any_more_is_not_blocking_on_the_live_host():
    """Live, no modprobe.d file or command line sets the refused value now (corrected, or typed
    once to modprobe): the module is merely not loaded, so the role may load it. A snapshot
    cannot tell, and names the parameter."""
    line = LogLine("module_param_invalid_value", "option_rejected", "kvm_intel: `maybe' invalid for parameter `nested'", None)
    host = observations(modules=("kvm",), log=KernelLog((line,), None, True, True))
    assert decide(host).reason == "module_blocked"
    assert decide(host._replace(live=True)).reason == "module_not_loaded"


@pytest.mark.parametrize("msr,virtualized,reason", [
    ("0x4", False, "unknown"),      # unlocked: the firmware's setting was lost (resume)
    ("0x5", False, "ok"),           # locked with VT-x on: not a lost setting, not the firmware
    ("0x5", True, "nested_not_exposed"),  # a VM: the parent's nested VMX
    ("0x4", True, "nested_not_exposed"),
])
def test_a_vmxon_fault_is_a_lost_setting_only_with_the_msr_unlocked(msr, virtualized, reason):
    line = LogLine("x86_vmxon_faulted", "enable_failed", "VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = %s" % msr, None)
    guest = Guest(True, "kvm", None) if virtualized else Guest(False, None, None)
    result = decide(observations(device=Device(True, None, None, None), guest=guest,
                                 log=KernelLog((line,), None, True, True)))
    assert result.reason == reason, result
    assert "BIOS/UEFI setup" not in result.remediation
    if reason == "unknown":
        assert "resume" in result.remediation


def test_every_reason_has_a_case():
    assert set(REASONS) - {c[2] for c in CASES} == {"device_inaccessible"}
    # device_inaccessible needs the live probe or capture-host's records (the fixtures
    # github-runner-not-in-kvm, rootless-podman-kvm-gid-unmapped); decide() is fed what the probe saw.
    result = decide(observations(probed=True, user="alice", device=Device(True, False, None, None)))
    assert (result.usable, result.reason) == (False, "device_inaccessible")
    assert "usermod -aG kvm alice" in result.remediation


def test_a_live_refusal_the_mode_does_not_explain_points_past_the_permissions():
    """The mode lets the user in and the open is refused anyway: a device cgroup or a security module."""
    device = Device(True, False, None, None, 0, "root", 109, "kvm", "0666", "10:232", False)
    result = decide(observations(probed=True, user="alice", device=device,
                                 access=Access(True, "others may read and write it", False, True, False)))
    assert result.reason == "device_inaccessible"
    assert "root:kvm 0666" in result.remediation and "SELinux" in result.remediation
    assert "usermod" not in result.remediation and "--device" not in result.remediation
    in_docker = decide(observations(probed=True, user="alice", device=device, guest=Guest(True, "kvm", "docker"),
                                    access=Access(True, "others may read and write it", False, True, False)))
    assert "device cgroup" in in_docker.remediation and "--device /dev/kvm" in in_docker.remediation


def test_live_probe_outweighs_flags():
    """A created VM settles it even when no flag or module says KVM could work."""
    result = decide(observations(
        cpu=Cpu("amd", None, "svm", False, frozenset(), None, None, 2), modules=(), probed=True,
        guest=Guest(True, "kvm", None), device=Device(True, True, 12, True)))
    assert (result.usable, result.reason, result.remediation) == (True, "ok", "")


def test_probe_failure_is_not_reported_usable():
    result = decide(observations(probed=True, probe_error="KVM_CREATE_VM failed: Device or resource busy",
                                 device=Device(True, True, 12, False)))
    assert (result.usable, result.reason) == (False, "unknown")
    assert "Device or resource busy" in result.remediation
    assert "vbox" in result.remediation  # the command that tells the two causes apart


def test_probe_failure_beside_another_hypervisor():
    result = decide(observations(probed=True, probe_error="KVM_CREATE_VM failed: Device or resource busy",
                                 device=Device(True, True, 12, False), others=("virtualbox",)))
    assert result.reason == "other_hypervisor"
    assert "VirtualBox" in result.remediation and "BIOS/UEFI" not in result.remediation


@pytest.mark.parametrize("raw,reason,words", [
    (Raw(True, None, True, False), "firmware_disabled", ["F2"]),
    (Raw(False, None, True, False), "cpu_unsupported", ["does not have"]),
    (Raw(None, "disabled", False, True), "firmware_disabled", ["Intel Virtualization Technology"]),
    (Raw(True, "txt_only", True, True), "firmware_disabled", ["disable TXT", "outside SMX"]),
    # Raw CPUID has VT-x and the MSR is not readable: VT-x off, or on only inside TXT.
    (Raw(True, None, True, False), "firmware_disabled", ["Intel Virtualization Technology", "disable TXT"]),
])
def test_raw_cpuid_and_msr_settle_it(raw, reason, words):
    """Kernel 5.6+ hides the flag; raw CPUID and the firmware's MSR tell firmware from hardware."""
    result = decide(observations(
        cpu=Cpu("intel", "Intel(R) Xeon(R)", "vmx", False, frozenset(), None, None, 4), modules=("kvm",),
        log=KernelLog((), None, False, False), raw=raw))
    assert result.reason == reason
    assert all(word in result.remediation for word in words), result.remediation
    assert "CPUID" in result.settled_by or "MSR" in result.settled_by


def test_firmware_line_in_a_vm_is_the_parents_business():
    line = LogLine("x86_featctl_vmx_outside_txt", "firmware_disabled", "x86/cpu: VMX (outside TXT) disabled by BIOS", None)
    result = decide(observations(cpu=Cpu("intel", None, "vmx", False, frozenset(["hypervisor"]), None, None, 2),
                                 guest=Guest(True, "vmware", None), log=KernelLog((line,), "vmware", True, True)))
    assert result.reason == "nested_not_exposed" and "vhv.enable" in result.remediation


def test_guest_and_container_identifiers(tmp_path):
    files = x86(INTEL, BASE_FLAGS + " hypervisor vmx", dmi=QEMU_DMI,
                log="[    0.0] Hypervisor detected: KVM\n",
                extra=dict(KVM_INTEL, **{"/dev/kvm": None, "/proc/1/cgroup": "0::/lxc.payload.web/init.scope\n"}))
    facts = gather(write_host(tmp_path, files))
    # QEMU in DMI with the KVM CPUID signature is KVM, as systemd-detect-virt says.
    assert facts["guest"] == {"virtualized": True, "hypervisor": "kvm", "container": "lxc", "wsl": None,
                              "confidential": None}
    assert facts["nested"] == {"enabled": True, "module": "kvm_intel", "set_by": []}
    assert facts["usable"] is True


def test_power_guest_hypervisor(tmp_path):
    """A pSeries machine line naming QEMU is a KVM guest; without it, a PowerVM LPAR."""
    cpuinfo = PPC_CPUINFO % ("pSeries", "IBM pSeries (emulated by qemu)") + "machine\t\t: CHRP IBM pSeries (emulated by qemu)\n"
    facts = gather(write_host(tmp_path, {"/proc/sys/kernel/arch": "ppc64le\n", "/proc/cpuinfo": cpuinfo}))
    assert (facts["guest"]["hypervisor"], facts["reason"]) == ("kvm", "nested_not_exposed")


@pytest.mark.parametrize("name,guest", [
    ("wsl2-without-nesting", {"virtualized": True, "hypervisor": "microsoft", "container": None, "wsl": 2,
                              "confidential": None}),
    ("docker-in-wsl2", {"virtualized": True, "hypervisor": "microsoft", "container": "docker", "wsl": 2,
                        "confidential": None}),
    ("wsl1", {"virtualized": True, "hypervisor": "microsoft", "container": None, "wsl": 1, "confidential": None}),
    ("sev-snp-guest-svm-shown", {"virtualized": True, "hypervisor": "kvm", "container": None, "wsl": None,
                                 "confidential": "sev-snp"}),
    ("tdx-guest", {"virtualized": True, "hypervisor": "qemu", "container": None, "wsl": None, "confidential": "tdx"}),
    ("sev-host-usable", {"virtualized": False, "hypervisor": None, "container": None, "wsl": None,
                         "confidential": None}),
])
def test_wsl_and_confidential_guests(tmp_path, name, guest):
    files = next(c[1] for c in CASES if c[0] == name)
    facts = gather(write_host(tmp_path, files))
    assert facts["guest"] == guest


def test_live_probe_failure_after_a_vmxon_fault_is_the_firmware():
    """KVM_CREATE_VM failed and VMXON faulted with the MSR locked, VMX only inside SMX: TXT, not 'unknown'."""
    line = LogLine("x86_vmxon_faulted", "enable_failed", "VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x3", None)
    result = decide(observations(probed=True, probe_error="KVM_CREATE_VM failed: Input/output error",
                                 device=Device(True, True, 12, False), log=KernelLog((line,), None, True, True)))
    assert result.reason == "firmware_disabled"
    assert "disable TXT" in result.remediation and "outside SMX" in result.remediation


def test_live_probe_failure_beside_virtualbox_names_it_never_the_bios():
    line = LogLine("kvm_enabling_virtualization_failed", "enable_failed", "kvm: enabling virtualization on CPU0 failed", None)
    result = decide(observations(probed=True, probe_error="KVM_CREATE_VM failed: Device or resource busy",
                                 device=Device(True, True, 12, False), others=("virtualbox",),
                                 log=KernelLog((line,), None, True, True)))
    assert result.reason == "other_hypervisor" and "vboxdrv" in result.remediation
    assert "BIOS/UEFI setup" not in result.remediation


@pytest.mark.parametrize("kernel,reason", [("5.15.0-91-generic", "unknown"), ("6.12.3", "ok")])
def test_snapshot_beside_virtualbox_without_a_log(tmp_path, kernel, reason):
    """Without the kernel log nothing says whose turn it was before 6.12; from 6.12 KVM holds it."""
    files = x86(INTEL, BASE_FLAGS + " vmx", kernel=kernel, log=None,
                extra=dict(KVM_INTEL, **{"/dev/kvm": None, "/proc/modules": "vboxdrv 557056 0 - Live 0x0\n"}))
    facts = gather(write_host(tmp_path, files))
    assert facts["reason"] == reason
    if reason == "unknown":
        assert "vboxdrv" in facts["remediation"] and "BIOS/UEFI setup" not in facts["remediation"]


def test_vmxon_fault_with_the_msr_unlocked_is_the_lost_setting_not_another_hypervisor(tmp_path):
    """After a resume the MSR reads unlocked (0x4): not the firmware's TXT, not VirtualBox."""
    files = x86(INTEL, BASE_FLAGS + " vmx", kernel="5.7.0-rc6+", extra=dict(KVM_INTEL, **{"/dev/kvm": None}),
                log="[  227.715176] VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x4\n"
                    "[  227.715299] kvm: enabling virtualization on CPU0 failed\n")
    facts = gather(write_host(tmp_path, files))
    assert facts["reason"] == "unknown"
    assert "resume" in facts["remediation"] and "0x4" in facts["remediation"]
    assert "TXT" not in facts["remediation"] and "VirtualBox" not in facts["remediation"]
