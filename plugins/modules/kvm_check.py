#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_check
short_description: The kvm-ok check for a fleet - can this host use KVM acceleration?
version_added: 1.0.0
description:
  - >-
    Answers the question Ubuntu's C(kvm-ok) answers, on any Linux host, with its lines
    (C(INFO: /dev/kvm exists), C(KVM acceleration can be used)), so that
    C(ansible all -m hypervisor.kvm.kvm_check) reads like C(kvm-ok) on every host.
  - When KVM cannot be used the task fails, and its message holds
    C(KVM acceleration can NOT be used), the reason and what a person does next.
  - Uses the same evidence as M(hypervisor.kvm.kvm_facts) and returns it in RV(evidence); it is
    right where C(kvm-ok) is not (firmware-disabled CPUs on kernels that hide the flag, VMs
    without nested virtualization, software KVM, built-in modules, containers, ARM, IBM Z, POWER).
  - Never reports a change.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
extends_documentation_fragment:
  - hypervisor.kvm.facts
  - ansible.builtin.action_common_attributes
seealso:
  - module: hypervisor.kvm.kvm_facts
"""

EXAMPLES = r"""
- name: Fail early, with what to do, on hosts that cannot run KVM
  hypervisor.kvm.kvm_check:

- name: Check every host and carry on, to summarise afterwards
  hypervisor.kvm.kvm_check:
  register: kvm_check
  ignore_errors: true

- name: Show why a host cannot run KVM
  ansible.builtin.debug:
    msg: "{{ kvm_check.reason }}: {{ kvm_check.remediation }}"
  when: not kvm_check.usable
"""

RETURN = r"""
msg:
  description: The verdict in kvm-ok's words, then the reason and what to do when KVM cannot be used.
  returned: always
  type: str
  sample: |-
    INFO: /dev/kvm exists
    KVM acceleration can be used
usable:
  description: KVM acceleration can be used.
  returned: always
  type: bool
  sample: false
reason:
  description: >-
    Why not (V(ok) when usable); one of the reasons of RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.reason).
  returned: always
  type: str
  sample: nested_not_exposed
remediation:
  description: What a person does next; empty when usable.
  returned: always
  type: str
  sample: >-
    This host is a virtual machine under vmware whose virtual CPU does not offer Intel VT-x (vmx) ...
evidence:
  description: >-
    The observations behind the verdict, each with its C(source) and C(observation), as
    RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.evidence) describes them. For all the
    facts, use M(hypervisor.kvm.kvm_facts).
  returned: always
  type: list
  elements: dict
  sample: [{"source": "/dev/kvm", "observation": "opened; KVM_GET_API_VERSION 12; KVM_CREATE_VM succeeded"}]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._kvm_ok import kvm_ok_lines
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._sources import SnapshotError


def main():
    module = AnsibleModule(
        argument_spec={"root": {"type": "path", "default": "/"}},
        supports_check_mode=True,
    )
    try:
        facts = gather(module.params["root"])
    except SnapshotError as exc:
        module.fail_json(msg="Cannot check KVM: %s." % exc)
    result = {
        "changed": False,
        "msg": "\n".join(kvm_ok_lines(facts)),
        "usable": facts["usable"],
        "reason": facts["reason"],
        "remediation": facts["remediation"],
        "evidence": facts["evidence"],
    }
    if facts["usable"]:
        module.exit_json(**result)
    module.fail_json(**result)


if __name__ == "__main__":
    main()
