# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The uplink bridge: what is refused, what the bridge carries, networkd's files, and the way back.

The revert script runs for real here, in a temporary tree, with networkctl, ip and systemctl
replaced by scripts that log their arguments: what it restores, with which modes, and what it
asks the network stack to do. The whole path (a bridge kept, a bridge the controller cannot
reach and the host undoing it by itself) runs on the trixie VM (extensions/molecule/trixie).
"""

import configparser
import os
import stat
import subprocess

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils import _bridge
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_bridge

UPLINK = {"exists": True, "is_bridge": False, "master": "", "bridge_exists": False, "bridge_is_bridge": False,
          "mac": "52:54:00:12:34:56", "addresses": [("10.0.2.15/24", True)], "gateway": "10.0.2.2", "dns": ["10.0.2.3"]}
ASK = {"name": "br0", "interface": "ens3", "address": "auto", "gateway": None, "dns": None}


def test_a_plain_uplink_may_be_bridged():
    assert _bridge.problems(ASK, UPLINK) == []


@pytest.mark.parametrize("ask, uplink, expected", [
    ({"name": "br/0"}, {}, "name 'br/0' is not an interface name"),
    ({"interface": "a-very-long-interface-name"}, {}, "is not an interface name"),
    ({"name": "ens3"}, {}, "the bridge needs a name of its own"),
    ({}, {"exists": False}, "the host has no interface ens3"),
    ({}, {"is_bridge": True}, "ens3 is a bridge already"),
    ({}, {"master": "bond0"}, "ens3 is a port of bond0 already"),
    ({}, {"bridge_exists": True}, "br0 exists on the host and is not a bridge"),
    ({"address": "10.0.2.15"}, {}, "is not auto, dhcp or an IPv4 host address with its prefix"),
    ({"address": "10.0.2.0/24"}, {}, "is not auto, dhcp or an IPv4 host address"),
    ({"address": "10.0.2.15/24", "gateway": "10.0.3.1"}, {}, "gateway 10.0.3.1 is not in 10.0.2.0/24"),
    ({"address": "10.0.2.15/24", "gateway": "router"}, {}, "gateway 'router' is not an IPv4 address"),
    ({"address": "dhcp", "gateway": "10.0.2.2"}, {}, "gateway and dns go with a static address"),
    ({"address": "10.0.2.15/24", "dns": ["resolver"]}, {}, "dns 'resolver' is not an IP address"),
])
def test_a_bridge_that_cannot_be_made_is_refused_saying_why(ask, uplink, expected):
    found = _bridge.problems(dict(ASK, **ask), dict(UPLINK, **uplink))
    assert any(expected in problem for problem in found), found


def test_the_uplinks_own_bridge_is_no_problem_on_a_second_run():
    assert _bridge.problems(ASK, dict(UPLINK, master="br0", bridge_exists=True, bridge_is_bridge=True)) == []


@pytest.mark.parametrize("ask, uplink, expected", [
    ({}, {}, {"dhcp": True, "addresses": [], "gateway": None, "dns": []}),
    ({}, {"addresses": [("192.0.2.10/24", False), ("192.0.2.11/24", False)], "gateway": "192.0.2.1"},
     {"dhcp": False, "addresses": ["192.0.2.10/24", "192.0.2.11/24"], "gateway": "192.0.2.1", "dns": ["10.0.2.3"]}),
    ({"address": "dhcp"}, {"addresses": [("192.0.2.10/24", False)]}, {"dhcp": True, "addresses": [], "gateway": None, "dns": []}),
    ({"address": "192.0.2.20/24", "gateway": "192.0.2.1", "dns": ["192.0.2.53"]}, {},
     {"dhcp": False, "addresses": ["192.0.2.20/24"], "gateway": "192.0.2.1", "dns": ["192.0.2.53"]}),
])
def test_the_bridge_carries_what_the_uplink_has_or_what_was_given(ask, uplink, expected):
    assert _bridge.address_plan(dict(ASK, **ask), dict(UPLINK, **uplink)) == expected


def parse_unit(text):
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string(text)
    return parser


def test_networkds_files_make_the_bridge_with_the_uplinks_mac_and_its_address():
    plan = {"dhcp": False, "addresses": ["192.0.2.10/24"], "gateway": "192.0.2.1", "dns": ["192.0.2.53"]}
    files = _bridge.networkd_files(ASK, plan, "52:54:00:12:34:56")
    netdev = parse_unit(files["/etc/systemd/network/10-kvm-host-br0.netdev"])
    port = parse_unit(files["/etc/systemd/network/10-kvm-host-br0-port-ens3.network"])
    bridge = parse_unit(files["/etc/systemd/network/10-kvm-host-br0.network"])
    assert dict(netdev["NetDev"]) == {"Name": "br0", "Kind": "bridge", "MACAddress": "52:54:00:12:34:56"}
    assert port["Match"]["Name"] == "ens3" and port["Network"]["Bridge"] == "br0"
    assert bridge["Match"]["Name"] == "br0"
    assert dict(bridge["Network"]) == {"Address": "192.0.2.10/24", "Gateway": "192.0.2.1", "DNS": "192.0.2.53"}
    assert "DHCP=yes" in _bridge.networkd_files(ASK, _bridge.address_plan(ASK, UPLINK), "m")["/etc/systemd/network/10-kvm-host-br0.network"]
    # Sorted before the usual 50-..., 80-..., 99-... files, so networkd picks them for the uplink.
    assert all(os.path.basename(path) < "50" for path in files)


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A tree with a networkd directory, a state directory and logging stand-ins for the tools."""
    tools = tmp_path / "bin"
    tools.mkdir()
    log = tmp_path / "calls"
    for tool in ("networkctl", "ip", "systemctl"):
        script = tools / tool
        script.write_text("#!/bin/sh\necho %s \"$@\" >> %s\n" % (tool, log))
        script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tools, os.environ["PATH"]))
    (tmp_path / "network").mkdir()
    (tmp_path / "state").mkdir()
    return tmp_path


