# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Presenting a verdict in kvm-ok's words."""

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import KVM_OK_LINES


def kvm_ok_lines(facts):
    """The lines kvm-ok would print for these facts, then the reason and what to do.

    Takes the dict ``_facts.gather`` returns; returns a list of strings.
    """
    device = facts.get("device") or {}
    lines = ["INFO: /dev/kvm exists" if device.get("exists") else "INFO: /dev/kvm does not exist"]
    if facts.get("usable"):
        lines.append(KVM_OK_LINES["ok"])
        return lines
    cpu = facts.get("cpu") or {}
    summary = KVM_OK_LINES.get(facts.get("reason"), KVM_OK_LINES["unknown"]) % {
        "ext": cpu.get("extension") or "virtualization",
        "module": facts.get("vendor_module") or "KVM",
    }
    lines.append("INFO: %s" % summary)
    lines.append("KVM acceleration can NOT be used (reason: %s)" % facts.get("reason"))
    if facts.get("remediation"):
        lines.append("HINT: %s" % facts["remediation"])
    return lines
