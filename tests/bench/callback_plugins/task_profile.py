# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench-only callback: each task's wall time, as ansible.posix's profile_tasks measures it."""

from __future__ import annotations

DOCUMENTATION = r"""
name: task_profile
type: aggregate
short_description: Each task's wall time as a JSON line (make bench-role only)
description:
  - Times each task (and handler) from its start to the start of the next, as
    ansible.posix.profile_tasks does, and appends C({"task", "path", "seconds", "status"}) for each
    to the file named by the environment variable C(BENCH_TASK_TIMES). The collection does not
    depend on ansible.posix, so the bench brings its own.
requirements:
  - enabled in callbacks_enabled
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    """Record the time and outcome of every task."""

    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_profile"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self._current = None
        self._rows = []

    def _close(self):
        if self._current is not None:
            self._current["seconds"] = round(time.monotonic() - self._current.pop("start"), 3)
            self._rows.append(self._current)
            self._current = None

    def _start(self, task):
        self._close()
        self._current = {"task": task.get_name(), "path": task.get_path() or "", "status": "skipped",
                         "start": time.monotonic()}

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task)

    def _status(self, status):
        # A loop's outcome is its worst item's: failed, then changed, then ok, then skipped.
        order = ["skipped", "ok", "changed", "failed"]
        if self._current is not None and order.index(status) > order.index(self._current["status"]):
            self._current["status"] = status

    def v2_runner_on_ok(self, result):
        self._status("changed" if result._result.get("changed") else "ok")

    def v2_runner_item_on_ok(self, result):
        self._status("changed" if result._result.get("changed") else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._status("ok" if ignore_errors else "failed")

    def v2_runner_on_unreachable(self, result):
        self._status("failed")

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("BENCH_TASK_TIMES")
        if path:
            with open(path, "a", encoding="utf-8") as handle:
                for row in self._rows:
                    handle.write(json.dumps(row) + "\n")
