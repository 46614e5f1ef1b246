# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host bridge on the host's own uplink: its configuration, and the way back armed before it.

Pure functions over what the module read: ``problems`` judges the request against the uplink,
``address_plan`` decides what the bridge carries (the uplink's DHCP, its static addresses, or
what was given), ``networkd_files`` renders systemd-networkd's files, ``revert_script`` and
``boot_revert_unit`` the way back: a timer that restores the previous files unless cancelled,
and a unit that restores them before networkd starts if the host reboots before confirmation.
"""

import ipaddress
import re

STATE_DIR = "/var/lib/hypervisor-kvm/bridge"
NETWORKD_DIR = "/etc/systemd/network"
UNIT_DIR = "/etc/systemd/system"
_DEVICE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$")


def unit_name(bridge):
    """The name shared by the revert timer, its service and the boot-time revert unit."""
    return "kvm-host-bridge-revert-%s" % bridge


def name_problems(params):
    """Why ``name`` or ``interface`` cannot be an interface name, one sentence each (empty: both can).

    Every step needs this before it touches anything: the bridge's name makes its state directory.
    """
    return ["%s %r is not an interface name (1 to 15 letters, digits, '_', '.' or '-')." % (key, params[key])
            for key in ("name", "interface") if not _DEVICE.match(params[key] or "")]


def problems(params, uplink):
    """Why the bridge cannot be made as asked, one sentence each (empty: it can).

    ``uplink``: what the module read of the interface (``exists``, ``is_bridge``, ``master``,
    ``kind``) and of the bridge's name (``bridge_exists``, ``bridge_is_bridge``).
    """
    out = name_problems(params)
    if out:
        return out
    name, interface = params["name"], params["interface"]
    if name == interface:
        out.append("name and interface are both %s: the bridge needs a name of its own, such as br0." % name)
    if not uplink["exists"]:
        out.append("the host has no interface %s." % interface)
    elif uplink["is_bridge"]:
        out.append("%s is a bridge already: give kvm_networks mode bridge with bridge %s instead." % (interface, interface))
    elif uplink["master"] and uplink["master"] != name:
        out.append("%s is a port of %s already: it cannot join %s too." % (interface, uplink["master"], name))
    if uplink["bridge_exists"] and not uplink["bridge_is_bridge"]:
        out.append("%s exists on the host and is not a bridge." % name)
    address = params.get("address")
    if address not in ("auto", "dhcp"):
        try:
            own = ipaddress.IPv4Interface(u"%s" % address)
            if "/" not in address or own.ip in (own.network.network_address, own.network.broadcast_address):
                raise ValueError(address)
        except ValueError:
            out.append("address %r is not auto, dhcp or an IPv4 host address with its prefix (such as 192.0.2.10/24)." % address)
        else:
            gateway = params.get("gateway")
            if gateway:
                try:
                    if ipaddress.IPv4Address(u"%s" % gateway) not in own.network:
                        out.append("gateway %s is not in %s." % (gateway, own.network))
                except ValueError:
                    out.append("gateway %r is not an IPv4 address." % gateway)
    elif params.get("gateway") or params.get("dns"):
        out.append("gateway and dns go with a static address; with address %s they come from the uplink or DHCP." % address)
    for server in params.get("dns") or []:
        try:
            ipaddress.ip_address(u"%s" % server)
        except ValueError:
            out.append("dns %r is not an IP address." % server)
    return out


def address_plan(params, uplink):
    """What the bridge carries: a dict with ``dhcp`` (bool), ``addresses``, ``gateway``, ``dns``.

    ``auto`` copies the uplink: DHCP when its IPv4 address is dynamic, else its addresses, its
    default gateway and its DNS servers as read (``uplink['addresses']`` as (address/prefix,
    dynamic), ``uplink['gateway']``, ``uplink['dns']``).
    """
    address = params.get("address")
    if address == "dhcp":
        return {"dhcp": True, "addresses": [], "gateway": None, "dns": []}
    if address != "auto":
        return {"dhcp": False, "addresses": [address], "gateway": params.get("gateway"), "dns": list(params.get("dns") or [])}
    if any(dynamic for dummy, dynamic in uplink["addresses"]):
        return {"dhcp": True, "addresses": [], "gateway": None, "dns": []}
    return {"dhcp": False, "addresses": [a for a, dummy in uplink["addresses"]], "gateway": uplink["gateway"], "dns": list(uplink["dns"])}


def networkd_files(params, plan, mac):
    """systemd-networkd's three files for the bridge, as {path: text}: the bridge device (with
    the uplink's MAC address, so that DHCP and neighbours see the same host), the uplink as its
    port, and the bridge's addresses."""
    name, interface = params["name"], params["interface"]
    header = "# Written by hypervisor.kvm (kvm_host_bridge): %s on %s. Removed by its revert unless confirmed.\n" % (name, interface)
    network = "[Match]\nName=%s\n\n[Network]\n" % name
    if plan["dhcp"]:
        network += "DHCP=yes\n"
    for address in plan["addresses"]:
        network += "Address=%s\n" % address
    if plan["gateway"]:
        network += "Gateway=%s\n" % plan["gateway"]
    for server in plan["dns"]:
        network += "DNS=%s\n" % server
    if not plan["dhcp"] and not plan["addresses"]:
        network += "LinkLocalAddressing=no\n"
    return {
        "%s/10-kvm-host-%s.netdev" % (NETWORKD_DIR, name):
            header + "[NetDev]\nName=%s\nKind=bridge\nMACAddress=%s\n" % (name, mac),
        "%s/10-kvm-host-%s-port-%s.network" % (NETWORKD_DIR, name, interface):
            header + "[Match]\nName=%s\n\n[Network]\nBridge=%s\n" % (interface, name),
        "%s/10-kvm-host-%s.network" % (NETWORKD_DIR, name): header + network,
    }


