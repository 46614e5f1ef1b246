# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The role kvm_host on every distribution it accepts, without booting them (issue 9).

Each system of distributions.yml becomes a fake host (connection local, gather_facts false)
whose `setup` facts are that system's recorded ones. One ansible-playbook run feeds them to the
role's own roles/kvm_host/tasks/set_vars.yml and reports what it resolved: the packages the
install step asks for, the libvirt daemon set `auto` picks, its units, and the problems that
stop the role. The test compares them with the expected values of distributions.yml, each of
which names the packaging it was checked against.

A second run (issue 17) takes the role's whole preflight through the values distributions.yml
lists under `preflight`, with hypervisor.kvm.kvm_facts replaced by a stub that says KVM is
usable (a copy of the collection whose module is the stub), and the pool phase against an
existing pool (`existing_pool`) with a fake virsh first on PATH. Preflight only reads the
host; the pool phase is given a pool that is running and autostarted, so it defines nothing.
"""

import atexit
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

import pytest
import yaml

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parents[2]
MATRIX = yaml.safe_load((HERE / "distributions.yml").read_text(encoding="utf-8"))

PLAYBOOK = """
- name: Resolve the role's variables from each system's recorded facts
  hosts: systems
  gather_facts: false
  # Every host runs on its own: nothing waits for the slowest at each task.
  strategy: ansible.builtin.free
  tasks:
    - name: Take the recorded setup facts of this system
      ansible.builtin.set_fact:
        distribution: "{{ recorded['distribution'] }}"
        distribution_version: "{{ recorded['distribution_version'] }}"
        distribution_major_version: "{{ recorded['distribution_major_version'] }}"
        os_family: "{{ recorded['os_family'] }}"
        pkg_mgr: "{{ recorded['pkg_mgr'] }}"
        service_mgr: "{{ recorded['service_mgr'] }}"
        architecture: "{{ recorded['architecture'] }}"
        # kvm_facts reports the architecture as the kernel names it, as setup does.
        kvm: {arch: "{{ recorded['architecture'] }}"}
        cacheable: true

    - name: Run the role's variable resolution
      ansible.builtin.include_role:
        name: hypervisor.kvm.kvm_host
        tasks_from: set_vars.yml
        public: true

    - name: Keep what it resolved
      ansible.builtin.set_fact:
        resolved:
          supported: "{{ __kvm_host_os_supported }}"
          problems: "{{ __kvm_host_os_problems }}"
          daemon: "{{ __kvm_host_libvirt_daemon_default if __kvm_host_os_supported else none }}"
          packages: >-
            {{ (__kvm_host_install_packages
                + __kvm_host_libvirt_daemon_packages[__kvm_host_libvirt_daemon_default] | default([]))
               if __kvm_host_os_supported else [] }}
          units: "{{ __kvm_host_libvirt_os_units[__kvm_host_libvirt_daemon_default] if __kvm_host_os_supported else {} }}"
          dnf_modules: "{{ __kvm_host_dnf_modules | default([]) }}"
          dnf5_binding: >-
            {{ __kvm_host_dnf5_binding_package | default('')
               if ansible_facts['pkg_mgr'] == 'dnf5' else '' }}
          modules: "{{ __kvm_host_modules_required | default([]) }}"
          packaged: "{{ __kvm_host_libvirt_daemons_packaged | default([]) }}"
          ansible_core: "{{ ansible_version['full'] }}"
          daemon_packages: "{{ __kvm_host_libvirt_daemon_packages | default({}) }}"
          pool_packages: "{{ __kvm_host_pool_packages | default({}) if __kvm_host_os_supported else {} }}"
          boot: "{{ __kvm_host_boot | default({}) if __kvm_host_os_supported else {} }}"
          initramfs: "{{ __kvm_host_initramfs | default({}) if __kvm_host_os_supported else {} }}"

- name: Write every system's result where the test reads it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the results
      ansible.builtin.copy:
        content: "{{ dict(groups['systems'] | zip(groups['systems'] | map('extract', hostvars, 'resolved'))) | to_nice_json }}"
        dest: "{{ results_file }}"
        mode: "0644"
