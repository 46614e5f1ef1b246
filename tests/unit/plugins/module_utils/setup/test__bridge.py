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

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _bridge
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
    (tmp_path / "units").mkdir()
    monkeypatch.setattr(_bridge, "UNIT_DIR", str(tmp_path / "units"))
    (tmp_path / "units" / "kvm-host-bridge-revert-br0.service").write_text(_bridge.boot_revert_unit(ASK))
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
    assert calls == ["systemctl disable kvm-host-bridge-revert-br0.service", "networkctl reload", "ip link delete br0",
                     "networkctl reconfigure ens3", "systemctl daemon-reload"]
    assert not (sandbox / "units" / "kvm-host-bridge-revert-br0.service").exists()


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
    assert calls[:4] == ["systemctl disable kvm-host-bridge-revert-br0.service", "networkctl reload",
                         "networkctl reconfigure br0", "networkctl reconfigure ens3"]


def test_at_boot_the_revert_only_restores_files(sandbox):
    new = sandbox / "network" / "10-kvm-host-br0.netdev"
    new.write_text("[NetDev]\n")
    # ... and removes the boot unit that ran it, which has done its work (no unit of the role's is left).
    assert run_revert(sandbox, {str(new): None}, False, "boot") == ["systemctl disable kvm-host-bridge-revert-br0.service"]
    assert not new.exists()
    assert not (sandbox / "units" / "kvm-host-bridge-revert-br0.service").exists()


def test_the_boot_unit_runs_before_networkd_only_while_the_change_is_pending():
    unit = parse_unit(_bridge.boot_revert_unit(ASK))
    assert "systemd-networkd.service" in unit["Unit"]["Before"]
    assert unit["Unit"]["ConditionPathExists"] == "/var/lib/hypervisor-kvm/bridge/br0/pending"
    assert unit["Service"]["ExecStart"] == "/bin/sh /var/lib/hypervisor-kvm/bridge/br0/revert boot"
    assert unit["Unit"]["DefaultDependencies"] == "no"


# What each stack says about ens3, as the module reads it (captured from Debian 13 hosts).
NM_CONNECTED = "GENERAL.STATE:100 (connected)\n"
NM_EXTERNAL = "GENERAL.STATE:100 (connected (externally))\n"
NM_UNMANAGED = "GENERAL.STATE:10 (unmanaged)\n"
NETWORKD_CONFIGURED = "  2 ens3 ether routable configured\n"
NETWORKD_UNMANAGED = "  2 ens3 ether routable unmanaged\n"
DEBIAN_INTERFACES = """# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback

# The primary network interface
allow-hotplug ens3
iface ens3 inet dhcp
"""
STATIC_INTERFACES = """auto lo
iface lo inet loopback

auto ens3
iface ens3 inet static
    address 192.0.2.10/24
    gateway 192.0.2.1
    # the site's resolvers
    dns-nameservers 192.0.2.53 192.0.2.54
    mtu 9000

auto ens4
iface ens4 inet manual
"""


@pytest.mark.parametrize("seen, stack", [
    ({"networkd_running": True, "networkd_list": NETWORKD_CONFIGURED, "networkd_file": "/etc/systemd/network/50-ens3.network"},
     "networkd"),
    ({"nm_running": True, "nm_device": NM_CONNECTED, "networkd_running": True, "networkd_list": NETWORKD_UNMANAGED}, "networkmanager"),
    # NetworkManager only watches what networkd configured.
    ({"nm_running": True, "nm_device": NM_EXTERNAL, "networkd_running": True, "networkd_list": NETWORKD_CONFIGURED}, "networkd"),
    # NetworkManager leaves to ifupdown what /etc/network/interfaces names.
    ({"nm_running": True, "nm_device": NM_UNMANAGED, "ifupdown": [("/etc/network/interfaces", DEBIAN_INTERFACES)]}, "ifupdown"),
    ({"ifupdown": [("/etc/network/interfaces", ""), ("/etc/network/interfaces.d/ens3", "iface ens3 inet dhcp\n")]}, "ifupdown"),
])
def test_the_stack_that_manages_the_uplink_is_the_one_that_says_so(seen, stack):
    judged = _bridge.which_stack(ASK, dict({"ifupdown": None}, **seen))
    assert judged["stack"] == stack and judged["problems"] == [], judged


