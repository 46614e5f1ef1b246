# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment(object):
    """The option and attributes that kvm_facts and kvm_check share."""

    DOCUMENTATION = r"""
options:
  root:
    description:
      - Directory to read the host from.
      - V(/) reads the live host and probes C(/dev/kvm) (C(KVM_GET_API_VERSION), C(KVM_CREATE_VM)),
        C(/dev/kmsg) and the raw CPUID.
      - Any other directory is read as a captured snapshot of a host (a tree that mirrors V(/), as
        written by the collection's C(tools/capture-host)); live probes are skipped
        there and RV(hypervisor.kvm.kvm_facts#module:ansible_facts.kvm.probed) is V(false).
      - A snapshot is data someone sent, read and never followed. Every path is resolved inside
        it and no symbolic link in it is followed; only regular files of a single name are read,
        each read is capped, and anything else (a symbolic link, a hard link whose other name
        could be outside the snapshot, a FIFO, a device node) is named in the evidence. A root
        that is itself a symbolic link is refused.
      - A snapshot's files must be plain copies, as C(tools/capture-host) writes them; a tree
        whose identical files were merged into hard links (C(cp -l), C(rsync --link-dest), a
        deduplicating tool) is read without those files.
      - An empty value is an error, not this host, so that an empty inventory variable cannot
        report the controller under another host's name.
    type: path
    default: /
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
    description: Linux hosts of any architecture (x86_64, aarch64, s390x, ppc64le, riscv64).
notes:
  - Reads C(/proc), C(/sys), C(/dev) and the kernel log only. It never loads a kernel module,
    writes a file, uses the network or starts a process.
  - Run it with O(ignore:become=true) for the most complete evidence; as another user, the kernel
    log and the CPUID device may not be readable, and C(/dev/kvm) may not open (which is itself
    reported as V(device_inaccessible)).
"""
