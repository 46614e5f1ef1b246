# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures: a TLS certificate and htpasswd per session, an emulator per worker reset for each test, a role runner."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time

import pytest
import yaml

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import emulator  # noqa: E402  pylint: disable=wrong-import-position

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FIXTURES = ROOT / "tests" / "unit" / "fixtures"
BIN = pathlib.Path(sys.executable).parent
USER, PASSWORD = "admin", "correct horse battery"


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    """(workdir, cert, key, htpasswd) shared by every emulator of the session."""
    workdir = tmp_path_factory.mktemp("bmc")
    cert, key = emulator.make_pki(workdir)
    htpasswd = emulator.make_htpasswd(workdir / "htpasswd", emulator.emulator_python(emulator.find_emulator()),
                                      USER, PASSWORD)
    return workdir, cert, key, htpasswd


@pytest.fixture(scope="session")
def reusable_bmc(pki):
    """One libvirt-driver emulator per worker (``[emulator or None]``), stopped at the end: starting
    one costs seconds of imports and TLS set-up, a reset of its systems a fraction of one."""
    held = [None]
    yield held
    if held[0] is not None:
        held[0].stop()


@pytest.fixture()
def bmc(pki, reusable_bmc):
    """Emulators: ``bmc(systems)`` (libvirt test driver) or ``bmc(fake=True)``. The first libvirt one
    of a test is the worker's emulator with only this test's systems and a log that starts now
    (started afresh if it died); any other is a process of its own, stopped after the test."""
    started = []
    workdir, cert, key, htpasswd = pki
    reused = []

    def start(systems=None, fake=False):
        if not fake and not reused:
            emu = reusable_bmc[0]
            if emu is None or emu.proc.poll() is not None:
                emu = reusable_bmc[0] = emulator.Emulator(workdir, cert, key, htpasswd, systems=systems,
                                                          reusable=True).start()
            else:
                emu.reset(systems or {})
            reused.append(emu)
            return emu
        emu = emulator.Emulator(workdir, cert, key, htpasswd, systems=systems, fake=fake).start()
        started.append(emu)
        return emu

    yield start
    for emu in started:
        emu.stop()


def closed_port():
    """A loopback port where nothing listens: an operating system that does not answer."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pre_os_host(emu, system, **extra):
    """Inventory variables for a server with no operating system yet (kvm_firmware_probe_os: false,
    and nothing listens where one would answer), whose BMC is ``emu``."""
    host = {
        "ansible_host": "127.0.0.1", "ansible_port": closed_port(), "ansible_connection": "ssh",
        "ansible_timeout": 3, "kvm_firmware_probe_os": False,
        "kvm_firmware_bmc_address": emu.address, "kvm_firmware_bmc_username": USER,
        "kvm_firmware_bmc_password": PASSWORD, "kvm_firmware_ca_path": str(emu.cert),
        "kvm_firmware_system_id": system, "kvm_firmware_vendor": "Dell",
        "kvm_firmware_poll_interval": 1, "kvm_firmware_reboot_timeout": 60,
        "kvm_firmware_reboot_delay": 0,
    }
    host.update(extra)
    return host


def os_host(emu, system, facts_root, **extra):
    """Inventory variables for a host whose operating system answers (this machine, reading a captured host)."""
    host = pre_os_host(emu, system, **extra)
    for key in ("ansible_host", "ansible_port", "ansible_timeout", "kvm_firmware_probe_os"):
        host.pop(key)
    root = facts_root if os.path.isabs(str(facts_root)) else FIXTURES / facts_root / "root"
    host.update({"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
                 "kvm_test_facts_root": str(root)})
    host.update(extra)
    return host


def firmware_disabled_root(directory):
    """A host tree in the snapshot format whose verdict is firmware_disabled: an AMD server whose
    kernel said at boot that the BIOS turned SVM off (built like the unit tests' verdict tables)."""
    sys.path.insert(0, str(ROOT / "tests" / "unit" / "plugins" / "module_utils"))
    import hosts  # pylint: disable=import-outside-toplevel,import-error

    files = {
        "/proc/sys/kernel/arch": "x86_64\n",
        "/proc/sys/kernel/osrelease": "6.1.0-28-amd64\n",
        "/proc/cpuinfo": hosts.cpuinfo_x86("AuthenticAMD", "AMD EPYC 7763 64-Core Processor", hosts.BASE_FLAGS + " svm"),
        "/proc/cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n",
        "/proc/1/cgroup": "0::/init.scope\n",
        "/var/log/dmesg": hosts.BOOT_LOG + "[    3.2] kvm: support for 'kvm_amd' disabled by bios\n",
    }
    files.update(hosts.DELL_DMI)
    files.update(hosts.module("kvm"))
    return hosts.write_host(directory, files)


class Run:
    """One ansible-playbook run: return code, output, task results by host."""

    def __init__(self, rc, output, results, seconds):
        self.rc, self.output, self.results, self.seconds = rc, output, results, seconds

    def tasks(self, host, name_part=None, status=None):
        return [r for r in self.results if r["host"] == host and (name_part is None or name_part in r["task"])
                and (status is None or r["status"] == status)]

    def bios(self, host):
        """The kvm_firmware_bios module's result for ``host`` (ok, changed or failed)."""
        found = self.tasks(host, "through the BMC's Redfish API")
        assert found, "the BIOS task did not run for %s:\n%s" % (host, self.output[-4000:])
        return found[-1]

    def changed(self, host):
        return [r["task"].split(" : ", 1)[-1] for r in self.tasks(host, status="changed")]

    def failure(self, host):
        failed = self.tasks(host, status="failed")
        return failed[-1]["result"].get("msg", "") if failed else ""


@pytest.fixture()
def run_role(tmp_path):
    """``run_role(hosts, check=False, playbook="site.yml", args=(), env={})``: a test playbook against ``hosts``
    (name -> variables), with more ansible-playbook arguments and environment variables."""
    collections = tmp_path / "collections" / "ansible_collections" / "hypervisor"
    collections.mkdir(parents=True)
    (collections / "kvm").symlink_to(ROOT)

    def run(hosts, check=False, timeout=300, while_running=None, playbook="site.yml", args=(), env=None):
        inventory = tmp_path / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}},
            "children": {"servers": {"hosts": hosts}}}}))
        results = tmp_path / ("results-%d.jsonl" % time.monotonic_ns())
        environment = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"),
                           ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"), ANSIBLE_CALLBACKS_ENABLED="results_log",
                           RESULTS_LOG=str(results), ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_NOCOLOR="1",
                           ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false", **(env or {}))
        command = [str(BIN / "ansible-playbook"), "-i", str(inventory), str(HERE / playbook), *args]
        if check:
            command.append("--check")
        start = time.monotonic()
        with subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            if while_running:
                while_running(proc)
            output = proc.communicate(timeout=timeout)[0]
        lines = results.read_text().splitlines() if results.exists() else []
        return Run(proc.returncode, output, [json.loads(line) for line in lines], time.monotonic() - start)

    return run
