# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`make test-matrix`: every supported ansible-core, against every target Python on this machine.

For each release in releases.txt, in a virtual environment of its own under .cache/matrix/ on
the first controller Python listed for it that this machine has (reused while its stamp, the
release, the Python and requirements.txt, is unchanged): the unit tests, the integration
targets (ansible-test integration --local), the report playbook on this host, and kvm_facts and
kvm_check ad hoc against every target Python the release manages and tests/config.yml allows,
with no warning. ansible-test sanity on the oldest and the newest release, over every Python
present. A Python this machine lacks is printed as skipped and counted in the summary, never
passed over in silence.

Usage: matrix.py ROOT COLLECTIONS ANSIBLE_TEST_HOME [RELEASE_PREFIX...]
"""

import glob
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
MODULES = ("hypervisor.kvm.kvm_facts", "hypervisor.kvm.kvm_check")


def read_releases():
    """(release, [controller Pythons]) rows of releases.txt, oldest first."""
    rows = []
    for line in (HERE / "releases.txt").read_text().splitlines():
        words = line.split("#", 1)[0].split()
        if words:
            rows.append((words[0], words[1:]))
    return rows


def python_requires(root):
    """The lowest Python tests/config.yml allows for modules, as a (major, minor) tuple."""
    text = (root / "tests" / "config.yml").read_text()
    match = re.search(r"python_requires:\s*['\"]?>=\s*(\d+)\.(\d+)['\"]?\s*$", text, re.M)
    if not match:
        sys.exit("matrix: tests/config.yml: modules.python_requires must read '>=X.Y'")
    return int(match.group(1)), int(match.group(2))


def version_tuple(version):
    return tuple(int(part) for part in version.split("."))


def pyenv_root():
    if os.environ.get("PYENV_ROOT"):
        return os.environ["PYENV_ROOT"]
    if shutil.which("pyenv"):
        return subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=False).stdout.strip()
    return ""


def find_python(version):
    """The path of a working pythonX.Y on PATH or in pyenv's versions, or None."""
    candidates = [shutil.which("python" + version)]
    root = pyenv_root()
    if root:
        candidates += sorted(glob.glob(os.path.join(root, "versions", version + ".*", "bin", "python" + version)), reverse=True)
    for candidate in candidates:
        if not candidate:
            continue
        # A pyenv shim exists for every installed version but runs only the selected ones.
        # The real interpreter, not a virtual environment's link to it (PATH starts with .venv/bin).
        probe = subprocess.run([candidate, "-c", "import os, sys; print('%d.%d' % sys.version_info[:2]); "
                                "print(os.path.realpath(sys.executable))"], capture_output=True, text=True, check=False)
        lines = probe.stdout.split()
        if probe.returncode == 0 and len(lines) == 2 and lines[0] == version:
            return lines[1]
    return None


def claims(root, releases, minimum):
    """What meta/runtime.yml, the roles' meta/main.yml, galaxy.yml and the README say is supported, against releases.txt."""
    oldest, newest = (".".join(release.split(".")[:2]) for release in (releases[0][0], releases[-1][0]))
    problems = []
    if not re.search(r"^requires_ansible:\s*['\"]>=%s\.0['\"]\s*$" % re.escape(oldest),
                     (root / "meta" / "runtime.yml").read_text(), re.M):
        problems.append("meta/runtime.yml: requires_ansible is not '>=%s.0'" % oldest)
    for role_meta in sorted(root.glob("roles/*/meta/main.yml")):
        if not re.search(r"^\s*min_ansible_version:\s*['\"]?%s['\"]?\s*$" % re.escape(oldest), role_meta.read_text(), re.M):
            problems.append("%s: min_ansible_version is not '%s'" % (role_meta.relative_to(root), oldest))
    said = "ansible-core %s to %s" % (oldest, newest)
    for name in ("README.md", "galaxy.yml"):
        if said not in (root / name).read_text():
            problems.append("%s does not say '%s'" % (name, said))
    said = "Python %d.%d" % minimum
    if said not in (root / "README.md").read_text():
        problems.append("README.md does not name %s, the oldest target (tests/config.yml)" % said)
    # `make test` leaves .venv's unit and integration run to the matrix (Makefile, test:).
    pinned = re.search(r"^ansible-core==(\S+)\s*$", (root / "requirements-dev.txt").read_text(), re.M)
    if not pinned or pinned.group(1) not in [release for release, _controllers in releases]:
        problems.append("requirements-dev.txt pins ansible-core %s, which is not a row of tests/matrix/releases.txt"
                        % (pinned.group(1) if pinned else "(no ansible-core==)"))
    return problems


