#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_passthrough_plan
short_description: Say what a host needs for the IOMMU, VFIO device binding and huge pages
version_added: 1.0.0
description:
  - Reads the host and says what must change so that PCI devices can be given to virtual machines
    (the IOMMU on, the devices bound to C(vfio-pci)) and huge page pools hold what is asked, what
    refuses (RV(problems)), what can only be checked once the IOMMU is on (RV(deferred)), and
    what waits for a reboot (RV(pending_reboot)).
  - Changes nothing; the role C(hypervisor.kvm.kvm_host) writes what this module plans. Reads
    only C(/proc), C(/sys), C(/etc/default/grub*) and C(/boot); starts no process.
  - The kernel parameters wanted are C(intel_iommu=on) where the firmware has a C(DMAR) table
    (Intel VT-d; AMD-Vi from an C(IVRS) table is on by default and needs none), C(iommu=pt) for
    O(iommu_passthrough), and C(hugepagesz=1G hugepages=N) for 1 GiB pages, which are only
    allocated at boot. 2 MiB pages are allocated at run time, by writing the pool's
    C(nr_hugepages) (RV(hugepages.runtime)).
  - A setting of another value found in the running kernel's command line or in the
    configuration (outside the role's own drop-in or block, or O(own_parameters)) is a conflict and
    a problem; the role does not override a setting a person made. With O(boot_method=grubby),
    which replaces an argument of the same name, a person's argument of the name of a wanted
    parameter still missing from an entry is one too (for the 1 GiB pair, any C(hugepages=),
    C(hugepagesz=) or C(default_hugepagesz=)).
  - Devices the host needs are never planned for C(vfio-pci) - the controllers (and the bridges
    above them) of the disks of every mount on a block device (C(/), C(/boot), C(/boot/efi), C(/var)...)
    and of every swap partition, through LVM, dm and md, the network cards of the
    default routes through bridges, bonds and VLANs, and the boot display - nor are devices whose
    IOMMU group holds one of them or a device not listed that a host driver holds. While any of
    them cannot be traced (RV(host_devices.unresolved), e.g. a ZFS root), O(vfio_devices) is a problem.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  iommu:
    description:
      - The IOMMU should be on.
      - Where the firmware shows no IOMMU (no C(DMAR) or C(IVRS) ACPI table) and the kernel made no
        IOMMU group, this is a problem that names what the firmware must enable.
    type: bool
    default: false
  iommu_passthrough:
    description:
      - Add C(iommu=pt), so that devices the host keeps use identity mapping and lose no speed.
      - x86 only; on other architectures this is a problem.
    type: bool
    default: false
  vfio_devices:
    description:
      - Devices to bind to C(vfio-pci) at boot, each a PCI address (V(0000:01:00.0), or V(01:00.0)
        meaning domain V(0000)) or a C(vendor:device) id in hex (V(10de:1b80)), which names every
        device with that id.
      - C(vfio-pci)'s C(ids=) option takes every device with an id, so an address whose id another
        device not listed shares is a problem.
      - A device the host needs, a device in no IOMMU group while the IOMMU is on, and a device whose
        IOMMU group holds a device the host needs or one not listed that a driver other than
        C(vfio-pci) or C(pcieport) holds, are problems. While the IOMMU is not on, the group checks
        are RV(deferred) to the role's run after the reboot.
    type: list
    elements: str
    default: []
  hugepages:
    description:
      - Huge page pools to hold, each a page size and a count, for the whole host or one NUMA node.
      - The pages asked (every size, host-wide or on that node) must leave O(min_free_mb) free.
    type: list
    elements: dict
    default: []
    suboptions:
      size:
        description:
          - V(2M) (also V(2048kB), V(2MB)), allocated at run time, or V(1G) (also V(1048576kB), V(1GB)),
            allocated at boot.
          - 1 GiB pages need the CPU flag C(pdpe1gb) on x86.
        type: str
        required: true
      count:
        description: Number of pages, 0 or more.
        type: int
        required: true
      node:
        description:
          - The NUMA node (V(0) for C(/sys/devices/system/node/node0)); omitted for the whole host.
          - Per-node 1 GiB pages need Linux 5.16 or later (the node form C(hugepages=0:2,1:2)), and all
            1 GiB entries must then give a node.
        type: int
  min_free_mb:
    description: Memory in MiB that must stay outside huge pages, on the whole host and on each NUMA node asked for.
    type: int
    default: 2048
  boot_method:
    description:
      - Where the configured kernel command line is read, for conflicts and for what is configured already.
      - V(grub_dropin) and V(grub_block) read the C(GRUB_CMDLINE_LINUX) and C(GRUB_CMDLINE_LINUX_DEFAULT)
        assignments of C(/etc/default/grub) and C(/etc/default/grub.d/*.cfg), in that order, as the
        shell would (C($VAR) words are ignored).
      - V(grubby) reads the C(options) lines of the Boot Loader Specification entries
        C(/boot/loader/entries/*.conf) (EL 8 and later, Fedora); an C(options) of C($kernelopts) (EL 8)
        is the C(kernelopts=) of C(/boot/grub2/grubenv).
    type: str
    choices: [grub_dropin, grub_block, grubby]
    default: grub_dropin
  dropin_name:
    description:
      - The name of the role's own drop-in, C(/etc/default/grub.d/<name>.cfg). Parameters found only there,
        or in the role's block of C(/etc/default/grub) (between C(# BEGIN hypervisor.kvm kvm_host) and
        C(# END hypervisor.kvm kvm_host)), are not conflicts, because the role rewrites them.
    type: str
    default: 60-hypervisor-kvm
  own_parameters:
    description:
      - For O(boot_method=grubby), the kernel parameters the role added to the boot entries earlier and records
        itself, each as the role passed it (a huge page pair as one string, V(hugepagesz=1G hugepages=2)).
      - Their words in the entries (and in C(/proc/cmdline)) are not conflicts, as the role's own drop-in or block is
        not for V(grub_dropin) and V(grub_block); those no longer wanted are in RV(kernel_parameters.remove_from_config).
      - Ignored for V(grub_dropin) and V(grub_block), where the role rewrites its own file or block.
    type: list
    elements: str
    default: []
  root:
    description:
      - Directory to read the host from. V(/) reads this host; any other directory is read as a captured
        snapshot of a host (a tree that mirrors V(/)), in which no symbolic link is followed and every read
        is capped.
    type: path
    default: /
notes:
  - The kernel parameters are returned as the role writes them; C(hugepagesz=1G hugepages=N) is one entry,
    because the kernel pairs the two by their order.
seealso:
  - module: hypervisor.kvm.kvm_facts
  - name: The kernel's command-line parameters intel_iommu, iommu and hugepages
    description: Documentation/admin-guide/kernel-parameters.txt of the Linux kernel.
    link: https://www.kernel.org/doc/html/latest/admin-guide/kernel-parameters.html
"""

EXAMPLES = r"""
- name: Plan the IOMMU, two GPUs' functions for vfio-pci and huge pages
  hypervisor.kvm.kvm_passthrough_plan:
    iommu: true
    iommu_passthrough: true
    vfio_devices:
      - "0000:41:00.0"
      - "0000:41:00.1"
    hugepages:
      - size: 2M
        count: 4096
      - size: 1G
        count: 8
        node: 0
  register: passthrough

- name: Stop with every problem, each saying what to do
  ansible.builtin.assert:
    that: passthrough.problems | length == 0
    fail_msg: "{{ passthrough.problems | join(' ') }}"

- name: Plan against a snapshot captured on a host that cannot be reached
  hypervisor.kvm.kvm_passthrough_plan:
    root: /srv/support/host42
    iommu: true
    boot_method: grubby
  delegate_to: localhost
"""

RETURN = r"""
iommu:
  description: The IOMMU as the host shows it.
  returned: always
  type: dict
  contains:
    vendor:
      description: V(intel) or V(amd), from the firmware table or else the CPU; V(null) when neither tells.
      returned: always
      type: str
      sample: intel
    firmware_table:
      description: The ACPI table announcing an IOMMU (V(DMAR), V(IVRS), V(IORT)); V(null) when none.
      returned: always
      type: str
      sample: DMAR
    "on":
      description: The kernel made IOMMU groups.
      returned: always
      type: bool
      sample: false
    groups:
      description: Number of IOMMU groups.
      returned: always
      type: int
      sample: 0
kernel_parameters:
  description: Kernel command-line parameters.
  returned: always
  type: dict
  contains:
    wanted:
      description: The parameters the request needs, in the order to write them.
      returned: always
      type: list
      elements: str
      sample: ["intel_iommu=on", "iommu=pt", "hugepagesz=1G hugepages=0:8"]
    live:
      description: Those of RV(kernel_parameters.wanted) in C(/proc/cmdline).
      returned: always
      type: list
      elements: str
      sample: []
    pending:
      description:
        - Those of RV(kernel_parameters.wanted) not in C(/proc/cmdline) whose effect needs a reboot.
        - V(intel_iommu=on) is not pending where the IOMMU is on already (a kernel built with it on).
      returned: always
      type: list
      elements: str
      sample: ["intel_iommu=on", "iommu=pt", "hugepagesz=1G hugepages=0:8"]
    missing_in_config:
      description: Those of RV(kernel_parameters.wanted) the configuration read (see O(boot_method)) does not hold; for V(grubby), not every entry.
      returned: always
      type: list
      elements: str
      sample: ["intel_iommu=on", "iommu=pt", "hugepagesz=1G hugepages=0:8"]
    conflicts:
      description: Settings of another value that undo what is asked, each a problem too.
      returned: always
      type: list
      elements: dict
      contains:
        parameter:
          description: The setting as found.
          returned: always
          type: str
          sample: intel_iommu=off
        where:
          description: The file it was found in (C(/proc/cmdline) for the running kernel; C(... (the role's block)) never).
          returned: always
          type: str
          sample: /etc/default/grub
      sample: [{"parameter": "intel_iommu=off", "where": "/etc/default/grub"}]
    remove_from_config:
      description:
        - Entries of O(own_parameters) that RV(kernel_parameters.wanted) no longer holds and some configured command
          line still holds (the same words in a row), for the role to take out (C(grubby --update-kernel=ALL
          --remove-args=...)).
        - Always empty for V(grub_dropin) and V(grub_block).
      returned: always
      type: list
      elements: str
      sample: ["hugepagesz=1G hugepages=2"]
    read_from:
      description: The configuration files read for O(boot_method).
      returned: always
      type: list
      elements: str
      sample: ["/etc/default/grub", "/etc/default/grub.d/60-hypervisor-kvm.cfg"]
vfio:
  description: What C(vfio-pci) is to take at boot.
  returned: always
  type: dict
  contains:
    ids:
      description: The C(vendor:device) ids for C(vfio-pci)'s C(ids=) option, sorted.
      returned: always
      type: list
      elements: str
      sample: ["10de:1b80", "10de:10f0"]
    drivers:
      description: "The drivers that hold those devices now (not C(vfio-pci)), for C(softdep <driver> pre: vfio-pci)."
      returned: always
      type: list
      elements: str
      sample: ["nouveau", "snd_hda_intel"]
    devices:
      description: The devices listed, resolved, sorted by address.
      returned: always
      type: list
      elements: dict
      contains:
        address:
          description: PCI address.
          returned: always
          type: str
          sample: "0000:41:00.0"
        id:
          description: C(vendor:device) in hex.
          returned: always
          type: str
          sample: "10de:1b80"
        driver:
          description: The driver bound now; V(null) when none.
          returned: always
          type: str
          sample: nouveau
        iommu_group:
          description: The IOMMU group; V(null) when in none (or the IOMMU is off).
          returned: always
          type: int
          sample: 27
        group_members:
          description: The addresses of every device in that group, itself included; empty without a group.
          returned: always
          type: list
          elements: str
          sample: ["0000:41:00.0", "0000:41:00.1"]
        bound:
          description: Bound to C(vfio-pci) now.
          returned: always
          type: bool
          sample: false
    pending:
      description: Addresses of the devices not bound to C(vfio-pci) yet.
      returned: always
      type: list
      elements: str
      sample: ["0000:41:00.0", "0000:41:00.1"]
host_devices:
  description: The PCI devices the host itself needs, which never go to C(vfio-pci).
  returned: always
  type: dict
  contains:
    boot_disk:
      description: The controllers of the disks of every mount on a block device and every swap partition, and the PCI bridges above them.
      returned: always
      type: list
      elements: str
      sample: ["0000:00:1d.0", "0000:3d:00.0"]
    network:
      description: The network cards of the default routes (IPv4 and IPv6) and the PCI bridges above them.
      returned: always
      type: list
      elements: str
      sample: ["0000:00:1c.0", "0000:01:00.0"]
    console:
      description: The boot display (C(boot_vga) 1).
      returned: always
      type: list
      elements: str
      sample: ["0000:00:02.0"]
    reasons:
      description: For each address above, why the host needs it.
      returned: always
      type: dict
      sample: {"0000:3d:00.0": "the controller of the root filesystem's disk (nvme0n1)"}
    unresolved:
      description:
        - What could not be traced to a PCI device (a mount of ZFS or on a block device missing from C(/sys), a swap
          partition, a missing interface).
        - When not empty, O(vfio_devices) is a problem.
      returned: always
      type: list
      elements: str
      sample: []
hugepages:
  description: The huge page pools asked, as they are now.
  returned: always
  type: dict
  contains:
    runtime:
      description: 2 MiB pools, which the role writes at run time.
      returned: always
      type: list
      elements: dict
      contains:
        size_kb:
          description: Page size in kB.
          returned: always
          type: int
          sample: 2048
        count:
          description: Pages asked.
          returned: always
          type: int
          sample: 4096
        node:
          description: The NUMA node; V(null) for the whole host.
          returned: always
          type: int
          sample: null
        path:
          description: The sysfs C(nr_hugepages) file to write.
          returned: always
          type: str
          sample: /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
        current:
          description: Pages the pool holds now; V(null) when not readable.
          returned: always
          type: int
          sample: 0
        apply_now:
          description:
            - The pool may be written now. V(false) when its growth (pages asked beyond RV(hugepages.runtime[].current),
              times the page size) is more than C(MemAvailable) of C(/proc/meminfo) minus O(min_free_mb), less what the
              pools before it that are written now take (a NUMA node has no C(MemAvailable) of its own, so the host's
              bounds every pool), or C(MemAvailable) cannot be read; V(true) for a pool that shrinks or stays.
            - The role writes every runtime pool into its boot-time file, and writes the pools now only when every one
              has V(true); a pool with V(false) is in RV(hugepages.runtime_deferred) and RV(pending_reboot).
          returned: always
          type: bool
          sample: true
    runtime_deferred:
      description:
        - A line for each runtime pool whose RV(hugepages.runtime[].apply_now) is V(false) (reserved at the next boot).
        - Each is in RV(pending_reboot) too.
      returned: always
      type: list
      elements: str
      sample:
        - "2 MiB pages on the whole host: 0 now, 40000 asked: more than the memory available now (6144 MiB free beyond min_free_mb),
          so they are reserved at the next boot"
    boot:
      description: 1 GiB pools, allocated at boot from RV(kernel_parameters.wanted).
      returned: always
      type: list
      elements: dict
      contains:
        size_kb:
          description: Page size in kB.
          returned: always
          type: int
          sample: 1048576
        count:
          description: Pages asked.
          returned: always
          type: int
          sample: 8
        node:
          description: The NUMA node; V(null) for the whole host.
          returned: always
          type: int
          sample: 0
        current:
          description: Pages the pool holds now; V(null) when not readable.
          returned: always
          type: int
          sample: 0
    runtime_pending:
      description: A line for each runtime pool that does not hold its count yet and RV(hugepages.runtime[].apply_now) (the role writes it now).
      returned: always
      type: list
      elements: str
      sample: ["2 MiB pages on the whole host: 0 now, 4096 asked: the role writes /sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"]
    pending:
      description: A line for each 1 GiB pool that does not hold its count yet (the next boot allocates it).
      returned: always
      type: list
      elements: str
      sample: ["1 GiB pages on node 0: 0 now, 8 asked: allocated at the next boot"]
problems:
  description: Everything that refuses, each a sentence saying what to do; the role stops when there is any.
  returned: always
  type: list
  elements: str
  sample: ["intel_iommu=off is set in /etc/default/grub: remove it; the role does not override a setting a person made"]
deferred:
  description: Checks that wait for the IOMMU to be on (after the reboot); not problems.
  returned: always
  type: list
  elements: str
  sample: ["the IOMMU is not on yet, so which devices share an IOMMU group with 0000:41:00.0 cannot be told: the role checks the groups again after the reboot"]
pending_reboot:
  description:
    - What takes effect only at the next boot - kernel parameters not live, devices not bound to C(vfio-pci), 1 GiB pools short,
      runtime pools that do not fit in the memory available now (RV(hugepages.runtime_deferred)).
  returned: always
  type: list
  elements: str
  sample: ["kernel parameter intel_iommu=on is not on the running kernel's command line: it takes effect at the next boot"]
changes_need_reboot:
  description: RV(pending_reboot) is not empty.
  returned: always
  type: bool
  sample: true
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._passthrough import BOOT_METHODS, plan_host
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._sources import SnapshotError


def main():
    module = AnsibleModule(
        argument_spec={
            "iommu": {"type": "bool", "default": False},
            "iommu_passthrough": {"type": "bool", "default": False},
            "vfio_devices": {"type": "list", "elements": "str", "default": []},
            "hugepages": {"type": "list", "elements": "dict", "default": [], "options": {
                "size": {"type": "str", "required": True},
                "count": {"type": "int", "required": True},
                "node": {"type": "int"},
            }},
            "min_free_mb": {"type": "int", "default": 2048},
            "boot_method": {"type": "str", "choices": list(BOOT_METHODS), "default": "grub_dropin"},
            "dropin_name": {"type": "str", "default": "60-hypervisor-kvm"},
            "own_parameters": {"type": "list", "elements": "str", "default": []},
            "root": {"type": "path", "default": "/"},
        },
        supports_check_mode=True,
    )
    try:
        result = plan_host(module.params["root"], module.params)
    except SnapshotError as exc:
        module.fail_json(msg="Cannot plan the IOMMU, VFIO and huge pages: %s." % exc)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
