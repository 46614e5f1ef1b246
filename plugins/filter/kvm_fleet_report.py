# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness of a fleet, one row per host, from the KVM facts in hostvars."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kvm_fleet_report
short_description: Shape the KVM facts of many hosts into one readiness report
version_added: 1.0.0
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
description:
  - Takes a list of inventory host names and C(hostvars), and returns one row per host with its
    KVM verdict and the facts a person compares across a fleet (CPU, hypervisor or container,
    nested virtualization, IOMMU, GPUs), the counts per verdict, and the remediations grouped
    with the hosts they apply to.
  - A host's verdict is the RV(ansible_facts.kvm.reason) of M(hypervisor.kvm.kvm_facts)
    (V(ok) when KVM can be used), or V(unreachable) when Ansible could not connect to it, V(failed) when
    the facts module ran and failed, V(no_data) when no facts were gathered or cached for it.
  - Hosts whose facts were not gathered in this play (the gathering task was skipped or absent) are
    reported from the facts already in C(hostvars), which is where a fact cache puts them.
  - Used by the C(hypervisor.kvm.report) playbook to write C(index.html), C(hosts.csv) and C(hosts.json).
positional: _input, hostvars
options:
  _input:
    description: The inventory names of the hosts to report on, usually C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) of the play, or any mapping of host name to that host's variables.
    type: dict
    required: true
  result:
    description:
      - The name of the variable the M(hypervisor.kvm.kvm_facts) task registered on each host.
      - Its result tells a host that could not be reached, or whose gathering failed, from a host
        whose facts come from a cache.
    type: str
    default: kvm_report_gathered
  generated:
    description: When the report was made, as the report shows it. Empty when not given.
    type: str
    default: ''
seealso:
  - module: hypervisor.kvm.kvm_facts
  - plugin: hypervisor.kvm.kvm_fleet_csv
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the fleet's readiness as JSON on the controller
  ansible.builtin.copy:
    content: "{{ ansible_play_hosts_all | hypervisor.kvm.kvm_fleet_report(hostvars) | to_nice_json }}"
    dest: ./hosts.json
    mode: "0644"
  run_once: true
  delegate_to: localhost

- name: Say how many hosts can run KVM
  ansible.builtin.debug:
    msg: "{{ __report.usable }} of {{ __report.total }} hosts can run KVM"
  vars:
    __report: "{{ ansible_play_hosts_all | hypervisor.kvm.kvm_fleet_report(hostvars) }}"
  run_once: true
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    generated:
      description: The O(generated) option.
      type: str
    total:
      description: Number of hosts.
      type: int
      sample: 204
    usable:
      description: Number of hosts that can run KVM.
      type: int
      sample: 120
    counts:
      description:
        - Per verdict that occurs, C(verdict) and C(count), the usable first, then the reasons in the
          order of RV(ansible_facts.kvm.reason) of M(hypervisor.kvm.kvm_facts), then V(failed),
          V(unreachable) and V(no_data). The counts add up to RV(total).
      type: list
      elements: dict
      sample: [{"verdict": "ok", "count": 120}, {"verdict": "unreachable", "count": 4}]
    remediations:
      description:
        - For the hosts that cannot run KVM, per verdict and remediation, C(verdict), C(remediation)
          (what a person does next) and C(hosts) (their names, sorted).
      type: list
      elements: dict
    columns:
      description: The keys of a row, in the order of the columns of C(hosts.csv).
      type: list
      elements: str
    hosts:
      description: One row per host, sorted by name with numbers in names compared as numbers.
      type: list
      elements: dict
      contains:
        host:
          description: The inventory name.
          type: str
        verdict:
          description: V(ok), a reason of M(hypervisor.kvm.kvm_facts), V(failed), V(unreachable) or V(no_data).
          type: str
        usable:
          description: KVM can be used; V(null) without facts.
          type: bool
        source:
          description: V(live) when gathered in this play, V(cache) when read from hostvars only, V(null) without facts.
          type: str
        arch:
          description: The machine architecture.
          type: str
        kernel:
          description: The kernel release.
          type: str
        cpu_vendor:
          description: The CPU vendor.
          type: str
        cpu_model:
          description: The CPU model string.
          type: str
        cpu_extension:
          description: The virtualization extension KVM needs on this CPU (V(vmx), V(svm), ...).
          type: str
        cpu_flag:
          description: The kernel shows the extension.
          type: bool
        cpu_count:
          description: Number of logical CPUs.
          type: int
        hypervisor:
          description: The hypervisor this host runs under, V(null) on bare metal.
          type: str
        container:
          description: The container this host is, V(null) when none.
          type: str
        nested:
          description: Nested virtualization is enabled for this host's guests; V(null) when it cannot be told.
          type: bool
        iommu:
          description: The IOMMU is on.
          type: bool
        iommu_groups:
          description: Number of IOMMU groups.
          type: int
        gpus:
          description: Number of GPUs.
          type: int
        gpus_passthrough_ready:
          description: Number of GPUs ready to pass to a virtual machine.
          type: int
        gpu_list:
          description: Per GPU, its vendor, PCI address and driver, and V(passthrough-ready) when it is.
          type: list
          elements: str
          sample: ["nvidia 0000:41:00.0 vfio-pci passthrough-ready"]
        remediation:
          description: What a person does next; empty when KVM can be used.
          type: str
        message:
          description: What Ansible said when the host was unreachable or the gathering failed; empty otherwise.
          type: str
