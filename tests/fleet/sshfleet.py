# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A fleet of hosts reached over real SSH on this machine, for the fleet tests and bench.

Every inventory host has its own loopback address (127.77.X.Y) on one port, so each gets its
own TCP connection and its own ssh ControlMaster, as separate machines would. sshd listens on
at most 16 sockets per process, so a fleet of 200 is served by 13 sshd processes started here
in the foreground (-D) with a throwaway config, host key and client key. A few names point at
addresses where nothing listens: they are unreachable. Every 4th host (by default) reads a captured
host from tests/unit/fixtures through kvm_snapshot_root, so the verdicts differ; one host points
kvm_snapshot_root at a missing snapshot, so its gathering fails.

Use as a context manager; leaving it ends every ssh master and sshd process it caused.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "unit" / "fixtures"
OUTPUT = ROOT / "tests" / "output" / "fleet"  # test artifacts, gitignored
SSHD = "/usr/sbin/sshd"
SOCKETS_PER_SSHD = 16  # MAX_LISTEN_SOCKS in OpenSSH's sshd.c
MISSING_SNAPSHOT = "/nonexistent/kvm-snapshot"


def address(index):
    """The loopback address of host number ``index`` (0-based)."""
    return "127.77.%d.%d" % (1 + index // 250, 1 + index % 250)


def closed_address(index):
    """An address where nothing listens, for the unreachable hosts."""
    return "127.77.250.%d" % (1 + index)


def host_name(index):
    return "kvm-%03d" % (index + 1)


def fixture_roots():
    """The root/ folders of the captured hosts, sorted by case name."""
    return [str(p / "root") for p in sorted(FIXTURES.iterdir()) if (p / "root").is_dir()]


def _free_port(addresses):
    """A TCP port free on every one of ``addresses``."""
    for port in range(22400, 23400, 7):
        taken = False
        for addr in addresses:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind((addr, port))
                except OSError:
                    taken = True
                    break
        if not taken:
            return port
    raise RuntimeError("no free TCP port on 127.77.0.0/16 between 22400 and 23400")


def _ssh_keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "kvm-fleet-test", "-f", str(path)],
                   check=True, stdout=subprocess.DEVNULL)


