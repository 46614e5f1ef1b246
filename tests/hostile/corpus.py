# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile captured hosts, built at run time: what someone could send us as a snapshot.

``build(work)`` writes an ``outside/`` tree of bait files, each holding a random token in every
form a parser of the collection picks up (a CPU model, a kernel log line, a modprobe rule, a
container name...), and one snapshot per ``CASES`` entry: a small, valid Intel host with one
hostile change. A result that holds any piece of a token read something outside its root.
"""

from __future__ import annotations

import os
import secrets
import socket
import stat

# The host every case starts from; its values differ from any live host's.
BASE = {
    "proc/sys/kernel/arch": "x86_64\n",
    "proc/sys/kernel/osrelease": "6.1.0-hostile-base\n",
    "proc/cpuinfo": "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Hostile Base CPU\n"
                    "flags\t\t: fpu lm vmx\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\n"
                    "model name\t: Hostile Base CPU\nflags\t\t: fpu lm vmx\n",
    "proc/cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro\n",
    "proc/modules": "kvm_intel 1 0 - Live 0x0\nkvm 1 1 kvm_intel, Live 0x0\n",
    "proc/1/cgroup": "0::/\n",
    "sys/module/kvm/initstate": "live\n",
    "sys/module/kvm_intel/initstate": "live\n",
    "sys/module/kvm_intel/parameters/nested": "Y\n",
    "sys/class/dmi/id/sys_vendor": "Hostile Vendor\n",
    "sys/class/dmi/id/product_name": "Hostile Board\n",
    "sys/kernel/iommu_groups/0/devices/0000:00:02.0": "",
    "sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages": "0\n",
    "sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages": "0\n",
    "sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n",
    "sys/bus/pci/devices/0000:00:02.0/class": "0x030000\n",
    "sys/bus/pci/devices/0000:00:02.0/vendor": "0x8086\n",
    "sys/bus/pci/devices/0000:00:02.0/device": "0x1234\n",
    "dev/kvm": "",
    "dev/vhost-net": "",
    "etc/modprobe.d/base.conf": "options kvm_intel nested=1\n",
    "var/log/dmesg": "[    0.000000] Linux version 6.1.0-hostile-base (gcc) #1 SMP\n"
                     "[    1.000000] kvm: hostile base log line\n",
}
BASE_LINKS = {
    "sys/bus/pci/devices/0000:00:02.0/driver": "../../../bus/pci/drivers/i915",
    "sys/bus/pci/devices/0000:00:02.0/iommu_group": "../../../kernel/iommu_groups/0",
}

# Every form in which a parser would carry a token into the facts.
BAIT = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: {token}
flags\t\t: fpu vmx {token}
{token}
[    0.000000] Linux version {token}
[    1.000000] kvm: disabled by bios {token}
[    1.000001] Hypervisor detected: {token}
blacklist kvm_intel
install kvm /bin/false {token}
options kvm_intel nested=1 {token}
container={token}
"""


class Context(object):
    """The outside tree: bait files whose tokens must never be in a result."""

    def __init__(self, work):
        self.outside = os.path.join(work, "outside")
        self.tokens = []
        os.makedirs(os.path.join(self.outside, "proc", "sys", "kernel"))
        os.makedirs(os.path.join(self.outside, "dir"))
        self.secret = self.bait("secret")
        for name in ("proc/cpuinfo", "proc/sys/kernel/osrelease", "proc/sys/kernel/arch", "proc/cmdline",
                     "proc/modules", "dir/nested", "dir/initstate", "dir/evil.conf", "dir/kvm_intel"):
            self.bait(name)
        self.proc = os.path.join(self.outside, "proc")
        self.dir = os.path.join(self.outside, "dir")

    def bait(self, name):
        """Write a bait file with a new token under outside/; return its path."""
        token = secrets.token_hex(16)
        self.tokens.append(token)
        path = os.path.join(self.outside, name)
        with open(path, "w", encoding="ascii") as handle:
            handle.write(BAIT.format(token=token))
        os.chmod(path, 0o600)
        return path


