# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_kernel_messages: every row of the message table whole, and its look-ups (versions, a line's named parts)."""

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_log as kernel_log
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as table
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._kernel_messages import MESSAGES as ROWS

from ..hosts import BOOT_LOG as BOOT


def test_table_rows_are_whole():
    """Every row names its pattern, versions, file, source and the finding it supports."""
    ids = [row["id"] for row in ROWS]
    assert len(ids) == len(set(ids))
    for row in ROWS:
        assert row["finding"] in table.FINDINGS, row["id"]
        assert row["text"] and row["file"] and row["source"] and row["first"], row["id"]
        assert row["arch"] in ("x86", "arm64", "riscv", "s390", "powerpc", "any"), row["id"]
        first = kernel_log.parse_kernel_version(row["first"])
        assert first is not None and (3, 0) <= first, row["id"]
        if row["last"] is not None:
            assert kernel_log.parse_kernel_version(row["last"]) >= first, row["id"]


def test_versions_of_a_message():
    assert table.printed_by("x86_kvm_support_disabled_by_bios", (6, 1)) is True
    assert table.printed_by("x86_kvm_support_disabled_by_bios", (5, 15)) is False
    assert table.printed_by("x86_kvm_support_disabled_by_bios", None) is None
    assert table.behaviour_since("vmx_flag_cleared_when_firmware_off") == (5, 6)


@pytest.mark.parametrize("line,fields", [
    ("kvm_intel: `maybe' invalid for parameter `nested'", {"module": "kvm_intel", "value": "maybe", "param": "nested"}),
    ("kvm_amd: '' invalid for parameter 'npt'", {"module": "kvm_amd", "value": "", "param": "npt"}),
    ("VMXON faulted, MSR_IA32_FEAT_CTL (0x3a) = 0x3", {"msr": "0x3"}),
])
def test_message_fields(line, fields):
    found = kernel_log.parse_kernel_log(BOOT + "[ 9.0] " + line + "\n").lines
    assert found and table.message_fields(found[0]) == fields


def test_other_modules_invalid_value_is_not_kvms():
    """Another driver's refused option, or a KVM line's wording inside it, matches no KVM row."""
    log = kernel_log.parse_kernel_log(BOOT + "[ 9.0] rtl8723de: `X' invalid for parameter `ant_sel'\n")
    assert [m.id for m in log.lines] == []
