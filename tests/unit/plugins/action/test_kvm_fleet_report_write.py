# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's writer on the controller: which directories it refuses, how it makes one, how it replaces
a file (never through a link), when a file counts as changed, and its summary line.

The playbook through Ansible, with the same directories, is tests/fleet/test_hostile_report.py."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.hypervisor.kvm.plugins.action.kvm_fleet_report_write import (
    TEMPLATE, ReportDirError, differs, make_dir, report_dir, summary, write_atomically)


@pytest.mark.parametrize("value", ["", "   ", "/", "//", "/tmp/..", None, 5, ["/srv/www"]])
def test_refuses_no_directory_and_the_root(value):
    with pytest.raises(ReportDirError) as refused:
        report_dir(value)
    shown = json.dumps(str(value))
    assert str(refused.value) == ("kvm_report_dir must name the directory the report is written to; '' (the current "
                                  "directory) and / are refused. Got %s." % shown)


def test_refuses_what_is_not_a_directory(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(ReportDirError) as refused:
        report_dir(str(tmp_path / "file"))
    assert str(refused.value) == "%s exists and is not a directory; give kvm_report_dir a directory." % (tmp_path / "file")


def test_the_directory_is_named_with_home_expanded_and_links_resolved(tmp_path, monkeypatch):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert report_dir("~/link") == str(tmp_path / "real")
    assert report_dir("~/link/new/report") == str(tmp_path / "real" / "new" / "report")


def test_a_missing_directory_and_its_parents_are_made_0755_whatever_the_umask(tmp_path):
    old = os.umask(0o077)
    try:
        assert make_dir(str(tmp_path / "new" / "report")) is True
    finally:
        os.umask(old)
    for path in (tmp_path / "new", tmp_path / "new" / "report"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o755


def test_an_existing_directory_is_left_as_it_is(tmp_path):
    tmp_path.chmod(0o1777)
    assert make_dir(str(tmp_path)) is False
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o1777


def test_a_planted_link_is_replaced_not_followed(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("not yours\n")
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "index.html").symlink_to(victim)
    assert differs(str(tmp_path / "report" / "index.html"), b"not yours\n")
    write_atomically(str(tmp_path / "report"), "index.html", b"<html></html>")
    written = tmp_path / "report" / "index.html"
    assert not written.is_symlink() and written.read_bytes() == b"<html></html>"
    assert stat.S_IMODE(written.stat().st_mode) == 0o644
    assert victim.read_text() == "not yours\n"
    assert os.listdir(tmp_path / "report") == ["index.html"]  # no temporary file left


def test_a_file_differs_unless_it_holds_the_same_bytes_with_mode_0644(tmp_path):
    path = tmp_path / "hosts.csv"
    assert differs(str(path), b"a\n")  # missing
    write_atomically(str(tmp_path), "hosts.csv", b"a\n")
    assert not differs(str(path), b"a\n")
    assert differs(str(path), b"b\n") and differs(str(path), b"a\nb\n")
    path.chmod(0o600)
    assert differs(str(path), b"a\n")


def test_a_fifo_at_the_name_differs_and_nothing_blocks(tmp_path):
    os.mkfifo(str(tmp_path / "hosts.json"))
    assert differs(str(tmp_path / "hosts.json"), b"{}\n")
    write_atomically(str(tmp_path), "hosts.json", b"{}\n")
    assert (tmp_path / "hosts.json").read_bytes() == b"{}\n"


def test_a_directory_at_the_name_is_an_error_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "index.html").mkdir()
    with pytest.raises(OSError):
        write_atomically(str(tmp_path), "index.html", b"x")
    assert os.listdir(tmp_path) == ["index.html"]


def test_the_summary_line():
    report = {"usable": 3, "total": 7, "bmc_fixable": 0,
              "counts": [{"verdict": "ok", "count": 3}, {"verdict": "firmware_disabled", "count": 2},
                         {"verdict": "unreachable", "count": 2}]}
    assert summary(report, "/srv/www/kvm") == (
        "3 of 7 host(s) can run KVM (ok 3, firmware_disabled 2, unreachable 2). Report: /srv/www/kvm/index.html")
    assert summary(dict(report, bmc_fixable=2), "/srv/www/kvm") == (
        "3 of 7 host(s) can run KVM (ok 3, firmware_disabled 2, unreachable 2). 2 firmware_disabled host(s) can be "
        "fixed from their BMC with hypervisor.kvm.kvm_firmware (kvm_firmware_reboot: true applies it). "
        "Report: /srv/www/kvm/index.html")


def test_the_default_page_is_the_one_the_collection_ships():
    assert os.path.isfile(TEMPLATE) and TEMPLATE.endswith(os.path.join("playbooks", "templates", "kvm_report.html.j2"))
