# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report filters, over facts gathered from the captured hosts."""

from __future__ import annotations

import csv
import io
import json
import pathlib

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_csv import kvm_fleet_csv
from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_report import BMC_FIX, COLUMNS, CUT, REMEDIATION, VERDICTS, kvm_fleet_report
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import LABELS, MEANINGS, REASONS

try:
    from ansible._internal._datatag._tags import TrustedAsTemplate
except ImportError:  # ansible-core before 2.19: inventory text is plain str
    TrustedAsTemplate = None

FIXTURES = pathlib.Path(__file__).resolve().parents[2] / "fixtures"
CASES = sorted(p.name for p in FIXTURES.iterdir() if (p / "root").is_dir())
UNREACHABLE = {"unreachable": True, "changed": False,
               "msg": "Failed to connect to the host via ssh: ssh: connect to host 10.0.0.9 port 22: Connection refused"}
SKIPPED = {"changed": False, "skipped": True, "skip_reason": "Conditional result was False"}


@pytest.fixture(scope="module")
def facts():
    """The kvm facts of every captured host, by case name."""
    return {case: gather(str(FIXTURES / case / "root")) for case in CASES}


def live(kvm):
    return {"changed": False, "ansible_facts": {"kvm": kvm}}


def test_every_captured_host_gets_its_verdict(facts):
    hostvars = {case: {"ansible_facts": {"kvm": kvm}, "kvm_report_gathered": live(kvm)} for case, kvm in facts.items()}
    report = kvm_fleet_report(list(hostvars), hostvars)
    rows = {row["host"]: row for row in report["hosts"]}
    for case, kvm in facts.items():
        row = rows[case]
        assert row["verdict"] == kvm["reason"] and row["usable"] is kvm["usable"] and row["source"] == "live"
        assert row["cpu_model"] == kvm["cpu"]["model"] and row["hypervisor"] == kvm["guest"]["hypervisor"]
        assert row["cpu_extension_shown"] is kvm["cpu"].get("extension_shown")
        assert row["gpus"] == len(kvm["gpus"]) and len(row["gpu_list"]) == row["gpus"]
        assert (row["remediation"] == "") is kvm["usable"]
        assert list(row) == list(COLUMNS)
    assert report["total"] == len(facts) == sum(c["count"] for c in report["counts"])
    assert report["usable"] == sum(1 for kvm in facts.values() if kvm["usable"])


@pytest.mark.parametrize("variables, verdict, source", [
    ({"kvm_report_gathered": UNREACHABLE}, "unreachable", None),
    ({"kvm_report_gathered": {"failed": False, "failed_when_result": False,
                              "msg": "Cannot read KVM facts: the snapshot directory /x does not exist."}}, "failed", None),
    ({"kvm_report_gathered": SKIPPED}, "no_data", None),
    ({}, "no_data", None),
    ({"kvm_report_gathered": SKIPPED, "ansible_facts": {"kvm": {"usable": True, "reason": "ok"}}}, "ok", "cache"),
    ({"ansible_facts": {"kvm": {"usable": False, "reason": "firmware_disabled", "remediation": "Enable VT-x."}}},
     "firmware_disabled", "cache"),
    # Cached facts do not hide that the host cannot be reached now.
    ({"kvm_report_gathered": UNREACHABLE, "ansible_facts": {"kvm": {"usable": True, "reason": "ok"}}}, "unreachable", None),
])
def test_host_without_live_facts(variables, verdict, source):
    row = kvm_fleet_report(["h"], {"h": variables})["hosts"][0]
    assert (row["verdict"], row["source"]) == (verdict, source)
    if verdict in ("unreachable", "failed", "no_data"):
        assert row["usable"] is None and row["remediation"] and row["cpu_model"] is None
    if verdict in ("unreachable", "failed"):
        assert row["message"] == variables["kvm_report_gathered"]["msg"]


def test_hosts_missing_from_hostvars_have_no_data():
    report = kvm_fleet_report(["ghost"], {})
    assert report["hosts"][0]["verdict"] == "no_data"


