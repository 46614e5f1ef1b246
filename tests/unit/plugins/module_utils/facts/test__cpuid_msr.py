# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_cpuid_msr: the firmware's VT-x/AMD-V setting read from IA32_FEATURE_CONTROL and VM_CR."""

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cpuid_msr as cpuid_msr


@pytest.mark.parametrize("value,firmware", [
    (0x0, "enabled"), (0x5, "enabled"), (0x1, "disabled"), (0x3, "txt_only"), (0x7, "enabled"), (None, None)])
def test_feature_control_msr(value, firmware):
    assert cpuid_msr.firmware_from_msr("vmx", value) == firmware


def test_vm_cr_msr():
    assert cpuid_msr.firmware_from_msr("svm", 0x10) == "disabled"
    assert cpuid_msr.firmware_from_msr("svm", 0x8) == "enabled"
