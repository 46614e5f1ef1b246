# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict's vocabulary, defined once: every reason, its label and its one-line meaning.

Everything else (the modules' documentation, kvm-ok's lines, the fleet report, the role,
the README and the tests) imports this table or is checked against it.
"""

# Each row: the reason as the facts say it, a short label for people (report, summaries),
# what it means in one line, and kvm-ok's INFO line (``%(ext)s``: the extension,
# ``%(module)s``: the vendor module).
TABLE = (
    ("ok", "KVM can be used",
     "KVM acceleration can be used (on a live host: /dev/kvm opened and KVM_CREATE_VM succeeded)",
     "KVM acceleration can be used"),
    ("cpu_unsupported", "CPU lacks virtualization",
     "the CPU has no virtualization extension (vmx, svm, EL2, SIE, POWER HV, RISC-V H)",
     "Your CPU does not support KVM extensions"),
    ("firmware_disabled", "Disabled in firmware",
     "the CPU has the extension and the BIOS/UEFI firmware turned it off (or, on ARM, started Linux at EL1)",
     "KVM (%(ext)s) is disabled by your BIOS/UEFI firmware"),
    ("nested_not_exposed", "Nested virtualization off",
     "this host is a virtual machine whose hypervisor does not pass the extension through",
     "This virtual machine's CPU does not expose %(ext)s (no nested virtualization)"),
    ("other_hypervisor", "Another hypervisor holds it",
     "another hypervisor on this machine (VirtualBox, VMware Workstation) holds the extension",
     "Another hypervisor on this machine holds %(ext)s"),
    ("kernel_disabled", "Off on the kernel command line",
     "a kernel command-line parameter keeps KVM off (blacklists its module, hides the CPU feature or turns KVM off)",
     "KVM is disabled by the kernel command line"),
    ("module_blocked", "Blocked by modprobe.d",
     "a modprobe.d line (blacklist, or install ... /bin/false) keeps the KVM module from loading, or the "
     "kernel refused the module for an option value (modprobe.d or the kernel command line) it could not parse",
     "The %(module)s module is blocked by modprobe configuration"),
    ("module_not_loaded", "Module not loaded",
     "the extension is there and the vendor module (kvm_intel, kvm_amd, kvm_hv, kvm) is not loaded",
     "The %(module)s module is not loaded"),
    ("device_missing", "/dev/kvm missing",
     "KVM could work but /dev/kvm is absent: typically a container that sees the host's modules",
     "KVM could work here but /dev/kvm is not present"),
    ("device_inaccessible", "/dev/kvm not accessible",
     "/dev/kvm exists and this user cannot open it",
     "/dev/kvm cannot be opened by this user"),
    ("unknown", "Cannot tell",
     "the evidence does not settle it; the remediation names the causes that remain and the command that tells them apart",
     "The evidence does not settle whether KVM can be used"),
)

REASONS = tuple(row[0] for row in TABLE)
LABELS = dict((row[0], row[1]) for row in TABLE)
MEANINGS = dict((row[0], row[2]) for row in TABLE)
KVM_OK_LINES = dict((row[0], row[3]) for row in TABLE)
