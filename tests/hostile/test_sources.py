# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HostFiles in process: both ways of resolving a snapshot path agree, the live host still reads.

A snapshot path is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS) where the kernel
has it and by a walk of O_NOFOLLOW directories where it does not (Linux before 5.6, a seccomp
filter); every hostile root must read the same through both.
"""

from __future__ import annotations

import glob
import json
import os
import stat
import threading
import time

import pytest

import corpus

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _file_values as file_values
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _sources
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._sources import HostFiles, SnapshotError

FIXTURES = sorted(glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "unit",
                                         "fixtures", "*", "root")))
PATHS = sorted(set(corpus.BASE) | set(corpus.BASE_LINKS) | {
    "proc", "proc/sys/kernel", "sys/module", "sys/module/kvm_intel/parameters", "etc/modprobe.d",
    "etc/modprobe.d/evil.conf", "run/systemd/container", "var/log/kern.log", "sys/bus/pci/devices",
    "sys/class/dmi/id", "sys/kernel/mm/hugepages", "sys/kernel/iommu_groups", "/", "..", "../../etc/passwd",
    "proc/../../../etc/passwd", "proc/./cpuinfo", "sys/bus/pci/devices/0000:00:02.0"})

HARD_LINK = "a hard link (%d links), refused: a snapshot's files must be plain copies"


def _answers(root):
    """Everything HostFiles says about the PATHS of one root."""
    files = HostFiles(root)
    return dict(("/" + path, (files.read("/" + path), files.readdir("/" + path), files.exists("/" + path),
                              files.link_name("/" + path), file_values.first_line(files.read("/" + path)[0]))) for path in PATHS)


def _has_openat2(root):
    _sources._openat2 = None  # pylint: disable=protected-access
    HostFiles(root).read("/proc/cpuinfo")
    return bool(_sources._openat2)  # pylint: disable=protected-access


def test_openat2_and_the_walk_agree_on_every_hostile_root(hostile, monkeypatch):
    """The same text, names, existence and refusals, whichever way a path is resolved."""
    _ctx, roots = hostile
    snapshots = [root for name, root in sorted(roots.items()) if name in corpus.CASES and root]
    if not _has_openat2(snapshots[0]):
        pytest.skip("this kernel has no openat2: only the walk can be tested")
    with_openat2 = [_answers(root) for root in snapshots]
    monkeypatch.setattr(_sources, "_openat2", False)
    assert [_answers(root) for root in snapshots] == with_openat2


@pytest.mark.parametrize("resolver", ["openat2", "walk"])
def test_a_snapshot_never_leaves_its_root(hostile, resolver, monkeypatch):
    """No read, listing or link of any hostile root gives a byte of the outside bait."""
    ctx, roots = hostile
    if resolver == "walk":
        monkeypatch.setattr(_sources, "_openat2", False)
    for name, root in sorted(roots.items()):
        if name not in corpus.CASES or not root:
            continue
        text = json.dumps(_answers(root), ensure_ascii=False)
        assert not [token for token in ctx.tokens if token[:8] in text], name


@pytest.mark.parametrize("resolver", ["openat2", "walk"])
def test_refusals_say_what_they_refused(hostile, resolver, monkeypatch):
    """The why of a refused path names the link, the wrong type or the escape."""
    _ctx, roots = hostile
    if resolver == "walk":
        monkeypatch.setattr(_sources, "_openat2", False)
    expected = {
        ("proc -> /proc (the live host)", "/proc/cpuinfo"): "/proc is a symbolic link, not followed",
        ("cpuinfo -> outside file (relative ../)", "/proc/cpuinfo"): "a symbolic link, not followed",
        ("FIFO at proc/cpuinfo", "/proc/cpuinfo"): "not a regular file (fifo)",
        ("socket at proc/cpuinfo", "/proc/cpuinfo"): "not a regular file (socket)",
        ("directories where files belong", "/proc/cpuinfo"): "not a regular file (directory)",
        ("files where directories belong", "/proc/sys/kernel/arch"): "/proc/sys is not a directory (regular file)",
        ("symlink loops", "/var/log/dmesg"): "a symbolic link, not followed",
        ("sys/module/kvm_intel -> outside dir", "/sys/module/kvm_intel/parameters/nested"):
            "/sys/module/kvm_intel is a symbolic link, not followed",
        ("device node /dev/zero at proc/cpuinfo", "/proc/cpuinfo"): "not a regular file (character device)",
        ("block device loop0 at var/log/kern.log", "/var/log/kern.log"): "not a regular file (block device)",
        ("proc/cpuinfo hard-linked to an outside file", "/proc/cpuinfo"): HARD_LINK % 2,
        ("dmesg and kern.log hard-linked to each other inside the root", "/var/log/kern.log"): HARD_LINK % 2,
    }
    for (name, path), why in expected.items():
        if roots[name]:
            assert HostFiles(roots[name]).read(path) == (None, why), (name, path)
    assert HostFiles(roots["etc/modprobe.d -> outside dir"]).readdir("/etc/modprobe.d") == (
        [], "/etc/modprobe.d is a symbolic link, not followed")


@pytest.mark.parametrize("resolver", ["openat2", "walk"])
def test_a_hard_link_is_refused_even_when_every_name_is_inside(tmp_path, resolver, monkeypatch):
    """The count of names is all the opened file (or link) tells; one name again reads again."""
    if resolver == "walk":
        monkeypatch.setattr(_sources, "_openat2", False)
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text("processor\t: 0\n", encoding="ascii")
    os.link(str(tmp_path / "proc" / "cpuinfo"), str(tmp_path / "proc" / "cpuinfo.copy"))
    files = HostFiles(str(tmp_path))
    assert files.read("/proc/cpuinfo") == (None, HARD_LINK % 2)
    assert files.read("/proc/cpuinfo.copy") == (None, HARD_LINK % 2)
    os.link(str(tmp_path / "proc" / "cpuinfo"), str(tmp_path / "third"))
    assert files.read("/proc/cpuinfo") == (None, HARD_LINK % 3)
    assert files.exists("/proc/cpuinfo") and files.listdir("/proc") == ["cpuinfo", "cpuinfo.copy"]
    os.unlink(str(tmp_path / "third"))
    os.unlink(str(tmp_path / "proc" / "cpuinfo.copy"))
    assert files.read("/proc/cpuinfo") == ("processor\t: 0\n", None)
    os.symlink("../../drivers/i915", str(tmp_path / "proc" / "driver"))
    assert files.link_name("/proc/driver") == "i915"
    os.link(str(tmp_path / "proc" / "driver"), str(tmp_path / "proc" / "driver.copy"), follow_symlinks=False)
    assert files.link_name("/proc/driver") is None and files.link_name("/proc/driver.copy") is None


def test_the_live_host_still_reads_a_file_of_several_names(tmp_path):
    """The live host is trusted: its files are read whatever their count of names."""
    (tmp_path / "one").write_text("live\n", encoding="ascii")
    os.link(str(tmp_path / "one"), str(tmp_path / "two"))
    assert HostFiles("/").read(str(tmp_path / "two")) == ("live\n", None)


def test_names_that_are_not_utf8_become_replacement_characters(hostile):
    """A name's undecodable bytes are U+FFFD: strict UTF-8 and JSON, never a surrogate."""
    _ctx, roots = hostile
    files = HostFiles(roots["non-UTF-8 names and content"])
    names = files.listdir("/etc/modprobe.d") + files.listdir("/sys/module") + files.listdir("/sys/bus/pci/devices")
    assert "\ufffd\ufffd.conf" in names and "kvm_\ufffd" in names
    for name in names:
        name.encode("utf-8")  # a surrogate would raise here
    assert file_values.first_line(files.read("/proc/sys/kernel/osrelease")[0]) == "6.1.0-\ufffd\ufffd-hostile"
    json.dumps(gather(roots["non-UTF-8 names and content"]), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("root", ["", None])
def test_an_empty_root_is_an_error_not_this_host(root):
    with pytest.raises(SnapshotError, match="root is empty; give / for this host"):
        HostFiles(root)


def test_reads_are_capped_and_tails_are_the_end(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "log").write_bytes(b"a" * 1000 + b"THE END\n")
    (tmp_path / "one").write_text("x" * 5000 + "\nsecond line\n", encoding="ascii")
    files = HostFiles(str(tmp_path))
    assert files.read("/log", limit=10) == ("a" * 10, None)
    assert files.read("/log", limit=8, tail=True) == ("THE END\n", None)
    assert file_values.first_line(files.read("/one")[0]) == "x" * file_values.FIELD_MAX


def test_a_root_that_is_a_link_is_refused(tmp_path):
    (tmp_path / "real" / "proc").mkdir(parents=True)
    (tmp_path / "root").symlink_to(tmp_path / "real")
    with pytest.raises(SnapshotError, match="is a symbolic link, which is not followed"):
        HostFiles(str(tmp_path / "root"))
    assert HostFiles(str(tmp_path / "real")).exists("/proc")


def test_the_live_host_still_reads_proc_and_sys():
    """procfs says size 0 and sysfs a page: both are regular files and read whole."""
    files = HostFiles("/")
    text, why = files.read("/proc/cpuinfo")
    assert why is None and "processor" in text
    assert files.read("/proc/self/status")[0].startswith("Name:")
    assert files.listdir("/sys/module") and files.exists("/proc/self")
    sysfs = [path for path in glob.glob("/sys/module/*/parameters/*") if os.access(path, os.R_OK)]
    if sysfs:
        assert files.read(sysfs[0])[1] is None


def test_the_live_host_refuses_devices_and_fifos_without_blocking(tmp_path):
    """A device or a FIFO on the live host is refused before it is opened: nothing blocks."""
    fifo = tmp_path / "fifo"
    os.mkfifo(str(fifo))
    files = HostFiles("/")
    result = {}

    def read_all():
        result["fifo"] = files.read(str(fifo))
        result["null"] = files.read("/dev/null")
        result["kmsg"] = files.read("/dev/kmsg")

    reader = threading.Thread(target=read_all, daemon=True)
    reader.start()
    reader.join(5)
    assert not reader.is_alive(), "a read blocked"
    assert result["fifo"] == (None, "not a regular file (fifo)")
    assert result["null"] == (None, "not a regular file (character device)")
    assert result["kmsg"][0] is None


def test_a_snapshot_file_swapped_for_a_fifo_while_read_does_not_block(tmp_path):
    """Even if a check and the open race, O_NONBLOCK keeps a FIFO from hanging the read."""
    (tmp_path / "proc").mkdir()
    os.mkfifo(str(tmp_path / "proc" / "cpuinfo"))
    assert stat.S_ISFIFO(os.lstat(str(tmp_path / "proc" / "cpuinfo")).st_mode)
    fd = os.open(str(tmp_path / "proc" / "cpuinfo"), _sources._FILE_FLAGS)  # pylint: disable=protected-access
    os.close(fd)  # opened at once: no writer needed


@pytest.mark.parametrize("resolver", ["openat2", "walk"])
def test_gathering_a_snapshot_stays_cheap(resolver, monkeypatch):
    """One in-process gathering of a captured host: well under 10 ms (the collection's goal)."""
    if resolver == "walk":
        monkeypatch.setattr(_sources, "_openat2", False)
    timings = []
    for root in FIXTURES:
        gather(root)
        best = min(_timed(gather, root) for _run in range(30))
        timings.append(best)
    print("best gathering per fixture (%s): %s ms" % (resolver, ", ".join("%.2f" % (t * 1000) for t in timings)))
    assert max(timings) < 0.010


def _timed(function, *args):
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start
