# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of the report playbook against a fleet over real SSH, shared by the fleet tests.

The fleet (sshfleet.Fleet) is started, reported on live with a jsonfile fact cache, checked
for pipelining and become on one host, and stopped; then the report is made again from the
cache alone, with no sshd left to answer. The tests read the results.

FLEET_SHAPE picks the fleet: ``small`` (make test-fleet) is 14 hosts, every kind of row (the
live verdict, captured hosts' verdicts, a failed gathering, unreachable hosts) and more hosts
than forks; ``soak`` (make soak) is the 204-host rig, 13 sshd processes and forks 16.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import sshfleet  # noqa: E402  pylint: disable=wrong-import-position

BIN = pathlib.Path(sys.executable).parent
OUTPUT = sshfleet.OUTPUT
SHAPES = {
    # 12 reachable (every 2nd reads a captured host, the last a missing snapshot) and 2 unreachable.
    "small": {"hosts": 12, "closed": 2, "forks": 4, "fixtures_every": 2},
    # 200 reachable (every 4th reads a captured host, the last a missing snapshot) and 4 unreachable.
    "soak": {"hosts": 200, "closed": 4, "forks": 16, "fixtures_every": 4},
}
SHAPE = SHAPES[os.environ.get("FLEET_SHAPE", "small")]


def _playbook(fleet_env, *args, timeout=900):
    """Run the report playbook; return (rc, stdout+stderr, seconds)."""
    start = time.monotonic()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "hypervisor.kvm.report"] + list(args),
                          env=fleet_env, capture_output=True, text=True, timeout=timeout, check=False)
    return proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start


def _recap(output):
    """Per host, the counters of the PLAY RECAP."""
    recap = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line)
        if match:
            recap[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return recap


@pytest.fixture(scope="session")
def fleet_run(tmp_path_factory):
    """Everything the fleet tests look at, from one live run and one run from the cache."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    work = tmp_path_factory.mktemp("fleet")
    cache = work / "facts"
    live_dir, cache_dir, one_dir = OUTPUT / "report", OUTPUT / "report-from-cache", work / "one"
    caching = {"ANSIBLE_CACHE_PLUGIN": "jsonfile", "ANSIBLE_CACHE_PLUGIN_CONNECTION": str(cache)}
    run = {"shape": SHAPE}
    with sshfleet.Fleet(become=True, **SHAPE) as fleet:
        run["expected"] = dict(fleet.expected)
        run["fixture_roots"] = sshfleet.fixture_roots()
        env = fleet.env(**caching)
        # Pipelining and become, seen in the connection's log for one host. Ansible skips become
        # when become_user is the user it logs in as (root here), so this run becomes nobody.
        run["verbose"] = _playbook(env, "-l", "kvm-001", "-vvv", "-e", "ansible_become_user=nobody",
                                   "-e", "kvm_report_dir=%s" % one_dir)
        run["verbose_report"] = json.loads((one_dir / "hosts.json").read_text()) if (one_dir / "hosts.json").exists() else None
        # The whole fleet, after: its facts replace kvm-001's, gathered as nobody, in the cache.
        run["live"] = _playbook(env, "-e", "kvm_report_dir=%s" % live_dir)
        inventory = fleet.inventory.read_text()
        config = fleet.config.read_text()
    run["leftovers"] = fleet.leftovers()
    # The fleet is gone, and its directory: the cache is all there is. Same inventory and config.
    work.joinpath("inventory.yml").write_text(inventory)
    work.joinpath("ansible.cfg").write_text(config)
    env = dict(os.environ, ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_INVENTORY=str(work / "inventory.yml"),
               ANSIBLE_NOCOLOR="1", **caching)
    run["cache"] = _playbook(env, "-e", "kvm_report_from_cache=true", "-e", "kvm_report_dir=%s" % cache_dir)
    for name, directory in (("live_report", live_dir), ("cache_report", cache_dir)):
        run[name] = {
            "dir": directory,
            "json": json.loads((directory / "hosts.json").read_text()) if (directory / "hosts.json").exists() else None,
        }
    run["recap"] = _recap(run["live"][1])
    (OUTPUT / "live-run.log").write_text(run["live"][1])
    (OUTPUT / "cache-run.log").write_text(run["cache"][1])
    return run
