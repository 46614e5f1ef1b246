# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The firmware harness of the default scenario: a BMC for the VM, and the firmware's part played.

    firmware_harness.py start DIR                      the BMC: sushy-emulator on 127.0.0.1 over TLS
    firmware_harness.py watch DIR NAME RELEASE PORT OFF ON
                                                       in the background, play the firmware (below)
    firmware_harness.py stop DIR                       stop both

The emulator's system stands for the VM NAME, booted with the QEMU CPU model OFF (such as
``qemu64,-svm``: no AMD-V) while its BIOS attribute ProcVirtualization is Disabled. The watcher
is the harness playing the firmware: when the BMC receives ComputerSystem.Reset it reads the
attribute and power-cycles the VM on its own disk with the CPU model ON (such as ``max``: AMD-V
exposed) if it reads Enabled, else with OFF again (a real BIOS would keep the extension off). Nothing of this is in the collection's code: the role only
talks Redfish to the emulator and ssh to the VM.
"""

from __future__ import annotations

import json
import os
import pathlib
import secrets
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "tests" / "redfish"))

import emulator  # noqa: E402  pylint: disable=wrong-import-position,import-error

SYSTEM = "server"
USER = "admin"
LIFETIME = 1800  # seconds: a run that fails before cleanup leaves nothing behind for long


def _state(workdir):
    path = workdir / "bmc.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _kill(pid):
    try:
        os.killpg(pid, signal.SIGTERM)
    except OSError:
        pass


def start(workdir):
    """Start the emulator in its own session; write DIR/bmc.json for the playbooks."""
    stop(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    cert, key = emulator.make_pki(workdir)
    htpasswd = emulator.make_htpasswd(workdir / "htpasswd", emulator.emulator_python(emulator.find_emulator()),
                                      USER, password)
    emu = emulator.Emulator(workdir, cert, key, htpasswd,
                            systems={SYSTEM: {"bios": {"ProcVirtualization": "Disabled", "ProcTurboMode": "Enabled"}}})
    emu.start(session=True, lifetime=LIFETIME)
    state = {"address": emu.address, "ca": str(cert), "username": USER, "password": password, "system": SYSTEM,
             "emulator_pid": emu.proc.pid, "log": str(emu.log_path)}
    path = workdir / "bmc.json"
    path.write_text(json.dumps(state))
    path.chmod(0o600)
    print(json.dumps({"address": emu.address, "ca": str(cert)}))


def watch(workdir, name, release, port, cpu_off, cpu_on):
    """Fork the watcher into its own session and return."""
    log = open(workdir / "watch.log", "a", encoding="utf-8")  # pylint: disable=consider-using-with
    proc = subprocess.Popen([sys.executable, __file__, "watch-run", str(workdir), name, release, port, cpu_off, cpu_on],  # pylint: disable=consider-using-with
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    state = _state(workdir)
    state["watcher_pid"] = proc.pid
    (workdir / "bmc.json").write_text(json.dumps(state))


def watch_run(workdir, name, release, port, cpu_off, cpu_on):
    """Wait for the reset, then restart the VM with the CPU the BIOS attribute stands for."""
    state = _state(workdir)
    emu = emulator.Emulator.attach(workdir, state["address"], state["log"])
    deadline = time.monotonic() + LIFETIME
    while time.monotonic() < deadline:
        if emulator.RESET_REQUEST.search(emu.log()):
            break
        time.sleep(0.5)
    else:
        print("no reset within %d s" % LIFETIME, flush=True)
        return
    value = emu.bios(SYSTEM, state["username"], state["password"]).get("ProcVirtualization")
    cpu = cpu_on if value == "Enabled" else cpu_off
    print("reset seen; ProcVirtualization=%s; restarting %s with -cpu %s" % (value, name, cpu), flush=True)
    scripts = ROOT / "extensions" / "molecule" / "shared"
    subprocess.run([str(scripts / "vm-down"), "--keep-disk", name], check=True)
    subprocess.run([str(scripts / "vm-up"), "--keep-disk", name, release, cpu, port], check=True,
                   stdout=subprocess.DEVNULL)
    print("restarted %s with -cpu %s" % (name, cpu), flush=True)


def stop(workdir):
    state = _state(workdir)
    for key in ("watcher_pid", "emulator_pid"):
        if state.get(key):
            _kill(state[key])


def main(argv):
    commands = {"start": (start, 1), "watch": (watch, 6), "watch-run": (watch_run, 6), "stop": (stop, 1)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        sys.exit(__doc__)
    function = commands[argv[1]][0]
    function(pathlib.Path(argv[2]), *argv[3:])


if __name__ == "__main__":
    main(sys.argv)
