# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who may open /dev/kvm: capture-host's records read as untrusted data, and the kernel's check."""

import pytest
import yaml

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._permissions import (
    FULL_MAP, Identity, judge, parse_devices, parse_id_map, parse_identity)
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_facts

from ..hosts import BASE_FLAGS, cpuinfo_x86, module, write_host

HEAD = "# capture-host devices v1: path type uid owner gid group mode major:minor acl(+ or -)\n"
ROOTLESS = ((0, 1000, 1), (1, 100000, 65536))


def node(line, *acl):
    nodes, bad = parse_devices(HEAD + line + "\n" + "".join("acl\t/dev/kvm\t%s\n" % e for e in acl))
    assert bad == 0
    return nodes["/dev/kvm"]


def user(uid, gid, *groups, **kw):
    return Identity(uid, kw.get("name", "u%d" % uid), gid, tuple((g, None) for g in (gid,) + groups),
                    "process", None, None)


@pytest.mark.parametrize("name, line, acl, who, maps, allowed, unmapped, says", [
    ("runner outside kvm", "/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232\t-", (), user(1001, 121, 4, 101),
     (FULL_MAP, FULL_MAP), False, False, "not in its group kvm"),
    ("runner in kvm", "/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232\t-", (), user(1001, 121, 109),
     (FULL_MAP, FULL_MAP), True, False, "is in its group kvm"),
    ("udev 0666", "/dev/kvm\tc\t0\troot\t109\tkvm\t0666\t10:232\t-", (), user(1001, 121),
     (FULL_MAP, FULL_MAP), True, False, "others may read and write it"),
    ("group read only", "/dev/kvm\tc\t0\troot\t109\tkvm\t0640\t10:232\t-", (), user(1001, 109),
     (FULL_MAP, FULL_MAP), False, False, "may not read and write it"),
    ("the owner", "/dev/kvm\tc\t1001\trunner\t0\troot\t0600\t10:232\t-", (), user(1001, 121),
     (FULL_MAP, FULL_MAP), True, False, "is its owner"),
    # The owner's bits alone decide for the owner, even where the others' would let it in.
    ("owner without rw", "/dev/kvm\tc\t1001\trunner\t0\troot\t0066\t10:232\t-", (), user(1001, 121),
     (FULL_MAP, FULL_MAP), False, False, "only ---"),
    ("host root", "/dev/kvm\tc\t0\troot\t0\troot\t0000\t10:232\t-", (), user(0, 0),
     (FULL_MAP, FULL_MAP), True, False, "root passes"),
    ("root, maps not captured", "/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232\t-", (), user(0, 0),
     (None, None), True, False, "no user namespace map"),
    ("rootless root, kvm unmapped", "/dev/kvm\tc\t65534\tnobody\t65534\tnogroup\t0660\t10:232\t-", (), user(0, 0),
     (ROOTLESS, ROOTLESS), False, True, "not mapped into this user namespace"),
    ("rootless root, keep-groups", "/dev/kvm\tc\t65534\tnobody\t65534\tnogroup\t0660\t10:232\t-", (),
     user(0, 0, 65534), (ROOTLESS, ROOTLESS), None, True, "only the host can say"),
    ("a link recorded, not the device", "/dev/kvm\tl\t0\troot\t0\troot\t0777\t0:0\t-", (), user(1000, 1000),
     (None, None), None, False, "symbolic link"),
    ("rootless, host made it 0666", "/dev/kvm\tc\t65534\tnobody\t65534\tnogroup\t0666\t10:232\t-", (), user(0, 0),
     (ROOTLESS, ROOTLESS), True, True, "others may read and write it"),
    # Root of a namespace that maps the node's ids passes (a container with the host's ids mapped).
    ("namespace root owning the ids", "/dev/kvm\tc\t0\troot\t109\tkvm\t0600\t10:232\t-", (), user(0, 0),
     (((0, 0, 65536),), ((0, 0, 65536),)), True, False, "owns the node's ids"),
    ("uaccess ACL", "/dev/kvm\tc\t0\troot\t104\tkvm\t0660\t10:232\t+",
     ("user::rw-", "user:1004:rw-", "group::rw-", "mask::rw-", "other::---"), user(1004, 1004, 100),
     (FULL_MAP, FULL_MAP), True, False, "access list gives"),
    ("ACL masked", "/dev/kvm\tc\t0\troot\t104\tkvm\t0620\t10:232\t+",
     ("user::rw-", "user:1004:rw-", "group::rw-", "mask::-w-", "other::---"), user(1004, 1004),
     (FULL_MAP, FULL_MAP), False, False, "-w-"),
    ("ACL group entry", "/dev/kvm\tc\t0\troot\t104\tkvm\t0660\t10:232\t+",
     ("user::rw-", "group::---", "group:2000:rw-", "mask::rw-", "other::---"), user(1004, 1004, 2000),
     (FULL_MAP, FULL_MAP), True, False, "access list's group 2000"),
    ("ACL entries not captured", "/dev/kvm\tc\t0\troot\t104\tkvm\t0660\t10:232\t+", (), user(1004, 1004),
     (FULL_MAP, FULL_MAP), None, False, "entries were not captured"),
])
def test_judge(name, line, acl, who, maps, allowed, unmapped, says):
    access = judge(node(line, *acl), who, *maps)
    assert (access.allowed, access.group_unmapped) == (allowed, unmapped), (name, access)
    assert says in access.why, (name, access.why)