@pytest.mark.parametrize("seen, expected", [
    ({"networkd_running": True, "networkd_list": NETWORKD_UNMANAGED},
     "no network stack the role knows (systemd-networkd, NetworkManager, ifupdown) manages ens3"),
    ({"networkd_running": True, "networkd_list": "  3 ens4 ether routable configured\n"}, "no network stack the role knows"),
    ({"nm_running": True, "nm_device": NM_CONNECTED, "networkd_running": True, "networkd_list": NETWORKD_CONFIGURED},
     "networkmanager and networkd all claim ens3 (NetworkManager says ens3 is 100 (connected); systemd-networkd says ens3 is configured"),
    ({"networkd_running": True, "networkd_list": NETWORKD_CONFIGURED, "ifupdown": [("/etc/network/interfaces", DEBIAN_INTERFACES)]},
     "ifupdown has inet dhcp in /etc/network/interfaces"),
    ({"networkd_running": True, "networkd_list": NETWORKD_CONFIGURED, "networkd_file": "/run/systemd/network/10-netplan-ens3.network"},
     "netplan writes ens3's configuration (/run/systemd/network/10-netplan-ens3.network)"),
    ({"nm_running": True, "nm_device": NM_CONNECTED, "nm_file": "/run/NetworkManager/system-connections/netplan-ens3.nmconnection"},
     "describe the bridge br0 in netplan's YAML"),
])
def test_an_uplink_no_stack_or_two_stacks_claim_is_refused_saying_what_was_seen(seen, expected):
    judged = _bridge.which_stack(ASK, dict({"ifupdown": None}, **seen))
    assert any(expected in problem for problem in judged["problems"]), judged


def test_nmcli_terse_output_keeps_escaped_colons_in_file_names():
    text = ("3b0f2c9e-8a57-4c3e-9d2a-0b6c1f2e3d4a:ens3:/etc/NetworkManager/system-connections/Wired\\: office.nmconnection\n"
            "11111111-2222-3333-4444-555555555555::/etc/NetworkManager/system-connections/down.nmconnection\n"
            "not a row\n")
    assert _bridge.nmcli_active(text) == {"ens3": {"uuid": "3b0f2c9e-8a57-4c3e-9d2a-0b6c1f2e3d4a",
                                                   "file": "/etc/NetworkManager/system-connections/Wired: office.nmconnection"}}
    assert _bridge.nmcli_fields(NM_CONNECTED) == {"GENERAL.STATE": "100 (connected)"}
    assert _bridge.networkd_network_file("       Link File: /usr/lib/systemd/network/99-default.link\n"
                                         "    Network File: /etc/systemd/network/50-ens3.network\n") == "/etc/systemd/network/50-ens3.network"


UPLINK_PROFILE_PATH = "/etc/NetworkManager/system-connections/Wired connection 1.nmconnection"
UPLINK_PROFILE = """[connection]
id=Wired connection 1
uuid=3b0f2c9e-8a57-4c3e-9d2a-0b6c1f2e3d4a
type=ethernet
interface-name=ens3
timestamp=1764720000

[ethernet]

[ipv4]
address1=192.0.2.10/24,192.0.2.1
dns=192.0.2.53;
method=manual

[ipv6]
addr-gen-mode=default
method=auto

[proxy]
"""
SOURCE = {"uuid": "3b0f2c9e-8a57-4c3e-9d2a-0b6c1f2e3d4a", "path": UPLINK_PROFILE_PATH, "text": UPLINK_PROFILE}


def test_networkmanager_gets_a_bridge_profile_with_the_uplinks_addresses_and_a_port_profile():
    files = _bridge.nm_keyfiles(ASK, None, "52:54:00:12:34:56", SOURCE)
    bridge_path, port_path = _bridge.nm_paths(ASK)
    assert sorted(files) == sorted([bridge_path, port_path, UPLINK_PROFILE_PATH])
    bridge, port = parse_unit(files[bridge_path]), parse_unit(files[port_path])
    assert dict(bridge["connection"]) == {"id": "br0", "uuid": _bridge.nm_uuid(ASK, "bridge"), "type": "bridge", "interface-name": "br0"}
    assert dict(bridge["bridge"]) == {"mac-address": "52:54:00:12:34:56".upper(), "stp": "false"}
    assert dict(bridge["ipv4"]) == {"address1": "192.0.2.10/24,192.0.2.1", "dns": "192.0.2.53;", "method": "manual"}
    assert dict(bridge["ipv6"]) == {"addr-gen-mode": "default", "method": "auto"}
    assert dict(port["connection"]) == {"id": "br0-port-ens3", "uuid": _bridge.nm_uuid(ASK, "port"), "type": "ethernet",
                                        "interface-name": "ens3", "master": _bridge.nm_uuid(ASK, "bridge"), "slave-type": "bridge"}
    # The previous profile stays, only no longer brought up by itself: the revert puts its file back.
    previous = files[UPLINK_PROFILE_PATH]
    assert parse_unit(previous)["connection"]["autoconnect"] == "false"
    assert [line for line in previous.splitlines() if line != "autoconnect=false"] == UPLINK_PROFILE.splitlines()


