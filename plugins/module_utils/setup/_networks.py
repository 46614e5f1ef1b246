# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""libvirt networks as a list: what is wrong with it, the XML each wants, and the steps to get there.

Pure functions: ``problems`` judges the list against the host (its interfaces and addresses,
read by the module), ``wanted_xml`` renders one network, ``plan`` compares it with what libvirt
holds and returns the steps, ``apply`` runs them through ``_libvirt.Virsh``.
"""

import ipaddress
import xml.etree.ElementTree as ET

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import NAME_PATTERN, differences

MODES = ("nat", "route", "isolated", "bridge", "macvtap")
MACVTAP_MODES = ("bridge", "vepa", "private", "passthrough")
# What this collection writes in a network's definition: any such element libvirt holds that
# the wanted definition has not is a difference (a DHCP range removed, a forward mode dropped).
OWNED = ("forward", "ip", "dhcp", "range", "interface")
_LIBVIRT_BRIDGES = ("nat", "route", "isolated")


def _interface(address):
    try:
        return ipaddress.IPv4Interface(u"%s" % address)
    except ValueError:
        return None


def _dhcp_range(network):
    """(start, end) of the DHCP range: given, or every address after the host's up to the last."""
    given = network.get("dhcp_range")
    if given:
        return ipaddress.IPv4Address(u"%s" % given[0]), ipaddress.IPv4Address(u"%s" % given[1])
    own = _interface(network["address"])
    return own.ip + 1, own.network.broadcast_address - 1


def _range_problems(label, network, own):
    given = network.get("dhcp_range")
    if given:
        if len(given) != 2:
            return ["%s: dhcp_range must be two addresses, the first and the last of the range." % label]
        ends = [_interface(value) for value in given]
        if None in ends or any(str(value) != str(end.ip) for value, end in zip(given, ends)):
            return ["%s: dhcp_range %s must be two IPv4 addresses without a prefix." % (label, given)]
        start, end = ends[0].ip, ends[1].ip
        if start not in own.network or end not in own.network or start > end:
            return ["%s: dhcp_range %s-%s must lie in %s, first address first." % (label, start, end, own.network)]
        if start <= own.ip <= end:
            return ["%s: dhcp_range %s-%s holds the network's own address %s." % (label, start, end, own.ip)]
        return []
    start, end = own.ip + 1, own.network.broadcast_address - 1
    if start > end:
        return ["%s: no address follows %s in %s for DHCP: give dhcp_range, or dhcp: false." % (label, own.ip, own.network)]
    return []


def problems(networks, host):
    """Everything that keeps the list from being applied on this host, one sentence each.

    ``networks``: the module's ``networks`` option (dicts with name, mode, bridge, interface,
    address, dhcp, dhcp_range, state). ``host``: ``interfaces`` (name -> True when it is a
    bridge), ``addresses`` (list of (interface, address/prefix) the host holds) and ``bridges``
    (the libvirt bridge each network already defined uses, by network name: its addresses are
    the network's own, not a collision).
    """
    out = []
    seen = {}
    ranges = []
    for index, network in enumerate(networks):
        name = network.get("name") or ""
        label = "networks[%d] %s" % (index, name) if name else "networks[%d]" % index
        if not NAME_PATTERN.match(name):
            out.append("%s: the name must be 1 to 64 letters, digits, '_', '.', '+' or '-', starting with a letter or digit." % label)
        if name in seen:
            out.append("%s: the name is given twice (also networks[%d])." % (label, seen[name]))
        seen.setdefault(name, index)
        if network.get("state", "present") == "absent":
            continue
        mode = network.get("mode")
        bridge = network.get("bridge")
        interface = network.get("interface")
        for key, value in (("bridge", bridge), ("interface", interface)):
            if value is not None and not _device_name(value):
                out.append("%s: %s %r is not a network interface name (1 to 15 characters, no '/', ':' or space)." % (label, key, value))
        if mode == "bridge":
            if not bridge:
                out.append("%s: mode bridge needs bridge, the host bridge guests join (such as br0)." % label)
            elif _device_name(bridge) and host["interfaces"].get(bridge) is not True:
                out.append("%s: the host has no bridge %s (%s). Create it first, with the host's network configuration, "
                           "then run again." % (label, bridge, "it is an interface, not a bridge" if bridge in host["interfaces"] else "no such interface"))
        if mode == "macvtap":
            if not interface:
                out.append("%s: mode macvtap needs interface, the host's NIC guests share (such as eno2)." % label)
            elif _device_name(interface) and interface not in host["interfaces"]:
                out.append("%s: the host has no interface %s." % (label, interface))
        if mode == "route" and interface and _device_name(interface) and interface not in host["interfaces"]:
            out.append("%s: the host has no interface %s to route through." % (label, interface))
        if mode in ("bridge", "macvtap"):
            for key in ("address", "dhcp_range"):
                if network.get(key):
                    out.append("%s: %s is for nat, route and isolated networks; a %s network's guests take addresses from the LAN." % (label, key, mode))
            continue
        if mode in _LIBVIRT_BRIDGES and bridge and _device_name(bridge) and bridge in host["interfaces"] and host["bridges"].get(name) != bridge:
            out.append("%s: bridge %s exists on the host already; libvirt creates this network's bridge itself: "
                       "choose a free name or leave bridge out." % (label, bridge))
        address = network.get("address")
        if not address:
            if mode in ("nat", "route"):
                out.append("%s: mode %s needs address, the host's address on it with its prefix (such as 192.168.100.1/24)." % (label, mode))
            continue
        own = _interface(address)
        if own is None or "/" not in address:
            out.append("%s: address %r is not an IPv4 address with its prefix, such as 192.168.100.1/24." % (label, address))
            continue
        if own.network.prefixlen > 30 or own.ip in (own.network.network_address, own.network.broadcast_address):
            out.append("%s: address %s is not a host address of a network with room for guests (a prefix up to /30)." % (label, address))
            continue
        for other_label, other in ranges:
            if own.network.overlaps(other):
                out.append("%s: %s overlaps %s of %s." % (label, own.network, other, other_label))
        ranges.append((label, own.network))
        for device, held in host["addresses"]:
            held_interface = _interface(held)
            if held_interface is None or device == host["bridges"].get(name):
                continue
            if own.network.overlaps(held_interface.network):
                out.append("%s: %s overlaps the host's %s on %s: choose another range." % (label, own.network, held, device))
        if network.get("dhcp", True):
            out.extend(_range_problems(label, network, own))
    return out


