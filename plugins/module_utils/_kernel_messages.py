# provisional, replaced by the researched table
FINDINGS = {"firmware_disabled": "", "firmware_disabled_txt": "", "cpu_unsupported": "", "cpu_unsupported_or_firmware": "",
            "wrong_module": "", "enable_failed": "", "el2": "", "el1": "", "el_mismatch": "", "hyp_unavailable": "",
            "kvm_initialized": "", "kvm_disabled_cmdline": "", "hypervisor": ""}
def _r(id, text, pattern, finding, arch="x86", vendor=None, first="3.10", last=None, context=None, sample=None):
    return {"id": id, "text": text, "pattern": pattern, "finding": finding, "arch": arch, "vendor": vendor,
            "first": first, "last": last, "file": "?", "source": "?", "sample": sample or text, "context": context}
MESSAGES = (
    _r("x86_featctl_vmx_outside_txt", "VMX (outside TXT) disabled by BIOS", r"VMX \(outside TXT\) disabled by BIOS", "firmware_disabled", vendor="intel", first="5.6"),
    _r("x86_featctl_vmx_inside_txt", "VMX (inside TXT) disabled by BIOS", r"VMX \(inside TXT\) disabled by BIOS", "firmware_disabled_txt", vendor="intel", first="5.6"),
    _r("x86_kvm_disabled_by_bios", "disabled by bios", r"kvm: disabled by bios", "firmware_disabled", last="5.15", sample="kvm: disabled by bios"),
    _r("x86_kvm_support_disabled_by_bios", "disabled by bios", r"support for '\w+' disabled by bios", "firmware_disabled", first="5.16", last="6.2", sample="kvm: support for 'kvm_amd' disabled by bios"),
    _r("svm_disabled_by_bios", "SVM disabled (by BIOS)", r"SVM disabled \(by BIOS\)", "firmware_disabled", vendor="amd"),
    _r("vmx_not_enabled_by_bios", "VMX not enabled (by BIOS)", r"VMX not enabled \(by BIOS\)", "firmware_disabled", vendor="intel", first="6.3"),
    _r("x86_no_hardware", "no hardware support", r"no hardware support", "cpu_unsupported_or_firmware", context="x"),
    _r("vmx_not_supported", "VMX not supported by CPU", r"VMX not supported by CPU", "cpu_unsupported_or_firmware", vendor="intel", first="6.3", context="wrong module on AMD"),
    _r("svm_not_supported", "SVM not supported by CPU", r"SVM not supported by CPU", "cpu_unsupported_or_firmware", vendor="amd", first="6.3", context="6.7 BIOS"),
    _r("enable_failed", "enabling virtualization on CPU", r"enabling virtualization on CPU\d+ failed", "enable_failed", arch="any", sample="kvm: enabling virtualization on CPU0 failed"),
    _r("arm_el2", "CPU: All CPU(s) started at EL2", r"CPU: All CPU\(s\) started at EL2", "el2", arch="arm64"),
    _r("arm_el1", "CPU: All CPU(s) started at EL1", r"CPU: All CPU\(s\) started at EL1", "el1", arch="arm64"),
    _r("arm_hyp_na", "HYP mode not available", r"HYP mode not available", "hyp_unavailable", arch="arm64"),
    _r("hypervisor_detected", "Hypervisor detected: ", r"Hypervisor detected: \S", "hypervisor", sample="Hypervisor detected: KVM"),
)
BEHAVIOUR = (
    {"id": "vmx_flag_cleared_when_firmware_off", "first": "5.6", "file": "arch/x86/kernel/cpu/feat_ctl.c", "source": "?", "meaning": ""},
    {"id": "svm_flag_cleared_when_firmware_off", "first": "6.7", "file": "arch/x86/kernel/cpu/amd.c", "source": "?", "meaning": ""},
)
