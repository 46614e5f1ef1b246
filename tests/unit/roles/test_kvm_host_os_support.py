# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_host's supported systems have one home, vars/os_support.yml: everything else that lists
them is held to it here (meta/main.yml) or generated from it (the README's list, make role-docs,
checked by test_role_readmes.py)."""

import pathlib

import yaml

ROLE = pathlib.Path(__file__).resolve().parents[3] / "roles" / "kvm_host"
SUPPORT = yaml.safe_load((ROLE / "vars" / "os_support.yml").read_text(encoding="utf-8"))["__kvm_host_os_support"]


def _platforms():
    """The rows' galaxy entries, one per platform name (in first-seen order), versions merged."""
    merged = {}
    for row in SUPPORT:
        versions = merged.setdefault(row["galaxy"]["name"], [])
        versions.extend(str(v) for v in row["galaxy"]["versions"] if str(v) not in versions)
    return [{"name": name, "versions": versions} for name, versions in merged.items()]


def test_galaxy_platforms_are_the_support_table():
    meta = yaml.safe_load((ROLE / "meta" / "main.yml").read_text(encoding="utf-8"))
    got = [{"name": p["name"], "versions": [str(v) for v in p["versions"]]} for p in meta["galaxy_info"]["platforms"]]
    assert got == _platforms(), "meta/main.yml's platforms are vars/os_support.yml's galaxy entries"


def test_every_row_says_how_it_is_known_and_what_galaxy_calls_it():
    for row in SUPPORT:
        assert row["checked"] in ("vm", "packaging"), row["label"]
        assert row["galaxy"]["name"] and row["galaxy"]["versions"], row["label"]


def test_the_readme_details_every_supported_distribution():
    """The hand-written table of packages and daemons has a row for each distribution of the table."""
    readme = (ROLE / "README.md").read_text(encoding="utf-8")
    details = readme[readme.index("| distribution | data |"):]
    details = details[:details.index("\n\n")]
    first_cells = [line.split("|")[1] for line in details.splitlines()[2:]]
    names = {"Debian": "Debian", "Ubuntu": "Ubuntu", "RedHat": "RHEL", "Rocky": "Rocky", "AlmaLinux": "AlmaLinux",
             "CentOS": "CentOS Stream", "Fedora": "Fedora", "openSUSE Leap": "openSUSE Leap", "SLES": "SLES",
             "SLES_SAP": "SLES", "openSUSE Tumbleweed": "Tumbleweed", "Archlinux": "Arch Linux"}
    for row in SUPPORT:
        for distribution in row["distributions"]:
            assert any(names[distribution] in cell for cell in first_cells), (row["label"], distribution)
