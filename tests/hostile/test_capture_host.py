# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/capture-host runs as root: a DEST someone prepared must not turn its writes elsewhere."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather

TOOL = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, os.pardir, "tools", "capture-host")


def capture(dest):
    return subprocess.run(["sh", TOOL, str(dest)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=120, check=False)


def test_a_new_dest_is_a_snapshot_only_its_owner_reads(tmp_path):
    """DEST is made 0700, every file 0600 (umask 077) and a copy of one name, read as a host."""
    dest = tmp_path / "host"
    proc = capture(dest)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(dest.stat().st_mode) == 0o700
    for path in (dest / "root").rglob("*"):
        if not path.is_symlink():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        if not path.is_dir() or path.is_symlink():
            # The facts refuse a hard link in a snapshot: the capture must never make one.
            assert path.lstat().st_nlink == 1, path
    facts = gather(str(dest / "root"))
    assert facts["arch"] == os.uname()[4] and facts["cpu"]["count"]


def test_an_empty_private_directory_from_mktemp_is_accepted(tmp_path):
    dest = tmp_path / "made-by-mktemp"
    dest.mkdir(mode=0o700)
    assert capture(dest).returncode == 0
    assert (dest / "root" / "proc" / "sys" / "kernel" / "arch").is_file()


@pytest.mark.parametrize("prepare, says", [
    (lambda d, v: (d.mkdir(), (d / "root").mkdir()), "is not empty"),
    (lambda d, v: d.symlink_to(v), "is a symbolic link"),
    (lambda d, v: (d.mkdir(), d.chmod(0o777)), "others can write to it"),
    (lambda d, v: d.write_text("x", encoding="ascii"), "is not a directory"),
], ids=["non-empty", "link to a victim directory", "world-writable", "a file"])
def test_a_dest_it_did_not_make_is_refused_and_left_alone(tmp_path, prepare, says):
    """Nothing is written into, or through, a DEST that was there before."""
    victim = tmp_path / "victim"
    victim.mkdir()
    dest = tmp_path / "dest"
    prepare(dest, victim)
    proc = capture(dest)
    assert proc.returncode != 0 and says in proc.stderr.decode(), proc.stderr
    assert not list(victim.iterdir())
    assert not (dest / "root" / "proc").exists()


def test_shellcheck_has_nothing_to_say():
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed")
    proc = subprocess.run(["shellcheck", "-s", "sh", TOOL], stdout=subprocess.PIPE, timeout=60, check=False)
    assert proc.returncode == 0, proc.stdout.decode()


def _records(root):
    from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._permissions import parse_devices, parse_identity
    nodes, bad = parse_devices((root / ".capture" / "devices").read_text())
    identity, why = parse_identity((root / ".capture" / "identity").read_text())
    return nodes, bad, identity, why


def test_device_nodes_and_the_user_are_recorded_as_the_reader_expects(tmp_path):
    """Every node's line parses, its mode and numbers are the live node's, and the user is this one."""
    dest = tmp_path / "host"
    assert capture(dest).returncode == 0
    nodes, bad, identity, why = _records(dest / "root")
    assert bad == 0 and why is None
    for path, node in nodes.items():
        info = os.lstat(path)
        assert node.mode == stat.S_IMODE(info.st_mode) and (node.uid, node.gid) == (info.st_uid, info.st_gid)
        assert node.major_minor == "%d:%d" % (os.major(info.st_rdev), os.minor(info.st_rdev))
    assert ("/dev/kvm" in nodes) == os.path.exists("/dev/kvm")
    assert (identity.uid, identity.gid, identity.source) == (os.geteuid(), os.getegid(), "process")
    assert set(g for g, _n in identity.groups) == set(os.getgroups()) | {os.getegid()}
    assert (dest / "root" / "proc" / "self" / "uid_map").is_file()


@pytest.mark.skipif(os.geteuid() != 0, reason="judging for another user needs root to capture")
@pytest.mark.parametrize("how", ["option", "sudo"])
def test_the_user_to_judge_for_is_named_or_the_one_who_ran_sudo(tmp_path, how):
    import pwd
    nobody = pwd.getpwnam("nobody")
    dest = tmp_path / "host"
    if how == "option":
        proc = subprocess.run(["sh", TOOL, "--user", "nobody", str(dest)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=120, check=False)
    else:
        proc = subprocess.run(["sh", TOOL, str(dest)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=120, check=False, env=dict(os.environ, SUDO_USER="nobody"))
    assert proc.returncode == 0, proc.stderr
    _nodes, _bad, identity, _why = _records(dest / "root")
    assert (identity.uid, identity.name, identity.source) == (nobody.pw_uid, "nobody", how)
    assert identity.captured_by == (0, "root")
    if os.path.exists("/dev/kvm"):
        facts = gather(str(dest / "root"))
        mode = os.stat("/dev/kvm").st_mode
        # nobody is in no group of /dev/kvm's here: the others' bits decide.
        assert facts["device"]["accessible"] == (mode & 0o6 == 0o6)
        assert facts["reason"] == ("ok" if mode & 0o6 == 0o6 else "device_inaccessible")


@pytest.mark.parametrize("args", [["--user"], ["--user", "no-such-user-here", "x"], ["--user", "-x", "y"],
                                  ["--user", "root", "-x"], ["-x"], ["--other", "root", "x"]])
def test_bad_arguments_are_refused_before_anything_is_written(tmp_path, args):
    proc = subprocess.run(["sh", TOOL] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60,
                          check=False, cwd=str(tmp_path))
    assert proc.returncode != 0
    assert not list(tmp_path.iterdir())
