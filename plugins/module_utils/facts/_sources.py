# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a host: the only code of the collection's facts that opens files.

``HostFiles`` reads text under a root (``/`` for the live host, or a captured snapshot).
A snapshot is data someone sent: every path in it is resolved inside its root without
following a symbolic link (``openat2`` with ``RESOLVE_IN_ROOT`` where the kernel has it,
else one ``O_NOFOLLOW`` directory at a time), and only regular files of a single name are
read (a hard link's other name may be outside the root). On either kind of root a read never
blocks (``O_NONBLOCK``, a FIFO or device is refused before it is opened) and is capped. The
live probes (``/dev/kvm`` ioctls, ``/dev/kmsg``, CPUID and MSR devices) only run on the live
host; none of them loads a module, writes or starts a process.
"""

import errno
import fcntl
import os
import stat
import struct

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._permissions import Identity, NodeMode

# ioctl numbers of <linux/kvm.h>: _IO(KVMIO=0xAE, 0x00) and _IO(KVMIO, 0x01).
KVM_GET_API_VERSION = 0xAE00
KVM_CREATE_VM = 0xAE01

# Cap what one read takes, so a huge kern.log or a broken sysfs file cannot stall gathering.
DEFAULT_LIMIT = 262144
# A sysfs device path is a few hundred characters; a longer link target is not one.
LINK_MAX = 4096

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
# <linux/openat2.h>
_RESOLVE_NO_MAGICLINKS = 0x02
_RESOLVE_NO_SYMLINKS = 0x04
_RESOLVE_IN_ROOT = 0x10
# openat2 has the same number on every architecture that took the unified table (Linux 5.6).
_OPENAT2_SYSCALL = {"x86_64": 437, "aarch64": 437, "i686": 437, "i386": 437, "armv7l": 437,
                    "armv8l": 437, "ppc64le": 437, "ppc64": 437, "s390x": 437, "riscv64": 437,
                    "loongarch64": 437}
# Errors that say openat2 is not there (old kernel, seccomp filter), not that a path is bad.
_OPENAT2_ABSENT = (errno.ENOSYS, errno.EPERM, errno.EINVAL, errno.E2BIG)
_openat2 = None  # the ctypes call once tried; False when this kernel has none
_KINDS = ((stat.S_ISDIR, "directory"), (stat.S_ISLNK, "symbolic link"), (stat.S_ISFIFO, "fifo"),
          (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"),
          (stat.S_ISSOCK, "socket"))


class SnapshotError(Exception):
    """The directory given as a host's root cannot be read as one."""


class _Refused(Exception):
    """A path that is not read, with the phrase for the evidence."""


class HostFiles(object):
    """Text files of a host under ``root``; every read answers, none raises.

    ``read`` returns ``(text, None)`` or ``(None, why)`` where ``why`` is a short phrase
    such as ``'missing'``, ``'permission denied'``, ``'not a regular file (fifo)'`` or
    ``'/proc is a symbolic link, not followed'``. Raises ``SnapshotError`` when ``root`` is
    empty, or not a directory that holds a host (its ``proc`` or ``sys``).
    """

    def __init__(self, root="/"):
        if not root:
            raise SnapshotError(
                "the root is empty; give / for this host, or the root/ folder of a captured host")
        self.root = os.path.abspath(root)
        self.live = self.root.strip("/") == ""
        self._fd = None
        if self.live:
            self.root = "/"
            return
        # The folders above the root are the caller's; the root itself came with the snapshot.
        if os.path.islink(self.root):
            raise SnapshotError(
                "the snapshot directory %s is a symbolic link, which is not followed; give the "
                "directory itself" % self.root)
        try:
            self._fd = os.open(self.root, _DIR_FLAGS)
        except OSError:
            raise SnapshotError(
                "the snapshot directory %s does not exist or is not a directory; give the "
                "root/ folder of a captured host, or / for this host" % self.root)
        if not (self._is_dir("/proc") or self._is_dir("/sys")):
            os.close(self._fd)
            self._fd = None
            raise SnapshotError(
                "%s does not look like a captured host: it has neither proc/ nor sys/ in it "
                "(as directories: links are not followed); give the root/ folder that the "
                "capture tool wrote (for example CASE/root, not CASE)" % self.root)

    def __del__(self):
        if getattr(self, "_fd", None) is not None:
            os.close(self._fd)
            self._fd = None

    def path(self, path):
        """The real path of a host path under this root (for the live probes)."""
        return os.path.join(self.root, path.lstrip("/"))

    def read(self, path, limit=DEFAULT_LIMIT, tail=False):
        """Text of a host file (at most ``limit`` bytes; the last ones when ``tail``).

        Returns ``(text, None)``, or ``(None, why)`` when the file is missing, unreadable or
        not a regular file. Bytes that are not UTF-8 become U+FFFD.
        """
        try:
            if self.live:
                data = _read_file(None, path, limit, tail)
            else:
                parent, name = self._parent(path)
                try:
                    data = _read_file(parent, name, limit, tail)
                finally:
                    os.close(parent)
        except _Refused as exc:
            return None, str(exc)
        except OSError as exc:
            return None, _why(exc)
        except ValueError:  # a NUL in the name
            return None, "not a valid file name"
        return data.decode("utf-8", "replace"), None

    def text(self, path, limit=DEFAULT_LIMIT):
        """Text of a host file, or None when it cannot be read."""
        return self.read(path, limit)[0]

    def exists(self, path):
        """Whether a host path exists (for a snapshot: was captured; a link counts, unfollowed)."""
        if self.live:
            return os.path.lexists(path)
        try:
            parent, name = self._parent(path)
        except (_Refused, OSError, ValueError):
            return False
        try:
            os.stat(name, dir_fd=parent, follow_symlinks=False)
            return True
        except (OSError, ValueError):
            return False
        finally:
            os.close(parent)

    def listdir(self, path):
        """Sorted names in a host directory; empty when it is missing or unreadable.

        Names that are not UTF-8 come back with U+FFFD in place of their bytes.
        """
        return self.readdir(path)[0]

    def readdir(self, path):
        """``(sorted names, None)`` of a host directory, or ``([], why)`` as ``read`` says why."""
        try:
            if self.live:
                names = os.listdir(path)
            else:
                fd = self._dir(_parts(path))
                try:
                    names = os.listdir(fd)
                finally:
                    os.close(fd)
        except _Refused as exc:
            return [], str(exc)
        except OSError as exc:
            return [], _why(exc)
        except ValueError:
            return [], "not a valid file name"
        return sorted(clean_name(name) for name in names), None

    def link_name(self, path):
        """Last component of a symlink's target (a driver or IOMMU group), or None.

        The link is read, never followed; in a snapshot, not when it has more than one name.
        """
        target = self._readlink(path)
        return clean_name(os.path.basename(target.rstrip("/"))) or None if target is not None else None

    def link_target(self, path):
        """The whole target of a symlink (a sysfs device path, relative as written), or None.

        Read, never followed, like ``link_name``; cut at ``LINK_MAX`` characters.
        """
        target = self._readlink(path)
        return clean_name(target)[:LINK_MAX] or None if target is not None else None

    def _readlink(self, path):
        """The raw target of the symlink ``path``, or None when it cannot be read as one."""
        try:
            if self.live:
                return os.readlink(path)
            parent, name = self._parent(path)
            try:
                return _read_link(parent, name)
            finally:
                os.close(parent)
        except (_Refused, OSError, ValueError):
            return None

    def _is_dir(self, path):
        try:
            os.close(self._dir(_parts(path)))
            return True
        except (_Refused, OSError, ValueError):
            return False

    def _parent(self, path):
        """``(directory fd, last name)`` of a snapshot path; the caller closes the fd."""
        parts = _parts(path)
        if not parts:
            raise _Refused("not a regular file (directory)")
        return self._dir(parts[:-1]), parts[-1]

    def _dir(self, parts):
        """An fd of the snapshot directory ``parts``, resolved inside the root, no link followed."""
        global _openat2  # pylint: disable=global-statement
        if not parts:
            return os.dup(self._fd)
        if _openat2 is None:
            _openat2 = _load_openat2(self._fd)
        if _openat2:
            try:
                return _openat2(self._fd, "/".join(parts), _DIR_FLAGS,
                                _RESOLVE_IN_ROOT | _RESOLVE_NO_SYMLINKS | _RESOLVE_NO_MAGICLINKS)
            except OSError as exc:
                if exc.errno in (errno.ENOENT, errno.EACCES):
                    raise
                # A link or a non-directory on the way: the walk says which one.
        return _walk(self._fd, parts)


def _parts(path):
    """The names of a host path, ``..`` kept inside the root as RESOLVE_IN_ROOT does."""
    parts = []
    for part in path.split("/"):
        if part == "..":
            if parts:
                parts.pop()
        elif part and part != ".":
            parts.append(part)
    return parts


def _walk(root_fd, parts):
    """Open directory ``parts`` below ``root_fd`` one name at a time, never through a link."""
    fd = os.dup(root_fd)
    try:
        for index, part in enumerate(parts):
            try:
                following = os.open(part, _DIR_FLAGS, dir_fd=fd)
            except OSError as exc:
                kind = _kind(part, fd) if exc.errno in (errno.ENOTDIR, errno.ELOOP) else None
                if kind == "symbolic link":
                    raise _Refused("/%s is a symbolic link, not followed" % "/".join(parts[:index + 1]))
                if kind:
                    raise _Refused("/%s is not a directory (%s)" % ("/".join(parts[:index + 1]), kind))
                raise
            os.close(fd)
            fd = following
    except BaseException:
        os.close(fd)
        raise
    return fd


def _kind(name, dir_fd):
    """What a name is when it is not a regular file or directory (``'fifo'``...), or None."""
    try:
        mode = os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode):
        return "regular file"
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "special file"


