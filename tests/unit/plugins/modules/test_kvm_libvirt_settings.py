# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_libvirt_settings over the lenses and configuration files Debian 12 (libvirt 9.0.0) and
Debian 13 (libvirt 11.3.0) install, as they ship (fixtures/libvirt_settings/SOURCE.md).

The module runs as Ansible runs it: a process, its arguments in a file. A file with assignments
is made from the shipped one by uncommenting its documented defaults, as a person would.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _libvirt_conf
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_libvirt_settings

from .test_kvm_firmware_bios import MODULE_PYTHON, find_python, module_path

MODULE = pathlib.Path(kvm_libvirt_settings.__file__)
FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "libvirt_settings"
RELEASES = ["debian12", "debian13"]
# Each configuration file with its lens.
FILES = [("libvirtd.conf", "libvirtd.aug"), ("qemu.conf", "libvirtd_qemu.aug")]


def shipped(release, name):
    """The text of a shipped file."""
    return (FIXTURES / release / name).read_text()


def uncomment(text, key):
    """``text`` with the commented default of ``key`` (``#key = ...``, a list over several lines
    to its ``]``) made an assignment, as a person edits the file."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if re.match(r"#%s\s*=" % key, line))
    end = start
    if "[" in lines[start]:
        while "]" not in lines[end]:
            end += 1
    for index in range(start, end + 1):
        lines[index] = lines[index][1:]
    return "\n".join(lines)


def run(tmp_path, release, conf, settings, text=None, check_mode=False, diff=False, python=None, lens=None, **args):
    """Copy ``conf`` of ``release`` (or write ``text`` in its place), run the module on it with the
    release's lens; returns (result, path of the file)."""
    lens = lens or dict(FILES)[conf]
    path = tmp_path / conf
    if text is None:
        shutil.copyfile(str(FIXTURES / release / conf), str(path))
    else:
        path.write_text(text)
    module_args = dict({"path": str(path), "lens": str(FIXTURES / release / lens), "settings": settings},
                       _ansible_check_mode=check_mode, _ansible_diff=diff, **args)
    arguments = tmp_path / "args.json"
    arguments.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
    python = python or MODULE_PYTHON
    proc = subprocess.run([python, str(MODULE), str(arguments)], capture_output=True, text=True, timeout=120, check=False,
                          env=dict(os.environ, PYTHONPATH=module_path(python)))
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("the module did not answer in JSON:\n%s\n%s" % (proc.stdout, proc.stderr))
    assert "Traceback" not in proc.stderr and "exception" not in result, result
    return result, path


def lines_other_than(text, *indexes):
    return [line for index, line in enumerate(text.split("\n")) if index not in indexes]


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("conf,lens", FILES)
def test_every_documented_key_is_in_the_lens_and_parses(release, conf, lens):
    """The parser reads every commented default of the shipped file once uncommented, and the lens
    declares its key: the lens and the parser agree with the file libvirt ships."""
    text = shipped(release, conf)
    keys = _libvirt_conf.parse_lens(shipped(release, lens))["keys"]
    documented = sorted(set(re.findall(r"^#([a-z_][a-z0-9_]*)\s*=", text, re.MULTILINE)))
    assert len(documented) > 40
    assert [key for key in documented if key not in keys] == []
    edited = text
    for key in documented:
        edited = uncomment(edited, key)
    assigned = [stmt["name"] for stmt in _libvirt_conf.parse_conf(edited)]
    assert sorted(set(assigned)) == documented


