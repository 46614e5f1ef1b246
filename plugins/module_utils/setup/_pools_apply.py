# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Storage pools as a list: read everything, decide everything, then change what was decided.

The host (directories, volume groups, block devices) is read through ``Host`` and libvirt
through ``_libvirt.Virsh``; both can be replaced (the tests give a virsh that keeps one
session with libvirt's test driver). Every refusal is known before the first change.
"""

import os
import stat
import tempfile
import xml.etree.ElementTree as ET

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _pools
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import must, parse, to_text

# The backends behind a server: a start that fails there is a warning (the pool autostarts
# when the server answers), not a failure.
REMOTE = ("netfs", "rbd")


class Host(object):
    """What the module reads on the host besides libvirt, through AnsibleModule.run_command."""

    def __init__(self, module):
        self.module = module

    def is_dir(self, path):
        """Whether a pool's directory exists."""
        return os.path.isdir(path)

    def volume_groups(self):
        """The names of the host's LVM volume groups (none when LVM's tools are not installed)."""
        vgs = self.module.get_bin_path("vgs")
        if vgs is None:
            return set()
        return set(must(self.module, [vgs, "--noheadings", "-o", "vg_name"], "vgs").split())

    def canonical(self, device):
        """A device's path with its links resolved (/dev/disk/by-id/... to /dev/vdb), as LVM names it."""
        return os.path.realpath(device) if os.path.exists(device) else device

    def device(self, device):
        """(lsblk JSON, wipefs lines) for a block device, or None when it is not one."""
        try:
            if not stat.S_ISBLK(os.stat(device).st_mode):
                return None
        except OSError:
            return None
        outputs = []
        for tool, args in (("lsblk", ["-J", "-o", "NAME,TYPE,FSTYPE,PTTYPE,MOUNTPOINT", device]),
                           ("wipefs", ["--no-act", "--noheadings", device])):
            path = self.module.get_bin_path(tool, required=True)
            outputs.append(must(self.module, [path] + args, "%s %s" % (tool, device)))
        return tuple(outputs)


def _write(tmpdir, text):
    """A private file (0600, mkstemp) holding ``text``; the caller removes it."""
    handle, path = tempfile.mkstemp(dir=tmpdir, prefix="kvm_pools-")
    with os.fdopen(handle, "w") as stream:
        stream.write(text)
    return path


def _define(virsh, kind, element, tmpdir):
    """``virsh pool-define`` / ``secret-define`` from a file; returns what virsh printed."""
    path = _write(tmpdir, to_text(element))
    try:
        return virsh.must("%s-define" % kind, path)
    finally:
        os.remove(path)


def _read(virsh, host, pools):
    """What libvirt and the host hold for each pool: definition, state, directory, secret."""
    names = set(virsh.names("pool"))
    groups = host.volume_groups() if any(p["type"] == "logical" for p in pools) else set()
    secrets = virsh.must("secret-list") if any(p["type"] == "rbd" and p.get("auth_username") for p in pools) else ""
    read = []
    for pool in pools:
        seen = {"found": None, "state": None, "secret": None, "fingerprint": None}
        if pool["name"] in names:
            seen["found"] = virsh.definition("pool", pool["name"])
            seen["state"] = virsh.state("pool", pool["name"])
        seen["target_exists"] = pool["type"] in ("dir", "netfs") and host.is_dir(pool["path"])
        seen["volume_group_exists"] = pool["type"] == "logical" and pool["volume_group"] in groups
        if pool["type"] == "rbd" and pool.get("auth_username"):
            seen["secret"] = _pools.find_secret(secrets, _pools.secret_usage(pool["name"]))
            if seen["secret"]:
                secret = parse(virsh.must("secret-dumpxml", seen["secret"]), "the secret of pool %s" % pool["name"])
                seen["fingerprint"] = _pools.stored_fingerprint(secret)
        read.append(seen)
    return read


def _decide(host, pool, seen, redefine):
    """One pool's plan, with its device refusals and its secret's actions."""
    decided = _pools.plan(pool, seen["found"], seen["state"], redefine, seen["target_exists"], seen["volume_group_exists"])
    if "build" in decided["actions"] and pool["type"] == "logical":
        for device in pool["devices"]:
            texts = host.device(device)
            problem = "%s is not a block device here. %s" % (device, _pools.WHAT_TO_DO_DEVICE % device) if texts is None \
                else _pools.device_problem(device, texts[0], texts[1])
            if problem:
                decided["problems"].append("pool %s: %s" % (pool["name"], problem))
    if pool["type"] == "rbd" and pool.get("auth_username"):
        fresh = seen["fingerprint"] != _pools.key_fingerprint(pool["name"], pool["key"])
        decided["actions"][:0] = (["secret-define"] if fresh else []) + (["secret-set-value"] if fresh else [])
    return decided


def _apply(virsh, pool, seen, decided, tmpdir):
    """Carry out one pool's plan; returns (state, warnings, error or None)."""
    warnings = []
    uuid = seen["found"].findtext("uuid") if seen["found"] is not None else None
    secret = seen["secret"]
    for action in decided["actions"]:
        if action == "secret-define":
            out = _define(virsh, "secret", _pools.secret_xml(pool["name"], pool["key"], secret), tmpdir)
            secret = secret or _pools.find_secret(virsh.must("secret-list"), _pools.secret_usage(pool["name"]))
            if not secret:
                return "inactive", warnings, "pool %s: the secret was defined but is not listed (%s)" % (pool["name"], out.strip())
        elif action == "secret-set-value":
            # From a private file, base64 as ceph prints it: the key never reaches argv or a log.
            path = _write(tempfile.mkdtemp(dir=tmpdir), pool["key"])
            try:
                virsh.must("secret-set-value", "--secret", secret, "--file", path)
            finally:
                os.remove(path)
                os.rmdir(os.path.dirname(path))
        elif action in ("define", "redefine"):
            _define(virsh, "pool", _pools.wanted_xml(pool, uuid), tmpdir)
        elif action == "build":
            # No --overwrite, ever: libvirt's logical build refuses a device with a signature itself too.
            virsh.must("pool-build", pool["name"])
        elif action == "start":
            rc, out, err = virsh.run("pool-start", pool["name"])
            if rc != 0:
                said = (err or out).strip()[:2000]
                if pool["type"] not in REMOTE:
                    return "inactive", warnings, "pool %s: `virsh pool-start` failed: %s" % (pool["name"], said)
                warnings.append("pool %s is defined%s but did not start: %s. What to do: check that %s answers from "
                                "this host; libvirt starts the pool at boot, or run `virsh pool-start %s`." % (
                                    pool["name"], " and autostarts" if pool.get("autostart", True) else "", said,
                                    ", ".join(pool["hosts"]), pool["name"]))
        elif action in ("autostart", "no-autostart"):
            virsh.must(*(["pool-autostart", pool["name"]] + (["--disable"] if action == "no-autostart" else [])))
    active, dummy = virsh.state("pool", pool["name"])
    return "active" if active else "inactive", warnings, None


def ensure(virsh, host, params, check_mode, tmpdir):
    """Make every pool of ``params['pools']`` as asked; returns (result, errors).

    Raises PoolsError listing every refusal before anything changes; ``errors`` are the
    failures met while changing (the other pools are still handled).
    """
    pools, problems = _pools.validate(params["pools"], params.get("system_dirs") or [])
    if problems:
        raise _pools.PoolsError("Nothing was changed; the pools asked for have %d problem(s)" % len(problems), problems)
    for pool in pools:
        # libvirt matches a logical pool's devices with LVM's physical volumes by the path LVM
        # shows (/dev/vdb), never through a link: given /dev/disk/by-id/..., it builds the volume
        # group and then refuses to start it ("cannot find any matching source devices").
        pool["devices"] = [host.canonical(device) for device in pool["devices"]]
    read = _read(virsh, host, pools)
    plans = []
    for pool, seen in zip(pools, read):
        redefine = pool.get("redefine") if pool.get("redefine") is not None else params.get("redefine", False)
        plans.append(_decide(host, pool, seen, redefine))
    problems = [problem for decided in plans for problem in decided["problems"]]
    if problems:
        raise _pools.PoolsError("Nothing was changed; %d pool(s) cannot be made as asked" % len(problems), problems)
    results, diffs, errors = [], [], []
    for pool, seen, decided in zip(pools, read, plans):
        state = "undefined" if seen["found"] is None else ("active" if seen["state"][0] else "inactive")
        warnings = list(decided["warnings"])
        if decided["actions"] and not check_mode:
            state, more, error = _apply(virsh, pool, seen, decided, tmpdir)
            warnings.extend(more)
            if error:
                errors.append(error)
        if {"define", "redefine"} & set(decided["actions"]):
            uuid = seen["found"].findtext("uuid") if seen["found"] is not None else None
            diffs.append({"before_header": "pool %s (libvirt)" % pool["name"], "after_header": "pool %s (wanted)" % pool["name"],
                          "before": ET.tostring(seen["found"], encoding="unicode") if seen["found"] is not None else "",
                          "after": to_text(_pools.wanted_xml(pool, uuid)) + "\n"})
        results.append({"name": pool["name"], "type": pool["type"], "changed": bool(decided["actions"]),
                        "actions": decided["actions"], "differences": decided["differences"],
                        "state": state, "warnings": warnings})
    result = {"changed": any(r["changed"] for r in results), "pools": results, "diff": diffs}
    return result, errors
