# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The README's list of kvm_facts keys is the module's RETURN: every key, no other."""

import pathlib
import re

import yaml

from ansible_collections.hypervisor.kvm.plugins.modules import kvm_facts

README = pathlib.Path(__file__).resolve().parents[4] / "README.md"


def _returned():
    """Top-level keys of ansible_facts.kvm: each with its type and sub-keys (a list's: its elements')."""
    kvm = yaml.safe_load(kvm_facts.RETURN)["ansible_facts"]["contains"]["kvm"]["contains"]
    return {name: (spec.get("type"), sorted(spec.get("contains", {}))) for name, spec in kvm.items()}


def _listed():
    """The keys the README's "kvm_facts keys" section names: `key` or `key` (`sub`, `sub`, ...)."""
    text = README.read_text()
    start = text.index("## `kvm_facts` keys")
    section = text[start:text.index("\n## ", start + 1)]
    paragraph = section.split("\n\n")[2]
    listed, depth, current = {}, 0, None
    for token in re.findall(r"`[^`]+`|\(|\)", paragraph):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0:
            current = token.strip("`")
            listed[current] = []
        elif depth == 1 and current is not None:
            listed[current].append(token.strip("`"))
    return listed


def test_readme_names_every_top_level_key_and_no_other():
    assert sorted(_listed()) == sorted(_returned())


def test_readme_names_only_returned_sub_keys_and_all_of_each_dict_it_details():
    returned, listed = _returned(), _listed()
    for name, subkeys in listed.items():
        kind, known = returned[name]
        assert set(subkeys) <= set(known), name
        if subkeys and kind == "dict":
            assert sorted(subkeys) == known, name
