# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open a device node: its owner, group, mode and access list against one user's ids.

Pure functions over text and numbers. ``parse_devices`` and ``parse_identity`` read the records
``tools/capture-host`` writes next to a snapshot's empty device nodes (``/.capture/devices``,
``/.capture/identity``), ``parse_id_map`` a ``/proc/self/uid_map`` or ``gid_map``; each record
is data from someone else, so every field is checked and a line that is not one is counted,
never trusted. ``judge`` applies the kernel's check for opening a node read-write (owner, then
access-list user, then groups, then others; root passes where its user namespace owns the
node's ids) and says why in one line.
"""

import re
from collections import namedtuple

# One device node as captured: ``mode`` an int (permission bits), ``acl`` True when ls showed
# an access control list (None when not known), ``acl_entries`` its (kind, id, bits) rows.
NodeMode = namedtuple("NodeMode", "path type uid owner gid group mode major_minor acl acl_entries")

# The user a verdict is for: ``groups`` a tuple of (gid, name or None); ``source`` 'process'
# (the running process), 'sudo' (the user who ran sudo) or 'option' (capture-host --user);
# ``user_namespace`` True inside a user namespace, False in the host's, None when not known;
# ``login_groups`` the gids a new login of the user gets (the group database), None when not known.
Identity = namedtuple("Identity", "uid name gid groups source captured_by kvm_group_line user_namespace login_groups")
Identity.__new__.__defaults__ = (None, None)

# What ``judge`` found: ``allowed`` True/False, None when the records cannot tell (an access
# list whose entries were not captured); ``why`` one line; ``group_unmapped`` the node's group
# is outside this user namespace (shows as the overflow gid); ``group_rw`` its group may read
# and write it; ``as_root`` the user passed as root.
# How a devices record names a node's type.
_TYPE_NAMES = {"b": "block device", "l": "symbolic link", "-": "regular file"}
Access = namedtuple("Access", "allowed why group_unmapped group_rw as_root stale_session")
Access.__new__.__defaults__ = (False,)

FULL_MAP = ((0, 0, 4294967295),)
OVERFLOW_ID = 65534
_MAX_ID = 4294967295
_NAME = re.compile(r"^[A-Za-z0-9._@+-]{1,64}$")
_PATH = re.compile(r"^/dev(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,31}){1,3}$")
_MODE = re.compile(r"^0?[0-7]{3,4}$")
_RDEV = re.compile(r"^[0-9]{1,10}:[0-9]{1,10}$")
_ACL_ENTRY = re.compile(r"^(user|group|mask|other):([0-9]{0,10}):([r-][w-][x-])$")
_GROUP_LINE = re.compile(r"^[A-Za-z0-9._@+-]{1,64}:[!*xA-Za-z0-9./$]{0,64}:[0-9]{1,10}:[A-Za-z0-9._@+,-]{0,4000}$")
_MAX_LINES = 128
_MAX_GROUPS = 256


def _id(text):
    """An uid or gid from text, or None when it is not one."""
    if not text or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= _MAX_ID else None


def _name(text):
    """A user or group name from a record, or None ('-', 'UNKNOWN' or not a name)."""
    if not text or text in ("-", "UNKNOWN") or not _NAME.match(text):
        return None
    return text


def parse_devices(text):
    """``(dict path -> NodeMode, number of lines that were not records)`` of a devices record.

    Lines are ``path type uid owner gid group mode major:minor acl`` (tab-separated), then
    ``acl path entry`` rows; ``#`` lines are comments. None when there is no record.
    """
    if text is None:
        return None, 0
    nodes = {}
    entries = {}
    bad = 0
    for line in text.splitlines()[:_MAX_LINES]:
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 3 and fields[0] == "acl" and _PATH.match(fields[1]):
            match = _ACL_ENTRY.match(fields[2])
            if match and len(entries.setdefault(fields[1], [])) < 32:
                bits = sum(v for c, v in zip(match.group(3), (4, 2, 1)) if c != "-")
                entries[fields[1]].append((match.group(1), _id(match.group(2)), bits))
                continue
            bad += 1
            continue
        if len(fields) != 9 or not _PATH.match(fields[0]) or fields[1] not in ("c", "b", "l", "-"):
            bad += 1
            continue
        uid, gid = _id(fields[2]), _id(fields[4])
        if uid is None or gid is None or not _MODE.match(fields[6]) or not _RDEV.match(fields[7]) \
                or fields[8] not in ("+", "-"):
            bad += 1
            continue
        nodes[fields[0]] = NodeMode(fields[0], fields[1], uid, _name(fields[3]), gid, _name(fields[5]),
                                    int(fields[6], 8) & 0o7777, fields[7], fields[8] == "+", ())
    for path, rows in entries.items():
        if path in nodes and nodes[path].acl:
            nodes[path] = nodes[path]._replace(acl_entries=tuple(rows))
        else:  # a list for a node not recorded, or recorded without one
            bad += len(rows)
    return nodes, bad


def parse_identity(text):
    """``(Identity, why)`` of an identity record; ``(None, why)`` when it holds no valid user."""
    if text is None:
        return None, None
    values = {}
    for line in text.splitlines()[:_MAX_LINES]:
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            values.setdefault(key.strip(), value.strip())
    uid, gid = _id(values.get("uid")), _id(values.get("gid"))
    if uid is None or gid is None:
        return None, "no valid uid and gid"
    groups = []
    for pair in values.get("groups", "").split()[:_MAX_GROUPS]:
        number, _sep, name = pair.partition(":")
        if _id(number) is not None:
            groups.append((_id(number), _name(name)))
    if gid not in [g for g, _n in groups]:
        groups.insert(0, (gid, None))
    source = values.get("for")
    line = values.get("etc_group_kvm") or None
    by = values.get("captured_by", "").partition(":")
    login = [_id(n) for n in values.get("login_groups", "").split()[:_MAX_GROUPS]]
    login = tuple(n for n in login if n is not None) or None
    return Identity(uid, _name(values.get("user")), gid, tuple(groups),
                    source if source in ("process", "sudo", "option") else None,
                    (_id(by[0]), _name(by[2])) if _id(by[0]) is not None else None,
                    line if line and _GROUP_LINE.match(line) else None, None, login), None


def parse_id_map(text):
    """The ranges ``(inside, outside, count)`` of a uid_map or gid_map; None when not readable."""
    if text is None:
        return None
    ranges = []
    for line in text.splitlines()[:340]:
        fields = line.split()
        if len(fields) == 3 and all(_id(f) is not None for f in fields):
            ranges.append(tuple(int(f) for f in fields))
    return tuple(ranges)


def is_initial(id_map):
    """True for the host's own user namespace (the whole range mapped to itself), None unknown."""
    if id_map is None:
        return None
    return tuple(id_map) == FULL_MAP


