# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_cmdline_modprobe: what the kernel command line and modprobe.d block and set for the KVM modules."""

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _cmdline_modprobe as cmdline_modprobe


@pytest.mark.parametrize("cmdline,effects", [
    ("ro modprobe.blacklist=nouveau,kvm_amd quiet", [("blacklist", "kvm_amd")]),
    ("ro module_blacklist=nouveau quiet", []),
    ("kvm-arm.mode=none", [("kvm_off", "kvm")]),
    ("kvm-arm.mode=nvhe", []),
    ("clearcpuid=vmx,pku", [("hide_feature", "vmx")]),
    ("clearcpuid=133", [("hide_feature", "vmx")]),
    ("clearcpuid=194", [("hide_feature", "svm")]),
    ("clearcpuid=pku", []),
    ("initcall_blacklist=svm_init", [("initcall", "svm_init")]),
    ("initcall_blacklist=acpi_init", []),
])
def test_cmdline_blocks(cmdline, effects):
    assert [(b.effect, b.module) for b in cmdline_modprobe.parse_cmdline_blocks(cmdline)] == effects


def test_modprobe_blocks():
    text = ("blacklist kvm-intel # no\ninstall kvm /bin/true\ninstall kvm_amd /sbin/modprobe --ignore-install kvm_amd\n"
            "blacklist nouveau\noptions kvm_amd nested=1\n")
    lines = cmdline_modprobe.parse_modprobe_blocks("/etc/modprobe.d/x.conf", text)
    assert [(b.effect, b.module) for b in lines] == [("blacklist", "kvm_intel"), ("install", "kvm")]


def test_module_options():
    text = ("# site\noptions kvm-intel nested=maybe ept=0 # old\noptions nouveau modeset=0\n"
            "options kvm_amd\nblacklist kvm_amd\n")
    found = cmdline_modprobe.parse_module_options("/etc/modprobe.d/kvm.conf", text)
    assert [(o.module, o.param, o.value) for o in found] == [("kvm_intel", "nested", "maybe"), ("kvm_intel", "ept", "0")]
    assert found[0].text == "options kvm-intel nested=maybe ept=0" and found[0].file == "/etc/modprobe.d/kvm.conf"
    words = cmdline_modprobe.parse_module_options("/proc/cmdline", "ro kvm-amd.npt=bogus kvm.enable_virt_at_load=0 i915.x=1 kvm")
    assert [(o.module, o.param, o.value, o.text) for o in words] == [
        ("kvm_amd", "npt", "bogus", "kvm-amd.npt=bogus"), ("kvm", "enable_virt_at_load", "0", "kvm.enable_virt_at_load=0")]
