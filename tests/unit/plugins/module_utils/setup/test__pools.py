# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pure decisions of the pools module: checks of what is asked, device verdicts, XML, plans."""

import json
import pathlib
import shutil
import subprocess

import pytest
import yaml

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _pools
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import parse, to_text

REPO = pathlib.Path(__file__).resolve().parents[5]
SYSTEM_DIRS = yaml.safe_load((REPO / "roles" / "kvm_host" / "vars" / "main.yml").read_text())["__kvm_host_system_dirs"]
KEY = "AQBzZ2VkAAAAABAAx7YwV0dOMjBvX1VmE1Zq6Q=="

DIR = {"name": "images", "type": "dir", "path": "/srv/vm-images"}
LOGICAL = {"name": "guests", "type": "logical", "devices": ["/dev/sdb", "/dev/sdc"]}
NETFS = {"name": "nfs", "type": "netfs", "hosts": ["nfs1.example.org"], "source_path": "/export/vm", "path": "/srv/nfs-vm"}
RBD = {"name": "ceph", "type": "rbd", "hosts": ["mon1", "mon2.example.org"], "port": 6789, "rbd_pool": "vms",
       "auth_username": "libvirt", "key": KEY}


def problems(*pools):
    return _pools.validate([dict(p) for p in pools], SYSTEM_DIRS)[1]


def test_a_good_list_has_no_problem():
    assert problems(DIR, LOGICAL, NETFS, RBD) == []


@pytest.mark.hostile
@pytest.mark.parametrize("pools, says", [
    ([dict(DIR, name="-x")], "not a libvirt object name"),
    ([dict(DIR, name="a/b")], "not a libvirt object name"),
    ([DIR, dict(NETFS, name="images")], "already used by pools[0]"),
    ([dict(DIR, path="/etc/libvirt")], "reserves /etc and everything under it"),
    ([dict(DIR, path="/srv")], "is a system directory"),
    ([dict(DIR, path="/var/lib/libvirt/qemu")], "reserves /var/lib/libvirt"),
    ([dict(DIR, path="/data/../etc")], "'//', '.' or '..'"),
    ([dict(DIR, path="srv/x")], "not an absolute path"),
    ([dict(DIR, path="/srv/vm images")], "POSIX portable"),
    ([dict(NETFS, path="/home")], "is a system directory"),
    ([dict(DIR, devices=["/dev/sdb"])], "devices does not apply to a dir pool"),
    ([LOGICAL, dict(LOGICAL, name="other")], "the device /dev/sdb is also named by"),
    ([dict(LOGICAL, devices=["/etc/passwd"])], "not a plain path under /dev"),
    ([dict(NETFS, hosts=["a", "b"])], "mounts from one server, 2 named"),
    ([dict(NETFS, source_path="export")], "source_path"),
    ([dict(RBD, hosts=["mon1:6789"])], "not host names"),
    ([dict(RBD, key="not a key!")], "not a base64 Ceph key"),
])
def test_every_refusal_names_the_pool_and_what_to_do(pools, says):
    found = problems(*pools)
    assert any(says in problem for problem in found), found
    assert all("What to do:" in problem for problem in found)


def test_every_problem_is_listed_at_once():
    found = problems(dict(DIR, name="-x", path="/etc"), dict(NETFS, name="-x", hosts=[]))
    assert len(found) >= 4


def test_the_key_is_never_quoted_in_a_refusal():
    found = problems(dict(RBD, key="secret-that-is-bad!"))
    assert found and not any("secret-that-is-bad" in problem for problem in found)


# lsblk -J -o NAME,TYPE,FSTYPE,PTTYPE,MOUNTPOINT DEVICE and wipefs --no-act --noheadings DEVICE, as
# util-linux 2.38 prints them (the ext4 and swap lines captured from images made with mkfs.ext4 and mkswap).
EMPTY_DISK = '{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": null, "pttype": null, "mountpoint": null}]}'
GPT_DISK = ('{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": null, "pttype": "gpt", "mountpoint": null,'
            ' "children": [{"name": "sdb1", "type": "part", "fstype": "ext4", "pttype": "gpt", "mountpoint": "/data"}]}]}')
EXT4_DISK = '{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": "ext4", "pttype": null, "mountpoint": null}]}'
MOUNTED = '{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": "xfs", "pttype": null, "mountpoint": "/srv"}]}'
HELD = ('{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": "LVM2_member", "pttype": null, "mountpoint": null,'
        ' "children": [{"name": "vg0-root", "type": "lvm", "fstype": "ext4", "pttype": null, "mountpoint": "/"}]}]}')
RAID = ('{"blockdevices": [{"name": "sdb", "type": "disk", "fstype": "linux_raid_member", "pttype": null,'
        ' "mountpoint": null, "children": [{"name": "md0", "type": "raid1", "fstype": null, "pttype": null, "mountpoint": null}]}]}')
ROM = '{"blockdevices": [{"name": "sr0", "type": "rom", "fstype": null, "pttype": null, "mountpoint": null}]}'
WIPEFS_EXT4 = "sdb  0x438  ext4 7ca68b1a-2805-496a-ad1c-06c20b8d3015 data\n"
WIPEFS_SWAP = "sdb  0xff6  swap 35979cf6-97c2-4691-9665-8c4092c334d8\n"
WIPEFS_GPT = "sdb  0x200        gpt\nsdb  0xe8e0db5e00 gpt\nsdb  0x1fe        PMBR\n"


