# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hostile facts through the report playbook, from a jsonfile fact cache, into a browser.

Every value a host or a fact cache returns is untrusted on the controller. Each input below is
one host in the cache: script in every field, values of the wrong type, huge values, formula
and template payloads; and the same payloads as the BMC address the inventory gives a
firmware_disabled host (kvm_firmware_bmc_address), which the report shows. The report must be
written with a row for every host, the page opened in headless chromium must run none of the
payloads, and the CSV must prefix what a spreadsheet would run. The count of inputs tried and handled goes to tests/output/fleet/hostile.json.
Also here: the report directory (created if missing, an existing one never chmodded, '' and /
refused, a symlink planted at a file's name replaced and not followed), check mode, and the one task
that writes the report.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import os
import stat

import pytest

import factcache
from sshfleet import OUTPUT

TEMPLATE_MARK = "/tmp/kvm-report-template-injection-%d" % os.getpid()

# Each payload, if it ever ran, records itself in window.__pwned (set up before the page loads).
SCRIPT_PAYLOADS = (
    "<script>__pwned.push('script')</script>",
    "</script><script>__pwned.push('close-script')</script>",
    "<img src=x onerror=\"__pwned.push('img')\">",
    "\"><svg onload=\"__pwned.push('svg')\">",
    "'><body onload='__pwned.push(\"body\")'>",
    "<iframe srcdoc=\"<script>parent.__pwned.push('iframe')</script>\"></iframe>",
    "<!--<script>__pwned.push('comment')</script>-->",
    "\u2028\u2029</script><script>__pwned.push('line-separator')</script>",
    "javascript:__pwned.push('href')",
    "<a href=\"javascript:__pwned.push('link')\" id=\"pwn-link\">x</a>",
)
FORMULAS = ("=cmd|' /C calc'!A0", "+SUM(1,1)", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1", "\n=1+1")
TEMPLATES = ("{{ 7 * 7 }}", "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % TEMPLATE_MARK, "{% raw %}x{% endraw %}")
TEXT_FIELDS = (("remediation",), ("arch",), ("kernel",), ("cpu", "vendor"), ("cpu", "model"), ("cpu", "extension"),
               ("guest", "hypervisor"), ("guest", "container"), ("gpus", 0, "vendor"), ("gpus", 0, "address"),
               ("gpus", 0, "driver"))


def base_facts():
    return {"usable": False, "reason": "module_not_loaded", "remediation": "Load kvm_intel.", "arch": "x86_64",
            "kernel": "6.1.0", "cpu": {"vendor": "intel", "model": "Xeon", "extension": "vmx", "extension_shown": True,
                                       "count": 8},
            "guest": {"virtualized": False, "hypervisor": None, "container": None}, "nested": {"enabled": None},
            "iommu": {"enabled": True, "groups": 4},
            "gpus": [{"vendor": "nvidia", "address": "0000:41:00.0", "driver": "nouveau", "passthrough_ready": False}]}


def put(facts, path, value):
    target = facts
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return facts


# The BMC's user and password, in the inventory of every host: the report must never show them.
BMC_SECRETS = {"kvm_firmware_bmc_username": "bmc-user-never-shown", "kvm_firmware_bmc_password": "bmc-password-never-shown"}


def firmware_disabled():
    facts = put(base_facts(), ("reason",), "firmware_disabled")
    facts["cpu"]["extension_shown"] = False
    return facts


def bmc_inputs():
    """{host name: (its kvm_firmware_bmc_address, the address the report must show or None when it is no BMC)}."""
    # Shown stripped, without what comes up to its last "@" (a user and password): "@SUM(1)" shows as "SUM(1)".
    cases = {"bmc-%02d" % number: (payload, payload.strip().rpartition("@")[2].strip()) for number, payload in
             enumerate(SCRIPT_PAYLOADS + FORMULAS + TEMPLATES)}
    cases.update({
        "bmc-credentials": ("https://root:calvin@idrac-07.mgmt.example.com", "https://idrac-07.mgmt.example.com"),
        "bmc-huge": ("<b>" * 100_000, ("<b>" * 100_000)[:200] + "\u2026 [cut]"),
        "bmc-list": (["<script>__pwned.push('bmc-list')</script>"], None),
        "bmc-mapping": ({"<script>": "__pwned.push('bmc-mapping')"}, None),
        "bmc-number": (42, None),
        "bmc-bool": (True, None),
    })
    return cases


BMC = bmc_inputs()


def inputs():
    """(host name, facts for the cache, the verdict the report must give) for every hostile input."""
    cases = []
    for number, payload in enumerate(SCRIPT_PAYLOADS + FORMULAS + TEMPLATES):
        for path in TEXT_FIELDS:
            cases.append(("text-%02d-%s" % (number, "-".join(map(str, path))), put(base_facts(), path, payload),
                          "module_not_loaded"))
    # The same payloads as an unknown reason: not one of kvm_facts' reasons.
    for number, payload in enumerate(SCRIPT_PAYLOADS):
        cases.append(("reason-%02d" % number, put(base_facts(), ("reason",), payload), "malformed"))
    # Values of the wrong type. A wrong type with nothing else to it (a list for the reason, a number for
    # the remediation, true for a count...) is the malformed-facts table of the unit tests
    # (tests/unit/plugins/filter/test_kvm_fleet_report.py, test_a_malformed_host_is_its_own_row), which
    # checks each message word for word; here, those that carry a payload or that the table lacks.
    wrong_types = {
        "reason-number": (("reason",), 1),
        "remediation-list": (("remediation",), ["<b>x</b>"]),
        "remediation-mapping": (("remediation",), {"<script>": "x"}),
        "gpu-not-mapping": (("gpus", 0), "<img src=x onerror=__pwned.push('gpu')>"),
        "gpus-text": (("gpus",), "nvidia"),
        "cpu-text": (("cpu",), "<script>__pwned.push('cpu')</script>"), "cpu-count-text": (("cpu", "count"), "<b>8</b>"),
        "cpu-count-float": (("cpu", "count"), 1e308),
        "cpu-shown-text": (("cpu", "extension_shown"), "<i>yes</i>"),
        "iommu-groups-text": (("iommu", "groups"), "<img src=x onerror=__pwned.push('groups')>"),
        "nested-list": (("nested",), ["on"]), "guest-number": (("guest",), 7),
        "hypervisor-mapping": (("guest", "hypervisor"), {"name": "<script>"}),
    }
    for name, (path, value) in wrong_types.items():
        cases.append(("type-" + name, put(base_facts(), path, value), "malformed"))
    for name, value in {"kvm-text": "<script>__pwned.push('kvm')</script>", "kvm-list": [1, 2], "kvm-number": 3,
                        "kvm-bool": True}.items():
        cases.append(("type-" + name, value, "malformed"))
    huge = base_facts()
    huge["cpu"]["model"] = "<b>" * 300_000
    huge["remediation"] = "x" * 2_000_000 + "<script>__pwned.push('huge')</script>"
    cases.append(("huge-fields", huge, "module_not_loaded"))
    many = base_facts()
    many["gpus"] = many["gpus"] * 20_000
    cases.append(("huge-gpu-list", many, "malformed"))
    evidence = base_facts()
    evidence["evidence"] = [{"source": "<script>", "observation": "x" * 100}] * 50_000
    cases.append(("huge-evidence", evidence, "module_not_loaded"))
    deep = base_facts()
    nest = deep["guest"]
    for _level in range(200):
        nest["hypervisor"] = {"hypervisor": None}
        nest = nest["hypervisor"]
    cases.append(("deep-nesting", deep, "malformed"))
    cases += [(name, firmware_disabled(), "firmware_disabled") for name in BMC]
    return cases


CASES = inputs()
EXPECTED = {name: verdict for name, facts, verdict in CASES}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("hostile")
    factcache.write_cache(work / "facts", {name: copy.deepcopy(facts) for name, facts, verdict in CASES})
    factcache.write_inventory(work / "inventory.yml", [name for name, facts, verdict in CASES],
                              per_host={name: {"kvm_firmware_bmc_address": address} for name, (address, shown) in BMC.items()},
                              **BMC_SECRETS)
    out = work / "report"
    rc, output, seconds = factcache.playbook(factcache.environment(work / "facts"), "-i", work / "inventory.yml",
                                             "hypervisor.kvm.report", "-e", "kvm_report_from_cache=true",
                                             "-e", "kvm_report_dir=%s" % out)
    (OUTPUT / "hostile-run.log").parent.mkdir(parents=True, exist_ok=True)
    (OUTPUT / "hostile-run.log").write_text(output)
    return {"rc": rc, "output": output, "seconds": seconds, "dir": out, "work": work}


@pytest.fixture(scope="module")
def report(hostile_run):
    assert hostile_run["rc"] == 0, hostile_run["output"][-4000:]
    return json.loads((hostile_run["dir"] / "hosts.json").read_text())


def open_page(chromium, path, filters=()):
    """What the browser saw of the page at ``path``: the hosts of every page of rows, what ran, what was fetched."""
    tab = chromium.new_page()
    seen = {"requests": [], "dialogs": [], "errors": []}
    tab.add_init_script("window.__pwned = []; window.alert = window.confirm = window.prompt = "
                        "function () { window.__pwned.push('dialog'); };")
    tab.on("dialog", lambda dialog: (seen["dialogs"].append(dialog.message), dialog.dismiss()))
    tab.on("pageerror", lambda exc: seen["errors"].append(str(exc)))

    def guard(route):
        seen["requests"].append(route.request.url)
        return route.continue_() if route.request.url.startswith("file://") else route.abort()

    tab.route("**/*", guard)
    tab.goto(path.as_uri())
    hosts, bmc = [], {}
    while tab.query_selector("#hosts-table"):
        hosts += tab.eval_on_selector_all("#hosts-table tbody tr", "rows => rows.map(r => r.dataset.host)")
        bmc.update(tab.eval_on_selector_all("#hosts-table tbody tr", "rows => rows.filter(r => r.querySelector('.msg.bmc'))"
                                            ".map(r => [r.dataset.host, r.querySelector('.msg.bmc').textContent])"))
        if tab.is_hidden("#pager") or tab.is_disabled("#next"):
            break
        tab.click("#next")
    # Every row's payload is shown once more through the filter, and the "What to do" lists scrolled into view.
    for word in filters:
        tab.fill("#filter", word)
    tab.mouse.wheel(0, 100000)
    tab.wait_for_timeout(300)
    # textContent: an article of "What to do" off screen is not laid out (content-visibility), so has no innerText.
    bmc_list = tab.eval_on_selector_all(".fix[data-bmc] .hostlist li", "items => items.map(li => li.textContent)")
    seen.update(hosts=hosts, bmc=bmc, bmc_list=bmc_list, pwned=tab.evaluate("window.__pwned"), text=tab.inner_text("body"),
                links=tab.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"))
    tab.close()
    return seen


@pytest.fixture(scope="module")
def page_seen(chromium, hostile_run, report):
    return open_page(chromium, hostile_run["dir"] / "index.html",
                     ("text-00", "text-03", "reason-", "type-", "huge", "kvm_firmware", ""))


def test_the_browser_would_see_a_payload_that_ran(chromium, tmp_path):
    """The control: the same payloads, not escaped, are caught by the same harness."""
    page = tmp_path / "unescaped.html"
    page.write_text("<!DOCTYPE html><html><body>%s</body></html>" % "".join(SCRIPT_PAYLOADS))
    seen = open_page(chromium, page)
    assert {"script", "img", "svg", "iframe"} <= set(seen["pwned"]), seen["pwned"]


def test_the_report_is_written_for_every_host(report):
    assert {row["host"] for row in report["hosts"]} == set(EXPECTED)
    assert report["total"] == len(CASES) == sum(c["count"] for c in report["counts"])


def test_each_host_gets_the_verdict_its_facts_deserve(report):
    wrong = {row["host"]: (row["verdict"], EXPECTED[row["host"]], row["message"][:200])
             for row in report["hosts"] if row["verdict"] != EXPECTED[row["host"]]}
    assert not wrong, wrong
    for row in report["hosts"]:
        if row["verdict"] == "malformed":
            assert row["message"].startswith("The KVM facts are malformed") and row["usable"] is None, row


def test_long_values_are_cut(report, hostile_run):
    rows = {row["host"]: row for row in report["hosts"]}
    assert len(rows["huge-fields"]["cpu_model"]) < 300 and len(rows["huge-fields"]["remediation"]) < 4100
    for name in ("index.html", "hosts.csv", "hosts.json"):
        assert (hostile_run["dir"] / name).stat().st_size < 2_000_000, name


def test_no_template_in_the_facts_was_run(report):
    rows = {row["host"]: row for row in report["hosts"]}
    assert not os.path.exists(TEMPLATE_MARK)
    assert rows["text-%02d-kernel" % (len(SCRIPT_PAYLOADS) + len(FORMULAS))]["kernel"] == "{{ 7 * 7 }}"


def test_the_csv_prefixes_what_a_spreadsheet_would_run(hostile_run, report):
    rows = list(csv.DictReader(io.StringIO(open(hostile_run["dir"] / "hosts.csv", encoding="utf-8", newline="").read())))
    assert [r["host"] for r in rows] == [r["host"] for r in report["hosts"]]
    cells = [value for row in rows for value in row.values()]
    assert cells and not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r", "\n")]
    for number, formula in enumerate(FORMULAS, start=len(SCRIPT_PAYLOADS)):
        row = next(r for r in rows if r["host"] == "text-%02d-cpu-model" % number)
        assert row["cpu_model"] == "'" + formula


def test_no_payload_ran_in_the_browser(page_seen):
    assert page_seen["pwned"] == [] and page_seen["dialogs"] == [], page_seen["pwned"]
    assert not page_seen["errors"], page_seen["errors"]
    assert all(url.startswith("file://") for url in page_seen["requests"]) and len(page_seen["requests"]) == 1, \
        page_seen["requests"]
    assert all(href.startswith("#fix-") or href in ("hosts.csv", "hosts.json") for href in page_seen["links"])


def test_every_host_has_its_row_on_the_page(page_seen, report):
    assert sorted(page_seen["hosts"]) == sorted(EXPECTED)
    # The payloads are shown as the text they are.
    assert "<script>__pwned.push('script')</script>" in page_seen["text"]


def test_count_inputs_tried_and_handled(report, page_seen):
    rows = {row["host"]: row for row in report["hosts"]}
    handled = [name for name in EXPECTED if rows[name]["verdict"] == EXPECTED[name] and name in page_seen["hosts"]]
    kinds = ("text-", "reason-", "type-", "huge-", "deep-", "bmc-")
    counts = {"tried": len(CASES), "handled": len(handled), "script_payloads_ran": len(page_seen["pwned"]),
              "by_kind": {kind: sum(1 for name in EXPECTED if name.startswith(kind)) for kind in kinds}}
    (OUTPUT / "hostile.json").write_text(json.dumps(counts, indent=2) + "\n")
    print("hostile facts: %(tried)d inputs tried, %(handled)d handled" % counts)
    assert counts["handled"] == counts["tried"]


def test_the_bmc_address_is_shown_as_the_text_it_is_without_credentials(report, hostile_run):
    rows = {row["host"]: row for row in report["hosts"]}
    for name, (address, shown) in BMC.items():
        row = rows[name]
        assert row["verdict"] == "firmware_disabled" and row["bmc_address"] == shown, (name, row["bmc_address"])
        assert bool(row["bmc_fix"]) is (shown is not None), row
    assert report["bmc_fixable"] == sum(1 for address, shown in BMC.values() if shown is not None)
    for name in ("index.html", "hosts.csv", "hosts.json"):
        text = (hostile_run["dir"] / name).read_text()
        assert "calvin" not in text and "never-shown" not in text, name
    # The template in the inventory is shown, not run (Ansible itself would render it: it is the inventory's).
    assert rows["bmc-%02d" % (len(SCRIPT_PAYLOADS) + len(FORMULAS))]["bmc_address"] == "{{ 7 * 7 }}"
    assert not os.path.exists(TEMPLATE_MARK)


def test_each_bmc_row_on_the_page_says_it_can_be_fixed_from_its_bmc(page_seen):
    expected = {name: "Can be fixed from its BMC (%s) with hypervisor.kvm.kvm_firmware" % shown
                for name, (address, shown) in BMC.items() if shown is not None}
    assert page_seen["bmc"] == expected
    # Under "What to do", the same hosts, each with its BMC.
    assert sorted(page_seen["bmc_list"]) == sorted("%s: BMC %s" % (name, shown) for name, (address, shown) in BMC.items()
                                                   if shown is not None)
    assert "firmware_disabled hosts can be fixed from their BMC" in page_seen["text"]


# The report directory.

def from_cache(tmp_path, *extra):
    factcache.write_cache(tmp_path / "facts", {"h1": base_facts()})
    factcache.write_inventory(tmp_path / "inventory.yml", ["h1"])
    return factcache.playbook(factcache.environment(tmp_path / "facts"), "-i", tmp_path / "inventory.yml",
                              "hypervisor.kvm.report", "-e", "kvm_report_from_cache=true", *extra)


@pytest.mark.parametrize("value", ["", "/", "//", "/tmp/.."])
def test_refuses_no_directory_and_the_root(tmp_path, value):
    before = sorted(os.listdir(tmp_path))
    rc, output, seconds = from_cache(tmp_path, "-e", json.dumps({"kvm_report_dir": value}))
    assert rc != 0 and "kvm_report_dir must name the directory" in output, output[-3000:]
    assert not [n for n in os.listdir(tmp_path) if n not in before + ["facts", "inventory.yml"]]
    assert not os.path.exists("/index.html")


def test_an_existing_directory_keeps_its_mode_and_a_planted_link_is_not_followed(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim"
    victim.write_text("not yours\n")
    (shared / "index.html").symlink_to(victim)
    rc, output, seconds = from_cache(tmp_path, "-e", "kvm_report_dir=%s" % shared)
    assert rc == 0, output[-3000:]
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    assert victim.read_text() == "not yours\n"
    assert not (shared / "index.html").is_symlink() and "KVM readiness" in (shared / "index.html").read_text()
    assert not [n for n in os.listdir(shared) if n not in ("index.html", "hosts.csv", "hosts.json")]


def test_a_missing_directory_is_created(tmp_path):
    rc, output, seconds = from_cache(tmp_path, "-e", "kvm_report_dir=%s" % (tmp_path / "new" / "report"))
    assert rc == 0, output[-3000:]
    assert stat.S_IMODE((tmp_path / "new" / "report").stat().st_mode) == 0o755
    assert json.loads((tmp_path / "new" / "report" / "hosts.json").read_text())["total"] == 1


def test_check_mode_writes_nothing_and_says_what_it_would_write(tmp_path):
    rc, output, seconds = from_cache(tmp_path, "--check", "-e", "kvm_report_dir=%s" % (tmp_path / "new" / "report"))
    assert rc == 0, output[-3000:]
    assert not (tmp_path / "new").exists()
    assert ("0 of 1 host(s) can run KVM (module_not_loaded 1). Report: %s/index.html Check mode, nothing written: would create the "
            "directory and write index.html, hosts.csv, hosts.json." % (tmp_path / "new" / "report")) in output, output[-3000:]


def test_one_task_writes_the_report_and_a_file_that_did_not_change_is_not_written(tmp_path):
    """The second play is one task, on the controller; a second run rewrites only what differs (the page and
    hosts.json hold the time they were made; the CSV stays the same file)."""
    out = tmp_path / "report"
    rc, output, seconds = from_cache(tmp_path, "-e", "kvm_report_dir=%s" % out)
    assert rc == 0, output[-3000:]
    assert output.count("TASK [") == 1 and "TASK [Write the page, the CSV and the JSON on the controller, once]" in output
    assert "0 of 1 host(s) can run KVM (module_not_loaded 1). Report: %s/index.html" % out in output, output[-3000:]
    csv_inode = (out / "hosts.csv").stat().st_ino
    rc, output, seconds = from_cache(tmp_path, "-e", "kvm_report_dir=%s" % out)
    assert rc == 0, output[-3000:]
    assert (out / "hosts.csv").stat().st_ino == csv_inode