def to_outside(id_map, value):
    """The id outside the namespace that ``value`` inside it is, or None when it is unmapped."""
    for inside, outside, count in id_map or ():
        if inside <= value < inside + count:
            return outside + value - inside
    return None


def _mapped(id_map, value, overflow):
    """Whether a node's id is one of this namespace's: the kernel shows an unmapped one as the
    overflow id, which is indistinguishable from a mapped one of that number; take it as
    unmapped inside a user namespace."""
    if is_initial(id_map) is not False:
        return True
    return value != overflow and to_outside(id_map, value) is not None


def _rw(bits):
    return bits & 6 == 6


def _bits(bits):
    return "".join(c if bits & v else "-" for c, v in zip("rwx", (4, 2, 1)))


def who(identity):
    """'name (uid N)' of an identity, for sentences."""
    if identity.name:
        return "%s (uid %d)" % (identity.name, identity.uid)
    return "uid %d" % identity.uid


def owner_group(node):
    """'owner:group mode' of a node, as ls shows it."""
    return "%s:%s %04o" % (node.owner or node.uid, node.group or node.gid, node.mode)


def judge(node, identity, uid_map=None, gid_map=None, overflow=(OVERFLOW_ID, OVERFLOW_ID)):
    """Whether ``identity`` can open ``node`` for reading and writing, as an ``Access``.

    ``allowed`` is None where the records cannot say: a node that is not a character device
    (a link, say: what it leads to was not recorded), an access list whose entries were not
    captured, groups kept from the host inside a user namespace."""
    if node.type != "c":
        return Access(None, "%s was recorded as a %s, not a character device: its own owner, group and mode "
                      "are not the device's" % (node.path, _TYPE_NAMES.get(node.type, "file of type '%s'" % node.type)),
                      False, False, False)
    members = set(g for g, _n in identity.groups) | {identity.gid}
    group_mapped = _mapped(gid_map, node.gid, overflow[1])
    owner_mapped = _mapped(uid_map, node.uid, overflow[0])
    group_bits = (node.mode >> 3) & 7
    entries = node.acl_entries or ()
    if node.acl and entries:
        group_bits = next((b for k, i, b in entries if k == "group" and i is None), group_bits)
    unmapped = not group_mapped
    base = "%s is %s" % (node.path, owner_group(node))
    if identity.uid == 0:
        initial = is_initial(uid_map)
        if initial is not False:
            return Access(True, "%s; %s opens it: root passes the permission check%s" % (
                base, who(identity), "" if initial else " (no user namespace map was captured)"),
                unmapped, _rw(group_bits), True)
        if owner_mapped and group_mapped:
            return Access(True, "%s; root of this user namespace owns the node's ids, so it opens it" % base,
                          unmapped, _rw(group_bits), True)
    mask = next((b for k, _i, b in entries if k == "mask"), 7) if node.acl and entries else 7
    if owner_mapped and identity.uid == node.uid:
        bits = (node.mode >> 6) & 7
        return Access(_rw(bits), "%s; %s is its owner, who may %s" % (
            base, who(identity), "read and write it" if _rw(bits) else "only %s" % _bits(bits)),
            unmapped, _rw(group_bits), False)
    named = [b for k, i, b in entries if k == "user" and i == identity.uid] if node.acl else []
    if named:
        return Access(_rw(named[0] & mask), "%s; its access list gives %s %s" % (
            base, who(identity), _bits(named[0] & mask)), unmapped, _rw(group_bits), False)
    matched = []
    if group_mapped and node.gid in members:
        matched.append(("its group %s" % (node.group or node.gid), group_bits & mask if entries else group_bits))
    for kind, number, bits in entries:
        if kind == "group" and number is not None and number in members:
            matched.append(("its access list's group %d" % number, bits & mask))
    if (not matched and not group_mapped and overflow[1] in members and is_initial(gid_map) is False
            and _rw(group_bits) and not _rw(node.mode & 7)):
        # Groups kept from the host (podman --group-add keep-groups) show as the overflow gid,
        # as the node's unmapped group does: the kernel compares the host's ids, which this
        # namespace cannot show, so whether a kept group is the node's only the host can say.
        return Access(None, "%s; %s holds groups kept from the host (gid %d here), and the node's group is "
                      "not mapped into this user namespace either: whether one of them is the node's group "
                      "only the host can say" % (base, who(identity), overflow[1]), unmapped, _rw(group_bits), False)
    if matched:
        allowed = any(_rw(bits) for _what, bits in matched)
        return Access(allowed, "%s; %s is in %s, which may %s" % (
            base, who(identity), " and ".join(w for w, _b in matched),
            "read and write it" if allowed else "not read and write it"), unmapped, _rw(group_bits), False)
    if node.acl and not entries and not _rw(node.mode & 7):
        return Access(None, "%s with an access control list whose entries were not captured; "
                      "the mode alone cannot say whether %s may open it" % (base, who(identity)),
                      unmapped, _rw(group_bits), False)
    other = node.mode & 7
    stale = bool(group_mapped and identity.login_groups and node.gid in identity.login_groups)
    reasons = []
    if not group_mapped:
        reasons.append("its group is not mapped into this user namespace (it shows as gid %d)" % node.gid)
    else:
        reasons.append("%s is not in its group %s%s" % (
            who(identity), node.group or node.gid,
            " (the group database lists it there: a session started before it was added)" if stale else ""))
    if identity.uid == 0:
        reasons.append("root of a user namespace that does not own the node's ids is an ordinary user to it")
    return Access(_rw(other), "%s; %s; others may %s" % (
        base, "; ".join(reasons), "read and write it" if _rw(other) else "not read and write it"),
        unmapped, _rw(group_bits), False, stale)
