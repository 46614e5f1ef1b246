# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kvm_firmware role with ansible-playbook against sushy-tools' Redfish emulator over TLS.

Each test gets an emulator (127.0.0.1, a self-signed certificate made for the session, HTTP
basic auth from an htpasswd file) holding only its own systems: the worker's one, reset for it
(conftest.py), whose log shows only the requests since. What the emulator does not model is said
in emulator.py: above all, it applies a PATCH of Bios/Settings at once (no pending state), so
"pending" is asserted from the module's report and the absence of a reset, and "applied" from
the reset request in the emulator's log plus the attribute's value.
"""

from __future__ import annotations

import sys
import time

import pytest

import emulator
from conftest import FIXTURES, PASSWORD, ROOT, USER, closed_port, firmware_disabled_root, os_host, pre_os_host

DISABLED = {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled", "ProcTurboMode": "Enabled",
            "BootMode": "Uefi"}
RESET = emulator.RESET_REQUEST
PATCH = emulator.PATCH_REQUEST


def requests(emu, pattern):
    return pattern.findall(emu.log())


def assert_quiet(run):
    """The password never reaches the output."""
    assert PASSWORD not in run.output


def test_pending_without_reboot_changes_nothing_else(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": pre_os_host(emu, "node1")})
    assert run.rc == 0, run.output[-4000:]
    bios = run.bios("node1")["result"]
    assert bios["state"] == "pending" and bios["patched"] == {"ProcVirtualization": "Enabled"}
    assert bios["reset"] == [] and "needs a power cycle" in bios["msg"]
    assert run.changed("node1") == ["Set virtualization on in the BIOS through the BMC's Redfish API"]
    assert len(requests(emu, PATCH)) == 1 and not requests(emu, RESET)
    assert emu.bios("node1", USER, PASSWORD) == dict(DISABLED, ProcVirtualization="Enabled")
    report = run.tasks("node1", "Report the BIOS state")[0]["result"]["msg"]
    assert "node1" in report and "Nothing else was changed" in report
    assert_quiet(run)


def test_reboot_resets_through_the_bmc_and_sees_it_applied(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": pre_os_host(emu, "node1", kvm_firmware_reboot=True)})
    assert run.rc == 0, run.output[-4000:]
    bios = run.bios("node1")["result"]
    assert bios["state"] == "applied" and bios["reset"] == ["ForceRestart"]
    assert len(requests(emu, RESET)) == 1
    assert emu.bios("node1", USER, PASSWORD)["ProcVirtualization"] == "Enabled"
    # No operating system answered: nothing waits for one.
    assert not run.tasks("node1", "Wait for the host's operating system", status="ok")
    assert run.tasks("node1", "Wait for the host's operating system", status="skipped")


def test_second_run_changes_nothing(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    hosts = {"node1": pre_os_host(emu, "node1", kvm_firmware_reboot=True)}
    assert run_role(hosts).rc == 0
    again = run_role(hosts)
    assert again.rc == 0, again.output[-4000:]
    assert again.changed("node1") == []
    assert again.bios("node1")["result"]["state"] == "enabled"
    assert len(requests(emu, PATCH)) == 1 and len(requests(emu, RESET)) == 1


def test_check_mode_reports_what_would_be_set(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": pre_os_host(emu, "node1", kvm_firmware_reboot=True, kvm_firmware_iommu=True,
                                         kvm_firmware_vendor="HPE")}, check=True)
    assert run.rc == 0, run.output[-4000:]
    bios = run.bios("node1")["result"]
    assert bios["state"] == "would_set"
    assert bios["patched"] == {"ProcVirtualization": "Enabled", "IntelProcVtd": "Enabled"}
    assert bios["reset"] == ["ForceRestart"]
    assert not requests(emu, PATCH) and not requests(emu, RESET)
    assert emu.bios("node1", USER, PASSWORD) == DISABLED


def test_check_mode_on_the_task_sends_nothing_and_verifies_nothing(bmc, run_role):
    """Check mode from ``apply: {check_mode: true}``: ansible_check_mode is false, yet no PATCH, no
    reset, and no wait for a restart that was never asked for."""
    emu = bmc({"node1": {"bios": DISABLED}})
    host = os_host(emu, "node1", "qemu-tcg-nosvm-stock", kvm_firmware_force=True, kvm_firmware_reboot=True)
    run = run_role({"node1": host}, playbook="site_task_check_mode.yml")
    assert run.rc == 0, run.output[-4000:]
    assert run.bios("node1")["result"]["state"] == "would_set"
    waited = run.tasks("node1", "Wait for the host's operating system to come back")
    assert all(r["status"] == "skipped" for r in waited), waited
    assert not requests(emu, PATCH) and not requests(emu, RESET)
    assert emu.bios("node1", USER, PASSWORD) == DISABLED


def test_iommu_too_with_the_vendor_table(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": pre_os_host(emu, "node1", kvm_firmware_iommu=True, kvm_firmware_vendor="HPE")})
    assert run.rc == 0, run.output[-4000:]
    settings = {s["setting"]: s for s in run.bios("node1")["result"]["settings"]}
    assert settings["iommu"]["attribute"] == "IntelProcVtd" and settings["iommu"]["found_by"] == "vendor table"
    assert "ilo-rest-api-docs" in settings["iommu"]["source"]
    assert emu.bios("node1", USER, PASSWORD)["IntelProcVtd"] == "Enabled"


def test_a_fleet_of_hosts_each_gets_its_own_answer(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}, "node2": {"bios": dict(DISABLED, ProcVirtualization="Enabled")}})
    run = run_role({"node1": pre_os_host(emu, "node1"), "node2": pre_os_host(emu, "node2")})
    assert run.rc == 0, run.output[-4000:]
    assert run.bios("node1")["result"]["state"] == "pending"
    assert run.bios("node2")["result"]["state"] == "enabled" and run.changed("node2") == []


def test_wrong_credentials_fail_naming_the_host(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": pre_os_host(emu, "node1", kvm_firmware_bmc_password="not the password")})
    assert run.rc != 0
    message = run.failure("node1")
    assert message.startswith("node1: ") and "refused the credentials (HTTP 401" in message
    assert "user name and password" in message
    assert not requests(emu, PATCH) and emu.bios("node1", USER, PASSWORD) == DISABLED
    assert "not the password" not in run.output


@pytest.mark.hostile
def test_a_running_server_that_does_not_answer_is_never_reset(bmc, run_role):
    """The BMC answers, the operating system does not (a broken key, sshd down): even forced and
    allowed to reboot, the role stops for that host and the BMC sees no PATCH and no reset."""
    emu = bmc({"node1": {"bios": DISABLED}})
    host = pre_os_host(emu, "node1", kvm_firmware_probe_os=True, kvm_firmware_force=True, kvm_firmware_reboot=True)
    run = run_role({"node1": host})
    assert run.rc != 0
    message = run.failure("node1")
    assert message.startswith("node1: its operating system does not answer"), message
    assert "kvm_firmware_probe_os: false" in message and "Nothing was changed" in message
    assert not run.tasks("node1", "Set virtualization on in the BIOS")
    assert not requests(emu, PATCH) and not requests(emu, RESET)
    assert emu.bios("node1", USER, PASSWORD) == DISABLED


def test_a_bmc_that_does_not_answer(run_role, pki):
    host = {"kvm_firmware_bmc_address": "127.0.0.1:%d" % closed_port(), "kvm_firmware_bmc_username": USER,
            "kvm_firmware_bmc_password": PASSWORD, "kvm_firmware_ca_path": str(pki[1]),
            "ansible_host": "127.0.0.1", "ansible_port": closed_port(), "ansible_timeout": 3,
            "kvm_firmware_probe_os": False}
    run = run_role({"node1": host})
    assert run.rc != 0
    message = run.failure("node1")
    assert message.startswith("node1: ") and "does not answer" in message and "Connection refused" in message
    assert_quiet(run)


def test_an_untrusted_certificate_is_refused(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    host = pre_os_host(emu, "node1")
    del host["kvm_firmware_ca_path"]
    run = run_role({"node1": host})
    assert run.rc != 0
    assert "TLS failed" in run.failure("node1") and "ca_path" in run.failure("node1")
    assert not requests(emu, PATCH)


def test_a_system_without_a_bios_resource(bmc, run_role):
    emu = bmc(fake=True)
    run = run_role({"node1": pre_os_host(emu, "fake")})
    assert run.rc != 0
    message = run.failure("node1")
    assert message.startswith("node1: ") and "has no Bios resource" in message and "console" in message


def test_an_attribute_the_table_does_not_name(bmc, run_role):
    lenovo_like = {"Processors_IntelVirtualizationTechnology": "Disabled", "Processors_HyperThreading": "Enabled"}
    emu = bmc({"node1": {"bios": lenovo_like}})
    run = run_role({"node1": pre_os_host(emu, "node1")})
    assert run.rc != 0
    message = run.failure("node1")
    assert "cannot tell which BIOS attribute is the virtualization switch" in message
    assert "Processors_IntelVirtualizationTechnology" in message and "Nothing was changed" in message
    assert "no attribute registry" not in message  # the emulator serves one, without this attribute
    assert not requests(emu, PATCH) and emu.bios("node1", USER, PASSWORD) == lenovo_like


def test_an_unknown_vendor_stops_and_says_what_it_found(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    host = pre_os_host(emu, "node1")
    del host["kvm_firmware_vendor"]
    run = run_role({"node1": host})
    assert run.rc != 0
    message = run.failure("node1")
    assert "Manufacturer 'Sushy Emulator'" in message and "the vendor is not in the table" in message
    # The CPU switch first, the IOMMU one marked, each with the value the BIOS has.
    assert ("Attributes that may be the switch, with their current values: ProcVirtualization=Disabled, "
            "IntelProcVtd=Disabled (looks like the IOMMU switch (VT-d/AMD-Vi), not the virtualization one); "
            "check which one") in message
    assert not requests(emu, PATCH)


def test_an_attribute_named_by_the_inventory_is_used(bmc, run_role):
    emu = bmc({"node1": {"bios": {"Processors_IntelVirtualizationTechnology": "Disabled"}}})
    run = run_role({"node1": pre_os_host(
        emu, "node1", kvm_firmware_attribute="Processors_IntelVirtualizationTechnology")})
    assert run.rc == 0, run.output[-4000:]
    assert run.bios("node1")["result"]["settings"][0]["found_by"] == "given"
    assert emu.bios("node1", USER, PASSWORD)["Processors_IntelVirtualizationTechnology"] == "Enabled"


def test_a_host_whose_verdict_is_ok_is_left_alone(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    before = emu.log()
    run = run_role({"node1": os_host(emu, "node1", "qemu-tcg-svm-libvirt")})
    assert run.rc == 0, run.output[-4000:]
    assert not run.tasks("node1", "through the BMC's Redfish API", status="changed")
    said = run.tasks("node1", "Say why the firmware is left alone")[0]["result"]["msg"]
    assert "'ok'" in said and "left alone" in said
    assert emu.log() == before  # the BMC was not even asked


def test_forced_on_a_vm_then_verified_by_the_verdict_after_the_reset(bmc, run_role):
    # The harness plays the firmware: after the reset the host reads a captured host whose
    # CPU exposes the extension (qemu-tcg-svm-libvirt, verdict ok).
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": os_host(emu, "node1", "qemu-tcg-nosvm-libvirt", kvm_firmware_force=True,
                                     kvm_firmware_reboot=True,
                                     kvm_test_facts_root_after_reset=str(FIXTURES / "qemu-tcg-svm-libvirt" / "root"))})
    assert run.rc == 0, run.output[-4000:]
    bios = run.bios("node1")["result"]
    assert bios["reset"] == ["ForceRestart"] and bios["state"] == "reset"
    assert "power-cycle" not in run.tasks("node1", "Report the BIOS state")[0]["result"]["msg"]
    assert run.tasks("node1", "Check that KVM can now be used", status="ok")


def test_a_reset_that_does_not_fix_the_verdict_fails(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": os_host(emu, "node1", "qemu-tcg-nosvm-libvirt", kvm_firmware_force=True,
                                     kvm_firmware_reboot=True)})
    assert run.rc != 0
    message = run.failure("node1")
    assert message.startswith("node1: the BMC reset the server to apply ProcVirtualization")
    assert "nested_not_exposed" in message and "console" in message
    # This machine played the host and did not restart: the boot id says so.
    assert "the host did not restart (same boot id)" in message
    assert len(requests(emu, RESET)) == 1


def test_preflight_names_every_missing_variable(run_role):
    run = run_role({"node1": {"ansible_host": "127.0.0.1", "ansible_port": closed_port()}})
    assert run.rc != 0
    message = run.failure("node1")
    for name in ("kvm_firmware_bmc_address", "kvm_firmware_bmc_username", "kvm_firmware_bmc_password"):
        assert name in message


def test_a_host_that_is_not_a_firmware_case_is_left_alone_with_its_remediation(bmc, run_role):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": os_host(emu, "node1", "qemu-tcg-nosvm-libvirt")})
    assert run.rc == 0, run.output[-4000:]
    said = run.tasks("node1", "Say why the firmware is left alone")[0]["result"]["msg"]
    assert "'nested_not_exposed'" in said and "parent hypervisor" in said and "kvm_firmware_force" in said
    assert not requests(emu, PATCH)


def test_a_reset_that_never_comes_back(bmc, run_role):
    # The operating system is reached over real SSH (tests/fleet/sshfleet.py); when the BMC
    # receives the reset, the harness stops that sshd: the host never answers again.
    sys.path.insert(0, str(ROOT / "tests" / "fleet"))
    import sshfleet  # pylint: disable=import-outside-toplevel

    emu = bmc({"node1": {"bios": DISABLED}})
    with sshfleet.Fleet(hosts=1, closed=0, forks=1, become=False, fixtures_every=0, failing=0) as fleet:
        # The deadline is what is proved: the smallest the role accepts (10 s) waits least. The delay
        # lets the harness stop sshd (on the reset in the BMC's log) before the first try to connect.
        host = os_host(emu, "node1", "qemu-tcg-nosvm-libvirt", kvm_firmware_force=True, kvm_firmware_reboot=True,
                       kvm_firmware_reboot_timeout=10, kvm_firmware_reboot_delay=3)
        host.update({
            "ansible_connection": "ssh", "ansible_host": sshfleet.address(0), "ansible_port": fleet.port,
            "ansible_user": "root", "ansible_ssh_private_key_file": str(fleet.path("client_key")),
            "ansible_python_interpreter": "/usr/bin/python3", "ansible_timeout": 5,
            # No connection sharing: a session kept open would outlive the "reboot".
            "ansible_ssh_args": "-o ControlMaster=no -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
                                " -o IdentitiesOnly=yes -o LogLevel=ERROR",
        })

        def power_off_when_reset(proc):
            deadline = time.monotonic() + 120
            while not requests(emu, RESET) and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.2)
            fleet.stop()

        run = run_role({"node1": host}, while_running=power_off_when_reset)
    assert run.rc != 0, run.output[-4000:]
    assert run.tasks("node1", "See whether an operating system answers", status="ok")
    message = run.failure("node1")
    assert message.startswith("node1: the BMC reset the server to apply ProcVirtualization")
    assert "timed out" in message and "console" in message
    assert len(requests(emu, RESET)) == 1


def test_a_firmware_disabled_host_gets_the_pending_value_without_force(bmc, run_role, tmp_path):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": os_host(emu, "node1", firmware_disabled_root(tmp_path / "host"))})
    assert run.rc == 0, run.output[-4000:]
    assert run.bios("node1")["result"]["state"] == "pending" and not requests(emu, RESET)


def test_a_firmware_disabled_host_is_reset_and_verified(bmc, run_role, tmp_path):
    emu = bmc({"node1": {"bios": DISABLED}})
    run = run_role({"node1": os_host(emu, "node1", firmware_disabled_root(tmp_path / "host"), kvm_firmware_reboot=True,
                                     kvm_test_facts_root_after_reset=str(FIXTURES / "qemu-tcg-svm-libvirt" / "root"))})
    assert run.rc == 0, run.output[-4000:]
    assert len(requests(emu, RESET)) == 1
    assert run.tasks("node1", "Check that KVM can now be used", status="ok")


def test_bios_on_while_the_host_says_firmware_disabled_asks_for_a_cold_start(bmc, run_role, tmp_path):
    emu = bmc({"node1": {"bios": dict(DISABLED, ProcVirtualization="Enabled")}})
    run = run_role({"node1": os_host(emu, "node1", firmware_disabled_root(tmp_path / "host"), kvm_firmware_reboot=True)})
    assert run.rc != 0
    message = run.failure("node1")
    assert message.startswith("node1: the BIOS already reports ProcVirtualization enabled")
    assert "cold start" in message and not requests(emu, PATCH) and not requests(emu, RESET)


# Fleet runs ignore failures: at the play (ignore_errors, ignore_unreachable) or around the role
# in a block. A host whose verdict this run could not read must still reach no BMC, even forced
# and allowed to reboot, and even when an earlier play left firmware_disabled in its facts.
IGNORING = ["site_ignore_errors.yml", "site_block_ignore_errors.yml"]


def _no_verdict_hosts(emu, tmp_path):
    earlier = str(firmware_disabled_root(tmp_path / "earlier"))
    allowed = {"kvm_firmware_force": True, "kvm_firmware_reboot": True, "kvm_firmware_reboot_timeout": 30}
    unreachable = pre_os_host(emu, "node1", kvm_firmware_probe_os=True, **allowed)
    broken_python = os_host(emu, "node2", "qemu-tcg-nosvm-libvirt", **allowed)
    broken_python["ansible_python_interpreter"] = "/nonexistent/bin/python3"
    # The facts module fails (its snapshot root does not exist) after an earlier play read
    # firmware_disabled: that stale verdict must not stand in for this run's.
    facts_fail = os_host(emu, "node3", str(tmp_path / "no-such-root"), kvm_firmware_reboot=True,
                         kvm_firmware_reboot_timeout=30, kvm_test_earlier_root=earlier)
    return {"unreachable": unreachable, "broken_python": broken_python, "facts_fail": facts_fail}


@pytest.mark.hostile
@pytest.mark.parametrize("playbook", IGNORING)
def test_ignored_failures_never_reach_the_bmc(bmc, run_role, tmp_path, playbook):
    systems = {"node1": {"bios": DISABLED}, "node2": {"bios": DISABLED}, "node3": {"bios": DISABLED}}
    emu = bmc(systems)
    hosts = _no_verdict_hosts(emu, tmp_path)
    before = emu.log()
    run = run_role(hosts, playbook=playbook)
    assert run.rc == 0, run.output[-4000:]  # every failure was ignored, as the play asked
    assert emu.log() == before, "the BMC was asked something:\n" + emu.log()[len(before):]
    for name in hosts:
        sent = [r for r in run.tasks(name, "Set virtualization on in the BIOS") if r["status"] != "skipped"]
        assert not sent, sent
        assert emu.bios(hosts[name]["kvm_firmware_system_id"], USER, PASSWORD) == DISABLED
        shown = run.tasks(name, "Show what the role published")
        assert shown and shown[-1]["result"]["kvm_firmware_result"]["state"] == "stopped", shown
        assert not run.tasks(name, "Say why the firmware is left alone", status="ok")
    said = dict((name, run.failure(name)) for name in hosts)
    assert said["unreachable"].startswith("unreachable: its operating system does not answer"), said
    assert said["broken_python"].startswith("broken_python: its operating system does not answer"), said
    assert "/nonexistent/bin/python3" in said["broken_python"] or "python" in said["broken_python"].lower(), said
    assert said["facts_fail"].startswith("facts_fail: its operating system answers but its KVM verdict could not"), said
    assert_quiet(run)


@pytest.mark.hostile
def test_preflight_refuses_bad_bounds_and_a_password_in_the_address(bmc, run_role):
    """Each value out of the module's bounds, and a password written into the address, stop the
    host in preflight, naming the variable; the BMC is never asked and the password never shown."""
    emu = bmc({"node1": {"bios": DISABLED}})
    secret = "pw-in-the-address-5d1e"
    bad = {
        "zero_timeout": {"kvm_firmware_timeout": 0},
        "huge_timeout": {"kvm_firmware_timeout": 10000000000},
        "zero_poll": {"kvm_firmware_poll_interval": 0},
        "negative_reboot": {"kvm_firmware_reboot_timeout": -5},
        "negative_delay": {"kvm_firmware_reboot_delay": -1},
        "userinfo": {"kvm_firmware_bmc_address": "https://root:%s@%s" % (secret, emu.address)},
    }
    hosts = dict((name, pre_os_host(emu, "node1", kvm_firmware_reboot=True, **extra)) for name, extra in bad.items())
    before = emu.log()
    run = run_role(hosts)
    assert run.rc != 0
    assert emu.log() == before, emu.log()[len(before):]
    named = {"zero_timeout": "kvm_firmware_timeout is 0", "huge_timeout": "kvm_firmware_timeout is 10000000000",
             "zero_poll": "kvm_firmware_poll_interval is 0", "negative_reboot": "kvm_firmware_reboot_timeout is -5",
             "negative_delay": "kvm_firmware_reboot_delay is -1", "userinfo": "kvm_firmware_bmc_address holds a user name"}
    for name, text in named.items():
        message = run.failure(name)
        assert message.startswith(name + ": ") and text in message and "Nothing was changed" in message, message
    assert secret not in run.output
    assert_quiet(run)
