# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The x86 architecture names, the DMI fields and the modprobe.d directories are defined once.

The facts' modules import them; what cannot import them (tools/capture-host, a shell script) is
held to them here, so a snapshot holds every file the facts read.
"""

import pathlib
import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._cmdline_modprobe import MODPROBE_DIRS
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._hypervisors import DMI_FIELDS

ROOT = pathlib.Path(__file__).resolve().parents[5]
CAPTURE_HOST = (ROOT / "tools" / "capture-host").read_text(encoding="utf-8")
PLUGINS = [(path, path.read_text(encoding="utf-8")) for path in sorted((ROOT / "plugins").rglob("*.py"))]


def test_capture_host_copies_every_dmi_field_the_facts_read():
    for field in DMI_FIELDS:
        assert "/sys/class/dmi/id/%s " % field in CAPTURE_HOST, field


def test_capture_host_copies_every_modprobe_directory_the_facts_read():
    copied = re.findall(r"(/[\w/.]+/modprobe\.d)/\*\.conf", CAPTURE_HOST)
    assert tuple(copied) == MODPROBE_DIRS


def test_the_lists_are_written_once_in_the_plugins():
    lists = {
        "x86 architectures": re.compile(r"[\"']i686[\"']"),
        "DMI fields": re.compile(r"[\"']board_vendor[\"']"),
        "modprobe.d directories": re.compile(r"/usr/local/lib/modprobe\.d"),
    }
    for what, pattern in lists.items():
        places = [str(path.relative_to(ROOT)) for path, text in PLUGINS if pattern.search(text)]
        # _sources' syscall numbers name i686 as one architecture among all, not as the x86 list.
        places = [p for p in places if not p.endswith("facts/_sources.py")]
        assert len(places) == 1, (what, places)
