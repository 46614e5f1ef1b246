#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The documentation of an action plugin: the code is plugins/action/kvm_fleet_report_write.py, run on the controller.

DOCUMENTATION = r"""
module: kvm_fleet_report_write
short_description: Write the KVM readiness report of a fleet on the controller, in one task
version_added: 1.0.0
description:
  - Makes the readiness report of the hosts of the play from their KVM facts in C(hostvars), as
    P(hypervisor.kvm.kvm_fleet_report#filter) shapes it, and writes its three files, C(index.html),
    C(hosts.csv) and C(hosts.json), as P(hypervisor.kvm.kvm_fleet_files#filter) makes them (the same bytes),
    into the directory O(dest) on the controller.
  - Runs on the controller and reaches no host. It is the one task of the report's second play in the
    C(hypervisor.kvm.report) playbook; there, each task of a play over thousands of hosts costs the controller
    a walk over every host even when it runs once, so checking the directory, making the files, writing
    them and saying where they are is one task.
  - Each file is written to a temporary file in O(dest) and renamed over its name, so a reader never sees
    half a file, and whatever is at the name (a symbolic link planted there) is replaced, never followed.
    The files get mode C(0644). A file that already holds the same bytes with that mode is left as it is.
  - O(dest) is created with mode C(0755), with its missing parents, only when it does not exist; an existing
    directory is never changed (its owner chose its mode, as for a C(1777) C(/tmp) or a home).
  - The task's result is shown whatever the verbosity, as a M(ansible.builtin.debug) task's is; RV(msg) is the
    summary.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
options:
  dest:
    description:
      - The directory on the controller the report is written into. C(~) is expanded, every symbolic link
        in it resolved, and a relative path is relative to the directory C(ansible-playbook) runs in.
      - Text that is empty, blank or resolves to V(/) is refused, as is something at that path that is
        not a directory; nothing is written then. The messages name C(kvm_report_dir), the variable of the
        C(hypervisor.kvm.report) playbook that sets it.
    type: raw
    required: true
  hosts:
    description:
      - The inventory names of the hosts to report on.
      - When not given, every host of the play, C(ansible_play_hosts_all) (the hosts that failed or
        were unreachable too, which are rows of the report).
    type: list
    elements: str
  template:
    description:
      - The page template, a file found as M(ansible.builtin.template) finds its C(src) (in C(templates/)
        next to the playbook or role, or a path). It sees C(r), the report, and C(data), the rows as
        JSON inert in a script element, and is rendered with autoescape on.
      - When not given, the page the collection ships, C(playbooks/templates/kvm_report.html.j2).
    type: str
  result:
    description: The O(hypervisor.kvm.kvm_fleet_report#filter:result) option, the variable the facts task registered.
    type: str
    default: kvm_report_gathered
  generated:
    description:
      - When the report was made, as the page and C(hosts.json) show it.
      - When not given, the time the task runs, in UTC (V(2026-12-03 22:40:00 UTC)).
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Checks the directory and makes the report, writes nothing, and says which files it would write.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: The controller; no host is reached.
notes:
  - Use it with O(ignore:run_once=true). The report covers every host of the play; run for each host, it
    would write the same files as many times. With O(ignore:delegate_to=localhost) the result line says
    where it ran; the files are written on the controller either way.
  - The facts and registered results are read from C(hostvars) once per host and never templated
    (P(hypervisor.kvm.kvm_fleet_report#filter) says how); a value from a host is data, escaped in every file.
seealso:
  - plugin: hypervisor.kvm.kvm_fleet_report
    plugin_type: filter
  - plugin: hypervisor.kvm.kvm_fleet_files
    plugin_type: filter
  - module: hypervisor.kvm.kvm_facts
"""

EXAMPLES = r"""
- name: Gather the KVM facts of every host
  hosts: all
  gather_facts: false
  tasks:
    - name: Gather the KVM facts of the host
      hypervisor.kvm.kvm_facts:
      register: kvm_report_gathered
      failed_when: false
      ignore_unreachable: true

- name: Write the report
  hosts: all
  gather_facts: false
  tasks:
    - name: Write the page, the CSV and the JSON on the controller, once
      hypervisor.kvm.kvm_fleet_report_write:
        dest: /srv/www/kvm
      run_once: true
      delegate_to: localhost
      become: false
      register: kvm_report

    - name: Fail when fewer than nine hosts in ten can run KVM
      ansible.builtin.assert:
        that: kvm_report.usable * 10 >= kvm_report.total * 9
        fail_msg: "{{ kvm_report.msg }}"
      run_once: true
"""

RETURN = r"""
msg:
  description:
    - How many hosts can run KVM, the count per verdict, how many C(firmware_disabled) hosts can be fixed
      from their BMC (when any), and where the page is.
    - In check mode, also what would be created and written.
  returned: always
  type: str
  sample: "3 of 14 host(s) can run KVM (ok 3, nested_not_exposed 8, failed 1, unreachable 2). Report: /srv/www/kvm/index.html"
dest:
  description: The directory the report is in, every symbolic link resolved.
  returned: success
  type: str
  sample: /srv/www/kvm
created:
  description: O(dest) did not exist and was created (in check mode, would be).
  returned: success
  type: bool
  sample: false
files:
  description: The paths of the report's three files.
  returned: success
  type: list
  elements: str
  sample: ["/srv/www/kvm/index.html", "/srv/www/kvm/hosts.csv", "/srv/www/kvm/hosts.json"]
changed_files:
  description:
    - The names of the files whose bytes or mode differed and were written (in check mode, would be).
      The page and C(hosts.json) hold the time they were made, so they differ on every run but one in the same second.
  returned: success
  type: list
  elements: str
  sample: ["index.html", "hosts.json"]
total:
  description: Number of hosts in the report.
  returned: success
  type: int
  sample: 14
usable:
  description: Number of hosts that can run KVM.
  returned: success
  type: int
  sample: 3
bmc_fixable:
  description: Number of C(firmware_disabled) hosts the C(hypervisor.kvm.kvm_firmware) role can fix through their BMC.
  returned: success
  type: int
  sample: 0
counts:
  description:
    - The number of hosts per verdict that occurs (C(ok), a reason of M(hypervisor.kvm.kvm_facts), V(malformed),
      V(failed), V(unreachable), V(no_data)); C(hosts.json) has them in order with their labels and meanings.
  returned: success
  type: dict
  sample: {"ok": 3, "nested_not_exposed": 8, "failed": 1, "unreachable": 2}
"""
