# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel command line and modprobe.d: what keeps the KVM modules off, and their options.

Nothing here opens a file; ``MODPROBE_DIRS`` names the directories the facts read (kmod's own
list), the one list of them.
"""

import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import Block, Option
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._file_values import FIELD_MAX

# Every directory kmod reads modprobe.d files from, in kmod's order (a file name in an earlier
# directory hides the same name in the later ones): the facts read them all, the remediation names them.
MODPROBE_DIRS = ("/etc/modprobe.d", "/run/modprobe.d", "/usr/local/lib/modprobe.d", "/usr/lib/modprobe.d",
                 "/lib/modprobe.d")

_KVM_MODULE_NAME = re.compile(r"^kvm([_-]\w+)?$")


def _is_kvm_module(name):
    return bool(_KVM_MODULE_NAME.match(name.replace("-", "_")))


# Built-in KVM's init functions, as initcall_blacklist= names them (x86, arm64, riscv, s390, POWER).
_KVM_INITCALLS = re.compile(
    r"^(vmx_init|svm_init|kvm_x86_init|kvm_arm_init|arm_init|riscv_kvm_init|kvm_s390_init|"
    r"kvmppc_book3s_init_hv|kvmppc_book3s_init_pr|kvmppc_book3s_init|kvm_init)$")
# X86_FEATURE_VMX is word 4 bit 5, X86_FEATURE_SVM word 6 bit 2: clearcpuid= takes the
# bit number (every kernel) or, from 5.19, the flag's name.
_CLEARCPUID_KVM = {"vmx": "vmx", "133": "vmx", "svm": "svm", "194": "svm"}


def parse_cmdline_blocks(text):
    """Kernel command-line parameters that keep KVM off, as ``Block``s of kind 'cmdline'.

    Finds the parameters that blacklist a KVM module (``module_blacklist=``,
    ``modprobe.blacklist=``), skip a built-in KVM's init (``initcall_blacklist=``), hide the
    CPU feature (``clearcpuid=vmx``/``svm`` or their bit numbers) or turn KVM off
    (``kvm-arm.mode=none``). ``module`` is the KVM module named, or the hidden flag.
    """
    blocks = []
    for param in (text or "").split()[:512]:
        key, _sep, value = param.partition("=")
        norm = key.replace("-", "_").lower()
        shown = param[:FIELD_MAX]
        if norm in ("module_blacklist", "modprobe.blacklist"):
            for name in value.split(","):
                if _is_kvm_module(name):
                    blocks.append(Block("cmdline", "blacklist", shown, "/proc/cmdline", name.replace("-", "_")))
        elif norm == "kvm_arm.mode" and value.lower() == "none":
            blocks.append(Block("cmdline", "kvm_off", shown, "/proc/cmdline", "kvm"))
        elif norm == "initcall_blacklist":
            for name in value.split(","):
                if _KVM_INITCALLS.match(name):
                    blocks.append(Block("cmdline", "initcall", shown, "/proc/cmdline", name))
        elif norm == "clearcpuid":
            for name in value.split(","):
                flag = _CLEARCPUID_KVM.get(name.strip().lower())
                if flag:
                    blocks.append(Block("cmdline", "hide_feature", shown, "/proc/cmdline", flag))
    return blocks


# An ``install`` command that loads nothing: the module is kept off.
_NOOP_COMMANDS = ("false", "true", "nologin", "echo", ":")


def parse_modprobe_blocks(path, text):
    """``blacklist kvm_intel`` or ``install kvm_amd /bin/false`` lines of one modprobe.d file.

    Returns ``Block``s of kind 'modprobe' with effect 'blacklist' (not loaded by alias, so
    not at boot; an explicit modprobe still loads it) or 'install' (modprobe runs the
    command instead of loading it).
    """
    found = []
    for raw in (text or "").splitlines()[:4096]:
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if len(words) < 2 or not _is_kvm_module(words[1]):
            continue
        module = words[1].replace("-", "_")
        if words[0] == "blacklist":
            found.append(Block("modprobe", "blacklist", line[:FIELD_MAX], path, module))
        elif words[0] == "install" and len(words) >= 3 and words[2].rsplit("/", 1)[-1] in _NOOP_COMMANDS:
            found.append(Block("modprobe", "install", line[:FIELD_MAX], path, module))
    return found


def _option_words(word):
    """'kvm-intel.nested=1' -> ('kvm_intel', 'nested', '1'); None when it is no KVM module's."""
    key, sep, value = word.partition("=")
    module, dot, param = key.partition(".")
    if not dot or not param or not _is_kvm_module(module):
        return None
    return module.replace("-", "_"), param.replace("-", "_")[:64], value[:FIELD_MAX] if sep else ""


def parse_module_options(path, text):
    """Parameters set for the KVM modules' next load: ``Option``s.

    ``path`` names where ``text`` comes from: /proc/cmdline (``kvm_intel.nested=1`` words),
    or a modprobe.d file (``options kvm_intel nested=1 ept=0`` lines, comments dropped).
    """
    found = []
    if path == "/proc/cmdline":
        for word in (text or "").split()[:512]:
            parts = _option_words(word)
            if parts:
                found.append(Option(parts[0], parts[1], parts[2], path, word[:FIELD_MAX]))
        return found
    for raw in (text or "").splitlines()[:4096]:
        line = raw.split("#", 1)[0].strip()
        words = line.split()
        if len(words) < 3 or words[0] != "options" or not _is_kvm_module(words[1]):
            continue
        module = words[1].replace("-", "_")
        for word in words[2:64]:
            key, sep, value = word.partition("=")
            found.append(Option(module, key.replace("-", "_")[:64], value[:FIELD_MAX] if sep else "", path,
                                line[:FIELD_MAX]))
    return found


def iommu_parameters(cmdline):
    """The IOMMU parameters on a kernel command line (intel_iommu=, amd_iommu=, iommu=)."""
    return [p[:FIELD_MAX] for p in (cmdline or "").split()[:512]
            if p.split("=", 1)[0] in ("intel_iommu", "amd_iommu", "iommu")]