@pytest.mark.parametrize("text, bad", [
    ("/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232", 1),                       # a field short
    ("/dev/kvm\tc\tzero\troot\t109\tkvm\t0660\t10:232\t-", 1),                 # uid not a number
    ("/dev/kvm\tc\t0\troot\t109\tkvm\t0999\t10:232\t-", 1),                    # mode not octal
    ("/dev/kvm\tc\t0\troot\t99999999999\tkvm\t0660\t10:232\t-", 1),            # gid too large
    ("/etc/shadow\tc\t0\troot\t109\tkvm\t0660\t10:232\t-", 1),                 # not under /dev
    ("/dev/../etc\tc\t0\troot\t109\tkvm\t0660\t10:232\t-\nacl\t/dev/kvm\tuser:0:rwx", 2),
    ("/dev/kvm\tc\t0\t<script>\t109\t=cmd|' /C calc'!A0\t0660\t10:232\t-", 0),  # names dropped, ids kept
])
def test_a_devices_record_is_checked_field_by_field(text, bad):
    nodes, count = parse_devices(HEAD + text + "\n")
    assert count == bad
    for found in nodes.values():
        assert found.owner is None and found.group is None


def test_a_session_older_than_its_kvm_membership_is_told_to_log_in_again(tmp_path):
    """The group database has the user in kvm, the session that captured does not hold it."""
    facts = _host(tmp_path, devices=HEAD + "/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232\t-\n",
                  identity="for=process\nuid=1000\nuser=alice\ngid=1000\ngroups=1000:alice 27:sudo\n"
                           "login_groups=1000 27 109\n", uid_map="0 0 4294967295\n")
    assert facts["reason"] == "device_inaccessible"
    assert "Log out and in again" in facts["remediation"] and "usermod" not in facts["remediation"]
    said = [e["observation"] for e in facts["evidence"] if e["source"] == "/dev/kvm permissions"]
    assert "a session started before it was added" in said[0]


