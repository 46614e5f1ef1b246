# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network list's judgement, its XML and its steps, with libvirt itself as the referee.

The XML of every mode is checked by libvirt's schema (virt-xml-validate) and by libvirt's test
driver, which defines and starts it in one virsh process and prints it back the way libvirt
fills it in: what ``differences`` must call equal, and what it must not.
"""

import subprocess
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _libvirt, _networks

HOST = {
    "interfaces": {"lo": False, "eno1": False, "eno2": False, "br0": True, "virbr0": True, "virbr9": True},
    "addresses": [("lo", "127.0.0.1/8"), ("br0", "10.0.0.5/24"), ("virbr0", "192.168.122.1/24")],
    "bridges": {"lab": "virbr9"},
}

EVERY_MODE = [
    {"name": "lab", "mode": "nat", "address": "192.168.100.1/24"},
    {"name": "dmz", "mode": "route", "address": "10.20.0.1/24", "dhcp_range": ["10.20.0.100", "10.20.0.199"], "interface": "eno1"},
    {"name": "backend", "mode": "isolated", "address": "10.30.0.1/24", "dhcp": False},
    {"name": "island", "mode": "isolated"},
    {"name": "lan", "mode": "bridge", "bridge": "br0"},
    {"name": "direct", "mode": "macvtap", "interface": "eno2"},
    {"name": "vepa", "mode": "macvtap", "interface": "eno2", "macvtap_mode": "vepa"},
    {"name": "named", "mode": "nat", "address": "192.168.101.1/24", "bridge": "virbr5"},
]


def test_every_mode_is_judged_fine_on_a_host_that_has_what_it_needs():
    assert _networks.problems(EVERY_MODE, HOST) == []


@pytest.mark.parametrize("networks, expected", [
    ([{"name": "a/b", "mode": "isolated"}], "the name must be"),
    ([{"name": "x", "mode": "isolated"}, {"name": "x", "mode": "isolated"}], "given twice (also networks[0])"),
    ([{"name": "lan", "mode": "bridge", "bridge": "br1"}], "the host has no bridge br1 (no such interface)"),
    ([{"name": "lan", "mode": "bridge", "bridge": "eno1"}], "it is an interface, not a bridge"),
    ([{"name": "lan", "mode": "bridge"}], "mode bridge needs bridge"),
    ([{"name": "lan", "mode": "bridge", "bridge": "br0", "address": "10.0.0.1/24"}], "address is for nat, route and isolated"),
    ([{"name": "d", "mode": "macvtap"}], "mode macvtap needs interface"),
    ([{"name": "d", "mode": "macvtap", "interface": "eth7"}], "the host has no interface eth7"),
    ([{"name": "r", "mode": "route", "address": "10.20.0.1/24", "interface": "eth7"}], "no interface eth7 to route through"),
    ([{"name": "n", "mode": "nat"}], "mode nat needs address"),
    ([{"name": "n", "mode": "nat", "address": "192.168.100.1"}], "not an IPv4 address with its prefix"),
    ([{"name": "n", "mode": "nat", "address": "banana/24"}], "not an IPv4 address with its prefix"),
    ([{"name": "n", "mode": "nat", "address": "192.168.100.0/24"}], "not a host address"),
    ([{"name": "n", "mode": "nat", "address": "192.168.100.1/31"}], "not a host address"),
    ([{"name": "n", "mode": "nat", "address": "10.0.0.77/16"}], "overlaps the host's 10.0.0.5/24 on br0"),
    ([{"name": "n", "mode": "nat", "address": "192.168.122.1/24"}], "overlaps the host's 192.168.122.1/24 on virbr0"),
    ([{"name": "a", "mode": "nat", "address": "10.9.0.1/16"}, {"name": "b", "mode": "isolated", "address": "10.9.8.1/24"}],
     "networks[1] b: 10.9.8.0/24 overlaps 10.9.0.0/16 of networks[0] a"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.254/24"}], "no address follows 10.9.0.254"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.1/24", "dhcp_range": ["10.9.1.2", "10.9.1.9"]}], "must lie in 10.9.0.0/24"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.1/24", "dhcp_range": ["10.9.0.9", "10.9.0.2"]}], "first address first"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.100/24", "dhcp_range": ["10.9.0.2", "10.9.0.200"]}], "holds the network's own address"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.1/24", "dhcp_range": ["10.9.0.2"]}], "must be two addresses"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.1/24", "dhcp_range": ["10.9.0.2/24", "10.9.0.9"]}], "without a prefix"),
    ([{"name": "n", "mode": "nat", "address": "10.9.0.1/24", "bridge": "br0"}], "bridge br0 exists on the host already"),
    ([{"name": "n", "mode": "isolated", "bridge": "a/b"}], "is not a network interface name"),
    ([{"name": "n", "mode": "isolated", "bridge": "virbr-much-too-long"}], "is not a network interface name"),
])
def test_a_list_that_cannot_be_applied_is_refused_saying_why(networks, expected):
    found = _networks.problems(networks, HOST)
    assert any(expected in problem for problem in found), found


def test_every_problem_is_listed_at_once():
    found = _networks.problems([{"name": "a", "mode": "bridge", "bridge": "br7"}, {"name": "b", "mode": "macvtap"},
                                {"name": "c", "mode": "nat"}], HOST)
    assert len(found) == 3, found


def test_a_network_keeps_its_own_bridge_address_and_an_absent_one_needs_nothing():
    # lab's bridge virbr9 holds 192.168.150.1/24: its own address, not a collision.
    host = dict(HOST, addresses=HOST["addresses"] + [("virbr9", "192.168.150.1/24")])
    assert _networks.problems([{"name": "lab", "mode": "nat", "address": "192.168.150.1/24", "bridge": "virbr9"}], host) == []
    assert _networks.problems([{"name": "other", "mode": "nat", "address": "192.168.150.1/24"}], host) != []
    assert _networks.problems([{"name": "gone", "state": "absent"}], HOST) == []


def xml_of(network):
    return _libvirt.to_text(_networks.wanted_xml(network))


@pytest.mark.parametrize("network", EVERY_MODE, ids=[n["name"] for n in EVERY_MODE])
def test_every_mode_passes_libvirts_schema(network, tmp_path):
    path = tmp_path / "network.xml"
    path.write_text(xml_of(network))
    run = subprocess.run(["virt-xml-validate", str(path), "network"], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def libvirt_round_trip(network, tmp_path):
    """The network as libvirt's test driver holds it once defined and started (one virsh process)."""
    path = tmp_path / "network.xml"
    path.write_text(xml_of(network))
    run = subprocess.run(["virsh", "--connect", "test:///default", "net-define %s; net-start %s; net-dumpxml %s"
                          % (path, network["name"], network["name"])], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return _libvirt.parse(run.stdout[run.stdout.index("<network"):], "the test driver's network")


@pytest.mark.parametrize("network", [n for n in EVERY_MODE if n["mode"] != "macvtap"], ids=lambda n: n["name"])
def test_what_libvirt_fills_in_is_not_a_difference(network, tmp_path):
    # The test driver cannot start a macvtap network (no such NIC in it): the schema test covers it.
    found = libvirt_round_trip(network, tmp_path)
    assert _libvirt.differences(found, _networks.wanted_xml(network), _networks.OWNED) == []


@pytest.mark.parametrize("change, expected", [
    ({"address": "192.168.110.1/24"}, "@address: '192.168.110.1' wanted, '192.168.100.1' found"),
    ({"mode": "route"}, "forward[@mode='route']/@mode: 'route' wanted, 'nat' found"),
    ({"dhcp": False}, "network/ip[@address='192.168.100.1']/dhcp: found, not wanted"),
    ({"dhcp_range": ["192.168.100.10", "192.168.100.20"]}, "@start: '192.168.100.10' wanted, '192.168.100.2' found"),
    ({"mode": "isolated"}, "network/forward[@mode='nat']: found, not wanted"),
    ({"bridge": "virbr7"}, "network/bridge[@name='virbr7']/@name: 'virbr7' wanted, not set"),
])
def test_a_changed_network_differs_where_it_changed(change, expected, tmp_path):
    found = libvirt_round_trip({"name": "lab", "mode": "nat", "address": "192.168.100.1/24"}, tmp_path)
    changed = dict({"name": "lab", "mode": "nat", "address": "192.168.100.1/24"}, **change)
    found_differences = _libvirt.differences(found, _networks.wanted_xml(changed), _networks.OWNED)
    assert any(expected in difference for difference in found_differences), found_differences


def test_a_redefinition_keeps_libvirts_uuid_and_mac():
    found = ET.fromstring("<network><name>lab</name><uuid>u-1</uuid><mac address='52:54:00:00:00:01'/></network>")
    wanted = _networks.keep_identity(_networks.wanted_xml({"name": "lab", "mode": "isolated"}), found)
    assert wanted.findtext("uuid") == "u-1" and wanted.find("mac").get("address") == "52:54:00:00:00:01"


LAB = {"name": "lab", "mode": "nat", "address": "192.168.100.1/24", "autostart": True}
SAME = _networks.wanted_xml(LAB)
OTHER = _networks.wanted_xml(dict(LAB, address="192.168.110.1/24"))


@pytest.mark.parametrize("network, found, active, autostart, guests, restart, steps, pending", [
    (LAB, None, False, False, [], False, ["define", "start", "autostart"], False),
    (LAB, SAME, True, True, ["web1"], False, [], False),
    (LAB, SAME, False, True, [], False, ["start"], False),
    (LAB, SAME, True, False, [], False, ["autostart"], False),
    (dict(LAB, autostart=False), SAME, True, True, [], False, ["noautostart"], False),
    (LAB, OTHER, False, True, [], False, ["define", "start"], False),
    (LAB, OTHER, True, True, [], False, ["define", "destroy", "start"], False),
    (LAB, OTHER, True, True, ["web1", "db1"], False, [], True),
    (LAB, OTHER, True, True, ["web1"], True, ["define", "destroy", "start"], False),
    ({"name": "lab", "state": "absent"}, SAME, True, True, [], False, ["destroy", "undefine"], False),
    ({"name": "lab", "state": "absent"}, SAME, False, True, [], False, ["undefine"], False),
    ({"name": "lab", "state": "absent"}, SAME, True, True, ["web1"], False, [], True),
    ({"name": "lab", "state": "absent"}, None, False, False, [], False, [], False),
])
def test_the_steps_from_what_libvirt_holds(network, found, active, autostart, guests, restart, steps, pending):
    decided = _networks.plan(network, found, active, autostart, guests, restart)
    assert decided["steps"] == steps
    assert bool(decided["pending"]) is pending
    if pending:
        assert all(guest in decided["pending"] for guest in guests)


@pytest.mark.hostile
@pytest.mark.parametrize("text", [
    "<!DOCTYPE network [<!ENTITY a 'aaaa'>]><network><name>&a;</name></network>",
    "<network><name>x</name>",
    "<network>" + "x" * _libvirt.XML_LIMIT + "</network>",
])
def test_a_definition_libvirt_never_writes_is_refused(text):
    with pytest.raises(_libvirt.LibvirtError):
        _libvirt.parse(text, "the definition")
