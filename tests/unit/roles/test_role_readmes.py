# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each role's README variable table is what meta/argument_specs.yml gives (make role-docs)."""

import importlib.util
import pathlib

import pytest

# The generator reads doc markup with antsibull-docs-parser, which .venv (requirements-dev.txt) and
# the matrix's environments (tests/matrix/requirements.txt) both have.
pytest.importorskip("antsibull_docs_parser")
ROOT = pathlib.Path(__file__).resolve().parents[3]
SPEC = importlib.util.spec_from_file_location("role_readme_variables", ROOT / "tools" / "role_readme_variables.py")
GENERATOR = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(GENERATOR)
ROLES = sorted(path.parent.parent for path in ROOT.glob("roles/*/meta/argument_specs.yml"))


@pytest.mark.parametrize("role_dir", ROLES, ids=[role.name for role in ROLES])
def test_readme_variables_are_the_argument_spec(role_dir):
    readme = (role_dir / "README.md").read_text()
    assert GENERATOR.render(role_dir, readme) == readme, "run make role-docs"


def test_every_option_has_a_row():
    for role_dir in ROLES:
        readme = (role_dir / "README.md").read_text()
        section = readme[readme.index(GENERATOR.BEGIN):readme.index(GENERATOR.END)]
        options = GENERATOR.yaml.safe_load((role_dir / "meta" / "argument_specs.yml").read_text())
        for name in options["argument_specs"]["main"]["options"]:
            assert "| `%s` |" % name in section, (role_dir.name, name)


def test_markup_becomes_markdown():
    text = "Set O(kvm_host_users) to V(true) with C(a|b), see M(hypervisor.kvm.kvm_pools) and L(this,https://x.invalid/)."
    assert GENERATOR.markdown(text, "kvm_host") == (
        "Set `kvm_host_users` to `true` with `a\\|b`, see `hypervisor.kvm.kvm_pools` and [this](https://x.invalid/).")