def revert_script(params, saved, bridge_existed, state):
    """The shell script that puts the previous files back. ``saved``: {path: backup path or
    None when the file did not exist}; ``state``: the bridge's state directory. With the
    argument ``boot`` it only restores the files (networkd has not started yet); otherwise it
    also makes networkd apply them now."""
    name, interface = params["name"], params["interface"]
    lines = ["#!/bin/sh", "# Written by hypervisor.kvm (kvm_host_bridge): restores the network files of before %s." % name,
             "set -u"]
    for path, backup in sorted(saved.items()):
        if backup:
            lines.append("cp -p '%s' '%s'" % (backup, path))
        else:
            lines.append("rm -f '%s'" % path)
    lines.append("rm -f '%s/pending'" % state)
    lines.append("date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ > '%s/reverted'" % state)
    lines.append('[ "${1:-}" = boot ] && exit 0')
    lines.append("networkctl reload")
    if bridge_existed:
        lines.append("networkctl reconfigure '%s'" % name)
    else:
        lines.append("ip link delete '%s' 2>/dev/null || true" % name)
    lines.append("networkctl reconfigure '%s'" % interface)
    lines.append("systemctl disable '%s.service' 2>/dev/null || true" % unit_name(name))
    return "\n".join(lines) + "\n"


def boot_revert_unit(params):
    """A unit that restores the previous files at boot, before networkd, while the change is
    not confirmed (a reboot must not keep a configuration nobody could reach)."""
    name = params["name"]
    return (
        "# Written by hypervisor.kvm (kvm_host_bridge): a reboot before the bridge %s was confirmed\n"
        "# restores the network files of before it. Removed on confirmation.\n"
        "[Unit]\nDescription=Restore the network configuration of before bridge %s (unconfirmed)\n"
        "DefaultDependencies=no\nAfter=local-fs.target\nBefore=systemd-networkd.service network-pre.target\n"
        "Wants=network-pre.target\nConditionPathExists=%s/%s/pending\n\n"
        "[Service]\nType=oneshot\nExecStart=/bin/sh %s/%s/revert boot\n\n"
        "[Install]\nWantedBy=sysinit.target\n" % (name, name, STATE_DIR, name, STATE_DIR, name))
