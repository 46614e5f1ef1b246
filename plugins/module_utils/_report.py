# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Presenting a verdict in kvm-ok's words."""

from __future__ import annotations

_SUMMARY = {
    "cpu_unsupported": "Your CPU does not support KVM extensions",
    "firmware_disabled": "KVM (%(ext)s) is disabled by your BIOS/UEFI firmware",
    "nested_not_exposed": "This virtual machine's CPU does not expose %(ext)s (no nested virtualization)",
    "module_not_loaded": "The %(module)s module is not loaded",
    "kernel_disabled": "KVM is disabled by the kernel command line or a modprobe blacklist",
    "device_missing": "KVM could work here but /dev/kvm is not present",
    "device_inaccessible": "/dev/kvm cannot be opened by this user",
    "unknown": "The evidence does not settle whether KVM can be used",
}


def kvm_ok_lines(facts):
    """The lines kvm-ok would print for these facts, then the reason and what to do.

    Takes the dict ``_facts.gather`` returns; returns a list of strings.
    """
    device = facts.get("device") or {}
    lines = ["INFO: /dev/kvm exists" if device.get("exists") else "INFO: /dev/kvm does not exist"]
    if facts.get("usable"):
        lines.append("KVM acceleration can be used")
        return lines
    cpu = facts.get("cpu") or {}
    summary = _SUMMARY.get(facts.get("reason"), _SUMMARY["unknown"]) % {
        "ext": cpu.get("extension") or "virtualization",
        "module": facts.get("vendor_module") or "KVM",
    }
    lines.append("INFO: %s" % summary)
    lines.append("KVM acceleration can NOT be used (reason: %s)" % facts.get("reason"))
    if facts.get("remediation"):
        lines.append("HINT: %s" % facts["remediation"])
    return lines
