# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reasons are defined once (``_reasons``); the module docs and the README say the same."""

import pathlib

import yaml

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import MEANINGS, REASONS
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_facts

README = pathlib.Path(__file__).resolve().parents[4] / "README.md"


def test_module_return_lists_every_reason_with_its_meaning():
    reason = yaml.safe_load(kvm_facts.RETURN)["ansible_facts"]["contains"]["kvm"]["contains"]["reason"]
    assert reason["choices"] == list(REASONS)
    for name in REASONS:
        assert "V(%s) %s." % (name, MEANINGS[name]) in reason["description"], name


def test_readme_table_has_every_reason_once():
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `")]
    named = [row.split("`")[1] for row in rows]
    for name in REASONS:
        assert named.count(name) == 1, name
