# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_kernel_log: the current boot's lines the message table knows, found linearly in any text (hypothesis)."""

import re
import time

import pytest
from hypothesis import given, settings

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_log as kernel_log
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as table
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._kernel_messages import MESSAGES as ROWS

from ..hosts import BOOT_LOG as BOOT
from .strategies import LINES


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_message_alone(row):
    """The message as the kernel prints it, with a dmesg timestamp or a /dev/kmsg header."""
    assert row["text"] in row["sample"] and re.search(row["pattern"], row["sample"]), row["id"]
    for line in ("[   12.345678] " + row["sample"], "3,512,12000000,-;" + row["sample"]):
        log = kernel_log.parse_kernel_log(BOOT + line + "\n")
        found = [m for m in log.lines if m.id == row["id"]]
        assert found and found[0].finding == row["finding"]
        assert found[0].line == row["sample"].strip()[:300]
        assert log.complete


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_each_message_only_in_the_current_boot(row):
    """A line of an earlier boot in kern.log says nothing about this one."""
    log = kernel_log.parse_kernel_log(BOOT + "[ 5.0] " + row["sample"] + "\n" + BOOT + "[ 1.0] nothing here\n")
    assert row["id"] not in [m.id for m in log.lines]


@pytest.mark.parametrize("osrelease,version", [
    ("6.1.0-28-amd64", (6, 1)), ("3.10.0-1160.el7.x86_64", (3, 10)), ("5.15.0-91-generic\n", (5, 15)),
    ("6.18-rc1", (6, 18)), ("", None), (None, None), ("linux", None)])
def test_kernel_version(osrelease, version):
    assert kernel_log.parse_kernel_version(osrelease) == version


def test_kernel_log_is_linear_on_hostile_lines():
    """A megabyte line, or a literal repeated without its pattern, costs milliseconds of CPU (CPU, not wall
    time: a busy machine must not fail it; backtracking would cost seconds to hours)."""
    long_line = "x" * (4 * 1024 * 1024)
    repeated = "disabled by bios " * 200000
    for text in (long_line, BOOT + long_line, BOOT + repeated, ("kvm: " * 50 + "\n") * 20000):
        start = time.process_time()
        kernel_log.parse_kernel_log(text)
        assert time.process_time() - start < 0.5


def test_tdx_line_before_the_banner_belongs_to_this_boot():
    """tdx_early_init prints before start_kernel's banner, at time zero."""
    old = "[  900.1] tdx: Guest detected\n[  901.0] reboot: Restarting system\n"
    log = kernel_log.parse_kernel_log(old + "[    0.000000] tdx: Guest detected\n" + BOOT)
    assert [m.id for m in log.lines] == ["x86_tdx_guest_detected"] and log.complete
    assert kernel_log.parse_kernel_log(old + BOOT).lines == ()


@settings(max_examples=300, deadline=None)
@given(text=LINES)
def test_kernel_log_never_raises(text):
    parsed = kernel_log.parse_kernel_log(text)
    assert all(line.finding in table.FINDINGS for line in parsed.lines)
    # Whatever else surrounds them, the table's messages of the current boot are found.
    current = kernel_log.current_boot(text)[0]
    for row in table.MESSAGES:
        if any(row["sample"] == line.strip() for line in current.splitlines()):
            assert row["id"] in [m.id for m in parsed.lines]
