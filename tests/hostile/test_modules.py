# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every hostile snapshot through the real kvm_facts, kvm_check and kvm_passthrough_plan, each run in its own process.

Asserted for every run: it ends (a timeout per run, so nothing hangs the suite) in under a
second of CPU and, but for the 4 MB kernel logs, of wall time on an idle machine (stretched by
the load average on a busy one); it prints one JSON result with the usual keys (or, for a root that is no host, a
failure that says why); no piece of any outside file's random token, nor the live host's
kernel release or CPU model, is anywhere in it; and it says what it refused. Then once for
all snapshots through ``ansible`` itself, so the controller's side of the result is covered too.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import time

import pytest

import corpus

from ansible_collections.hypervisor.kvm.plugins.modules import kvm_facts

MODULES = ("kvm_facts", "kvm_check", "kvm_passthrough_plan")
MODULE_DIR = os.path.dirname(os.path.abspath(kvm_facts.__file__))
# The directory that holds ansible_collections/, for the module processes and for ansible.
COLLECTIONS = os.path.abspath(os.path.join(MODULE_DIR, *[os.pardir] * 5))
FACT_KEYS = {"usable", "reason", "remediation", "arch", "kernel", "cpu", "vendor_module", "modules", "device",
             "nested", "guest", "iommu", "hugepages", "devices", "confidential", "gpus", "probed", "evidence"}
CHECK_KEYS = {"msg", "usable", "reason", "remediation", "evidence"}
PLAN_KEYS = {"iommu", "kernel_parameters", "vfio", "host_devices", "hugepages", "problems", "deferred",
             "pending_reboot", "changes_need_reboot"}
KEYS = {"kvm_facts": FACT_KEYS, "kvm_check": CHECK_KEYS, "kvm_passthrough_plan": PLAN_KEYS}
SIZE_LIMIT = 64 * 1024
CPU_LIMIT = 1.0
NAMES = sorted(corpus.CASES) + list(corpus.ROOTS)


def _live_strings():
    """Values of this host that a snapshot must not show: its kernel release and CPU model."""
    found = [os.uname()[2]]
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            found += re.findall(r"^model name\s*:\s*(.+?)\s*$", handle.read(), re.M)[:1]
    except OSError:
        pass
    return [value for value in found if len(value) >= 8]


LIVE = _live_strings()


def leaks(text, ctx):
    """Every 8-character piece of an outside token, or live host value, found in ``text``."""
    found = []
    for token in ctx.tokens:
        found += ["token %s...: %r" % (token[:6], token[i:i + 8]) for i in range(len(token) - 7)
                  if token[i:i + 8] in text]
    found += ["live host value %r" % value for value in LIVE if value in text]
    return found


def run_module(module, root, timeout, work):
    """Run a module as Ansible's module runner would: ``(result or None, raw, wall, cpu, timed_out)``."""
    args = os.path.join(work, "args-%s.json" % module)
    with open(args, "w", encoding="utf-8") as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": {"root": root}}, handle)
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, os.path.join(MODULE_DIR, module + ".py"), args],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=timeout, check=False)
        stdout, raw, timed_out = proc.stdout, proc.stdout + proc.stderr, False
    except subprocess.TimeoutExpired as exc:
        stdout, raw, timed_out = b"", (exc.stdout or b"") + (exc.stderr or b""), True
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    try:
        result = json.loads(stdout) if stdout else None
    except ValueError:
        result = None
    return result, raw, wall, cpu, timed_out


def _load_factor():
    """How many times slower than idle this machine runs now: 1 on an idle one, never less.

    The second allowed for a run is a second of an idle machine; where other jobs hold the
    cores (the load average above their number) it stretches by the ratio, and the CPU time,
    which load does not stretch, is held to the second regardless.
    """
    return max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("name", NAMES)
