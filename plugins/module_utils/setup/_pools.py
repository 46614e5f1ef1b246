# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage pools as a list: checking what is asked, the XML libvirt gets, and the decisions.

Pure functions from options and text (what ``lsblk -J`` and ``wipefs`` printed, what libvirt
returned) to sentences, elements and plans; the code that runs commands is in ``_pools_apply``.
"""

import base64
import binascii
import hashlib
import json
import re
import xml.etree.ElementTree as ET

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import NAME_PATTERN, differences

# The options each type takes beyond name, type, autostart and redefine; any other one set is refused.
TYPE_OPTIONS = {
    "dir": ("path",),
    "logical": ("volume_group", "devices"),
    "netfs": ("path", "hosts", "source_path", "format"),
    "rbd": ("hosts", "port", "rbd_pool", "auth_username", "key"),
}
# The elements under <source> the collection writes: one found and not wanted is a difference.
OWNED = ("device", "host", "dir", "auth", "name", "format")
# A path the module writes into XML and hands to mount or LVM: the POSIX portable filename set.
_PATH = re.compile(r"^/[A-Za-z0-9._/-]*\Z")
_SECOND_NAME = re.compile(r"//|/\.\.?(/|$)")
_DEVICE = re.compile(r"^/dev/[A-Za-z0-9._/:-]+$")
# A host name or an IPv4/IPv6 address, as libvirt and mount take it.
_HOST = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.:-]{0,253}$")
_CEPH_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
# What `virsh secret-list` prints per secret: the UUID, then the usage type and its name.
_SECRET_LINE = re.compile(r"^\s*([0-9a-fA-F-]{36})\s+ceph\s+(\S.*?)\s*$")
_FINGERPRINT = re.compile(r"key sha256:([0-9a-f]{64})")
WHAT_TO_DO_DEVICE = ("What to do: name an empty device (no partition table, signature, mount or child), or, if "
                     "nothing on it is needed, clear it yourself (for example `wipefs --all %s`) and run again; "
                     "the module never wipes a device.")


class PoolsError(Exception):
    """What was asked cannot be done; ``problems`` lists every reason, each a sentence."""

    def __init__(self, what, problems):
        Exception.__init__(self, "%s: %s" % (what, " ".join("%d. %s" % (n + 1, p) for n, p in enumerate(problems))))
        self.problems = problems


def path_problem(path, system_dirs):
    """Why ``path`` may not be a pool's directory, as a phrase after the path; '' when it may.

    The role's rule for kvm_host_default_pool_path, over its table ``__kvm_host_system_dirs``
    (rows with ``path``, ``below`` (``all`` or a depth) ``for`` and ``source``), given here as data.
    """
    if not path.startswith("/"):
        return "is not an absolute path"
    if not _PATH.match(path):
        return "has characters other than letters, digits, '.', '_', '-' and '/' (the POSIX portable filename characters)"
    if _SECOND_NAME.search(path):
        return "names a directory through '//', '.' or '..' instead of by its one plain path"
    parts = [part for part in path.split("/") if part]
    found = None
    for row in system_dirs:
        row_parts = [part for part in str(row["path"]).split("/") if part]
        below = str(row.get("below", "all"))
        if parts[:len(row_parts)] == row_parts and (below == "all" or len(parts) - len(row_parts) <= int(below)):
            found = row
    if found is None:
        return ""
    extent = {"all": " and everything under it", "1": " and each directory directly in it"}.get(str(found.get("below")), "")
    return "is a system directory, not one dedicated to images: %s reserves %s%s for %s" % (
        found.get("source", "the system"), found["path"], extent, found.get("for", "the system"))


def key_problem(key):
    """Why a Ceph key is not one (never quoting it); '' when it is base64 as ``ceph auth get-key`` prints it."""
    if not key or not re.match(r"^[A-Za-z0-9+/]+=*$", key):
        return "is not a base64 Ceph key (as `ceph auth get-key client.NAME` prints it)"
    try:
        base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, ValueError):
        return "is not a base64 Ceph key (as `ceph auth get-key client.NAME` prints it)"
    return ""


def normalize(pool):
    """One pool's options with its defaults filled in: the volume group, the logical target, trailing slashes."""
    out = dict(pool)
    if out.get("path") and out["path"] != "/":
        out["path"] = out["path"].rstrip("/")
    if out["type"] == "logical":
        out["volume_group"] = out.get("volume_group") or out["name"]
        out["path"] = "/dev/" + out["volume_group"]
    if out["type"] == "netfs":
        out["format"] = out.get("format") or "nfs"
    if out["type"] == "rbd":
        out["rbd_pool"] = out.get("rbd_pool") or out["name"]
    out["devices"] = list(out.get("devices") or [])
    out["hosts"] = list(out.get("hosts") or [])
    return out


