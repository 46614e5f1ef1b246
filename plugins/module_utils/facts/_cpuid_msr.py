# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Raw CPUID words and model-specific registers: whether the CPU has VT-x/AMD-V and the firmware left it on.

Nothing here opens a file (``_sources`` reads /dev/cpu/N/cpuid and /dev/cpu/N/msr).
"""

# Raw CPUID: (leaf, register index in eax..edx, bit) of each x86 extension.
CPUID_BITS = {"vmx": (0x1, 2, 5), "svm": (0x80000001, 2, 2)}


def cpuid_has(words, extension):
    """Whether raw CPUID ``(eax, ebx, ecx, edx)`` of the extension's leaf has its bit; None unread."""
    if words is None or extension not in CPUID_BITS:
        return None
    _leaf, register, bit = CPUID_BITS[extension]
    return bool(words[register] >> bit & 1)


def firmware_from_msr(extension, value):
    """What the firmware's MSR says of the extension: 'enabled', 'disabled', 'txt_only' or None.

    Intel IA32_FEATURE_CONTROL (0x3a): bit 0 locks it, bit 1 allows VMX inside SMX (TXT),
    bit 2 outside; unlocked, the kernel enables VMX itself. AMD VM_CR (0xc0010114): bit 4
    SVMDIS set means the firmware disabled SVM.
    """
    if value is None:
        return None
    if extension == "vmx":
        if not value & 1 or value & 4:
            return "enabled"
        return "txt_only" if value & 2 else "disabled"
    if extension == "svm":
        return "disabled" if value & 0x10 else "enabled"
    return None