def test_networkmanager_bridge_takes_a_given_address_and_keeps_the_uplinks_ipv6():
    plan = {"dhcp": False, "addresses": ["198.51.100.7/24"], "gateway": "198.51.100.1", "dns": ["198.51.100.53", "198.51.100.54"]}
    bridge = parse_unit(_bridge.nm_keyfiles(ASK, plan, "52:54:00:12:34:56", SOURCE)[_bridge.nm_paths(ASK)[0]])
    assert dict(bridge["ipv4"]) == {"method": "manual", "address1": "198.51.100.7/24", "gateway": "198.51.100.1",
                                    "dns": "198.51.100.53;198.51.100.54;"}
    assert bridge["ipv6"]["method"] == "auto"
    dhcp = parse_unit(_bridge.nm_keyfiles(ASK, {"dhcp": True, "addresses": [], "gateway": None, "dns": []}, "m", SOURCE)[_bridge.nm_paths(ASK)[0]])
    assert dict(dhcp["ipv4"]) == {"method": "auto"}


def test_a_second_run_on_networkmanager_renders_the_same_profiles_from_the_bridges_own():
    first = _bridge.nm_keyfiles(ASK, None, "52:54:00:12:34:56", SOURCE)
    bridge_path = _bridge.nm_paths(ASK)[0]
    again = _bridge.nm_keyfiles(ASK, None, "52:54:00:12:34:56",
                                {"uuid": _bridge.nm_uuid(ASK, "bridge"), "path": bridge_path, "text": first[bridge_path]})
    assert again == dict((path, text) for path, text in first.items() if path != UPLINK_PROFILE_PATH)


@pytest.mark.parametrize("source, expected", [
    (dict(SOURCE, path="/run/NetworkManager/system-connections/netplan-ens3.nmconnection"), "describe the bridge br0 in netplan's YAML"),
    (dict(SOURCE, path="/run/NetworkManager/system-connections/ens3.nmconnection"), "lives in memory only"),
    (dict(SOURCE, path="/etc/sysconfig/network-scripts/ifcfg-ens3"), "not a keyfile the role can read"),
    (dict(SOURCE, text=None), "nmcli connection migrate"),
    (dict(SOURCE, path="/etc/NetworkManager/system-connections/../../cron.d/x.nmconnection"), "not a keyfile the role can read"),
    (dict(SOURCE, uuid="$(reboot)"), "no valid profile UUID"),
    (dict(SOURCE, text=UPLINK_PROFILE.replace("type=ethernet", "type=wifi")), "of type wifi; the role bridges Ethernet uplinks only"),
])
def test_a_networkmanager_profile_the_role_cannot_rewrite_surely_is_refused(source, expected):
    with pytest.raises(_bridge.BridgeRefused) as refused:
        _bridge.nm_keyfiles(ASK, None, "52:54:00:12:34:56", source)
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems


@pytest.mark.parametrize("text, expected", [
    ("[connection]\nid=a\nautoconnect=true\n[ipv4]\nmethod=auto\n", "[connection]\nid=a\nautoconnect=false\n[ipv4]\nmethod=auto\n"),
    ("[connection]\nid=a\n\n[ipv4]\nautoconnect=x\n", "[connection]\nautoconnect=false\nid=a\n\n[ipv4]\nautoconnect=x\n"),
    ("[ipv4]\nmethod=auto\n", "[ipv4]\nmethod=auto\n\n[connection]\nautoconnect=false\n"),
])
def test_a_keyfile_value_is_set_in_its_own_section_only(text, expected):
    assert _bridge.keyfile_set(text, "connection", "autoconnect", "false") == expected


