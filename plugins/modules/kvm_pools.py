#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_pools
short_description: Libvirt storage pools as a list - directory, LVM, NFS and Ceph RBD
version_added: 1.0.0
description:
  - Ensures each pool of O(pools) is defined, built where it needs to be, active and started
    at boot, in one call.
  - Checks the whole list first (names, paths, devices, duplicates) and fails listing every
    problem before anything changes. Then reads every pool from libvirt and the host, and
    again refuses, before any change, a device that is not empty or an active pool whose
    definition would change.
  - An existing pool whose definition differs is not redefined unless O(redefine) or
    O(pools[].redefine) allows it; the differences are returned and warned about. An active
    pool is never redefined.
  - Never removes a pool, never wipes a device (a logical pool is built only on devices with no
    partition table, signature, mount or child).
  - A netfs or rbd pool whose server does not answer is defined and set to autostart, and
    reported with virsh's message as a warning, not a failure.
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads libvirt and the host, returns the actions it would take, changes nothing.
  diff_mode:
    support: full
    details: The definition found and the one wanted, per pool defined or redefined.
  platform:
    platforms: posix
options:
  pools:
    description:
      - The storage pools. Pools of libvirt not listed are left alone.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The pool's name in libvirt, 1 to 64 letters, digits, C(_), C(.), C(+) or C(-), starting
            with a letter or digit. Unique in the list.
        type: str
        required: true
      type:
        description:
          - V(dir) a directory; V(logical) an LVM volume group; V(netfs) an NFS export mounted on
            O(pools[].path); V(rbd) a Ceph RBD pool.
        type: str
        required: true
        choices: [dir, logical, netfs, rbd]
      path:
        description:
          - V(dir) the pool's directory; V(netfs) where the export is mounted. Required for both.
          - An absolute plain path of letters, digits, C(.), C(_), C(-) and C(/), not in
            O(system_dirs). C(pool-build) creates it when missing.
        type: path
      volume_group:
        description:
          - V(logical) the volume group's name; defaults to O(pools[].name).
          - An existing group is used as it is (nothing is built). A group that does not exist is
            created by C(virsh pool-build) on O(pools[].devices).
        type: str
      devices:
        description:
          - V(logical) the block devices to create the volume group on, when it does not exist.
          - Each must be empty; a device with a partition table, a filesystem, RAID or LVM signature
            (C(wipefs --no-act), C(lsblk)), a mount or a child (partition, device-mapper or RAID
            holder) is refused, naming it and what to do. Nothing is ever wiped.
        type: list
        elements: path
      hosts:
        description:
          - V(netfs) the NFS server (exactly one); V(rbd) the Ceph monitors. Names or addresses.
        type: list
        elements: str
      port:
        description:
          - V(rbd) the monitors' port, when not Ceph's default.
        type: int
      source_path:
        description:
          - V(netfs) the exported directory on the server.
        type: str
      format:
        description:
          - V(netfs) the network filesystem; V(auto) lets C(mount) choose.
        type: str
        choices: [nfs, auto]
        default: nfs
      rbd_pool:
        description:
          - V(rbd) the Ceph pool's name; defaults to O(pools[].name).
        type: str
      auth_username:
        description:
          - V(rbd) the Ceph user (without C(client.)); with O(pools[].key).
        type: str
      key:
        description:
          - V(rbd) that user's key, base64 as C(ceph auth get-key client.NAME) prints it. Keep it
            in a vaulted variable.
          - Stored in a libvirt secret (usage C(ceph), name C(hypervisor.kvm pool NAME), private,
            persistent) defined with C(virsh secret-define) and set with C(virsh secret-set-value --file)
            from a private temporary file; it never appears in a command line, a log or the result.
          - libvirt never gives a private value back; a salted SHA-256 of the key in the secret's
            description tells whether it changed, so the value is set again only then.
        type: str
      autostart:
        description:
          - Start the pool when libvirt starts (V(false) turns autostart off).
        type: bool
        default: true
      redefine:
        description:
          - Redefine this pool when it exists with another definition (not while active). Unset,
            O(redefine) decides.
        type: bool
  redefine:
    description:
      - Redefine every listed pool that exists with another definition and is inactive. When
        V(false), the differences are returned and warned about, and the pool is used as it is.
    type: bool
    default: false
  system_dirs:
    description:
      - Directories no pool's path may be, each with C(path), C(below) (V(all), or how many levels
        under it are still refused), C(for) and C(source) for the message. The role
        C(hypervisor.kvm.kvm_host) passes its table C(__kvm_host_system_dirs).
    type: list
    elements: dict
    default: []
  uri:
    description:
      - The libvirt connection; V(test:///default) is libvirt's test driver.
    type: str
    default: qemu:///system
requirements:
  - virsh; C(lsblk) and C(wipefs) (util-linux) for logical pools built on devices; C(vgs) (lvm2) to find volume groups.
seealso:
  - module: hypervisor.kvm.kvm_facts
  - name: libvirt storage pool XML format
    description: What each pool type's definition holds.
    link: https://libvirt.org/formatstorage.html
"""

EXAMPLES = r"""
- name: A directory pool, an LVM pool on an empty disk, an NFS pool and a Ceph pool
  hypervisor.kvm.kvm_pools:
    pools:
      - name: images
        type: dir
        path: /srv/vm-images
      - name: vg_guests
        type: logical
        devices: [/dev/disk/by-id/nvme-Samsung_SSD_980_S64DNX0R123456]
      - name: nfs-images
        type: netfs
        hosts: [nfs1.example.org]
        source_path: /export/vm-images
        path: /srv/nfs-images
      - name: ceph-vms
        type: rbd
        hosts: [mon1.example.org, mon2.example.org, mon3.example.org]
        rbd_pool: vms
        auth_username: libvirt
        key: "{{ vault_ceph_libvirt_key }}"

- name: Use an existing volume group, redefining the pool if it was defined otherwise
  hypervisor.kvm.kvm_pools:
    pools:
      - name: data
        type: logical
        volume_group: vg_data
        redefine: true
  register: kvm_pools

- name: Show what differed
  ansible.builtin.debug:
    msg: "{{ kvm_pools.pools | map(attribute='differences') | list }}"
"""

RETURN = r"""
pools:
  description: One entry per pool asked for, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The pool's name.
      returned: always
      type: str
      sample: images
    type:
      description: Its type.
      returned: always
      type: str
      sample: dir
    changed:
      description: Whether anything was (in check mode, would be) done for it.
      returned: always
      type: bool
      sample: true
    actions:
      description: >-
        What was done (in check mode, what would be), in order: V(secret-define),
        V(secret-set-value), V(define), V(redefine), V(build), V(start), V(autostart), V(no-autostart).
      returned: always
      type: list
      elements: str
      sample: [define, build, start, autostart]
    differences:
      description: How the existing definition differs from the one wanted; empty when it matches or was just defined.
      returned: always
      type: list
      elements: str
      sample: ["pool/target/path: '/srv/a' wanted, '/srv/b' found"]
    state:
      description: >-
        V(active), V(inactive) or V(undefined) after the run; in check mode, as found.
      returned: always
      type: str
      sample: active
    warnings:
      description: What the pool's owner should know (a definition left different, a server that did not answer).
      returned: always
      type: list
      elements: str
      sample: []
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt import LibvirtError, Virsh
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._pools import PoolsError
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._pools_apply import Host, ensure

POOL_OPTIONS = {
    "name": {"type": "str", "required": True},
    "type": {"type": "str", "required": True, "choices": ["dir", "logical", "netfs", "rbd"]},
    "path": {"type": "path"},
    "volume_group": {"type": "str"},
    "devices": {"type": "list", "elements": "path"},
    "hosts": {"type": "list", "elements": "str"},
    "port": {"type": "int"},
    "source_path": {"type": "str"},
    "format": {"type": "str", "choices": ["nfs", "auto"], "default": "nfs"},
    "rbd_pool": {"type": "str"},
    "auth_username": {"type": "str"},
    "key": {"type": "str", "no_log": True},
    "autostart": {"type": "bool", "default": True},
    "redefine": {"type": "bool"},
}

ARGUMENT_SPEC = {
    "pools": {
        "type": "list", "elements": "dict", "required": True, "options": POOL_OPTIONS,
        "required_if": [("type", "dir", ("path",)), ("type", "netfs", ("path", "hosts", "source_path")),
                        ("type", "rbd", ("hosts",))],
        "required_together": [("auth_username", "key")],
        "mutually_exclusive": [("path", "volume_group"), ("path", "rbd_pool")],
    },
    "redefine": {"type": "bool", "default": False},
    "system_dirs": {"type": "list", "elements": "dict", "default": []},
    "uri": {"type": "str", "default": "qemu:///system"},
}


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    # format has a default for every type; only netfs takes it.
    pools = [dict(pool, format=pool["format"] if pool["type"] == "netfs" else None) for pool in module.params["pools"]]
    try:
        result, errors = ensure(Virsh(module, module.params["uri"]), Host(module), dict(module.params, pools=pools),
                                module.check_mode, module.tmpdir)
    except (PoolsError, LibvirtError) as exc:
        module.fail_json(msg="Cannot make the storage pools: %s" % exc, problems=getattr(exc, "problems", [str(exc)]))
    for pool in result["pools"]:
        for warning in pool["warnings"]:
            module.warn(warning)
    if not module._diff:
        del result["diff"]
    if errors:
        module.fail_json(msg="Storage pools: %d failed: %s" % (len(errors), " ".join(errors)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
