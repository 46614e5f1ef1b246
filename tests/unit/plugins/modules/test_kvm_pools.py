# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_pools against libvirt's test driver (``test:///default``, no daemon).

The test driver keeps its state only for one connection, so a second run within a test goes
through one ``virsh`` shell kept open (``Session``); the module itself also runs as Ansible runs
it, one process, where a run starts from the driver's own state or from a node file.
"""

import json
import os
import pathlib
import re
import select
import shlex
import shutil
import subprocess
import sys

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _pools, _pools_apply
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import Virsh
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_pools

pytestmark = pytest.mark.skipif(not shutil.which("virsh"), reason="virsh (libvirt-clients) is not installed")

MODULE = pathlib.Path(kvm_pools.__file__)
COLLECTIONS = str(MODULE.parents[5])
KEY = "AQBzZ2VkAAAAABAAx7YwV0dOMjBvX1VmE1Zq6Q=="


class Session(Virsh):
    """Virsh whose commands go to one ``virsh -q -c test:///default`` shell, recording each argv."""

    def __init__(self):  # pylint: disable=super-init-not-called
        self.uri = "test:///default"
        self.argv = []
        self.fail = {}
        self.count = 0
        self.proc = subprocess.Popen(["virsh", "-q", "-c", self.uri], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buffers = {self.proc.stdout.fileno(): b"", self.proc.stderr.fileno(): b""}

    def _until(self, stream, marker):
        fd = stream.fileno()
        while marker not in self.buffers[fd]:
            ready = select.select([fd], [], [], 30)[0]
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                raise AssertionError("virsh stopped answering: %r" % self.buffers)
            self.buffers[fd] += chunk
        head, dummy, self.buffers[fd] = self.buffers[fd].partition(marker)
        return head.decode()

    def run(self, *args, **kwargs):
        self.argv.append(list(args))
        if args[0] in self.fail:
            return 1, "", self.fail[args[0]]
        self.count += 1
        # The shell echoes each command: the marker is written split in two quotes so that only
        # echo's output holds it whole.
        quoted = '"__EN""D_%d__"' % self.count
        marker = "__END_%d__" % self.count
        line = " ".join(shlex.quote(a) for a in args)
        self.proc.stdin.write(("%s\necho %s\necho --err %s\n" % (line, quoted, quoted)).encode())
        self.proc.stdin.flush()
        out = re.sub(r"virsh # [^\n]*\n", "", self._until(self.proc.stdout, marker.encode()))
        err = self._until(self.proc.stderr, ("error: " + marker).encode()).strip()
        return (1 if err else 0), out, err

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


class Secrets(Session):
    """The test driver has no secrets: these answer the secret commands as libvirt does, keeping what was set."""

    def __init__(self):
        Session.__init__(self)
        self.secrets = {}

    def run(self, *args, **kwargs):
        if args[0] == "secret-list":
            self.argv.append(list(args))
            return 0, "".join(" %s   ceph %s\n" % (uuid, s["usage"]) for uuid, s in self.secrets.items()), ""
        if args[0] == "secret-define":
            self.argv.append(list(args))
            text = pathlib.Path(args[1]).read_text()
            uuid = (re.findall(r"<uuid>([^<]+)</uuid>", text) or ["0a81f5b2-8403-7b23-c8d6-21ccc2f80d6%d" % len(self.secrets)])[0]
            usage = re.search(r"<name>([^<]+)</name>", text).group(1)
            self.secrets.setdefault(uuid, {"usage": usage}).update(xml=text.replace("<usage", "<uuid>%s</uuid><usage" % uuid, 1))
            return 0, "Secret %s created\n" % uuid, ""
        if args[0] == "secret-dumpxml":
            self.argv.append(list(args))
            return 0, self.secrets[args[1]]["xml"], ""
        if args[0] == "secret-set-value":
            self.argv.append(list(args))
            path = args[args.index("--file") + 1]
            assert oct(os.stat(path).st_mode & 0o777) == "0o600"
            self.secrets[args[args.index("--secret") + 1]]["value"] = pathlib.Path(path).read_text()
            return 0, "Secret value set\n", ""
        return Session.run(self, *args, **kwargs)


class FakeHost(object):
    """The host as the tests want it: directories, volume groups, recorded lsblk/wipefs per device."""

    def __init__(self, groups=(), devices=None, links=None):
        self.groups = set(groups)
        self.devices = devices or {}
        self.links = links or {}

    def canonical(self, device):
        return self.links.get(device, device)

    def is_dir(self, path):
        return os.path.isdir(path)

    def volume_groups(self):
        return self.groups

    def device(self, device):
        return self.devices.get(device)


@pytest.fixture
def virsh():
    session = Secrets()
    yield session
    session.close()


def ensure(virsh, tmp_path, pools, check_mode=False, host=None, **params):
    params = dict({"redefine": False, "system_dirs": []}, **params)
    return _pools_apply.ensure(virsh, host or FakeHost(), dict(params, pools=pools), check_mode, str(tmp_path))


def pools_of(tmp_path):
    return [
        {"name": "images", "type": "dir", "path": str(tmp_path / "images")},
        {"name": "guests", "type": "logical", "devices": ["/dev/sdb"]},
        {"name": "nfs", "type": "netfs", "hosts": ["nfs1.example.org"], "source_path": "/export/vm", "path": str(tmp_path / "nfs")},
        {"name": "ceph", "type": "rbd", "hosts": ["mon1", "mon2"], "port": 6789, "rbd_pool": "vms",
         "auth_username": "libvirt", "key": KEY},
    ]


EMPTY = ('{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": null, "pttype": null, "mountpoint": null}]}', "")
EXT4 = ('{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": "ext4", "pttype": null, "mountpoint": null}]}',
        "sdb  0x438  ext4 7ca68b1a-2805-496a-ad1c-06c20b8d3015 data\n")


def states(virsh):
    rc, out, dummy = virsh.run("pool-list", "--all")
    rows = [line.split() for line in out.splitlines()]
    return {row[0]: row[1:] for row in rows if len(row) == 3 and row[0] != "Name"}


def test_every_type_is_defined_started_autostarted_then_left_alone(virsh, tmp_path):
    host = FakeHost(devices={"/dev/sdb": EMPTY})
    result, errors = ensure(virsh, tmp_path, pools_of(tmp_path), host=host)
    assert errors == []
    actions = {pool["name"]: pool["actions"] for pool in result["pools"]}
    assert actions == {"images": ["define", "build", "start", "autostart"],
                       "guests": ["define", "build", "start", "autostart"],
                       "nfs": ["define", "build", "start", "autostart"],
                       "ceph": ["secret-define", "secret-set-value", "define", "start", "autostart"]}
    assert all(pool["state"] == "active" for pool in result["pools"])
    assert {name: s for name, s in states(virsh).items() if name != "default-pool"} == {
        "images": ["active", "yes"], "guests": ["active", "yes"], "nfs": ["active", "yes"], "ceph": ["active", "yes"]}
    # What libvirt holds is what was asked: nothing differs on the second run.
    host.groups.add("guests")
    again, errors = ensure(virsh, tmp_path, pools_of(tmp_path), host=host)
    assert errors == [] and again["changed"] is False
    assert [pool["actions"] for pool in again["pools"]] == [[], [], [], []]
    assert [pool["differences"] for pool in again["pools"]] == [[], [], [], []]


def test_check_mode_says_what_it_would_do_and_changes_nothing(virsh, tmp_path):
    before = states(virsh)
    result, errors = ensure(virsh, tmp_path, pools_of(tmp_path), check_mode=True, host=FakeHost(devices={"/dev/sdb": EMPTY}))
    assert errors == [] and result["changed"] is True
    assert result["pools"][0]["actions"] == ["define", "build", "start", "autostart"]
    assert all(pool["state"] == "undefined" for pool in result["pools"])
    assert states(virsh) == before
    assert not [argv for argv in virsh.argv if argv[0] not in ("pool-list", "secret-list")]
    assert [d["after_header"] for d in result["diff"]] == ["pool images (wanted)", "pool guests (wanted)", "pool nfs (wanted)", "pool ceph (wanted)"]


def test_a_differing_definition_is_reported_not_redefined(virsh, tmp_path):
    pool = pools_of(tmp_path)[2]
    ensure(virsh, tmp_path, [pool])
    moved = dict(pool, source_path="/export/other")
    result, errors = ensure(virsh, tmp_path, [moved])
    assert errors == [] and result["changed"] is False
    assert result["pools"][0]["differences"] == ["pool/source/dir/@path: '/export/other' wanted, '/export/vm' found"]
    assert "redefine" in result["pools"][0]["warnings"][0]
    assert "/export/vm" in virsh.must("pool-dumpxml", "nfs")
    # Allowed, but the pool is active: refused before anything changes, saying what would change.
    with pytest.raises(_pools.PoolsError) as refused:
        ensure(virsh, tmp_path, [dict(moved, redefine=True)])
    assert "pool-destroy nfs" in str(refused.value) and "/export/other" in str(refused.value)
    # Inactive, with redefine: redefined, keeping libvirt's UUID.
    uuid = re.search(r"<uuid>([^<]+)</uuid>", virsh.must("pool-dumpxml", "nfs")).group(1)
    virsh.must("pool-destroy", "nfs")
    result, errors = ensure(virsh, tmp_path, [moved], redefine=True)
    assert result["pools"][0]["actions"] == ["redefine", "build", "start"]
    assert "/export/other" in virsh.must("pool-dumpxml", "nfs") and uuid in virsh.must("pool-dumpxml", "nfs")


def test_a_remote_pool_that_does_not_start_is_a_warning_and_a_local_one_an_error(virsh, tmp_path):
    virsh.fail["pool-start"] = "error: failed to start pool 'x'\nerror: mount.nfs: Connection timed out"
    result, errors = ensure(virsh, tmp_path, pools_of(tmp_path)[:1] + pools_of(tmp_path)[2:3])
    nfs = result["pools"][1]
    assert nfs["state"] == "inactive" and "Connection timed out" in nfs["warnings"][0] and "autostarts" in nfs["warnings"][0]
    assert states(virsh)["nfs"] == ["inactive", "yes"]
    assert errors == ["pool images: `virsh pool-start` failed: error: failed to start pool 'x'\nerror: mount.nfs: Connection timed out"]


@pytest.mark.hostile
def test_a_device_with_a_filesystem_stops_everything_before_any_change(virsh, tmp_path):
    before = states(virsh)
    with pytest.raises(_pools.PoolsError) as refused:
        ensure(virsh, tmp_path, pools_of(tmp_path), host=FakeHost(devices={"/dev/sdb": EXT4}))
    assert "/dev/sdb is not empty" in str(refused.value) and "ext4" in str(refused.value)
    assert states(virsh) == before


@pytest.mark.hostile
def test_the_key_is_never_in_argv_or_the_result(virsh, tmp_path):
    result, errors = ensure(virsh, tmp_path, pools_of(tmp_path)[3:])
    assert errors == []
    assert KEY not in json.dumps(virsh.argv) and KEY not in json.dumps(result)
    secret = list(virsh.secrets.values())[0]
    assert secret["value"] == KEY and secret["usage"] == "hypervisor.kvm pool ceph"
    assert 'private="yes"' in secret["xml"] and KEY not in secret["xml"]
    assert not os.listdir(str(tmp_path))
    # The same key: nothing set again; another key: set again.
    again, dummy = ensure(virsh, tmp_path, pools_of(tmp_path)[3:])
    assert again["changed"] is False
    rotated, dummy = ensure(virsh, tmp_path, [dict(pools_of(tmp_path)[3], key="AQBzZ2VkAAAAABAAx7YwV0dOMjBvX1VmE1Zq7Q==")])
    assert rotated["pools"][0]["actions"] == ["secret-define", "secret-set-value"]


def run_module(tmp_path, check_mode=False, **args):
    """The module as Ansible runs it: a process, its arguments in a file; returns its JSON and what it printed."""
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check_mode, _ansible_diff=True,
                                                            _ansible_tmpdir=str(tmp_path))}))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([COLLECTIONS] + sys.path))
    proc = subprocess.run([sys.executable, str(MODULE), str(path)], capture_output=True, text=True, env=env, timeout=120, check=False)
    return json.loads(proc.stdout), proc.stdout


