# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel's own words about KVM, with the versions that print them: data, not code.

Each row of ``MESSAGES`` is one wording of one kernel message that says why KVM cannot
run (or a fact that decides it): the literal ``text`` every matching line contains, a
linear ``pattern`` searched in the line once ``text`` was found, the ``finding`` the line
supports, and the kernel versions that print exactly this wording (``first`` ..
``last``; ``last`` is None when 6.18 still prints it).

Conventions the parser and the verdict can rely on:

* ``text`` is case-sensitive and is found in the line as the kernel prints it, prefix
  excluded where the prefix varied (pr_fmt changed, or s390 message ids).  ``pattern``
  includes the prefix only where it tells two rows apart (e.g. ``kvm_amd:`` vs. the
  unprefixed arch/x86/kernel/cpu/amd.c line).
* ``sample`` is one line as printed, prefix included, dmesg timestamp excluded.
* ``vendor`` names the vendor extension the message belongs to (kvm_intel/VMX ->
  "intel", kvm_amd/SVM -> "amd"), not necessarily the host CPU's vendor: the
  ``wrong_module`` rows are, by nature, printed on the *other* vendor's CPU.
  feat_ctl rows are "intel" but Centaur/Zhaoxin CPUs run the same code.
* ``first``/``last`` are kernel.org release versions.  Where a ``source`` says "not
  pinned" the boundary is a bracket from files or logs that were read, not a commit.
  Distribution kernels backport: treat versions as "upstream says", never as proof.
* Several messages live in modules (kvm, kvm_intel, kvm_amd, kvm-hv): they are printed
  on each load attempt (modprobe, udev, systemd-modules-load), so they repeat.  Boot-time
  lines (feat_ctl, amd.c, hypervisor.c, arm64 smp.c, built-in arm64 KVM) print once.