def test_natural_order_and_counts_order(facts):
    kvm = facts["qemu-tcg-svm-libvirt"]
    hostvars = {
        "web10": {"kvm_report_gathered": live(kvm)},
        "web2": {"kvm_report_gathered": UNREACHABLE},
        "Web1": {"kvm_report_gathered": live(facts["qemu-tcg-nosvm-stock"])},
        "db": {},
    }
    report = kvm_fleet_report(["web10", "web2", "Web1", "db", "web2"], hostvars)
    assert [r["host"] for r in report["hosts"]] == ["db", "Web1", "web2", "web10"]
    assert [c["verdict"] for c in report["counts"]] == ["ok", "nested_not_exposed", "unreachable", "no_data"]
    assert [c["verdict"] for c in report["counts"]] == sorted((c["verdict"] for c in report["counts"]), key=VERDICTS.index)


def test_remediations_group_hosts(facts):
    unloaded = facts["qemu-tcg-svm-kvm-unloaded"]
    hostvars = {"a%d" % i: {"kvm_report_gathered": live(unloaded)} for i in range(3)}
    hostvars.update({"u1": {"kvm_report_gathered": UNREACHABLE}, "u2": {"kvm_report_gathered": UNREACHABLE},
                     "ok": {"kvm_report_gathered": live(facts["qemu-tcg-svm-libvirt"])}})
    groups = kvm_fleet_report(list(hostvars), hostvars)["remediations"]
    assert [(g["verdict"], g["hosts"]) for g in groups] == [
        ("module_not_loaded", ["a0", "a1", "a2"]), ("unreachable", ["u1", "u2"])]
    assert "modprobe" in groups[0]["remediation"]


def test_report_is_json_serialisable(facts):
    hostvars = {case: {"kvm_report_gathered": live(kvm)} for case, kvm in facts.items()}
    report = kvm_fleet_report(list(hostvars), hostvars, generated="2026-01-01 00:00:00 UTC")
    assert json.loads(json.dumps(report)) == report
    assert report["generated"] == "2026-01-01 00:00:00 UTC"


@pytest.mark.parametrize("hosts, hostvars", [("web1", {}), (None, {}), (["web1"], ["web1"])])
def test_bad_input_says_what_was_expected(hosts, hostvars):
    with pytest.raises(AnsibleFilterError, match="kvm_fleet_report"):
        kvm_fleet_report(hosts, hostvars)