"""


def _rows():
    rows = []
    for group in ("systems", "unsupported", "collection_missing"):
        for index, row in enumerate(MATRIX[group]):
            rows.append(("%s-%d" % (group, index), group, row))
    return rows


ROWS = _rows()


def _version(text):
    """'2.19.14' as (2, 19), to compare ansible-core releases."""
    return tuple(int(part) for part in text.split(".")[:2])


@pytest.fixture(scope="module")
def resolved(tmp_path_factory):
    """Run the playbook once for every row; return {host: what set_vars.yml resolved}."""
    ansible_playbook = shutil.which("ansible-playbook", path=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if ansible_playbook is None:
        pytest.skip("ansible-playbook is not installed next to this Python or on PATH")
    work = tmp_path_factory.mktemp("distributions")
    # The checkout seen as the collection hypervisor.kvm, so the role's FQCN resolves.
    namespace = work / "collections" / "ansible_collections" / "hypervisor"
    namespace.mkdir(parents=True)
    (namespace / "kvm").symlink_to(ROOT, target_is_directory=True)
    # Whether the controller has community.general is the controller's, not a host's: one run
    # with a stand-in for it, one without it for the rows that must be told to install it and
    # for every supported system again (WITHOUT_GENERAL + its name), which must not be.
    with_general = _stub_community_general(work / "with_general")
    playbook = work / "playbook.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    results = {}
    for name, groups, collections in (
            ("with_general", {"systems": "", "unsupported": ""}, [work / "collections", with_general]),
            ("without_general", {"collection_missing": "", "systems": WITHOUT_GENERAL}, [work / "collections"])):
        hosts = {}
        for host, group, row in ROWS:
            if group in groups:
                hosts[groups[group] + host] = {"ansible_connection": "local", "recorded": row["facts"]}
        inventory = work / ("%s.yml" % name)
        inventory.write_text(yaml.safe_dump({"systems": {"hosts": hosts}}), encoding="utf-8")
        results_file = work / ("%s.json" % name)
        _play(ansible_playbook, work, os.pathsep.join(map(str, collections)), inventory, playbook, results_file)
        results.update(json.loads(results_file.read_text(encoding="utf-8")))
    return results


WITHOUT_GENERAL = "without-general-"


def _stub_community_general(root):
    """A collections path holding a stand-in community.general with the zypper and pacman modules."""
    modules = root / "ansible_collections" / "community" / "general" / "plugins" / "modules"
    modules.mkdir(parents=True)
    (modules.parent.parent / "MANIFEST.json").write_text(
        json.dumps({"collection_info": {"namespace": "community", "name": "general", "version": "8.0.0"}}), encoding="utf-8")
    for name in ("zypper", "pacman"):
        (modules / ("%s.py" % name)).write_text("# A stand-in: the role only asks whether it is found.\n", encoding="utf-8")
    return root


def _play(ansible_playbook, work, collections, inventory, playbook, results_file, **env):
    """Run ``playbook`` against ``inventory`` (50 forks, this Python on every host); the finished run."""
    # Only the collections given: not the `ansible` package's, should the controller Python have it.
    environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
                       ANSIBLE_LOCALHOST_WARNING="false",
                       ANSIBLE_FORKS="50", ANSIBLE_NOCOLOR="1", **env)
    completed = subprocess.run(
        [ansible_playbook, "-i", str(inventory), str(playbook),
         "-e", "ansible_python_interpreter=%s" % sys.executable,
         "-e", "results_file=%s" % results_file],
        cwd=str(work), env=environment, capture_output=True, text=True, timeout=300, check=False,
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-4000:]
    return completed


@pytest.mark.parametrize("host,row", [(h, r) for h, g, r in ROWS if g == "systems"], ids=lambda v: v if isinstance(v, str) else v["name"])
def test_supported_system_resolves_to_its_packaging(resolved, host, row):
    got = resolved[host]
    want = MATRIX["expected"][row["expect"]]
    assert got["supported"] is True, got["problems"]
    if "ansible_core_before" in want and _version(got["ansible_core"]) >= _version(want["ansible_core_before"]):
        # This controller's ansible-core cannot drive the distribution's package manager.
        assert len(got["problems"]) == 1, got["problems"]
        assert "ansible-core<%s" % want["ansible_core_before"] in got["problems"][0]
    else:
        assert got["problems"] == []
    assert got["daemon"] == want["daemon"], want["source"]
    assert got["packages"] == want["packages"], want["source"]
    assert got["units"]["services"] == want["services"], want["source"]
    if "sockets" in want:
        assert got["units"]["sockets"] == want["sockets"], want["source"]
    # Every service of the set comes with its sockets, and nothing of the other set does.
    for service in got["units"]["services"]:
        assert service.replace(".service", ".socket") in got["units"]["sockets"]
    other = "virt" if want["daemon"] == "monolithic" else "libvirtd"
    assert not [unit for unit in got["units"]["sockets"] if unit.startswith(other)]
    assert got["dnf_modules"] == want.get("dnf_modules", []), want["source"]
    assert got["dnf5_binding"] == want.get("dnf5_binding", ""), want["source"]
    assert got["modules"] == want.get("modules", []), want["source"]
    assert want["daemon"] in got["packaged"]
    if row["facts"]["pkg_mgr"] in ("dnf", "dnf5", "zypper"):
        # RPM packaging of libvirt >= 9 only recommends libvirtd where it builds modular
        # daemons: choosing monolithic must ask for the package that holds libvirtd.service.
        assert "libvirt-daemon" in got["daemon_packages"]["monolithic"]
    # Every pool type of kvm_host_pools has its packages named (the install phase looks each up);
    # LVM's tools and an NFS client are what the logical and netfs backends run everywhere.
    assert sorted(got["pool_packages"]) == ["dir", "logical", "netfs", "rbd"]
    assert "lvm2" in got["pool_packages"]["logical"] and got["pool_packages"]["netfs"]
    # kvm_host_iommu and kvm_host_vfio_devices: how this system takes kernel parameters and
    # which initramfs generator gets vfio-pci, each command run as the system's packaging ships it.
    assert got["boot"]["method"] == want["boot"]["method"], want["boot"]["source"]
    assert got["boot"]["update"] == want["boot"]["update"], want["boot"]["source"]
    assert got["boot"]["tool"] == want["boot"]["tool"], want["boot"]["source"]
    assert got["initramfs"]["kind"] == want["initramfs"]["kind"], want["initramfs"]["source"]
    assert got["initramfs"]["update"] == want["initramfs"]["update"], want["initramfs"]["source"]
    if got["boot"]["update"]:
        # The command that applies the parameters is the tool preflight looks for.
        assert got["boot"]["tool"].rsplit("/", 1)[1] == got["boot"]["update"][0]
    if row["facts"]["pkg_mgr"] == "apt":
        # Debian and Ubuntu build no modular daemons: preflight refuses kvm_host_libvirt_daemon=modular.
        assert got["packaged"] == ["monolithic"]


@pytest.mark.parametrize("host,row", [(h, r) for h, g, r in ROWS if g == "systems" and r["name"].startswith("Debian")],
                         ids=lambda v: v if isinstance(v, str) else v["name"])
def test_debian_gets_the_lvm_backend_where_libvirt_ships_it_apart(resolved, host, row):
    # Debian 13's libvirt (11.3.0) has the logical backend in a package of its own; Debian 12's
    # (9.0.0) has it in libvirt-daemon, where no such package exists (vars/Debian_13.yml).
    apart = "libvirt-daemon-driver-storage-logical" in resolved[host]["pool_packages"]["logical"]
    assert apart is (row["facts"]["distribution_major_version"] == "13"), row["name"]


@pytest.mark.parametrize("host,row", [(h, r) for h, g, r in ROWS if g == "unsupported"], ids=lambda v: v if isinstance(v, str) else v["name"])
def test_unsupported_system_is_refused_with_the_supported_list(resolved, host, row):
    got = resolved[host]
    assert got["supported"] is False
    assert len(got["problems"]) == 1
    problem = got["problems"][0]
    assert row["problem"] in problem
    # The list of what is supported is generated from vars/os_support.yml, all of it.
    for label in ("Debian 12, 13", "Ubuntu 22.04, 24.04", "8, 9, 10", "Fedora 41 or later", "Tumbleweed", "Arch Linux"):
        assert label in problem
    assert "What to do:" in problem
    assert got["packages"] == []


@pytest.mark.parametrize("host,row", [(h, r) for h, g, r in ROWS if g == "collection_missing"], ids=lambda v: v if isinstance(v, str) else v["name"])
def test_missing_controller_collection_is_named_before_anything_changes(resolved, host, row):
    got = resolved[host]
    assert got["supported"] is True
    assert len(got["problems"]) == 1
    assert "community.general" in got["problems"][0]
    assert row["problem"] in got["problems"][0]


@pytest.mark.parametrize("host,row", [(h, r) for h, g, r in ROWS if g == "systems"], ids=lambda v: v if isinstance(v, str) else v["name"])
def test_controller_without_community_general_is_told_only_where_the_host_needs_it(resolved, host, row):
    """community.general is no dependency: a Debian host needs ansible-core alone, an openSUSE host names it."""
    with_it, without_it = resolved[host], resolved[WITHOUT_GENERAL + host]
    named = [problem for problem in without_it["problems"] if "community.general" in problem]
    if without_it["modules"]:
        assert all(module.startswith("community.general.") for module in without_it["modules"])
        assert len(named) == 1 and "ansible-galaxy collection install community.general" in named[0]
        assert without_it["problems"] == with_it["problems"] + named
    else:
        assert without_it["problems"] == with_it["problems"]


def test_every_supported_row_of_the_role_table_is_in_the_matrix():
    """A distribution added to vars/os_support.yml without a matrix row fails here."""
    table = yaml.safe_load((ROOT / "roles" / "kvm_host" / "vars" / "os_support.yml").read_text(encoding="utf-8"))
    tested = {row["facts"]["distribution"] for row in MATRIX["systems"]}
    for support in table["__kvm_host_os_support"]:
        assert set(support["distributions"]) & tested, support["label"]


# --- Preflight and the pool phase (issue 17) ----------------------------------------------

SYSTEMS = {row["name"]: row for row in MATRIX["systems"]}

PREFLIGHT_PLAYBOOK = """
- name: Run the role's preflight on each case
  hosts: preflight
  gather_facts: false
  strategy: ansible.builtin.free
  module_defaults:
    # The stub's options: the architecture it reports, the recorded system's, where a case sets
    # the vendor module's nested option, and other facts a case has the host return.
    hypervisor.kvm.kvm_facts:
      arch: "{{ recorded['architecture'] }}"
      nested_set_by: "{{ nested_set_by | default([]) }}"
      extra_facts: "{{ extra_facts | default({}) }}"
  tasks:
    - name: Take the recorded setup facts of this system
      ansible.builtin.set_fact:
        distribution: "{{ recorded['distribution'] }}"
        distribution_version: "{{ recorded['distribution_version'] }}"
        distribution_major_version: "{{ recorded['distribution_major_version'] }}"
        os_family: "{{ recorded['os_family'] }}"
        pkg_mgr: "{{ recorded['pkg_mgr'] }}"
        service_mgr: "{{ recorded['service_mgr'] }}"
        architecture: "{{ recorded['architecture'] }}"
        cacheable: true

    - name: Run preflight and keep its verdict
      block:
        - name: Run the role's preflight
          ansible.builtin.include_role:
            name: hypervisor.kvm.kvm_host
            tasks_from: preflight.yml

        - name: Keep what preflight decided
          ansible.builtin.set_fact:
            outcome:
              failed_task: null
              message: null
              problems: "{{ __kvm_host_problems }}"
              found: "{{ __kvm_host_users_found }}"
      rescue:
        - name: Keep the failure
          ansible.builtin.set_fact:
            outcome:
              failed_task: "{{ ansible_failed_task['name'] }}"
              message: "{{ ansible_failed_result['msg'] }}"
              problems: "{{ __kvm_host_problems | default(none) }}"
              found: null