class Matrix:
    """Runs the steps, logs each to .cache/matrix/logs/, and keeps the summary rows."""

    def __init__(self, root, collections, test_home):
        self.root = root
        self.collections = collections
        self.collection = collections / "ansible_collections" / "hypervisor" / "kvm"
        self.test_home = test_home
        self.cache = root / ".cache" / "matrix"
        self.logs = self.cache / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.results = []  # (release, step, outcome, seconds, detail)
        self.pythons = {}

    def python(self, version):
        if version not in self.pythons:
            self.pythons[version] = find_python(version)
        return self.pythons[version]

    def record(self, release, step, outcome, seconds, detail=""):
        self.results.append((release, step, outcome, seconds, detail))
        print("  %-28s %-7s %6.1f s  %s" % (step, outcome, seconds, detail), flush=True)

    def run(self, release, step, argv, cwd, env=None, check=None):
        """Run argv, log its output; record PASS, or FAIL (then show the log's tail) on a non-zero
        exit or when check(output) returns a problem."""
        log = self.logs / ("%s-%s.log" % (release, re.sub(r"[^A-Za-z0-9_.-]+", "_", step)))
        start = time.monotonic()
        with open(log, "w") as out:
            proc = subprocess.run(argv, cwd=str(cwd), env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        seconds = time.monotonic() - start
        problem = "exit %d" % proc.returncode if proc.returncode else (check(log.read_text(errors="replace")) if check else "")
        if problem:
            self.record(release, step, "FAIL", seconds, "%s (log: %s)" % (problem, log.relative_to(self.root)))
            print("\n".join("    | " + line[:300] for line in log.read_text(errors="replace").splitlines()[-25:]))
        else:
            self.record(release, step, "PASS", seconds)
        return not problem

    def environment(self, release, controller):
        """The release's venv on the given controller Python, built unless its stamp matches."""
        venv = self.cache / ("ansible-core-" + release)
        stamp = "ansible-core==%s\npython=%s\n%s" % (release, controller, (HERE / "requirements.txt").read_text())
        start = time.monotonic()
        if (venv / ".stamp").is_file() and (venv / ".stamp").read_text() == stamp:
            self.record(release, "environment", "REUSED", time.monotonic() - start, str(venv.relative_to(self.root)))
            return venv
        shutil.rmtree(str(venv), ignore_errors=True)
        ok = self.run(release, "environment", [controller, "-m", "venv", str(venv)], self.root) and self.run(
            release, "environment (pip)",
            [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "ansible-core==" + release,
             "-r", str(HERE / "requirements.txt")], self.root)
        if not ok:
            return None
        (venv / ".stamp").write_text(stamp)
        return venv

    def supported(self, venv):
        """(controller Pythons, target Pythons) of the installed release, from ansible-test."""
        code = ("from ansible_test._util.target.common.constants import CONTROLLER_PYTHON_VERSIONS as c, "
                "REMOTE_ONLY_PYTHON_VERSIONS as r; print(' '.join(c)); print(' '.join(r + c))")
        out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True, check=True).stdout
        controllers, targets = out.splitlines()
        return controllers.split(), targets.split()

    def ansible_test(self, venv, *args):
        return [str(self.root / "tests" / "tools" / "run-ansible-test"), str(venv), str(self.test_home)] + list(args)

    def adhoc(self, release, venv, targets, minimum):
        """kvm_facts and kvm_check, one ad-hoc run each, on one inventory host per target Python."""
        hosts = {}
        for version in targets:
            if version_tuple(version) < minimum:
                continue  # the collection does not claim it (tests/config.yml)
            path = self.python(version)
            if path:
                hosts["python" + version.replace(".", "_")] = {
                    "ansible_connection": "local", "ansible_python_interpreter": path}
            else:
                self.record(release, "ad hoc on Python " + version, "SKIPPED", 0.0, "no python%s on this machine" % version)
        if not hosts:
            return
        work = pathlib.Path(tempfile.mkdtemp(prefix="adhoc-", dir=str(self.cache)))
        inventory = work / "inventory.json"
        inventory.write_text(json.dumps({"all": {"hosts": hosts}}))
        env = dict(os.environ, ANSIBLE_CALLBACK_RESULT_FORMAT="json", ANSIBLE_NOCOLOR="1")
        for module in MODULES:
            out = work / (module + ".out")
            err = work / (module + ".stderr")
            start = time.monotonic()
            with open(out, "w") as stdout, open(err, "w") as stderr:
                subprocess.run([str(venv / "bin" / "ansible"), "all", "-i", str(inventory), "-m", module,
                                "-f", str(len(hosts))], cwd=str(work), env=env, stdout=stdout, stderr=stderr, check=False)
            seconds = time.monotonic() - start
            # The ad-hoc callback (minimal) prints "HOST | STATUS => {result as JSON}" per host; the
            # json and oneline callbacks are not in every release, or deprecated.
            parts = re.split(r"^(\S+) \| [A-Z!]+(?: \| rc=-?\d+)? => ", out.read_text(), flags=re.M)
            results = {}
            for host, body in zip(parts[1::2], parts[2::2]):
                try:  # the result, and whatever else the run printed after it
                    results[host] = json.JSONDecoder().raw_decode(body.lstrip())[0]
                except ValueError:
                    results[host] = {"msg": "unreadable result, see %s" % self.keep(release, out)}
            warnings = [line for line in err.read_text().splitlines() if "WARNING" in line]
            # "[DEPRECATION WARNING]: what" says more than the hint that follows it.
            warnings.sort(key=lambda line: "DEPRECATION" not in line)
            for host in sorted(hosts, key=lambda name: version_tuple(name[6:].replace("_", "."))):
                result = results.get(host, {})
                # kvm_check fails by design where KVM cannot be used; a crash has no verdict at all.
                verdict = result.get("ansible_facts", {}).get("kvm", {}).get("reason") if module.endswith("facts") \
                    else result.get("reason")
                step = "%s on Python %s" % (module.rsplit(".", 1)[1], host[6:].replace("_", "."))
                if verdict and not warnings:
                    self.record(release, step, "PASS", seconds / len(hosts), "reason: %s" % verdict)
                else:
                    # A crash's last line of stderr names it (SyntaxError, ImportError); else the message.
                    detail = (result.get("module_stderr") or result.get("msg") or "no result").strip().splitlines()
                    why = "warning: %s" % warnings[0] if verdict else (detail[-1] if detail else "no result")
                    self.record(release, step, "FAIL", seconds / len(hosts), why[:160])
                    self.keep(release, out)
                    self.keep(release, err)
        shutil.rmtree(str(work), ignore_errors=True)

    def keep(self, release, path):
        """Copy an output file into the logs, for a person to read; return where it went."""
        kept = self.logs / ("%s-%s" % (release, path.name))
        shutil.copyfile(str(path), str(kept))
        return kept.relative_to(self.root)

    def report(self, release, venv):
        """The report playbook on this host, writing into a directory of its own."""
        work = pathlib.Path(tempfile.mkdtemp(prefix="report-", dir=str(self.cache)))
        page = work / "kvm-report" / "index.html"
        self.run(release, "report playbook", [
            str(venv / "bin" / "ansible-playbook"), "-i", "localhost,", "-c", "local", "hypervisor.kvm.report",
            "-e", "ansible_python_interpreter=%s" % (venv / "bin" / "python")], work,
            check=lambda output: "no %s" % page.relative_to(work) if not page.is_file() else next(
                (line for line in output.splitlines() if "WARNING" in line), ""))
        shutil.rmtree(str(work), ignore_errors=True)

    def sanity(self, release, venv, versions, minimum):
        """ansible-test sanity over every Python present, found first on PATH in a directory of links."""
        links = self.cache / "pythons"
        shutil.rmtree(str(links), ignore_errors=True)
        links.mkdir()
        for version in versions:
            if version_tuple(version) < minimum:
                continue
            path = self.python(version)
            if path:
                os.symlink(path, str(links / ("python" + version)))
            else:
                self.record(release, "sanity on Python " + version, "SKIPPED", 0.0, "no python%s on this machine" % version)
        # pyenv's shims answer for every installed version but run only the selected ones.
        path = [str(links)] + [d for d in os.environ["PATH"].split(os.pathsep) if not d.endswith("/shims")]
        env = dict(os.environ, PATH=os.pathsep.join(path))
        self.run(release, "sanity", self.ansible_test(venv, "sanity", "--color", "no"), self.collection, env=env)

    def release(self, release, controllers, minimum, sanity):
        print("ansible-core %s" % release, flush=True)
        found = [(version, self.python(version)) for version in controllers]
        found = [(version, path) for version, path in found if path]
        if not found:
            self.record(release, "controller", "SKIPPED", 0.0,
                        "none of python%s on this machine" % ", python".join(controllers))
            return
        version, controller = found[0]
        venv = self.environment(release, controller)
        if not venv:
            return
        supported_controllers, targets = self.supported(venv)
        if version not in supported_controllers:
            self.record(release, "controller", "FAIL", 0.0, "releases.txt names Python %s; ansible-core %s runs on %s"
                        % (version, release, ", ".join(supported_controllers)))
            return
        self.record(release, "controller", "PASS", 0.0, "Python %s (%s)" % (version, controller))
        env = dict(os.environ, PYTHONPATH=str(self.collections))
        # Two at a time; then the tests that measure a run's time (marker 'deadline') among themselves,
        # four at a time: they mostly wait on a BMC that trickles or says nothing, and each bound adds
        # what a run that ends at once takes at that moment.
        self.run(release, "unit tests", [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                         "-n", "2", "--dist", "loadfile", "-m", "not deadline", "tests/unit"],
                 self.root, env=env)
        self.run(release, "unit tests (deadlines)", [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p",
                                                     "no:cacheprovider", "-n", "4", "--dist", "load", "-m", "deadline",
                                                     "tests/unit"],
                 self.root, env=env)
        self.run(release, "integration targets", self.ansible_test(
            venv, "integration", "--local", "--python", version, "--color", "no"), self.collection)
        self.report(release, venv)
        self.adhoc(release, venv, targets, minimum)
        if sanity:
            self.sanity(release, venv, targets, minimum)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    root, collections, test_home = (pathlib.Path(arg).resolve() for arg in sys.argv[1:4])
    wanted = sys.argv[4:]
    releases = read_releases()
    minimum = python_requires(root)
    matrix = Matrix(root, collections, test_home)
    start = time.monotonic()
    problems = claims(root, releases, minimum)
    matrix.record("all", "claims", "FAIL" if problems else "PASS", 0.0, "; ".join(problems))
    for index, (release, controllers) in enumerate(releases):
        if wanted and not any(release == w or release.startswith(w + ".") for w in wanted):
            continue
        matrix.release(release, controllers, minimum, sanity=index in (0, len(releases) - 1))
    total = time.monotonic() - start
    counts = {}
    for row in matrix.results:
        counts[row[2]] = counts.get(row[2], 0) + 1
    print("matrix: %s in %.0f s" % (", ".join("%d %s" % (n, k) for k, n in sorted(counts.items())), total))
    for release, step, outcome, _seconds, detail in matrix.results:
        if outcome in ("FAIL", "SKIPPED"):
            print("  %s %s: %s %s" % (release, step, outcome, detail))
    sys.exit(1 if counts.get("FAIL") else 0)


if __name__ == "__main__":
    main()