def ifupdown(text, ask=None, plan=None, path="/etc/network/interfaces"):
    return _bridge.ifupdown_files([(path, text)], dict(ASK, **(ask or {})), plan, "52:54:00:12:34:56")[path]


def test_ifupdown_moves_the_uplinks_dhcp_to_the_bridge_and_keeps_every_other_line():
    out = ifupdown(DEBIAN_INTERFACES)
    lines = out.splitlines()
    assert "iface ens3 inet manual" in lines and "iface ens3 inet dhcp" not in lines
    block = lines[lines.index("auto br0"):]
    assert block[:6] == ["auto br0", "iface br0 inet dhcp", "    bridge_ports ens3", "    bridge_stp off", "    bridge_fd 0",
                         "    bridge_hw 52:54:00:12:34:56"]
    assert [line for line in DEBIAN_INTERFACES.splitlines() if line != "iface ens3 inet dhcp"] == \
        [line for line in lines if line in DEBIAN_INTERFACES.splitlines()]


def test_ifupdown_moves_a_static_stanzas_address_options_and_leaves_the_links_own():
    lines = ifupdown(STATIC_INTERFACES).splitlines()
    uplink = lines[lines.index("iface ens3 inet manual"):lines.index("iface ens3 inet manual") + 3]
    assert uplink == ["iface ens3 inet manual", "    # the site's resolvers", "    mtu 9000"]
    block = lines[lines.index("iface br0 inet static"):]
    assert block[5:8] == ["    address 192.0.2.10/24", "    gateway 192.0.2.1", "    dns-nameservers 192.0.2.53 192.0.2.54"]
    # The stanza after the uplink's stays after the bridge's block.
    assert lines[-2:] == ["auto ens4", "iface ens4 inet manual"]


def test_ifupdown_takes_a_given_address_and_a_second_run_writes_the_same():
    plan = {"dhcp": False, "addresses": ["198.51.100.7/24"], "gateway": "198.51.100.1", "dns": ["198.51.100.53"]}
    out = ifupdown(DEBIAN_INTERFACES, {"address": "198.51.100.7/24"}, plan)
    assert "iface br0 inet static\n" in out and "    address 198.51.100.7/24\n    gateway 198.51.100.1\n" in out
    assert ifupdown(out, {"address": "198.51.100.7/24"}, plan) == out
    for text in (DEBIAN_INTERFACES, STATIC_INTERFACES):
        once = ifupdown(text)
        assert ifupdown(once) == once
    # A later run with another address rewrites the role's block, not the rest.
    dhcp = ifupdown(out, {"address": "dhcp"}, {"dhcp": True, "addresses": [], "gateway": None, "dns": []})
    assert dhcp == ifupdown(DEBIAN_INTERFACES)


def test_ifupdown_rewrites_the_file_that_holds_the_uplinks_stanza_only():
    files = [("/etc/network/interfaces", DEBIAN_INTERFACES.replace("allow-hotplug ens3\niface ens3 inet dhcp\n", "")),
             ("/etc/network/interfaces.d/ens3", "allow-hotplug ens3\niface ens3 inet dhcp\n")]
    out = _bridge.ifupdown_files(files, ASK, None, "52:54:00:12:34:56")
    assert list(out) == ["/etc/network/interfaces.d/ens3"] and "bridge_ports ens3" in out["/etc/network/interfaces.d/ens3"]


@pytest.mark.parametrize("text, expected", [
    (DEBIAN_INTERFACES + "iface ens3 inet6 auto\n", "has 2 iface stanzas for ens3"),
    (DEBIAN_INTERFACES.replace("iface ens3 inet dhcp", ""), "has 0 iface stanzas for ens3"),
    (DEBIAN_INTERFACES + "mapping ens3\n    script /usr/local/bin/map\n", "a mapping stanza names ens3"),
    (DEBIAN_INTERFACES + "auto br0\niface br0 inet dhcp\n    bridge_ports ens4\n", "has a stanza for br0 already, not the role's"),
    (DEBIAN_INTERFACES.replace("inet dhcp", "inet ppp"), "says `iface ens3 inet ppp`"),
    (DEBIAN_INTERFACES.replace("inet dhcp", "inet manual"), "says `iface ens3 inet manual`"),
    (STATIC_INTERFACES.replace("    mtu 9000", "    up ip route add 198.51.100.0/24 via 192.0.2.254"), "has up, which the role cannot tell"),
    (STATIC_INTERFACES.replace("    gateway 192.0.2.1", "    gateway \\\n 192.0.2.1"), "continues lines"),
    (ifupdown(DEBIAN_INTERFACES).replace("# hypervisor.kvm (kvm_host_bridge): end of bridge br0\n", ""), "but not its end"),
])
def test_an_interfaces_file_the_role_cannot_rewrite_surely_is_refused(text, expected):
    with pytest.raises(_bridge.BridgeRefused) as refused:
        ifupdown(text)
    assert any(expected in problem for problem in refused.value.problems), refused.value.problems


