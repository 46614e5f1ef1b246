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
  - A host's verdict is the RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.reason) that M(hypervisor.kvm.kvm_facts) returns
    (V(ok) when KVM can be used), or V(unreachable) when Ansible could not connect to it, V(failed) when
    the facts module ran and failed, V(no_data) when no facts were gathered or cached for it, and
    V(malformed) when the facts it returned or a fact cache holds are not what M(hypervisor.kvm.kvm_facts)
    returns (a value of the wrong type, a reason it does not know). The reasons, their labels and
    meanings come from the collection's one table of them.
  - Every value is untrusted data from the host. Each host's facts are checked against the types
    M(hypervisor.kvm.kvm_facts) returns; a host that does not match is a V(malformed) row whose
    C(message) says what is wrong, and never fails the report. Text is cut at 200 characters
    (remediations and messages at 4000) with a mark saying so. Nothing read from a host is templated.
  - Nothing of a host is templated, and its variables are read at most once. From Ansible's own C(hostvars),
    the facts and the registered result are read from Ansible's fact caches, where C(hostvars.raw_get) takes
    them from; a host's whole variables (C(hostvars.raw_get)) are read only for a V(firmware_disabled) host,
    for its BMC. So the cost grows with the number of hosts, not with their variables.
  - Hosts whose facts were not gathered in this play (the gathering task was skipped or absent) are
    reported from the facts already in C(hostvars), which is where a fact cache puts them.
  - A V(firmware_disabled) host with VT-x or AMD-V (extension V(vmx) or V(svm)) whose variables give a BMC
    (C(kvm_firmware_bmc_address), the variable of the C(hypervisor.kvm.kvm_firmware) role) is marked as one
    that role can fix through the BMC (C(bmc_fix)), and counted (C(bmc_fixable)). The address is read from the
    same untemplated host variables, so from the inventory as it is when the report runs, also when the facts
    come from a cache. It counts when it is text that names more than a user and password, or is vaulted;
    anything else counts as no BMC. A template in it is shown as written, not rendered; a user and password
    written into it (C(https://user:pass@bmc)) are left out; it is cut at 200 characters. The BMC's user
    name and password are never read.
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
        - Per verdict that occurs, C(verdict), C(label) (for people), C(meaning) (one line) and C(count),
          the usable first, then the reasons in the order of RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.reason) of
          M(hypervisor.kvm.kvm_facts), then V(malformed), V(failed), V(unreachable) and V(no_data).
          The counts add up to RV(_value.total).
      type: list
      elements: dict
      sample: [{"verdict": "ok", "label": "KVM can be used", "meaning": "KVM acceleration can be used", "count": 120}]
    bmc_fixable:
      description: Number of V(firmware_disabled) hosts the C(hypervisor.kvm.kvm_firmware) role can fix through their BMC (the rows with a C(bmc_fix)).
      type: int
      sample: 3
    remediations:
      description:
        - For the hosts that cannot run KVM, per verdict, remediation and BMC fix, C(verdict), C(remediation)
          (what a person does next), C(bmc_fix) (the fix through the BMC, empty when there is none) and
          C(hosts) (their names, sorted).
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
          description: V(ok), a reason of M(hypervisor.kvm.kvm_facts), V(malformed), V(failed), V(unreachable) or V(no_data).
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
        cpu_extension_shown:
          description: The kernel shows the extension in C(/proc/cpuinfo) (RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.cpu.extension_shown)).
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
        bmc_address:
          description:
            - For a host that C(bmc_fix) applies to, its C(kvm_firmware_bmc_address) as the
              inventory writes it (without a user and password, cut at 200 characters); V(null) otherwise,
              and when the address is vaulted.
          type: str
          sample: idrac-r740-07.mgmt.example.com
        bmc_fix:
          description:
            - For a V(firmware_disabled) host with VT-x or AMD-V and a BMC in the inventory, that the role
              C(hypervisor.kvm.kvm_firmware) can turn the setting on through the BMC, and how; empty otherwise.
          type: str
        reboot_pending:
          description:
            - What the role C(hypervisor.kvm.kvm_host) wrote on the host that waits for its next boot
              (RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.reboot_pending) of M(hypervisor.kvm.kvm_facts)), one sentence each; empty when
              nothing waits or the facts do not say.
          type: list
          elements: str
          sample: ["kernel parameters not on /proc/cmdline yet: iommu=pt"]
        message:
          description: >-
            What Ansible said when the host was unreachable or the gathering failed, what is wrong with
            malformed facts; empty otherwise.
          type: str
