# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-fleet`: what KVM readiness costs across a fleet reached over real SSH.

Starts the test fleet (sshfleet.Fleet: 200 hosts, each its own address and ssh connection),
and measures, in one run and at the same forks, the wall time and hosts per second of
  ansible HOSTS -m hypervisor.kvm.kvm_facts | -m ansible.builtin.ping | -m ansible.builtin.setup
  ansible-playbook hypervisor.kvm.report (end to end: facts, then the page, CSV and JSON)
on the first 50, 100 and 200 hosts. Goals: kvm_facts at most 1.2x ping; the report costs the
facts plus a constant (no per-host round trip beyond the facts).

Connections are warm, as in a job that reuses ControlPersist masters: one ping opens them
first. One cold run of ping and of kvm_facts at the largest size (masters closed first) shows
the cost of connecting. Pipelining on, interpreter fixed (no discovery), become off: the test
fleet logs in as root, and sudo would add the same cost to each module.
Environment: BENCH_FORKS (16), BENCH_SIZES (50,100,200), BENCH_REPEAT (1: runs per
measurement, the median is kept), BENCH_FORKS_SWEEP (e.g. 4,8,16,32: also time kvm_facts on the
largest size at each of these forks; empty by default). Results also go to
tests/output/fleet/bench.json.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import sshfleet  # noqa: E402  pylint: disable=wrong-import-position

BIN = pathlib.Path(sys.executable).parent
FORKS = int(os.environ.get("BENCH_FORKS", "16"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "50,100,200").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))
SWEEP = [int(f) for f in os.environ.get("BENCH_FORKS_SWEEP", "").split(",") if f]
MODULES = ("hypervisor.kvm.kvm_facts", "ansible.builtin.ping", "ansible.builtin.setup")


def load():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


def timed(argv, env, expect_hosts):
    """Seconds one command takes; fails loudly when it did not reach every host."""
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s\n%s" % (" ".join(argv), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    ok = proc.stdout.count(" | SUCCESS") if "ansible-playbook" not in argv[0] else expect_hosts
    if ok != expect_hosts:
        raise RuntimeError("%s: %d of %d hosts answered" % (" ".join(argv), ok, expect_hosts))
    return seconds


def measure(argv, env, hosts):
    return statistics.median(timed(argv, env, hosts) for run in range(REPEAT))


def main():
    out = sshfleet.OUTPUT
    out.mkdir(parents=True, exist_ok=True)
    largest = max(SIZES)
    print("machine: %d cores, load average %s; forks %d; %s" % (os.cpu_count(), load(), FORKS, ", ".join(map(str, SIZES))))
    results = {"forks": FORKS, "cores": os.cpu_count(), "load_before": load(), "runs": []}
    with sshfleet.Fleet(hosts=largest, closed=0, failing=0, forks=FORKS, become=False) as fleet, \
            tempfile.TemporaryDirectory(prefix="kvm-bench-report-") as report_dir:
        env = fleet.env()
        ansible, playbook = str(BIN / "ansible"), str(BIN / "ansible-playbook")

        def adhoc(size, module):
            return [ansible, "reachable[0:%d]" % (size - 1), "-m", module, "-o"]

        def report(size):
            return [playbook, "hypervisor.kvm.report", "-l", "reachable[0:%d]" % (size - 1),
                    "-e", "kvm_report_dir=%s" % report_dir, "-e", "kvm_report_become=false"]

        cold = {}
        for module in ("ansible.builtin.ping", "hypervisor.kvm.kvm_facts"):
            fleet.close_masters()
            cold[module] = timed(adhoc(largest, module), env, largest)
        timed(adhoc(largest, "ansible.builtin.ping"), env, largest)  # open every master for the warm runs

        table = {}
        for size in SIZES:
            for name in MODULES + ("report",):
                argv = report(size) if name == "report" else adhoc(size, name)
                seconds = measure(argv, env, size)
                table[(name, size)] = seconds
                results["runs"].append({"what": name, "hosts": size, "seconds": round(seconds, 3)})
                print("  %-26s %4d hosts %8.2f s %8.1f hosts/s   (load %s)" % (name, size, seconds, size / seconds, load()),
                      flush=True)

        sweep = {}
        for forks in SWEEP:
            sweep[forks] = timed(adhoc(largest, "hypervisor.kvm.kvm_facts") + ["--forks", str(forks)], env, largest)
            print("  kvm_facts, %d hosts, forks %3d: %8.2f s %8.1f hosts/s   (load %s)" % (
                largest, forks, sweep[forks], largest / sweep[forks], load()), flush=True)
        results["forks_sweep"] = {str(k): round(v, 3) for k, v in sweep.items()}

    print()
    print("wall time in seconds, warm connections, forks %d (hosts per second in brackets):" % FORKS)
    print("  %-26s" % "" + "".join("%18s" % ("%d hosts" % s) for s in SIZES))
    for name in MODULES + ("report",):
        print("  %-26s" % name + "".join("%18s" % ("%.2f (%.1f/s)" % (table[(name, s)], s / table[(name, s)])) for s in SIZES))
    ratio = table[("hypervisor.kvm.kvm_facts", largest)] / table[("ansible.builtin.ping", largest)]
    print("kvm_facts / ping at %d hosts: %.2fx (goal at most 1.2x)" % (largest, ratio))
    print("cold connections at %d hosts: ping %.2f s, kvm_facts %.2f s (%.2fx)" % (
        largest, cold["ansible.builtin.ping"], cold["hypervisor.kvm.kvm_facts"],
        cold["hypervisor.kvm.kvm_facts"] / cold["ansible.builtin.ping"]))
    extra = {s: table[("report", s)] - table[("hypervisor.kvm.kvm_facts", s)] for s in SIZES}
    print("report minus kvm_facts: " + ", ".join("%.2f s at %d" % (extra[s], s) for s in SIZES))
    if len(SIZES) > 1:
        low, high = min(SIZES), max(SIZES)
        growth = {name: (table[(name, high)] - table[(name, low)]) / (high - low) * 1000 for name in MODULES + ("report",)}
        print("time per extra host from %d to %d: " % (low, high)
              + ", ".join("%s %.0f ms" % (name.rsplit(".", 1)[-1], ms) for name, ms in growth.items()))
        print("the report's per-host cost beyond kvm_facts: %.0f ms/host (goal about 0: no per-host round trip)"
              % (growth["report"] - growth["hypervisor.kvm.kvm_facts"]))
    results.update(load_after=load(), facts_over_ping=round(ratio, 3),
                   cold={k: round(v, 3) for k, v in cold.items()},
                   report_minus_facts={str(s): round(v, 3) for s, v in extra.items()})
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print("load average after: %s; results in %s" % (load(), out / "bench.json"))


if __name__ == "__main__":
    main()
