# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small values of one file: a first line, a sysfs boolean or integer, a chosen mode.

Nothing here opens a file. Every function accepts ``None`` (the file could not be read) and
malformed text, and answers with what it could tell rather than raising. ``FIELD_MAX`` is the
length every value a host gave is cut to before it becomes a fact.
"""

import json
import re

# A value of a host's file shown to people is cut here: a host cannot make a fact of megabytes.
FIELD_MAX = 256


def first_line(text):
    """The first line of a one-line file (osrelease, a sysfs id), stripped and cut; None when empty."""
    if not text:
        return None
    line = text.strip().split("\n", 1)[0].strip()
    return line[:FIELD_MAX] or None


def parse_thp_mode(text):
    """The chosen mode of /sys/kernel/mm/transparent_hugepage/enabled ('always [madvise] never')."""
    chosen = re.search(r"\[(\w{1,32})\]", (text or "")[:4096])
    return chosen.group(1) if chosen else None


def parse_reboot_pending(text):
    """What the role kvm_host left waiting for the next boot: a JSON list of sentences, or None.

    The file is the host's, so it is read as data: at most 20 strings, each cut to FIELD_MAX;
    anything else (not JSON, not a list of strings) gives None for the caller to say so.
    """
    if text is None:
        return []
    try:
        value = json.loads(text[:65536])
    except ValueError:
        return None
    # json gives unicode on Python 2 and str on 3: type(u"") is either.
    if not isinstance(value, list) or not all(isinstance(item, type(u"")) for item in value):
        return None
    return [item.strip()[:FIELD_MAX] for item in value[:20] if item.strip()]


def parse_bool(text):
    """A sysfs boolean (``Y``/``N``/``1``/``0``) as True/False, None when it is neither."""
    value = (text or "").strip().lower()
    if value in ("y", "1", "yes", "on", "true"):
        return True
    if value in ("n", "0", "no", "off", "false"):
        return False
    return None


def parse_int(text):
    """A decimal or 0x-hex integer from sysfs, None when it is not one."""
    value = (text or "").strip()
    try:
        return int(value, 0)
    except ValueError:
        return None
