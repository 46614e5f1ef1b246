# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make bench-role`: what re-running kvm_host on a converged host costs, against its floor.

Boots a Debian 12 VM with AMD SVM under QEMU (extensions/molecule/shared/vm-up, the image that
build-image caches), makes the account kvm_host_users names (the scenarios' prepare_account.yml),
converges the role once (timed: the first converge), then alternates the floor play
(tests/bench/role/floor.yml: gather_facts, kvm_facts, package_facts, service_facts) and the role's
re-run on the converged VM, BENCH_ROLE_RUNS times each, and prints the first converge, both
medians and their ratio (goal: at most 1.5x), each re-run's changed count (0 on a converged
host), and every task of the re-run over 2 s (median over the re-runs; goal: none but the fact
gathering). Both plays are timed the same way, in the same run on the same VM: wall time of
ansible-playbook, so a busy machine slows both. The per-task profile of the re-run and the floor
(each task from its start to the next task's, as ansible.posix.profile_tasks measures) is printed
too, and every run's rows are kept in .cache/bench-role/tasks-*.jsonl.

Environment: BENCH_ROLE_RUNS (3), BENCH_ROLE_VM (VM name, kvm-bench), BENCH_ROLE_PORT (ssh port on
127.0.0.1, 22221), BENCH_ROLE_KEEP=1 (leave the VM running at the end, for another run),
BENCH_ROLE_REUSE=1 (use that running VM: no boot, and no first converge if a bench converged it
already). The VM this run booted is stopped at the end, also on failure, unless BENCH_ROLE_KEEP=1.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SHARED = os.path.join(ROOT, "extensions", "molecule", "shared")
HERE = os.path.join(ROOT, "tests", "bench", "role")
WORK = os.path.join(ROOT, ".cache", "bench-role")
RUNS = int(os.environ.get("BENCH_ROLE_RUNS", "3"))
VM = os.environ.get("BENCH_ROLE_VM", "kvm-bench")
PORT = os.environ.get("BENCH_ROLE_PORT", "22221")
KEEP = os.environ.get("BENCH_ROLE_KEEP") == "1"
REUSE = os.environ.get("BENCH_ROLE_REUSE") == "1"
RATIO_GOAL = 1.5
TASK_GOAL = 2.0
# The re-run's fact gathering, which the 2 s rule leaves out (the floor pays it as well).
FACT_TASKS = ("Gather the OS facts the role needs", "Read what this host can do for KVM",
              "Read the KVM facts again")
RECAP = re.compile(r"^\S+\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def log(message):
    print("bench-role: %s" % message, flush=True)


def vm_up():
    """Boot the VM (building the image first if it is not cached); its instance config."""
    env = dict(os.environ, HYPERVISOR_KVM_VM_MEMORY=os.environ.get("HYPERVISOR_KVM_VM_MEMORY", "2048"))
    out = subprocess.run([os.path.join(SHARED, "vm-up"), VM, "bookworm", "max", PORT], env=env,
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def vm_dir():
    return os.path.join(os.environ.get("HYPERVISOR_KVM_VM_RUN", "/var/tmp/hypervisor-kvm-vm"), VM)


def instance():
    """The instance config of the VM vm-up left running."""
    with open(os.path.join(vm_dir(), "instance.json"), encoding="utf-8") as handle:
        return json.load(handle)


def write_inventory(config):
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "inventory.ini")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "%s ansible_host=%s ansible_port=%s ansible_user=%s ansible_ssh_private_key_file=%s "
            "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes'\n"
            % (config["instance"], config["address"], config["port"], config["user"], config["identity_file"]))
    return path


def playbook(inventory, play, label):
    """Run one playbook: (wall seconds, recap counts, task rows). Fails the bench on a failed run."""
    times = os.path.join(WORK, "tasks-%s.jsonl" % label)
    if os.path.exists(times):
        os.remove(times)
    env = dict(os.environ)
    env.update({
        # As extensions/molecule/config.yml sets them for the scenarios.
        "ANSIBLE_PIPELINING": "true",
        "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        "ANSIBLE_HOST_KEY_CHECKING": "false",
        "ANSIBLE_SSH_CONTROL_PATH_DIR": os.path.join(ROOT, ".cache", "ansible", "cp"),
        "ANSIBLE_CALLBACK_PLUGINS": os.path.join(ROOT, "tests", "bench", "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "task_profile",
        "BENCH_TASK_TIMES": times,
    })
    argv = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
            os.path.join(HERE, play)]
    start = time.monotonic()
    proc = subprocess.run(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    seconds = time.monotonic() - start
    with open(os.path.join(WORK, "output-%s.txt" % label), "w", encoding="utf-8") as handle:
        handle.write(proc.stdout)
    recap = RECAP.search(proc.stdout)
    if proc.returncode != 0 or not recap:
        print(proc.stdout[-6000:])
        raise SystemExit("bench-role: %s failed (rc %d); its output is in %s" % (label, proc.returncode, WORK))
    rows = []
    if os.path.exists(times):
        with open(times, encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    counts = dict(zip(("ok", "changed", "unreachable", "failed"), map(int, recap.groups())))
    return seconds, counts, rows


def profile(runs):
    """Per task (in order), the median seconds over the runs and the statuses seen."""
    order, seconds, statuses = [], {}, {}
    for rows in runs:
        seen = {}
        for row in rows:
            # A task name may repeat (an included file per pool): number the repeats.
            seen[row["task"]] = seen.get(row["task"], 0) + 1
            key = (row["task"], seen[row["task"]])
            if key not in seconds:
                order.append(key)
                seconds[key], statuses[key] = [], set()
            seconds[key].append(row["seconds"])
            statuses[key].add(row["status"])
    return [(key[0], statistics.median(seconds[key]), "/".join(sorted(statuses[key]))) for key in order]


def print_profile(title, table, top=25):
    total = sum(row[1] for row in table)
    print("%s: %d tasks, %.1f s in tasks; the %d slowest (median s, status):" % (title, len(table), total, min(top, len(table))))
    for name, seconds, status in sorted(table, key=lambda row: -row[1])[:top]:
        print("  %6.2f  %-8s %s" % (seconds, status, name))


def main():
    os.makedirs(WORK, exist_ok=True)
    print("machine: %s, %d cores, load %s" % (os.uname()[4], os.cpu_count(), " ".join("%.1f" % x for x in os.getloadavg())))
    booted = False
    try:
        if REUSE:
            config = instance()
            log("reusing the running VM %s" % VM)
        else:
            log("booting %s (Debian 12, -cpu max: AMD SVM) on 127.0.0.1:%s" % (VM, PORT))
            config = vm_up()
            booted = True
        inventory = write_inventory(config)
        first = None
        # Written in the VM's working dir (vm-down removes it) once a bench has converged it.
        marker = os.path.join(vm_dir(), "bench-converged")
        if not os.path.exists(marker):
            subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory,
                            os.path.join(SHARED, "prepare_account.yml")], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_PIPELINING="true",
                                    ANSIBLE_PYTHON_INTERPRETER="auto_silent"))
            log("first converge")
            first = playbook(inventory, "converge.yml", "first-converge")
            log("first converge: %.1f s, changed=%d" % (first[0], first[1]["changed"]))
            with open(marker, "w", encoding="utf-8") as handle:
                handle.write("%.1f\n" % first[0])
        floors, reruns = [], []
        for run in range(1, RUNS + 1):
            floors.append(playbook(inventory, "floor.yml", "floor-%d" % run))
            reruns.append(playbook(inventory, "converge.yml", "rerun-%d" % run))
            log("run %d: floor %.1f s, re-run %.1f s (changed=%d)" % (run, floors[-1][0], reruns[-1][0], reruns[-1][1]["changed"]))
        floor = statistics.median(s for s, _c, _r in floors)
        rerun = statistics.median(s for s, _c, _r in reruns)
        table = profile([rows for _s, _c, rows in reruns])
        print()
        print_profile("floor (per-task profile)", profile([rows for _s, _c, rows in floors]), top=10)
        print_profile("re-run of kvm_host (per-task profile)", table)
        slow = [row for row in table if row[1] > TASK_GOAL and row[0].split(" : ", 1)[-1] not in FACT_TASKS]
        print()
        if first:
            print("first converge:        %6.1f s (changed=%d)" % (first[0], first[1]["changed"]))
        print("floor, median of %d:    %6.1f s (%s)" % (RUNS, floor, ", ".join("%.1f" % s for s, _c, _r in floors)))
        print("re-run, median of %d:   %6.1f s (%s), changed=%s" % (
            RUNS, rerun, ", ".join("%.1f" % s for s, _c, _r in reruns), ",".join(str(c["changed"]) for _s, c, _r in reruns)))
        print("re-run / floor:        %6.2fx (goal at most %.1fx)" % (rerun / floor, RATIO_GOAL))
        print("re-run tasks over %.0f s, fact gathering aside (goal none): %s" % (
            TASK_GOAL, "none" if not slow else "; ".join("%s %.1f s" % (name, seconds) for name, seconds, _s in slow)))
    finally:
        if booted and not KEEP:
            subprocess.run([os.path.join(SHARED, "vm-down"), VM], check=False)
        elif booted:
            log("VM %s left running (BENCH_ROLE_KEEP=1): BENCH_ROLE_REUSE=1 measures it again, "
                "%s/vm-down %s stops it" % (VM, SHARED, VM))


if __name__ == "__main__":
    main()