def test_lens_keys_follow_the_release():
    """Debian 13's qemu.conf knows keys Debian 12's does not, and qemu.conf takes no negative integer."""
    old = _libvirt_conf.parse_lens(shipped("debian12", "libvirtd_qemu.aug"))
    new = _libvirt_conf.parse_lens(shipped("debian13", "libvirtd_qemu.aug"))
    assert (len(old["keys"]), len(new["keys"])) == (93, 107)
    assert "storage_use_nbdkit" in new["keys"] and "storage_use_nbdkit" not in old["keys"]
    assert new["keys"]["max_core"] == "limits" and new["keys"]["cgroup_device_acl"] == "str_list"
    assert new["patterns"]["int_val"] == "[0-9]+"
    assert _libvirt_conf.parse_lens(shipped("debian12", "libvirtd.aug"))["patterns"]["int_val"] == "-?[0-9]+"


def test_unknown_key_refused_with_close_matches(tmp_path):
    result, path = run(tmp_path, "debian13", "libvirtd.conf", {"listen_tsl": True, "log_level": 3})
    assert result["failed"]
    assert "listen_tsl is not a key libvirt knows here; did you mean listen_tls, " in result["msg"]
    assert "libvirtd.aug" in result["msg"] and result["known_keys"]["listen_tls"] == "bool"
    assert path.read_text() == shipped("debian13", "libvirtd.conf")


def test_unknown_key_without_close_match_lists_all(tmp_path):
    result = run(tmp_path, "debian12", "libvirtd.conf", {"zzzz": 1})[0]
    assert result["failed"]
    assert "the 51 keys of" in result["msg"] and "access_drivers, admin_keepalive_count" in result["msg"]


def test_key_of_a_newer_libvirt_refused_by_the_older_lens(tmp_path):
    result = run(tmp_path, "debian12", "qemu.conf", {"storage_use_nbdkit": True})[0]
    assert result["failed"] and "storage_use_nbdkit is not a key" in result["msg"]
    result = run(tmp_path, "debian13", "qemu.conf", {"storage_use_nbdkit": True})[0]
    assert result["changed"] and result["changed_keys"] == ["storage_use_nbdkit"]


@pytest.mark.parametrize("settings,problem", [
    ({"listen_tls": "maybe"}, "listen_tls must be a boolean"),
    ({"listen_tls": 2}, "listen_tls must be a boolean"),
    ({"max_workers": "many"}, "max_workers must be an integer"),
    ({"max_workers": True}, "max_workers must be an integer, not the boolean"),
    ({"max_workers": 2 ** 64}, "max_workers is 18446744073709551616, outside"),
    ({"listen_addr": ["0.0.0.0"]}, "listen_addr must be a string, not list"),
    ({"listen_addr": False}, "listen_addr must be a string, not bool"),
    ({"access_drivers": "polkit"}, "access_drivers must be a list of strings"),
    ({"access_drivers": ["polkit", 3.5]}, "access_drivers[1] must be a string"),
])
def test_type_errors_name_the_key(tmp_path, settings, problem):
    result, path = run(tmp_path, "debian12", "libvirtd.conf", settings)
    assert result["failed"] and problem in result["msg"], result["msg"]
    assert path.read_text() == shipped("debian12", "libvirtd.conf")


def test_qemu_conf_integers_take_no_sign(tmp_path):
    result = run(tmp_path, "debian13", "qemu.conf", {"migration_port_min": -1, "max_core": "lots"})[0]
    assert result["failed"]
    assert "migration_port_min is -1, outside what libvirt's lens accepts for it (/[0-9]+/" in result["msg"]
    assert "max_core must be an integer or 'unlimited'" in result["msg"]
    assert len(result["problems"]) == 2


@pytest.mark.parametrize("value,problem", [
    ('3:file:/var/log/a"b', "holds a '\"'"),
    ("1:qemu\n1:util", "holds a newline"),
    ("1:qemu\r", "holds a carriage return"),
])
def test_strings_that_break_the_syntax_refused(tmp_path, value, problem):
    result = run(tmp_path, "debian12", "libvirtd.conf", {"log_filters": value})[0]
    assert result["failed"] and "log_filters " + problem in result["msg"], result["msg"]


