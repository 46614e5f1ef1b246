#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_facts
short_description: Tell whether and why a Linux host can run KVM
version_added: 1.0.0
description:
  - Gathers C(ansible_facts['kvm']), which says whether KVM acceleration can be used on the host (the
    question Ubuntu's C(kvm-ok) answers), the reason when it cannot, what a person does next,
    and the evidence behind the verdict.
  - Right where flag checks are wrong. Kernels from 5.6 hide C(vmx)/C(svm) when firmware
    disabled them, so the kernel log and raw CPUID tell firmware from missing hardware. A virtual
    machine without nested virtualization is told to change its parent hypervisor, not a BIOS.
    Built-in modules are found in C(/sys/module), software KVM (C(kvm_pvm)) is recognised, and
    a container that sees the host's modules but no C(/dev/kvm) is told how to pass it in.
  - WSL 2 is read as the Hyper-V virtual machine it is (nested virtualization is given on Windows,
    in C(.wslconfig)), WSL 1 as having no Linux kernel at all, and a confidential guest (AMD SEV,
    SEV-ES, SEV-SNP, Intel TDX) as a guest in which KVM cannot run.
  - On the live host the verdict is settled by opening C(/dev/kvm) and creating an empty virtual
    machine with C(KVM_CREATE_VM), which is closed at once.
  - Also reports, cheaply, IOMMU groups, huge pages, C(/dev/vhost-net) and C(/dev/net/tun),
    confidential computing support (SEV, SEV-ES, SEV-SNP, TDX) and GPUs with how they can be
    given to virtual machines.
  - The same keys are returned on every run; a value that could not be read is V(null) and an
    RV(ansible_facts.kvm.evidence) entry says why.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
extends_documentation_fragment:
  - hypervisor.kvm.facts
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.facts
attributes:
  facts:
    support: full
notes:
  - "The kernel's messages the verdict reads, each with what it tells, the kernels that print it and its source, are in
    L(docs/kernel-messages.md,https://github.com/hypervisor-kvm/hypervisor.kvm/blob/main/docs/kernel-messages.md),
    generated from the table the verdict reads."
  - "V(unknown) is said only when the evidence cannot settle it; the remediation names the two
    causes that remain and the one command that tells them apart."
seealso:
  - module: hypervisor.kvm.kvm_check
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Gather KVM facts
  hypervisor.kvm.kvm_facts:

- name: Stop early on hosts that cannot run KVM, saying what to do
  ansible.builtin.assert:
    that: ansible_facts['kvm']['usable']
    fail_msg: "{{ ansible_facts['kvm']['reason'] }}: {{ ansible_facts['kvm']['remediation'] }}"

- name: Read a snapshot captured on a host that cannot be reached
  hypervisor.kvm.kvm_facts:
    root: /srv/support/host42
  delegate_to: localhost
"""

RETURN = r"""
ansible_facts:
  description: Facts added to C(ansible_facts).
  returned: always
  type: dict
  contains:
    kvm:
      description: Whether and why this host can run KVM.
      returned: always
      type: dict
      contains:
        usable:
          description: KVM acceleration can be used on this host.
          returned: always
          type: bool
          sample: true
        reason:
          description:
            - V(ok) when usable; otherwise why not, one of the reasons below.
            - "V(ok) KVM acceleration can be used (on a live host: /dev/kvm opened and KVM_CREATE_VM succeeded)."
            - "V(cpu_unsupported) the CPU has no virtualization extension (vmx, svm, EL2, SIE, POWER HV, RISC-V H)."
            - "V(firmware_disabled) the CPU has the extension and the BIOS/UEFI firmware turned it off (or, on ARM, started Linux at EL1)."
            - "V(nested_not_exposed) this host is a virtual machine whose hypervisor does not pass the extension through."
            - "V(other_hypervisor) another hypervisor on this machine (VirtualBox, VMware Workstation) holds the extension."
            - "V(kernel_disabled) a kernel command-line parameter keeps KVM off (blacklists its module, hides the CPU feature or turns KVM off)."
            - "V(module_blocked) a modprobe.d line (blacklist, or install ... /bin/false) keeps the KVM module from loading, or the
              kernel refused the module for an option value (modprobe.d or the kernel command line) it could not parse."
            - "V(module_not_loaded) the extension is there and the vendor module (kvm_intel, kvm_amd, kvm_hv, kvm) is not loaded."
            - "V(device_missing) KVM could work but /dev/kvm is absent: typically a container that sees the host's modules."
            - "V(device_inaccessible) /dev/kvm exists and this user cannot open it."
            - "V(unknown) the evidence does not settle it; the remediation names the causes that remain and the command that tells them apart."
          returned: always
          type: str
          choices:
            - ok
            - cpu_unsupported
            - firmware_disabled
            - nested_not_exposed
            - other_hypervisor
            - kernel_disabled
            - module_blocked
            - module_not_loaded
            - device_missing
            - device_inaccessible
            - unknown
          sample: firmware_disabled
        remediation:
          description: What a person does next, specific to the reason, CPU vendor and architecture; empty when usable.
          returned: always
          type: str
          sample: >-
            The CPU supports it, but the firmware has it turned off. Restart the machine and enter the
            BIOS/UEFI setup (press F2, F10, Del or Esc ...), enable "SVM Mode" (AMD-V) ...
        arch:
          description: The machine architecture, as C(uname -m) prints it; V(null) when not readable.
          returned: always
          type: str
          sample: x86_64
        kernel:
          description: The kernel release.
          returned: always
          type: str
          sample: 6.1.0-28-amd64
        cpu:
          description: The processor and the extension KVM needs on it.
          returned: always
          type: dict
          contains:
            vendor:
              description: V(intel), V(amd), V(hygon), V(zhaoxin), V(arm), V(ampere), V(ibm), V(sifive), ...
              type: str
              returned: always
              sample: amd
            model:
              description: The model string.
              type: str
              returned: always
              sample: AMD EPYC 7763 64-Core Processor
            extension:
              description: >-
                The extension KVM needs: V(vmx) (Intel VT-x), V(svm) (AMD-V), V(el2) (ARM), V(sie) (IBM Z),
                V(hv) (POWER hypervisor mode), V(h) (RISC-V).
              type: str
              returned: always
              sample: svm
            extension_shown:
              description: >-
                Whether the kernel shows the extension (the C(/proc/cpuinfo) flag; on ARM, the kernel
                started at EL2; on POWER, the PowerNV platform); V(null) when it cannot be told. Kernels
                from 5.6 (C(vmx)) and 6.7 (C(svm)) hide the flag when the firmware turned the extension off,
                so V(false) alone does not mean the CPU lacks it.
              type: bool
              returned: always
              sample: true
            count:
              description: Number of logical CPUs.
              type: int
              returned: always
              sample: 16
        vendor_module:
          description: The KVM module this architecture and CPU need (V(kvm_intel), V(kvm_amd), V(kvm_hv), V(kvm)).
          returned: always
          type: str
          sample: kvm_amd
        modules:
          description: KVM modules present, loaded or built in, from C(/sys/module) and C(/proc/modules).
          returned: always
          type: list
          elements: str
          sample: [kvm, kvm_amd]
        device:
          description: The C(/dev/kvm) device.
          returned: always
          type: dict
          contains:
            exists:
              description: C(/dev/kvm) exists.
              type: bool
              returned: always
              sample: true
            accessible:
              description:
                - This user could open it. In a snapshot, what its owner, group, mode and access list say for
                  the user in RV(ansible_facts.kvm.user), as C(tools/capture-host) recorded them.
                - V(null) when not probed, when the open failed for another reason than permissions
                  (C(ENODEV) or C(ENXIO), a node that leads to no KVM), and in a snapshot without those
                  records or where they cannot say (a link recorded, an access list whose entries were not
                  captured, groups kept from the host in a user namespace).
              type: bool
              returned: always
              sample: true
            api_version:
              description: The answer to C(KVM_GET_API_VERSION) (12 on every current kernel); V(null) when not probed.
              type: int
              returned: always
              sample: 12
            vm_created:
              description: C(KVM_CREATE_VM) succeeded; V(null) when not probed.
              type: bool
              returned: always
              sample: true
            uid:
              description: Its owner's uid (as this user namespace shows it); V(null) when not known.
              type: int
              returned: always
              sample: 0
            owner:
              description: Its owner's name; V(null) when the uid has none or is not known.
              type: str
              returned: always
              sample: root
            gid:
              description: Its group's gid (an unmapped one shows as the overflow gid, 65534); V(null) when not known.
              type: int
              returned: always
              sample: 109
            group:
              description: Its group's name; V(null) when the gid has none or is not known.
              type: str
              returned: always
              sample: kvm
            mode:
              description: Its permission bits in octal; V(null) when not known.
              type: str
              returned: always
              sample: "0660"
            major_minor:
              description: Its device numbers (V(10:232) for KVM); V(null) when not a device node or not known.
              type: str
              returned: always
              sample: "10:232"
            acl:
              description: It has a POSIX access control list (as systemd-logind's uaccess gives the seat's user); V(null) when not known.
              type: bool
              returned: always
              sample: false
        nested:
          description: Nested virtualization for this host's own guests.
          returned: always
          type: dict
          contains:
            enabled:
              description: The vendor module's C(nested) parameter; V(null) when the module is not loaded or has none.
              type: bool
              returned: always
              sample: true
            module:
              description: The module whose parameter was read.
              type: str
              returned: always
              sample: kvm_amd
            set_by:
              description: >-
                Where the vendor module's next load takes its C(nested) option from, as C(FILE: LINE), in the
                order kmod passes them to the module, so the last one wins: the C(options) lines of every
                modprobe.d directory kmod reads, by file name (of two files of one name, the first directory's),
                then the kernel command line (C(/proc/cmdline)), which kmod reads last. A line that sets it
                twice is listed once; of more than 16, the last 16. Empty when nothing sets it.
              type: list
              elements: str
              returned: always
              sample: ["/etc/modprobe.d/kvm_host.conf: options kvm_amd nested=1"]
        guest:
          description: Whether this host itself is a virtual machine or a container.
          returned: always
          type: dict
          contains:
            virtualized:
              description: This host is a virtual machine.
              type: bool
              returned: always
              sample: false
            hypervisor:
              description: >-
                The hypervisor, as C(systemd-detect-virt) names it (V(kvm), V(qemu), V(vmware), V(microsoft),
                V(xen), V(oracle), V(amazon), V(google), V(zvm), V(powervm), ... or V(vm-other)); V(null) on bare metal.
              type: str
              returned: always
              sample: kvm
            container:
              description: >-
                The container (V(docker), V(podman), V(lxc), V(systemd-nspawn), ...); V(null) when none. WSL is
                not a container: see RV(ansible_facts.kvm.guest.wsl).
              type: str
              returned: always
              sample: null
            wsl:
              description: >-
                V(2) in WSL 2 (a Hyper-V virtual machine of Windows: RV(ansible_facts.kvm.guest.hypervisor) is
                V(microsoft), also with a container inside it), V(1) in WSL 1 (no Linux kernel: Windows answers
                the system calls), V(null) outside WSL.
              type: int
              returned: always
              sample: null
            confidential:
              description: >-
                This host is a confidential guest, as C(systemd-detect-virt --cvm) names it: V(sev), V(sev-es),
                V(sev-snp) or V(tdx), from the kernel's boot lines (or the C(tdx_guest) CPU flag); V(null)
                otherwise. Not the host's support for running such guests, which is
                RV(ansible_facts.kvm.confidential).
              type: str
              returned: always
              sample: null
        iommu:
          description: The IOMMU, needed to pass devices to virtual machines.
          returned: always
          type: dict
          contains:
            enabled:
              description: The kernel created IOMMU groups.
              type: bool
              returned: always
              sample: true
            groups:
              description: Number of IOMMU groups.
              type: int
              returned: always
              sample: 42
            firmware_table:
              description: The ACPI table announcing an IOMMU (V(DMAR) Intel, V(IVRS) AMD, V(IORT) ARM), V(null) when none.
              type: str
              returned: always
              sample: DMAR
            kernel_parameters:
              description: IOMMU parameters on the kernel command line.
              type: list
              elements: str
              returned: always
              sample: [intel_iommu=on]
        hugepages:
          description: Huge page pools, transparent huge pages and KSM.
          returned: always
          type: dict
          contains:
            pools:
              description: Per page size (V(2048kB), V(1048576kB)), the C(total) and C(free) pages.
              type: dict
              returned: always
              sample: {"2048kB": {"total": 0, "free": 0}}
            transparent:
              description: The transparent huge page mode (V(always), V(madvise), V(never)).
              type: str
              returned: always
              sample: madvise
            ksm:
              description: Kernel same-page merging runs.
              type: bool
              returned: always
              sample: false
        devices:
          description: Other devices virtual machines use; each V(true) when present.
          returned: always
          type: dict
          contains:
            vhost_net:
              description: C(/dev/vhost-net) exists.
              type: bool
              returned: always
            vhost_vsock:
              description: C(/dev/vhost-vsock) exists.
              type: bool
              returned: always
            tun:
              description: C(/dev/net/tun) exists.
              type: bool
              returned: always
            vfio:
              description: C(/dev/vfio/vfio) exists.
              type: bool
              returned: always
          sample: {"vhost_net": true, "vhost_vsock": true, "tun": true, "vfio": true}
        confidential:
          description: Confidential computing host support, from the KVM vendor module's parameters; V(null) when not offered.
          returned: always
          type: dict
          contains:
            sev:
              description: AMD SEV is enabled in C(kvm_amd).
              type: bool
              returned: always
            sev_es:
              description: AMD SEV-ES is enabled in C(kvm_amd).
              type: bool
              returned: always
            sev_snp:
              description: AMD SEV-SNP is enabled in C(kvm_amd).
              type: bool
              returned: always
            tdx:
              description: Intel TDX is enabled in C(kvm_intel).
              type: bool
              returned: always
            sev_device:
              description: C(/dev/sev) exists.
              type: bool
              returned: always
          sample: {"sev": true, "sev_es": true, "sev_snp": false, "tdx": null, "sev_device": true}
        reboot_pending:
          description:
            - What the role C(hypervisor.kvm.kvm_host) wrote that waits for the next boot (kernel parameters,
              devices for C(vfio-pci), 1 GiB page pools), one sentence each, as its last run left them in
              C(/run/hypervisor-kvm/reboot-pending.json); a boot clears it.
            - Empty when nothing waits; V(null) when that file holds something else (the evidence says so).
          returned: always
          type: list
          elements: str
          sample: ["kernel parameters not on /proc/cmdline yet: iommu=pt"]
        gpus:
          description: Display controllers (PCI class 0x03) and how each can be given to a virtual machine.
          returned: always
          type: list
          elements: dict
          contains:
            address:
              description: PCI address.
              type: str
              returned: always
              sample: "0000:41:00.0"
            vendor:
              description: V(nvidia), V(amd), V(intel), ... or the PCI vendor id when unknown.
              type: str
              returned: always
              sample: nvidia
            vendor_id:
              description: PCI vendor id.
              type: str
              returned: always
              sample: "0x10de"
            device_id:
              description: PCI device id.
              type: str
              returned: always
              sample: "0x2236"
            class:
              description: PCI class.
              type: str
              returned: always
              sample: "0x030200"
            driver:
              description: The bound driver, V(null) when none.
              type: str
              returned: always
              sample: vfio-pci
            iommu_group:
              description: The IOMMU group, V(null) without IOMMU.
              type: int
              returned: always
              sample: 27
            passthrough_ready:
              description: Bound to C(vfio-pci) in an IOMMU group, ready to pass through.
              type: bool
              returned: always
              sample: true
            sriov:
              description: SR-IOV virtual functions (C(total_vfs), C(num_vfs)), V(null) when the device has none.
              type: dict
              returned: always
              sample: {"total_vfs": 16, "num_vfs": 0}
            mdev_types:
              description: Mediated device (vGPU) types with C(type), C(name) and C(available_instances).
              type: list
              elements: dict
              returned: always
              sample: [{"type": "nvidia-558", "name": "NVIDIA A10-4Q", "available_instances": 6}]
        user:
          description:
            - The user the verdict is for. Live, the user the module runs as, with the groups it holds.
            - In a snapshot, the user C(tools/capture-host) recorded (C(--user NAME), else the user who ran sudo,
              else the user that ran it); all V(null) (and C(groups) empty) in a snapshot without that record.
          returned: always
          type: dict
          contains:
            name:
              description: The user's name; V(null) when it has none or is not known.
              type: str
              returned: always
              sample: runner
            uid:
              description: The user's uid.
              type: int
              returned: always
              sample: 1001
            gid:
              description: The user's primary gid.
              type: int
              returned: always
              sample: 121
            groups:
              description: Every group the user holds, each with C(id) and C(name) (V(null) when it has none).
              type: list
              elements: dict
              returned: always
              sample: [{"id": 121, "name": "docker"}, {"id": 4, "name": "adm"}]
            source:
              description:
                - How the user was chosen. V(process) the process that ran the module or the capture;
                  V(sudo) the user who ran C(sudo tools/capture-host) (groups as a new login gets them);
                  V(option) named by C(tools/capture-host --user).
              type: str
              returned: always
              choices: [process, sudo, option]
              sample: sudo
            user_namespace:
              description:
                - V(true) inside a user namespace (a rootless container), where ids outside its maps show
                  as the overflow ids and root is not the host's root; V(null) when not known.
              type: bool
              returned: always
              sample: false
        probed:
          description: The live probes ran (V(false) for a snapshot, or when C(/dev/kvm) is missing).
          returned: always
          type: bool
          sample: true
        evidence:
          description: The observations behind the verdict, each with where it came from.
          returned: always
          type: list
          elements: dict
          contains:
            source:
              description: The file, device or step observed.
              type: str
              returned: always
              sample: /dev/kvm
            observation:
              description: What was seen there.
              type: str
              returned: always
              sample: opened; KVM_GET_API_VERSION 12; KVM_CREATE_VM succeeded
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._sources import SnapshotError


def main():
    module = AnsibleModule(
        argument_spec={"root": {"type": "path", "default": "/"}},
        supports_check_mode=True,
    )
    try:
        facts = gather(module.params["root"])
    except SnapshotError as exc:
        module.fail_json(msg="Cannot read KVM facts: %s." % exc)
    module.exit_json(changed=False, ansible_facts={"kvm": facts})


if __name__ == "__main__":
    main()
