# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_file_values: a sysfs boolean, and the small parsers on anything at all (hypothesis): never an exception."""

import pytest
from hypothesis import given, settings

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cmdline_modprobe as cmdline_modprobe
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _containers as containers
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _hypervisors as hypervisors

from .strategies import TEXT


@pytest.mark.parametrize("text,value", [("Y\n", True), ("1", True), ("N", False), ("0\n", False), ("", None),
                                        (None, None), ("maybe", None)])
def test_parse_bool(text, value):
    assert file_values.parse_bool(text) is value


@settings(max_examples=200, deadline=None)
@given(text=TEXT)
def test_small_parsers_never_raise(text):
    file_values.parse_bool(text)
    file_values.parse_int(text)
    cmdline_modprobe.parse_cmdline_blocks(text)
    cmdline_modprobe.parse_modprobe_blocks("/etc/modprobe.d/x.conf", text)
    containers.container_from_markers(text, False, False, text)
    containers.wsl_version(text, text, False, False)
    hypervisors.hypervisor_from_dmi({"sys_vendor": text, "product_name": text})
