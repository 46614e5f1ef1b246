#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_networks
short_description: libvirt networks as a list - NAT, routed, isolated, a host bridge, macvtap
version_added: 1.0.0
description:
  - Defines, starts and autostarts the libvirt networks of a list, through C(virsh), in one call.
  - Judges the whole list first against the host (names, ranges that overlap each other or the
    host's own addresses, host bridges and interfaces that must exist) and fails listing every
    problem before anything changes.
  - A network already defined is compared with the wanted definition on what this module
    writes (forward mode, bridge, interface, address, DHCP range); what libvirt adds by itself
    (UUID, MAC address, NAT ports) is left alone, and a redefinition keeps the UUID and MAC.
  - A changed definition of an active network is applied by restarting the network, and only
    when no running guest has an interface on it or O(restart_in_use) allows it; otherwise
    nothing is changed and the result names the guests and what applying would do
    (RV(networks[].pending)), with a warning.
  - The C(default) network of M(hypervisor.kvm.kvm_facts)' hosts is a network like any other
    here; the role P(hypervisor.kvm.kvm_host#role) manages it apart.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
options:
  networks:
    description: The networks, each with its own settings.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: The network's name in libvirt.
        type: str
        required: true
      state:
        description:
          - V(present) defines it and starts it; V(absent) stops and removes it (refused while
            running guests use it, unless O(restart_in_use)).
        type: str
        choices: [present, absent]
        default: present
      mode:
        description:
          - V(nat) - guests reach out through the host's routes, masqueraded; V(route) - routed
            without NAT (the LAN needs a route back to O(networks[].address)); V(isolated) - guests
            and host only; V(bridge) - guests join the existing host bridge O(networks[].bridge), on
            the LAN; V(macvtap) - guests share the host's NIC O(networks[].interface) directly (the
            host itself cannot reach them over it).
          - Required when O(networks[].state=present).
        type: str
        choices: [nat, route, isolated, bridge, macvtap]
      bridge:
        description:
          - For V(bridge), the host bridge to join (it must exist). For V(nat), V(route) and
            V(isolated), the name of the bridge libvirt creates (by default libvirt picks a free
            C(virbrN)); it must not exist on the host unless this network made it.
        type: str
      interface:
        description:
          - For V(macvtap), the host's interface guests share (required). For V(route), the
            interface the routed traffic must leave through (optional).
        type: str
      macvtap_mode:
        description:
          - For V(macvtap), how guests on the same NIC see each other (libvirt's forward mode).
            V(bridge) lets them talk directly; V(vepa) and V(private) send their traffic to the
            switch; V(passthrough) gives the NIC to one guest.
        type: str
        choices: [bridge, vepa, private, passthrough]
        default: bridge
      address:
        description:
          - For V(nat), V(route) (required) and V(isolated) (optional), the host's IPv4 address on
            the network with its prefix, such as V(192.168.100.1/24). The range must not overlap
            another network's or one the host holds.
        type: str
      dhcp:
        description: Serve DHCP to guests on O(networks[].address)'s range (dnsmasq).
        type: bool
        default: true
      dhcp_range:
        description:
          - The first and the last address DHCP hands out. By default, every address after
            O(networks[].address) up to the last one of its range.
        type: list
        elements: str
      autostart:
        description: Start the network when libvirt starts.
        type: bool
        default: true
  restart_in_use:
    description:
      - Apply a changed definition to an active network (restarting it), or remove one, even
        when running guests have an interface on it; they lose their connection on it until each
        is restarted or its interface attached again.
    type: bool
    default: false
  uri:
    description: The libvirt connection, as C(virsh --connect) takes it.
    type: str
    default: qemu:///system
requirements:
  - virsh (libvirt's client) on the host; in check mode, a host without it has only its list judged.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
seealso:
  - module: hypervisor.kvm.kvm_facts
  - name: libvirt network XML format
    description: What each forward mode means.
    link: https://libvirt.org/formatnetwork.html
"""

EXAMPLES = r"""
- name: A NAT network of its own, a routed one and one for guests only
  hypervisor.kvm.kvm_networks:
    networks:
      - {name: lab, mode: nat, address: 192.168.100.1/24}
      - {name: dmz, mode: route, address: 10.20.0.1/24, dhcp_range: [10.20.0.100, 10.20.0.199]}
      - {name: backend, mode: isolated, address: 10.30.0.1/24, dhcp: false}

- name: Guests on the LAN, through the host bridge br0, and directly on the NIC eno2
  hypervisor.kvm.kvm_networks:
    networks:
      - {name: lan, mode: bridge, bridge: br0}
      - {name: direct, mode: macvtap, interface: eno2}

- name: Apply a changed network even though running guests use it
  hypervisor.kvm.kvm_networks:
    networks:
      - {name: lab, mode: nat, address: 192.168.110.1/24}
    restart_in_use: true
"""

RETURN = r"""
networks:
  description: One entry per network of O(networks), in its order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The network's name.
      type: str
      sample: lab
    steps:
      description:
        - What was done (or, in check mode, would be), in order; empty when nothing had to be.
          C(define), C(destroy) (stop), C(start), C(autostart), C(noautostart), C(undefine).
      type: list
      elements: str
      sample: [define, start, autostart]
    differences:
      description: How the network libvirt held differed from the wanted one, one sentence each.
      type: list
      elements: str
      sample: ["network/ip[@address='192.168.100.1']/@address: '192.168.110.1' wanted, '192.168.100.1' found"]
    guests:
      description: The running guests with an interface on the network.
      type: list
      elements: str
      sample: [web1]
    pending:
      description: Why a change was not made (guests in use), or empty.
      type: str
      sample: ""
problems:
  description: Why the list cannot be applied, one sentence each; only when the module fails on them.
  returned: failure
  type: list
  elements: str
  sample: ["networks[0] lan: the host has no bridge br0 (no such interface). Create it first, ..."]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _networks as networks_plan
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import LibvirtError, Virsh, to_text

SYS_CLASS_NET = "/sys/class/net"
STEP_ARGS = {
    "destroy": ["net-destroy"], "start": ["net-start"], "autostart": ["net-autostart"],
    "noautostart": ["net-autostart", "--disable"], "undefine": ["net-undefine"],
}


def read_host(module, virsh, defined):
    """The host's interfaces (name -> is a bridge), IPv4 addresses, and each defined network's bridge."""
    interfaces = {}
    for name in os.listdir(SYS_CLASS_NET):
        interfaces[name] = os.path.isdir(os.path.join(SYS_CLASS_NET, name, "bridge"))
    addresses = []
    rc, out, dummy = module.run_command(["ip", "-o", "-4", "address", "show"], environ_update={"LC_ALL": "C"})
    if rc == 0:
        for line in out.splitlines():
            fields = line.split()
            if len(fields) >= 4 and fields[2] == "inet":
                addresses.append((fields[1], fields[3]))
    bridges = {}
    for name, found in defined.items():
        bridge = found.find("bridge")
        if bridge is not None and bridge.get("name"):
            bridges[name] = bridge.get("name")
    return {"interfaces": interfaces, "addresses": addresses, "bridges": bridges}


def main():
    network_options = {
        "name": {"type": "str", "required": True},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "mode": {"type": "str", "choices": list(networks_plan.MODES)},
        "bridge": {"type": "str"},
        "interface": {"type": "str"},
        "macvtap_mode": {"type": "str", "choices": list(networks_plan.MACVTAP_MODES), "default": "bridge"},
        "address": {"type": "str"},
        "dhcp": {"type": "bool", "default": True},
        "dhcp_range": {"type": "list", "elements": "str"},
        "autostart": {"type": "bool", "default": True},
    }
    module = AnsibleModule(
        argument_spec={
            "networks": {"type": "list", "elements": "dict", "required": True, "options": network_options,
                         "required_if": [("state", "present", ("mode",))]},
            "restart_in_use": {"type": "bool", "default": False},
            "uri": {"type": "str", "default": "qemu:///system"},
        },
        supports_check_mode=True,
    )
    wanted = module.params["networks"]
    virsh = Virsh(module, module.params["uri"])
    defined = {}
    results = []
    try:
        if virsh.path is not None:
            try:
                names = set(virsh.names("net"))
            except LibvirtError:
                # In check mode before libvirt runs (preflight on a host with only its client), the
                # list is judged alone; otherwise libvirt not answering is the failure.
                if not module.check_mode:
                    raise
                virsh.path = None
                names = set()
            for network in wanted:
                if network["name"] in names:
                    defined[network["name"]] = virsh.definition("net", network["name"])
        host = read_host(module, virsh, defined)
        found_problems = networks_plan.problems(wanted, host)
        if found_problems:
            module.fail_json(msg="The networks cannot be applied, and nothing was changed: %s"
                             % " ".join("%d) %s" % (i + 1, p) for i, p in enumerate(found_problems)),
                             problems=found_problems, networks=[])
        if virsh.path is None:
            if not module.check_mode:
                module.fail_json(msg="virsh is not installed here: install libvirt's client (libvirt-clients, libvirt-client) first.")
            results = [dict(name=n["name"], steps=["define", "start", "autostart"] if n["state"] == "present" else [],
                            differences=[], guests=[], pending="") for n in wanted]
            module.exit_json(changed=any(r["steps"] for r in results), networks=results,
                             msg="libvirt is not installed or not running yet: every network would be defined.")
        diffs = []
        for network in wanted:
            results.append(apply_one(module, virsh, network, defined.get(network["name"]), diffs))
    except LibvirtError as exc:
        module.fail_json(msg="%s." % exc, networks=results)
    result = {"changed": any(r["steps"] for r in results), "networks": results}
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


def apply_one(module, virsh, network, found, diffs):
    """Plan one network, run its steps (none in check mode) and return its result."""
    name = network["name"]
    active = autostart = False
    guests = []
    if found is not None:
        active, autostart = virsh.state("net", name)
        if active:
            guests = virsh.guests_using(name)
    wanted = networks_plan.wanted_xml(network) if network["state"] == "present" else None
    decided = networks_plan.plan(network, found, active, autostart, guests, module.params["restart_in_use"], wanted)
    if decided["pending"]:
        module.warn("Network %s: %s." % (name, decided["pending"]))
    if wanted is not None and found is not None:
        wanted = networks_plan.keep_identity(wanted, found)
    if "define" in decided["steps"] or "undefine" in decided["steps"]:
        diffs.append({
            "before_header": "network %s (libvirt)" % name, "after_header": "network %s (wanted)" % name,
            "before": to_text(found) + "\n" if found is not None else "",
            "after": to_text(wanted) + "\n" if wanted is not None else "",
        })
    if not module.check_mode:
        for step in decided["steps"]:
            if step == "define":
                virsh.must("net-define", "/dev/stdin", data=to_text(wanted))
            else:
                virsh.must(*(STEP_ARGS[step] + [name]))
    return {"name": name, "steps": decided["steps"], "differences": decided["differences"],
            "guests": guests, "pending": decided["pending"]}


if __name__ == "__main__":
    main()