def test_hostile_snapshot(name, module, hostile, tmp_path, record_property):
    """One hostile root through one module: contained, fast, valid, and saying what it refused."""
    ctx, roots = hostile
    case = corpus.case_of(name)
    root = roots[name]
    if root is None:
        pytest.skip("needs root (mknod)")
    result, raw, wall, cpu, timed_out = run_module(module, root, case.timeout, str(tmp_path))
    wall_limit = case.wall_limit and case.wall_limit * _load_factor()
    if wall_limit and not timed_out and wall >= wall_limit:
        # On a shared machine another run tells a load spike from a slow read.
        result, raw, wall, cpu, timed_out = run_module(module, root, case.timeout, str(tmp_path))
    text = raw.decode("utf-8", "replace") if result is None else json.dumps(result, ensure_ascii=False)
    problems, gaps = [], []

    def check(kind, ok, why):
        if ok:
            return
        if kind in case.gaps:
            gaps.append("%s (%s)" % (case.gaps[kind], why))
        else:
            problems.append(why)

    problems += ["read outside its root: %s" % leak for leak in leaks(raw.decode("utf-8", "replace"), ctx)]
    check("time", not timed_out, "still running after %d s, killed" % case.timeout)
    if not timed_out:
        check("time", cpu < CPU_LIMIT, "took %.2f s of CPU" % cpu)
        if wall_limit:
            check("time", wall < wall_limit, "took %.2f s (limit %.2f s at this load)" % (wall, wall_limit))
        if result is None:
            problems.append("no JSON result: %r" % text[:300])
        elif name in corpus.ROOTS:
            if not (result.get("failed") and result.get("msg")):
                problems.append("a root that is no host was not refused: %r" % text[:300])
        else:
            facts = result.get("ansible_facts", {}).get("kvm") if module == "kvm_facts" else result
            if not facts or not KEYS[module] <= set(facts):
                problems.append("not the usual result: %r" % text[:300])
        check("size", len(raw) <= SIZE_LIMIT, "a %d-byte result" % len(raw))
        if module in case.says_in:
            check("says", re.search(case.says, text) is not None, "nothing in the result matches %r" % case.says)
    # For the summary (conftest.py's TALLY), through the test's report.
    record_property("hostile_tally", {"name": name, "module": module, "row": {
        "wall": wall, "cpu": cpu, "size": len(raw), "clean": not problems and not gaps, "problems": problems,
        "gaps": gaps}})
    assert not problems, "%s through %s:\n%s" % (name, module, "\n".join(problems))
    fixed = [kind for kind in case.gaps if not any(gap.startswith(case.gaps[kind]) for gap in gaps)]
    if gaps:
        pytest.xfail("known gap: " + "; ".join(gaps))
    assert not fixed, "the gap %s of %r is fixed: remove it from corpus.CASES" % (fixed, name)


@pytest.mark.parametrize("module", MODULES)
def test_through_ansible(module, hostile, tmp_path, record_property):
    """All hostile roots at once through ``ansible``: every host answers with a result, nothing leaks."""
    ctx, roots = hostile
    names = [name for name in NAMES if roots[name] is not None and "time" not in corpus.case_of(name).gaps]
    hosts = dict(("hostile%02d" % index, {"hostile_root": roots[name]}) for index, name in enumerate(names))
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"all": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}), encoding="utf-8")
    tree = tmp_path / "tree"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_NOCOLOR="1")
    start = time.monotonic()
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "ansible"), "all", "-i", str(inventory), "-f", "2",
         "--task-timeout", "60", "-t", str(tree), "-m", "hypervisor.kvm." + module,
         "-a", "root={{ hostile_root }}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, timeout=900, check=False)
    seconds = time.monotonic() - start
    output = (proc.stdout + proc.stderr).decode("utf-8", "replace")
    record_property("hostile_ansible_run", [module, len(hosts), seconds, proc.returncode])
    assert not leaks(output, ctx), leaks(output, ctx)
    for index, name in enumerate(names):
        host = "hostile%02d" % index
        result = json.loads((tree / host).read_text(encoding="utf-8"))
        assert not leaks(json.dumps(result), ctx), (name, leaks(json.dumps(result), ctx))
        if name in corpus.ROOTS:
            # The tree callback keeps the message, not the 'failed' flag.
            assert "ansible_facts" not in result and re.search(corpus.ROOTS[name].says, result["msg"]), (name, result)
        elif module == "kvm_facts":
            assert not result.get("failed"), (name, result.get("msg"))
            assert FACT_KEYS <= set(result["ansible_facts"]["kvm"]), (name, result)
        else:
            assert KEYS[module] <= set(result), (name, result)