def validate(pools, system_dirs):
    """Every problem with a list of pools (options as AnsibleModule gives them), as sentences.

    Returns (normalized pools, problems); nothing is read from the host or libvirt.
    """
    problems = []
    seen = {}
    devices = {}
    normalized = []
    for index, raw in enumerate(pools):
        pool = normalize(raw)
        label = "pools[%d] (%s)" % (index, json.dumps(pool["name"]))
        if not NAME_PATTERN.match(pool["name"]):
            problems.append("%s: the name is not a libvirt object name. What to do: use 1 to 64 letters, digits, "
                            "'_', '.', '+' or '-', starting with a letter or digit." % label)
        if pool["name"] in seen:
            problems.append("%s: the name is already used by pools[%d]. What to do: give each pool its own name."
                            % (label, seen[pool["name"]]))
        seen.setdefault(pool["name"], index)
        for option in sorted(set(o for opts in TYPE_OPTIONS.values() for o in opts)):
            if option not in TYPE_OPTIONS[pool["type"]] and raw.get(option) not in (None, [], ""):
                problems.append("%s: %s does not apply to a %s pool. What to do: remove it." % (label, option, pool["type"]))
        problems.extend(_type_problems(pool, label, system_dirs))
        for device in pool["devices"]:
            if device in devices:
                problems.append("%s: the device %s is also named by %s. What to do: give each device to one pool."
                                % (label, device, devices[device]))
            devices.setdefault(device, label)
        normalized.append(pool)
    return normalized, problems


def _type_problems(pool, label, system_dirs):
    """The problems of one pool's type-specific options."""
    problems = []
    if pool["type"] in ("dir", "netfs"):
        problem = path_problem(pool["path"] or "", system_dirs)
        if problem:
            problems.append("%s: path %s %s. What to do: set a directory dedicated to the pool, at least two levels "
                            "down, such as /srv/vm-images or /data/libvirt/%s." % (label, json.dumps(pool["path"]), problem, pool["name"]))
    if pool["type"] == "logical":
        if not NAME_PATTERN.match(pool["volume_group"]) or pool["volume_group"].startswith("-"):
            problems.append("%s: volume_group %s is not a volume group name. What to do: use letters, digits, '_', '.', "
                            "'+' or '-'." % (label, json.dumps(pool["volume_group"])))
        for device in pool["devices"]:
            if not _DEVICE.match(device) or _SECOND_NAME.search(device):
                problems.append("%s: device %s is not a plain path under /dev. What to do: name the block device, such "
                                "as /dev/sdb or /dev/disk/by-id/..." % (label, json.dumps(device)))
    if pool["type"] in ("netfs", "rbd"):
        # One ':' is a host with a port (IPv6 addresses have two or more): the port is its own option.
        bad = [host for host in pool["hosts"] if not _HOST.match(host) or host.count(":") == 1]
        if bad:
            problems.append("%s: hosts %s are not host names or addresses. What to do: give names such as "
                            "nfs1.example.org or addresses, without ports or schemes." % (label, ", ".join(json.dumps(h) for h in bad)))
    if pool["type"] == "netfs":
        if len(pool["hosts"]) != 1:
            problems.append("%s: a netfs pool mounts from one server, %d named. What to do: give one host." % (label, len(pool["hosts"])))
        if not pool.get("source_path") or not _PATH.match(pool["source_path"]) or _SECOND_NAME.search(pool["source_path"]):
            problems.append("%s: source_path %s is not the exported directory's plain absolute path. What to do: set it "
                            "as the server exports it, such as /export/vm-images." % (label, json.dumps(pool.get("source_path"))))
    if pool["type"] == "rbd":
        if not pool["hosts"]:
            problems.append("%s: an rbd pool needs its Ceph monitors. What to do: list them in hosts." % label)
        if not _CEPH_NAME.match(pool["rbd_pool"]):
            problems.append("%s: rbd_pool %s is not a Ceph pool name. What to do: use letters, digits, '_', '.' or '-'."
                            % (label, json.dumps(pool["rbd_pool"])))
        if pool.get("auth_username") and not _CEPH_NAME.match(pool["auth_username"]):
            problems.append("%s: auth_username %s is not a Ceph user name (without 'client.'). What to do: use letters, "
                            "digits, '_', '.' or '-'." % (label, json.dumps(pool["auth_username"])))
        if pool.get("auth_username") and key_problem(pool.get("key") or ""):
            problems.append("%s: key %s. What to do: set the key ceph prints, from a vaulted variable." % (label, key_problem(pool.get("key") or "")))
    return problems


