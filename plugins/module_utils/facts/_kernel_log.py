# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kernel log: the running boot's part of it and the lines the message table knows.

Nothing here opens a file. ``parse_kernel_log`` reads ``dmesg`` output, kern.log lines or
/dev/kmsg records through the table of ``_kernel_messages`` (``COMPILED``), linearly in the
log's size, and accepts ``None`` and malformed text.
"""

import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _kernel_messages as kernel_messages
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import KernelLog, LogLine

# Where the kernel's current boot begins in a log that may hold several boots.
_BOOT_MARK = "Linux version "
# The kernel never logs a line longer than this; cutting keeps hostile logs linear.
_LINE_MAX = 1024
# How many places a row's literal is looked at before the row gives up (a hostile log can
# repeat a literal without the pattern).
_TRIES_PER_ROW = 64
# Of the rows whose every line counts (a refused module option), at most this many lines.
_EVERY_MAX = 16
_TIMESTAMP = re.compile(r"^\s*\[\s*\d+\.\d+\]\s*")
_KMSG_HEADER = re.compile(r"^\d+,\d+,\d+,[^;]{0,16};")
_TIME_ZERO = re.compile(r"^[^\n]{0,64}\[\s*0\.000000\]|^\d+,\d+,0,[^;]{0,16};")


def parse_kernel_version(osrelease):
    """The (major, minor) of a kernel release such as '6.1.0-28-amd64', or None."""
    match = re.match(r"\s*(\d+)\.(\d+)", osrelease or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def current_boot(text):
    """The part of a kernel log that belongs to the running kernel's boot.

    Saved logs (kern.log) hold several boots; the last 'Linux version' line starts the
    current one. Returns ``(text, complete)``, ``complete`` telling whether the boot's first
    messages are there.
    """
    if not text:
        return "", False
    start = text.rfind(_BOOT_MARK)
    if start < 0:
        return text, False
    start = text.rfind("\n", 0, start) + 1
    # A few lines come before the banner at time zero (x86 'tdx: Guest detected', arm64
    # 'Booting Linux on physical CPU'): they belong to this boot. An earlier boot's last
    # lines carry later times.
    for _count in range(8):
        before = text.rfind("\n", 0, max(start - 1, 0)) + 1 if start else 0
        if start == 0 or not _TIME_ZERO.search(text[before:start]):
            break
        start = before
    return text[start:], True


def parse_kernel_log(text):
    """The kernel's own statements about KVM in kernel-log text, read through the table.

    Accepts ``dmesg`` output, /var/log/kern.log lines or /dev/kmsg records. Only the current
    boot is read. Each row of ``_kernel_messages.MESSAGES`` is looked for by its literal
    text first and then its pattern within the (cut) line, so the cost is linear in the
    log's size. Returns a ``KernelLog``: the first matching line of each row, in table order
    (of a refused module option, the last ``_EVERY_MAX``, oldest first: a later load may
    have been refused for another value), the hypervisor a 'Hypervisor detected' line
    names, and whether the boot's start is there.
    """
    if text is None:
        return KernelLog((), None, False, False)
    text, complete = current_boot(text)
    lines = []
    hypervisor = None
    for row, pattern, _first, _last in kernel_messages.COMPILED:
        if row["finding"] == "option_rejected":
            for line in _find_lines(text, row["text"], pattern, _EVERY_MAX):
                lines.append(LogLine(row["id"], row["finding"], line, row.get("context")))
            continue
        line = _find_line(text, row["text"], pattern)
        if line is None:
            continue
        lines.append(LogLine(row["id"], row["finding"], line, row.get("context")))
        if hypervisor is None and "Hypervisor detected:" in line:
            hypervisor = _hypervisor_id(line.split("Hypervisor detected:", 1)[-1].strip())
    return KernelLog(tuple(lines), hypervisor, complete, True)


def _find_line(text, literal, pattern):
    """The first line holding ``literal`` where ``pattern`` matches, stripped, or None."""
    found = _find_lines(text, literal, pattern, 1)
    return found[0] if found else None


def _find_lines(text, literal, pattern, most):
    """The first line holding ``literal`` where ``pattern`` matches (``most`` 1), or the last
    ``most`` such lines of the places looked at, stripped, oldest first."""
    found = []
    at = text.find(literal)
    tries = 0
    while at >= 0 and tries < _TRIES_PER_ROW and not (most == 1 and found):
        tries += 1
        start = text.rfind("\n", max(0, at - _LINE_MAX), at) + 1
        end = text.find("\n", at, at + _LINE_MAX)
        if end < 0:
            end = min(len(text), at + _LINE_MAX)
        line = text[start:end]
        if pattern.search(line):
            found.append(_strip_log_prefix(line))
        at = text.find(literal, end)
    return found[-most:]


_HYPERVISOR_NAMES = (
    ("KVM", "kvm"), ("VMware", "vmware"), ("Microsoft", "microsoft"), ("Xen", "xen"),
    ("ACRN", "acrn"), ("Jailhouse", "jailhouse"), ("bhyve", "bhyve"), ("QNX", "qnx"),
)


def _hypervisor_id(name):
    for word, ident in _HYPERVISOR_NAMES:
        if name.startswith(word):
            return ident
    words = name.split()
    return words[0].lower()[:32] if words else None


def _strip_log_prefix(line):
    """Drop the timestamp of a dmesg line or the header of a /dev/kmsg record."""
    line = _TIMESTAMP.sub("", line, count=1)
    line = _KMSG_HEADER.sub("", line, count=1)
    return line.strip()[:300]
