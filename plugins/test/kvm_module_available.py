# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether this controller's Ansible finds a module, as a task naming it would."""

from __future__ import annotations

DOCUMENTATION = r"""
name: kvm_module_available
short_description: Test whether the controller's Ansible finds a module
version_added: 1.1.0
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
description:
  - True when ansible-core, in the play that asks, resolves the module named by O(_input) (a fully
    qualified name, redirects followed) the way it would for a task naming it, through the same
    collection search path (configured collections paths, the playbook's C(collections/), the
    controller Python's C(site-packages)), without reading any directory itself.
  - The role P(hypervisor.kvm.kvm_host#role) asks it in preflight about the package module its
    host's package manager needs from another collection (C(community.general.zypper) on
    openSUSE/SLES, C(community.general.pacman) on Arch Linux), so a controller without that
    collection is told so before anything changes, and one that manages only other hosts needs
    no more than ansible-core.
  - Runs on the controller, like every test plugin; it says nothing about the managed hosts.
positional: _input
options:
  _input:
    description: The module's fully qualified name, for example V(community.general.zypper).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Say which collection the controller lacks
  ansible.builtin.debug:
    msg: "Install community.general: ansible-galaxy collection install community.general"
  when: "'community.general.zypper' is not hypervisor.kvm.kvm_module_available"
"""

RETURN = r"""
_value:
  description: Whether the controller's Ansible finds the module.
  type: bool
"""

import importlib.util

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.loader import module_loader


def kvm_module_available(name):
    """Whether ansible-core on this controller resolves the module ``name`` (an FQCN) for a task."""
    if not isinstance(name, str) or name.count(".") < 2:
        raise AnsibleError("kvm_module_available takes a module's fully qualified name (such as "
                           "community.general.zypper), not %s" % to_native(repr(name)))
    namespace, collection = name.split(".")[:2]
    if namespace != "ansible":
        # Asked first of the collection loader of the play, so that a collection that is not
        # installed is a plain False, not also a warning about a plugin that failed to load.
        try:
            if importlib.util.find_spec("ansible_collections.%s.%s" % (namespace, collection)) is None:
                return False
        except ImportError:
            return False
    try:
        return bool(module_loader.find_plugin_with_context(name).resolved)
    except AnsibleError:
        # A module removed from its collection (a tombstone) is found only to be refused.
        return False


class TestModule:
    """The hypervisor.kvm.kvm_module_available test."""

    def tests(self):
        return {"kvm_module_available": kvm_module_available}