def test_ifupdown_includes_are_listed_for_the_module_to_follow():
    assert _bridge.ifupdown_includes(DEBIAN_INTERFACES + "source-directory /etc/network/more\n#source /nope\n") == [
        ("source", "/etc/network/interfaces.d/*"), ("source-directory", "/etc/network/more")]


@pytest.mark.parametrize("stack, service", [("networkd", "systemd-networkd.service"), ("networkmanager", "NetworkManager.service"),
                                            ("ifupdown", "networking.service")])
def test_the_boot_unit_restores_before_the_stack_starts(stack, service):
    assert service in parse_unit(_bridge.boot_revert_unit(ASK, stack))["Unit"]["Before"].split()


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    """Stand-ins for nmcli, ifup and ifdown that log their arguments and the interfaces file they see."""
    tools = tmp_path / "bin"
    tools.mkdir()
    log = tmp_path / "calls"
    for tool in ("nmcli", "ifup", "ifdown", "ip", "systemctl"):
        script = tools / tool
        script.write_text("#!/bin/sh\necho %s \"$@\" \"$(grep -c bridge_ports %s/interfaces 2>/dev/null)\" >> %s\n"
                          % (tool, tmp_path, log))
        script.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (tools, os.environ["PATH"]))
    (tmp_path / "state").mkdir()
    monkeypatch.setattr(_bridge, "UNIT_DIR", str(tmp_path))
    return tmp_path


def calls_of(tmp_path):
    calls = tmp_path / "calls"
    return calls.read_text().splitlines() if calls.exists() else []


def test_ifupdown_takes_the_uplink_down_on_the_old_file_and_the_bridge_down_on_the_new(stacks):
    interfaces = stacks / "interfaces"
    interfaces.write_text(DEBIAN_INTERFACES)
    saved = kvm_bridge.save_previous([str(interfaces)], str(stacks / "state"))
    staged = stacks / "state" / "new-interfaces"
    staged.write_text(ifupdown(DEBIAN_INTERFACES))
    apply = _bridge.stack_commands("ifupdown", ASK, False, staged={str(interfaces): str(staged)})["apply"]
    subprocess.run(["sh", "-c", apply], check=True)
    # The trailing count says how many bridge_ports lines the interfaces file had at each call.
    assert calls_of(stacks) == ["ifdown br0 0", "ifdown ens3 0", "ifup br0 1"]
    assert interfaces.read_text() == staged.read_text()
    (stacks / "calls").unlink()
    script = stacks / "state" / "revert"
    script.write_text(_bridge.revert_script(ASK, saved, False, str(stacks / "state"), "ifupdown"))
    subprocess.run(["sh", str(script)], check=True)
    assert interfaces.read_text() == DEBIAN_INTERFACES
    assert calls_of(stacks) == ["ifdown br0 1", "ifdown ens3 1", "systemctl disable kvm-host-bridge-revert-br0.service 0",
                                "ip link delete br0 0", "ifup ens3 0", "systemctl daemon-reload 0"]


