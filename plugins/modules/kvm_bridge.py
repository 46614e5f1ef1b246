#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_bridge
short_description: A host bridge on the host's own uplink, with its way back armed first
version_added: 1.0.0
description:
  - Moves the host's uplink O(interface), and the address the controller may reach it on, onto
    a new bridge O(name) that guests can join (M(hypervisor.kvm.kvm_networks) mode V(bridge)).
  - Moving that address is how hosts get cut off, so the change is made in three steps that the
    role P(hypervisor.kvm.kvm_host#role) runs in order.
  - O(step=apply) saves the network files it will replace, arms a timer that restores them after
    O(revert_after) seconds unless cancelled, and a unit that restores them before the network
    starts if the host reboots first; only then it writes the new files and has the network
    stack apply them two seconds later, detached from the connection that may drop.
  - O(step=confirm), run once the controller reaches the host again, checks the bridge (the
    uplink is its port, it holds its address, the network stack uses the files written) and
    cancels the revert. O(step=revert) goes back at once, or reports that the host went back by
    itself.
  - The bridge takes the uplink's MAC address, so that DHCP servers and neighbours see the same
    host. A DHCP server that leases by client identifier may still hand the bridge another
    address; the controller then cannot reach it, and the host goes back by itself.
  - The network stack that manages O(interface) makes the bridge. Which one it is, is judged from
    what each says about O(interface) - NetworkManager's device state (C(nmcli device show)),
    systemd-networkd's setup state (C(networkctl list)), an C(iface) stanza in ifupdown's files. None, or
    two of them claiming it, is refused with what each said, before anything changes.
  - systemd-networkd - files C(/etc/systemd/network/10-kvm-host-NAME.netdev), C(10-kvm-host-NAME.network)
    and C(10-kvm-host-NAME-port-INTERFACE.network), applied with C(networkctl reload) and
    C(networkctl reconfigure). A configuration that netplan generates (C(/run/systemd/network/10-netplan-*))
    is refused - describe the bridge in netplan's YAML instead.
  - NetworkManager - keyfiles C(/etc/NetworkManager/system-connections/kvm-host-NAME.nmconnection)
    (the bridge, STP off) and C(kvm-host-NAME-port-INTERFACE.nmconnection) (the uplink as its port), mode
    0600, applied with C(nmcli connection reload) and C(nmcli connection up) of the port. The uplink's
    previous profile stays, set to C(autoconnect=false); the revert puts its file back and brings it up
    again. Only a keyfile under C(/etc/NetworkManager/system-connections) of type C(ethernet) is
    rewritten; an in-memory profile (C(/run/NetworkManager)), a netplan one or another format (C(ifcfg))
    is refused, saying what to do.
  - ifupdown (Debian's C(/etc/network/interfaces), following C(source) and C(source-directory)) - the
    uplink's C(iface INTERFACE inet dhcp) or C(inet static) stanza becomes C(inet manual) (its C(mtu)
    and C(hwaddress) stay, its address options move to the bridge) and a block the role marks adds
    C(auto NAME) and C(iface NAME) with C(bridge_ports INTERFACE), C(bridge_stp off), C(bridge_fd 0)
    and C(bridge_hw) the uplink's MAC; every other line stays as it was. The change takes the uplink down
    with its previous file, then brings the bridge up with the new one. A stanza with other options
    (C(up) commands, C(inet6), a C(mapping), continued lines), a C(NAME) stanza that is not the role's,
    a relative C(source) and ifupdown2 are refused, saying what to do.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
options:
  name:
    description: The bridge's name, such as V(br0).
    type: str
    required: true
  interface:
    description: The uplink that becomes the bridge's port, such as V(eno1).
    type: str
    required: true
  address:
    description:
      - V(auto) - what the uplink has now. With systemd-networkd, DHCP when its IPv4 address is
        dynamic, else its addresses, default gateway and DNS servers as the host reports them. With
        NetworkManager, the C([ipv4]) and C([ipv6]) settings of the uplink's profile. With ifupdown,
        the method and address options of the uplink's stanza.
      - V(dhcp) - DHCP on the bridge. Or an IPv4 address with its prefix, such as V(192.0.2.10/24),
        with O(gateway) and O(dns) (ifupdown applies C(dns-nameservers) only with resolvconf
        installed). NetworkManager's bridge keeps the uplink profile's C([ipv6]) settings either way.
    type: str
    default: auto
  gateway:
    description: The default gateway, with a static O(address).
    type: str
  dns:
    description: DNS servers, with a static O(address).
    type: list
    elements: str
  revert_after:
    description:
      - Seconds after O(step=apply) at which the host restores its previous network files unless
        O(step=confirm) ran. 30 to 3600.
    type: int
    default: 120
  step:
    description: V(apply), V(confirm) or V(revert), as described above.
    type: str
    choices: [apply, confirm, revert]
    default: apply
requirements:
  - systemd (systemd-run, systemctl) on every host, and one of these managing O(interface).
  - systemd-networkd - networkctl.
  - NetworkManager - nmcli, and the uplink's profile as a keyfile.
  - ifupdown (not ifupdown2) - ifup, ifdown and Debian's bridge-utils (its C(bridge_ports) hooks; the role
    P(hypervisor.kvm.kvm_host#role) installs it, and RV(packages) names it in check mode).
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: O(step=apply) reports the files it would write and arms nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Run O(step=apply) only from a play that then runs O(step=confirm) after
    M(ansible.builtin.wait_for_connection); alone, the host goes back after O(revert_after) seconds.
seealso:
  - module: hypervisor.kvm.kvm_networks
"""

EXAMPLES = r"""
- name: Put eno1 on br0, with its way back armed
  hypervisor.kvm.kvm_bridge:
    name: br0
    interface: eno1
    revert_after: 120
  register: bridge

- name: Confirm once the host answers again
  when: bridge is changed
  block:
    - name: Wait for the host
      ansible.builtin.wait_for_connection:
        delay: 5
        timeout: 90

    - name: Confirm the bridge and cancel the revert
      hypervisor.kvm.kvm_bridge:
        name: br0
        interface: eno1
        step: confirm
  rescue:
    - name: Wait for the host to go back by itself
      ansible.builtin.wait_for_connection:
        timeout: 300

    - name: Go back now, or learn when it went back
      hypervisor.kvm.kvm_bridge:
        name: br0
        interface: eno1
        step: revert
"""

RETURN = r"""
stack:
  description:
    - The network stack that manages the uplink, V(networkd), V(networkmanager) or V(ifupdown); empty
      when O(step=apply) refuses because none, or more than one, claims it.
  returned: always
  type: str
  sample: networkd
files:
  description:
    - The files written for the bridge (or, in check mode, that would be), by path. With
      NetworkManager also the uplink's previous profile, with C(autoconnect=false).
  returned: when O(step=apply)
  type: dict
  sample: {"/etc/systemd/network/10-kvm-host-br0.netdev": "[NetDev]\nName=br0\nKind=bridge\n..."}
packages:
  description:
    - Packages the stack still needs for the bridge (V(bridge-utils) for ifupdown). Check mode reports
      them; O(step=apply) without check mode fails while they are missing.
  returned: when O(step=apply)
  type: list
  elements: str
  sample: ["bridge-utils"]
revert_at:
  description: When the armed revert restores the previous files, in seconds since the epoch.
  returned: when O(step=apply) changed something
  type: int
  sample: 1764720000
timer:
  description: The systemd timer that runs the revert, which O(step=confirm) stops.
  returned: when O(step=apply) changed something
  type: str
  sample: kvm-host-bridge-revert-br0-1764720000123
reverted:
  description: When the previous files were restored (UTC, ISO 8601), or empty.
  returned: when O(step=revert)
  type: str
  sample: "2026-12-03T00:12:31Z"
checks:
  description: What O(step=confirm) found, one sentence each.
  returned: when O(step=confirm)
  type: list
  elements: str
  sample: ["ens3 is a port of br0", "br0 holds 10.0.2.15/24"]
"""

import glob
import os
import re
import stat
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _bridge as bridge_plan

SYS_CLASS_NET = "/sys/class/net"
C_LOCALE = {"LC_ALL": "C"}
READ_CAP = 1 << 20
# run-parts' rule, which ifupdown's source-directory follows.
IFUPDOWN_PART = re.compile(r"^[A-Za-z0-9_-]+$")
# What ifupdown needs to read bridge_ports: the hooks of Debian's bridge-utils.
BRIDGE_UTILS_HOOK = "/etc/network/if-pre-up.d/bridge"


def _read(path):
    """A regular file's text (at most READ_CAP characters), or None."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return None
        with open(path) as handle:
            return handle.read(READ_CAP)
    except (IOError, OSError, ValueError):
        return None


def _ipv4(module, device):
    """[(address/prefix, dynamic)] of the global IPv4 addresses on a device."""
    rc, out, dummy = module.run_command(["ip", "-o", "-4", "address", "show", "dev", device, "scope", "global"], environ_update=C_LOCALE)
    found = []
    for line in out.splitlines() if rc == 0 else []:
        fields = line.split()
        if len(fields) >= 4 and fields[2] == "inet":
            found.append((fields[3], "dynamic" in fields))
    return found


def _optional(module, tool, *args):
    """(rc, stdout) of a tool that a host may not have; rc 127 when it has not."""
    path = module.get_bin_path(tool, opt_dirs=["/sbin", "/usr/sbin"])
    if path is None:
        return 127, ""
    rc, out, dummy = module.run_command([path] + list(args), environ_update=C_LOCALE)
    return rc, out


def read_uplink(module, name, interface):
    """What the host has: the uplink, the bridge's name, and where the addresses are now."""
    def net(device, *parts):
        return os.path.join(SYS_CLASS_NET, device, *parts)
    master = os.path.realpath(net(interface, "master")) if os.path.exists(net(interface, "master")) else ""
    uplink = {
        "exists": os.path.exists(net(interface)),
        "is_bridge": os.path.isdir(net(interface, "bridge")),
        "master": os.path.basename(master) if master else "",
        "bridge_exists": os.path.exists(net(name)),
        "bridge_is_bridge": os.path.isdir(net(name, "bridge")),
        "mac": (_read(net(interface, "address")) or "").strip(),
    }
    # Once bridged, the addresses live on the bridge: a second run reads them there.
    holder = name if uplink["master"] == name else interface
    uplink["holder"] = holder
    uplink["addresses"] = _ipv4(module, holder)
    rc, out, dummy = module.run_command(["ip", "-4", "route", "show", "default", "dev", holder], environ_update=C_LOCALE)
    gateways = [line.split()[2] for line in out.splitlines() if rc == 0 and line.startswith("default via ")]
    uplink["gateway"] = gateways[0] if gateways else None
    rc, out = _optional(module, "resolvectl", "dns", holder)
    uplink["dns"] = out.split(":", 1)[1].split() if rc == 0 and ":" in out else []
    return uplink


def read_ifupdown(module):
    """ifupdown's interfaces files as [(path, text)], following source and source-directory, and
    the includes that could not be followed; (None, []) when ifupdown is not installed."""
    if module.get_bin_path("ifup", opt_dirs=["/sbin", "/usr/sbin"]) is None:
        return None, []
    files, problems, queue = [], [], [bridge_plan.IFUPDOWN_FILE]
    while queue and len(files) < 64:
        path = queue.pop(0)
        text = _read(path)
        if text is None:
            continue
        files.append((path, text))
        for keyword, pattern in bridge_plan.ifupdown_includes(text):
            if not pattern.startswith("/"):
                problems.append("%s has `%s %s`, a relative path the role does not resolve. What to do: write it as an "
                                "absolute path, then run the role again." % (path, keyword, pattern))
            elif keyword == "source":
                queue.extend(sorted(glob.glob(pattern)))
            elif os.path.isdir(pattern):
                queue.extend(os.path.join(pattern, part) for part in sorted(os.listdir(pattern)) if IFUPDOWN_PART.match(part))
    for path, dummy in files:
        if os.path.islink(path):
            problems.append("%s is a symbolic link; the role rewrites files in place. What to do: make the bridge by hand." % path)
    if os.path.isdir("/usr/share/ifupdown2"):
        problems.append("the host runs ifupdown2, whose bridge options differ from ifupdown's; the role does not write them. "
                        "What to do: make the bridge in /etc/network/interfaces yourself (bridge-ports), then give kvm_networks "
                        "mode bridge on it.")
    return files, problems


def read_stacks(module, interface):
    """What each network stack says about the uplink, for bridge_plan.which_stack and stack_checks."""
    seen = {}
    dummy, out = _optional(module, "systemctl", "is-active", "NetworkManager.service")
    seen["nm_running"] = out.strip() == "active"
    seen["nm_active"] = {}
    if seen["nm_running"]:
        dummy, seen["nm_device"] = _optional(module, "nmcli", "-t", "-f", "GENERAL.STATE", "device", "show", interface)
        dummy, out = _optional(module, "nmcli", "-t", "-f", "UUID,DEVICE,FILENAME", "connection", "show", "--active")
        seen["nm_active"] = bridge_plan.nmcli_active(out)
        seen["nm_file"] = seen["nm_active"].get(interface, {}).get("file", "")
    dummy, out = _optional(module, "systemctl", "is-active", "systemd-networkd.service")
    seen["networkd_running"] = out.strip() == "active"
    if seen["networkd_running"]:
        dummy, seen["networkd_list"] = _optional(module, "networkctl", "list", "--no-legend", "--no-pager", interface)
        dummy, out = _optional(module, "networkctl", "status", "--no-pager", interface)
        seen["networkd_file"] = bridge_plan.networkd_network_file(out)
    seen["ifupdown"], seen["ifupdown_problems"] = read_ifupdown(module)
    return seen


def _write(path, text, mode=None):
    """Replace a file at once; ``mode`` None keeps an existing file's mode (0644 for a new one)."""
    if mode is None:
        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o644
    directory = os.path.dirname(path)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".kvm-host-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    os.chmod(temporary, mode)
    os.rename(temporary, path)


def _state_name(prefix, path):
    return prefix + path.strip("/").replace("/", "_")


def save_previous(paths, state_dir):
    """Copy each file about to be replaced into the state directory; {path: copy, or None when
    there was no file}. Each copy keeps its file's mode, which the revert's `cp -p` gives back
    (networkd reads its files as its own user: a copy made private would be skipped)."""
    saved = {}
    for path in paths:
        previous = _read(path)
        backup = None
        if previous is not None:
            backup = os.path.join(state_dir, _state_name("previous-", path))
            _write(backup, previous, os.stat(path).st_mode & 0o7777)
        saved[path] = backup
    return saved


def mark_pending(state_dir):
    """Mark a change armed and not confirmed. An earlier change's ``reverted`` goes: step=revert
    would report it for this one (seen on the VM: confirmed, then reported as gone back)."""
    reverted = os.path.join(state_dir, "reverted")
    if os.path.exists(reverted):
        os.remove(reverted)
    _write(os.path.join(state_dir, "pending"), "%d\n" % time.time(), 0o600)


def plan_files(params, uplink, seen, stack):
    """The files for the bridge, by path; the profile NetworkManager brings up again on revert;
    the packages the stack still needs. Raises bridge_plan.BridgeRefused."""
    plan = bridge_plan.address_plan(params, uplink)
    given = None if params["address"] == "auto" else plan
    if stack == "networkmanager":
        active = seen["nm_active"].get(uplink["holder"], {})
        source = {"uuid": active.get("uuid"), "path": active.get("file"), "text": _read(active["file"]) if active.get("file") else None}
        return bridge_plan.nm_keyfiles(params, given, uplink["mac"], source), source["uuid"], []
    if stack == "ifupdown":
        if seen["ifupdown_problems"]:
            raise bridge_plan.BridgeRefused(seen["ifupdown_problems"])
        packages = [] if os.path.exists(BRIDGE_UTILS_HOOK) else ["bridge-utils"]
        return bridge_plan.ifupdown_files(seen["ifupdown"], params, given, uplink["mac"]), None, packages
    return bridge_plan.networkd_files(params, plan, uplink["mac"]), None, []


def _refuse(module, what, found, **extra):
    module.fail_json(msg="%s, and nothing was changed: %s" % (what, " ".join("%d) %s" % (i + 1, p) for i, p in enumerate(found))),
                     problems=found, **extra)


def apply(module, params, state_dir):
    name, interface = params["name"], params["interface"]
    uplink = read_uplink(module, name, interface)
    found = bridge_plan.problems(params, uplink)
    if found:
        _refuse(module, "The bridge cannot be made", found)
    seen = read_stacks(module, interface)
    judged = bridge_plan.which_stack(params, seen)
    stack = judged["stack"]
    if judged["problems"]:
        _refuse(module, "The role cannot tell how to make the bridge", judged["problems"], stack=stack, seen=judged["seen"])
    try:
        files, previous_uuid, packages = plan_files(params, uplink, seen, stack)
    except bridge_plan.BridgeRefused as refused:
        _refuse(module, "%s's configuration is one the role does not rewrite" % interface, refused.problems, stack=stack, seen=judged["seen"])
    pending = os.path.exists(os.path.join(state_dir, "pending"))
    unchanged = all(_read(path) == text for path, text in files.items())
    if unchanged and uplink["master"] == name and not pending:
        module.exit_json(changed=False, stack=stack, files=files, packages=packages)
    if pending:
        module.fail_json(stack=stack, msg=(
            "A change to %s is armed and not confirmed yet (%s/pending): its revert restores the previous files "
            "when its timer fires. What to do: wait for it, or run the role again after `kvm_bridge step=revert`."
            % (name, state_dir)))
    if module.check_mode:
        module.exit_json(changed=True, stack=stack, files=files, packages=packages,
                         msg="Check mode: would write %s, arming a revert after %d s first." % (", ".join(sorted(files)), params["revert_after"]))
    if packages:
        module.fail_json(stack=stack, packages=packages, msg=(
            "ifupdown reads bridge_ports through the hooks of %s, which the host lacks, and nothing was changed. What to do: "
            "install it (apt-get install %s; the role does so), then run again." % (" ".join(packages), " ".join(packages))))
    if not os.path.isdir(state_dir):
        os.makedirs(state_dir, 0o700)
    saved = save_previous(files, state_dir)
    unit = bridge_plan.unit_name(name)
    revert = os.path.join(state_dir, "revert")
    _write(revert, bridge_plan.revert_script(params, saved, uplink["bridge_exists"], state_dir, stack, previous_uuid), 0o700)
    _write(bridge_plan.unit_file(name), bridge_plan.boot_revert_unit(params, stack))
    _write(os.path.join(state_dir, "stack"), stack + "\n", 0o600)
    mark_pending(state_dir)
    run_id = "%d" % (time.time() * 1000)
    timer = "%s-%s" % (unit, run_id)
    for argv in (["systemctl", "daemon-reload"], ["systemctl", "enable", unit + ".service"],
                 bridge_plan.detached(timer, params["revert_after"], ["/bin/sh", revert])):
        rc, out, err = module.run_command(argv, environ_update=C_LOCALE)
        if rc != 0:
            module.run_command(["/bin/sh", revert, "boot"])
            module.fail_json(msg="Arming the revert failed at `%s`: %s. Nothing of the network was changed." % (" ".join(argv), (err or out).strip()))
    _write(os.path.join(state_dir, "timer"), timer + "\n", 0o600)
    revert_at = int(time.time()) + params["revert_after"]
    staged = {}
    for path, text in files.items():
        if stack == "ifupdown":
            # ifupdown takes the uplink down with the files it brought it up with: the detached unit copies these in after.
            staged[path] = os.path.join(state_dir, _state_name("new-", path))
            _write(staged[path], text, stat.S_IMODE(os.stat(path).st_mode))
        else:
            _write(path, text, 0o600 if stack == "networkmanager" else 0o644)
    command = bridge_plan.stack_commands(stack, params, uplink["bridge_exists"], previous_uuid, staged)["apply"]
    rc, out, err = module.run_command(
        bridge_plan.detached("kvm-host-bridge-apply-%s-%s" % (name, run_id), 2, ["/bin/sh", "-c", command]), environ_update=C_LOCALE)
    if rc != 0:
        module.run_command(["/bin/sh", revert])
        module.fail_json(msg="Scheduling the change failed: %s. The previous files were put back." % (err or out).strip())
    module.exit_json(changed=True, stack=stack, files=files, packages=packages, revert_at=revert_at, timer=timer)


def read_stack_use(module, stack, params):
    """What the stack says it configures the bridge and its port from, for bridge_plan.stack_checks."""
    if stack == "networkmanager":
        dummy, out = _optional(module, "nmcli", "-t", "-f", "UUID,DEVICE,FILENAME", "connection", "show", "--active")
        return {"nm_uuids": dict((device, found["uuid"]) for device, found in bridge_plan.nmcli_active(out).items())}
    if stack == "ifupdown":
        return {"ifupdown_state": _read("/run/network/ifstate") or ""}
    files = {}
    for device in (params["name"], params["interface"]):
        dummy, out = _optional(module, "networkctl", "status", "--no-pager", device)
        files[device] = bridge_plan.networkd_network_file(out)
    return {"networkd_files": files}


def confirm(module, params, state_dir):
    name, interface = params["name"], params["interface"]
    pending = os.path.exists(os.path.join(state_dir, "pending"))
    uplink = read_uplink(module, name, interface)
    checks, failures = [], []
    if uplink["master"] == name:
        checks.append("%s is a port of %s" % (interface, name))
    else:
        failures.append("%s is not a port of %s (its master: %s)" % (interface, name, uplink["master"] or "none"))
    plan = bridge_plan.address_plan(params, uplink) if uplink["master"] == name else None
    held = [address for address, dummy in uplink["addresses"]] if uplink["master"] == name else []
    wanted = plan["addresses"] if plan and not plan["dhcp"] else []
    if held and all(address in held for address in wanted):
        checks.append("%s holds %s" % (name, ", ".join(held)))
    else:
        failures.append("%s holds %s, not %s" % (name, ", ".join(held) or "no IPv4 address", ", ".join(wanted) or "a DHCP address"))
    stack = (_read(os.path.join(state_dir, "stack")) or "").strip()
    if stack not in bridge_plan.STACK_SERVICE:
        stack = bridge_plan.which_stack(params, read_stacks(module, interface))["stack"] or "networkd"
    found, missing = bridge_plan.stack_checks(stack, params, read_stack_use(module, stack, params))
    checks += found
    failures += missing
    if failures:
        module.fail_json(msg="The bridge %s is not as asked: %s." % (name, "; ".join(failures)), checks=checks, failures=failures, stack=stack)
    if not pending:
        module.exit_json(changed=False, checks=checks, stack=stack)
    timer = (_read(os.path.join(state_dir, "timer")) or "").strip()
    unit = bridge_plan.unit_name(name)
    if timer:
        module.run_command(["systemctl", "stop", timer + ".timer"], environ_update=C_LOCALE)
    module.run_command(["systemctl", "disable", unit + ".service"], environ_update=C_LOCALE)
    for path in (os.path.join(state_dir, "pending"), bridge_plan.unit_file(name)):
        if os.path.exists(path):
            os.remove(path)
    module.run_command(["systemctl", "daemon-reload"], environ_update=C_LOCALE)
    module.exit_json(changed=True, checks=checks, stack=stack, msg="The bridge %s is confirmed; the revert is cancelled." % name)


def revert(module, params, state_dir):
    stack = (_read(os.path.join(state_dir, "stack")) or "networkd").strip()
    if os.path.exists(os.path.join(state_dir, "pending")):
        timer = (_read(os.path.join(state_dir, "timer")) or "").strip()
        if timer:
            module.run_command(["systemctl", "stop", timer + ".timer"], environ_update=C_LOCALE)
        rc, out, err = module.run_command(["/bin/sh", os.path.join(state_dir, "revert")], environ_update=C_LOCALE)
        if rc != 0:
            module.fail_json(stack=stack, msg="The revert failed: %s. What to do: run %s on the host's console."
                             % ((err or out).strip(), os.path.join(state_dir, "revert")))
        module.exit_json(changed=True, stack=stack, reverted=(_read(os.path.join(state_dir, "reverted")) or "").strip())
    module.exit_json(changed=False, stack=stack, reverted=(_read(os.path.join(state_dir, "reverted")) or "").strip())


def main():
    module = AnsibleModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "interface": {"type": "str", "required": True},
            "address": {"type": "str", "default": "auto"},
            "gateway": {"type": "str"},
            "dns": {"type": "list", "elements": "str"},
            "revert_after": {"type": "int", "default": 120},
            "step": {"type": "str", "choices": ["apply", "confirm", "revert"], "default": "apply"},
        },
        supports_check_mode=True,
    )
    params = module.params
    if not 30 <= params["revert_after"] <= 3600:
        module.fail_json(msg="revert_after is %d; it must be 30 to 3600 seconds." % params["revert_after"])
    found = bridge_plan.name_problems(params)
    if found:
        module.fail_json(msg="Nothing was changed: %s" % " ".join(found), problems=found)
    state_dir = os.path.join(bridge_plan.STATE_DIR, params["name"])
    if params["step"] == "apply":
        apply(module, params, state_dir)
    if module.check_mode:
        module.exit_json(changed=False, msg="Check mode: %s is not run." % params["step"])
    if params["step"] == "confirm":
        confirm(module, params, state_dir)
    revert(module, params, state_dir)


if __name__ == "__main__":
    main()
