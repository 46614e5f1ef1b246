# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench`: what one KVM facts gathering costs, in process and as an ad-hoc run.

Prints, from one run on this machine, the median in-process time of one gathering, and side
by side the median wall time of ansible ad-hoc runs of kvm_facts, ping and a minimal setup,
plus kvm-ok and virt-host-validate where they are installed. Goals: one gathering well under
10 ms; the kvm_facts ad-hoc run at most 1.10x a ping.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather

GATHERINGS = int(os.environ.get("BENCH_GATHERINGS", "500"))
RUNS = int(os.environ.get("BENCH_RUNS", "9"))


def in_process():
    gather("/")  # warm the imports and the page cache
    times = []
    for _gathering in range(GATHERINGS):
        start = time.perf_counter()
        gather("/")
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def wall(argv):
    """Median, min and max wall seconds of ``RUNS`` runs of a command (after one warm-up)."""
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    times = []
    for _run in range(RUNS):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main():
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    host = ["localhost", "-c", "local", "-i", "localhost,", "-e", "ansible_python_interpreter=%s" % sys.executable]
    median, low, high = in_process()
    print("machine: %s, %d cores, Python %s" % (os.uname()[4], os.cpu_count(), sys.version.split()[0]))
    print("one gathering in process (median of %d): %.2f ms (min %.2f, max %.2f)" % (
        GATHERINGS, median * 1000, low * 1000, high * 1000))
    print("wall time, median of %d runs after one warm-up:" % RUNS)
    rows = [
        ("ansible -m hypervisor.kvm.kvm_facts", [ansible] + host + ["-m", "hypervisor.kvm.kvm_facts"]),
        ("ansible -m ansible.builtin.ping", [ansible] + host + ["-m", "ansible.builtin.ping"]),
        ("ansible -m ansible.builtin.setup (virtual)", [ansible] + host + [
            "-m", "ansible.builtin.setup", "-a", "gather_subset=!all,!min,virtual"]),
    ]
    for name, argv in (("kvm-ok", ["kvm-ok"]), ("virt-host-validate qemu", ["virt-host-validate", "qemu"])):
        if shutil.which(argv[0]):
            rows.append((name, argv))
        else:
            print("  %-45s not installed" % name)
    results = {}
    for name, argv in rows:
        results[name] = wall(argv)
        print("  %-45s %7.0f ms (min %.0f, max %.0f)" % (name, results[name][0] * 1000,
                                                         results[name][1] * 1000, results[name][2] * 1000))
    ratio = results[rows[0][0]][0] / results[rows[1][0]][0]
    print("kvm_facts / ping: %.2fx (goal at most 1.10x)" % ratio)
    print("one gathering: %.2f ms (goal well under 10 ms)" % (median * 1000))


if __name__ == "__main__":
    main()
