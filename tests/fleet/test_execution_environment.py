# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""docs/ee/execution-environment.yml gives ansible-builder a build context with this collection.

Only `ansible-builder create`: no container engine runs here, so the image is not built.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The image definition, kept out of meta/: ansible-builder reads meta/execution-environment.yml of
# every collection it installs as that collection's dependencies (tests/package checks those).
EE = ROOT / "docs" / "ee"
BUILDER = pathlib.Path(sys.executable).parent / "ansible-builder"


def test_ansible_builder_create(tmp_path):
    context = tmp_path / "context"
    proc = subprocess.run(
        [str(BUILDER), "create", "--file", str(EE / "execution-environment.yml"),
         "--context", str(context), "--output-filename", "Containerfile"],
        capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile
    assert 'ANSIBLE_INSTALL_REFS="ansible-core>=2.19,<2.20 ansible-runner"' in containerfile
    assert "FROM base AS final" in containerfile
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = [c["name"] for c in requirements["collections"]]
    assert any("hypervisor.kvm" in name for name in names), names
    assert "openssh-clients" in (context / "_build" / "bindep.txt").read_text()


def test_collection_requirement_matches_galaxy_yml():
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    definition = yaml.safe_load((EE / "execution-environment.yml").read_text())
    assert definition["version"] == 3
    requirements = yaml.safe_load((EE / definition["dependencies"]["galaxy"]).read_text())
    sources = [c["name"] for c in requirements["collections"]]
    assert galaxy["repository"] + ".git" in sources
    # The execution environment's ansible-core is one the collection supports.
    requires = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())["requires_ansible"]
    pinned = definition["dependencies"]["ansible_core"]["package_pip"]
    lowest = tuple(int(x) for x in requires.lstrip(">=").split(".")[:2])
    chosen = tuple(int(x) for x in pinned.split(">=", 1)[1].split(",")[0].split(".")[:2])
    assert requires.startswith(">=") and chosen >= lowest, (requires, pinned)