def test_the_module_in_check_mode_reads_the_test_driver_and_says_what_it_would_do(tmp_path):
    # A run that changes needs one connection throughout (see Session): the module's own process
    # opens one per virsh command, which the test driver starts afresh.
    pools = [dict(pool, key=None, auth_username=None) if pool["type"] == "rbd" else pool
             for pool in pools_of(tmp_path) if pool["type"] != "logical"]
    result, dummy = run_module(tmp_path, check_mode=True, uri="test:///default", pools=pools)
    assert result.get("failed") is not True, result
    assert [pool["actions"] for pool in result["pools"]] == [
        ["define", "build", "start", "autostart"], ["define", "build", "start", "autostart"], ["define", "start", "autostart"]]
    assert [pool["state"] for pool in result["pools"]] == ["undefined"] * 3
    assert len(result["diff"]) == 3 and "<host name=\"nfs1.example.org\" />" in result["diff"][1]["after"]


@pytest.mark.hostile
def test_the_module_lists_every_problem_and_masks_the_key(tmp_path):
    pools = [{"name": "-bad", "type": "dir", "path": "/etc"}, {"name": "-bad", "type": "dir", "path": "/srv/x"},
             dict(pools_of(tmp_path)[3], hosts=["mon1:6789"])]
    result, printed = run_module(tmp_path, uri="test:///default", pools=pools,
                                 system_dirs=[{"path": "/etc", "below": "all", "for": "configuration", "source": "FHS 3.0, 3.7"}])
    assert result["failed"] is True and len(result["problems"]) == 5, result
    assert "Nothing was changed" in result["msg"] and KEY not in printed


