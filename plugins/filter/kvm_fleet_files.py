# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The files of a fleet readiness report (page, CSV, JSON), made in one pass with every value escaped."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kvm_fleet_files
short_description: Make the page, CSV and JSON of a fleet readiness report in one pass
version_added: 1.0.0
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
description:
  - Takes the report that P(hypervisor.kvm.kvm_fleet_report#filter) returns and a page template, and
    returns the three files of the report by name, C(index.html), C(hosts.csv) (as
    P(hypervisor.kvm.kvm_fleet_csv#filter) writes it) and C(hosts.json), for one
    M(ansible.builtin.copy) loop to write. M(hypervisor.kvm.kvm_fleet_report_write) makes the same files
    with the same code and writes them, in one task.
  - The page is rendered by Jinja with autoescape on, whatever Ansible's own templating does, so every
    value from a host is HTML-escaped. The rows go into the page once, as JSON inside a
    C(<script type="application/json">) element with C(<), C(>), C(&), U+2028 and U+2029 written as
    C(\\uXXXX) escapes, and the page's script shows them as text (never as HTML), a page of rows at a time,
    so a page of 10,000 hosts opens and filters quickly.
  - The template sees C(r), the report, and C(data), the embedded JSON (already escaped for a script element).
  - Given O(hostvars), the input is the list of host names and the report is made here, as
    P(hypervisor.kvm.kvm_fleet_report#filter) makes it, in the same call. Ansible hands a filter's result to the
    next filter as a lazy container that checks every value it gives for templates; the report of 10,000 hosts
    read that way takes many times longer than made and written in one call.
positional: _input, template
options:
  _input:
    description:
      - The report, a dict with C(columns) and C(hosts).
      - With O(hostvars), the inventory names of the hosts to report on, usually C(ansible_play_hosts_all).
    type: raw
    required: true
  template:
    description: The text of the page template, for example C(lookup('ansible.builtin.file', 'templates/kvm_report.html.j2')).
    type: str
    required: true
  hostvars:
    description:
      - The C(hostvars) of the play; makes the report from O(_input), the host names, as
        P(hypervisor.kvm.kvm_fleet_report#filter) does with the same O(hostvars), O(result) and O(generated).
    type: dict
  result:
    description: With O(hostvars), the O(hypervisor.kvm.kvm_fleet_report#filter:result) option.
    type: str
    default: kvm_report_gathered
  generated:
    description: With O(hostvars), the O(hypervisor.kvm.kvm_fleet_report#filter:generated) option.
    type: str
    default: ''
seealso:
  - module: hypervisor.kvm.kvm_fleet_report_write
  - plugin: hypervisor.kvm.kvm_fleet_report
    plugin_type: filter
  - plugin: hypervisor.kvm.kvm_fleet_csv
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the report's files on the controller
  ansible.builtin.copy:
    content: "{{ item.value }}"
    dest: "./kvm-report/{{ item.key }}"
    mode: "0644"
  loop: "{{ __report | hypervisor.kvm.kvm_fleet_files(lookup('ansible.builtin.file', 'templates/kvm_report.html.j2')) | dict2items }}"
  loop_control:
    label: "{{ item.key }}"
  run_once: true
  delegate_to: localhost

- name: Make the report and its files in one call (the fastest for thousands of hosts)
  ansible.builtin.set_fact:
    __files: >-
      {{ ansible_play_hosts_all | hypervisor.kvm.kvm_fleet_files(lookup('ansible.builtin.file', 'templates/kvm_report.html.j2'),
         hostvars=hostvars) }}
  run_once: true
"""

RETURN = r"""
_value:
  description: The text of each file, by file name.
  type: dict
  contains:
    index.html:
      description: The page.
      type: str
    hosts.csv:
      description: The rows as CSV.
      type: str
    hosts.json:
      description: The report as JSON, indented.
      type: str
"""

import json
from collections.abc import Mapping

import jinja2
from markupsafe import Markup

from ansible.errors import AnsibleFilterError

from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_csv import kvm_fleet_csv
from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_report import kvm_fleet_report

# The columns the page shows or searches, in the order of each row's array in the embedded data.
PAGE_COLUMNS = (
    "host", "verdict", "source", "cpu_model", "cpu_count", "cpu_vendor", "cpu_extension", "cpu_extension_shown",
    "arch", "kernel", "hypervisor", "container", "nested", "iommu", "iommu_groups", "gpus",
    "gpus_passthrough_ready", "gpu_list", "message", "bmc_address", "reboot_pending",
)

# JSON is not HTML: inside a script element "</script>" or "<!--" would end or change it, and
# U+2028/U+2029 end a line in older JavaScript. Their escapes mean the same to JSON.parse.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value):
    """``value`` as JSON text that is inert inside an HTML script element."""
    return Markup(json.dumps(value, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_SAFE))


def page_data(report):
    """What the page's script needs: the verdicts, the rows as arrays, each row's remediation group and
    whether its firmware can be fixed from its BMC (the text of that fix is once per group, not per row)."""
    group_of = {}
    for index, group in enumerate(report["remediations"]):
        for name in group["hosts"]:
            group_of[name] = index
    rows = []
    for row in report["hosts"]:
        values = [row.get(column) for column in PAGE_COLUMNS]
        values += [group_of.get(row.get("host"), -1), bool(row.get("bmc_fix"))]
        rows.append(values)
    return {
        "verdicts": [{"verdict": c["verdict"], "label": c["label"], "count": c["count"]} for c in report["counts"]],
        "columns": list(PAGE_COLUMNS) + ["fix", "bmc"],
        "rows": rows,
        "fixes": [{"verdict": g["verdict"], "remediation": g["remediation"], "bmc_fix": g.get("bmc_fix", ""),
                   "hosts": g["hosts"]} for g in report["remediations"]],
    }


_ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                  keep_trailing_newline=True)


def report_files(report, template):
    """The files of ``report`` (what kvm_fleet_report returns) by name: ``index.html`` rendered from
    ``template``, the text of the page template, then ``hosts.csv`` and ``hosts.json``."""
    if not isinstance(report, Mapping) or not {"columns", "hosts", "counts", "remediations"} <= set(report):
        raise AnsibleFilterError("kvm_fleet_files: the input must be the report of hypervisor.kvm.kvm_fleet_report")
    if not isinstance(template, str) or not template.strip():
        raise AnsibleFilterError("kvm_fleet_files: the page template must be given as text")
    try:
        page = _ENVIRONMENT.from_string(template).render(r=report, data=script_json(page_data(report)))
    except jinja2.TemplateError as exc:
        raise AnsibleFilterError("kvm_fleet_files: the page template cannot be rendered: %s" % exc) from exc
    return {
        "index.html": page,
        "hosts.csv": kvm_fleet_csv(report),
        "hosts.json": json.dumps(report, indent=2) + "\n",
    }


def kvm_fleet_files(report, template, hostvars=None, result="kvm_report_gathered", generated=""):
    """The report's files by name: ``index.html`` rendered from ``template``, ``hosts.csv``, ``hosts.json``.

    With ``hostvars``, ``report`` is the list of host names and the report is made from them here.
    """
    if hostvars is not None:
        report = kvm_fleet_report(report, hostvars, result=result, generated=generated)
    return report_files(report, template)


class FilterModule:
    """The hypervisor.kvm.kvm_fleet_files filter."""

    def filters(self):
        return {"kvm_fleet_files": kvm_fleet_files}