def test_csv_has_a_row_per_host_with_the_report_values(facts):
    hostvars = {case: {"kvm_report_gathered": live(kvm)} for case, kvm in facts.items()}
    hostvars["gone"] = {"kvm_report_gathered": UNREACHABLE}
    report = kvm_fleet_report(list(hostvars), hostvars)
    text = kvm_fleet_csv(report)
    assert text.endswith("\r\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(COLUMNS)
    assert [r["host"] for r in rows] == [r["host"] for r in report["hosts"]]
    for row, data in zip(rows, report["hosts"]):
        assert row["verdict"] == data["verdict"]
        assert row["usable"] == {True: "true", False: "false", None: ""}[data["usable"]]
        assert row["gpu_list"] == "; ".join(data["gpu_list"])
        assert row["remediation"] == data["remediation"]


@pytest.mark.parametrize("value, cell", [
    ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"), ("+1", "'+1"), ("-x", "'-x"), ("@SUM(1)", "'@SUM(1)"),
    ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"), ("\ncmd", "'\ncmd"),
    ("plain, with comma", "plain, with comma"), (None, ""), (True, "true"), (3, "3"), (-3, "-3"), (["a", "b"], "a; b"),
    (["=1", "x"], "'=1; x"),
])
def test_csv_cells(value, cell):
    text = kvm_fleet_csv({"columns": ["host", "x"], "hosts": [{"host": "h", "x": value}]})
    assert list(csv.reader(io.StringIO(text)))[1] == ["h", cell]


def test_csv_refuses_what_is_not_a_report():
    with pytest.raises(AnsibleFilterError, match="kvm_fleet_report"):
        kvm_fleet_csv([{"host": "h"}])


def test_verdicts_are_the_collections_reasons_then_the_reports_own():
    assert VERDICTS[:len(REASONS)] == REASONS
    assert set(VERDICTS[len(REASONS):]) == {"malformed", "failed", "unreachable", "no_data"}
    report = kvm_fleet_report(["h"], {"h": {"ansible_facts": {"kvm": {"usable": False, "reason": "module_blocked"}}}})
    assert report["counts"] == [{"verdict": "module_blocked", "label": LABELS["module_blocked"],
                                 "meaning": MEANINGS["module_blocked"], "count": 1}]


def good_facts():
    return {"usable": False, "reason": "module_not_loaded", "remediation": "Load it.", "arch": "x86_64", "kernel": "6.1",
            "cpu": {"vendor": "intel", "model": "Xeon", "extension": "vmx", "extension_shown": True, "count": 8},
            "guest": {"hypervisor": None, "container": None}, "nested": {"enabled": None},
            "iommu": {"enabled": True, "groups": 12},
            "gpus": [{"vendor": "nvidia", "address": "0000:41:00.0", "driver": "vfio-pci", "passthrough_ready": True}]}


def set_path(facts, path, value):
    *parents, last = path
    target = facts
    for key in parents:
        target = target[key]
    target[last] = value
    return facts


@pytest.mark.parametrize("path, value, words", [
    (("reason",), ["ok"], "reason is a list, not text"),
    (("reason",), None, "reason is null, not text"),
    (("reason",), "<script>alert(1)</script>", "is not one of kvm_facts' reasons"),
    (("usable",), "yes", "usable is text, not true/false"),
    (("usable",), True, "usable is true with reason 'module_not_loaded'"),
    (("remediation",), 42, "remediation is a number, not text or null"),
    (("remediation",), {"do": "x"}, "remediation is a mapping"),
    (("cpu",), "Xeon", "cpu is text, not a mapping or null"),
    (("cpu", "count"), "8", "cpu.count is text, not a whole number or null"),
    (("cpu", "count"), True, "cpu.count is a boolean"),
    (("cpu", "count"), 8.5, "cpu.count is a number, not a whole number"),
    (("cpu", "extension_shown"), "yes", "cpu.extension_shown is text"),
    (("guest", "hypervisor"), ["kvm"], "guest.hypervisor is a list"),
    (("iommu", "groups"), "<img src=x onerror=alert(1)>", "iommu.groups is text"),
    (("gpus",), {"vendor": "nvidia"}, "gpus is a mapping, not a list or null"),
    (("gpus",), ["nvidia"], "gpus[0] is text, not a mapping"),
    (("gpus", 0, "vendor"), 4318, "gpus[0].vendor is a number, not text or null"),
    (("gpus", 0, "passthrough_ready"), "true", "gpus[0].passthrough_ready is text"),
])
def test_a_malformed_host_is_its_own_row(path, value, words):
    hostvars = {"bad": {"ansible_facts": {"kvm": set_path(good_facts(), path, value)}},
                "good": {"ansible_facts": {"kvm": good_facts()}}}
    report = kvm_fleet_report(["bad", "good"], hostvars)
    bad, good = report["hosts"]
    assert (bad["verdict"], bad["source"], bad["usable"]) == ("malformed", "cache", None)
    assert words in bad["message"], bad["message"]
    assert bad["remediation"] == REMEDIATION["malformed"]
    assert good["verdict"] == "module_not_loaded" and good["cpu_count"] == 8 and good["gpu_list"]
    assert [c["verdict"] for c in report["counts"]] == ["module_not_loaded", "malformed"]
    kvm_fleet_csv(report)  # and the CSV of it


@pytest.mark.parametrize("kvm", ["a string", ["a", "list"], 7, True])
def test_facts_that_are_not_a_mapping(kvm):
    for variables in ({"ansible_facts": {"kvm": kvm}},
                      {"kvm_report_gathered": {"changed": False, "ansible_facts": {"kvm": kvm}}}):
        row = kvm_fleet_report(["h"], {"h": variables})["hosts"][0]
        assert row["verdict"] in ("malformed", "failed"), row
        assert row["usable"] is None


def test_a_host_with_many_problems_names_the_first_few():
    facts = {"usable": 1, "reason": 2, "remediation": 3, "arch": 4, "kernel": 5, "cpu": {"vendor": 6, "model": 7, "extension": 8,
             "count": "9"}, "gpus": [1] * 10}
    message = kvm_fleet_report(["h"], {"h": {"ansible_facts": {"kvm": facts}}})["hosts"][0]["message"]
    assert message.count(" is ") == 8 and "and 11 more" in message, message


def test_long_fields_are_cut():
    facts = good_facts()
    facts["cpu"]["model"] = "M" * 1_000_000
    facts["remediation"] = "R" * 1_000_000
    facts["gpus"] = [dict(facts["gpus"][0], driver="d" * 5000)]
    row = kvm_fleet_report(["h"], {"h": {"ansible_facts": {"kvm": facts}}})["hosts"][0]
    assert len(row["cpu_model"]) == 200 + len(CUT) and row["cpu_model"].endswith(CUT)
    assert len(row["remediation"]) == 4000 + len(CUT)
    assert len(row["gpu_list"][0]) == 200 + len(CUT)
    unreachable = dict(UNREACHABLE, msg="x" * 100_000)
    assert len(kvm_fleet_report(["u"], {"u": {"kvm_report_gathered": unreachable}})["hosts"][0]["message"]) == 4000 + len(CUT)


def test_too_many_gpus_is_malformed():
    facts = good_facts()
    facts["gpus"] = facts["gpus"] * 1000
    row = kvm_fleet_report(["h"], {"h": {"ansible_facts": {"kvm": facts}}})["hosts"][0]
    assert row["verdict"] == "malformed" and "1000 devices" in row["message"]


class TemplatingHostVars(dict):
    """Stands for Ansible's hostvars: [] would template, raw_get does not; counts the reads per host."""

    def __init__(self, data):
        super().__init__(data)
        self.reads = {}

    def raw_get(self, host):
        self.reads[host] = self.reads.get(host, 0) + 1
        return dict.__getitem__(self, host)

    def __getitem__(self, host):
        raise AssertionError("hostvars[%s] templates every variable of the host" % host)


def test_each_host_is_read_once_and_never_templated(facts):
    hostvars = TemplatingHostVars({case: {"kvm_report_gathered": live(kvm), "ansible_facts": {"kvm": kvm}}
                                   for case, kvm in facts.items()})
    report = kvm_fleet_report(list(hostvars) + ["not-in-inventory"], hostvars)
    assert hostvars.reads == dict.fromkeys(facts, 1)
    rows = {row["host"]: row for row in report["hosts"]}
    assert rows["not-in-inventory"]["verdict"] == "no_data"


# The firmware fixed from the BMC (role kvm_firmware).

def firmware_disabled(extension="vmx", arch="x86_64"):
    facts = dict(good_facts(), reason="firmware_disabled", arch=arch,
                 remediation="The CPU supports it, but the firmware has it turned off. Restart the machine ...")
    facts["cpu"] = dict(facts["cpu"], extension=extension, extension_shown=False)
    return facts


def bmc_row(address, facts=None, **variables):
    hostvars = {"h": dict({"ansible_facts": {"kvm": facts or firmware_disabled()}, "kvm_firmware_bmc_address": address},
                          **variables)}
    report = kvm_fleet_report(["h"], hostvars)
    return report, report["hosts"][0]


@pytest.mark.parametrize("address, shown", [
    ("idrac-r740-07.mgmt.example.com", "idrac-r740-07.mgmt.example.com"),
    ("  10.0.40.21:8443\n", "10.0.40.21:8443"),
    ("https://[fd00::21]/", "https://[fd00::21]/"),
    # A user and password written into the address are never shown, whatever they hold.
    ("https://root:calvin@idrac-07", "https://idrac-07"),
    ("https://svc:p@ss/w:rd@10.0.40.21:443", "https://10.0.40.21:443"),
    ("admin:secret@ilo-12", "ilo-12"),
    # Shown as the inventory writes it: a template is not rendered.
    ("{{ inventory_hostname }}-bmc.mgmt", "{{ inventory_hostname }}-bmc.mgmt"),
    ("<script>alert(1)</script>", "<script>alert(1)</script>"),
    ("=HYPERLINK(\"http://x\")", "=HYPERLINK(\"http://x\")"),
])
def test_a_firmware_disabled_host_with_a_bmc_can_be_fixed_from_it(address, shown):
    report, row = bmc_row(address, kvm_firmware_bmc_username="SECRET-USER", kvm_firmware_bmc_password="SECRET-PASSWORD")
    assert (row["verdict"], row["bmc_fix"], row["bmc_address"]) == ("firmware_disabled", BMC_FIX, shown)
    assert "hypervisor.kvm.kvm_firmware" in row["bmc_fix"] and "kvm_firmware_reboot: true" in row["bmc_fix"]
    assert report["bmc_fixable"] == 1
    # The console steps stay: they are what to do where the BMC cannot be used.
    assert row["remediation"].startswith("The CPU supports it")
    assert [(g["verdict"], g["bmc_fix"], g["hosts"]) for g in report["remediations"]] == [("firmware_disabled", BMC_FIX, ["h"])]
    text = json.dumps(report) + kvm_fleet_csv(report)
    assert "SECRET" not in text and "calvin" not in text and "p@ss" not in text


@pytest.mark.parametrize("address", [None, "", "   \n", 42, True, ["idrac-07"], {"host": "idrac-07"}, "root:calvin@",
                                     "https://root:calvin@ ", "@"])
def test_without_a_bmc_address_the_console_steps_stay(address):
    report, row = bmc_row(address)
    assert (row["verdict"], row["bmc_fix"], row["bmc_address"], report["bmc_fixable"]) == ("firmware_disabled", "", None, 0)
    assert row["remediation"].startswith("The CPU supports it")


@pytest.mark.hostile
def test_a_bmc_address_a_fact_sets_is_not_offered():
    """A fact outranks the inventory's variables, so a host (or a fact cache) could choose the address;
    the role kvm_firmware refuses such a host, and the report does not offer its BMC."""
    hostvars = {"h": {"ansible_facts": {"kvm": firmware_disabled(), "kvm_firmware_bmc_address": "evil.example"},
                      "kvm_firmware_bmc_address": "evil.example"}}
    report = kvm_fleet_report(["h"], hostvars)
    row = report["hosts"][0]
    assert (row["verdict"], row["bmc_fix"], row["bmc_address"], report["bmc_fixable"]) == ("firmware_disabled", "", None, 0)
    assert "evil.example" not in json.dumps(report)


def test_a_vaulted_address_counts_and_stays_encrypted():
    vault = pytest.importorskip("ansible.parsing.vault")
    if not hasattr(vault, "EncryptedString"):
        pytest.skip("ansible-core before 2.19 has no EncryptedString")
    encrypted = vault.EncryptedString(ciphertext="$ANSIBLE_VAULT;1.1;AES256\n6162")  # never decrypted: no secret given
    report, row = bmc_row(encrypted)
    assert (row["bmc_fix"], row["bmc_address"], report["bmc_fixable"]) == (BMC_FIX, None, 1)
    json.dumps(report)


@pytest.mark.parametrize("facts", [
    good_facts(),  # module_not_loaded: the firmware is not the cause
    dict(good_facts(), usable=True, reason="ok", remediation=None),
    firmware_disabled(extension=None),  # a CPU the role cannot tell the setting of
    firmware_disabled(extension="el2", arch="aarch64"),  # started at EL1: the boot loader, not a BIOS setting
    dict(firmware_disabled(), usable="no"),  # malformed
])
def test_only_firmware_disabled_with_vt_x_or_amd_v_is_fixed_from_the_bmc(facts):
    report, row = bmc_row("idrac-07", facts=facts)
    assert (row["bmc_fix"], row["bmc_address"], report["bmc_fixable"]) == ("", None, 0), row


def test_the_bmc_address_is_cut_after_the_credentials_are_taken_out():
    report, row = bmc_row("https://root:" + "p" * 500 + "@" + "b" * 1000)
    assert row["bmc_address"] == "https://" + "b" * (200 - len("https://")) + CUT
    report, row = bmc_row("root:" + "p" * 500 + "@idrac-07")
    assert row["bmc_address"] == "idrac-07"


def test_the_bmc_address_is_plain_text_not_a_trusted_template():
    """ansible-core 2.19 renders a trusted template it finds in a variable (the report's set_fact): the address must not be one."""
    address = "{{ lookup('ansible.builtin.pipe', 'id') }}"
    if TrustedAsTemplate is not None:  # as the inventory gives it
        address = TrustedAsTemplate().tag(address)
        assert TrustedAsTemplate.is_tagged_on(address)
    row = bmc_row(address)[1]
    assert row["bmc_address"] == "{{ lookup('ansible.builtin.pipe', 'id') }}"
    assert TrustedAsTemplate is None or not TrustedAsTemplate.is_tagged_on(row["bmc_address"])


def test_bmc_fixes_are_counted_and_grouped_apart_from_the_console_steps():
    fixable = {"ansible_facts": {"kvm": firmware_disabled()}, "kvm_firmware_bmc_address": "bmc"}
    console = {"ansible_facts": {"kvm": firmware_disabled()}}
    amd = {"ansible_facts": {"kvm": firmware_disabled(extension="svm")}, "kvm_firmware_bmc_address": "bmc"}
    hostvars = {"r1": fixable, "r2": console, "r3": amd, "r10": fixable, "blocked": {"ansible_facts": {"kvm": good_facts()}}}
    report = kvm_fleet_report(list(hostvars), hostvars)
    assert report["bmc_fixable"] == 3
    assert [(g["verdict"], bool(g["bmc_fix"]), g["hosts"]) for g in report["remediations"]] == [
        ("firmware_disabled", True, ["r1", "r3", "r10"]), ("firmware_disabled", False, ["r2"]),
        ("module_not_loaded", False, ["blocked"])]
    assert [c["count"] for c in report["counts"]] == [4, 1]
    assert list(report["hosts"][0]) == list(COLUMNS)
    rows = list(csv.DictReader(io.StringIO(kvm_fleet_csv(report))))
    assert {r["host"]: (r["bmc_fix"] == BMC_FIX, r["bmc_address"]) for r in rows} == {
        "blocked": (False, ""), "r1": (True, "bmc"), "r2": (False, ""), "r3": (True, "bmc"), "r10": (True, "bmc")}


def test_the_bmc_is_read_from_the_variables_at_report_time_with_facts_from_a_cache():
    """A sliced workflow: the facts come from the cache, the BMC from the inventory the report reads now."""
    variables = {"kvm_report_gathered": SKIPPED, "ansible_facts": {"kvm": firmware_disabled()}, "kvm_firmware_bmc_address": "idrac-r1"}
    hostvars = TemplatingHostVars({"r1": variables})
    row = kvm_fleet_report(["r1"], hostvars)["hosts"][0]
    assert (row["source"], row["bmc_address"], row["bmc_fix"]) == ("cache", "idrac-r1", BMC_FIX)
    assert hostvars.reads == {"r1": 1}


def test_what_waits_for_a_boot_reaches_the_row_and_the_csv(facts):
    kvm = dict(facts["qemu-tcg-svm-libvirt"], reboot_pending=["kernel parameters not on /proc/cmdline yet: iommu=pt",
                                                              "<b>0000:00:03.0</b> not bound to vfio-pci yet"])
    old = {key: value for key, value in facts["qemu-tcg-svm-libvirt"].items() if key != "reboot_pending"}
    hostvars = {"waits": {"kvm_report_gathered": live(kvm)}, "cached-before": {"ansible_facts": {"kvm": old}}}
    report = kvm_fleet_report(list(hostvars), hostvars)
    rows = {row["host"]: row for row in report["hosts"]}
    assert rows["waits"]["reboot_pending"] == kvm["reboot_pending"]
    # Facts cached before kvm_facts said it are not malformed: nothing is known to wait.
    assert rows["cached-before"]["verdict"] == old["reason"] and rows["cached-before"]["reboot_pending"] == []
    table = {line["host"]: line for line in csv.DictReader(io.StringIO(kvm_fleet_csv(report)))}
    assert table["waits"]["reboot_pending"] == "; ".join(kvm["reboot_pending"])
    malformed = dict(kvm, reboot_pending="iommu=pt")
    row = kvm_fleet_report(["bad"], {"bad": {"kvm_report_gathered": live(malformed)}})["hosts"][0]
    assert row["verdict"] == "malformed" and "reboot_pending is text, not a list" in row["message"]


def test_ansibles_own_hostvars_give_the_report_raw_get_gives(facts, tmp_path):
    """Ansible's hostvars: the facts and the registered result read from its caches make the same report
    as each host's whole variables (raw_get) make, and the caches are found on this ansible-core."""
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader
    from ansible.vars.hostvars import HostVars
    from ansible.vars.manager import VariableManager
    from ansible_collections.hypervisor.kvm.plugins.filter.kvm_fleet_report import _fact_caches

    disabled = next(kvm for kvm in facts.values() if kvm["reason"] == "firmware_disabled" and kvm["cpu"]["extension"] in ("vmx", "svm"))
    ok = next(kvm for kvm in facts.values() if kvm["usable"])
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  vars:\n    kvm_firmware_bmc_address: https://root:secret@bmc-all\n  hosts:\n"
                         "    cached-ok:\n    cached-bmc:\n    own-bmc:\n      kvm_firmware_bmc_address: bmc-own\n"
                         "    live-ok:\n    unreachable:\n    failed:\n    skipped-cached:\n    nothing:\n"
                         "    malformed:\n", encoding="ascii")
    loader = DataLoader()
    manager = VariableManager(loader=loader, inventory=InventoryManager(loader=loader, sources=[str(inventory)]))
    hostvars = HostVars(manager._inventory, manager, loader)
    for host, kvm in (("cached-ok", ok), ("cached-bmc", disabled), ("own-bmc", disabled), ("skipped-cached", ok),
                      ("malformed", ["not", "a", "mapping"])):
        manager.set_host_facts(host, {"kvm": kvm})
    for host, result in (("live-ok", live(ok)), ("unreachable", UNREACHABLE), ("skipped-cached", SKIPPED),
                         ("failed", {"failed": True, "msg": "kvm_facts failed"})):
        manager.set_nonpersistent_facts(host, {"kvm_report_gathered": result})
    hosts = list(hostvars) + ["not-in-inventory"]

    assert _fact_caches(hostvars) is not None, "Ansible's fact caches are no longer where the report reads them"
    fast = kvm_fleet_report(hosts, hostvars, generated="now")
    whole = kvm_fleet_report(hosts, {h: hostvars.raw_get(h) for h in hostvars}, generated="now")
    assert fast == whole
    rows = {row["host"]: (row["verdict"], row["source"], row["bmc_address"]) for row in fast["hosts"]}
    assert rows["own-bmc"] == ("firmware_disabled", "cache", "bmc-own")
    assert rows["cached-bmc"] == ("firmware_disabled", "cache", "https://bmc-all")
    assert rows["live-ok"][:2] == ("ok", "live") and rows["skipped-cached"][:2] == ("ok", "cache")
    assert rows["unreachable"][0] == "unreachable" and rows["failed"][0] == "failed"
    assert rows["nothing"][0] == rows["not-in-inventory"][0] == "no_data" and rows["malformed"][0] == "malformed"
