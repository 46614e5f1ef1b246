# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-fleet`: what KVM readiness costs across a fleet reached over real SSH.

Starts the test fleet (sshfleet.Fleet: 200 hosts, each its own address and ssh connection),
and measures, in one run and at the same forks, the wall time and hosts per second of
  ansible HOSTS -m hypervisor.kvm.kvm_facts | -m ansible.builtin.ping | -m ansible.builtin.setup
  ansible-playbook hypervisor.kvm.report (end to end: facts, then the page, CSV and JSON)
on the first 50, 100 and 200 hosts, and the workflow for sliced jobs: the report playbook with
kvm_report_write=false in BENCH_SLICES --limit slices into one jsonfile fact cache, then the
report from that cache, against one report run over all hosts.
Then, from a fact cache alone (factcache.py): the report with kvm_report_from_cache=true over
BENCH_CACHE_HOSTS (10,000) hosts against the no-work playbook of the same shape (one skipped task
per host, one run_once file write), and the 10,000-row page in headless chromium (first
contentful paint, and one filter keystroke until the next frame).
Goals: kvm_facts at most 1.05x ping at the same forks; the report from cache at most 1.2x the
no-work playbook and at most 1.5x the floor (one run_once write over the same inventory and cache, no
per-host task), both measured in the same run; the page's first paint and a keystroke under 1 s; the report costs the facts
plus a constant (no per-host round trip beyond the facts).

