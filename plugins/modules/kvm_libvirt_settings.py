#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_libvirt_settings
short_description: Set keys of a libvirt configuration file, checked against libvirt's own Augeas lens
version_added: 1.0.0
description:
  - Sets keys of one libvirt daemon configuration file (C(/etc/libvirt/libvirtd.conf),
    C(/etc/libvirt/virtqemud.conf), C(/etc/libvirt/qemu.conf), ...) to the values of O(settings),
    each exactly once, and changes no other line.
  - The keys and their types are those of the Augeas lens libvirt installs with the daemon
    (O(lens)), read on the host, so they are those of the libvirt version installed there. A key
    the lens does not declare is refused with the closest known keys, or with the whole list.
    Every problem is reported at once and nothing is written while there is one.
  - The first uncommented assignment of a key is replaced in place when its value differs (a list
    written over several lines becomes one line); a later assignment of the same key, which
    libvirt ignores, is commented out; a key that is not assigned is appended at the end of the
    file under a comment line that names this module. Commented defaults stay as documentation.
  - Values are written as libvirt's parser reads them (C(src/util/virconf.c)) - booleans as
    V(0) or V(1), integers as digits, strings in double quotes as they are (libvirt knows no
    escape sequence, so a backslash is written as one backslash), lists as C(["a", "b"]). A string
    holding a double quote, a newline, a carriage return or a NUL cannot be written and is refused.
  - The module does not restart the daemon; notify a handler, which runs only when the task reports C(changed).
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
options:
  path:
    description:
      - The configuration file to edit. It must exist (libvirt's packages install it) and be a
        regular file of at most 10 MiB, libvirt's own limit for a configuration file.
    type: path
    required: true
  lens:
    description:
      - libvirt's Augeas lens for O(path), which declares its keys and their types.
      - V(/usr/share/augeas/lenses/libvirtd.aug) for C(libvirtd.conf),
        V(/usr/share/augeas/lenses/virtqemud.aug) for C(virtqemud.conf),
        V(/usr/share/augeas/lenses/libvirtd_qemu.aug) for C(qemu.conf). On Debian they come with
        the packages C(libvirt-daemon) and C(libvirt-daemon-driver-qemu).
      - When it is missing the module fails and writes nothing; it does not guess which keys the
        installed libvirt knows.
    type: path
    required: true
  settings:
    description:
      - The keys to set and their values.
      - A key the lens declares with C(bool_entry) takes V(true)/V(false) (also V(0)/V(1), V(yes)/V(no),
        V(on)/V(off)) and is written V(1) or V(0); C(int_entry) an integer (or a string of digits);
        C(str_entry) a string (an integer is written as its digits, for keys such as C(tcp_port));
        C(str_array_entry) a list of strings; C(limits_entry) an integer or V(unlimited).
    type: dict
    required: true
  backup:
    description:
      - Keep a copy of the file, with a timestamp in its name, before changing it.
    type: bool
    default: false
notes:
  - Only the daemon reads its file, at start; restarting C(libvirtd) or C(virtqemud) does not stop
    running guests.
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
  - name: libvirt daemon configuration
    description: libvirtd.conf and virtqemud.conf, the keys documented in the shipped files.
    link: https://libvirt.org/daemons.html
"""

EXAMPLES = r"""
- name: Log the QEMU driver at warning level and keep guests' memory out of core dumps
  hypervisor.kvm.kvm_libvirt_settings:
    path: /etc/libvirt/libvirtd.conf
    lens: /usr/share/augeas/lenses/libvirtd.aug
    settings:
      log_level: 3
      log_outputs: "3:journald"
    backup: true
  notify: Restart libvirtd

- name: Let QEMU guests use a larger core limit and a restricted device list
  hypervisor.kvm.kvm_libvirt_settings:
    path: /etc/libvirt/qemu.conf
    lens: /usr/share/augeas/lenses/libvirtd_qemu.aug
    settings:
      max_core: unlimited
      dump_guest_core: false
      cgroup_device_acl: [/dev/null, /dev/full, /dev/zero, /dev/random, /dev/urandom, /dev/ptmx, /dev/kvm]
  register: qemu_conf

- name: Show what changed
  ansible.builtin.debug:
    msg: "{{ item.key }}: {{ item.before }} -> {{ item.after }}"
  loop: "{{ qemu_conf.changes }}"
"""

RETURN = r"""
changed_keys:
  description: The keys whose line changed (replaced, appended, or with duplicates commented out), in the order given.
  returned: always
  type: list
  elements: str
  sample: [log_level, max_core]
changes:
  description: What changed for each key of RV(changed_keys), old and new line.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: The key.
      type: str
      sample: log_level
    action:
      description: V(replaced) (its first assignment was rewritten or left) or V(appended) (it was not assigned).
      type: str
      sample: replaced
    before:
      description: The assignment as it was (all its lines for a list over several lines), or V(null) when appended.
      type: str
      sample: "log_level = 2"
    after:
      description: The assignment as written.
      type: str
      sample: "log_level = 3"
    commented:
      description: Later assignments of the key, which libvirt ignored, now commented out.
      type: list
      elements: str
      sample: []
  sample: [{"key": "log_level", "action": "replaced", "before": "log_level = 2", "after": "log_level = 3", "commented": []}]
backup_file:
  description: The copy of the file made before the change.
  returned: when O(backup) is true and the file changed
  type: str
  sample: /etc/libvirt/qemu.conf.12345.2025-01-01@10:00:00~
msg:
  description: One line per changed key, old to new, or that nothing changed.
  returned: always
  type: str
  sample: "/etc/libvirt/libvirtd.conf: log_level = 2 -> log_level = 3"
problems:
  description: Every setting refused, each naming its key, when the module fails on them.
  returned: failure on the settings
  type: list
  elements: str
  sample: ["listen_tsl is not a key libvirt knows here; did you mean listen_tls? The 49 keys are those of /usr/share/augeas/lenses/libvirtd.aug"]
known_keys:
  description: Every key the lens declares, with its kind (str, bool, int, str_list, limits), when a key was refused.
  returned: failure on the settings
  type: dict
  sample: {"listen_tls": "bool", "listen_addr": "str"}
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native

from ansible_collections.hypervisor.kvm.plugins.module_utils.setup._libvirt_conf import (
    ConfSyntaxError, LensError, SettingsError, apply_settings, parse_lens, validate_settings)

# libvirt reads at most 10 MiB of a configuration file (MAX_CONFIG_FILE_SIZE, src/util/virconf.c).
CONF_LIMIT = 10 * 1024 * 1024
LENS_LIMIT = 1024 * 1024


def read_text(path, limit):
    """The text of the regular file ``path`` (not followed through a final link, not blocking),
    at most ``limit`` bytes; OSError or ValueError saying why not."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ValueError("it is not a regular file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError("it is larger than %d bytes" % limit)
    return data.decode("utf-8", "surrogateescape")


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "lens": {"type": "path", "required": True},
            "settings": {"type": "dict", "required": True},
            "backup": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    path, lens_path = module.params["path"], module.params["lens"]
    try:
        lens = parse_lens(read_text(lens_path, LENS_LIMIT))
    except (OSError, ValueError, LensError) as exc:
        module.fail_json(msg="Cannot read libvirt's Augeas lens %s, which says which keys the installed libvirt knows: %s. "
                             "Nothing was written. What to do: install the libvirt package that ships it (the daemon's), "
                             "or point lens at the right file." % (lens_path, to_native(exc)))
    try:
        wanted = validate_settings(module.params["settings"], lens, lens_path)
    except SettingsError as exc:
        module.fail_json(msg="Refused settings for %s, nothing was written: %s." % (path, "; ".join(exc.problems)),
                         problems=exc.problems, known_keys=lens["keys"])
    try:
        before = read_text(path, CONF_LIMIT)
        after, changes = apply_settings(before, wanted)
    except (OSError, ValueError, ConfSyntaxError) as exc:
        module.fail_json(msg="Cannot set keys in %s: %s. Nothing was written. What to do: fix the file so that "
                             "libvirt reads it (libvirtd and virtqemud refuse to start otherwise), then run again." % (path, to_native(exc)))
    result = {
        "changed": bool(changes),
        "changed_keys": [change["key"] for change in changes],
        "changes": changes,
        "msg": "\n".join("%s: %s -> %s" % (path, change["before"], change["after"]) for change in changes)
               or "%s: every key already set" % path,
    }
    if module._diff:
        result["diff"] = {"before": before, "after": after, "before_header": path, "after_header": path}
    if changes and not module.check_mode:
        if module.params["backup"]:
            result["backup_file"] = module.backup_local(path)
        handle, temporary = tempfile.mkstemp(prefix=".ansible_tmp", dir=os.path.dirname(path))
        with os.fdopen(handle, "wb") as out:
            out.write(to_bytes(after, errors="surrogate_or_strict"))
        # atomic_move gives the new file the old one's owner, mode and SELinux context.
        module.atomic_move(temporary, path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
