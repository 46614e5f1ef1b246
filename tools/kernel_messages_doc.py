# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/kernel-messages.md, generated from the kernel message table the verdict reads.

The table (plugins/module_utils/facts/_kernel_messages.py) is the one source for the kernel's
messages about KVM, the versions that print them and their sources; this page shows it to people
so that the modules' documentation need not repeat it. `make kernel-messages-doc` writes the page;
`--check` (tests/unit/tools/test_kernel_messages_doc.py) fails when the committed page differs.
Every value from the table is escaped for Markdown: the page shows text, never markup.

Usage: python tools/kernel_messages_doc.py [--check]
"""

import importlib.util
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
TABLE = ROOT / "plugins" / "module_utils" / "facts" / "_kernel_messages.py"
PAGE = ROOT / "docs" / "kernel-messages.md"
# CommonMark lets a backslash escape any ASCII punctuation character, and then shows it as itself.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape(value):
    """A table value as Markdown text: one line, every ASCII punctuation character escaped."""
    text = " ".join(str(value).split())
    return _PUNCTUATION.sub(r"\\\1", text)


def load_table(path=TABLE):
    """The table module, loaded from its file (it imports nothing of the collection)."""
    spec = importlib.util.spec_from_file_location("kernel_messages", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def kernels(first, last):
    """The kernel releases that print a message, in words."""
    if first and last:
        return "%s to %s" % (first, last)
    if first:
        return "%s on" % first
    if last:
        return "up to %s" % last
    return "every kernel"


def _row(cells):
    return "| %s |" % " | ".join(cells)


def render(table):
    """The whole page, from the table module's FINDINGS, MESSAGES and BEHAVIOUR."""
    out = [
        "# The kernel's messages about KVM",
        "",
        "<!-- Generated from plugins/module_utils/facts/_kernel_messages.py by `make kernel-messages-doc`; "
        "do not edit. -->",
        "",
        "`hypervisor.kvm.kvm_facts` and `hypervisor.kvm.kvm_check` read the running boot's kernel log through "
        "this table: each message below, looked for as printed, supports one finding, which the verdict "
        "weighs with the kernel's version, the CPU vendor and the rest of the host. Versions are kernel.org "
        "releases (what upstream says): distribution kernels backport, so a version is a hint, never proof.",
        "",
    ]
    findings = list(table.FINDINGS)
    findings += sorted(set(row["finding"] for row in table.MESSAGES) - set(findings))
    out += ["## Findings", "", _row(["Finding", "What a line saying it means"]), _row(["---", "---"])]
    for finding in findings:
        out.append(_row([escape(finding), escape(table.FINDINGS.get(finding, ""))]))
    out.append("")
    for finding in findings:
        rows = [row for row in table.MESSAGES if row["finding"] == finding]
        if not rows:
            continue
        out += ["## %s" % escape(finding), "",
                _row(["Message, as printed", "Kernels", "Architecture", "Vendor", "File", "Source", "What it tells"]),
                _row(["---"] * 7)]
        for row in rows:
            out.append(_row([escape(row["sample"]), escape(kernels(row["first"], row["last"])),
                             escape(row["arch"] or "any"), escape(row["vendor"] or "any"), escape(row["file"]),
                             escape(row["source"]), escape(row.get("context") or "")]))
        out.append("")
    out += ["## Behaviour that changed over time", "",
            "What the kernel does, rather than prints, from a version on; evidence by itself.", "",
            _row(["Behaviour", "From", "File", "Source", "Meaning"]), _row(["---"] * 5)]
    for entry in table.BEHAVIOUR:
        out.append(_row([escape(entry["id"]), escape(entry["first"]), escape(entry["file"]), escape(entry["source"]),
                         escape(entry["meaning"])]))
    return "\n".join(out) + "\n"


def main(argv):
    page = render(load_table())
    if "--check" in argv:
        if PAGE.read_text(encoding="utf-8") != page:
            sys.stderr.write("%s differs from the table: run make kernel-messages-doc\n" % PAGE.relative_to(ROOT))
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