Connections are warm, as in a job that reuses ControlPersist masters: one ping opens them
first. One cold run of ping and of kvm_facts at the largest size (masters closed first) shows
the cost of connecting. Pipelining on, interpreter fixed (no discovery), become off: the test
fleet logs in as root, and sudo would add the same cost to each module.
Environment: BENCH_FORKS (16), BENCH_SIZES (50,100,200), BENCH_REPEAT (1: runs per
measurement, the median is kept), BENCH_FORKS_SWEEP (e.g. 4,8,16,32: also time kvm_facts on the
largest size at each of these forks; empty by default), BENCH_SLICES (3), BENCH_CACHE_HOSTS
(10000), BENCH_PARTS (live,cache: which parts run), BENCH_MODULES (the three above, comma-separated),
BENCH_CACHE_RUNS (no-work,run-once,report). Wall time and the CPU time of ansible and
its children are both shown: on a shared machine the CPU time is the steadier of the two.
Results also go to tests/output/fleet/bench.json.
"""

from __future__ import annotations

import json
import os
import pathlib
import statistics
import subprocess
import sys
import resource
import shutil
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

import factcache  # noqa: E402  pylint: disable=wrong-import-position
import sshfleet  # noqa: E402  pylint: disable=wrong-import-position

BIN = pathlib.Path(sys.executable).parent
FORKS = int(os.environ.get("BENCH_FORKS", "16"))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "50,100,200").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "1"))
SWEEP = [int(f) for f in os.environ.get("BENCH_FORKS_SWEEP", "").split(",") if f]
MODULES = tuple(os.environ.get("BENCH_MODULES", "hypervisor.kvm.kvm_facts,ansible.builtin.ping,ansible.builtin.setup").split(","))
SLICES = int(os.environ.get("BENCH_SLICES", "3"))
CACHE_HOSTS = int(os.environ.get("BENCH_CACHE_HOSTS", "10000"))
PARTS = set(os.environ.get("BENCH_PARTS", "live,cache").split(","))
CACHE_RUNS = os.environ.get("BENCH_CACHE_RUNS", "no-work,run-once,report").split(",")


def load():
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv, env, expect_hosts, cpu=None):
    """Seconds one command takes; fails loudly when it did not reach every host.

    ``cpu``, a dict, receives the CPU seconds the command and its children used under ``argv[0]``'s name.
    """
    start, before = time.monotonic(), children_cpu()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - start
    if cpu is not None:
        cpu[argv[0]] = children_cpu() - before
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s\n%s" % (" ".join(argv), proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
    ok = proc.stdout.count(" | SUCCESS") if "ansible-playbook" not in argv[0] else expect_hosts
    if ok != expect_hosts:
        raise RuntimeError("%s: %d of %d hosts answered" % (" ".join(argv), ok, expect_hosts))
    return seconds


def measure(argv, env, hosts):
    return statistics.median(timed(argv, env, hosts) for run in range(REPEAT))


def live(results):
    """The fleet over SSH: modules side by side, the report end to end, and the sliced workflow."""
    out = sshfleet.OUTPUT
    largest = max(SIZES)
    print("SSH fleet: %s hosts" % ", ".join(map(str, SIZES)))
    results["runs"] = []
    with sshfleet.Fleet(hosts=largest, closed=0, failing=0, forks=FORKS, become=False) as fleet, \
            tempfile.TemporaryDirectory(prefix="kvm-bench-report-") as report_dir:
        env = fleet.env()
        ansible, playbook = str(BIN / "ansible"), str(BIN / "ansible-playbook")

        def adhoc(size, module):
            return [ansible, "reachable[0:%d]" % (size - 1), "-m", module, "-o"]

        def report(size):
            return [playbook, "hypervisor.kvm.report", "-l", "reachable[0:%d]" % (size - 1),
                    "-e", "kvm_report_dir=%s" % report_dir, "-e", "kvm_report_become=false"]

        def sliced(cache):
            """The workflow: BENCH_SLICES gathering runs into one fact cache, then one report from it."""
            caching = fleet.env(ANSIBLE_CACHE_PLUGIN="jsonfile", ANSIBLE_CACHE_PLUGIN_CONNECTION=cache)
            names = ["kvm-%03d" % (i + 1) for i in range(largest)]
            seconds = []
            for number in range(SLICES):
                seconds.append(timed([playbook, "hypervisor.kvm.report", "-e", "kvm_report_write=false",
                                      "-e", "kvm_report_become=false", "-l", ",".join(names[number::SLICES])],
                                     caching, largest))
            seconds.append(timed([playbook, "hypervisor.kvm.report", "-l", "reachable", "-e", "kvm_report_from_cache=true",
                                  "-e", "kvm_report_dir=%s" % report_dir], caching, largest))
            return seconds

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

        with tempfile.TemporaryDirectory(prefix="kvm-bench-slices-") as cache:
            slices = sliced(cache)
        results["slices"] = {"slices": SLICES, "seconds": [round(x, 3) for x in slices]}
        gathered = ", ".join("%.2f" % x for x in slices[:-1])
        print("  %d slices of %d hosts gathering into one cache: %s s; then the report from it: %.2f s; "
              "one report run over all: %.2f s" % (SLICES, largest, gathered, slices[-1], table[("report", largest)]), flush=True)

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
    print("kvm_facts / ping at %d hosts: %.2fx (goal at most 1.05x)" % (largest, ratio))
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
    results.update(facts_over_ping=round(ratio, 3), cold={k: round(v, 3) for k, v in cold.items()},
                   report_minus_facts={str(s): round(v, 3) for s, v in extra.items()})


PAINT_AND_KEYSTROKE = """async word => {
  const frame = () => new Promise(resolve => requestAnimationFrame(() => setTimeout(resolve, 0)));
  let paint;
  for (let i = 0; i < 50 && !paint; i++) {
    await frame();
    paint = performance.getEntriesByType('paint').find(e => e.name === 'first-contentful-paint');
  }
  const filter = document.getElementById('filter');
  const start = performance.now();
  filter.value = word;
  filter.dispatchEvent(new Event('input'));
  await frame();
  return {first_paint_ms: paint ? paint.startTime : -1, keystroke_ms: performance.now() - start,
          shown: document.getElementById('shown').textContent,
          rows: document.querySelectorAll('#hosts-table tbody tr').length};
}"""


def page_timing(path, repeat=3):
    """First contentful paint and one filter keystroke of the page at ``path`` in headless chromium (median of runs)."""
    from playwright.sync_api import sync_playwright  # pylint: disable=import-outside-toplevel
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    runs = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        for _run in range(repeat):
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            start = time.monotonic()
            tab.goto(path.as_uri())
            loaded = time.monotonic() - start
            runs.append(dict(tab.evaluate(PAINT_AND_KEYSTROKE, "module"), load_event_s=loaded))
            tab.close()
        browser.close()
    return {key: statistics.median(r[key] for r in runs) if isinstance(runs[0][key], (int, float)) else runs[0][key]
            for key in runs[0]}


def from_cache(results):
    """The report from a fact cache of CACHE_HOSTS hosts against the no-work playbook; the page it makes."""
    hosts = [factcache.host_name(i) for i in range(CACHE_HOSTS)]
    facts = list(factcache.captured_facts().values())
    with tempfile.TemporaryDirectory(prefix="kvm-bench-cache-") as work:
        work = pathlib.Path(work)
        factcache.write_cache(work / "facts", {h: facts[i % len(facts)] for i, h in enumerate(hosts)})
        factcache.write_inventory(work / "inventory.yml", hosts)
        (work / "no-work.yml").write_text(factcache.NO_WORK_PLAYBOOK)
        (work / "run-once.yml").write_text(factcache.RUN_ONCE_PLAYBOOK)
        (work / "no-work").mkdir()
        env = factcache.environment(work / "facts", ANSIBLE_FORKS=FORKS)
        playbook = str(BIN / "ansible-playbook")
        argvs = {name: [playbook, "-i", str(work / "inventory.yml"), str(work / (name + ".yml")), "-e", "out=%s" % (work / "no-work")]
                 for name in ("no-work", "run-once")}
        argvs["report"] = [playbook, "-i", str(work / "inventory.yml"), "hypervisor.kvm.report", "-e",
                           "kvm_report_from_cache=true", "-e", "kvm_report_dir=%s" % (work / "report")]
        wall, cpu = {}, {}
        for name in CACHE_RUNS * REPEAT:
            argv, used = argvs[name], {}
            wall.setdefault(name, []).append(timed(argv, env, CACHE_HOSTS, used))
            cpu.setdefault(name, []).append(used[playbook])
            print("  from cache, %d hosts: %-8s %8.2f s wall %8.2f s CPU   (load %s)" % (
                CACHE_HOSTS, name, wall[name][-1], cpu[name][-1], load()), flush=True)
        page = page_timing(work / "report" / "index.html")
        sizes = {name: (work / "report" / name).stat().st_size for name in ("index.html", "hosts.csv", "hosts.json")}
    wall = {k: statistics.median(v) for k, v in wall.items()}
    cpu = {k: statistics.median(v) for k, v in cpu.items()}
    ratios = {}
    for reference, what, goal in (("no-work", "the no-work playbook (one skipped task per host, one run_once write)", 1.2),
                                  ("run-once", "the floor: one run_once write over the same inventory and cache", 1.5)):
        if reference in wall and "report" in wall:
            ratios[reference] = {"wall": round(wall["report"] / wall[reference], 3), "cpu": round(cpu["report"] / cpu[reference], 3)}
            print("report from cache / %s at %d hosts: %.2fx wall, %.2fx CPU (goal at most %.1fx)" % (
                what, CACHE_HOSTS, wall["report"] / wall[reference], cpu["report"] / cpu[reference], goal))
    print("page of %d rows (%d bytes): first contentful paint %.0f ms, filter keystroke %.0f ms (%s), "
          "load event %.2f s (goal: paint and keystroke under 1 s)" % (
              CACHE_HOSTS, sizes["index.html"], page["first_paint_ms"], page["keystroke_ms"], page["shown"],
              page["load_event_s"]))
    results["from_cache"] = {"hosts": CACHE_HOSTS, "wall": {k: round(v, 3) for k, v in wall.items()},
                             "cpu": {k: round(v, 3) for k, v in cpu.items()},
                             "ratios": ratios, "page": page, "sizes": sizes}


def main():
    out = sshfleet.OUTPUT
    out.mkdir(parents=True, exist_ok=True)
    results = {"forks": FORKS, "cores": os.cpu_count(), "load_before": load()}
    print("machine: %d cores, load average %s; forks %d; parts %s" % (os.cpu_count(), load(), FORKS, ",".join(sorted(PARTS))))
    if "live" in PARTS:
        live(results)
    if "cache" in PARTS:
        from_cache(results)
    results["load_after"] = load()
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print("load average after: %s; results in %s" % (load(), out / "bench.json"))


if __name__ == "__main__":
    main()