def test_identity_and_maps_are_checked():
    identity, why = parse_identity("for=sudo\nuid=1001\nuser=runner\ngid=121\n"
                                   "groups=121:docker 4:adm x:y 101:<b> \ncaptured_by=0:root\n"
                                   "etc_group_kvm=kvm:x:109:alice,bob\n")
    assert why is None
    assert identity.groups == ((121, "docker"), (4, "adm"), (101, None))
    assert (identity.source, identity.captured_by, identity.kvm_group_line) == ("sudo", (0, "root"), "kvm:x:109:alice,bob")
    assert parse_identity("uid=-1\ngid=0\n") == (None, "no valid uid and gid")
    assert parse_identity(None) == (None, None)
    assert parse_identity("uid=5\ngid=7\nfor=somebody\n")[0].groups == ((7, None),)
    assert parse_identity("uid=5\ngid=7\nlogin_groups=7 x 99999999999 9\n")[0].login_groups == (7, 9)
    # The password field is a hash or a marker: a control or bidirectional character there is not.
    for field in ("\x1b[31m", "\u202e", "a b"):
        assert parse_identity("uid=5\ngid=7\netc_group_kvm=kvm:%s:109:alice\n" % field)[0].kvm_group_line is None
    assert parse_id_map("0 1000 1\n1 100000 65536\nnonsense\n") == ROOTLESS
    assert parse_id_map(None) is None


def _host(tmp_path, devices=None, identity=None, uid_map=None):
    files = {"/proc/sys/kernel/arch": "x86_64\n",
             "/proc/cpuinfo": cpuinfo_x86("AuthenticAMD", "AMD EPYC 7763", BASE_FLAGS + " svm"),
             "/dev/kvm": None}
    files.update(module("kvm"))
    files.update(module("kvm_amd", nested="1"))
    if devices is not None:
        files["/.capture/devices"] = devices
    if identity is not None:
        files["/.capture/identity"] = identity
    if uid_map is not None:
        files["/proc/self/uid_map"] = files["/proc/self/gid_map"] = uid_map
    return gather(write_host(tmp_path, files))


def test_a_snapshot_without_records_reads_as_before(tmp_path):
    facts = _host(tmp_path)
    assert (facts["usable"], facts["reason"]) == (True, "ok")
    assert facts["device"]["accessible"] is None and facts["device"]["mode"] is None
    assert facts["user"] == {"name": None, "uid": None, "gid": None, "groups": [], "source": None,
                             "user_namespace": None}
    verdict = [e for e in facts["evidence"] if e["source"] == "verdict"][0]["observation"]
    assert verdict.endswith("settled by a snapshot: /dev/kvm existed when captured")


def test_records_that_cannot_be_trusted_leave_the_verdict_as_before(tmp_path):
    facts = _host(tmp_path, devices="\x00" * 100 + "\n/dev/kvm\tc\t0\n" * 500,
                  identity="uid=root\ngid=\n")
    assert facts["reason"] == "ok" and facts["device"]["accessible"] is None
    said = dict((e["source"], e["observation"]) for e in facts["evidence"])
    assert "not records: ignored" in said["/.capture/devices"]
    assert said["/.capture/identity"] == "no valid uid and gid: ignored"


def test_a_user_outside_the_group_is_refused_in_a_snapshot(tmp_path):
    facts = _host(tmp_path, devices=HEAD + "/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232\t-\n",
                  identity="for=option\nuid=1001\nuser=runner\ngid=121\ngroups=121:docker\n",
                  uid_map="0 0 4294967295\n")
    assert (facts["usable"], facts["reason"]) == (False, "device_inaccessible")
    assert "usermod -aG kvm runner" in facts["remediation"] and "99-kvm4all.rules" in facts["remediation"]
    assert facts["device"]["accessible"] is False
    assert facts["user"]["source"] == "option" and facts["user"]["user_namespace"] is False


def test_every_key_the_facts_return_is_documented(tmp_path):
    documented = yaml.safe_load(kvm_facts.RETURN)["ansible_facts"]["contains"]["kvm"]["contains"]
    facts = _host(tmp_path, devices=HEAD + "/dev/kvm\tc\t0\troot\t109\tkvm\t0660\t10:232\t-\n",
                  identity="uid=1\ngid=1\n")
    assert set(facts) == set(documented)
    for key in ("device", "user"):
        assert set(facts[key]) == set(documented[key]["contains"]), key