The look-ups at the end (``message_row``, ``message_fields``, ``printed_by``,
``behaviour_since``) are the only code: they answer questions about the table.
"""

import re

# Findings a row can support (the parser reports these; the verdict weighs them with context):
FINDINGS = {
    "firmware_disabled": "firmware (BIOS/UEFI) turned the extension off",
    "firmware_disabled_txt": "firmware enabled VT-x only inside TXT (SMX): TXT must be named in the fix",
    "cpu_unsupported": "the CPU lacks the extension",
    "cpu_unsupported_or_firmware": "the CPU lacks it, or (where the context says) firmware turned it off",
    "wrong_module": "the other vendor's module was tried (e.g. kvm_intel on AMD): says nothing about this CPU",
    "enable_failed": "enabling virtualization on a CPU failed: another hypervisor may hold VT-x/AMD-V",
    "el2": "arm64: every CPU entered the kernel at EL2, so KVM can own the hypervisor level",
    "el1": "arm64: every CPU entered the kernel at EL1: firmware/bootloader or a parent hypervisor kept EL2",
    "el_mismatch": "arm64: CPUs entered at different exception levels (firmware bug): KVM will not initialise",
    "hyp_unavailable": "the hypervisor mode/extension KVM needs (EL2, RISC-V H, s390 SIE) is not available to this kernel",
    "kvm_initialized": "KVM initialised on this kernel (the line names the mode)",
    "kvm_disabled_cmdline": "KVM turned off from the kernel command line",
    "hypervisor": "the kernel runs under a hypervisor (the line names it)",
    # A confidential guest's memory and state are hidden from its hypervisor; KVM cannot run in it.
    "confidential_guest": "the kernel runs as a confidential guest (AMD SEV, SEV-ES, SEV-SNP or Intel TDX)",
    # Added for real messages below:
    # RISC-V prints that the H extension is present before it probes the rest; KVM may still
    # fail after it (SBI too old), so this is weaker than kvm_initialized.
    "hyp_available": "the hypervisor extension is present (not yet proof that KVM initialised)",
    # RISC-V KVM refuses to load when the SBI firmware is too old or lacks RFENCE.
    "firmware_unsupported": "the firmware (e.g. RISC-V SBI) is too old or lacks an interface KVM needs",
    # kvm_main.c: /dev/kvm could not be registered; the CPU is not the cause.
    "kvm_init_failed": "KVM's generic initialisation failed for a reason unrelated to CPU support",
    # powerpc book3s_hv: the CPU has HV mode but the host platform/kernel setup rules KVM-HV out.
    "platform_unsupported": "the host platform or kernel configuration rules KVM out although the CPU has the extension",
    # feat_ctl.c says which side of TXT the kernel is on: booted through tboot, VMX is needed inside SMX.
    "firmware_disabled_in_txt": "the kernel started through tboot (inside TXT) and the firmware left VMX off inside SMX",
    # kernel/params.c: a module whose parameter value does not parse is not loaded at all.
    "option_rejected": "a module refused to load: a value given to one of its parameters is invalid (names module, value, parameter)",
    # kernel/module: an unknown parameter is warned about and ignored; the module loads.
    "option_ignored": "a module ignored a parameter it does not know and loaded anyway",
}

MESSAGES = (
    # ------------------------------------------------------------------ x86: kvm.ko (x86.c)
    {
        "id": "x86_kvm_no_hardware_support",
        "text": "kvm: no hardware support",
        "pattern": r"kvm: no hardware support(?! for)",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": None,
        "first": "3.10",
        "last": "5.15",
        "file": "arch/x86/kvm/x86.c",
        "source": ("arch/x86/kvm/x86.c kvm_arch_init() as changed by commit 9dadfc4a6145 (KVM: x86: Add vendor name to "
                   "kvm_x86_ops, use it for error messages), v5.16, which replaced this wording"),
        "sample": "kvm: no hardware support",
        "context": ("Printed when the vendor module's cpu_has_kvm_support() fails: for kvm_intel the raw CPUID VMX bit is "
                    "absent, for kvm_amd has_svm() failed and printed a 'has_svm: ...' line just before; on the other "
                    "vendor's CPU (kvm_intel on AMD, kvm_amd on Intel) it means wrong_module; under a hypervisor it means "
                    "nested virtualization is not offered."),
    },
    {
        "id": "x86_kvm_disabled_by_bios",
        "text": "kvm: disabled by bios",
        "pattern": r"kvm: disabled by bios",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": None,
        "first": "3.10",
        "last": "5.15",
        "file": "arch/x86/kvm/x86.c",
        "source": ("arch/x86/kvm/x86.c kvm_arch_init() as changed by commit 9dadfc4a6145 (KVM: x86: Add vendor name to "
                   "kvm_x86_ops, use it for error messages), v5.16"),
        "sample": "kvm: disabled by bios",
        "context": ("Intel: IA32_FEATURE_CONTROL locked without VMX for the current mode; if the kernel booted under "
                    "tboot/TXT (or the feat_ctl line says 'inside TXT') it is firmware_disabled_txt. From 5.6 the Intel "
                    "check is the X86_FEATURE_VMX flag that feat_ctl.c clears, so the 'x86/cpu: VMX (... TXT) disabled by "
                    "BIOS' line names the mode. AMD: VM_CR.SVMDIS set."),
    },
    {
        "id": "x86_kvm_no_hardware_support_for_module",
        "text": "kvm: no hardware support for '",
        "pattern": r"kvm: no hardware support for '(?P<module>kvm_intel|kvm_amd)'",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": None,
        "first": "5.16",
        "last": "6.2",
        "file": "arch/x86/kvm/x86.c",
        "source": ("commit 9dadfc4a6145 (KVM: x86: Add vendor name to kvm_x86_ops, use it for error messages), v5.16; "
                   "removed by commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code), v6.3"),
        "sample": "kvm: no hardware support for 'kvm_intel'",
        "context": ("The quoted module names the extension that is missing: 'kvm_intel' on an AMD/Hygon CPU or 'kvm_amd' "
                    "on an Intel/Zhaoxin CPU means wrong_module; on the matching vendor it means the (virtual) CPU lacks "
                    "VMX/SVM."),
    },
    {
        "id": "x86_kvm_support_disabled_by_bios",
        "text": "disabled by bios",
        "pattern": r"kvm: support for '(?P<module>kvm_intel|kvm_amd)' disabled by bios",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": None,
        "first": "5.16",
        "last": "6.2",
        "file": "arch/x86/kvm/x86.c",
        "source": ("commit 9dadfc4a6145 (KVM: x86: Add vendor name to kvm_x86_ops, use it for error messages), v5.16; "
                   "removed by commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code), v6.3"),
        "sample": "kvm: support for 'kvm_amd' disabled by bios",
        "context": "For 'kvm_intel' the TXT distinction comes from the feat_ctl line ('inside TXT' means firmware_disabled_txt).",
    },
    {
        "id": "x86_kvm_already_loaded_other_module",
        "text": "kvm: already loaded the other module",
        "pattern": r"kvm: already loaded the other module",
        "finding": "wrong_module",
        "arch": "x86",
        "vendor": None,
        "first": "3.10",
        "last": "5.15",
        "file": "arch/x86/kvm/x86.c",
        "source": ("arch/x86/kvm/x86.c kvm_arch_init() as changed by commit 9dadfc4a6145 (KVM: x86: Add vendor name to "
                   "kvm_x86_ops, use it for error messages), v5.16"),
        "sample": "kvm: already loaded the other module",
        "context": "One vendor module is already loaded and working; the second one was refused. Not a fault of the CPU.",
    },
    {
        "id": "x86_kvm_already_loaded_vendor_module",
        "text": "kvm: already loaded vendor module '",
        "pattern": r"kvm: already loaded vendor module '(?P<module>kvm_intel|kvm_amd)'",
        "finding": "wrong_module",
        "arch": "x86",
        "vendor": None,
        "first": "5.16",
        "last": None,
        "file": "arch/x86/kvm/x86.c",
        "source": ("commit 9dadfc4a6145 (KVM: x86: Add vendor name to kvm_x86_ops, use it for error messages), v5.16; "
                   "since commit 8d20bd638167 (KVM: x86: Unify pr_fmt to use module name for all KVM modules), v6.3, the "
                   "'kvm: ' comes from pr_fmt, same output"),
        "sample": "kvm: already loaded vendor module 'kvm_intel'",
        "context": ("The quoted module is the one already loaded. Since 6.3 the vendor module checks its own CPU support "
                    "first, so on real hardware the other vendor's module fails earlier ('CPU N isn't AMD or Hygon' / "
                    "'VMX not supported by CPU N') and this line is rare."),
    },
    # ------------------------------------------------------------------ x86: kvm_intel (vmx.c)
    {
        "id": "x86_vmx_not_supported_by_cpu",
        "text": "VMX not supported by CPU ",
        "pattern": r"VMX not supported by CPU \d+",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": "intel",
        "first": "6.3",
        "last": None,
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code) with wording from "
                   "commit c82a5c5c53c5 (KVM: x86: Do compatibility checks when onlining CPU), prefix from commit "
                   "8d20bd638167 (KVM: x86: Unify pr_fmt to use module name for all KVM modules), all v6.3"),
        "sample": "kvm_intel: VMX not supported by CPU 0",
        "context": ("The check is the raw CPUID.1:ECX.VMX bit: on an AMD/Hygon CPU this is wrong_module (kvm_intel tried "
                    "on AMD); on Intel/Zhaoxin it means the (virtual) CPU has no VMX, e.g. a guest whose hypervisor does "
                    "not offer nested virtualization."),
    },
    {
        "id": "x86_vmx_not_enabled_by_bios_feat_ctl",
        "text": "VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU ",
        "pattern": r"VMX not enabled \(by BIOS\) in MSR_IA32_FEAT_CTL on CPU \d+",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": "intel",
        "first": "6.3",
        "last": None,
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code) with wording from "
                   "commit c82a5c5c53c5 (KVM: x86: Do compatibility checks when onlining CPU), v6.3"),
        "sample": "kvm_intel: VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU 0",
        "context": ("CPUID has VMX but the kernel cleared X86_FEATURE_VMX (feat_ctl.c): firmware locked "
                    "IA32_FEATURE_CONTROL without VMX; if feat_ctl said 'inside TXT' it is firmware_disabled_txt. Under a "
                    "hypervisor that advertises VMX but not a usable IA32_FEATURE_CONTROL MSR (feat_ctl's RDMSR fails) it "
                    "is printed too: then it is the parent hypervisor, not firmware."),
    },
    {
        "id": "x86_vmx_disabled_on_cpu",
        "text": "kvm: VMX is disabled on CPU ",
        "pattern": r"kvm: VMX is disabled on CPU \d+",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": "intel",
        "first": "5.6",
        "last": "6.2",
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("commit ff10e22e65f2 (KVM: VMX: Check for full VMX support when verifying CPU compatibility), v5.6 "
                   "(tip x86/cpu); replaced by 'VMX not enabled (by BIOS) in MSR_IA32_FEAT_CTL on CPU %d' in v6.3 "
                   "(commits d41931324975, c82a5c5c53c5)"),
        "sample": "kvm: VMX is disabled on CPU 3",
        "context": ("Per-CPU compatibility check at kvm_intel load, reached only after the boot CPU passed 'disabled by "
                    "bios': firmware left VMX off (IA32_FEATURE_CONTROL) on some CPUs but not all - a firmware bug, often "
                    "after suspend/resume or a partial BIOS update."),
    },
    {
        "id": "x86_vmxon_faulted",
        "text": "VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x",
        "pattern": r"VMXON faulted, MSR_IA32_FEAT_CTL \(0x3a\) = (?P<msr>0x[0-9a-f]+)",
        "finding": "enable_failed",
        "arch": "x86",
        "vendor": "intel",
        "first": "5.7",
        "last": None,
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": "commit 4f6ea0a87608 (KVM: VMX: Gracefully handle faults on VMXON), v5.7",
        "sample": "VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x1",
        "context": ("A WARN_ONCE (inside a 'WARNING: CPU: N ...' splat, no module prefix) followed by 'kvm: enabling "
                    "virtualization on CPUn failed': VMXON itself faulted, typically IA32_FEATURE_CONTROL lost VMX (bit "
                    "2, 0x4) e.g. firmware resetting it on resume; the hex value decides (0x1 = locked, VMX off -> "
                    "firmware). Another hypervisor holding VT-x does not reach VMXON: it fails earlier on CR4.VMXE "
                    "without this line."),
    },
    {
        "id": "x86_vmx_disable_txt_or_activate_txt",
        "text": "disable TXT in the BIOS or activate TXT before enabling KVM",
        "pattern": r"disable TXT in the BIOS or activate TXT before enabling KVM",
        "finding": "firmware_disabled_txt",
        "arch": "x86",
        "vendor": "intel",
        "first": "3.10",
        "last": "5.5",
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("vmx_disabled_by_bios() in arch/x86/kvm/vmx.c (arch/x86/kvm/vmx/vmx.c from the v4.20 move): "
                   "printk(KERN_WARNING \"kvm: disable TXT in the BIOS or activate TXT before enabling KVM\\n\"), pr_warn() "
                   "with the same literal in 5.x; removed by commit a4d0b2fdbcf7 (KVM: VMX: Use VMX feature flag to query "
                   "BIOS enabling), v5.6, where feat_ctl.c's 'VMX (outside TXT) disabled by BIOS' takes its place"),
        "sample": "kvm: disable TXT in the BIOS or activate TXT before enabling KVM",
        "context": ("Printed at each kvm_intel load, just before 'kvm: disabled by bios': IA32_FEATURE_CONTROL is locked "
                    "with VMX allowed only inside SMX (bit 1 set, bit 2 clear) and the kernel did not start through "
                    "tboot. The 'kvm: ' is part of the literal; the pattern does not require it (distribution "
                    "backports print it under other prefixes)."),
    },
    # ------------------------------------------------------------------ x86: boot-time feat_ctl
    {
        "id": "x86_featctl_vmx_outside_txt",
        "text": "VMX (outside TXT) disabled by BIOS",
        "pattern": r"VMX \(outside TXT\) disabled by BIOS",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": "intel",
        "first": "5.6",
        "last": None,
        "file": "arch/x86/kernel/cpu/feat_ctl.c",
        "source": ("commit ef4d3bf19855 (x86/cpu: Clear VMX feature flag if VMX is not fully enabled), v5.6; gated on "
                   "CONFIG_KVM_INTEL by commit bb02e2cb715a (x86/cpu: Print \"VMX disabled\" error message iff KVM is "
                   "enabled), v5.6"),
        "sample": "x86/cpu: VMX (outside TXT) disabled by BIOS",
        "context": "Printed once at boot (pr_err_once) and only when the kernel has CONFIG_KVM_INTEL; Centaur/Zhaoxin CPUs run the same code.",
    },
    {
        "id": "x86_featctl_vmx_inside_txt",
        "text": "VMX (inside TXT) disabled by BIOS",
        "pattern": r"VMX \(inside TXT\) disabled by BIOS",
        "finding": "firmware_disabled_in_txt",
        "arch": "x86",
        "vendor": "intel",
        "first": "5.6",
        "last": None,
        "file": "arch/x86/kernel/cpu/feat_ctl.c",
        "source": ("commit ef4d3bf19855 (x86/cpu: Clear VMX feature flag if VMX is not fully enabled), v5.6; gated on "
                   "CONFIG_KVM_INTEL by commit bb02e2cb715a (x86/cpu: Print \"VMX disabled\" error message iff KVM is "
                   "enabled), v5.6"),
        "sample": "x86/cpu: VMX (inside TXT) disabled by BIOS",
        "context": ("The kernel booted through tboot (TXT/SMX) and firmware enabled VMX only outside SMX: the fix is the "
                    "'VT-x with TXT' firmware option or booting without tboot. Printed once at boot, only with "
                    "CONFIG_KVM_INTEL."),
    },
    # ------------------------------------------------------------------ x86: kvm_amd (svm.c) before 6.3
    {
        "id": "x86_has_svm_not_amd",
        "text": "has_svm: not amd",
        "pattern": r"has_svm: not amd(?! or)",
        "finding": "wrong_module",
        "arch": "x86",
        "vendor": "amd",
        "first": "3.10",
        "last": "4.19",
        "file": "arch/x86/kvm/svm.c",
        "source": ("cpu_has_svm() in arch/x86/include/asm/virtext.h, printed by has_svm() in svm.c; the string became "
                   "'not amd or hygon' with commit b8f4abb65214 (x86/kvm: Add Hygon Dhyana support to KVM), v4.20"),
        "sample": "has_svm: not amd",
        "context": "kvm_amd was tried on a non-AMD CPU; followed by 'kvm: no hardware support'. Plain printk(KERN_INFO): no module prefix.",
    },
    {
        "id": "x86_has_svm_not_amd_or_hygon",
        "text": "has_svm: not amd or hygon",
        "pattern": r"has_svm: not amd or hygon",
        "finding": "wrong_module",
        "arch": "x86",
        "vendor": "amd",
        "first": "4.20",
        "last": "6.2",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("commit b8f4abb65214 (x86/kvm: Add Hygon Dhyana support to KVM), v4.20, in cpu_has_svm() "
                   "(arch/x86/include/asm/virtext.h) printed by has_svm(); has_svm() replaced by kvm_is_svm_supported() "
                   "in commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code), v6.3"),
        "sample": "has_svm: not amd or hygon",
        "context": ("kvm_amd was tried on an Intel/Zhaoxin CPU; followed by 'kvm: no hardware support' (or 'kvm: no "
                    "hardware support for 'kvm_amd'' from 5.16). svm.c moved to arch/x86/kvm/svm/svm.c in 5.7."),
    },
    {
        "id": "x86_has_svm_no_cpuid_8000000a",
        "text": "has_svm: can't execute cpuid_8000000a",
        "pattern": r"has_svm: can't execute cpuid_8000000a",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": "amd",
        "first": "3.10",
        "last": "6.2",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("cpu_has_svm() in arch/x86/include/asm/virtext.h (check dropped by commit 5df8ecfe3632, x86/virt: "
                   "Drop unnecessary check on extended CPUID level in cpu_has_svm(), v6.6); has_svm() gone in v6.3 "
                   "(commit d41931324975)"),
        "sample": "has_svm: can't execute cpuid_8000000a",
        "context": "The (virtual) CPU's extended CPUID level is below 0x8000000a: very old CPU or a hypervisor that trims CPUID.",
    },
    {
        "id": "x86_has_svm_svm_not_available",
        "text": "has_svm: svm not available",
        "pattern": r"has_svm: svm not available",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": "amd",
        "first": "3.10",
        "last": "6.2",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("cpu_has_svm() in arch/x86/include/asm/virtext.h printed by has_svm(); has_svm() replaced in commit "
                   "d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code), v6.3"),
        "sample": "has_svm: svm not available",
        "context": ("No SVM CPUID bit. Before 6.7 the kernel never cleared the svm flag itself, so on bare metal this is "
                    "the CPU (firmware-disabled SVM gives 'disabled by bios' instead); in a guest it means nested SVM is "
                    "not offered."),
    },
    {
        "id": "x86_svm_sev_guest",
        "text": "KVM is unsupported when running as an SEV guest",
        "pattern": r"KVM is unsupported when running as an SEV guest",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": "amd",
        "first": "5.11",
        "last": None,
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("KVM: SVM: Treat SVM as unsupported when running as an SEV guest (Sean Christopherson, Feb 2021; in "
                   "v5.11 and backported to 4.19.y and later stable) - hash not pinned; prefix 'SVM: ' until v6.2, "
                   "'kvm_amd: ' from commit 8d20bd638167, v6.3"),
        "sample": "kvm_amd: KVM is unsupported when running as an SEV guest",
        "context": "The kernel is an AMD SEV/SEV-ES/SEV-SNP guest: nested KVM is refused by design.",
    },
    # ------------------------------------------------------------------ x86: kvm_amd (svm.c) 6.3 .. 6.5
    {
        "id": "x86_svm_not_supported_by_cpu_not_amd_or_hygon",
        "text": "SVM not supported by CPU ",
        "pattern": r"SVM not supported by CPU \d+, not amd or hygon",
        "finding": "wrong_module",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.3",
        "last": "6.5",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code) and c82a5c5c53c5 "
                   "(KVM: x86: Do compatibility checks when onlining CPU), v6.3; replaced by commit 85fd29dd5fe4 "
                   "(x86/virt: KVM: Open code cpu_has_svm() into kvm_is_svm_supported()), v6.6"),
        "sample": "kvm_amd: SVM not supported by CPU 0, not amd or hygon",
        "context": "kvm_amd tried on an Intel/Zhaoxin CPU.",
    },
    {
        "id": "x86_svm_not_supported_by_cpu_no_cpuid_8000000a",
        "text": "SVM not supported by CPU ",
        "pattern": r"SVM not supported by CPU \d+, can't execute cpuid_8000000a",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.3",
        "last": "6.5",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("commit d41931324975 and c82a5c5c53c5, v6.3; string dropped by commit 5df8ecfe3632 (x86/virt: Drop "
                   "unnecessary check on extended CPUID level in cpu_has_svm()), v6.6"),
        "sample": "kvm_amd: SVM not supported by CPU 0, can't execute cpuid_8000000a",
        "context": None,
    },
    {
        "id": "x86_svm_not_supported_by_cpu_svm_not_available",
        "text": "SVM not supported by CPU ",
        "pattern": r"SVM not supported by CPU \d+, svm not available",
        "finding": "cpu_unsupported",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.3",
        "last": "6.5",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("commit d41931324975 and c82a5c5c53c5, v6.3; replaced by commit 85fd29dd5fe4 (x86/virt: KVM: Open "
                   "code cpu_has_svm() into kvm_is_svm_supported()), v6.6"),
        "sample": "kvm_amd: SVM not supported by CPU 0, svm not available",
        "context": ("No SVM CPUID bit on an AMD/Hygon CPU: the CPU, or a hypervisor without nested SVM (firmware-disabled "
                    "SVM gives 'SVM disabled (by BIOS)' on these versions)."),
    },
    {
        "id": "x86_svm_disabled_by_bios_vm_cr_kvm_amd",
        "text": "SVM disabled (by BIOS) in MSR_VM_CR",
        "pattern": r"kvm_amd: SVM disabled \(by BIOS\) in MSR_VM_CR",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.3",
        "last": "6.6",
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code) and c82a5c5c53c5 "
                   "(' on CPU %d'), v6.3; removed from svm.c by commit 7deda2ce5b33 (x86/cpu: Clear SVM feature if "
                   "disabled by BIOS), v6.7"),
        "sample": "kvm_amd: SVM disabled (by BIOS) in MSR_VM_CR on CPU 0",
        "context": ("Printed on each kvm_amd load attempt. The pattern accepts the line with or without ' on CPU N' (a "
                    "2023 user report shows it without)."),
    },
    # ------------------------------------------------------------------ x86: kvm_amd (svm.c) 6.6+
    {
        "id": "x86_svm_cpu_not_amd_or_hygon",
        "text": "isn't AMD or Hygon",
        "pattern": r"CPU \d+ isn't AMD or Hygon",
        "finding": "wrong_module",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.6",
        "last": None,
        "file": "arch/x86/kvm/svm/svm.c",
        "source": "commit 85fd29dd5fe4 (x86/virt: KVM: Open code cpu_has_svm() into kvm_is_svm_supported()), v6.6",
        "sample": "kvm_amd: CPU 0 isn't AMD or Hygon",
        "context": "kvm_amd tried on an Intel/Zhaoxin CPU.",
    },
    {
        "id": "x86_svm_not_supported_by_cpu",
        "text": "SVM not supported by CPU ",
        "pattern": r"SVM not supported by CPU \d+(?![\d,])",
        "finding": "cpu_unsupported_or_firmware",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.6",
        "last": None,
        "file": "arch/x86/kvm/svm/svm.c",
        "source": ("commit 85fd29dd5fe4 (x86/virt: KVM: Open code cpu_has_svm() into kvm_is_svm_supported()), v6.6; "
                   "per-CPU flag check from commit c4db4f20f3bf (KVM: SVM: Check that the current CPU supports SVM in "
                   "kvm_is_svm_supported()), v6.6"),
        "sample": "kvm_amd: SVM not supported by CPU 6",
        "context": ("Since 6.7 a BIOS-disabled AMD/Hygon prints this too, because amd.c/hygon.c clear X86_FEATURE_SVM "
                    "when VM_CR.SVMDIS is set (and print 'SVM disabled (by BIOS) in MSR_VM_CR' once at boot): with kernel "
                    ">= 6.7 on bare-metal AMD it means cpu_unsupported OR firmware_disabled, the boot line or raw "
                    "CPUID/MSR decides; on 6.6 it means cpu_unsupported; in a guest, no nested SVM."),
    },
    # ------------------------------------------------------------------ x86: boot-time amd.c / hygon.c
    {
        "id": "x86_amd_svm_disabled_by_bios",
        "text": "SVM disabled (by BIOS) in MSR_VM_CR",
        "pattern": r"(?<!kvm_amd: )SVM disabled \(by BIOS\) in MSR_VM_CR(?! on CPU)",
        "finding": "firmware_disabled",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.7",
        "last": None,
        "file": "arch/x86/kernel/cpu/amd.c",
        "source": "commit 7deda2ce5b33 (x86/cpu: Clear SVM feature if disabled by BIOS), v6.7 (tip x86/cpu, pulled as 'x86/cpu for v6.7')",
        "sample": "SVM disabled (by BIOS) in MSR_VM_CR",
        "context": ("Printed once at boot (pr_notice_once, no prefix) by init_amd() and, identically, init_hygon() "
                    "(arch/x86/kernel/cpu/hygon.c), whether or not KVM is built; only when CPUID advertises SVM, so a "
                    "guest without nested SVM never prints it."),
    },
    # ------------------------------------------------------------------ generic: virt/kvm/kvm_main.c
    {
        "id": "kvm_enabling_virtualization_failed",
        "text": "kvm: enabling virtualization on CPU",
        "pattern": r"kvm: enabling virtualization on CPU\d+ failed",
        "finding": "enable_failed",
        "arch": "any",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "virt/kvm/kvm_main.c",
        "source": ("virt/kvm/kvm_main.c hardware_enable_nolock() (renamed __hardware_enable_nolock() in v6.3, "
                   "kvm_enable_virtualization_cpu() in v6.12 by the series around commit b4886fab6fb6), the literal "
                   "'kvm: ' is in the format string"),
        "sample": "kvm: enabling virtualization on CPU0 failed",
        "context": ("x86: kvm_intel returns -EBUSY when CR4.VMXE is already set and kvm_amd when EFER.SVME is already set "
                    "- another hypervisor (VirtualBox, VMware Workstation, a kernel-mode hypervisor) holds VT-x/AMD-V; a "
                    "preceding 'VMXON faulted' WARN means firmware/FEAT_CTL instead. Before 6.12 it appears when a VM is "
                    "started (modprobe succeeded); from 6.12 (enable_virt_at_load=1) at module load, and "
                    "kvm_intel/kvm_amd then fail to load. Also on CPU hotplug. pr_info level, per CPU."),
    },
    {
        "id": "kvm_misc_device_register_failed",
        "text": "kvm: misc device register failed",
        "pattern": r"kvm: misc device register failed",
        "finding": "kvm_init_failed",
        "arch": "any",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "virt/kvm/kvm_main.c",
        "source": ("virt/kvm/kvm_main.c kvm_init(): printk(KERN_ERR ...) in 3.x, pr_err() later; moved to the end of "
                   "kvm_init() in the v6.3 rework, wording kept"),
        "sample": "kvm: misc device register failed",
        "context": "/dev/kvm (misc minor 232) could not be registered, e.g. another driver took the minor; nothing about the CPU.",
    },
    # ------------------------------------------------------------------ generic: module parameters
    {
        "id": "module_param_invalid_value",
        "text": " invalid for parameter ",
        "pattern": (r"(?P<module>kvm(?:[_-][a-z0-9]{1,16})?): [`'\"](?P<value>[^`'\"\n]{0,256})['\"] invalid for "
                    r"parameter [`'\"](?P<param>[A-Za-z0-9_.-]{1,64})['\"]"),
        "finding": "option_rejected",
        "arch": "any",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "kernel/params.c",
        "source": ("parse_args() in kernel/params.c: printk(KERN_ERR \"%s: `%s' invalid for parameter `%s'\\n\", ...) in "
                   "3.x, pr_err() with the same format later (the 'option enabled irq's' era file read); 'doing' is the "
                   "module's name; load_module() returns the error, modprobe says 'could not insert ...: Invalid "
                   "argument'. The pattern also takes plain quotes in case a later kernel changes the backtick"),
        "sample": "kvm_intel: `maybe' invalid for parameter `nested'",
        "context": ("The module was NOT loaded: its options come from modprobe.d 'options MODULE param=value' lines and "
                    "'MODULE.param=value' on the kernel command line (modprobe passes both at every load). 'too large "
                    "for parameter' is the sibling for a string too long."),
    },
    {
        "id": "module_param_unknown_ignored",
        "text": "unknown parameter '",
        "pattern": r"(?P<module>kvm(?:[_-][a-z0-9]{1,16})?): unknown parameter '(?P<param>[^'\n]{1,64})' ignored",
        "finding": "option_ignored",
        "arch": "any",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "kernel/module/main.c",
        "source": ("unknown_module_param_cb() in kernel/module.c (kernel/module/main.c from v5.19): pr_warn(\"%s: unknown "
                   "parameter '%s' ignored\\n\", ...) and return 0, so the module loads; present in the 3.x module.c read "
                   "(it came with dyndbg module parameters, ~v3.3, not pinned). Before that, params.c's 'Unknown parameter "
                   "`%s'' refused the load (below this table's 3.10 floor)"),
        "sample": "kvm_intel: unknown parameter 've_injection' ignored",
        "context": "Not a refusal: the module loaded without that option (a stale or misspelt options line).",
    },
    # ------------------------------------------------------------------ x86: running under a hypervisor
    {
        "id": "x86_hypervisor_detected",
        "text": "Hypervisor detected: ",
        "pattern": r"Hypervisor detected: (?P<name>\S[^\r\n]*)",
        "finding": "hypervisor",
        "arch": "x86",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "arch/x86/kernel/cpu/hypervisor.c",
        "source": ("arch/x86/kernel/cpu/hypervisor.c detect_hypervisor_vendor(): printk(KERN_INFO \"Hypervisor detected: "
                   "%s\\n\", ...) in the 3.x file read, pr_info() later; no pr_fmt"),
        "sample": "Hypervisor detected: KVM",
        "context": ("Printed once at boot. Names seen: 'KVM', 'VMware', 'Microsoft Hyper-V', 'Xen HVM', 'Xen PV', 'ACRN', "
                    "'Jailhouse', 'Bhyve'. With it, 'not supported'/'not enabled' lines usually mean the parent "
                    "hypervisor does not pass VT-x/AMD-V through (nested virtualization off), not the physical CPU or "
                    "firmware. Absent when the guest booted with 'nopv' or the hypervisor hides itself, so absence proves "
                    "nothing."),
    },
    # ------------------------------------------------------------------ x86: a confidential guest says so at boot
    {
        "id": "x86_sev_active_guest",
        "text": "AMD Secure Encrypted Virtualization (SEV) active",
        "pattern": r"AMD Secure Encrypted Virtualization \(SEV\) active",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": "amd",
        "first": "4.16",
        "last": "5.9",
        "file": "arch/x86/mm/mem_encrypt.c",
        "source": ("mem_encrypt_init(): pr_info(\"AMD %s active\\n\", sev_active() ? \"Secure Encrypted Virtualization "
                   "(SEV)\" : \"Secure Memory Encryption (SME)\"), SEV guest support (Tom Lendacky, v4.16); replaced by "
                   "the 'Memory Encryption Features active' list with SEV-ES guest support in v5.10 - not pinned by hash"),
        "sample": "AMD Secure Encrypted Virtualization (SEV) active",
        "context": ("Printed once at boot by an SEV guest. The host's own line in the same place says 'Secure Memory "
                    "Encryption (SME)' instead, and is no guest evidence."),
    },
    {
        "id": "x86_mem_encrypt_features_sev",
        "text": "Memory Encryption Features active:",
        "pattern": r"Memory Encryption Features active:(?: AMD)?(?: SME)? SEV\b",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": "amd",
        "first": "5.10",
        "last": None,
        "file": "arch/x86/mm/mem_encrypt.c",
        "source": ("print_mem_encrypt_feature_info(): 'AMD Memory Encryption Features active: SEV SEV-ES' from SEV-ES "
                   "guest support (v5.10, AMDESE/AMDSEV#45); 'Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP' "
                   "from the TDX guest series that moved the vendor after the colon (v5.19, AMDESE/AMDSEV#190 shows it "
                   "on 5.19.0-rc6) - not pinned by hash"),
        "sample": "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP",
        "context": ("Printed once at boot. SEV, SEV-ES and SEV-SNP name the guest's features; a host with memory "
                    "encryption prints only 'SME' here, which this pattern does not take."),
    },
    {
        "id": "x86_mem_encrypt_features_tdx",
        "text": "Memory Encryption Features active: Intel TDX",
        "pattern": r"Memory Encryption Features active: Intel TDX",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": "intel",
        "first": "5.19",
        "last": None,
        "file": "arch/x86/mm/mem_encrypt.c",
        "source": ("print_mem_encrypt_feature_info() with X86_FEATURE_TDX_GUEST, Intel TDX guest support (Kirill "
                   "Shutemov, v5.19) - not pinned by hash; SUSE-Enceladus/img-proof#437 shows it on a TDX VM"),
        "sample": "Memory Encryption Features active: Intel TDX",
        "context": "Printed once at boot by an Intel TDX guest (a trust domain).",
    },
    {
        "id": "x86_tdx_guest_detected",
        "text": "tdx: Guest detected",
        "pattern": r"tdx: Guest detected",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": "intel",
        "first": "5.19",
        "last": None,
        "file": "arch/x86/coco/tdx/tdx.c",
        "source": ("tdx_early_init(): pr_info(\"Guest detected\\n\") with pr_fmt 'tdx: ', Intel TDX guest support, v5.19 - "
                   "not pinned by hash; intel/tdx-linux#5 and SUSE-Enceladus/img-proof#437 show it"),
        "sample": "tdx: Guest detected",
        "context": ("Printed at time zero before the 'Linux version' banner (tdx_early_init runs before start_kernel), "
                    "so a log read from the banner on misses it; the 'Intel TDX' features line follows later."),
    },
    {
        "id": "x86_sev_status",
        "text": "SEV: Status: SEV",
        "pattern": r"SEV: Status: SEV\b",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": "amd",
        "first": "6.9",
        "last": None,
        "file": "arch/x86/coco/sev/core.c",
        "source": "sev_show_status(): pr_info(\"Status: \") then each SEV_STATUS bit set (x86/sev: Dump SEV_STATUS, v6.9) - not pinned by hash",
        "sample": "SEV: Status: SEV SEV-ES SEV-SNP",
        "context": "Printed once at boot by an SEV guest: the SEV_STATUS MSR bits, which the hypervisor cannot fake.",
    },
    {
        "id": "x86_hyperv_isolation_config",
        "text": "Hyper-V: Isolation Config: Group A ",
        "pattern": r"Hyper-V: Isolation Config: Group A 0x[0-9a-fA-F]{1,16}, Group B 0x[0-9a-fA-F]{0,15}[23]\b",
        "finding": "confidential_guest",
        "arch": "x86",
        "vendor": None,
        "first": "5.15",
        "last": None,
        "file": "arch/x86/kernel/cpu/mshyperv.c",
        "source": ("ms_hyperv_init_platform(): pr_info(\"Hyper-V: Isolation Config: Group A 0x%x, Group B 0x%x\\n\", ...), "
                   "Hyper-V isolation VM support (Tianyu Lan, ~v5.15) - not pinned by hash; the low four bits of Group "
                   "B are the isolation type of the TLFS (HV_ISOLATION_TYPE_VBS 1, _SNP 2, _TDX 3)"),
        "sample": "Hyper-V: Isolation Config: Group A 0x1, Group B 0xba2",
        "context": ("An Azure or Hyper-V confidential VM with a paravisor (vTOM), which may print no 'Memory Encryption "
                    "Features' line of its own: Group B ending in 2 is SEV-SNP, in 3 is TDX. Type 1 (VBS) is software "
                    "isolation, not confidential hardware, and this pattern does not take it."),
    },
    # ------------------------------------------------------------------ arm64: boot CPU exception level (arch/arm64/kernel/smp.c)
    {
        "id": "arm64_cpus_started_el2",
        "text": "CPU: All CPU(s) started at EL2",
        "pattern": r"CPU: All CPU\(s\) started at EL2",
        "finding": "el2",
        "arch": "arm64",
        "vendor": None,
        "first": "4.4",
        "last": None,
        "file": "arch/arm64/kernel/smp.c",
        "source": ("hyp_mode_check() in arch/arm64/kernel/smp.c; not pinned: absent from smp.c at v3.10 and v3.18 (trees "
                   "read), present in 4.x/5.x smp.c and in 5.13-6.19 boot logs; first=4.4 is an estimate"),
        "sample": "CPU: All CPU(s) started at EL2",
        "context": "Printed once at boot after SMP bring-up.",
    },
    {
        "id": "arm64_cpus_started_el1",
        "text": "CPU: All CPU(s) started at EL1",
        "pattern": r"CPU: All CPU\(s\) started at EL1",
        "finding": "el1",
        "arch": "arm64",
        "vendor": None,
        "first": "4.4",
        "last": None,
        "file": "arch/arm64/kernel/smp.c",
        "source": "hyp_mode_check() in arch/arm64/kernel/smp.c; not pinned (see arm64_cpus_started_el2)",
        "sample": "CPU: All CPU(s) started at EL1",
        "context": ("EL2 was not given to Linux: the firmware/bootloader dropped to EL1, or Linux is a guest (QEMU/KVM "
                    "without virtualization=on, Hyper-V/WSL, a phone's Gunyah/QHEE). KVM then prints 'HYP mode not "
                    "available'."),
    },
    {
        "id": "arm64_cpus_inconsistent_modes",
        "text": "CPU: CPUs started in inconsistent modes",
        "pattern": r"CPU: CPUs started in inconsistent modes",
        "finding": "el_mismatch",
        "arch": "arm64",
        "vendor": None,
        "first": "4.4",
        "last": None,
        "file": "arch/arm64/kernel/smp.c",
        "source": ("hyp_mode_check() in arch/arm64/kernel/smp.c (WARN_TAINT(TAINT_CPU_OUT_OF_SPEC), later pr_warn); not "
                   "pinned (see arm64_cpus_started_el2). No kernel message reads 'CPU(s) started in different exception "
                   "levels'."),
        "sample": "CPU: CPUs started in inconsistent modes",
        "context": "Inside a WARNING splat on most versions; the kernel is tainted S.",
    },
    # ------------------------------------------------------------------ arm64 (and 32-bit arm before 5.7): KVM init
    {
        "id": "arm_kvm_hyp_mode_not_available",
        "text": "HYP mode not available",
        "pattern": r"kvm \[\d+\]: HYP mode not available",
        "finding": "hyp_unavailable",
        "arch": "arm64",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("kvm_arch_init() in arch/arm/kvm/arm.c (3.x; kvm_err), virt/kvm/arm/arm.c (4.x-5.x), "
                   "arch/arm64/kvm/arm.c kvm_arm_init() (5.x+; kvm_info); kvm_err/kvm_info add 'kvm [%i]: ' "
                   "(include/linux/kvm_host.h)"),
        "sample": "kvm [1]: HYP mode not available",
        "context": ("Pairs with 'CPU: All CPU(s) started at EL1'. 32-bit arm hosts print the same until KVM/arm32 was "
                    "removed in 5.7. Built-in KVM prints it once at boot as pid 1."),
    },
    {
        "id": "arm_kvm_error_initializing_hyp",
        "text": "error initializing Hyp mode: ",
        "pattern": r"kvm \[\d+\]: error initializing Hyp mode: -?\d+",
        "finding": "kvm_init_failed",
        "arch": "arm64",
        "vendor": None,
        "first": "3.10",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("init_hyp_mode() error path, kvm_err(\"error initializing Hyp mode: %d\\n\", err), in "
                   "arch/arm/kvm/arm.c (3.x), virt/kvm/arm/arm.c and arch/arm64/kvm/arm.c (present in the ~6.15 file "
                   "read)"),
        "sample": "kvm [1]: error initializing Hyp mode: -12",
        "context": ("EL2 was available but KVM could not set up its nVHE/pKVM hypervisor (memory, PSCI relay, protection "
                    "setup); usually preceded by a more specific 'kvm [1]: ...' error. Not printed in VHE mode (no "
                    "init_hyp_mode())."),
    },
    {
        "id": "arm64_kvm_disabled_cmdline",
        "text": "KVM disabled from command line",
        "pattern": r"kvm \[\d+\]: KVM disabled from command line",
        "finding": "kvm_disabled_cmdline",
        "arch": "arm64",
        "vendor": None,
        "first": "5.16",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("KVM: arm64: Allow KVM to be disabled from the command line (Marc Zyngier, v2 posted 2021-10-01, "
                   "merged for v5.16) - hash not pinned"),
        "sample": "kvm [1]: KVM disabled from command line",
        "context": "kvm-arm.mode=none. Checked after the EL2 test, so an EL1 boot prints 'HYP mode not available' instead.",
    },
    {
        "id": "arm64_kvm_mode_ignored_not_available",
        "text": "KVM is not available. Ignoring kvm-arm.mode",
        "pattern": r"KVM is not available\. Ignoring kvm-arm\.mode",
        "finding": "hyp_unavailable",
        "arch": "arm64",
        "vendor": None,
        "first": "6.1",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("early_kvm_mode_cfg() in arch/arm64/kvm/arm.c; patch posted 2022 (base ~v6.0), also in android13-5.15 "
                   "GKI kernels; release not pinned, first=6.1 is an estimate"),
        "sample": "KVM is not available. Ignoring kvm-arm.mode",
        "context": "Very early (timestamp 0), pr_warn_once without 'kvm [n]:' prefix: kvm-arm.mode= was given but the CPUs did not start at EL2.",
    },
    {
        "id": "arm_kvm_hyp_mode_initialized",
        "text": "mode initialized successfully",
        "pattern": r"kvm \[\d+\]: Hyp mode initialized successfully",
        "finding": "kvm_initialized",
        "arch": "arm64",
        "vendor": None,
        "first": "3.10",
        "last": "6.6",
        "file": "arch/arm64/kvm/arm.c",
        "source": ("init_hyp_mode()/kvm_arch_init() in arch/arm/kvm/arm.c, virt/kvm/arm/arm.c, arch/arm64/kvm/arm.c "
                   "(still present in the v6.3 kvm_arm_init() rework); replaced by '%s%sVHE mode initialized "
                   "successfully' ('Hyp nVHE ...'); last=6.6 is a lower bound from a 6.6.30 boot log, not pinned"),
        "sample": "kvm [1]: Hyp mode initialized successfully",
        "context": "nVHE: KVM runs its hypervisor at EL2 while the kernel runs at EL1.",
    },
    {
        "id": "arm64_kvm_vhe_initialized",
        "text": "mode initialized successfully",
        "pattern": r"kvm \[\d+\]: VHE(?:\+NV2)? mode initialized successfully",
        "finding": "kvm_initialized",
        "arch": "arm64",
        "vendor": None,
        "first": "4.6",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("kvm_arch_init() in virt/kvm/arm/arm.c (VHE host support, v4.6; not pinned by hash), "
                   "arch/arm64/kvm/arm.c later; '+NV2' suffix from 'KVM: arm64: Advertise NV2 in the boot messages' "
                   "(posted 2025-02, ~v6.15, not pinned)"),
        "sample": "kvm [1]: VHE mode initialized successfully",
        "context": "The kernel itself runs at EL2 (VHE).",
    },
    {
        "id": "arm64_kvm_protected_initialized",
        "text": "mode initialized successfully",
        "pattern": r"kvm \[\d+\]: Protected [nh]VHE(?:\+NV2)? mode initialized successfully",
        "finding": "kvm_initialized",
        "arch": "arm64",
        "vendor": None,
        "first": "5.11",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("kvm_arch_init() in arch/arm64/kvm/arm.c, protected-mode (pKVM) init series posted Nov 2020, v5.11 "
                   "(not pinned by hash); 'hVHE' variant from the '%s%sVHE mode' rewrite (not pinned)"),
        "sample": "kvm [1]: Protected nVHE mode initialized successfully",
        "context": "kvm-arm.mode=protected (pKVM).",
    },
    {
        "id": "arm64_kvm_hyp_nvhe_initialized",
        "text": "mode initialized successfully",
        "pattern": r"kvm \[\d+\]: Hyp [nh]VHE(?:\+NV2)? mode initialized successfully",
        "finding": "kvm_initialized",
        "arch": "arm64",
        "vendor": None,
        "first": "6.7",
        "last": None,
        "file": "arch/arm64/kvm/arm.c",
        "source": ("kvm_info(\"%s%sVHE%s mode initialized successfully\\n\", ...) in arch/arm64/kvm/arm.c "
                   "kvm_arm_init(); not pinned: a 6.6.30 kernel still printed 'Hyp mode ...', 6.17/6.19-rc kernels print "
                   "'Hyp nVHE ...'; first=6.7 is an estimate"),
        "sample": "kvm [1]: Hyp nVHE mode initialized successfully",
        "context": "Successor wording of 'Hyp mode initialized successfully' (nVHE, or hVHE).",
    },
    # ------------------------------------------------------------------ riscv (arch/riscv/kvm/main.c)
    {
        "id": "riscv_kvm_h_extension_not_available",
        "text": "hypervisor extension not available",
        "pattern": r"kvm \[\d+\]: hypervisor extension not available",
        "finding": "hyp_unavailable",
        "arch": "riscv",
        "vendor": None,
        "first": "5.16",
        "last": None,
        "file": "arch/riscv/kvm/main.c",
        "source": "kvm_arch_init() in arch/riscv/kvm/main.c as added by the RISC-V KVM series (v5.16), riscv_kvm_init() since the v6.3 rework",
        "sample": "kvm [1]: hypervisor extension not available",
        "context": ("No 'h' in the ISA string: the CPU lacks the H extension, or a parent hypervisor (QEMU without "
                    "h=true) hides it. Module builds print the modprobe pid instead of 1."),
    },
    {
        "id": "riscv_kvm_h_extension_available",
        "text": "hypervisor extension available",
        "pattern": r"kvm \[\d+\]: hypervisor extension available",
        "finding": "hyp_available",
        "arch": "riscv",
        "vendor": None,
        "first": "5.16",
        "last": None,
        "file": "arch/riscv/kvm/main.c",
        "source": ("kvm_arch_init() in arch/riscv/kvm/main.c (v5.16), riscv_kvm_init() since v6.3 (commit 20deee32f553, "
                   "KVM: RISC-V: Do arch init directly in riscv_kvm_init()); still printed by the recent main.c read"),
        "sample": "kvm [1]: hypervisor extension available",
        "context": "Followed by 'using SvNNx4 G-stage page table format' when KVM finishes initialising.",
    },
    {
        "id": "riscv_kvm_require_sbi_v02",
        "text": "require SBI v0.2 or higher",
        "pattern": r"kvm \[\d+\]: require SBI v0\.2 or higher",
        "finding": "firmware_unsupported",
        "arch": "riscv",
        "vendor": None,
        "first": "5.16",
        "last": None,
        "file": "arch/riscv/kvm/main.c",
        "source": ("kvm_arch_init() in arch/riscv/kvm/main.c (v5.16 file read); unchanged in riscv_kvm_init() of a "
                   "recent (SBI NACL / CPU PM notifier era, 6.1x) main.c read"),
        "sample": "kvm [1]: require SBI v0.2 or higher",
        "context": "The CPU has H but the SBI firmware (OpenSBI) is too old; 'require SBI RFENCE extension' is the sibling message.",
    },
    {
        "id": "riscv_kvm_gstage_format",
        "text": "G-stage page table format",
        "pattern": r"kvm \[\d+\]: using Sv\d+x4 G-stage page table format",
        "finding": "kvm_initialized",
        "arch": "riscv",
        "vendor": None,
        "first": "5.16",
        "last": None,
        "file": "arch/riscv/kvm/main.c",
        "source": "kvm_arch_init() in arch/riscv/kvm/main.c (v5.16 file read: Sv32x4/Sv39x4/Sv48x4)",
        "sample": "kvm [1]: using Sv39x4 G-stage page table format",
        "context": None,
    },
    # ------------------------------------------------------------------ s390 (arch/s390/kvm/kvm-s390.c)
    {
        "id": "s390_kvm_sie_not_available",
        "text": "SIE not available",
        "pattern": r"kvm-s390(?:\.[0-9a-f]{6})?: SIE not available",
        "finding": "hyp_unavailable",
        "arch": "s390",
        "vendor": None,
        "first": "4.5",
        "last": "4.18",
        "file": "arch/s390/kvm/kvm-s390.c",
        "source": ("commit 07197fd05fa3 (KVM: s390: don't load kvm without virtualization support), v4.5, with "
                   "sclp.has_sief2 from commit 8dfd523f8523 (s390/sclp: introduce check for SIE), v4.5 (per SUSE "
                   "backport headers); wording read in an older kvm-s390.c; when it became 'SIE is not available' is not "
                   "pinned, last=4.18 is an estimate"),
        "sample": "kvm-s390: SIE not available",
        "context": ("Printed at module load: the machine/LPAR or the parent hypervisor (z/VM, or KVM without nested=1) "
                    "does not offer SIE to this kernel."),
    },
    {
        "id": "s390_kvm_sie_is_not_available",
        "text": "SIE is not available",
        "pattern": r"kvm-s390(?:\.[0-9a-f]{6})?: SIE is not available",
        "finding": "hyp_unavailable",
        "arch": "s390",
        "vendor": None,
        "first": "4.19",
        "last": None,
        "file": "arch/s390/kvm/kvm-s390.c",
        "source": ("kvm_s390_init() in arch/s390/kvm/kvm-s390.c (pr_fmt 'kvm-s390: ', KMSG_COMPONENT); present in the "
                   "v6.3-era file read; first not pinned (estimate)"),
        "sample": "kvm-s390: SIE is not available",
        "context": ("Printed at module load: a z/VM guest (z/VM does not provide SIE to guests) or a KVM guest whose host "
                    "did not enable nested; with CONFIG_KMSG_IDS the prefix reads 'kvm-s390.a3074b:'."),
    },
    # ------------------------------------------------------------------ powerpc (arch/powerpc/kvm/book3s_hv.c)
    {
        "id": "ppc_kvm_hv_no_tlbie",
        "text": "KVM-HV: Host does not support TLBIE",
        "pattern": r"KVM-HV: Host does not support TLBIE",
        "finding": "platform_unsupported",
        "arch": "powerpc",
        "vendor": None,
        "first": "5.4",
        "last": None,
        "file": "arch/powerpc/kvm/book3s_hv.c",
        "source": "kvmppc_book3s_init_hv() checking tlbie_capable, added with the 'disable_tlbie' option (Nicholas Piggin, 2019, ~v5.4; not pinned)",
        "sample": "KVM-HV: Host does not support TLBIE",
        "context": "kvm-hv refuses to load; kvm-pr may still work. A CPU/firmware without HV mode prints nothing: kvm-hv just fails with ENODEV.",
    },
)

# Kernel behaviour that changed over time and is evidence by itself (not a message):
BEHAVIOUR = (
    {
        "id": "vmx_flag_cleared_when_firmware_off",
        "first": "5.6",
        "file": "arch/x86/kernel/cpu/feat_ctl.c",
        "source": "commit ef4d3bf19855 (x86/cpu: Clear VMX feature flag if VMX is not fully enabled), v5.6",
        "meaning": ("from this version the kernel removes vmx from /proc/cpuinfo when IA32_FEATURE_CONTROL is locked "
                    "without VMX for the current TXT mode, or cannot be read (some hypervisors); before it, vmx shows "
                    "whenever CPUID has VT-x. Beware: a kernel built without CONFIG_KVM_INTEL that finds the MSR unlocked "
                    "locks it itself with VMX off, so vmx vanishes with no 'disabled by BIOS' line."),
    },
    {
        "id": "kvm_vmx_uses_feature_flag",
        "first": "5.6",
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("commit a4d0b2fdbcf7 (KVM: VMX: Use VMX feature flag to query BIOS enabling), v5.6, with 'KVM: VMX: "
                   "Drop initialization of IA32_FEAT_CTL MSR' in the same series"),
        "meaning": ("before 5.6 kvm_intel read IA32_FEATURE_CONTROL itself and, if the MSR was unlocked, locked it with "
                    "VMX on when enabling; from 5.6 the boot code (feat_ctl.c) does that and kvm_intel only looks at the "
                    "vmx flag, so 'kvm: disabled by bios' and later 'VMX not enabled (by BIOS)' follow the /proc/cpuinfo "
                    "flag."),
    },
    {
        "id": "svm_flag_cleared_when_firmware_off",
        "first": "6.7",
        "file": "arch/x86/kernel/cpu/amd.c",
        "source": "commit 7deda2ce5b33 (x86/cpu: Clear SVM feature if disabled by BIOS), v6.7; hygon.c gets the same code",
        "meaning": ("from this version the kernel removes svm from /proc/cpuinfo when VM_CR.SVMDIS is set and prints 'SVM "
                    "disabled (by BIOS) in MSR_VM_CR' once; kvm_amd then says 'SVM not supported by CPU N'. Before 6.7 "
                    "svm shows whenever CPUID has AMD-V, even when firmware disabled it."),
    },
    {
        "id": "x86_vendor_module_autoload_by_cpu_flag",
        "first": "3.10",
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("MODULE_DEVICE_TABLE(x86cpu, vmx_cpu_id) / MODULE_DEVICE_TABLE(x86cpu, svm_cpu_id) matching "
                   "X86_FEATURE_VMX / X86_FEATURE_SVM in vmx.c and svm.c (seen in arch/x86/kvm/svm.c and "
                   "arch/x86/kvm/svm/svm.c versions read; first not pinned)"),
        "meaning": ("udev autoloads kvm_intel/kvm_amd from the CPU modalias, i.e. only when the kernel shows vmx/svm. "
                    "Once the kernel clears the flag (vmx from 5.6, svm from 6.7, firmware off) nothing autoloads the "
                    "module, so the kvm_intel:/kvm_amd: line appears only if something loads it explicitly (modprobe, "
                    "modules-load.d, libvirt); absence of that line is then no evidence."),
    },
    {
        "id": "x86_support_checks_in_vendor_modules",
        "first": "6.3",
        "file": "arch/x86/kvm/vmx/vmx.c",
        "source": ("commit d41931324975 (KVM: x86: Do VMX/SVM support checks directly in vendor code) and commit "
                   "8d20bd638167 (KVM: x86: Unify pr_fmt to use module name for all KVM modules), v6.3"),
        "meaning": ("up to 6.2 kvm.ko (x86.c) printed the verdict ('kvm: no hardware support ...', 'kvm: ... disabled by "
                    "bios'); from 6.3 kvm_intel/kvm_amd print it themselves, per CPU, with 'kvm_intel: '/'kvm_amd: ' "
                    "prefixes, and check the CPU before the 'already loaded vendor module' test. The 'kvm: ' prefix stays "
                    "on x86.c and kvm_main.c lines."),
    },
    {
        "id": "virtualization_enabled_at_module_load",
        "first": "6.12",
        "file": "virt/kvm/kvm_main.c",
        "source": ("commit b4886fab6fb6 (KVM: Add a module param to allow enabling virtualization when KVM is loaded) "
                   "and 'KVM: Enable virtualization at load/initialization by default' (same series, branch "
                   "kvm-redo-enable-virt), v6.12"),
        "meaning": ("kvm.enable_virt_at_load=1 by default: VMXON/EFER.SVME happen when kvm_intel/kvm_amd load, not when "
                    "the first VM starts. Before 6.12 another hypervisor holding VT-x/AMD-V shows as 'kvm: enabling "
                    "virtualization on CPUn failed' only when a VM is started (modules load fine, /dev/kvm exists); from "
                    "6.12 the vendor module fails to load and /dev/kvm is absent, unless kvm.enable_virt_at_load=0."),
    },
    {
        "id": "riscv_kvm_exists",
        "first": "5.16",
        "file": "arch/riscv/kvm/main.c",
        "source": "RISC-V KVM support merged in v5.16 (arch/riscv/kvm/main.c as added)",
        "meaning": "before 5.16 a RISC-V kernel has no KVM at all, whatever the CPU: no message is expected.",
    },
    {
        "id": "s390_sie_in_cpuinfo",
        "first": "4.5",
        "file": "arch/s390/kernel/processor.c",
        "source": ("commit 7f16d7e787b7 (s390: show virtualization support in /proc/cpuinfo), v4.5; kvm refuses to load "
                   "without SIE from commit 07197fd05fa3, v4.5"),
        "meaning": ("from 4.5 the s390 'features' line in /proc/cpuinfo lists 'sie' when this kernel may use SIE, and kvm "
                    "fails to load (with 'SIE (is) not available') when it may not; before 4.5 kvm loaded and VM creation "
                    "failed silently."),
    },
    {
        "id": "arm64_kvm_mode_none",
        "first": "5.16",
        "file": "arch/arm64/kvm/arm.c",
        "source": "KVM: arm64: Allow KVM to be disabled from the command line (v2 posted 2021-10-01), v5.16 - not pinned by hash",
        "meaning": "kvm-arm.mode=none exists from this version; older kernels reject it and initialise KVM.",
    },
    {
        "id": "arm32_kvm_removed",
        "first": "5.7",
        "file": "arch/arm/kvm/",
        "source": "KVM: arm: Remove 32bit KVM host support, v5.7 - not pinned by hash",
        "meaning": "a 32-bit ARM kernel >= 5.7 has no KVM: no 'kvm [1]:' lines are expected and /dev/kvm cannot exist.",
    },
)


# Look-ups: the table compiled once per run, and what the parser and the verdict ask of it.

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


COMPILED = _compile_messages(MESSAGES)


def message_row(row_id):
    """The table row of a message id (its versions, file, source and context)."""
    for row, _pattern, _first, _last in COMPILED:
        if row["id"] == row_id:
            return row
    return None


def message_fields(line):
    """The named parts of a matched log line (``LogLine``) by its row's pattern: a dict of text.

    E.g. ``{'module': 'kvm_intel', 'value': 'maybe', 'param': 'nested'}`` for an invalid module
    parameter, ``{'msr': '0x3'}`` for a VMXON fault; empty when the row names no parts.
    """
    for row, pattern, _first, _last in COMPILED:
        if row["id"] == line.id:
            match = pattern.search(line.line)
            return dict((k, v) for k, v in match.groupdict().items() if v is not None) if match else {}
    return {}


def printed_by(row_id, version):
    """Whether a kernel of ``version`` (major, minor) prints the message ``row_id``.

    None when the version is not known.
    """
    for row, _pattern, first, last in COMPILED:
        if row["id"] == row_id:
            if version is None:
                return None
            return (first is None or version >= first) and (last is None or version <= last)
    return None


def behaviour_since(behaviour_id):
    """The (major, minor) from which the kernel behaves as ``_BEHAVIOUR`` says."""
    for entry in BEHAVIOUR:
        if entry["id"] == behaviour_id:
            return _version_tuple(entry["first"])
    return None
