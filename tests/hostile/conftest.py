# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hostile-snapshot corpus, built once per session, and the tally printed at the end."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import corpus  # noqa: E402  pylint: disable=wrong-import-position

# (case name, module) -> {"wall", "cpu", "size", "clean", "problems", "gaps"}
TALLY = {}
# (module, hosts, seconds, rc) of each run through ansible
ANSIBLE_RUNS = []


def pytest_runtest_logreport(report):
    """Collect what each test recorded (record_property): under pytest-xdist the reports, not the
    workers' globals, reach the process that prints the summary."""
    if report.when != "call":
        return
    for key, value in report.user_properties:
        if key == "hostile_tally":
            TALLY[(value["name"], value["module"])] = value["row"]
        elif key == "hostile_ansible_run":
            ANSIBLE_RUNS.append(tuple(value))


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """``(ctx, roots)`` of corpus.build in a fresh directory."""
    work = str(tmp_path_factory.mktemp("hostile"))
    return corpus.build(work)


def pytest_terminal_summary(terminalreporter):
    """How many hostile inputs were tried, how many were handled cleanly, and how fast."""
    if not TALLY:
        return
    write = terminalreporter.write_line
    write("")
    write("hostile snapshots: module runs (wall s, CPU s, result bytes)")
    for (name, module), row in sorted(TALLY.items()):
        state = "clean" if row["clean"] else ("KNOWN GAP" if row["gaps"] and not row["problems"] else "FAILED")
        write("  %-62s %-9s %6.2f %6.2f %9d  %s" % (
            name[:62], module, row["wall"], row["cpu"], row["size"], state))
        for text in row["problems"] + row["gaps"]:
            write("      - %s" % text)
    inputs = sorted({name for name, _module in TALLY})
    clean = [name for name in inputs if all(row["clean"] for (n, _m), row in TALLY.items() if n == name)]
    contained = [name for name in inputs if not any(row["problems"] for (n, _m), row in TALLY.items() if n == name)]
    walls = sorted(row["wall"] for row in TALLY.values())
    write("hostile inputs tried: %d (each through %s); handled cleanly: %d; "
          "failed only on a known gap outside the reading code: %d" % (
              len(inputs), ", ".join(sorted({m for _n, m in TALLY})), len(clean), len(contained) - len(clean)))
    cpus = sorted(row["cpu"] for row in TALLY.values())
    figures = (walls[len(walls) // 2], walls[-1], cpus[len(cpus) // 2], cpus[-1], os.getloadavg()[0],
               os.cpu_count() or 1)
    write("module run wall time: median %.2f s, max %.2f s; CPU time: median %.2f s, max %.2f s "
          "(load average now %.1f on %d cores)" % figures)
    for module, hosts, seconds, code in ANSIBLE_RUNS:
        write("ansible -m hypervisor.kvm.%s on %d hostile roots: %.1f s, rc %d" % (module, hosts, seconds, code))
