# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_cpuinfo: the CPU's vendor and extension from /proc/cpuinfo, on real text and on anything at all (hypothesis)."""

import pytest
from hypothesis import given, settings

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuinfo as cpuinfo
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values

from ..hosts import BASE_FLAGS, cpuinfo_x86
from .strategies import ARCHES, LINES


@pytest.mark.parametrize("vendor_id,vendor,extension", [
    ("GenuineIntel", "intel", "vmx"), ("AuthenticAMD", "amd", "svm"), ("HygonGenuine", "hygon", "svm"),
    ("CentaurHauls", "zhaoxin", "vmx"), ("  Shanghai  ", "zhaoxin", "vmx"),
])
def test_x86_vendors(vendor_id, vendor, extension):
    info = cpuinfo.parse_cpuinfo(cpuinfo_x86(vendor_id, "Some CPU", BASE_FLAGS + " " + extension), "x86_64")
    assert (info.vendor, info.extension, info.extension_shown, info.count) == (vendor, extension, True, 2)
    hidden = cpuinfo.parse_cpuinfo(cpuinfo_x86(vendor_id, "Some CPU", BASE_FLAGS), "x86_64")
    assert hidden.extension_shown is False


@settings(max_examples=300, deadline=None)
@given(text=LINES, arch=ARCHES)
def test_cpuinfo_never_raises(text, arch):
    info = cpuinfo.parse_cpuinfo(text, arch)
    assert info.extension_shown in (True, False, None)
    assert info.model is None or len(info.model) <= file_values.FIELD_MAX