def _read_file(dir_fd, name, limit, tail):
    """Bytes of a regular file, looked at before it is opened so no FIFO or device is opened.

    With ``dir_fd`` (a snapshot), ``name`` is one name in that directory and a link there,
    symbolic or hard (a file of more than one name, counted on the opened file), is refused;
    without (the live host), ``name`` is a path whose links the kernel made.
    """
    if dir_fd is None:
        before = os.stat(name)
        flags = _FILE_FLAGS
    else:
        before = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        flags = _FILE_FLAGS | os.O_NOFOLLOW
    if stat.S_ISLNK(before.st_mode):
        raise _Refused("a symbolic link, not followed")
    if not stat.S_ISREG(before.st_mode):
        raise _Refused(_not_regular(before.st_mode))
    fd = os.open(name, flags, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or (info.st_dev, info.st_ino) != (before.st_dev, before.st_ino):
            raise _Refused("changed while it was opened")
        if dir_fd is not None and info.st_nlink > 1:
            raise _Refused(_hard_link(info.st_nlink))
        if tail and info.st_size > limit:
            os.lseek(fd, info.st_size - limit, os.SEEK_SET)
        # procfs says size 0 and sysfs a page: read in steps until the end or the cap.
        step = max(min(info.st_size + 1, limit), 16384)
        chunks = []
        total = 0
        while total < limit:
            chunk = os.read(fd, min(step, limit - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def _read_link(dir_fd, name):
    """Target of the symbolic link ``name`` in a snapshot directory, read through its own fd.

    A symbolic link can be hard-linked too (its other name outside the root): the count of
    names is taken from the link itself, opened with ``O_PATH``, and the target read from it.
    """
    fd = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISLNK(info.st_mode):
            raise _Refused("not a symbolic link")
        if info.st_nlink > 1:
            raise _Refused(_hard_link(info.st_nlink))
        return os.readlink("", dir_fd=fd)
    finally:
        os.close(fd)


def _hard_link(links):
    # Another name of the file may be outside the root (ln /etc/shadow root/proc/cpuinfo), and
    # finding every name would mean walking the whole filesystem: capture-host writes copies.
    return "a hard link (%d links), refused: a snapshot's files must be plain copies" % links


def _not_regular(mode):
    for test, kind in _KINDS:
        if test(mode):
            return "not a regular file (%s)" % kind
    return "not a regular file"


def clean_name(name):
    """A file name as text: bytes that are not UTF-8 (kept by os as surrogates) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _load_openat2(root_fd):
    """A ctypes call of openat2(2), or False where this kernel or architecture has none."""
    number = _OPENAT2_SYSCALL.get(os.uname()[4])
    if number is None:
        return False
    try:
        import ctypes
    except ImportError:
        return False

    class OpenHow(ctypes.Structure):  # struct open_how
        _fields_ = [("flags", ctypes.c_uint64), ("mode", ctypes.c_uint64), ("resolve", ctypes.c_uint64)]

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syscall = libc.syscall
    except (OSError, AttributeError):
        return False
    syscall.restype = ctypes.c_long

    def openat2(dir_fd, path, flags, resolve):
        how = OpenHow(flags, 0, resolve)
        fd = syscall(ctypes.c_long(number), ctypes.c_int(dir_fd), ctypes.c_char_p(os.fsencode(path)),
                     ctypes.byref(how), ctypes.c_size_t(ctypes.sizeof(how)))
        if fd < 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code), path)
        return fd

    try:
        os.close(openat2(root_fd, ".", _DIR_FLAGS, _RESOLVE_IN_ROOT | _RESOLVE_NO_SYMLINKS))
    except OSError as exc:
        if exc.errno in _OPENAT2_ABSENT:
            return False
    return openat2


def _why(exc):
    """A short phrase for an OSError, for the evidence."""
    if exc.errno == errno.ENOENT:
        return "missing"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ELOOP:
        return "a symbolic link, not followed"
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

    Returns ``{'opened', 'open_error', 'api_version', 'vm_created', 'vm_error', 'refused'}``
    (refused: the open failed for permissions); a
    created VM is an empty one (no memory, no vCPU) and is closed at once.
    """
    result = {"opened": False, "open_error": None, "api_version": None,
              "vm_created": None, "vm_error": None, "refused": False}
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except OSError as exc:
        result["open_error"] = _why(exc)
        # Only a permission error says this user may not open it; ENODEV or ENXIO say the
        # node leads to no KVM (a node left behind, bind-mounted after the module went).
        result["refused"] = exc.errno in (errno.EACCES, errno.EPERM)
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


def node_mode(path):
    """Owner, group, mode and numbers of a live device node as a ``NodeMode`` (lstat: the node
    is never opened), or None when it cannot be looked at."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    kind = "c" if stat.S_ISCHR(info.st_mode) else "b" if stat.S_ISBLK(info.st_mode) else (
        "l" if stat.S_ISLNK(info.st_mode) else "-")
    try:
        os.getxattr(path, "system.posix_acl_access", follow_symlinks=False)
        acl = True
    except OSError as exc:
        acl = False if exc.errno in (errno.ENODATA, getattr(errno, "ENOATTR", errno.ENODATA)) else None
    except AttributeError:  # no xattr calls on this platform
        acl = None
    return NodeMode(path, kind, info.st_uid, _user_name(info.st_uid), info.st_gid, _group_name(info.st_gid),
                    stat.S_IMODE(info.st_mode), "%d:%d" % (os.major(info.st_rdev), os.minor(info.st_rdev))
                    if kind in ("c", "b") else None, acl, ())


def process_identity():
    """The running process's effective uid, gid and supplementary groups, with their names."""
    gid = os.getegid()
    numbers = [gid] + [g for g in sorted(set(os.getgroups())) if g != gid]
    name = _user_name(os.geteuid())
    try:
        login = tuple(os.getgrouplist(name, gid)) if name else None
    except (OSError, AttributeError):
        login = None
    return Identity(os.geteuid(), name, gid, tuple((g, _group_name(g)) for g in numbers[:256]), "process",
                    None, None, None, login)


def _user_name(uid):
    try:
        import pwd
        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return None


def _group_name(gid):
    try:
        import grp
        return grp.getgrgid(gid).gr_name
    except (ImportError, KeyError):
        return None
