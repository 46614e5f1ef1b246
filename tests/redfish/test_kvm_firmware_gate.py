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

from conftest import PASSWORD, USER, os_host

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