def run_revert(sandbox, saved, bridge_existed, *args):
    script = sandbox / "state" / "revert"
    script.write_text(_bridge.revert_script(ASK, saved, bridge_existed, str(sandbox / "state")))
    subprocess.run(["sh", str(script)] + list(args), check=True)
    calls = sandbox / "calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_the_revert_removes_new_files_and_deletes_a_bridge_that_was_not_there(sandbox):
    new = sandbox / "network" / "10-kvm-host-br0.network"
    new.write_text("[Match]\nName=br0\n")
    (sandbox / "state" / "pending").write_text("1\n")
    calls = run_revert(sandbox, {str(new): None}, False)
    assert not new.exists()
    assert not (sandbox / "state" / "pending").exists() and (sandbox / "state" / "reverted").read_text().strip()
    assert calls == ["networkctl reload", "ip link delete br0", "networkctl reconfigure ens3",
                     "systemctl disable kvm-host-bridge-revert-br0.service"]


def test_the_revert_gives_back_an_earlier_file_as_networkd_can_read_it(sandbox):
    # An earlier bridge's file, world-readable as networkd (its own user) needs it.
    path = sandbox / "network" / "10-kvm-host-br0.network"
    path.write_text("[Match]\nName=br0\n\n[Network]\nDHCP=yes\n")
    path.chmod(0o644)
    saved = kvm_bridge.save_previous([str(path)], str(sandbox / "state"))
    path.write_text("[Match]\nName=br0\n\n[Network]\nAddress=10.0.9.15/24\n")
    calls = run_revert(sandbox, saved, True)
    assert path.read_text().endswith("DHCP=yes\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert calls[:3] == ["networkctl reload", "networkctl reconfigure br0", "networkctl reconfigure ens3"]


def test_at_boot_the_revert_only_restores_files(sandbox):
    new = sandbox / "network" / "10-kvm-host-br0.netdev"
    new.write_text("[NetDev]\n")
    assert run_revert(sandbox, {str(new): None}, False, "boot") == []
    assert not new.exists()


def test_the_boot_unit_runs_before_networkd_only_while_the_change_is_pending():
    unit = parse_unit(_bridge.boot_revert_unit(ASK))
    assert "systemd-networkd.service" in unit["Unit"]["Before"]
    assert unit["Unit"]["ConditionPathExists"] == "/var/lib/hypervisor-kvm/bridge/br0/pending"
    assert unit["Service"]["ExecStart"] == "/bin/sh /var/lib/hypervisor-kvm/bridge/br0/revert boot"
    assert unit["Unit"]["DefaultDependencies"] == "no"