@pytest.mark.parametrize("lsblk, wipefs, says", [
    (GPT_DISK, WIPEFS_GPT, ["a gpt partition table", "1 child device(s): sdb1 (part, ext4, /data)"]),
    (EXT4_DISK, WIPEFS_EXT4, ["a ext4 signature", "wipefs finds ext4 at offset 0x438"]),
    (EMPTY_DISK, WIPEFS_SWAP, ["wipefs finds swap at offset 0xff6"]),
    (EMPTY_DISK, WIPEFS_GPT, ["wipefs finds gpt at offset 0x200, gpt at offset 0xe8e0db5e00, PMBR"]),
    (MOUNTED, "", ["mounted on /srv"]),
    (HELD, "", ["LVM2_member", "vg0-root (lvm, ext4, /)"]),
    (RAID, "", ["linux_raid_member", "md0 (raid1)"]),
    (ROM, "", ["a rom, not a disk"]),
    ("", "", ["lsblk did not describe it"]),
    ("{\"blockdevices\": []}", "", ["lsblk did not describe it"]),
])
def test_a_device_with_anything_on_it_is_refused(lsblk, wipefs, says):
    problem = _pools.device_problem("/dev/sdb", lsblk, wipefs)
    for words in says:
        assert words in problem
    assert problem.startswith("/dev/sdb") and "wipefs --all /dev/sdb" in problem and "never wipes" in problem


def test_an_empty_disk_is_accepted():
    assert _pools.device_problem("/dev/sdb", EMPTY_DISK, "") == ""


@pytest.mark.skipif(not shutil.which("virt-xml-validate"), reason="virt-xml-validate (libvirt-clients) is not installed")
@pytest.mark.parametrize("pool", [DIR, LOGICAL, dict(LOGICAL, devices=[]), NETFS, dict(NETFS, format="auto"), RBD,
                                  dict(RBD, auth_username=None, port=None)], ids=lambda p: p["type"])
def test_each_type_s_definition_passes_libvirt_s_schema(tmp_path, pool):
    path = tmp_path / "pool.xml"
    path.write_text(to_text(_pools.wanted_xml(_pools.normalize(pool), uuid="0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f")))
    subprocess.run(["virt-xml-validate", str(path), "storagepool"], check=True, capture_output=True)


@pytest.mark.skipif(not shutil.which("virt-xml-validate"), reason="virt-xml-validate (libvirt-clients) is not installed")
def test_the_secret_passes_libvirt_s_schema_and_holds_no_key(tmp_path):
    path = tmp_path / "secret.xml"
    text = to_text(_pools.secret_xml("ceph", KEY, uuid="0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"))
    path.write_text(text)
    subprocess.run(["virt-xml-validate", str(path), "secret"], check=True, capture_output=True)
    assert KEY not in text and "private=\"yes\"" in text and "ephemeral=\"no\"" in text


def test_the_secret_is_found_by_its_usage_in_secret_list():
    listed = (" UUID                                   Usage\n"
              "--------------------------------------------------------------------\n"
              " 0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f   ceph hypervisor.kvm pool ceph\n"
              " 1b81f5b2-8403-7b23-c8d6-21ccc2f80d6f   ceph client.admin secret\n")
    assert _pools.find_secret(listed, _pools.secret_usage("ceph")) == "0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f"
    assert _pools.find_secret(listed, _pools.secret_usage("other")) is None
    secret = parse(to_text(_pools.secret_xml("ceph", KEY)), "secret")
    assert _pools.stored_fingerprint(secret) == _pools.key_fingerprint("ceph", KEY)


def pool_xml(pool, **changes):
    return parse(to_text(_pools.wanted_xml(_pools.normalize(dict(pool, **changes)), uuid="0a81f5b2-8403-7b23-c8d6-21ccc2f80d6f")), "pool")


@pytest.mark.parametrize("pool, state, target, group, actions", [
    (DIR, None, False, False, ["define", "build", "start", "autostart"]),
    (DIR, (True, True), True, False, []),
    (DIR, (False, True), False, False, ["build", "start"]),
    (dict(DIR, autostart=False), (True, True), True, False, ["no-autostart"]),
    (LOGICAL, None, False, True, ["define", "start", "autostart"]),
    (LOGICAL, None, False, False, ["define", "build", "start", "autostart"]),
    (RBD, None, False, False, ["define", "start", "autostart"]),
])
def test_the_plan_does_only_what_is_missing(pool, state, target, group, actions):
    normalized = _pools.normalize(pool)
    found = pool_xml(pool) if state else None
    assert _pools.plan(normalized, found, state, False, target, group)["actions"] == actions


def test_a_differing_definition_is_reported_and_redefined_only_when_allowed_and_inactive():
    found = pool_xml(NETFS, source_path="/export/old")
    pool = _pools.normalize(NETFS)
    kept = _pools.plan(pool, found, (False, True), False, True, False)
    assert kept["actions"] == ["start"] and "/export/old" in kept["warnings"][0] and kept["differences"]
    redone = _pools.plan(pool, found, (False, True), True, True, False)
    assert redone["actions"] == ["redefine", "build", "start"]
    refused = _pools.plan(pool, found, (True, True), True, True, False)
    assert "pool-destroy nfs" in refused["problems"][0] and "/export/old" in refused["problems"][0]


def test_a_missing_volume_group_without_devices_is_refused():
    decided = _pools.plan(_pools.normalize(dict(LOGICAL, devices=[])), None, None, False, False, False)
    assert "does not exist and no devices" in decided["problems"][0]


def test_a_removed_monitor_is_a_difference():
    found = pool_xml(RBD, hosts=["mon1", "mon2.example.org", "mon3"])
    assert _pools.pool_differences(found, _pools.normalize(RBD)) == ["pool/source/host[@name='mon3']: found, not wanted"]


def test_the_volume_group_path_follows_its_name():
    assert _pools.normalize(dict(LOGICAL, volume_group="vg0"))["path"] == "/dev/vg0"
    assert json.dumps(_pools.normalize(LOGICAL)["path"]) == '"/dev/guests"'