- name: Run the role's pool phase against an existing default pool
  hosts: pools
  gather_facts: false
  strategy: ansible.builtin.free
  environment:
    PATH: "{{ fake_bin }}:{{ lookup('ansible.builtin.env', 'PATH') }}"
    KVM_HOST_TEST_POOL_PATH: "{{ existing_pool_path }}"
  tasks:
    - name: Run the role's pool phase
      ansible.builtin.include_role:
        name: hypervisor.kvm.kvm_host
        tasks_from: pool.yml

    - name: Keep what it decided
      ansible.builtin.set_fact:
        outcome:
          path: "{{ __kvm_host_pool_path }}"
          refusal: "{{ __kvm_host_pool_path_refusal }}"
          # The SELinux and AppArmor steps begin by looking for them.
          labels: "{{ __kvm_host_lsm is not skipped }}"
          # Whether the pool phase ran realpath itself rather than take preflight's answer.
          resolved_again: "{{ __kvm_host_pool_path_resolved is not skipped }}"

- name: Write every case's result where the test reads it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Write the results
      ansible.builtin.copy:
        content: >-
          {{ dict((groups['preflight'] + groups['pools'])
                  | zip((groups['preflight'] + groups['pools']) | map('extract', hostvars, 'outcome'))) | to_nice_json }}
        dest: "{{ results_file }}"
        mode: "0644"
