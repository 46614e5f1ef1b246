# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hypothesis strategies of the property tests: any text, a host file's lines, an architecture or none."""

from hypothesis import strategies as st

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as table

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400)
LINES = st.lists(st.one_of(TEXT, st.sampled_from([
    "flags\t: vmx svm", "vendor_id : GenuineIntel", "processor : 0", "", ":", "isa : rv64",
    "CPU implementer : 0x41", "platform : PowerNV", "features : sie", "kvm: disabled by bios",
    "Hypervisor detected: ", "[ 0.0] CPU: All CPU(s) started at EL2", "\x00\xff", "Linux version 6.1"]
    + [row["sample"] for row in table.MESSAGES])), max_size=30).map("\n".join)
ARCHES = st.sampled_from(["x86_64", "aarch64", "s390x", "ppc64le", "riscv64", "i686", "", "mips", None])