class Fleet:
    """``hosts`` reachable inventory hosts over real SSH, plus ``closed`` unreachable ones."""

    def __init__(self, hosts=200, closed=4, forks=16, become=True, fixtures_every=4, failing=1):
        self.hosts = hosts
        self.closed = closed
        self.forks = forks
        self.become = become
        self.fixtures_every = fixtures_every
        self.failing = failing
        self.dir = None
        self.port = None
        self.processes = []
        self.expected = {}  # host name -> the kvm_snapshot_root it was given

    # Paths inside the fleet's directory; kept short, ssh control sockets have a 108 byte limit.
    def path(self, name):
        return self.dir / name

    @property
    def inventory(self):
        return self.path("inventory.yml")

    @property
    def config(self):
        return self.path("ansible.cfg")

    def env(self, **extra):
        """Environment for ansible commands against this fleet."""
        env = dict(os.environ)
        env.update(ANSIBLE_CONFIG=str(self.config), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if not os.path.exists(SSHD):
            raise RuntimeError("%s is missing: apt-get install openssh-server" % SSHD)
        self.dir = pathlib.Path(tempfile.mkdtemp(prefix="kvmfleet-", dir="/tmp"))
        addresses = [address(i) for i in range(self.hosts)]
        self.port = _free_port(addresses + [closed_address(i) for i in range(self.closed)])
        _ssh_keygen(self.path("host_key"))
        _ssh_keygen(self.path("client_key"))
        shutil.copy(self.path("client_key.pub"), self.path("authorized_keys"))
        # sshd refuses to start without its privilege separation directory, which init would create.
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        for number, first in enumerate(range(0, self.hosts, SOCKETS_PER_SSHD)):
            self._start_sshd(number, addresses[first:first + SOCKETS_PER_SSHD])
        self._wait_listening(addresses)
        self._write_inventory()
        self._write_config()

    def _start_sshd(self, number, addresses):
        config = self.path("sshd_%02d.conf" % number)
        lines = ["Port %d" % self.port]
        lines += ["ListenAddress %s" % a for a in addresses]
        lines += [
            "HostKey %s" % self.path("host_key"),
            "PidFile none",
            "AuthorizedKeysFile %s" % self.path("authorized_keys"),
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            # The keys live under /tmp, which is world-writable; these sshd serve loopback only.
            "StrictModes no",
            "UseDNS no",
            "PrintMotd no",
            "MaxStartups 256:30:512",
            "MaxSessions 64",
            "LogLevel ERROR",
            "Subsystem sftp internal-sftp",
        ]
        config.write_text("\n".join(lines) + "\n")
        log = open(self.path("sshd_%02d.log" % number), "wb")  # pylint: disable=consider-using-with
        process = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)  # pylint: disable=consider-using-with
        log.close()
        self.processes.append(process)

    def _wait_listening(self, addresses, timeout=30):
        deadline = time.monotonic() + timeout
        pending = list(addresses)
        while pending:
            for process in self.processes:
                if process.poll() is not None:
                    logs = "".join(p.read_text(errors="replace") for p in sorted(self.dir.glob("sshd_*.log")))
                    raise RuntimeError("sshd exited with %s: %s" % (process.returncode, logs))
            still = []
            for addr in pending:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                    sock.settimeout(1)
                    if sock.connect_ex((addr, self.port)) != 0:
                        still.append(addr)
            pending = still
            if pending and time.monotonic() > deadline:
                raise RuntimeError("sshd does not listen on %s port %d" % (", ".join(pending[:5]), self.port))
            if pending:
                time.sleep(0.1)

    def root_of(self, index):
        """The kvm_snapshot_root of host number ``index``: every Nth reads a captured host."""
        if index >= self.hosts - self.failing:
            return MISSING_SNAPSHOT
        roots = fixture_roots()
        if self.fixtures_every and index % self.fixtures_every == self.fixtures_every - 1:
            # Fewer such hosts than captured hosts: spread over them all, so a small fleet still mixes verdicts.
            stride = max(1, len(roots) // ((self.hosts - self.failing) // self.fixtures_every))
            return roots[(index // self.fixtures_every * stride) % len(roots)]
        return "/"

    def _write_inventory(self):
        lines = ["---", "all:", "  vars:", "    ansible_port: %d" % self.port, "  children:", "    reachable:", "      hosts:"]
        for i in range(self.hosts):
            root = self.root_of(i)
            self.expected[host_name(i)] = root
            lines.append("        %s: {ansible_host: %s%s}" % (
                host_name(i), address(i), "" if root == "/" else ", kvm_snapshot_root: %s" % root))
        lines += ["    closed:", "      hosts:"]
        for i in range(self.closed):
            name = "gone-%02d" % (i + 1)
            self.expected[name] = None
            lines.append("        %s: {ansible_host: %s}" % (name, closed_address(i)))
        self.inventory.write_text("\n".join(lines) + "\n")

    def _write_config(self):
        control = self.path("cp")
        control.mkdir()
        self.config.write_text("\n".join([
            "[defaults]",
            "inventory = %s" % self.inventory,
            "forks = %d" % self.forks,
            "remote_user = root",
            "private_key_file = %s" % self.path("client_key"),
            "host_key_checking = False",
            # A fixed interpreter: discovering it would cost every host one more round trip.
            "interpreter_python = /usr/bin/python3",
            "gathering = explicit",
            "retry_files_enabled = False",
            "timeout = 20",
            "",
            "[privilege_escalation]",
            "become = %s" % ("True" if self.become else "False"),
            "become_method = sudo",
            "",
            "[ssh_connection]",
            "pipelining = True",
            "control_path_dir = %s" % control,
            "ssh_args = -o ControlMaster=auto -o ControlPersist=300s -o StrictHostKeyChecking=no"
            " -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o LogLevel=ERROR",
            "",
        ]))

    def close_masters(self):
        """End the ssh ControlMasters ansible left (ControlPersist), so the next run connects anew."""
        if self.dir is None or not self.path("cp").is_dir():
            return
        for sock in self.path("cp").iterdir():
            subprocess.run(["ssh", "-o", "ControlPath=%s" % sock, "-O", "exit", "fleet"], check=False,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)

    def _connection_pids(self):
        """Processes holding a TCP socket to or from this fleet's port on 127.77.0.0/16."""
        inodes = set()
        for table in ("/proc/net/tcp",):
            with open(table, encoding="ascii") as handle:
                next(handle)
                for line in handle:
                    fields = line.split()
                    for endpoint in (fields[1], fields[2]):
                        addr, port = endpoint.split(":")
                        # 127.77.x.y in /proc/net/tcp's little-endian hex: the last two digits are 7F, then 4D.
                        if int(port, 16) == self.port and addr.endswith("4D7F"):
                            inodes.add(fields[9])
        pids = set()
        for proc in pathlib.Path("/proc").iterdir():
            if not proc.name.isdigit() or int(proc.name) == os.getpid():
                continue
            try:
                for fd in (proc / "fd").iterdir():
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        pids.add(int(proc.name))
                        break
            except OSError:
                continue
        return pids

    def stop(self):
        """End every ssh master and sshd this fleet caused; remove its directory."""
        try:
            self.close_masters()
        except (OSError, subprocess.SubprocessError):
            pass
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes = []
        if self.port:
            # Sessions outlive their listener; those still connected on this fleet's port are ours.
            for pid in self._connection_pids():
                try:
                    os.kill(pid, signal.SIGTERM)
                except OSError:
                    pass
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def leftovers(self):
        """Processes still connected on this fleet's port (none after stop())."""
        return self._connection_pids() if self.port else set()