def secret_usage(pool_name):
    """The usage name of the libvirt secret holding an rbd pool's Ceph key: fixed, from the pool's name."""
    return "hypervisor.kvm pool %s" % pool_name


def key_fingerprint(pool_name, key):
    """A SHA-256 of the key, salted with the pool's name, kept in the secret's description.

    libvirt never gives back a private secret's value, so this says whether the key changed.
    A Ceph key is 16 random bytes: its hash tells nothing of it.
    """
    return hashlib.sha256(("hypervisor.kvm:%s:%s" % (pool_name, key)).encode("utf-8")).hexdigest()


def secret_xml(pool_name, key, uuid=None):
    """The definition of the secret for an rbd pool's key (ceph usage, private, persistent)."""
    root = ET.Element("secret", {"ephemeral": "no", "private": "yes"})
    if uuid:
        ET.SubElement(root, "uuid").text = uuid
    ET.SubElement(root, "description").text = "Ceph key of storage pool %s (hypervisor.kvm), key sha256:%s" % (
        pool_name, key_fingerprint(pool_name, key))
    usage = ET.SubElement(root, "usage", {"type": "ceph"})
    ET.SubElement(usage, "name").text = secret_usage(pool_name)
    return root


def find_secret(secret_list, usage):
    """The UUID of the ceph secret with that usage name in ``virsh secret-list`` output, or None."""
    for line in secret_list.splitlines():
        match = _SECRET_LINE.match(line)
        if match and match.group(2) == usage:
            return match.group(1)
    return None


def stored_fingerprint(secret):
    """The key fingerprint written in a secret's description (an element), or None."""
    match = _FINGERPRINT.search(secret.findtext("description") or "")
    return match.group(1) if match else None


def wanted_xml(pool, uuid=None):
    """The definition of one pool (normalized), as an element; ``uuid`` keeps an existing pool's."""
    root = ET.Element("pool", {"type": pool["type"]})
    ET.SubElement(root, "name").text = pool["name"]
    if uuid:
        ET.SubElement(root, "uuid").text = uuid
    if pool["type"] != "dir":
        source = ET.SubElement(root, "source")
    if pool["type"] == "logical":
        for device in pool["devices"]:
            ET.SubElement(source, "device", {"path": device})
        ET.SubElement(source, "name").text = pool["volume_group"]
        ET.SubElement(source, "format", {"type": "lvm2"})
    if pool["type"] == "netfs":
        ET.SubElement(source, "host", {"name": pool["hosts"][0]})
        ET.SubElement(source, "dir", {"path": pool["source_path"]})
        ET.SubElement(source, "format", {"type": pool["format"]})
    if pool["type"] == "rbd":
        ET.SubElement(source, "name").text = pool["rbd_pool"]
        for host in pool["hosts"]:
            attributes = {"name": host}
            if pool.get("port"):
                attributes["port"] = str(pool["port"])
            ET.SubElement(source, "host", attributes)
        if pool.get("auth_username"):
            auth = ET.SubElement(source, "auth", {"type": "ceph", "username": pool["auth_username"]})
            ET.SubElement(auth, "secret", {"usage": secret_usage(pool["name"])})
    if pool["type"] != "rbd":
        target = ET.SubElement(root, "target")
        ET.SubElement(target, "path").text = pool["path"]
    return root


def pool_differences(found, pool):
    """What differs between a pool's definition read from libvirt and the one wanted, as sentences."""
    owned = OWNED if pool["devices"] or pool["type"] != "logical" else tuple(t for t in OWNED if t != "device")
    return differences(found, wanted_xml(pool), owned=owned)