def test_networkmanagers_revert_restores_the_profiles_and_brings_the_previous_one_up(stacks):
    new = stacks / "kvm-host-br0.nmconnection"
    new.write_text("[connection]\n")
    previous = stacks / "Wired.nmconnection"
    previous.write_text(UPLINK_PROFILE)
    previous.chmod(0o600)
    saved = kvm_bridge.save_previous([str(previous), str(new)], str(stacks / "state"))
    previous.write_text(_bridge.keyfile_set(UPLINK_PROFILE, "connection", "autoconnect", "false"))
    saved[str(new)] = None
    script = stacks / "state" / "revert"
    script.write_text(_bridge.revert_script(ASK, saved, False, str(stacks / "state"), "networkmanager", SOURCE["uuid"]))
    subprocess.run(["sh", str(script)], check=True)
    assert not new.exists() and previous.read_text() == UPLINK_PROFILE and stat.S_IMODE(previous.stat().st_mode) == 0o600
    assert [call.rsplit(" ", 1)[0] for call in calls_of(stacks)] == [
        "systemctl disable kvm-host-bridge-revert-br0.service", "nmcli connection reload",
        "nmcli connection up uuid %s" % SOURCE["uuid"], "ip link delete br0", "systemctl daemon-reload"]
    assert _bridge.stack_commands("networkmanager", ASK, False)["apply"] == \
        "nmcli connection reload && nmcli connection up uuid %s" % _bridge.nm_uuid(ASK, "port")


@pytest.mark.parametrize("stack, seen, failed", [
    ("networkmanager", {"nm_uuids": {"br0": _bridge.nm_uuid(ASK, "bridge"), "ens3": _bridge.nm_uuid(ASK, "port")}}, []),
    ("networkmanager", {"nm_uuids": {"br0": _bridge.nm_uuid(ASK, "bridge"), "ens3": SOURCE["uuid"]}},
     ["NetworkManager runs ens3 on %s, not on the role's port profile" % SOURCE["uuid"]]),
    ("ifupdown", {"ifupdown_state": "lo=lo\nbr0=br0\n"}, []),
    ("ifupdown", {"ifupdown_state": "lo=lo\nens3=ens3\n"}, ["ifupdown has not brought br0 up (its state: lo=lo, ens3=ens3)"]),
    ("networkd", {"networkd_files": {"br0": "/etc/systemd/network/10-kvm-host-br0.network",
                                     "ens3": "/etc/systemd/network/10-kvm-host-br0-port-ens3.network"}}, []),
    ("networkd", {"networkd_files": {"br0": "/etc/systemd/network/10-kvm-host-br0.network", "ens3": "/run/systemd/network/x.network"}},
     ["networkd configures ens3 from /run/systemd/network/x.network, not from the role's file"]),
])
def test_confirmation_asks_the_stack_what_it_configures_the_bridge_from(stack, seen, failed):
    checks, failures = _bridge.stack_checks(stack, ASK, seen)
    assert failures == failed and len(checks) + len(failures) == (1 if stack == "ifupdown" else 2)


def test_the_detached_apply_and_revert_leave_the_dhcp_client_that_ifup_starts_running():
    # Seen on Debian 13: ifup's dhcpcd forks into the transient service's cgroup, and systemd's
    # default KillMode=control-group killed it when the shell exited: no lease renewal after.
    argv = _bridge.detached("kvm-host-bridge-apply-br0-1", 2, ["/bin/sh", "-c", "ifdown ens3; ifup br0"])
    options, command = argv[:argv.index("/bin/sh")], argv[argv.index("/bin/sh"):]
    assert options[0] == "systemd-run" and "--property=KillMode=process" in options
    assert options[options.index("--unit") + 1] == "kvm-host-bridge-apply-br0-1" and "--on-active=2" in options
    assert command == ["/bin/sh", "-c", "ifdown ens3; ifup br0"]


class _Exit(Exception):
    pass


class _Module(object):
    """What kvm_bridge.revert asks of AnsibleModule: run_command and exit_json."""

    def run_command(self, argv, **dummy):
        return 0, "", ""

    def exit_json(self, **result):
        raise _Exit(result)


def test_a_new_change_drops_the_earlier_reverts_time_so_a_confirmed_bridge_is_not_reported_gone_back(tmp_path):
    # Seen on the VM: a bridge that went back by itself, applied again and confirmed; step=revert
    # then reported the earlier revert's time, as if this bridge had gone back too.
    state = tmp_path / "state"
    state.mkdir()
    (state / "reverted").write_text("2026-12-03T06:41:17Z\n")
    (state / "stack").write_text("networkmanager\n")
    kvm_bridge.mark_pending(str(state))
    assert (state / "pending").read_text().strip().isdigit() and not (state / "reverted").exists()
    (state / "pending").unlink()  # what step=confirm does
    with pytest.raises(_Exit) as reported:
        kvm_bridge.revert(_Module(), ASK, str(state))
    assert reported.value.args[0] == {"changed": False, "stack": "networkmanager", "reverted": ""}
