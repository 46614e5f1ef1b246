# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A host bridge on the host's own uplink: its configuration, and the way back armed before it.

Pure functions over what the module read: ``problems`` judges the request against the uplink,
``which_stack`` decides which network stack manages the uplink (systemd-networkd,
NetworkManager or ifupdown) from what each one says, ``address_plan`` decides what the bridge
carries (the uplink's DHCP, its static addresses, or what was given), ``networkd_files``,
``nm_keyfiles`` and ``ifupdown_files`` render each stack's configuration, ``revert_script`` and
``boot_revert_unit`` the way back: a timer that restores the previous files unless cancelled,
and a unit that restores them before the stack starts if the host reboots before confirmation.
"""

import ipaddress
import posixpath
import re
import uuid

from ansible.module_utils.six.moves import shlex_quote

STATE_DIR = "/var/lib/hypervisor-kvm/bridge"
NETWORKD_DIR = "/etc/systemd/network"
UNIT_DIR = "/etc/systemd/system"
NM_DIR = "/etc/NetworkManager/system-connections"
IFUPDOWN_FILE = "/etc/network/interfaces"
_DEVICE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$")
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
# The service each stack runs as: the boot unit restores the files before it starts.
STACK_SERVICE = {"networkd": "systemd-networkd.service", "networkmanager": "NetworkManager.service",
                 "ifupdown": "networking.service"}


class BridgeRefused(Exception):
    """The host's configuration is one the role does not rewrite; ``problems`` says why and what to do."""

    def __init__(self, problems):
        super(BridgeRefused, self).__init__(" ".join(problems))
        self.problems = problems


def unit_name(bridge):
    """The name shared by the revert timer, its service and the boot-time revert unit."""
    return "kvm-host-bridge-revert-%s" % bridge


def unit_file(bridge):
    """The file of the boot-time revert unit: written by apply, removed by confirm and by the revert."""
    return "%s/%s.service" % (UNIT_DIR, unit_name(bridge))


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
    elif not _MAC.match(uplink.get("mac") or ""):
        out.append("%s has the hardware address %r, not an Ethernet one: the role bridges Ethernet uplinks only." % (interface, uplink.get("mac")))
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


def _unescape(value):
    """A value of nmcli's terse output, where '\\' escapes ':' and '\\'."""
    return re.sub(r"\\(.)", r"\1", value)


def nmcli_fields(text):
    """``nmcli -t -f ... device show DEVICE`` as {field: value} (each line is FIELD:value)."""
    out = {}
    for line in (text or "").splitlines():
        field, sep, value = line.partition(":")
        if sep:
            out[field.strip()] = _unescape(value).strip()
    return out


def _terse_split(line):
    """One line of nmcli's terse output as its fields: ':' separates them, '\\' escapes ':' and '\\'."""
    fields, current, escaped = [], [], False
    for char in line:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ":":
            fields.append("".join(current))
            current = []
        else:
            current.append(char)
    return fields + ["".join(current)]


def nmcli_active(text):
    """``nmcli -t -f UUID,DEVICE,FILENAME connection show --active`` as {device: {uuid, file}}."""
    out = {}
    for line in (text or "").splitlines():
        fields = _terse_split(line)
        if len(fields) == 3 and _UUID.match(fields[0]) and fields[1]:
            out[fields[1]] = {"uuid": fields[0], "file": fields[2]}
    return out


def networkd_network_file(text):
    """The .network file that ``networkctl status DEVICE`` names, or ''."""
    for line in (text or "").splitlines():
        label, sep, value = line.strip().partition(":")
        if sep and label == "Network File":
            return value.strip()
    return ""


def _ifupdown_words(line):
    # interfaces(5): a comment is a line of its own that starts with '#'.
    return [] if line.lstrip().startswith("#") else line.split()


def _ifupdown_opens_stanza(words):
    return bool(words) and (words[0] in ("iface", "mapping", "auto", "source", "source-directory", "rename")
                            or words[0].startswith("allow-"))


def ifupdown_includes(text):
    """The ``source`` and ``source-directory`` lines of an interfaces file, as [(keyword, path)]."""
    out = []
    for line in (text or "").splitlines():
        words = _ifupdown_words(line)
        if words and words[0] in ("source", "source-directory"):
            out.append((words[0], " ".join(words[1:])))
    return out


def _stanzas(files):
    """Every stanza of the interfaces files [(path, text)]: dicts with path, words, first (line
    index), last (index of its last option line)."""
    found = []
    for path, text in files:
        current = None
        for index, line in enumerate(text.splitlines()):
            words = _ifupdown_words(line)
            if _ifupdown_opens_stanza(words):
                current = {"path": path, "words": words, "first": index, "last": index}
                found.append(current)
            elif words and current is not None:
                current["last"] = index
    return found


def ifupdown_stanzas(files, device):
    """The stanzas of the interfaces files [(path, text)] that name ``device``: ``iface`` ones as
    (path, family, method), and the ``mapping`` ones as (path, 'mapping', '')."""
    out = []
    for stanza in _stanzas(files):
        words = stanza["words"]
        if words[0] == "iface" and len(words) >= 4 and words[1] == device:
            out.append((stanza["path"], words[2], words[3]))
        elif words[0] == "mapping" and device in words[1:]:
            out.append((stanza["path"], "mapping", ""))
    return out


def which_stack(params, seen):
    """Which network stack manages the uplink, from what each stack says about it.

    ``seen``: ``nm_running`` (bool), ``nm_device`` (``nmcli -t -f GENERAL.STATE,... device show``),
    ``nm_file`` (the file of the profile active on it), ``networkd_running`` (bool),
    ``networkd_list`` (``networkctl list --no-legend IF``), ``networkd_file`` (its .network file),
    ``ifupdown`` (the interfaces files as [(path, text)], None without ifupdown installed).
    Returns {stack: networkd, networkmanager, ifupdown or '', seen: [what each said], problems}.
    """
    name, interface = params["name"], params["interface"]
    said, claims, problems = [], [], []
    if seen.get("nm_running"):
        state = nmcli_fields(seen.get("nm_device")).get("GENERAL.STATE", "")
        said.append("NetworkManager says %s is %s" % (interface, state or "unknown to it"))
        code = state.split(" ", 1)[0]
        # "connected (externally)": configured by another stack, which NetworkManager only watches.
        if code.isdigit() and int(code) >= 30 and "externally" not in state:
            claims.append("networkmanager")
    else:
        said.append("NetworkManager is not running")
    if seen.get("networkd_running"):
        row = (seen.get("networkd_list") or "").split()
        setup = row[4] if len(row) >= 5 and row[1] == interface else ""
        said.append("systemd-networkd says %s is %s" % (interface, setup or "unknown to it"))
        if setup in ("configured", "configuring", "failed", "degraded", "linger"):
            claims.append("networkd")
    else:
        said.append("systemd-networkd is not running")
    if seen.get("ifupdown") is None:
        said.append("ifupdown is not installed")
    else:
        stanzas = ifupdown_stanzas(seen["ifupdown"], interface)
        said.append("ifupdown has %s" % ("; ".join("%s %s in %s" % (family, method, path) for path, family, method in stanzas)
                                         if stanzas else "no stanza for %s" % interface))
        if stanzas:
            claims.append("ifupdown")
    seen_text = "; ".join(said)
    if not claims:
        problems.append("no network stack the role knows (systemd-networkd, NetworkManager, ifupdown) manages %s (%s). "
                        "What to do: have one of them manage it, or make the bridge with the host's own tools and give "
                        "kvm_networks mode bridge on it." % (interface, seen_text))
    elif len(claims) > 1:
        problems.append("%s all claim %s (%s): the role cannot tell which one it should change. What to do: leave %s to "
                        "one of them (for example `nmcli device set %s managed no`, or remove its stanza from "
                        "/etc/network/interfaces), then run the role again."
                        % (" and ".join(claims), interface, seen_text, interface, interface))
    else:
        netplan = {"networkd": ("networkd_file", "/run/systemd/network/"),
                   "networkmanager": ("nm_file", "/run/NetworkManager/system-connections/")}.get(claims[0])
        if netplan and "netplan" in (seen.get(netplan[0]) or "") and (seen.get(netplan[0]) or "").startswith(netplan[1]):
            problems.append("netplan writes %s's configuration (%s), and would write it again over the role's. What to do: "
                            "describe the bridge %s in netplan's YAML (/etc/netplan/*.yaml, a bridges: entry with interfaces: [%s]), "
                            "run `netplan try`, then give kvm_networks mode bridge on it."
                            % (interface, seen.get(netplan[0]), name, interface))
    return {"stack": claims[0] if len(claims) == 1 else "", "seen": said, "problems": problems}


# What an uplink's ifupdown stanza may say: the address options that move to the bridge, and the
# link's own options that stay with the uplink (valid for the manual method too).
_IFUPDOWN_MOVES = ("address", "netmask", "broadcast", "network", "gateway", "metric", "dns-nameservers", "dns-search",
                   "dns-domain", "hostname", "leasetime", "leasehours", "vendor", "client")
_IFUPDOWN_STAYS = ("mtu", "hwaddress")


def _block_marks(name):
    return ("# hypervisor.kvm (kvm_host_bridge): bridge %s, removed by its revert unless confirmed" % name,
            "# hypervisor.kvm (kvm_host_bridge): end of bridge %s" % name)


def ifupdown_files(files, params, plan, mac):
    """The interfaces files rewritten for the bridge, as {path: text} (only the file that holds the
    uplink's stanza): the uplink's ``iface IF inet dhcp|static`` becomes ``inet manual``, and a
    block that the role marks adds ``auto NAME`` and ``iface NAME`` with ``bridge_ports IF``.
    Every other line stays as it was. ``plan``: ``address_plan``'s, or None for ``address: auto``
    (the uplink's method and address options move to the bridge). Raises BridgeRefused for
    what it does not rewrite surely (mappings, inet6, hooks, line continuations, a NAME stanza
    of someone else's)."""
    name, interface = params["name"], params["interface"]
    start, end = _block_marks(name)
    refused = []
    block = None
    for path, text in files:
        lines = text.splitlines()
        if start in lines:
            first = lines.index(start)
            if end not in lines[first:]:
                raise BridgeRefused(["%s holds the start of the role's block for %s but not its end: what to do: restore it "
                                     "from %s or remove the block, then run the role again." % (path, name, STATE_DIR)])
            block = (path, first, first + lines[first:].index(end))
    uplink = [s for s in _stanzas(files) if s["words"][0] == "iface" and s["words"][1:2] == [interface]]
    mappings = [s for s in _stanzas(files) if s["words"][0] == "mapping" and interface in s["words"][1:]]
    others = [s for s in _stanzas(files) if s["words"][0] == "iface" and s["words"][1:2] == [name]
              and not (block and s["path"] == block[0] and block[1] < s["first"] < block[2])]
    if mappings:
        refused.append("a mapping stanza names %s (%s), which the role does not follow." % (interface, mappings[0]["path"]))
    if others:
        refused.append("%s has a stanza for %s already, not the role's: what to do: remove it, or give the bridge another name."
                       % (others[0]["path"], name))
    if len(uplink) != 1:
        refused.append("%s has %d iface stanzas for %s (%s); the role rewrites exactly one `iface %s inet dhcp|static`."
                       % (" ".join(sorted(set(path for path, dummy in files))), len(uplink), interface,
                          "; ".join(" ".join(s["words"]) for s in uplink) or "none", interface))
    if refused:
        raise BridgeRefused(refused)
    stanza = uplink[0]
    method = stanza["words"][3]
    wanted = ("manual",) if block else ("dhcp", "static")
    if stanza["words"][2] != "inet" or method not in wanted or len(stanza["words"]) != 4:
        raise BridgeRefused(["%s says `%s`; the role rewrites `iface %s inet %s`. What to do: make the bridge by hand in %s."
                             % (stanza["path"], " ".join(stanza["words"]), interface, " or ".join(wanted), stanza["path"])])
    path = stanza["path"]
    lines = dict(files)[path].splitlines()
    if block and block[0] != path:
        raise BridgeRefused(["the role's block for %s is in %s but %s's stanza is in %s: what to do: put them back in one file."
                             % (name, block[0], interface, path)])
    body = lines[stanza["first"]:stanza["last"] + 1]
    if any(line.rstrip().endswith("\\") for line in body):
        raise BridgeRefused(["%s continues lines (a trailing '\\') in %s's stanza, which the role does not rewrite surely. "
                             "What to do: join them into one line each, then run the role again." % (path, interface)])
    moved, kept, foreign = [], [], []
    for line in body[1:]:
        words = _ifupdown_words(line)
        if not words:
            kept.append(line)
        elif words[0] in _IFUPDOWN_STAYS:
            kept.append(line)
        elif words[0] in _IFUPDOWN_MOVES and not block:
            moved.append(line.strip())
        else:
            foreign.append(words[0])
    if foreign:
        raise BridgeRefused(["%s's stanza in %s has %s, which the role cannot tell belong to the uplink or the bridge. "
                             "What to do: make the bridge by hand, or move those lines to the bridge yourself."
                             % (interface, path, ", ".join(sorted(set(foreign))))])
    if block:
        # A later run: the bridge's own method and options are in the role's block.
        old = lines[block[1]:block[2] + 1]
        iface = [_ifupdown_words(line) for line in old if _ifupdown_words(line)[:2] == ["iface", name]]
        method = iface[0][3] if iface and len(iface[0]) >= 4 else "dhcp"
        moved = [line.strip() for line in old[1:-1] if _ifupdown_words(line)
                 and _ifupdown_words(line)[0] not in ("auto", "iface", "bridge_ports", "bridge_stp", "bridge_fd", "bridge_hw")]
    if plan is not None:
        method = "dhcp" if plan["dhcp"] else "static"
        moved = ["address %s" % address for address in plan["addresses"][:1]]
        moved += ["gateway %s" % plan["gateway"]] if plan["gateway"] else []
        moved += ["dns-nameservers %s" % " ".join(plan["dns"])] if plan["dns"] else []
    indent = re.match(r"\s*", lines[stanza["first"]]).group(0)
    new_block = [start, "auto %s" % name, "iface %s inet %s" % (name, method), "    bridge_ports %s" % interface,
                 "    bridge_stp off", "    bridge_fd 0", "    bridge_hw %s" % mac] + ["    %s" % line for line in moved] + [end]
    new_stanza = ["%siface %s inet manual" % (indent, interface)] + kept
    if block:
        out = lines[:stanza["first"]] + new_stanza + lines[stanza["last"] + 1:block[1]] + new_block + lines[block[2] + 1:]
    else:
        out = lines[:stanza["first"]] + new_stanza + new_block + lines[stanza["last"] + 1:]
    return {path: "\n".join(out) + "\n"}


def keyfile_sections(text):
    """A NetworkManager keyfile as [(section, [lines])], in order; lines before the first section under ''."""
    out = [("", [])]
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            out.append((stripped[1:-1], []))
        else:
            out[-1][1].append(line)
    return out


def keyfile_value(text, section, key):
    """The value of ``key`` in ``section`` of a keyfile, or None."""
    for found, lines in keyfile_sections(text):
        if found == section:
            for line in lines:
                left, sep, value = line.partition("=")
                if sep and left.strip() == key:
                    return value.strip()
    return None


def keyfile_set(text, section, key, value):
    """The keyfile with ``key=value`` in ``section`` (changed in place, or added under the section's
    header, or a new section at the end); every other line as it was."""
    lines = text.splitlines()
    current, header = None, None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            current = stripped[1:-1]
            if current == section and header is None:
                header = index
        elif current == section and "=" in line and line.partition("=")[0].strip() == key:
            lines[index] = "%s=%s" % (key, value)
            return "\n".join(lines) + "\n"
    if header is None:
        lines += ["", "[%s]" % section, "%s=%s" % (key, value)]
    else:
        lines.insert(header + 1, "%s=%s" % (key, value))
    return "\n".join(lines) + "\n"


def nm_uuid(params, role):
    """The UUID of the role's bridge (``role`` bridge) or port profile: the same for the same bridge on every run."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "hypervisor.kvm:bridge:%s:%s:%s" % (params["name"], params["interface"], role)))


def nm_paths(params):
    """The role's two keyfiles: the bridge's and its port's."""
    return ("%s/kvm-host-%s.nmconnection" % (NM_DIR, params["name"]),
            "%s/kvm-host-%s-port-%s.nmconnection" % (NM_DIR, params["name"], params["interface"]))


def nm_keyfiles(params, plan, mac, source):
    """NetworkManager's keyfiles for the bridge, as {path: text}: the bridge profile (the uplink's MAC,
    STP off, the address settings), a port profile for the uplink, and the uplink's previous profile
    with autoconnect off (restored by the revert). ``source``: the profile active on the address
    holder (``uuid``, ``path``, ``text``): the uplink's own on a first run, the bridge's later.
    ``plan`` None (``address: auto``) copies its [ipv4] and [ipv6] sections; else [ipv4] is the
    plan's and [ipv6] is copied. Raises BridgeRefused for a profile the role does not rewrite."""
    name, interface = params["name"], params["interface"]
    bridge_uuid, port_uuid = nm_uuid(params, "bridge"), nm_uuid(params, "port")
    path, text = source.get("path") or "", source.get("text")
    if path.startswith("/run/NetworkManager/system-connections/"):
        if "netplan" in path:
            raise BridgeRefused(["netplan writes %s's NetworkManager profile (%s). What to do: describe the bridge %s in netplan's "
                                 "YAML (/etc/netplan/*.yaml, a bridges: entry with interfaces: [%s]) and run `netplan try`."
                                 % (interface, path, name, interface)])
        raise BridgeRefused(["%s's NetworkManager profile lives in memory only (%s) and would not survive the revert. What to do: "
                             "save it as a keyfile (`nmcli connection clone UUID NEW-NAME`, then bring NEW-NAME up), then run "
                             "the role again." % (interface, path)])
    if not (path.startswith(NM_DIR + "/") and path.endswith(".nmconnection")) or posixpath.normpath(path) != path or text is None:
        raise BridgeRefused(["%s's NetworkManager profile is %s, not a keyfile the role can read under %s. What to do: migrate it "
                             "(`nmcli connection migrate`), then run the role again." % (interface, path or "unknown", NM_DIR)])
    if not _UUID.match(source.get("uuid") or ""):
        raise BridgeRefused(["NetworkManager names no valid profile UUID for %s (%r)." % (interface, source.get("uuid"))])
    ours = source["uuid"] == bridge_uuid
    kind = keyfile_value(text, "connection", "type")
    if not ours and kind not in ("ethernet", "802-3-ethernet"):
        raise BridgeRefused(["%s's profile %s is of type %s; the role bridges Ethernet uplinks only." % (interface, path, kind)])
    sections = dict((section, lines) for section, lines in keyfile_sections(text))

    def section(title, lines):
        lines = [line for line in lines if line.strip()]
        return ["[%s]" % title] + lines + [""] if lines or title != "ipv6" else []

    if plan is None:
        ipv4 = sections.get("ipv4", ["method=auto"])
    elif plan["dhcp"]:
        ipv4 = ["method=auto"]
    else:
        ipv4 = ["method=manual"] + ["address%d=%s" % (i + 1, a) for i, a in enumerate(plan["addresses"])]
        ipv4 += ["gateway=%s" % plan["gateway"]] if plan["gateway"] else []
        ipv4 += ["dns=%s;" % ";".join(plan["dns"])] if plan["dns"] else []
    header = "# Written by hypervisor.kvm (kvm_host_bridge): %s on %s. Removed by its revert unless confirmed.\n" % (name, interface)
    bridge = (["[connection]", "id=%s" % name, "uuid=%s" % bridge_uuid, "type=bridge", "interface-name=%s" % name, "",
               "[bridge]", "mac-address=%s" % mac.upper(), "stp=false", ""]
              + section("ipv4", ipv4) + section("ipv6", sections.get("ipv6", [])))
    port = ["[connection]", "id=%s-port-%s" % (name, interface), "uuid=%s" % port_uuid, "type=ethernet",
            "interface-name=%s" % interface, "master=%s" % bridge_uuid, "slave-type=bridge", "", "[ethernet]", ""]
    bridge_path, port_path = nm_paths(params)
    out = {bridge_path: header + "\n".join(bridge), port_path: header + "\n".join(port)}
    if not ours:
        out[path] = keyfile_set(text, "connection", "autoconnect", "false")
    return out


def stack_commands(stack, params, bridge_existed, previous_uuid=None, staged=None):
    """The shell commands of each step, for ``stack``: ``apply`` (what the detached unit runs two
    seconds after the module wrote the files), ``before`` (the revert's, before it restores the
    files) and ``after`` (the revert's, once they are back). ``previous_uuid``: NetworkManager's
    profile to bring up again; ``staged``: {path: new file} that ifupdown's apply copies in after
    it took the uplink down with its previous configuration."""
    name, interface = shlex_quote(params["name"]), shlex_quote(params["interface"])
    drop = [] if bridge_existed else ["ip link delete %s 2>/dev/null || true" % name]
    if stack == "networkmanager":
        return {"apply": "nmcli connection reload && nmcli connection up uuid %s" % nm_uuid(params, "port"),
                "before": [],
                "after": ["nmcli connection reload"]
                + (["nmcli connection up uuid %s" % shlex_quote(previous_uuid)] if previous_uuid else []) + drop}
    if stack == "ifupdown":
        copies = ["cp %s %s" % (shlex_quote(new), shlex_quote(path)) for path, new in sorted((staged or {}).items())]
        return {"apply": "; ".join(["ifdown %s" % name, "ifdown %s" % interface] + copies + ["ifup %s" % name]),
                "before": ["ifdown %s" % name, "ifdown %s" % interface],
                "after": drop + ["ifup %s" % (name if bridge_existed else interface)]}
    return {"apply": "networkctl reload && networkctl reconfigure %s" % interface,
            "before": [],
            "after": ["networkctl reload", "networkctl reconfigure %s" % name if bridge_existed else drop[0],
                      "networkctl reconfigure %s" % interface]}


def detached(unit, seconds, argv):
    """The systemd-run command that runs ``argv`` ``seconds`` from now as the transient service
    ``unit``, away from the connection that may drop. KillMode=process: ifup starts the DHCP
    client (dhcpcd) as a daemon in the service's cgroup, which systemd would otherwise kill when
    the shell exits, leaving the lease unrenewed (seen on Debian 13 with ifupdown)."""
    return ["systemd-run", "--unit", unit, "--on-active=%d" % seconds, "--timer-property=AccuracySec=1s",
            "--property=KillMode=process"] + list(argv)


def revert_script(params, saved, bridge_existed, state, stack="networkd", previous_uuid=None):
    """The shell script that puts the previous files back. ``saved``: {path: backup path or
    None when the file did not exist}; ``state``: the bridge's state directory. With the
    argument ``boot`` it only restores the files (the stack has not started yet); otherwise it
    takes the bridge down as the stack needs, and has the stack apply the files now."""
    name = params["name"]
    commands = stack_commands(stack, params, bridge_existed, previous_uuid)
    lines = ["#!/bin/sh", "# Written by hypervisor.kvm (kvm_host_bridge): restores the network files of before %s." % name,
             "set -u"]
    lines += ['[ "${1:-}" = boot ] || %s' % command for command in commands["before"]]
    for path, backup in sorted(saved.items()):
        if backup:
            lines.append("cp -p %s %s" % (shlex_quote(backup), shlex_quote(path)))
        else:
            lines.append("rm -f %s" % shlex_quote(path))
    lines.append("rm -f %s" % shlex_quote(state + "/pending"))
    lines.append("date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ > %s" % shlex_quote(state + "/reverted"))
    # The boot unit has done its work either way: it goes, at boot too, so that no unit of the role's
    # is left on the host (confirm removes it the same way).
    lines.append("systemctl disable %s 2>/dev/null || true" % shlex_quote(unit_name(name) + ".service"))
    lines.append("rm -f %s" % shlex_quote(unit_file(name)))
    lines.append('[ "${1:-}" = boot ] && exit 0')
    lines += commands["after"]
    lines.append("systemctl daemon-reload 2>/dev/null || true")
    return "\n".join(lines) + "\n"


def boot_revert_unit(params, stack="networkd"):
    """A unit that restores the previous files at boot, before the stack starts, while the change is
    not confirmed (a reboot must not keep a configuration nobody could reach)."""
    name = params["name"]
    return (
        "# Written by hypervisor.kvm (kvm_host_bridge): a reboot before the bridge %s was confirmed\n"
        "# restores the network files of before it. Removed on confirmation.\n"
        "[Unit]\nDescription=Restore the network configuration of before bridge %s (unconfirmed)\n"
        "DefaultDependencies=no\nAfter=local-fs.target\nBefore=%s network-pre.target\n"
        "Wants=network-pre.target\nConditionPathExists=%s/%s/pending\n\n"
        "[Service]\nType=oneshot\nExecStart=/bin/sh %s/%s/revert boot\n\n"
        "[Install]\nWantedBy=sysinit.target\n" % (name, name, STACK_SERVICE[stack], STATE_DIR, name, STATE_DIR, name))


def stack_checks(stack, params, seen):
    """Whether the stack configures the bridge and its port from the role's files: (checks,
    failures), one sentence each. ``seen``: ``networkd_files`` {device: .network file},
    ``nm_uuids`` {device: active profile UUID}, ``ifupdown_state`` (/run/network/ifstate)."""
    name, interface = params["name"], params["interface"]
    checks, failures = [], []
    if stack == "networkmanager":
        for device, role in ((name, "bridge"), (interface, "port")):
            found = (seen.get("nm_uuids") or {}).get(device) or "no profile"
            if found == nm_uuid(params, role):
                checks.append("NetworkManager runs %s on the role's %s profile %s" % (device, role, found))
            else:
                failures.append("NetworkManager runs %s on %s, not on the role's %s profile" % (device, found, role))
    elif stack == "ifupdown":
        state = [line.strip() for line in (seen.get("ifupdown_state") or "").splitlines()]
        if "%s=%s" % (name, name) in state:
            checks.append("ifupdown brought %s up" % name)
        else:
            failures.append("ifupdown has not brought %s up (its state: %s)" % (name, ", ".join(state) or "empty"))
    else:
        for device in (name, interface):
            found = (seen.get("networkd_files") or {}).get(device) or ""
            if found and found.rsplit("/", 1)[-1].startswith("10-kvm-host-%s" % name):
                checks.append("networkd configures %s from %s" % (device, found))
            else:
                failures.append("networkd configures %s from %s, not from the role's file" % (device, found or "no file"))
    return checks, failures