def test_an_existing_pool_from_a_node_file_is_used_as_it_is(tmp_path):
    node = tmp_path / "node.xml"
    node.write_text("<node><pool type='dir'><name>images</name><target><path>/srv/old</path></target></pool></node>")
    result, dummy = run_module(tmp_path, uri="test://" + str(node), pools=[{"name": "images", "type": "dir", "path": "/srv/new", "autostart": False}])
    assert result["changed"] is False and result["pools"][0]["differences"] == [
        "pool/target/path: '/srv/new' wanted, '/srv/old' found"]
    assert "redefine" in result["pools"][0]["warnings"][0] and result["warnings"]


def test_a_logical_pool_names_its_devices_as_lvm_does(virsh, tmp_path):
    # Seen on a Debian 13 VM: defined with /dev/disk/by-id/..., libvirt built the volume group and
    # then refused to start it, matching the pool's devices with pvs' /dev/vdb literally.
    host = FakeHost(devices={"/dev/vdb": EMPTY}, links={"/dev/disk/by-id/virtio-spare": "/dev/vdb"})
    result, errors = ensure(virsh, tmp_path, [{"name": "guests", "type": "logical", "devices": ["/dev/disk/by-id/virtio-spare"]}],
                            check_mode=True, host=host)
    assert errors == []
    assert "<device path=\"/dev/vdb\"" in result["diff"][0]["after"] or "<device path='/dev/vdb'" in result["diff"][0]["after"]
    assert "by-id" not in result["diff"][0]["after"]


def test_the_host_resolves_a_link_to_its_device(tmp_path):
    (tmp_path / "vdb").write_text("")
    (tmp_path / "by-id").symlink_to(tmp_path / "vdb")
    host = _pools_apply.Host(None)
    assert host.canonical(str(tmp_path / "by-id")) == str(tmp_path / "vdb")
    assert host.canonical(str(tmp_path / "absent")) == str(tmp_path / "absent")
