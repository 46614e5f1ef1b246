# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: one JSON line per task result, to the file named by $RESULTS_LOG."""

from __future__ import annotations

DOCUMENTATION = r"""
name: results_log
type: notification
short_description: Write each task result as a JSON line (tests only)
description:
  - Appends C({"host", "task", "status", "result"}) for every task result to the file named by
    the environment variable C(RESULTS_LOG), for the Redfish emulator tests to assert on.
requirements:
  - enabled in callbacks_enabled
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Record task results for assertions."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "results_log"
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status):
        path = os.environ.get("RESULTS_LOG")
        if not path:
            return
        line = {"host": result._host.get_name(), "task": result._task.get_name(), "status": status,
                "result": result._result}
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._write(result, "changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._write(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._write(result, "unreachable")