"""

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import LABELS, MEANINGS, REASONS

# The report's own verdicts, for hosts without facts it can use; kvm_facts' reasons come first.
MISSING = (
    ("malformed", "Facts malformed",
     "the facts are not what kvm_facts returns (a value of the wrong type or an unknown reason); "
     "the host or the fact cache returned something else"),
    ("failed", "Gathering failed", "the KVM facts module ran on the host and failed"),
    ("unreachable", "Unreachable", "Ansible could not connect to the host"),
    ("no_data", "No data", "no KVM facts were gathered or cached for the host"),
)
VERDICTS = REASONS + tuple(row[0] for row in MISSING)
VERDICT_LABELS = dict(LABELS, **{row[0]: row[1] for row in MISSING})
VERDICT_MEANINGS = dict(MEANINGS, **{row[0]: row[2] for row in MISSING})

COLUMNS = (
    "host", "verdict", "usable", "source", "arch", "kernel", "cpu_vendor", "cpu_model",
    "cpu_extension", "cpu_extension_shown", "cpu_count", "hypervisor", "container", "nested", "iommu",
    "iommu_groups", "gpus", "gpus_passthrough_ready", "gpu_list", "remediation", "message", "bmc_fix", "bmc_address",
    "reboot_pending",
)

REMEDIATION = {
    "malformed": (
        "The facts of this host are not what hypervisor.kvm.kvm_facts returns (see the message). Gather them "
        "again (run the report without kvm_report_from_cache=true); if they stay malformed, the host or the "
        "fact cache is not answering truthfully: look at it before trusting anything it reports."
    ),
    "unreachable": (
        "Ansible could not connect to the host. Check that it is up and that SSH answers on the "
        "address, port and user the inventory gives (see the message), then run the report again."
    ),
    "failed": (
        "The KVM facts module failed on the host (see the message). A missing snapshot given by "
        "kvm_snapshot_root, or no Python on the host, are the usual causes; fix it and run the report again."
    ),
    "no_data": (
        "No KVM facts were gathered or cached for this host. Run the report without "
        "kvm_report_from_cache=true (or with a fact cache that has the host) to gather them."
    ),
}

# The role kvm_firmware turns VT-x/AMD-V on through the BMC its inventory variable names; the report
# reads only that variable, never the BMC's user name or password.
BMC_VARIABLE = "kvm_firmware_bmc_address"
BMC_EXTENSIONS = frozenset(("vmx", "svm"))
BMC_FIX = (
    "The firmware can be fixed from the BMC (kvm_firmware_bmc_address): run the role hypervisor.kvm.kvm_firmware "
    "with kvm_firmware_reboot: true to turn the setting on, reset the server and check (without it the setting "
    "waits for the next power cycle)."
)
# A vaulted value (EncryptedString from ansible-core 2.19, AnsibleVaultEncryptedUnicode before): a BMC is
# given, and the report leaves it encrypted.
VAULTED = frozenset(("EncryptedString", "AnsibleVaultEncryptedUnicode"))
# A user and password written into the address (https://user:pass@bmc, user@bmc) are never shown:
# everything up to the last "@" goes, even a "/" a password holds unencoded.
_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)?.*@", re.DOTALL)

# Longest text kept from a host, per kind of field; longer is cut and marked, so that one host
# cannot make the page, the CSV or a spreadsheet cell unusable.
SHORT = 200
LONG = 4000
MAX_GPUS = 64
MAX_PROBLEMS = 8
# kvm_facts reports at most 20 changes waiting for a boot.
MAX_PENDING = 20
CUT = "\u2026 [cut]"

# What kvm_facts returns, as far as the report reads it: path -> the types allowed (None: null).
_TEXT = (str, type(None))
_FLAG = (bool, type(None))
_COUNT = (int, type(None))
SCHEMA = (
    (("reason",), (str,)),
    (("usable",), (bool,)),
    (("remediation",), _TEXT),
    (("arch",), _TEXT),
    (("kernel",), _TEXT),
    (("cpu",), (Mapping, type(None))),
    (("cpu", "vendor"), _TEXT),
    (("cpu", "model"), _TEXT),
    (("cpu", "extension"), _TEXT),
    (("cpu", "extension_shown"), _FLAG),
    (("cpu", "count"), _COUNT),
    (("guest",), (Mapping, type(None))),
    (("guest", "hypervisor"), _TEXT),
    (("guest", "container"), _TEXT),
    (("nested",), (Mapping, type(None))),
    (("nested", "enabled"), _FLAG),
    (("iommu",), (Mapping, type(None))),
    (("iommu", "enabled"), _FLAG),
    (("iommu", "groups"), _COUNT),
    (("gpus",), (list, type(None))),
    # Facts cached before kvm_facts reported it have no reboot_pending.
    (("reboot_pending",), (list, type(None))),
)
GPU_SCHEMA = (
    (("vendor",), _TEXT),
    (("address",), _TEXT),
    (("driver",), _TEXT),
    (("passthrough_ready",), _FLAG),
)


def _natural_key(name):
    """Sort key that compares the numbers in a host name as numbers: web2 before web10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part.lower())
            for part in re.split(r"(\d+)", name) if part]


