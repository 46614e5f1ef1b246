# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/kernel-messages.md is what the kernel message table gives (make kernel-messages-doc)."""

import importlib.util
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("kernel_messages_doc", str(ROOT / "tools" / "kernel_messages_doc.py"))
GENERATOR = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(GENERATOR)


def test_the_committed_page_is_the_table():
    page = (ROOT / "docs" / "kernel-messages.md").read_text(encoding="utf-8")
    assert GENERATOR.render(GENERATOR.load_table()) == page, "run make kernel-messages-doc"


def test_every_message_and_behaviour_has_a_row():
    table = GENERATOR.load_table()
    page = GENERATOR.render(table)
    for row in table.MESSAGES:
        assert "| %s |" % GENERATOR.escape(row["sample"]) in page, row["id"]
    for entry in table.BEHAVIOUR:
        assert "| %s |" % GENERATOR.escape(entry["id"]) in page, entry["id"]


def test_a_value_shows_as_text_never_as_markup():
    hostile = "a | b `c` *d* _e_ [f](javascript:x) <script>&amp; \\ ![g](h)\nnext line # not a heading"
    cell = GENERATOR.escape(hostile)
    # One line, and every ASCII punctuation character preceded by a backslash.
    assert "\n" not in cell
    assert re.search(r"(?<!\\)[!-/:-@\[-`{-~]", re.sub(r"\\[!-/:-@\[-`{-~]", "", cell)) is None
    row = GENERATOR._row([cell, "x"])  # pylint: disable=protected-access
    # A table row's cells are split at pipes that are not escaped: still two cells.
    assert len(re.findall(r"(?<!\\)\|", row)) == 3


def test_kvm_facts_points_to_the_page_instead_of_repeating_it():
    module = (ROOT / "plugins" / "modules" / "kvm_facts.py").read_text(encoding="utf-8")
    docs = module[:module.index('EXAMPLES = r"""')]
    assert "docs/kernel-messages.md" in docs
    # No message's wording is repeated in the module's documentation.
    for row in GENERATOR.load_table().MESSAGES:
        assert row["text"] not in docs, row["id"]
