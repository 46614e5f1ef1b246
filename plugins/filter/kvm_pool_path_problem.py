# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Why a directory may not hold a storage pool: the rule kvm_pools applies, for the role's preflight."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kvm_pool_path_problem
short_description: Say why a directory may not hold a libvirt storage pool
version_added: 1.0.0
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
description:
  - The rule with which M(hypervisor.kvm.kvm_pools) refuses a pool directory, for use before the
    module runs (the role P(hypervisor.kvm.kvm_host#role) judges its default pool and its O(_input)
    paths with it in preflight). One rule in one place, so that the two never disagree.
  - Returns a phrase that follows the path (V(is not an absolute path), V(is a system directory, ...)),
    or an empty string when the directory may hold a pool.
  - Trailing slashes are dropped first; any other second spelling of a directory (V(//), V(.), V(..),
    a relative path) is refused, and so is a character outside the POSIX portable filename set.
positional: _input, system_dirs
options:
  _input:
    description: The directory, as the user wrote it.
    type: str
    required: true
  system_dirs:
    description:
      - The system directories, each a dict with C(path), C(below) (V(all), or how many levels under
        C(path) still belong to the system), C(for) and C(source), as the role's C(__kvm_host_system_dirs).
    type: list
    elements: dict
    required: true
  allowed:
    description: Directories allowed although a system directory holds them (libvirt's own image directory).
    type: list
    elements: str
    default: []
seealso:
  - module: hypervisor.kvm.kvm_pools
"""

EXAMPLES = r"""
- name: Refuse a pool directory the system owns
  ansible.builtin.assert:
    that: problem | length == 0
    fail_msg: "{{ pool_path }} {{ problem }}"
  vars:
    problem: "{{ pool_path | hypervisor.kvm.kvm_pool_path_problem(__kvm_host_system_dirs, allowed=['/var/lib/libvirt/images']) }}"
"""

RETURN = r"""
_value:
  description: Why the directory may not hold a pool, as a phrase after its path; empty when it may.
  type: str
  sample: "is a system directory, not one dedicated to images: FHS 3.0, 3.7 reserves /etc and everything under it for host-specific configuration"
"""

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._pools import path_problem


def kvm_pool_path_problem(path, system_dirs, allowed=()):
    """``path`` judged by kvm_pools' rule over ``system_dirs``, ``allowed`` excepted."""
    if not isinstance(path, str):
        raise AnsibleFilterError("kvm_pool_path_problem: the directory must be a string, not %s" % type(path).__name__)
    if isinstance(system_dirs, (str, bytes)) or not all(isinstance(row, Mapping) and "path" in row for row in system_dirs):
        raise AnsibleFilterError("kvm_pool_path_problem: system_dirs must be a list of dicts with a path each")
    # Trailing slashes dropped as kvm_pools drops them ('///' becomes '', not an absolute path).
    trimmed = path if path == "/" else path.rstrip("/")
    if trimmed in [str(dir_) for dir_ in allowed] and path_problem(trimmed, []) == "":
        return ""
    return path_problem(trimmed, [dict(row) for row in system_dirs])


class FilterModule:
    """The hypervisor.kvm.kvm_pool_path_problem filter."""

    def filters(self):
        return {"kvm_pool_path_problem": kvm_pool_path_problem}
