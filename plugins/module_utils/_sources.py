# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a host: the only code of the collection's facts that opens files.

``HostFiles`` reads text under a root (``/`` for the live host, or a captured snapshot).
The live probes (``/dev/kvm`` ioctls, ``/dev/kmsg``, CPUID and MSR devices) only run on
the live host; none of them loads a module, writes or starts a process.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct

# ioctl numbers of <linux/kvm.h>: _IO(KVMIO=0xAE, 0x00) and _IO(KVMIO, 0x01).
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01

# Cap what one read takes, so a huge kern.log or a broken sysfs file cannot stall gathering.
DEFAULT_LIMIT = 262144


class SnapshotError(Exception):
    """The directory given as a host's root cannot be read as one."""


class HostFiles(object):
    """Text files of a host under ``root``; every read answers, none raises.

    ``read`` returns ``(text, None)`` or ``(None, why)`` where ``why`` is a short phrase
    such as ``'missing'`` or ``'permission denied'``. Raises ``SnapshotError`` when
    ``root`` is not a directory that holds a host (its ``proc`` or ``sys``).
    """

    def __init__(self, root="/"):
        self.root = os.path.abspath(root or "/")
        self.live = self.root == "/"
        if not self.live:
            if not os.path.isdir(self.root):
                raise SnapshotError(
                    "the snapshot directory %s does not exist or is not a directory; give the "
                    "root/ folder of a captured host, or / for this host" % self.root)
            if not (os.path.isdir(self.path("/proc")) or os.path.isdir(self.path("/sys"))):
                raise SnapshotError(
                    "%s does not look like a captured host: it has neither proc/ nor sys/ in it; "
                    "give the root/ folder that the capture tool wrote (for example "
                    "CASE/root, not CASE)" % self.root)

    def path(self, path):
        """The real path of a host path under this root."""
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path, limit=DEFAULT_LIMIT, tail=False):
        """Text of a host file (at most ``limit`` bytes; the last ones when ``tail``)."""
        try:
            with open(self.path(path), "rb") as handle:
                if tail:
                    size = os.fstat(handle.fileno()).st_size
                    if size > limit:
                        handle.seek(size - limit)
                data = handle.read(limit)
        except OSError as exc:
            return None, _why(exc)
        return data.decode("utf-8", "replace"), None

    def text(self, path, limit=DEFAULT_LIMIT):
        """Text of a host file, or None when it cannot be read."""
        return self.read(path, limit)[0]

    def exists(self, path):
        """Whether a host path exists (for a snapshot: was captured)."""
        return os.path.lexists(self.path(path))

    def listdir(self, path):
        """Sorted names in a host directory; empty when it is missing or unreadable."""
        try:
            return sorted(os.listdir(self.path(path)))
        except OSError:
            return []

    def link_name(self, path):
        """Last component of a symlink's target (a driver or IOMMU group), or None."""
        try:
            return os.path.basename(os.readlink(self.path(path)).rstrip("/")) or None
        except OSError:
            return None


def _why(exc):
    """A short phrase for an OSError, for the evidence."""
    if exc.errno == errno.ENOENT:
        return "missing"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    return os.strerror(exc.errno) if exc.errno else str(exc)


def read_kmsg(path="/dev/kmsg", limit=4 * 1024 * 1024):
    """The kernel ring buffer from /dev/kmsg, without blocking.

    Returns ``(text, None)`` or ``(None, why)``. Records are ``pri,seq,time,flags;message``.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return None, _why(exc)
    records = []
    total = 0
    try:
        while total < limit:
            try:
                record = os.read(fd, 8192)
            except BlockingIOError:
                break
            except OSError as exc:
                # EPIPE: the record we were at was overwritten; the next read goes on.
                if exc.errno == errno.EPIPE:
                    continue
                if not records:
                    return None, _why(exc)
                break
            if not record:
                break
            records.append(record)
            total += len(record)
    finally:
        os.close(fd)
    return b"".join(records).decode("utf-8", "replace"), None


def probe_kvm(path="/dev/kvm"):
    """Open /dev/kvm, ask KVM_GET_API_VERSION and try KVM_CREATE_VM; close what was opened.

    Returns ``{'opened', 'open_error', 'api_version', 'vm_created', 'vm_error'}``; a
    created VM is an empty one (no memory, no vCPU) and is closed at once.
    """
    result = {"opened": False, "open_error": None, "api_version": None,
              "vm_created": None, "vm_error": None}
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        result["open_error"] = _why(exc)
        return result
    result["opened"] = True
    try:
        try:
            result["api_version"] = fcntl.ioctl(fd, KVM_GET_API_VERSION, 0)
        except OSError as exc:
            result["vm_error"] = "KVM_GET_API_VERSION failed: %s" % _why(exc)
            return result
        try:
            vm_fd = fcntl.ioctl(fd, KVM_CREATE_VM, 0)
        except OSError as exc:
            result["vm_created"] = False
            result["vm_error"] = "KVM_CREATE_VM failed: %s" % _why(exc)
        else:
            result["vm_created"] = True
            os.close(vm_fd)
    finally:
        os.close(fd)
    return result


def read_cpuid(leaf, subleaf=0, path="/dev/cpu/0/cpuid"):
    """Raw CPUID ``(eax, ebx, ecx, edx)`` of CPU 0 through the cpuid driver, or None.

    The driver takes the leaf as the low and the subleaf as the high half of the offset.
    """
    return _pread_words(path, (subleaf << 32) | leaf, 16, "<4I")


def read_msr(register, path="/dev/cpu/0/msr"):
    """A model-specific register of CPU 0 through the msr driver (root only), or None."""
    words = _pread_words(path, register, 8, "<Q")
    return words[0] if words else None


def _pread_words(path, offset, size, layout):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        data = os.pread(fd, size, offset)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) != size:
        return None
    return struct.unpack(layout, data)
