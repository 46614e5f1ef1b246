# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fleets that exist only as an inventory and a jsonfile fact cache, for the report from cache.

The cache is written by Ansible's own jsonfile cache plugin (so its file format is Ansible's,
whatever the version), the inventory as YAML. The report playbook run with
kvm_report_from_cache=true then reads them as it would read a cache that AWX's fact storage or
sliced jobs filled. Also: the play of the same shape that does no work, for bench-fleet.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import subprocess
import sys
import time

BIN = pathlib.Path(sys.executable).parent
ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "unit" / "fixtures"

# One skipped task per host, then one file written once on the controller: the report's shape
# with nothing gathered, shaped or rendered.
NO_WORK_PLAYBOOK = """---
- name: Do nothing on every host, then write one file once
  hosts: all
  gather_facts: false
  tasks:
    - name: Skip on every host
      ansible.builtin.debug:
        msg: never
      when: false
    - name: Write one file on the controller, once
      run_once: true
      delegate_to: localhost
      ansible.builtin.copy:
        content: "{{ ansible_play_hosts_all | length }}\\n"
        dest: "{{ out }}/hosts.txt"
        mode: "0644"
"""


def import_collection():
    """Make ``ansible_collections.hypervisor.kvm`` importable, from where Ansible is told to find it."""
    for path in reversed(os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep)):
        if path and path not in sys.path:
            sys.path.insert(0, path)


# The least a play over every host costs: no per-host task, one file written once. The report
# from cache has this shape (its gathering play is skipped as a whole).
RUN_ONCE_PLAYBOOK = """---
- name: Write one file on the controller, once
  hosts: all
  gather_facts: false
  tasks:
    - name: Write one file on the controller, once
      run_once: true
      delegate_to: localhost
      ansible.builtin.copy:
        content: "{{ ansible_play_hosts_all | length }}\\n"
        dest: "{{ out }}/hosts.txt"
        mode: "0644"
"""


def captured_facts():
    """The kvm facts of every captured host (tests/unit/fixtures), by case name."""
    import_collection()
    from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather  # pylint: disable=import-outside-toplevel
    return {p.name: gather(str(p / "root")) for p in sorted(FIXTURES.iterdir()) if (p / "root").is_dir()}


def host_name(index):
    return "host-%05d" % (index + 1)


@functools.cache
def _cache_loader():
    from ansible.plugins.loader import cache_loader, init_plugin_loader  # pylint: disable=import-outside-toplevel
    init_plugin_loader()
    return cache_loader


def write_cache(directory, facts_by_host):
    """Store ``{host: kvm facts or a hostile value}`` as ``ansible_facts['kvm']`` in a jsonfile cache."""
    cache = _cache_loader().get("ansible.builtin.jsonfile", _uri=str(directory))
    for host, facts in facts_by_host.items():
        cache.set(host, {"kvm": facts})


def write_inventory(path, hosts, per_host=None, **host_vars):
    """A YAML inventory of ``hosts`` (names), every one with ``host_vars``, and ``per_host`` {name: {var: value}}
    for some; never connected to from cache."""
    per_host = per_host or {}
    lines = ["---", "all:", "  vars:"]
    lines += ["    %s: %s" % (k, json.dumps(v)) for k, v in dict(ansible_connection="local", **host_vars).items()]
    lines.append("  hosts:")
    lines += ["    %s:%s" % (json.dumps(h), " " + json.dumps(per_host[h]) if h in per_host else "") for h in hosts]
    pathlib.Path(path).write_text("\n".join(lines) + "\n")


def environment(cache, **extra):
    """The environment for ansible-playbook reading (and writing) the jsonfile cache ``cache``."""
    env = dict(os.environ)
    env.update(ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=str(cache), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_RETRY_FILES_ENABLED="False",
               ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"), ANSIBLE_GATHERING="explicit")
    env.update({k: str(v) for k, v in extra.items()})
    return env


def playbook(env, *args, timeout=3600):
    """Run ansible-playbook; (return code, stdout and stderr, seconds)."""
    start = time.monotonic()
    proc = subprocess.run([str(BIN / "ansible-playbook")] + [str(a) for a in args], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start
