# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet readiness report written on the controller in one task: the directory checked (and made
when missing), the page, CSV and JSON made by the kvm_fleet_files filter's code, each file replaced
atomically. Its documentation is plugins/modules/kvm_fleet_report_write.py."""

from __future__ import annotations

import datetime
import errno
import gc
import json
import os
import stat
import tempfile

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_native, to_text
from ansible.plugins.action import ActionBase

from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_files import report_files
from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_report import kvm_fleet_report

ARGUMENT_SPEC = {
    # raw: a value that is not text is refused with the report's own message, not converted.
    "dest": {"type": "raw", "required": True},
    "hosts": {"type": "list", "elements": "str"},
    "template": {"type": "str"},
    "result": {"type": "str", "default": "kvm_report_gathered"},
    "generated": {"type": "str"},
}

FILE_MODE = 0o644
DIR_MODE = 0o755
# The page the collection ships, next to the playbook that writes it.
TEMPLATE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "playbooks", "templates", "kvm_report.html.j2")


class ReportDirError(Exception):
    """The report directory named is not one the report may be written into."""


def report_dir(value):
    """The directory ``value`` names, with ``~`` expanded and every link resolved.

    Raises ReportDirError for what is not text, is blank, resolves to ``/`` or is something other than a
    directory: the report's three files must go into a directory of their own.
    """
    path = os.path.realpath(os.path.expanduser(value)) if isinstance(value, str) and value.strip() else "/"
    if path == "/":
        raise ReportDirError("kvm_report_dir must name the directory the report is written to; '' (the current directory) "
                             "and / are refused. Got %s." % json.dumps(to_text(value, nonstring="simplerepr")))
    if os.path.lexists(path) and not os.path.isdir(path):
        raise ReportDirError("%s exists and is not a directory; give kvm_report_dir a directory." % path)
    return path


def make_dir(path):
    """Create ``path`` and its missing parents, each with mode 0755; True when something was created."""
    missing = []
    while not os.path.lexists(path):
        missing.append(path)
        path = os.path.dirname(path)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:
            if not os.path.isdir(directory):
                raise
            continue
        os.chmod(directory, DIR_MODE)  # the umask may have taken bits off
    return bool(missing)


def differs(path, data):
    """False only when ``path`` is a regular file of mode 0644 that holds ``data``; never follows a link or blocks."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ELOOP, errno.ENXIO, errno.EACCES):
            return True
        raise
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or stat.S_IMODE(info.st_mode) != FILE_MODE or info.st_size != len(data):
            return True
        return handle.read(len(data) + 1) != data


def write_atomically(directory, name, data):
    """Write ``data`` to ``directory/name`` through a temporary file in the directory renamed over the name.

    A reader never sees half a file, and whatever is at the name (a symbolic link planted there) is
    replaced, never followed. Mode 0644.
    """
    fd, temporary = tempfile.mkstemp(prefix=".%s." % name, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            os.fchmod(handle.fileno(), FILE_MODE)
        os.replace(temporary, os.path.join(directory, name))
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def summary(report, path):
    """The one line that says how many hosts can run KVM, per verdict, and where the page is."""
    counts = ", ".join("%s %d" % (count["verdict"], count["count"]) for count in report["counts"])
    words = ["%d of %d host(s) can run KVM (%s)." % (report["usable"], report["total"], counts)]
    if report["bmc_fixable"]:
        words.append("%d firmware_disabled host(s) can be fixed from their BMC with hypervisor.kvm.kvm_firmware "
                     "(kvm_firmware_reboot: true applies it)." % report["bmc_fixable"])
    words.append("Report: %s" % os.path.join(path, "index.html"))
    return " ".join(words)


class ActionModule(ActionBase):
    """The hypervisor.kvm.kvm_fleet_report_write action: on the controller, reaches no host."""

    _supports_check_mode = True
    _supports_async = False

    def _template_text(self, template):
        """The text of the page template: the collection's page, or ``template`` found as the template action finds its src."""
        path = TEMPLATE if template is None else self._find_needle("templates", template)
        real = self._loader.get_real_file(path)
        try:
            with open(real, "rb") as handle:
                # Stripped at the end as the file lookup gave it to the filter: the same page, byte for byte.
                return to_text(handle.read(), errors="surrogate_or_strict").rstrip()
        finally:
            self._loader.cleanup_tmp_file(real)

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        del tmp
        # Shown whatever the verbosity, as a debug task's message is: the summary is the point of the task.
        result["_ansible_verbose_always"] = True
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        try:
            path = report_dir(args["dest"])
        except ReportDirError as exc:
            return dict(result, failed=True, msg=str(exc))
        # No cyclic garbage collection while the report is made: its rows hold no cycles, and each full collection
        # would walk every object this worker inherited from the controller (the state of every host), copying
        # its memory pages. The report is freed, by reference counting, before collection is on again.
        collecting = gc.isenabled()
        gc.disable()
        try:
            result.update(self._write(path, args, task_vars))
        finally:
            if collecting:
                gc.enable()
        return result

    def _write(self, path, args, task_vars):
        """Make the report and write its files into ``path`` (not in check mode); the task's result."""
        hosts = args["hosts"] if args["hosts"] is not None else task_vars.get("ansible_play_hosts_all", [])
        generated = args["generated"]
        if generated is None:
            generated = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        try:
            text = self._template_text(args["template"])
            report = kvm_fleet_report(hosts, task_vars.get("hostvars", {}), result=args["result"], generated=generated)
            files = {name: content.encode("utf-8") for name, content in report_files(report, text).items()}
        except (AnsibleError, OSError) as exc:
            return {"failed": True, "msg": "Cannot make the report: %s" % to_native(exc)}

        check_mode = self._task.check_mode
        created = not os.path.isdir(path)
        try:
            changed_files = [name for name, data in files.items() if created or differs(os.path.join(path, name), data)]
            if not check_mode:
                if created:
                    make_dir(path)
                for name in changed_files:
                    write_atomically(path, name, files[name])
        except OSError as exc:
            return {"failed": True, "msg": "Cannot write the report into %s: %s (%s)." % (path, exc.strerror or exc, exc.filename or path)}

        msg = summary(report, path)
        if check_mode and (created or changed_files):
            msg += " Check mode, nothing written: would %s%s." % (
                "create the directory and " if created else "", "write " + ", ".join(changed_files))
        return {
            "changed": created or bool(changed_files),
            "msg": msg,
            "dest": path,
            "created": created,
            "files": [os.path.join(path, name) for name in files],
            "changed_files": changed_files,
            "total": report["total"],
            "usable": report["usable"],
            "bmc_fixable": report["bmc_fixable"],
            "counts": {count["verdict"]: count["count"] for count in report["counts"]},
        }
