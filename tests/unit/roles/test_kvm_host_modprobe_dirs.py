# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_host reads the modprobe.d directories kvm_facts reads, in the same order (issue 22)."""

import pathlib

import yaml

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._cmdline_modprobe import MODPROBE_DIRS

ROLE = pathlib.Path(__file__).resolve().parents[3] / "roles" / "kvm_host"


def test_the_role_greps_the_directories_kvm_facts_reads():
    role = yaml.safe_load((ROLE / "vars" / "main.yml").read_text(encoding="utf-8"))["__kvm_host_modprobe_dirs"]
    assert tuple(role) == tuple(MODPROBE_DIRS)