def _put(root, path, content):
    full = os.path.join(root, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as handle:
        handle.write(content.encode() if isinstance(content, str) else content)


def _replace(root, path):
    """Remove what is at ``path`` (file, link or tree) and make its parent; return the full path."""
    full = os.path.join(root, path)
    if os.path.islink(full) or os.path.isfile(full):
        os.unlink(full)
    elif os.path.isdir(full):
        for dirpath, dirnames, filenames in os.walk(full, topdown=False):
            for name in filenames + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
                os.unlink(os.path.join(dirpath, name))
            for name in dirnames:
                if not os.path.islink(os.path.join(dirpath, name)):
                    os.rmdir(os.path.join(dirpath, name))
        os.rmdir(full)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    return full


def _link(root, path, target):
    os.symlink(target, _replace(root, path))


def _relative(root, path, target):
    """A relative link at ``path`` that climbs out of the root to ``target``."""
    full = _replace(root, path)
    os.symlink(os.path.relpath(target, os.path.dirname(full)), full)


def _hard(root, path, target):
    """A hard link at ``path`` to the file ``target``: another name of the same file."""
    os.link(target, _replace(root, path))


def _hard_out(root, ctx, *paths):
    """Each of ``paths`` a hard link to a bait file of its own outside the root (2 links each)."""
    for path in paths:
        _hard(root, path, ctx.bait("dir/hard-" + path.replace("/", "-")))


def _hard_symlink_out(root, ctx, path):
    """A hard link at ``path`` to a symbolic link outside the root, whose target holds a token."""
    token = secrets.token_hex(16)
    ctx.tokens.append(token)
    outside = os.path.join(ctx.dir, "link-%d" % len(ctx.tokens))
    os.symlink("../../bus/pci/drivers/" + token, outside)
    os.link(outside, _replace(root, path), follow_symlinks=False)


def _fifo(root, path):
    os.mkfifo(_replace(root, path))


def _node(root, path, kind, major, minor):
    os.mknod(_replace(root, path), 0o600 | kind, os.makedev(major, minor))


def _socket(root, path):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(_replace(root, path))
    sock.close()


def _sparse(root, path, size):
    with open(_replace(root, path), "wb") as handle:
        handle.truncate(size)


def _dir_instead(root, *paths):
    for path in paths:
        full = _replace(root, path)
        os.makedirs(os.path.join(full, "inside"))
        _put(full, "inside/x", "x\n")


def _file_instead(root, *paths):
    for path in paths:
        _replace(root, path)
        _put(root, path, "a file where a directory belongs\n")


def _non_utf8(root, _ctx):
    rootb = os.fsencode(root)
    for parent, name, content in (
            (b"etc/modprobe.d", b"\xff\xfe.conf", b"blacklist kvm_intel\n"),
            (b"etc/modprobe.d", b"ok-\xc3(.conf", b"install kvm_intel /bin/false\n"),
            (b"sys/module", b"kvm_\xff", None),
            (b"sys/kernel/mm/hugepages", b"hugepages-\xe9kB", None),
            (b"sys/bus/pci/devices", b"0000:00:\xff.0", None)):
        where = os.path.join(rootb, parent, name)
        if content is None:
            os.makedirs(where)
            if parent == b"sys/bus/pci/devices":
                for field, value in ((b"class", b"0x030000\n"), (b"vendor", b"0x\xff\xfe\n")):
                    with open(os.path.join(where, field), "wb") as handle:
                        handle.write(value)
        else:
            with open(where, "wb") as handle:
                handle.write(content)
    _put(root, "proc/sys/kernel/osrelease", b"6.1.0-\xff\xfe-hostile\n")


def _many_modules(root, count):
    for index in range(count):
        os.makedirs(os.path.join(root, "sys/module/kvm_%05d" % index, "parameters"))


def _loops(root, _ctx):
    _link(root, "proc/cpuinfo", "cpuinfo")
    _link(root, "var/log/dmesg", "kern.log")
    _link(root, "var/log/kern.log", "dmesg")
    _link(root, "sys/kernel/iommu_groups", "../../sys/kernel/iommu_groups")


class Case(object):
    """One hostile snapshot: how to make it, what the result must say, what is the lead's to fix.

    ``says``: a regex the result (as JSON text) must match, naming what was refused.
    ``gaps``: {check: what must change, and where} for a check that fails for a known reason
    outside the reading code ('says', 'size' or 'time'); the suite reports it as a known gap.
    Every run must take under a second of CPU; ``wall_limit`` bounds its wall time too, except
    for a kernel log at the 4 MB read cap (``None``), whose reading alone is at the mercy of a
    loaded machine: its wall time is reported.
    """

    def __init__(self, build, says, needs_root=False, gaps=None, timeout=30, wall_limit=1.0,
                 says_in=("kvm_facts", "kvm_check")):
        self.build = build
        self.says = says
        self.says_in = says_in  # the modules whose result holds what ``says`` is about
        self.needs_root = needs_root
        self.gaps = gaps or {}
        self.timeout = timeout
        self.wall_limit = wall_limit  # None: only that it ends within timeout


_LINKED = r"a symbolic link, not followed"
_HARD = r"a hard link \(2 links\), refused: a snapshot's files must be plain copies"

CASES = {
    "osrelease -> /etc/shadow": Case(
        lambda r, c: _link(r, "proc/sys/kernel/osrelease", "/etc/shadow"),
        r"/proc/sys/kernel/osrelease.*" + _LINKED),
    "osrelease -> outside file (absolute)": Case(
        lambda r, c: _link(r, "proc/sys/kernel/osrelease", c.secret),
        r"/proc/sys/kernel/osrelease.*" + _LINKED),
    "cpuinfo -> outside file (relative ../)": Case(
        lambda r, c: _relative(r, "proc/cpuinfo", c.secret), r"/proc/cpuinfo.*not readable \(" + _LINKED),
    "cpuinfo -> ../../../.. past / to outside": Case(
        lambda r, c: _link(r, "proc/cpuinfo", "../" * 40 + c.secret.lstrip("/")),
        r"/proc/cpuinfo.*not readable \(" + _LINKED),
    "run/systemd/container -> outside file": Case(
        lambda r, c: _link(r, "run/systemd/container", c.secret), r"/run/systemd/container.*" + _LINKED),
    "proc -> /proc (the live host)": Case(
        lambda r, c: _link(r, "proc", "/proc"), r"/proc/cpuinfo.*/proc is " + _LINKED),
    "proc -> outside proc tree (relative)": Case(
        lambda r, c: _relative(r, "proc", c.proc), r"/proc/cpuinfo.*/proc is " + _LINKED),
    "sys/module/kvm_intel/parameters -> outside dir": Case(
        lambda r, c: _relative(r, "sys/module/kvm_intel/parameters", c.dir),
        r"/sys/module/kvm_intel/parameters is " + _LINKED),
    "sys/module/kvm_intel -> outside dir": Case(
        lambda r, c: _link(r, "sys/module/kvm_intel", c.dir), r"/sys/module/kvm_intel is " + _LINKED),
    "etc/modprobe.d -> outside dir": Case(
        lambda r, c: _link(r, "etc/modprobe.d", c.dir), r"/etc/modprobe.d.*" + _LINKED),
    "etc/modprobe.d/evil.conf -> outside file": Case(
        lambda r, c: _link(r, "etc/modprobe.d/evil.conf", c.secret), r"/etc/modprobe.d/evil.conf.*" + _LINKED),
    "sys/class/dmi/id -> outside dir": Case(
        lambda r, c: _link(r, "sys/class/dmi/id", c.dir), r"/sys/class/dmi/id.*" + _LINKED),
    "var/log/dmesg -> outside file": Case(
        lambda r, c: _link(r, "var/log/dmesg", c.secret), r"/var/log/dmesg " + _LINKED),
    "var/log/dmesg -> /dev/kmsg": Case(
        lambda r, c: _link(r, "var/log/dmesg", "/dev/kmsg"), r"/var/log/dmesg " + _LINKED),
    "pci device driver link -> outside (its name only)": Case(
        lambda r, c: _link(r, "sys/bus/pci/devices/0000:00:02.0/driver", c.secret), r'"driver": "secret"',
        says_in=("kvm_facts",)),
    "pci device directory -> outside dir": Case(
        lambda r, c: _link(r, "sys/bus/pci/devices/0000:00:02.0", c.dir), r"0000:00:02.0.*" + _LINKED),
    "proc/cpuinfo hard-linked to an outside file": Case(
        lambda r, c: _hard_out(r, c, "proc/cpuinfo"), r'"/proc/cpuinfo", "observation": "not readable \(' + _HARD),
    "osrelease, nested, modprobe.d, dmesg, cgroup hard-linked out": Case(
        lambda r, c: _hard_out(r, c, "proc/sys/kernel/osrelease", "sys/module/kvm_intel/parameters/nested",
                               "etc/modprobe.d/evil.conf", "var/log/dmesg", "proc/1/cgroup"),
        r"/proc/sys/kernel/osrelease.*not read \(" + _HARD + r".*/var/log/dmesg " + _HARD +
        r".*/sys/module/kvm_intel/parameters/nested.*not readable \(" + _HARD),
    "dmesg and kern.log hard-linked to each other inside the root": Case(
        lambda r, c: _hard(r, "var/log/kern.log", os.path.join(r, "var/log/dmesg")),
        r"/var/log/dmesg " + _HARD + r"; /var/log/kern.log " + _HARD),
    "pci driver link hard-linked to an outside symlink": Case(
        lambda r, c: _hard_symlink_out(r, c, "sys/bus/pci/devices/0000:00:02.0/driver"), r'"driver": null',
        says_in=("kvm_facts",)),
    "FIFO at proc/cpuinfo": Case(
        lambda r, c: _fifo(r, "proc/cpuinfo"), r"/proc/cpuinfo.*not a regular file \(fifo\)"),
    "FIFO at var/log/dmesg and kern.log": Case(
        lambda r, c: (_fifo(r, "var/log/dmesg"), _fifo(r, "var/log/kern.log")),
        r"/var/log/dmesg not a regular file \(fifo\); /var/log/kern.log not a regular file \(fifo\)"),
    "FIFO at kvm_intel/parameters/nested": Case(
        lambda r, c: _fifo(r, "sys/module/kvm_intel/parameters/nested"),
        r"parameters/nested.*not a regular file \(fifo\)"),
    "socket at proc/cpuinfo": Case(
        lambda r, c: _socket(r, "proc/cpuinfo"), r"/proc/cpuinfo.*not a regular file \(socket\)"),
    "device node /dev/kmsg at var/log/dmesg": Case(
        lambda r, c: _node(r, "var/log/dmesg", stat.S_IFCHR, 1, 11),
        r"/var/log/dmesg not a regular file \(character device\)", needs_root=True),
    "device node /dev/zero at proc/cpuinfo": Case(
        lambda r, c: _node(r, "proc/cpuinfo", stat.S_IFCHR, 1, 5),
        r"/proc/cpuinfo.*not a regular file \(character device\)", needs_root=True),
    "device node /dev/random at osrelease": Case(
        lambda r, c: _node(r, "proc/sys/kernel/osrelease", stat.S_IFCHR, 1, 8),
        r"/proc/sys/kernel/osrelease.*character device", needs_root=True),
    "block device loop0 at var/log/kern.log": Case(
        lambda r, c: (_node(r, "var/log/kern.log", stat.S_IFBLK, 7, 0), os.unlink(os.path.join(r, "var/log/dmesg"))),
        r"/var/log/kern.log not a regular file \(block device\)", needs_root=True),
    "device node /dev/kvm at dev/kvm (never probed)": Case(
        lambda r, c: _node(r, "dev/kvm", stat.S_IFCHR, 10, 232), r"existed when captured; not probed",
        needs_root=True),
    "symlink loops": Case(
        _loops, r"/proc/cpuinfo.*not readable \(" + _LINKED + r"\).*/var/log/dmesg " + _LINKED),
    "2 GB sparse var/log/kern.log": Case(
        lambda r, c: (_sparse(r, "var/log/kern.log", 2 << 30), os.unlink(os.path.join(r, "var/log/dmesg"))),
        r"/var/log/kern.log read"),
    "2 GB sparse proc/cpuinfo": Case(lambda r, c: _sparse(r, "proc/cpuinfo", 2 << 30), r"/proc/cpuinfo"),
    "one-line 4 MB kernel log": Case(
        lambda r, c: _put(r, "var/log/dmesg", "[    0.000000] kvm: " + "A" * ((4 << 20) - 100)), r"/var/log/dmesg read",
        timeout=60, wall_limit=None),
    "one-line 4 MB kernel log, 'Hypervisor detected:' and spaces": Case(
        lambda r, c: _put(r, "var/log/dmesg", "[    0.000000] Hypervisor detected: X" + " " * ((4 << 20) - 100) + "X\n"),
        r"/var/log/dmesg read", timeout=60, wall_limit=None),
    "1 MB cpuinfo model name line": Case(
        lambda r, c: _put(r, "proc/cpuinfo", BASE["proc/cpuinfo"].replace("Hostile Base CPU", "M" * (1 << 20))),
        r"/proc/cpuinfo"),
    "non-UTF-8 names and content": Case(_non_utf8, "\ufffd"),
    "directories where files belong": Case(
        lambda r, c: _dir_instead(r, "proc/cpuinfo", "proc/sys/kernel/osrelease", "var/log/dmesg",
                                  "sys/module/kvm_intel/parameters/nested", "etc/modprobe.d/base.conf"),
        r"/proc/cpuinfo.*not a regular file \(directory\)"),
    "files where directories belong": Case(
        lambda r, c: _file_instead(r, "sys/module", "proc/sys", "etc/modprobe.d", "sys/bus/pci/devices",
                                   "var/log"),
        r"/proc/sys is not a directory \(regular file\)"),
    "5000 kvm* entries in sys/module": Case(
        lambda r, c: _many_modules(r, 5000), r"/sys/module"),
    # capture-host's records of who may open /dev/kvm: read as data, never through a link.
    ".capture/devices -> outside file": Case(
        lambda r, c: _link(r, ".capture/devices", c.secret), r"/.capture/devices.*" + _LINKED,
        says_in=("kvm_facts",)),
    ".capture -> outside dir": Case(
        lambda r, c: _link(r, ".capture", c.dir), r"/.capture/devices.*/.capture is " + _LINKED,
        says_in=("kvm_facts",)),
    "FIFO at .capture/identity, hard link at .capture/devices": Case(
        lambda r, c: (_fifo(r, ".capture/identity"), _hard_out(r, c, ".capture/devices")),
        r"/.capture/devices.*" + _HARD + r".*/.capture/identity.*not a regular file \(fifo\)",
        says_in=("kvm_facts",)),
    "one-line 4 MB .capture/devices and identity": Case(
        lambda r, c: (_put(r, ".capture/devices", "/dev/kvm\tc\t0\t" + "A" * (4 << 20)),
                      _put(r, ".capture/identity", "uid=" + "9" * (4 << 20))),
        r"/.capture/devices.*1 line\(s\) that are not records.*no valid uid and gid", says_in=("kvm_facts",)),
}


def _root_link(work):
    path = os.path.join(work, "root-link")
    os.symlink("/", path)
    return path


def _root_fifo(work):
    path = os.path.join(work, "root-fifo")
    os.mkfifo(path)
    return path


def _root_links_out(work, ctx):
    path = os.path.join(work, "root-links-out")
    os.makedirs(path)
    os.symlink("/proc", os.path.join(path, "proc"))
    os.symlink(ctx.dir, os.path.join(path, "sys"))
    return path


# Roots that are not a host at all: the modules fail, saying why.
ROOTS = {
    "empty root string": Case(lambda work, c: "", r"root is empty"),
    "root is a link to /": Case(lambda work, c: _root_link(work), r"is a symbolic link, which is not followed"),
    "root is a FIFO": Case(lambda work, c: _root_fifo(work), r"does not exist or is not a directory"),
    "root with proc and sys both links out": Case(
        _root_links_out, r"neither proc/ nor sys/"),
}


def base(root):
    """Write the valid host every case starts from."""
    for path, content in BASE.items():
        _put(root, path, content)
    for path, target in BASE_LINKS.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        os.symlink(target, full)


def build(work):
    """Write the outside bait and every case; return ``(ctx, {name: root or None, ...})``.

    A case that needs root (mknod) when this is not root maps to None.
    """
    ctx = Context(work)
    roots = {}
    for index, (name, case) in enumerate(sorted(CASES.items())):
        if case.needs_root and os.geteuid() != 0:
            roots[name] = None
            continue
        root = os.path.join(work, "case-%02d" % index, "root")
        base(root)
        case.build(root, ctx)
        roots[name] = root
    for name, case in ROOTS.items():
        roots[name] = case.build(work, ctx)
    return ctx, roots


def case_of(name):
    """The Case of a snapshot or root name."""
    return CASES[name] if name in CASES else ROOTS[name]
