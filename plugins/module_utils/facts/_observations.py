# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shapes that flow from reading to deciding: what was observed on a host.

The parsers (``_cpuinfo``, ``_kernel_log``, ...) turn text into these, ``_facts`` reads a host into one ``Observations``, and
``_verdict.decide`` takes that and nothing else.
"""

from collections import namedtuple

# /proc/cpuinfo, read for the host's architecture. ``extension_shown`` is True/False when the
# kernel shows/hides the extension KVM needs (on ARM: started at EL2; on POWER: PowerNV),
# None when the text cannot tell. ``features`` is the set of x86 flags (or s390 features).
Cpu = namedtuple("Cpu", "vendor model extension extension_shown features platform machine count")

# One kernel-log line that matched a row of ``_kernel_messages.MESSAGES``.
LogLine = namedtuple("LogLine", "id finding line context")

# What the kernel log says: its matched ``lines`` (in table order, the first of each row),
# the hypervisor it names (``Hypervisor detected``), whether the current boot's first
# messages are in it (``complete``), and whether any log could be read at all (``read``).
KernelLog = namedtuple("KernelLog", "lines hypervisor complete read")

# A kernel command-line parameter or modprobe.d line that keeps KVM off. ``kind`` is
# 'cmdline' or 'modprobe'; ``effect`` is 'blacklist' (module not loaded by name or alias),
# 'install' (modprobe runs another command instead), 'initcall' (a built-in's init is
# skipped), 'hide_feature' (clearcpuid hides vmx/svm) or 'kvm_off' (KVM turned off).
Block = namedtuple("Block", "kind effect text file module")

# /dev/kvm: whether it exists, and on a live host what opening it and KVM_CREATE_VM said (in a
# snapshot, ``accessible`` is what its owner, group and mode say for the captured user, or None);
# its owner, group, mode (octal text, "0660"), numbers ('10:232') and whether it has an access control list.
Device = namedtuple("Device", "exists accessible api_version vm_created uid owner gid group mode major_minor acl")
Device.__new__.__defaults__ = (None,) * 7

# Whether the host is a VM (under which hypervisor) or a container (which). ``wsl`` is 1 or 2
# in Windows Subsystem for Linux (WSL 2 is a Hyper-V VM; WSL 1 has no Linux kernel), else
# None; ``confidential`` the kind of confidential guest ('sev', 'sev-es', 'sev-snp', 'tdx'),
# else None.
Guest = namedtuple("Guest", "virtualized hypervisor container wsl confidential")
Guest.__new__.__defaults__ = (None, None)

# Raw x86 readings through the cpuid and msr drivers (live host only). ``extension``: the
# extension in raw CPUID (True/False, None when not readable). ``firmware``: what the
# firmware's MSR says: 'enabled', 'disabled', 'txt_only' (VT-x only inside SMX), or None.
Raw = namedtuple("Raw", "extension firmware cpuid_read msr_read")

# A module parameter set for the next load of a KVM module: an ``options MODULE param=value``
# line of a modprobe.d file, or ``MODULE.param=value`` on the kernel command line (``file`` is
# then /proc/cmdline). ``module`` and ``param`` are written with underscores, as the kernel
# compares them.
Option = namedtuple("Option", "module param value file text")

# Everything ``decide`` weighs. ``kernel_version`` is (major, minor) or None; ``modules`` the
# KVM modules present (loaded or built in); ``others`` the other hypervisors found on this
# machine ('virtualbox', 'vmware', 'xen-dom0'); ``user`` the user that probed /dev/kvm (in a
# snapshot, the user capture-host recorded); ``options`` the ``Option``s set for the KVM
# modules; ``virt_at_load`` kvm's enable_virt_at_load parameter (True/False, None when the
# kernel has none or it was not read); ``identity`` that user's ids (a
# ``_permissions.Identity``) and ``access`` what /dev/kvm's permissions say for it (an
# ``_permissions.Access``), None where not known (a snapshot without capture-host's records);
# ``live`` whether this host was read as it runs now (False for a snapshot).
Observations = namedtuple(
    "Observations",
    "arch kernel kernel_version cpu modules device probed probe_error guest log blocks raw others user "
    "options virt_at_load identity access live")
# The fields added last have defaults, so a reader that does not know them still builds one.
Observations.__new__.__defaults__ = ((), None, None, None, False)

# The verdict: kvm-ok's answer, the reason, what a person does, and the observation that
# settled it (for the evidence).
Verdict = namedtuple("Verdict", "usable reason remediation settled_by")
