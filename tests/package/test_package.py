# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as a user gets it (issue 21): the tarball, installed with ansible-core alone.

The tarball is built from the tracked files (the copy `make install` lays out), installed
offline into an empty collections path with a Galaxy server that cannot be reached, and used from
there: the modules run, and ansible-builder's own introspection reads what it declares.
"""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tarfile

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
NAME = "%s.%s" % (GALAXY["namespace"], GALAXY["name"])


def _source():
    """The tracked files as `make install` lays them out, else the checkout itself."""
    for path in os.environ.get("ANSIBLE_COLLECTIONS_PATH", "").split(os.pathsep):
        candidate = pathlib.Path(path, "ansible_collections", GALAXY["namespace"], GALAXY["name"])
        if path and (candidate / "galaxy.yml").is_file():
            return candidate
    return ROOT


def _run(args, home, collections, **env):
    """Run an ansible tool with nothing but ``collections`` and no reachable Galaxy; the finished run."""
    environment = dict(os.environ, ANSIBLE_HOME=str(home), ANSIBLE_COLLECTIONS_PATH=str(collections),
                       ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false", ANSIBLE_GALAXY_SERVER="http://127.0.0.1:9/",
                       ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
                       ANSIBLE_NOCOLOR="1", **env)
    return subprocess.run([str(arg) for arg in args], env=environment, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """Build the tarball and install it offline into an empty path; return (tarball, collections path, home)."""
    work = tmp_path_factory.mktemp("package")
    home, collections, output = work / "home", work / "collections", work / "dist"
    for path in (home, collections, output):
        path.mkdir()
    built = _run([BIN / "ansible-galaxy", "collection", "build", _source(), "--output-path", output], home, collections)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = output / ("%s-%s-%s.tar.gz" % (GALAXY["namespace"], GALAXY["name"], GALAXY["version"]))
    # --offline: no Galaxy is asked; with a dependency to fetch the install would fail here.
    installed = _run([BIN / "ansible-galaxy", "collection", "install", "--offline", tarball, "-p", collections],
                     home, collections)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "%s:%s was installed successfully" % (NAME, GALAXY["version"]) in installed.stdout
    assert sorted(p.name for p in (collections / "ansible_collections").iterdir()) == [GALAXY["namespace"]]
    return tarball, collections, home


def test_tarball_carries_the_licence_and_no_development_pins(package):
    tarball = package[0]
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        manifest = json.load(archive.extractfile("MANIFEST.json"))["collection_info"]
        licence = archive.extractfile("LICENSE").read().decode("utf-8")
    assert manifest["license"] == ["GPL-3.0-or-later"] and manifest["dependencies"] == {}
    assert "GNU GENERAL PUBLIC LICENSE" in licence and "Version 3, 29 June 2007" in licence
    assert licence == (ROOT / "LICENSE").read_text(encoding="utf-8")
    # ansible-builder takes a collection's root requirements.txt and bindep.txt for its run-time
    # needs when meta/execution-environment.yml does not say otherwise: neither is shipped.
    assert not names & {"requirements.txt", "bindep.txt", "requirements-dev.txt"}, sorted(names & {"requirements.txt", "bindep.txt", "requirements-dev.txt"})
    assert "meta/execution-environment.yml" in names


@pytest.mark.parametrize("module", ["kvm_facts", "kvm_check"])
def test_modules_run_from_the_installed_tarball(package, module):
    collections, home = package[1:]
    # "localhost | SUCCESS => {...}", the result in JSON, so it is read, not scraped. kvm_check fails on
    # a host without KVM, which is an answer too: what is asserted is that it ran and said why.
    ran = _run([BIN / "ansible", "localhost", "-c", "local", "-i", "localhost,", "-m", "%s.%s" % (NAME, module),
                "-e", "ansible_python_interpreter=%s" % sys.executable], home, collections,
               ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    assert ran.returncode in (0, 2), ran.stdout + ran.stderr
    assert "WARNING" not in ran.stderr, ran.stderr
    status, answer = ran.stdout.strip().split(" => ", 1)
    result = json.loads(answer)
    assert status.split(" | ")[1] == ("SUCCESS" if ran.returncode == 0 else "FAILED!"), ran.stdout
    assert "module_stdout" not in result and "exception" not in result, result
    if module == "kvm_facts":
        assert ran.returncode == 0, result
        assert result["ansible_facts"]["kvm"]["reason"], result
    else:
        assert result.get("failed", False) is (ran.returncode == 2)
        assert "KVM acceleration can" in json.dumps(result), result


def test_ansible_builder_introspection_reads_the_real_dependencies(package):
    """ansible-builder reads meta/execution-environment.yml of every collection: ours declares none."""
    collections, home = package[1:]
    introspected = _run([BIN / "ansible-builder", "introspect", collections], home, collections)
    assert introspected.returncode == 0, introspected.stdout + introspected.stderr
    assert "Error" not in introspected.stdout + introspected.stderr, introspected.stdout + introspected.stderr
    report = yaml.safe_load(introspected.stdout)
    assert report == {"python": [], "system": []}, report
    declared = yaml.safe_load((collections / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
                               / "meta" / "execution-environment.yml").read_text(encoding="utf-8"))
    assert declared == {"version": 1, "dependencies": {}}
