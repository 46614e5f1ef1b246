# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rows of a fleet readiness report as CSV text."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kvm_fleet_csv
short_description: Turn a fleet readiness report into CSV
version_added: 1.0.0
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
description:
  - Takes the report that P(hypervisor.kvm.kvm_fleet_report#filter) returns and gives its host rows
    as CSV text (RFC 4180, CRLF line ends), with a header line of the report's C(columns).
  - V(true) and V(false) are written as C(true) and C(false), V(null) as an empty field, a list
    (C(gpu_list)) as its items joined with C(; ).
  - A text field that a spreadsheet would take for a formula (it starts with C(=), C(+), C(-), C(@), a tab,
    a carriage return or a line feed) is written with a leading apostrophe. Numbers are written as they are.
positional: _input
options:
  _input:
    description: The report, a dict with C(columns) and C(hosts).
    type: dict
    required: true
seealso:
  - plugin: hypervisor.kvm.kvm_fleet_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Write the fleet's readiness as CSV on the controller
  ansible.builtin.copy:
    content: "{{ ansible_play_hosts_all | hypervisor.kvm.kvm_fleet_report(hostvars) | hypervisor.kvm.kvm_fleet_csv }}"
    dest: ./hosts.csv
    mode: "0644"
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
_value:
  description: The CSV text, a header line then one line per host.
  type: str
  sample: |
    host,verdict,usable,source,arch,...
    kvm01,ok,true,live,x86_64,...
"""

import csv
import io
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

FORMULA_STARTS = frozenset("=+-@\t\r\n")


def _cell(value):
    """A report value as the text of one CSV field."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "; ".join(_cell(v) for v in value)
    text = str(value)
    # Spreadsheets run a field that starts with one of these as a formula (OWASP, CSV injection).
    if isinstance(value, str) and text[:1] in FORMULA_STARTS:
        return "'" + text
    return text


def kvm_fleet_csv(report):
    """CSV text of ``report['hosts']`` with ``report['columns']`` as the header."""
    if not isinstance(report, Mapping) or "columns" not in report or "hosts" not in report:
        raise AnsibleFilterError("kvm_fleet_csv: the input must be the report of hypervisor.kvm.kvm_fleet_report")
    columns = [str(c) for c in report["columns"]]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in report["hosts"]:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return out.getvalue()


class FilterModule:
    """The hypervisor.kvm.kvm_fleet_csv filter."""

    def filters(self):
        return {"kvm_fleet_csv": kvm_fleet_csv}