"""

# What kvm_facts says on a host where KVM works; only the architecture changes.
STUB_KVM_FACTS = textwrap.dedent("""\
    #!/usr/bin/python
    # A stand-in for hypervisor.kvm.kvm_facts: KVM usable, nothing read from this machine.
    from ansible.module_utils.basic import AnsibleModule


    def main():
        module = AnsibleModule(argument_spec={"arch": {"type": "str", "default": "x86_64"},
                                              "nested_set_by": {"type": "list", "elements": "str", "default": []},
                                              "extra_facts": {"type": "dict", "default": {}}},
                               supports_check_mode=True)
        arch = module.params["arch"]
        vendor = "kvm_intel" if arch in ("x86_64", "i386", "i686") else None
        module.exit_json(changed=False, ansible_facts=dict({"kvm": {
            "usable": True, "reason": "ok", "arch": arch, "vendor_module": vendor,
            "modules": ["kvm"] + ([vendor] if vendor else []), "remediation": "", "evidence": [],
            "nested": {"enabled": None, "module": vendor, "set_by": module.params["nested_set_by"]},
        }}, **module.params["extra_facts"]))


    if __name__ == "__main__":
        main()
    """)

# virsh for a `default` pool that exists, runs and autostarts, in the directory
# $KVM_HOST_TEST_POOL_PATH; any other command fails, so a change would show.
FAKE_VIRSH = textwrap.dedent("""\
    #!/bin/sh
    shift 2  # --connect qemu:///system
    case "$1 $2" in
      "pool-info default") printf 'Name:           default\\nState:          running\\nAutostart:      yes\\n' ;;
      "pool-dumpxml default")
        printf '<pool type="dir">\\n  <name>default</name>\\n  <target>\\n'
        printf '    <path>%s</path>\\n  </target>\\n</pool>\\n' "$KVM_HOST_TEST_POOL_PATH" ;;
      *) echo "fake virsh: unexpected $*" >&2; exit 3 ;;
    esac
    """)

# The failure preflight ends with, when it found problems.
PREFLIGHT_STOP = "Stop when the host cannot become a KVM host"


_LINKS = []


def _links():
    """A directory with to-etc -> /etc and to-images, where no system directory holds it: under
    /srv (the role refuses /tmp as a whole, and a checkout may be anywhere), removed at exit."""
    if not _LINKS:
        links = pathlib.Path(tempfile.mkdtemp(prefix="hypervisor-kvm-test-links.", dir="/srv"))
        atexit.register(shutil.rmtree, str(links), True)
        (links / "images").mkdir()
        (links / "to-etc").symlink_to(pathlib.Path("/etc"))
        (links / "to-images").symlink_to(links / "images")
        _LINKS.append(str(links))
    return _LINKS[0]


def _with_links(value):
    """The value of distributions.yml with "@LINKS@" replaced by the links' directory."""
    if isinstance(value, str):
        return value.replace("@LINKS@", _links())
    if isinstance(value, list):
        return [_with_links(item) for item in value]
    if isinstance(value, dict):
        return {key: _with_links(item) for key, item in value.items()}
    return value


