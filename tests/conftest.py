# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The tally of hostile and faulty inputs, for every suite that tries them.

A test marked ``@pytest.mark.hostile`` feeds the collection something an attacker or bad luck
would (a wedged BMC, a credential echoed back, a host whose verdict cannot be read, a pool at
``/``); the end of each run says how many such inputs held.
"""

import pytest

_HOSTILE = {"held": 0, "failed": 0}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "hostile: a hostile or faulty input the collection must hold against (counted at the end)")
    config.addinivalue_line(
        "markers", "deadline: measures how long a run takes; make runs these alone, not beside other tests")


@pytest.hookimpl(trylast=True)
def pytest_runtest_logreport(report):
    if "hostile" not in report.keywords or report.skipped:
        return
    if report.when == "call":
        _HOSTILE["held" if report.passed else "failed"] += 1
    elif report.failed:
        _HOSTILE["failed"] += 1


def pytest_terminal_summary(terminalreporter):
    if _HOSTILE["held"] or _HOSTILE["failed"]:
        terminalreporter.write_line("hostile or faulty inputs: %d held, %d did not" % (
            _HOSTILE["held"], _HOSTILE["failed"]))
