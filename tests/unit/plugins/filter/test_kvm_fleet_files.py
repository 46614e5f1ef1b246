# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The report's files: the page escapes every value from a host, in HTML and in its embedded JSON."""

from __future__ import annotations

import csv
import html.parser
import io
import json
import pathlib

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_files import PAGE_COLUMNS, kvm_fleet_files, script_json
from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_report import kvm_fleet_report

TEMPLATE = (pathlib.Path(__file__).resolve().parents[4] / "playbooks" / "templates" / "kvm_report.html.j2").read_text()
HOSTILE = "</script><script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">&amp;'\u2028\u2029<!--"


class Elements(html.parser.HTMLParser):
    """The start tags of a page, with their attributes, and the text of its scripts."""

    def __init__(self):
        super().__init__()
        self.tags, self.scripts, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def hostile_report():
    kvm = {"usable": False, "reason": "module_not_loaded", "remediation": HOSTILE, "arch": HOSTILE, "kernel": HOSTILE,
           "cpu": {"vendor": HOSTILE, "model": HOSTILE, "extension": HOSTILE, "extension_shown": False, "count": 2},
           "guest": {"hypervisor": HOSTILE, "container": HOSTILE}, "nested": {"enabled": None},
           "iommu": {"enabled": True, "groups": 3},
           "gpus": [{"vendor": HOSTILE, "address": HOSTILE, "driver": HOSTILE, "passthrough_ready": True}]}
    hostvars = {
        "evil": {"ansible_facts": {"kvm": kvm}},
        "typed": {"ansible_facts": {"kvm": dict(kvm, reason=[HOSTILE])}},
        "gone": {"kvm_report_gathered": {"unreachable": True, "msg": HOSTILE}},
        HOSTILE: {"ansible_facts": {"kvm": dict(kvm, usable=True, reason="ok")}},
        # The BMC address comes from the inventory: as untrusted as the facts.
        "bios-off": {"ansible_facts": {"kvm": dict(kvm, reason="firmware_disabled", cpu=dict(kvm["cpu"], extension="vmx"))},
                     "kvm_firmware_bmc_address": HOSTILE},
    }
    return kvm_fleet_report(list(hostvars), hostvars, generated=HOSTILE)


def test_no_hostile_markup_reaches_the_page():
    page = kvm_fleet_files(hostile_report(), TEMPLATE)["index.html"]
    parser = Elements()
    parser.feed(page)
    assert "<img" not in page and "<script>window" not in page and "<!--" not in page
    assert [tag for tag, attrs in parser.tags if tag in ("img", "iframe", "object", "embed")] == []
    assert not [attrs for tag, attrs in parser.tags if any(name.startswith("on") for name in attrs)]
    # Two scripts, ours: the data and the code; the data still says exactly what the hosts said.
    assert [attrs.get("type") for tag, attrs in parser.tags if tag == "script"] == ["application/json", None]
    data = json.loads(parser.scripts[0])
    assert data["columns"] == list(PAGE_COLUMNS) + ["fix", "bmc"]
    hosts = [row[0] for row in data["rows"]]
    assert HOSTILE in hosts and {"evil", "typed", "gone"} <= set(hosts)
    evil = data["rows"][hosts.index("evil")]
    assert evil[PAGE_COLUMNS.index("cpu_model")] == evil[PAGE_COLUMNS.index("kernel")] == HOSTILE
    assert data["rows"][hosts.index("typed")][1] == "malformed"
    bios = data["rows"][hosts.index("bios-off")]
    assert bios[PAGE_COLUMNS.index("bmc_address")] == HOSTILE[:200] and bios[-1] is True and evil[-1] is False


def test_the_page_says_which_hosts_can_be_fixed_from_their_bmc():
    report = hostile_report()
    page = kvm_fleet_files(report, TEMPLATE)["index.html"]
    assert report["bmc_fixable"] == 1
    assert '<strong id="bmc-fixable">1</strong> firmware_disabled host can be fixed from its BMC' in page
    group = page.split('data-verdict="firmware_disabled"', 1)[1].split("</article>", 1)[0]
    assert 'data-bmc="true"' in group and "hypervisor.kvm.kvm_firmware" in group and "Or at the console:" in group
    # The address, escaped, after the host's name; the escaped form of the hostile text is what the page holds.
    assert '<span class="h">bios-off</span>: BMC &lt;/script&gt;&lt;script&gt;window.pwned=1' in group
    link = page.split('id="bmc-fixable"', 1)[1].split("</span>", 1)[0]
    assert '<a href="#fix-1">how</a>' in link and 'id="fix-1" data-verdict="firmware_disabled"' in page


def test_no_bmc_line_without_a_host_to_fix():
    page = kvm_fleet_files(kvm_fleet_report([], {}), TEMPLATE)["index.html"]
    assert "bmc-fixable" not in page and 'data-bmc' not in page


@pytest.mark.parametrize("text", ["</script>", "<!--", "]]>", "\u2028", "\u2029", "&lt;", "<", ">", "&"])
def test_script_json_is_inert_in_a_script_element(text):
    encoded = script_json({"k": [text]})
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in encoded
    assert json.loads(encoded) == {"k": [text]}


def test_the_three_files_say_the_same():
    report = hostile_report()
    files = kvm_fleet_files(report, TEMPLATE)
    assert set(files) == {"index.html", "hosts.csv", "hosts.json"}
    assert json.loads(files["hosts.json"]) == report
    rows = list(csv.DictReader(io.StringIO(files["hosts.csv"])))
    assert [r["host"] for r in rows] == [r["host"] for r in report["hosts"]]


@pytest.mark.parametrize("report, template", [({"hosts": []}, TEMPLATE), (None, TEMPLATE), ("x", TEMPLATE)])
def test_refuses_what_is_not_a_report(report, template):
    with pytest.raises(AnsibleFilterError, match="kvm_fleet_files"):
        kvm_fleet_files(report, template)


@pytest.mark.parametrize("template", ["", None, "{{ nothing.here }}", "{% if %}"])
def test_a_bad_template_says_so(template):
    with pytest.raises(AnsibleFilterError, match="kvm_fleet_files"):
        kvm_fleet_files(kvm_fleet_report([], {}), template)


def test_from_host_names_and_hostvars_the_files_are_those_of_the_report():
    hostvars = {
        "evil": {"ansible_facts": {"kvm": {"usable": False, "reason": "module_not_loaded", "remediation": HOSTILE}}},
        "gone": {"kvm_report_gathered": {"unreachable": True, "msg": HOSTILE}},
        "none": {},
    }
    report = kvm_fleet_report(list(hostvars), hostvars, result="kvm_report_gathered", generated="then")
    assert kvm_fleet_files(list(hostvars), TEMPLATE, hostvars=hostvars, generated="then") == kvm_fleet_files(report, TEMPLATE)
