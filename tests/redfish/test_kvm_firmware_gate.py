# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kvm_firmware role's gate to the BMC, attacked the ways an operator could hit it.

A running server is never reset, nor its BIOS changed, unless this run read its verdict
(firmware_disabled, or any with kvm_firmware_force) or kvm_firmware_probe_os is false. Each
test runs several hosts in one ansible-playbook run and fails if the BMC (sushy-tools'
emulator) is asked anything it should not be.
"""

from __future__ import annotations

import json
import re

import pytest

import emulator

from conftest import PASSWORD, USER, firmware_disabled_root, os_host, pre_os_host

DISABLED = {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled"}
ALLOWED = {"kvm_firmware_reboot": True, "kvm_firmware_reboot_timeout": 30}
RESET = emulator.RESET_REQUEST


def assert_bmc_untouched(emu, before, hosts):
    """Not one request reached the BMC since ``before``, and every BIOS is as it was."""
    assert emu.log() == before, "the BMC was asked something:\n" + emu.log()[len(before):]
    for host in hosts.values():
        assert emu.bios(host["kvm_firmware_system_id"], USER, PASSWORD) == DISABLED


def names_of(hosts):
    return dict((host, variables["kvm_firmware_system_id"]) for host, variables in hosts.items())


def requests(emu, pattern):
    return pattern.findall(emu.log())


def started(bmc, names):
    emu = bmc(dict((name, {"bios": DISABLED}) for name in names))
    return emu, emu.log()


# Extra vars beat set_fact and register: an internal variable given with -e would decide for the
# role. A host whose verdict is ok and one that does not answer (failures ignored by the play).
EXTRA_VARS = {
    "act": (["-e", "__kvm_firmware_act=true"], "site_ignore_errors.yml"),
    "act_os_up": (["-e", "__kvm_firmware_act=true", "-e", "__kvm_firmware_os_up=true"],
                  "site_block_ignore_errors.yml"),
    "verdict": (["-e", '{"__kvm_firmware_verdict_read": true, "__kvm_firmware_verdict": "firmware_disabled"}'],
                "site_block_ignore_errors.yml"),
    "facts": (["-e", '{"__kvm_firmware_facts": {"ansible_facts": {"kvm": {"reason": "firmware_disabled"}}}}'],
              "site_ignore_errors.yml"),
    "no_os": (["-e", "__kvm_firmware_no_os=true"], "site_ignore_errors.yml"),
}


@pytest.mark.hostile
@pytest.mark.parametrize("case", EXTRA_VARS)
def test_internal_variables_given_as_extra_vars_never_open_the_gate(bmc, run_role, case):
    """Even when the play or a block around the role ignores failures."""
    extra, playbook = EXTRA_VARS[case]
    emu, before = started(bmc, ["node1", "node2"])
    hosts = {"verdict_ok": os_host(emu, "node1", "qemu-tcg-svm-libvirt", **ALLOWED),
             "unreachable": pre_os_host(emu, "node2", kvm_firmware_probe_os=True, **ALLOWED)}
    run = run_role(hosts, playbook=playbook, args=extra)
    assert_bmc_untouched(emu, before, hosts)
    assert not [r for r in run.tasks("verdict_ok", "Set virtualization on in the BIOS") if r["status"] != "skipped"]
    said = run.failure("verdict_ok")
    assert said.startswith("verdict_ok: ") and "extra vars" in said and "Nothing was changed" in said, said


# Values the role's argument spec accepts as booleans. kvm_firmware_probe_os read as false
# when the spec took it for true would skip the operating system and reset a running server.
# Each host: the captured host it reads, its verdict there, and its variables.
ODD_VALUES = {
    "probe_y": ("qemu-tcg-nosvm-libvirt", "nested_not_exposed", {"kvm_firmware_probe_os": "y"}),
    "probe_t": ("qemu-tcg-nosvm-libvirt", "nested_not_exposed", {"kvm_firmware_probe_os": "T"}),
    "probe_true_space": ("qemu-tcg-nosvm-libvirt", "nested_not_exposed", {"kvm_firmware_probe_os": "true "}),
    "force_string_false": ("qemu-tcg-nosvm-libvirt", "nested_not_exposed", {"kvm_firmware_force": "false"}),
    "force_string_no": ("qemu-tcg-svm-kvm-unloaded", "module_not_loaded", {"kvm_firmware_force": "no"}),
    "usable_in_a_container": ("pvm-software-kvm-container", "ok", {}),
}


@pytest.mark.hostile
def test_boolean_strings_never_skip_the_verdict(bmc, run_role):
    """Running servers whose verdict does not call for the firmware (usable: false for other
    reasons, or ok), with kvm_firmware_probe_os and kvm_firmware_force spelled as strings the
    argument spec accepts."""
    names = dict((host, "node%d" % number) for number, host in enumerate(ODD_VALUES, 1))
    emu, before = started(bmc, names.values())
    hosts = dict((host, os_host(emu, names[host], fixture, **dict(ALLOWED, **variables)))
                 for host, (fixture, _reason, variables) in ODD_VALUES.items())
    run = run_role(hosts)
    assert run.rc == 0, run.output[-4000:]
    assert_bmc_untouched(emu, before, hosts)
    for host, (_fixture, reason, _variables) in ODD_VALUES.items():
        said = run.tasks(host, "Say why the firmware is left alone", status="ok")
        assert said and "'%s'" % reason in said[0]["result"]["msg"], (host, run.output[-3000:])


def patched_systems(emu, names):
    """The hosts (of ``names``: host -> system) whose BIOS settings the BMC received a PATCH for."""
    paths = dict((emu.system_uri(system, USER, PASSWORD), host) for host, system in names.items())
    return sorted(paths[uri] for uri in re.findall(r'"PATCH (/redfish/v1/Systems/[^/ ]+)/BIOS/Settings', emu.log()))


def _three_hosts(emu, tmp_path):
    """One whose verdict calls for the firmware, one that does not answer (forced), one whose verdict
    does not (with firmware_disabled left in its facts by an earlier play of site_ignore_errors.yml);
    the last two allowed to reset."""
    earlier = str(firmware_disabled_root(tmp_path / "earlier"))
    return {
        "disabled": os_host(emu, "node1", firmware_disabled_root(tmp_path / "host")),
        "unreachable": pre_os_host(emu, "node2", kvm_firmware_probe_os=True, kvm_firmware_force=True, **ALLOWED),
        "nested": os_host(emu, "node3", "qemu-tcg-nosvm-libvirt", kvm_test_earlier_root=earlier, **ALLOWED),
    }


# What runs only part of the role: tags, a start in its middle, check mode. Only a verdict read by
# this run reaches the BMC: with --tags kvm_firmware_bios the decide phase still runs (always).
PARTIAL_RUNS = {
    "tags_bios": (["--tags", "kvm_firmware_bios"], ["disabled"]),
    "check": (["--check"], []),
    "skip_decide": (["--skip-tags", "kvm_firmware_decide"], []),
    "skip_always": (["--skip-tags", "always"], []),
    "start_at_bios": (["--start-at-task", "Set virtualization on in the BIOS through the BMC's Redfish API"], []),
    "start_at_decide": (["--start-at-task",
                         "Decide from this run's verdict, or from the BMC alone before an operating system exists"], []),
}


@pytest.mark.hostile
@pytest.mark.parametrize("case", PARTIAL_RUNS)
def test_a_partial_run_reaches_the_bmc_only_on_its_own_verdict(bmc, run_role, tmp_path, case):
    args, expected = PARTIAL_RUNS[case]
    emu, _before = started(bmc, ["node1", "node2", "node3"])
    hosts = _three_hosts(emu, tmp_path)
    run = run_role(hosts, playbook="site_ignore_errors.yml", args=args)
    assert run.rc == 0, run.output[-4000:]
    assert patched_systems(emu, names_of(hosts)) == expected, emu.log()
    assert not requests(emu, RESET), emu.log()


@pytest.mark.hostile
def test_the_role_twice_in_a_play_decides_again(bmc, run_role, tmp_path):
    """The first pass PATCHes the firmware_disabled host; the second, forced and allowed to reset,
    finds every verdict unreadable and must not reuse the gate the first left open."""
    emu, _before = started(bmc, ["node1", "node2", "node3"])
    hosts = _three_hosts(emu, tmp_path)
    run = run_role(hosts, playbook="site_twice.yml")
    assert run.rc == 0, run.output[-4000:]
    assert patched_systems(emu, names_of(hosts)) == ["disabled"], emu.log()
    assert not requests(emu, RESET), emu.log()
    for host in hosts:
        shown = run.tasks(host, "Show what the role published")
        assert shown[-1]["result"]["kvm_firmware_result"]["state"] == "stopped", (host, shown)


@pytest.mark.hostile
def test_a_rescue_that_tries_again_forced_never_reaches_the_bmc(bmc, run_role, tmp_path):
    emu, _before = started(bmc, ["node1", "node2", "node3"])
    hosts = _three_hosts(emu, tmp_path)
    hosts["facts_fail"] = hosts.pop("nested")
    hosts["facts_fail"]["kvm_test_facts_root"] = str(tmp_path / "no-such-root")
    run = run_role(hosts, playbook="site_rescue.yml")
    assert run.rc != 0
    assert patched_systems(emu, names_of(hosts)) == ["disabled"], emu.log()
    assert not requests(emu, RESET), emu.log()
    for host in ("unreachable", "facts_fail"):
        assert run.tasks(host, "Run kvm_firmware again, forced", status="ok"), (host, run.output[-4000:])
        assert emu.bios(hosts[host]["kvm_firmware_system_id"], USER, PASSWORD) == DISABLED, host


# The plays of site_fleet_strategies.yml: those that ignore failures, and in a run of its own
# each that stops the run at the first failure.
FLEETS = {"ignoring": ["free", "serial", "once"], "max_fail_percentage": ["percent"],
          "any_errors_fatal": ["fatal"]}


@pytest.mark.hostile
@pytest.mark.parametrize("fleet", FLEETS)
def test_fleet_strategies_reach_only_the_bmcs_of_hosts_whose_verdict_says_so(bmc, run_role, tmp_path, fleet):
    """strategy free, serial, a run_once block, max_fail_percentage and any_errors_fatal
    (site_fleet_strategies.yml): PATCHes only for firmware_disabled hosts, never a reset."""
    disabled_root = firmware_disabled_root(tmp_path / "host")
    plays = FLEETS[fleet]
    names = {}
    for play in plays:
        # One host whose verdict is read and says no is enough where hosts do not run side by side.
        kinds = ("disabled", "unreachable", "nested") if play in ("free", "once") else ("disabled", "unreachable")
        for kind in kinds:
            names["%s_%s" % (play, kind)] = "node%d" % (len(names) + 1)
    emu, _before = started(bmc, names.values())
    hosts = {}
    for host, system in names.items():
        if host.endswith("_disabled"):
            hosts[host] = os_host(emu, system, disabled_root)
        elif host.endswith("_unreachable"):
            hosts[host] = pre_os_host(emu, system, kvm_firmware_probe_os=True, kvm_firmware_force=True, **ALLOWED)
        else:
            hosts[host] = os_host(emu, system, "qemu-tcg-nosvm-libvirt", **ALLOWED)
    run = run_role(hosts, playbook="site_fleet_strategies.yml", args=["--limit", ":".join(p + "_*" for p in plays)])
    patched = patched_systems(emu, names)
    assert set(patched) <= set(host for host in names if host.endswith("_disabled")), (patched, emu.log())
    assert not requests(emu, RESET), emu.log()
    if fleet == "ignoring":  # their disabled host is done, the failures of the others ignored
        assert patched == ["free_disabled", "once_disabled", "serial_disabled"], (patched, run.output[-4000:])
    else:  # the host that does not answer stops the run before any BMC is reached
        assert patched == [] and run.rc != 0, (patched, run.output[-4000:])
        assert run.tasks("%s_disabled" % plays[0], "See whether an operating system answers", status="ok")
    for host in names:
        if not host.endswith("_disabled"):
            assert emu.bios(names[host], USER, PASSWORD) == DISABLED, host


@pytest.mark.hostile
def test_a_fact_cache_holding_firmware_disabled_never_opens_the_gate(bmc, run_role, tmp_path):
    """A first run caches firmware_disabled (jsonfile); in the second each host's verdict cannot be
    read (it does not answer, kvm_facts fails, or become fails), forced and allowed to reset."""
    earlier = str(firmware_disabled_root(tmp_path / "earlier"))
    cache = {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(tmp_path / "facts"),
             "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "86400"}
    names = ["gather_unreachable", "gather_facts_fail", "cached_unreachable", "cached_facts_fail", "cached_become_fails"]
    names = dict((host, "node%d" % number) for number, host in enumerate(names, 1))
    emu, before = started(bmc, names.values())
    missing = str(tmp_path / "no-such-root")
    seed = dict((host, os_host(emu, system, missing, kvm_test_earlier_root=earlier)) for host, system in names.items())
    # Only the play that reads the earlier verdict: the role's tasks are all tagged kvm_firmware.
    assert run_role(seed, playbook="site_ignore_errors.yml", env=cache, args=["--skip-tags", "kvm_firmware"]).rc == 0
    allowed = dict(ALLOWED, kvm_firmware_force=True)
    hosts = {}
    for host, system in names.items():
        if host.endswith("_unreachable"):
            hosts[host] = pre_os_host(emu, system, kvm_firmware_probe_os=True, **allowed)
        elif host.endswith("_facts_fail"):
            hosts[host] = os_host(emu, system, missing, **allowed)
        else:
            hosts[host] = os_host(emu, system, "qemu-tcg-svm-libvirt", ansible_become_method="su",
                                  ansible_become_user="no-such-user", **allowed)
    run = run_role(hosts, playbook="site_fact_cache.yml", env=cache)
    assert_bmc_untouched(emu, before, hosts)
    for host in ("gather_facts_fail", "cached_facts_fail", "cached_become_fails", "cached_unreachable"):
        shown = run.tasks(host, "Show the verdict the fact cache holds", status="ok")
        assert shown and shown[0]["result"]["msg"] == "firmware_disabled", (host, run.output[-4000:])
    for host in hosts:
        assert not [r for r in run.tasks(host, "Set virtualization on in the BIOS") if r["status"] != "skipped"]
    assert "its KVM verdict could not be read" in run.failure("cached_become_fails"), run.output[-4000:]


@pytest.mark.hostile
def test_a_fact_never_chooses_where_the_bmc_credentials_go(bmc, run_role, tmp_path):
    """A fact outranks the inventory's variables: one named kvm_firmware_bmc_address in the fact
    cache (as a host's module or a cacheable set_fact would leave it) stops the role before the BMC,
    and the address it names is never reached."""
    emu, before = started(bmc, ["node1"])
    facts = tmp_path / "facts"
    elsewhere = bmc({"node1": {"bios": DISABLED}})
    elsewhere_before = elsewhere.log()
    cache = {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(facts),
             "ANSIBLE_CACHE_PLUGIN_TIMEOUT": "86400"}
    hosts = {"disabled": os_host(emu, "node1", firmware_disabled_root(tmp_path / "disabled"), **ALLOWED)}
    seed = tmp_path / "seed.yml"
    seed.write_text(json.dumps([{"name": "Leave the facts in the cache", "hosts": "servers", "gather_facts": False,
                                 "tasks": [{"name": "Set them", "ansible.builtin.set_fact": {
                                     "kvm_firmware_bmc_address": elsewhere.address,
                                     "kvm_firmware_validate_certs": False, "cacheable": True}}]}]))
    assert run_role(hosts, playbook=str(seed), env=cache).rc == 0
    run = run_role(hosts, env=cache)
    assert run.rc != 0, run.output[-4000:]
    assert_bmc_untouched(emu, before, hosts)
    assert elsewhere.log() == elsewhere_before, elsewhere.log()
    message = run.failure("disabled")
    assert '"kvm_firmware_bmc_address", "kvm_firmware_validate_certs"' in message, run.output[-4000:]
    assert "nothing was sent to the BMC" in message


@pytest.mark.hostile
def test_the_bios_tasks_alone_reach_the_bmc_only_on_this_runs_verdict(bmc, run_role, tmp_path):
    """tasks_from: bios skips preflight and decide; after a play that ran the whole role, only the
    host whose verdict called for the firmware may be PATCHed again, and nothing is reset."""
    emu, _before = started(bmc, ["node1", "node2", "node3"])
    hosts = _three_hosts(emu, tmp_path)
    run = run_role(hosts, playbook="site_tasks_from_bios.yml")
    assert run.rc == 0, run.output[-4000:]
    assert set(patched_systems(emu, names_of(hosts))) == {"disabled"}, emu.log()
    assert not requests(emu, RESET), emu.log()
    for host in ("nested", "unreachable"):
        assert emu.bios(hosts[host]["kvm_firmware_system_id"], USER, PASSWORD) == DISABLED, host