def _stub_collection(work):
    """The checkout as hypervisor.kvm, each entry a link to it but kvm_facts, which is the stub."""
    collection = work / "collections" / "ansible_collections" / "hypervisor" / "kvm"
    modules = collection / "plugins" / "modules"
    modules.mkdir(parents=True)
    for entry in ROOT.iterdir():
        if entry.name not in ("plugins", ".git", ".venv", ".cache"):
            (collection / entry.name).symlink_to(entry)
    for entry in (ROOT / "plugins").iterdir():
        if entry.name != "modules":
            (collection / "plugins" / entry.name).symlink_to(entry)
    for entry in (ROOT / "plugins" / "modules").iterdir():
        if entry.name != "kvm_facts.py":
            (modules / entry.name).symlink_to(entry)
    (modules / "kvm_facts.py").write_text(STUB_KVM_FACTS, encoding="utf-8")
    return work / "collections"


@pytest.fixture(scope="module")
def preflight(tmp_path_factory):
    """Run every preflight and existing-pool case; return ({host: outcome}, {host: changed count})."""
    ansible_playbook = shutil.which("ansible-playbook", path=os.pathsep.join([str(pathlib.Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if ansible_playbook is None:
        pytest.skip("ansible-playbook is not installed next to this Python or on PATH")
    work = tmp_path_factory.mktemp("preflight")
    collections = _stub_collection(work)
    fake_bin = work / "bin"
    fake_bin.mkdir()
    (fake_bin / "virsh").write_text(FAKE_VIRSH, encoding="utf-8")
    (fake_bin / "virsh").chmod(0o755)
    # openSUSE and Arch need community.general on the controller: a stand-in for it.
    with_general = _stub_community_general(work / "with_general")

    preflight_hosts = {}
    for index, case in enumerate(MATRIX["preflight"]):
        host_vars = {"kvm_host_default_network": False}
        host_vars.update(_with_links(case["vars"]))
        host_vars.update({
            "ansible_connection": "local",
            "recorded": SYSTEMS[case["system"]]["facts"],
        })
        preflight_hosts["preflight-%d" % index] = host_vars
    pool_hosts = {}
    for index, case in enumerate(MATRIX["existing_pool"]):
        host_vars = {"ansible_connection": "local", "existing_pool_path": _with_links(case["path"]), "fake_bin": str(fake_bin)}
        if "preflight_answer" in case:
            # What preflight's one realpath answered for kvm_host_default_pool_path, NUL-terminated.
            host_vars["kvm_host_default_pool_path"] = _with_links(case.get("preflight_path", case["path"]))
            host_vars["__kvm_host_pool_dirs_realpath"] = {"rc": 0, "stdout": _with_links(case["preflight_answer"]) + "\0"}
        if case.get("installed"):
            host_vars["__kvm_host_install_result"] = {"changed": True}
        pool_hosts["pool-%d" % index] = host_vars
    inventory = work / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"preflight": {"hosts": preflight_hosts}, "pools": {"hosts": pool_hosts}}), encoding="utf-8")
    playbook = work / "playbook.yml"
    playbook.write_text(PREFLIGHT_PLAYBOOK, encoding="utf-8")
    results_file = work / "results.json"

    completed = _play(ansible_playbook, work, os.pathsep.join([str(collections), str(with_general)]), inventory, playbook, results_file,
                      ANSIBLE_DISPLAY_SKIPPED_HOSTS="false", ANSIBLE_PIPELINING="1")
    # PLAY RECAP: "preflight-3 : ok=17 changed=0 unreachable=0 failed=0 ...".
    changed = {host: int(count) for host, count in re.findall(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)", completed.stdout, re.M)}
    return json.loads(results_file.read_text(encoding="utf-8")), changed


def _case_id(case):
    return case["name"] if "name" in case else case["path"]


PREFLIGHT_CASES = [("preflight-%d" % i, case) for i, case in enumerate(MATRIX["preflight"])]
POOL_CASES = [("pool-%d" % i, case) for i, case in enumerate(MATRIX["existing_pool"])]


@pytest.mark.hostile
@pytest.mark.parametrize("host,case", [c for c in PREFLIGHT_CASES if "refused" in c[1]], ids=lambda v: v if isinstance(v, str) else _case_id(v))
def test_preflight_refuses_the_value_naming_it_and_changes_nothing(preflight, host, case):
    outcome, changed = preflight
    got = outcome[host]
    assert got["failed_task"] == PREFLIGHT_STOP, got
    message = got["message"]
    assert "nothing was changed. %d problem(s):" % case.get("problems", 1) in message, message
    for words in _with_links(case["refused"]):
        assert words in message, message
    # Secrets a case gives (passwords) never reach the message.
    for secret in case.get("not_shown", []):
        assert secret not in json.dumps(got), message
    assert "What to do:" in message
    assert changed[host] == 0


@pytest.mark.parametrize("host,case", [c for c in PREFLIGHT_CASES if "refused" not in c[1]], ids=lambda v: v if isinstance(v, str) else _case_id(v))
def test_preflight_accepts_the_value(preflight, host, case):
    outcome, changed = preflight
    got = outcome[host]
    assert got["failed_task"] is None, got["message"]
    assert got["problems"] == []
    assert got["found"] == case.get("found", [])
    assert changed[host] == 0


@pytest.mark.hostile
@pytest.mark.parametrize("host,case", POOL_CASES, ids=lambda v: v if isinstance(v, str) else _case_id(v))
def test_existing_pool_in_a_system_directory_is_warned_about_not_relabelled(preflight, host, case):
    outcome, changed = preflight
    got = outcome[host]
    assert got["path"] == (_with_links(case["path"]).rstrip("/") or "/")
    if "refused" in case:
        assert case["refused"] in got["refusal"]
        assert got["labels"] is False
    else:
        assert got["refusal"] == ""
        assert got["labels"] is case["labels"]
    if "resolved_again" in case:
        assert got["resolved_again"] is case["resolved_again"]
    assert changed[host] == 0
