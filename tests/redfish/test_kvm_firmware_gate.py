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

import pytest

from conftest import PASSWORD, USER, os_host, pre_os_host

DISABLED = {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled"}
ALLOWED = {"kvm_firmware_reboot": True, "kvm_firmware_reboot_timeout": 30}


def assert_bmc_untouched(emu, before, hosts):
    """Not one request reached the BMC since ``before``, and every BIOS is as it was."""
    assert emu.log() == before, "the BMC was asked something:\n" + emu.log()[len(before):]
    for host in hosts.values():
        assert emu.bios(host["kvm_firmware_system_id"], USER, PASSWORD) == DISABLED


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
ODD_VALUES = {
    "probe_y": {"kvm_firmware_probe_os": "y"},
    "probe_t": {"kvm_firmware_probe_os": "T"},
    "force_string_false": {"kvm_firmware_force": "false"},
    "force_string_no": {"kvm_firmware_force": "no"},
    "force_string_off": {"kvm_firmware_force": "off"},
}


@pytest.mark.hostile
def test_boolean_strings_never_skip_the_verdict(bmc, run_role):
    """Running servers whose verdict (nested_not_exposed) does not call for the firmware, with
    kvm_firmware_probe_os and kvm_firmware_force spelled as strings the argument spec accepts."""
    names = dict((host, "node%d" % number) for number, host in enumerate(ODD_VALUES, 1))
    emu, before = started(bmc, names.values())
    hosts = dict((host, os_host(emu, names[host], "qemu-tcg-nosvm-libvirt", **dict(ALLOWED, **variables)))
                 for host, variables in ODD_VALUES.items())
    run = run_role(hosts)
    assert run.rc == 0, run.output[-4000:]
    assert_bmc_untouched(emu, before, hosts)
    for host in hosts:
        said = run.tasks(host, "Say why the firmware is left alone", status="ok")
        assert said and "'nested_not_exposed'" in said[0]["result"]["msg"], (host, run.output[-3000:])