"""

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

# The order of the verdicts in counts: usable, the reasons as kvm_facts documents them, then ours.
VERDICTS = (
    "ok", "cpu_unsupported", "firmware_disabled", "nested_not_exposed", "module_not_loaded",
    "kernel_disabled", "device_missing", "device_inaccessible", "unknown",
    "failed", "unreachable", "no_data",
)

COLUMNS = (
    "host", "verdict", "usable", "source", "arch", "kernel", "cpu_vendor", "cpu_model",
    "cpu_extension", "cpu_flag", "cpu_count", "hypervisor", "container", "nested", "iommu",
    "iommu_groups", "gpus", "gpus_passthrough_ready", "gpu_list", "remediation", "message",
)

REMEDIATION = {
    "unreachable": (
        "Ansible could not connect to the host. Check that it is up and that SSH answers on the "
        "address, port and user the inventory gives (see the message), then run the report again."
    ),
    "failed": (
        "The KVM facts module failed on the host (see the message). A missing snapshot given by "
        "kvm_facts_root, or no Python on the host, are the usual causes; fix it and run the report again."
    ),
    "no_data": (
        "No KVM facts were gathered or cached for this host. Run the report without "
        "kvm_report_from_cache=true (or with a fact cache that has the host) to gather them."
    ),
}


def _natural_key(name):
    """Sort key that compares the numbers in a host name as numbers: web2 before web10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower())
            for part in re.split(r"(\d+)", str(name)) if part]


def _get(mapping, *keys):
    """The value at ``keys`` in nested mappings, or None when any level is missing."""
    for key in keys:
        if not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _blank_row(host, verdict):
    row = dict.fromkeys(COLUMNS)
    row.update(host=host, verdict=verdict, gpu_list=[], remediation=REMEDIATION.get(verdict, ""), message="")
    return row


def _gpu_text(gpu):
    words = [gpu.get("vendor") or "unknown", gpu.get("address") or "", gpu.get("driver") or "no driver"]
    if gpu.get("passthrough_ready"):
        words.append("passthrough-ready")
    return " ".join(w for w in words if w)


def host_row(host, facts, source):
    """One report row for a host, from its ``ansible_facts['kvm']`` dict."""
    row = _blank_row(host, facts.get("reason") or "unknown")
    gpus = [g for g in (facts.get("gpus") or []) if isinstance(g, Mapping)]
    row.update(
        usable=facts.get("usable"),
        source=source,
        arch=facts.get("arch"),
        kernel=facts.get("kernel"),
        cpu_vendor=_get(facts, "cpu", "vendor"),
        cpu_model=_get(facts, "cpu", "model"),
        cpu_extension=_get(facts, "cpu", "extension"),
        cpu_flag=_get(facts, "cpu", "flag"),
        cpu_count=_get(facts, "cpu", "count"),
        hypervisor=_get(facts, "guest", "hypervisor"),
        container=_get(facts, "guest", "container"),
        nested=_get(facts, "nested", "enabled"),
        iommu=_get(facts, "iommu", "enabled"),
        iommu_groups=_get(facts, "iommu", "groups"),
        gpus=len(gpus),
        gpus_passthrough_ready=sum(1 for g in gpus if g.get("passthrough_ready")),
        gpu_list=[_gpu_text(g) for g in gpus],
        remediation="" if facts.get("usable") else (facts.get("remediation") or "").strip(),
    )
    return row


def classify(host, variables, result):
    """The row of one host from its variables and the result its gathering task registered.

    ``variables`` is the host's hostvars (``ansible_facts`` holds gathered or cached facts);
    ``result`` is the registered result, or None when the task did not run for the host.
    """
    if isinstance(result, Mapping) and result.get("unreachable"):
        row = _blank_row(host, "unreachable")
        row["message"] = str(result.get("msg") or "").strip()
        return row
    ran = isinstance(result, Mapping) and not result.get("skipped")
    if ran:
        facts = _get(result, "ansible_facts", "kvm")
        if not isinstance(facts, Mapping):
            row = _blank_row(host, "failed")
            row["message"] = str(result.get("msg") or "the module returned no KVM facts").strip()
            return row
        return host_row(host, facts, "live")
    facts = _get(variables, "ansible_facts", "kvm")
    if isinstance(facts, Mapping):
        return host_row(host, facts, "cache")
    return _blank_row(host, "no_data")


def kvm_fleet_report(hosts, hostvars, result="kvm_report_gathered", generated=""):
    """The report dict (see RETURN) for ``hosts``, reading each host's vars in ``hostvars``."""
    if isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("kvm_fleet_report: the input must be a list of host names, got %s" % type(hosts).__name__)
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("kvm_fleet_report: hostvars must be a mapping of host name to variables, got %s"
                                 % type(hostvars).__name__)
    rows = []
    for host in sorted({str(h) for h in hosts}, key=_natural_key):
        variables = hostvars[host] if host in hostvars else {}
        rows.append(classify(host, variables, _get(variables, result)))

    tally = {}
    for row in rows:
        tally[row["verdict"]] = tally.get(row["verdict"], 0) + 1
    order = list(VERDICTS) + sorted(v for v in tally if v not in VERDICTS)
    counts = [{"verdict": v, "count": tally[v]} for v in order if v in tally]

    groups = {}
    for row in rows:
        if row["usable"]:
            continue
        groups.setdefault((row["verdict"], row["remediation"]), []).append(row["host"])
    remediations = [{"verdict": verdict, "remediation": text, "hosts": names}
                    for (verdict, text), names in sorted(groups.items(), key=lambda item: (order.index(item[0][0]), item[0][1]))]

    return {
        "generated": str(generated or ""),
        "total": len(rows),
        "usable": sum(1 for row in rows if row["usable"]),
        "counts": counts,
        "remediations": remediations,
        "columns": list(COLUMNS),
        "hosts": rows,
    }


class FilterModule:
    """The hypervisor.kvm.kvm_fleet_report filter."""

    def filters(self):
        return {"kvm_fleet_report": kvm_fleet_report}