def test_backslash_written_as_libvirt_reads_it(tmp_path):
    """virconf has no escape sequences: one backslash in the value is one in the file."""
    result, path = run(tmp_path, "debian12", "libvirtd.conf", {"log_outputs": "1:file:C:\\logs\\libvirtd.log"})
    assert result["changed"]
    assert path.read_text().endswith('\nlog_outputs = "1:file:C:\\logs\\libvirtd.log"\n')
    assert _libvirt_conf.parse_conf(path.read_text())[0]["value"] == "1:file:C:\\logs\\libvirtd.log"


@pytest.mark.parametrize("release", RELEASES)
def test_single_line_assignment_replaced_in_place(tmp_path, release):
    text = uncomment(shipped(release, "libvirtd.conf"), "listen_tls")
    index = text.split("\n").index("listen_tls = 0")
    result, path = run(tmp_path, release, "libvirtd.conf", {"listen_tls": True}, text=text)
    assert result["changed"] and result["changes"] == [
        {"key": "listen_tls", "action": "replaced", "before": "listen_tls = 0", "after": "listen_tls = 1", "commented": []}]
    after = path.read_text()
    assert after.split("\n")[index] == "listen_tls = 1"
    assert lines_other_than(after, index) == lines_other_than(text, index)


@pytest.mark.parametrize("release", RELEASES)
def test_multi_line_list_replaced_in_place(tmp_path, release):
    text = uncomment(shipped(release, "qemu.conf"), "cgroup_device_acl")
    lines = text.split("\n")
    start = lines.index("cgroup_device_acl = [")
    end = lines.index("]", start)
    # Debian 12's default less /dev/full and /dev/random.
    wanted = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/ptmx", "/dev/kvm"]
    result, path = run(tmp_path, release, "qemu.conf", {"cgroup_device_acl": wanted}, text=text)
    assert result["changed"]
    assert result["changes"][0]["before"] == "\n".join(lines[start:end + 1])
    after = path.read_text().split("\n")
    assert after[:start] == lines[:start] and after[start + 1:] == lines[end + 1:]
    assert after[start] == 'cgroup_device_acl = ["/dev/null", "/dev/zero", "/dev/urandom", "/dev/ptmx", "/dev/kvm"]'
    # The documentation above it, a comment, is still there.
    assert any(line.startswith("# This is the basic set of devices allowed") for line in after[:start])


@pytest.mark.parametrize("release", RELEASES)
def test_missing_key_appended_commented_default_kept(tmp_path, release):
    text = shipped(release, "libvirtd.conf")
    result, path = run(tmp_path, release, "libvirtd.conf", {"log_level": 3, "access_drivers": ["polkit"]})
    assert result["changed"] and result["changed_keys"] == ["log_level", "access_drivers"]
    assert [change["action"] for change in result["changes"]] == ["appended", "appended"]
    after = path.read_text()
    assert after == text + "\n" + _libvirt_conf.MARKER + '\nlog_level = 3\naccess_drivers = ["polkit"]\n'
    assert "\n#log_level = 3\n" in after


@pytest.mark.parametrize("release", RELEASES)
@pytest.mark.parametrize("conf,settings", [
    ("libvirtd.conf", {"listen_tls": False, "log_level": 3, "log_outputs": "3:journald", "tcp_port": 16509}),
    ("qemu.conf", {"max_core": "unlimited", "dump_guest_core": "no", "user": "+0", "namespaces": [],
                   "nvram": ["/usr/share/OVMF/OVMF_CODE_4M.fd:/usr/share/OVMF/OVMF_VARS_4M.fd"]}),
])
def test_second_run_changes_nothing(tmp_path, release, conf, settings):
    result, path = run(tmp_path, release, conf, settings)
    assert result["changed"]
    first = path.read_bytes()
    result, path = run(tmp_path, release, conf, settings, text=first.decode())
    assert not result["changed"] and result["changes"] == [] and path.read_bytes() == first
    assert result["msg"].endswith("every key already set")