def _device_name(value):
    return 0 < len(value) <= 15 and not any(c in value for c in "/: \t\n") and value not in (".", "..")


def wanted_xml(network):
    """The definition of one valid network (``problems`` found nothing), as an element."""
    root = ET.Element("network")
    ET.SubElement(root, "name").text = network["name"]
    mode = network["mode"]
    if mode == "nat":
        ET.SubElement(root, "forward", mode="nat")
    elif mode == "route":
        forward = ET.SubElement(root, "forward", mode="route")
        if network.get("interface"):
            # libvirt writes the dev both ways; given both, what it prints back matches.
            forward.set("dev", network["interface"])
            ET.SubElement(forward, "interface", dev=network["interface"])
    elif mode == "bridge":
        ET.SubElement(root, "forward", mode="bridge")
    elif mode == "macvtap":
        forward = ET.SubElement(root, "forward", mode=network.get("macvtap_mode") or "bridge")
        ET.SubElement(forward, "interface", dev=network["interface"])
    if network.get("bridge") and mode != "macvtap":
        ET.SubElement(root, "bridge", name=network["bridge"])
    if mode in _LIBVIRT_BRIDGES and network.get("address"):
        own = _interface(network["address"])
        ip = ET.SubElement(root, "ip", address=str(own.ip), netmask=str(own.network.netmask))
        if network.get("dhcp", True):
            start, end = _dhcp_range(network)
            ET.SubElement(ET.SubElement(ip, "dhcp"), "range", start=str(start), end=str(end))
    return root


def keep_identity(wanted, found):
    """``wanted`` with the UUID and bridge MAC address of ``found``: a redefinition keeps them."""
    for tag in ("uuid", "mac"):
        element = found.find(tag)
        if element is not None and wanted.find(tag) is None:
            wanted.insert(1, element)
    return wanted


def plan(network, found, active, autostart, guests, restart_in_use, wanted=None):
    """The steps that take one network from what libvirt holds to what is wanted.

    ``found`` is libvirt's persistent definition (None: not defined); ``active`` and
    ``autostart`` its state; ``guests`` the running guests with an interface on it; ``wanted``
    the definition ``wanted_xml`` rendered for it, when the caller has it already. Returns a
    dict: ``steps`` (define, destroy, start, autostart, noautostart, undefine, in order),
    ``differences`` (sentences) and ``pending`` (why a change waits, or '').
    """
    result = {"steps": [], "differences": [], "pending": ""}
    steps = result["steps"]
    if network.get("state", "present") == "absent":
        if found is None:
            return result
        if active and guests and not restart_in_use:
            result["pending"] = ("removing it would cut the running guests %s off it; set restart_in_use to remove it anyway"
                                 % ", ".join(guests))
            return result
        steps.extend((["destroy"] if active else []) + ["undefine"])
        return result
    if found is None:
        steps.extend(["define", "start"])
    else:
        result["differences"] = differences(found, wanted if wanted is not None else wanted_xml(network), OWNED)
        if result["differences"]:
            if active and guests and not restart_in_use:
                result["pending"] = (
                    "applying the new definition restarts the network, and the running guests %s lose their "
                    "connection on it until each is restarted or its interface attached again; set restart_in_use "
                    "to apply it anyway" % ", ".join(guests))
            else:
                steps.append("define")
                if active:
                    steps.append("destroy")
                steps.append("start")
        elif not active:
            steps.append("start")
    want_autostart = network.get("autostart", True)
    if found is None or want_autostart != autostart:
        if want_autostart:
            steps.append("autostart")
        elif found is not None:
            steps.append("noautostart")
    return result
