# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_hypervisors: the hypervisor under this host (DMI), a confidential guest's kind, hypervisors beside KVM."""

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _hypervisors as hypervisors
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_log as kernel_log

from ..hosts import BOOT_LOG as BOOT


@pytest.mark.parametrize("dmi,hypervisor", [
    ({"sys_vendor": "QEMU"}, "qemu"), ({"product_name": "KVM"}, "kvm"),
    ({"sys_vendor": "VMware, Inc.", "product_name": "VMware Virtual Platform"}, "vmware"),
    ({"sys_vendor": "Microsoft Corporation", "product_name": "Virtual Machine"}, "microsoft"),
    ({"sys_vendor": "innotek GmbH", "product_name": "VirtualBox"}, "oracle"),
    ({"sys_vendor": "Amazon EC2", "product_name": "c5.large"}, "amazon"),
    ({"sys_vendor": "Google", "product_name": "Google Compute Engine"}, "google"),
    ({"sys_vendor": "Dell Inc.", "product_name": "PowerEdge R650"}, None),
    ({}, None),
])
def test_hypervisor_from_dmi(dmi, hypervisor):
    assert hypervisors.hypervisor_from_dmi(dmi) == hypervisor


def _log(*lines):
    return kernel_log.parse_kernel_log(BOOT + "".join("[    1.0] %s\n" % line for line in lines)).lines


@pytest.mark.parametrize("lines,flags,kind", [
    (["Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP"], "", "sev-snp"),
    (["Memory Encryption Features active: AMD SEV SEV-ES"], "sev sev_es sev_snp", "sev-es"),
    (["AMD Memory Encryption Features active: SEV SEV-ES"], "", "sev-es"),
    (["AMD Secure Encrypted Virtualization (SEV) active"], "", "sev"),
    (["SEV: Status: SEV SEV-ES SEV-SNP DebugSwap"], "", "sev-snp"),
    (["kvm_amd: KVM is unsupported when running as an SEV guest"], "hypervisor sev sev_es", "sev-es"),
    (["SVM: KVM is unsupported when running as an SEV guest"], "hypervisor", "sev"),
    (["Memory Encryption Features active: Intel TDX"], "", "tdx"),
    (["tdx: Guest detected"], "", "tdx"),
    ([], "hypervisor tdx_guest", "tdx"),
    # Azure/Hyper-V with a paravisor: the isolation type is the last digit of Group B.
    (["Hyper-V: Isolation Config: Group A 0x1, Group B 0xba2"], "hypervisor", "sev-snp"),
    (["Hyper-V: Isolation Config: Group A 0x1, Group B 0xbe3"], "hypervisor", "tdx"),
    (["Hyper-V: Isolation Config: Group A 0x1, Group B 0x1"], "hypervisor", None),
    # A host: SME in the kernel's line, sev flags on bare metal, are no guest.
    (["Memory Encryption Features active: AMD SME"], "sme sev sev_es sev_snp", None),
    (["AMD Memory Encryption Features active: SME"], "sme sev", None),
    (["kvm_amd: SEV-ES and SEV-SNP supported: 255 ASIDs"], "sev sev_es sev_snp", None),
    ([], "sev sev_es sev_snp hypervisor", None),
])
def test_confidential_guest(lines, flags, kind):
    assert hypervisors.confidential_guest(_log(*lines), frozenset(flags.split())) == kind


def test_other_hypervisors():
    # VMware's guest tools and host networking are not hypervisors holding VT-x.
    assert hypervisors.other_hypervisors({"vmw_vmci", "vmw_balloon", "vmwgfx", "vmxnet3", "vmw_pvscsi", "vsock", "vmnet",
                                          "vboxguest", "vboxsf"}, None) == []
    assert hypervisors.other_hypervisors({"jailhouse"}, None) == ["jailhouse"]
    assert hypervisors.other_hypervisors({"vboxdrv", "kvm"}, None) == ["virtualbox"]
    assert hypervisors.other_hypervisors({"vmmon"}, "control_d\n") == ["vmware", "xen-dom0"]
    assert hypervisors.other_hypervisors(set(), "") == []