def test_value_in_other_quotes_is_the_same_value(tmp_path):
    """libvirt reads '0.0.0.0' and "0.0.0.0" alike; the line is left as it is."""
    text = shipped("debian12", "libvirtd.conf").replace('#listen_addr = "192.168.0.1"', "listen_addr = '0.0.0.0'   # all")
    result, path = run(tmp_path, "debian12", "libvirtd.conf", {"listen_addr": "0.0.0.0"}, text=text)
    assert not result["changed"] and path.read_text() == text


def test_check_mode_writes_nothing(tmp_path):
    result, path = run(tmp_path, "debian13", "qemu.conf", {"max_core": 0}, check_mode=True, backup=True)
    assert result["changed"] and result["changed_keys"] == ["max_core"]
    assert path.read_text() == shipped("debian13", "qemu.conf")
    assert "backup_file" not in result and sorted(p.name for p in tmp_path.iterdir()) == ["args.json", "qemu.conf"]


def test_diff_shows_the_change(tmp_path):
    text = uncomment(shipped("debian13", "libvirtd.conf"), "log_level")
    result = run(tmp_path, "debian13", "libvirtd.conf", {"log_level": 1}, diff=True, check_mode=True)[0]
    assert result["diff"]["before"] == shipped("debian13", "libvirtd.conf")
    assert result["diff"]["after"].endswith("\nlog_level = 1\n")
    result = run(tmp_path, "debian13", "libvirtd.conf", {"log_level": 1}, text=text, diff=True)[0]
    assert result["diff"]["before"] == text and "\nlog_level = 1\n" in result["diff"]["after"]
    assert result["diff"]["before_header"].endswith("libvirtd.conf")


def test_backup_made(tmp_path):
    result, path = run(tmp_path, "debian12", "qemu.conf", {"security_driver": "apparmor"}, backup=True)
    assert result["changed"]
    backup = pathlib.Path(result["backup_file"])
    assert backup.parent == tmp_path and backup.read_text() == shipped("debian12", "qemu.conf")
    assert path.read_text() != backup.read_text()


def test_duplicate_assignments_commented_out(tmp_path):
    """libvirt uses the first assignment; the later ones are commented, not deleted."""
    text = shipped("debian12", "libvirtd.conf") + "max_clients = 10\nmax_clients = 20\n"
    result, path = run(tmp_path, "debian12", "libvirtd.conf", {"max_clients": 10}, text=text)
    assert result["changed"] and result["changes"][0]["commented"] == ["max_clients = 20"]
    assert path.read_text().endswith("max_clients = 10\n#max_clients = 20\n")


def test_missing_lens_refused(tmp_path):
    result, path = run(tmp_path, "debian12", "libvirtd.conf", {"log_level": 3}, lens="virtqemud.aug")
    assert result["failed"] and "Cannot read libvirt's Augeas lens" in result["msg"] and "Nothing was written" in result["msg"]
    assert path.read_text() == shipped("debian12", "libvirtd.conf")


def test_malformed_file_refused_with_its_line(tmp_path):
    text = shipped("debian12", "libvirtd.conf") + 'listen_addr = "0.0.0.0\n'
    result, path = run(tmp_path, "debian12", "libvirtd.conf", {"log_level": 3}, text=text)
    assert result["failed"] and "line %d: unterminated string" % (text.count("\n")) in result["msg"]
    assert path.read_text() == text


@pytest.mark.parametrize("version", ["3.6", "3.13"])
def test_runs_under_other_pythons(tmp_path, version):
    """RHEL 8's platform-python 3.6 runs it too."""
    python = find_python(version)
    if not python:
        pytest.skip("no python%s on this machine" % version)
    result, path = run(tmp_path, "debian13", "qemu.conf", {"max_core": "unlimited"}, python=python, backup=True)
    assert result["changed"] and path.read_text().endswith('\nmax_core = "unlimited"\n')