def cap(value, limit=SHORT):
    """``value`` as text of at most ``limit`` characters (plus a mark when cut); None stays None."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + CUT


def _get(mapping, *keys):
    """The value at ``keys`` in nested mappings, or None when any level is missing."""
    for key in keys:
        # A dict first: isinstance against Mapping, an abstract class, is slow, and this runs 20 times a host.
        if not isinstance(mapping, dict) and not isinstance(mapping, Mapping):
            return None
        mapping = mapping.get(key)
    return mapping


def _type_name(value):
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return "null" if value is None else "a %s" % type(value).__name__


def _wanted(types):
    names = {str: "text", bool: "true/false", int: "a whole number", Mapping: "a mapping", list: "a list",
             type(None): "null"}
    return " or ".join(names[t] for t in types)


def _allowed(value, types):
    # bool is an int to Python; a count that is true/false is as wrong as one that is text.
    kind = type(value)
    if kind is bool:
        return bool in types
    return kind in types or isinstance(value, types)


def problems(facts):
    """What in ``facts`` (one host's ``ansible_facts['kvm']``) is not what kvm_facts returns."""
    found = []

    def check(where, data, schema):
        for path, types in schema:
            value = _get(data, *path)
            if not _allowed(value, types):
                found.append("%s is %s, not %s" % (".".join((where,) + path) if where else ".".join(path),
                                                   _type_name(value), _wanted(types)))

    check("", facts, SCHEMA)
    reason = facts.get("reason")
    if isinstance(reason, str) and reason not in REASONS:
        found.append("reason %r is not one of kvm_facts' reasons" % cap(reason, 40))
    if isinstance(facts.get("usable"), bool) and isinstance(reason, str) and facts["usable"] is not (reason == "ok"):
        found.append("usable is %s with reason %r" % (str(facts["usable"]).lower(), cap(reason, 40)))
    gpus = facts.get("gpus") or []
    if isinstance(gpus, list):
        if len(gpus) > MAX_GPUS:
            found.append("gpus lists %d devices, more than the %d a host can hold here" % (len(gpus), MAX_GPUS))
        for index, gpu in enumerate(gpus[:MAX_GPUS]):
            if not isinstance(gpu, Mapping):
                found.append("gpus[%d] is %s, not a mapping" % (index, _type_name(gpu)))
            else:
                check("gpus[%d]" % index, gpu, GPU_SCHEMA)
    return found


def _blank_row(host, verdict, source=None, message=""):
    row = dict.fromkeys(COLUMNS)
    row.update(host=host, verdict=verdict, source=source, gpu_list=[], reboot_pending=[], remediation=REMEDIATION.get(verdict, ""),
               message=cap(message, LONG), bmc_fix="")
    return row


def _gpu_text(gpu):
    words = [gpu.get("vendor") or "unknown", gpu.get("address") or "", gpu.get("driver") or "no driver"]
    if gpu.get("passthrough_ready"):
        words.append("passthrough-ready")
    return cap(" ".join(w for w in words if w))


def host_row(host, facts, source):
    """One report row for a host, from its ``ansible_facts['kvm']`` dict; a malformed host says so."""
    found = problems(facts)
    if found:
        more = len(found) - MAX_PROBLEMS
        text = "; ".join(found[:MAX_PROBLEMS]) + ("; and %d more" % more if more > 0 else "")
        return _blank_row(host, "malformed", source, "The KVM facts are malformed: %s." % text)
    cpu, guest = facts.get("cpu") or {}, facts.get("guest") or {}
    nested, iommu = facts.get("nested") or {}, facts.get("iommu") or {}
    gpus = facts.get("gpus") or []
    row = _blank_row(host, facts["reason"], source)
    row.update(
        usable=facts["usable"],
        arch=cap(facts.get("arch")),
        kernel=cap(facts.get("kernel")),
        cpu_vendor=cap(cpu.get("vendor")),
        cpu_model=cap(cpu.get("model")),
        cpu_extension=cap(cpu.get("extension")),
        cpu_extension_shown=cpu.get("extension_shown"),
        cpu_count=cpu.get("count"),
        hypervisor=cap(guest.get("hypervisor")),
        container=cap(guest.get("container")),
        nested=nested.get("enabled"),
        iommu=iommu.get("enabled"),
        iommu_groups=iommu.get("groups"),
        gpus=len(gpus),
        gpus_passthrough_ready=sum(1 for g in gpus if g.get("passthrough_ready")),
        gpu_list=[_gpu_text(g) for g in gpus],
        reboot_pending=[cap(line) for line in (facts.get("reboot_pending") or [])[:MAX_PENDING] if isinstance(line, str)],
        remediation="" if facts["usable"] else cap((facts.get("remediation") or "").strip(), LONG),
    )
    return row


def classify(host, variables, result):
    """The row of one host from its variables and the result its gathering task registered.

    ``variables`` is the host's hostvars (``ansible_facts`` holds gathered or cached facts);
    ``result`` is the registered result, or None when the task did not run for the host.
    """
    if isinstance(result, Mapping) and result.get("unreachable"):
        return _blank_row(host, "unreachable", message=str(result.get("msg") or "").strip())
    if isinstance(result, Mapping) and not result.get("skipped"):
        facts = _get(result, "ansible_facts", "kvm")
        if not isinstance(facts, Mapping):
            return _blank_row(host, "failed", message=str(result.get("msg") or "the module returned no KVM facts").strip())
        return host_row(host, facts, "live")
    facts = _get(variables, "ansible_facts", "kvm")
    if isinstance(facts, Mapping):
        return host_row(host, facts, "cache")
    if facts is not None:
        return _blank_row(host, "malformed", "cache",
                          "The KVM facts are malformed: ansible_facts.kvm is %s, not a mapping." % _type_name(facts))
    return _blank_row(host, "no_data")


def bmc_address(value):
    """``(a BMC is given, the address to show)`` for the raw value of ``kvm_firmware_bmc_address``.

    Text that names more than a user and password, or a vaulted value, gives a BMC; anything else does
    not. The address shown has no user and password, is cut at SHORT characters, and is plain ``str``:
    from ansible-core 2.19 inventory text carries a tag that trusts it as a template, and Ansible would
    render it when the report is read.
    """
    if type(value).__name__ in VAULTED:
        return True, None
    shown = _USERINFO.sub(r"\1", value.strip()).strip() if isinstance(value, str) else ""
    if not shown or shown.endswith("://"):  # blank, or nothing but a user and password
        return False, None
    return True, str(cap(shown))


def _role_variables_in_facts(variables):
    """Whether the host's facts hold one of kvm_firmware's variables: a fact outranks the inventory, so
    the value came from the host or a fact cache, and the role refuses such a host before its BMC."""
    facts = variables.get("ansible_facts")
    return isinstance(facts, Mapping) and any(str(name).startswith("kvm_firmware_") for name in facts)


def with_bmc(row, variables):
    """``row`` with ``bmc_fix`` and ``bmc_address`` set when the role kvm_firmware can fix its host through its BMC."""
    if (row["verdict"] == "firmware_disabled" and row["cpu_extension"] in BMC_EXTENSIONS
            and not _role_variables_in_facts(variables)):
        given, address = bmc_address(variables.get(BMC_VARIABLE))
        if given:
            row.update(bmc_fix=BMC_FIX, bmc_address=address)
    return row


def _variables(hostvars, host):
    """One host's variables, read once and not templated: facts are data from the host, never templates."""
    raw_get = getattr(hostvars, "raw_get", None)
    if raw_get is not None:  # Ansible's hostvars: its [] would template every value it returns
        if host not in hostvars:
            return {}
        variables = raw_get(host)
    else:
        variables = hostvars.get(host)
    return variables if isinstance(variables, Mapping) else {}


def _fact_caches(hostvars):
    """The two caches behind Ansible's ``hostvars`` that hold what a report reads, or None.

    ``(facts, set_facts)``: the fact cache (gathered facts, a fact cache plugin's hosts) and the
    cache of ``register`` and ``set_fact`` results, where ansible-core 2.16 to 2.21 keep them. Reading
    a host's whole variables (``raw_get``) costs about 2 ms a host (inventory, vars plugins, a cleaned
    copy of every fact); these two are what ``raw_get`` takes ``ansible_facts`` and a registered
    result from. None for any other mapping, or when Ansible keeps them elsewhere: then ``raw_get``.
    """
    if type(hostvars).__name__ != "HostVars":
        return None
    manager = getattr(hostvars, "_variable_manager", None)
    facts, set_facts = getattr(manager, "_fact_cache", None), getattr(manager, "_nonpersistent_fact_cache", None)
    if not callable(getattr(facts, "get", None)) or not isinstance(set_facts, Mapping):
        return None
    return facts, set_facts


def _report_variables(hostvars, host, result, caches):
    """What the report reads of one host: ``ansible_facts`` and ``result`` as ``raw_get`` gives them.

    From the caches (see _fact_caches) when there are any, else the host's whole variables.
    """
    if caches is None:
        return _variables(hostvars, host)
    if host not in hostvars:
        return {}
    facts, set_facts = caches
    try:
        gathered = facts.get(host)
    except KeyError:  # a cache plugin's get raises it for a host it does not hold
        gathered = None
    # The names namespace_facts gives (ansible_ taken off), without its deep copy of every fact: the report only reads.
    variables = {"ansible_facts": {key[8:] if key.startswith("ansible_") and key != "ansible_local" else key: value
                                   for key, value in gathered.items()} if isinstance(gathered, Mapping) else {}}
    registered = set_facts.get(host)
    if isinstance(registered, Mapping) and result in registered:
        variables[result] = registered[result]
    return variables


def kvm_fleet_report(hosts, hostvars, result="kvm_report_gathered", generated=""):
    """The report dict (see RETURN) for ``hosts``, reading each host's vars in ``hostvars`` once."""
    if isinstance(hosts, (str, bytes)) or not hasattr(hosts, "__iter__"):
        raise AnsibleFilterError("kvm_fleet_report: the input must be a list of host names, got %s" % type(hosts).__name__)
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError("kvm_fleet_report: hostvars must be a mapping of host name to variables, got %s"
                                 % type(hostvars).__name__)
    caches = _fact_caches(hostvars)
    rows = []
    tally = dict.fromkeys(VERDICTS, 0)
    groups = {}
    for host in sorted({str(h) for h in hosts}, key=_natural_key):
        variables = _report_variables(hostvars, host, result, caches)
        row = classify(host, variables, variables.get(result))
        if caches is not None and row["verdict"] == "firmware_disabled":
            variables = _variables(hostvars, host)  # the BMC's address may come from any inventory source
        row = with_bmc(row, variables)
        rows.append(row)
        tally[row["verdict"]] += 1
        if not row["usable"]:
            groups.setdefault((row["verdict"], row["remediation"], row["bmc_fix"]), []).append(host)

    counts = [{"verdict": v, "label": VERDICT_LABELS[v], "meaning": VERDICT_MEANINGS[v], "count": tally[v]}
              for v in VERDICTS if tally[v]]
    # Per verdict, the hosts a role can fix from their BMC first.
    remediations = [{"verdict": verdict, "remediation": text, "bmc_fix": fix, "hosts": names}
                    for (verdict, text, fix), names in sorted(
                        groups.items(), key=lambda item: (VERDICTS.index(item[0][0]), not item[0][2], item[0][1]))]
    return {
        "generated": str(generated or ""),
        "total": len(rows),
        "usable": sum(1 for row in rows if row["usable"]),
        "bmc_fixable": sum(1 for row in rows if row["bmc_fix"]),
        "counts": counts,
        "remediations": remediations,
        "columns": list(COLUMNS),
        "hosts": rows,
    }


class FilterModule:
    """The hypervisor.kvm.kvm_fleet_report filter."""

    def filters(self):
        return {"kvm_fleet_report": kvm_fleet_report}