def device_problem(device, lsblk_json, wipefs_out):
    """Why a block device may not become an LVM physical volume; '' when it is empty.

    ``lsblk_json``: ``lsblk -J -o NAME,TYPE,FSTYPE,PTTYPE,MOUNTPOINT DEVICE`` (its children are
    partitions and holders: device-mapper, RAID); ``wipefs_out``: ``wipefs --no-act --noheadings
    DEVICE`` (every signature libblkid finds on the device itself). A device with anything is refused.
    """
    try:
        tree = json.loads(lsblk_json)
        node = tree["blockdevices"][0]
    except (ValueError, KeyError, IndexError, TypeError):
        return "%s: lsblk did not describe it (%s). %s" % (device, (lsblk_json or "no output").strip()[:200], WHAT_TO_DO_DEVICE % device)
    found = []
    if node.get("type") not in ("disk", "part", "loop", "mpath"):
        found.append("it is a %s, not a disk, partition, loop or multipath device" % node.get("type"))
    if node.get("pttype"):
        found.append("it has a %s partition table" % node["pttype"])
    if node.get("fstype"):
        found.append("it carries a %s signature" % node["fstype"])
    if node.get("mountpoint"):
        found.append("it is mounted on %s" % node["mountpoint"])
    children = _descendants(node)
    if children:
        found.append("it has %d child device(s): %s" % (len(children), ", ".join(
            "%s (%s)" % (c.get("name"), ", ".join(str(v) for v in (c.get("type"), c.get("fstype"), c.get("mountpoint")) if v))
            for c in children)))
    signatures = [line.split() for line in (wipefs_out or "").splitlines() if line.strip()]
    if signatures:
        found.append("wipefs finds %s" % ", ".join(
            "%s at offset %s" % (fields[2] if len(fields) > 2 else "?", fields[1] if len(fields) > 1 else "?") for fields in signatures))
    if not found:
        return ""
    return "%s is not empty: %s. %s" % (device, "; ".join(found), WHAT_TO_DO_DEVICE % device)


def _descendants(node):
    """Every device below one in lsblk's tree: partitions, and the holders built on it or on them."""
    found = []
    for child in node.get("children") or []:
        found.append(child)
        found.extend(_descendants(child))
    return found


def plan(pool, found, state, redefine, target_exists, volume_group_exists):
    """What to do for one pool, from what was read; a dict, decided before anything changes.

    ``found``: its definition (element) or None; ``state``: (active, autostart) or None;
    ``target_exists``: whether its directory is there; ``volume_group_exists``: for logical pools.
    Returns ``actions`` (in order), ``differences``, ``warnings`` and ``problems`` (refusals).
    """
    out = {"actions": [], "differences": [], "warnings": [], "problems": []}
    active, autostart = state or (False, False)
    defining = found is None
    if found is not None:
        out["differences"] = pool_differences(found, pool)
    if out["differences"]:
        what = "; ".join(out["differences"])
        if not redefine:
            out["warnings"].append("pool %s exists with another definition, left as it is (%s). What to do: set redefine "
                                   "to true for it to be redefined, or change the options to match." % (pool["name"], what))
        elif active:
            out["problems"].append("pool %s is active and its definition would change (%s); the module redefines no "
                                   "active pool. What to do: stop it first (`virsh pool-destroy %s`, with no guest using "
                                   "it), or keep its definition." % (pool["name"], what, pool["name"]))
        else:
            out["actions"].append("redefine")
            defining = True
    if found is None:
        out["actions"].append("define")
    if pool["type"] == "logical":
        if not volume_group_exists and not pool["devices"]:
            out["problems"].append("pool %s: the volume group %s does not exist and no devices are named to create it. "
                                   "What to do: create it (vgcreate) or list empty devices in devices." % (pool["name"], pool["volume_group"]))
        elif not volume_group_exists:
            out["actions"].append("build")
    elif pool["type"] in ("dir", "netfs") and not active and (defining or not target_exists):
        out["actions"].append("build")
    if not active:
        out["actions"].append("start")
    if pool.get("autostart", True) != autostart:
        out["actions"].append("autostart" if pool.get("autostart", True) else "no-autostart")
    return out
