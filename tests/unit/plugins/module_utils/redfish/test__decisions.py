# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding from Redfish documents: the system, the attribute, what to PATCH, how to reset.

The documents are shaped as the BMCs return them (Dell iDRAC, HPE iLO, a registry-only BMC);
the emulator tests (tests/redfish) cover the HTTP side and the role.
"""

import re

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish import _decisions
from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish._vendors import ATTRIBUTES, DISPLAY_NAMES, VENDORS

DELL = _decisions.vendor_row("Dell Inc.")
HPE = _decisions.vendor_row("HPE")


def registry_entry(name, display, values=("Enabled", "Disabled"), **extra):
    entry = {"AttributeName": name, "DisplayName": display, "Type": "Enumeration", "ReadOnly": False,
             "Value": [{"ValueName": v, "ValueDisplayName": v} for v in values]}
    entry.update(extra)
    return entry


# -- the vendor table itself ------------------------------------------------------------------

def test_every_row_cites_its_source_and_names_a_known_vendor():
    vendors = {row["vendor"] for row in VENDORS}
    for row in VENDORS + ATTRIBUTES:
        assert len(row["source"]) > 20, row
    for row in ATTRIBUTES:
        assert row["vendor"] in vendors and row["setting"] in DISPLAY_NAMES, row
        assert row["cpu"] in ("any", "intel", "amd") and isinstance(row["verified"], bool), row
        assert re.match(r"^[A-Za-z][A-Za-z0-9_]+$", row["attribute"]), row
    for row in VENDORS:
        assert row["reset"] in ("ForceRestart", "power_cycle") and row["manufacturer"], row


def test_unverified_rows_say_so_in_their_source():
    for row in ATTRIBUTES:
        assert row["verified"] or "third-party" in row["source"] or "unverified" in row["source"], row


@pytest.mark.parametrize("manufacturer, vendor", [
    ("Dell Inc.", "Dell"), ("DELL", "Dell"), ("HPE", "HPE"), ("HP", "HPE"), ("Lenovo", "Lenovo"),
    ("Hewlett Packard Enterprise", None), ("Dellwood Systems", None), ("Supermicro", None), ("", None), (None, None),
])
def test_vendor_row_by_manufacturer(manufacturer, vendor):
    row = _decisions.vendor_row(manufacturer)
    assert (row["vendor"] if row else None) == vendor


def test_vendor_override_and_unknown_override():
    assert _decisions.vendor_row("Sushy Emulator", "hpe")["vendor"] == "HPE"
    with pytest.raises(_decisions.RedfishError, match="known: Dell, HPE, Lenovo"):
        _decisions.vendor_row("x", "Acme")


# -- finding the system and its Bios ----------------------------------------------------------

def test_the_only_system_is_chosen_and_several_need_a_name():
    one = ["/redfish/v1/Systems/System.Embedded.1"]
    assert _decisions.choose_system(one, {}) == one[0]
    two = ["/redfish/v1/Systems/1", "/redfish/v1/Systems/2"]
    docs = {two[0]: {"Id": "1", "Name": "blade-a"}, two[1]: {"Id": "2", "Name": "blade-b"}}
    with pytest.raises(_decisions.NoSystemError, match="lists 2 computer systems"):
        _decisions.choose_system(two, docs)
    assert _decisions.choose_system(two, docs, "blade-b") == two[1]
    assert _decisions.choose_system(two, docs, "1") == two[0]
    with pytest.raises(_decisions.NoSystemError, match="no computer system 'c'"):
        _decisions.choose_system(two, docs, "c")
    with pytest.raises(_decisions.NoSystemError, match="lists no computer system"):
        _decisions.choose_system([], {})


def test_a_system_without_bios_is_a_clear_error():
    with pytest.raises(_decisions.NoBiosError, match="has no Bios resource.*console"):
        _decisions.bios_uri({"Id": "1", "Manufacturer": "Acme"})
    assert _decisions.bios_uri({"Bios": {"@odata.id": "/redfish/v1/Systems/1/Bios"}}) == "/redfish/v1/Systems/1/Bios"


def test_settings_object_is_followed_or_defaulted():
    bios = {"@Redfish.Settings": {"SettingsObject": {"@odata.id": "/redfish/v1/systems/1/bios/settings/"}}}
    assert _decisions.settings_uri(bios, "/redfish/v1/systems/1/bios/") == "/redfish/v1/systems/1/bios/settings/"
    assert _decisions.settings_uri({}, "/redfish/v1/Systems/1/Bios/") == "/redfish/v1/Systems/1/Bios/Settings"


def test_registry_location_by_id_then_by_bios_name():
    files = {
        "/redfish/v1/Registries/Messages": {"Id": "Messages", "Location": [{"Uri": "/m"}]},
        "/redfish/v1/Registries/BiosAttributeRegistry.v1_0_0": {
            "Id": "BiosAttributeRegistry.v1_0_0", "Registry": "BiosAttributeRegistry1.0",
            "Location": [{"Language": "ja", "Uri": "/ja"}, {"Language": "en", "Uri": "/en"}]},
    }
    # sushy-tools: the Bios names "...P89.v1_0_0", the file is "BiosAttributeRegistry.v1_0_0".
    assert _decisions.registry_location(files, "BiosAttributeRegistryP89.v1_0_0") == "/en"
    assert _decisions.registry_location(files, "BiosAttributeRegistry.v1_0_0") == "/en"
    assert _decisions.registry_location({"/m": files["/redfish/v1/Registries/Messages"]}, "X") is None


# -- choosing the attribute -------------------------------------------------------------------

DELL_ATTRIBUTES = {"ProcVirtualization": "Disabled", "LogicalProc": "Enabled", "SriovGlobalEnable": "Disabled"}
HPE_ATTRIBUTES = {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled", "ProcHyperthreading": "Enabled"}
HPE_AMD_ATTRIBUTES = {"ProcVirtualization": "Enabled", "ProcAmdIoVt": "Disabled"}
LENOVO_ATTRIBUTES = {"Processors_IntelVirtualizationTechnology": "Disabled", "Processors_HyperThreading": "Enabled"}


def test_the_vendor_table_names_the_attribute():
    found = _decisions.choose_attribute("virtualization", DELL_ATTRIBUTES, [], DELL)
    assert (found["attribute"], found["enabled"], found["found_by"]) == ("ProcVirtualization", "Enabled", "vendor table")
    assert "dell" in found["source"].lower()
    iommu = _decisions.choose_attribute("iommu", HPE_ATTRIBUTES, [], HPE, "intel")
    assert iommu["attribute"] == "IntelProcVtd"


def test_an_unverified_row_is_offered_not_used():
    with pytest.raises(_decisions.AttributeNotFoundError) as error:
        _decisions.choose_attribute("iommu", HPE_AMD_ATTRIBUTES, [], HPE, "amd")
    assert "unverified candidates" in str(error.value) and "ProcAmdIoVt" in str(error.value)
    assert error.value.related == ["ProcAmdIoVt", "ProcVirtualization"]


def test_registry_display_names_name_the_attribute_of_an_unknown_vendor():
    attributes = {"VMX": "Disabled", "VTdSupport": "Disabled", "Turbo": "Enabled"}
    entries = [registry_entry("VMX", "Intel Virtualization Technology", values=("Enable", "Disable")),
               registry_entry("VTdSupport", "Intel VT for Directed I/O"),
               registry_entry("Turbo", "Turbo Mode")]
    found = _decisions.choose_attribute("virtualization", attributes, entries, None)
    # The registry's own spelling of the enabled value wins over "Enabled".
    assert (found["attribute"], found["enabled"], found["found_by"]) == ("VMX", "Enable", "registry display name")
    assert _decisions.choose_attribute("iommu", attributes, entries, None)["attribute"] == "VTdSupport"


def test_a_boolean_attribute_is_turned_on_with_true():
    entries = [registry_entry("SvmEnable", "SVM Mode", Type="Boolean", Value=[])]
    found = _decisions.choose_attribute("virtualization", {"SvmEnable": False}, entries, None)
    assert found["enabled"] is True


def test_read_only_and_ambiguous_registry_entries_are_not_guessed():
    attributes = {"A": "Disabled", "B": "Disabled"}
    read_only = [registry_entry("A", "SVM Mode", ReadOnly=True)]
    with pytest.raises(_decisions.AttributeNotFoundError, match="vendor is not in the table"):
        _decisions.choose_attribute("virtualization", attributes, read_only, None)
    twice = [registry_entry("A", "SVM Mode"), registry_entry("B", "VT-x")]
    with pytest.raises(_decisions.AttributeNotFoundError, match=r"names several \(A, B\)"):
        _decisions.choose_attribute("virtualization", attributes, twice, None)


def test_unknown_vendor_without_registry_lists_related_names():
    with pytest.raises(_decisions.AttributeNotFoundError) as error:
        _decisions.choose_attribute("virtualization", LENOVO_ATTRIBUTES, [], None)
    message = str(error.value)
    assert "vendor is not in the table" in message and "offers no attribute registry" in message
    assert error.value.related == ["Processors_IntelVirtualizationTechnology"]


def test_a_given_name_must_exist():
    found = _decisions.choose_attribute("virtualization", LENOVO_ATTRIBUTES, [], None,
                                        override="Processors_IntelVirtualizationTechnology")
    assert found["found_by"] == "given"
    with pytest.raises(_decisions.AttributeNotFoundError, match="no attribute 'Nope'"):
        _decisions.choose_attribute("virtualization", LENOVO_ATTRIBUTES, [], None, override="Nope")


def test_display_name_table_is_lower_case():
    for names in DISPLAY_NAMES.values():
        assert all(name == name.lower().strip() for name in names)


# -- deciding what to change ------------------------------------------------------------------

TARGET = {"setting": "virtualization", "attribute": "ProcVirtualization", "enabled": "Enabled"}
IOMMU = {"setting": "iommu", "attribute": "IntelProcVtd", "enabled": "Enabled"}


@pytest.mark.parametrize("current, pending, state, patch", [
    ({"ProcVirtualization": "Disabled"}, {}, "to_set", {"ProcVirtualization": "Enabled"}),
    # Dell lists only pending attributes in Bios/Settings; iLO lists all of them.
    ({"ProcVirtualization": "Disabled"}, {"ProcVirtualization": "Enabled"}, "pending", {}),
    ({"ProcVirtualization": "Disabled"}, {"ProcVirtualization": "Disabled", "X": 1}, "to_set",
     {"ProcVirtualization": "Enabled"}),
    ({"ProcVirtualization": "Enabled"}, {}, "enabled", {}),
    # iLO lists every attribute in Bios/Settings: the same value there is nothing pending.
    ({"ProcVirtualization": "Enabled"}, {"ProcVirtualization": "Enabled"}, "enabled", {}),
    # Someone staged Disabled on an enabled BIOS: the next reset would turn it off, so send Enabled again.
    ({"ProcVirtualization": "Enabled"}, {"ProcVirtualization": "Disabled"}, "to_set", {"ProcVirtualization": "Enabled"}),
])
def test_plan_one_setting(current, pending, state, patch):
    decided = _decisions.plan(current, pending, [TARGET])
    assert decided["state"] == state and decided["patch"] == patch
    assert decided["settings"][0]["current"] == current["ProcVirtualization"]
    # Only a value the running BIOS does not have needs a reset.
    assert decided["reset_needed"] == (current["ProcVirtualization"] != "Enabled")


def test_plan_takes_the_least_advanced_state():
    current = {"ProcVirtualization": "Enabled", "IntelProcVtd": "Disabled"}
    assert _decisions.plan(current, {"IntelProcVtd": "Enabled"}, [TARGET, IOMMU])["state"] == "pending"
    decided = _decisions.plan(current, {}, [TARGET, IOMMU])
    assert decided["state"] == "to_set" and decided["patch"] == {"IntelProcVtd": "Enabled"}
    assert [s["state"] for s in decided["settings"]] == ["enabled", "to_set"]


def test_patch_body_carries_the_apply_time_dell_needs():
    assert _decisions.patch_body({"ProcVirtualization": "Enabled"}, DELL) == {
        "Attributes": {"ProcVirtualization": "Enabled"}, "@Redfish.SettingsApplyTime": {"ApplyTime": "OnReset"}}
    assert _decisions.patch_body({"A": "Enabled"}, HPE) == {"Attributes": {"A": "Enabled"}}
    assert _decisions.patch_body({"A": "Enabled"}, None) == {"Attributes": {"A": "Enabled"}}


@pytest.mark.parametrize("power, reset, steps", [
    ("On", "ForceRestart", ["ForceRestart"]),
    ("On", "power_cycle", ["ForceOff", "On"]),
    ("Off", "ForceRestart", ["On"]),
    ("Off", "power_cycle", ["On"]),
    (None, "GracefulRestart", ["GracefulRestart"]),
])
def test_reset_steps(power, reset, steps):
    assert _decisions.reset_steps(power, reset) == steps


@pytest.mark.parametrize("model, cpu", [
    ("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "intel"), ("AMD EPYC 7763 64-Core Processor", "amd"),
    ("", None), (None, None),
])
def test_cpu_vendor_of(model, cpu):
    assert _decisions.cpu_vendor_of({"ProcessorSummary": {"Model": model}}) == cpu


def related_names(attributes, entries=None, setting="virtualization"):
    return [c["attribute"] for c in _decisions.related_attributes(attributes, entries, setting)]


def test_related_attributes_ignore_the_rest():
    attributes = {"ProcVirtualization": 1, "LogicalProc": 1, "SvmMode": 1, "IommuSupport": 1, "BootMode": 1, "VTd": 1}
    assert related_names(attributes, [registry_entry("VTd", "Intel VT-d")]) == [
        "ProcVirtualization", "SvmMode", "IommuSupport", "VTd"]
    # For the IOMMU, its switches come first.
    assert related_names(attributes, [], "iommu") == ["IommuSupport", "VTd", "ProcVirtualization", "SvmMode"]
    # A name only the registry lists cannot be set: it is not offered.
    assert related_names({"BootMode": 1}, [registry_entry("VMX", "Intel VT-x")]) == []


# Attribute sets shaped as BMCs return them (names as their documentation, scripts and registries
# spell them; values and neighbours as on such a machine): (BIOS attributes, registry entries,
# the virtualization candidates in order, the IOMMU ones in order).
VENDOR_BIOSES = {
    "Dell iDRAC 9, Intel": (
        {"ProcVirtualization": "Enabled", "LogicalProc": "Enabled", "ProcX2Apic": "Enabled", "SriovGlobalEnable": "Disabled",
         "BootMode": "Uefi", "ProcTurboMode": "Enabled", "SysProfile": "PerfPerWattOptimizedDapc", "MemTest": "Disabled"},
        [], ["ProcVirtualization"], []),
    "HPE iLO 5, Intel": (
        {"ProcVirtualization": "Disabled", "IntelProcVtd": "Enabled", "ProcHyperthreading": "Enabled", "Sriov": "Enabled",
         "VirtualInstallDisk": "Disabled", "IntelligentProvisioning": "Enabled", "WorkloadProfile": "GeneralPowerEfficientCompute",
         "EmbeddedUefiShell": "Enabled"},
        [], ["ProcVirtualization"], ["IntelProcVtd"]),
    "HPE iLO 5, AMD": (
        {"ProcVirtualization": "Disabled", "ProcAmdIoVt": "Disabled", "ProcSMT": "Enabled", "Sriov": "Enabled"},
        [], ["ProcVirtualization"], ["ProcAmdIoVt"]),
    "Lenovo XCC, Intel": (
        {"Processors_IntelVirtualizationTechnology": "Disabled", "Processors_IntelVTforDirectedIOVTd": "Enabled",
         "Processors_HyperThreading": "Enabled", "Processors_TurboMode": "Enabled", "DevicesandIOPorts_SRIOV": "Enable",
         "OperatingModes_ChooseOperatingMode": "MaximumPerformance"},
        [], ["Processors_IntelVirtualizationTechnology"], ["Processors_IntelVTforDirectedIOVTd"]),
    "Lenovo XCC, AMD": (
        {"Processors_SVMMode": "Disabled", "Processors_SMTMode": "Enabled", "DevicesandIOPorts_IOMMU": "Auto",
         "Memory_NUMANodesperSocket": "NPS1"},
        [], ["Processors_SVMMode"], ["DevicesandIOPorts_IOMMU"]),
    "Lenovo ThinkStation, AMD": (
        {"AMDSecureVirtualMachine": "Disable", "IOMMU": "Auto", "AMDMemoryGuard": "Disable", "CPBMode": "Enable"},
        [], ["AMDSecureVirtualMachine"], ["IOMMU"]),
    "Supermicro X11, names with suffixes": (
        {"IntelVirtualizationTechnology#0012": True, "IntelVTForDirectedIO(VT-d)#0098": True, "QuietBoot_0027": True,
         "OptionROMMessages_0028": "1", "Hyper-Threading(ALL)#0011": "Enable", "VTTVoltage#0200": "1.05"},
        [], ["IntelVirtualizationTechnology#0012"], ["IntelVTForDirectedIO(VT-d)#0098"]),
    "Supermicro H12, AMD, odd spacing": (
        {"SVM Mode_0042": "Enabled", " IOMMU _0043": "Auto", "SMT Control_0041": "Auto", "Virtual  Media_0050": "Enabled"},
        [], ["SVM Mode_0042"], [" IOMMU _0043"]),
    "Intel reference BIOS knobs (Inspur, Gigabyte)": (
        {"ProcessorVmxEnable": "0x1", "VTdSupport": "0x1", "InterruptRemap": "0x1", "ProcessorHyperThreadingDisable": "0x0"},
        [], ["ProcessorVmxEnable"], ["InterruptRemap", "VTdSupport"]),
    "Huawei iBMC": (
        {"VTSupport": "Enabled", "VTdSupport": "Enabled", "ProcessorHyperThreadingDisable": "Disabled", "SRIOV": "Enabled"},
        [], ["VTSupport"], ["VTdSupport"]),
    "Fujitsu iRMC": (
        {"CpuVtSupport": "Enabled", "CpuVtdSupport": "Disabled", "HyperThreading": "Enabled", "VttLevel": "1"},
        [], ["CpuVtSupport"], ["CpuVtdSupport"]),
    "Cisco CIMC": (
        {"IntelVT": "Enabled", "IntelVTD": "Enabled", "IntelVTDATSSupport": "Enabled", "CbsCmnGnbNbIOMMU": "Auto",
         "SvmMode": "Enabled"},
        [], ["IntelVT", "SvmMode"], ["CbsCmnGnbNbIOMMU", "IntelVTD"]),
    "Various: hypervisor, VMX and SVM anywhere, in any case": (
        {"Hypervisor_Support": "On", "VMXEnable": "On", "CpuSvm": "On", "amd_v": 1, "NESTEDVIRT": "on", "VTX": "1",
         "AmdVi": "On", "VirtualNuma": "On", "VirtualSerialPort": "Com1"},
        [], ["amd_v", "CpuSvm", "Hypervisor_Support", "NESTEDVIRT", "VMXEnable", "VTX"], ["AmdVi"]),
    # AMI MegaRAC BMCs (ASRockRack, Gigabyte): opaque names; only the registry says what they are.
    "AMI MegaRAC, opaque names and a registry": (
        {"PROC001": "Enabled", "PROC002": "Disabled", "CSM000": "Disabled", "IIO005": "Enabled", "SETUP042": 0},
        [registry_entry("PROC001", "Hyper-Threading"),
         registry_entry("PROC002", "Intel (VMX) Virtualization Technology"),
         registry_entry("IIO005", "Intel\u00ae VT for Directed I/O (VT-d)"),
         registry_entry("SETUP042", "Processor Feature 7", HelpText="When enabled, a VMM can use the additional "
                        "hardware capabilities provided by Vanderpool Technology.")],
        ["PROC002", "SETUP042"], ["IIO005"]),
}


@pytest.mark.parametrize("vendor", sorted(VENDOR_BIOSES))
def test_related_attributes_of_vendor_bioses(vendor):
    attributes, entries, virtualization, iommu = VENDOR_BIOSES[vendor]
    assert related_names(attributes, entries) == virtualization + iommu
    assert related_names(attributes, entries, "iommu") == iommu + virtualization


@pytest.mark.parametrize("name", [
    "VTTVoltage", "VttLevel", "VirtualMedia", "VirtualSerialPort", "Virtual Numa", "PrevTxPower", "AdvancedTimer", "Event",
    "SriovGlobalEnable", "LogicalProc", "VIRTUALMEDIA", "virtual_numa", "", "#0012", "x" * 100000,
])
def test_names_that_are_not_a_switch(name):
    assert related_names({name: "Enabled"}) == []


def test_words_cut_names_as_people_read_them():
    assert _decisions.words("IntelVTForDirectedIO(VT-d)#0098") == "intel vt for directed io vt d 0098"
    assert _decisions.words("Processors_SVMMode") == "processors svm mode"
    assert _decisions.words("VMXEnable") == "vmx enable"
    assert _decisions.words("VTdSupport") == "vtd support"
    assert _decisions.words(None) == "" and _decisions.words(["x"]) == ""
    assert len(_decisions.words("Virt" * 100000)) < 400


def not_found(attributes, entries=(), setting="virtualization", vendor=None):
    with pytest.raises(_decisions.AttributeNotFoundError) as error:
        _decisions.choose_attribute(setting, attributes, list(entries), vendor)
    return error.value


def test_the_failure_gives_the_candidates_with_their_values_and_marks_the_other_switch():
    attributes, entries = VENDOR_BIOSES["AMI MegaRAC, opaque names and a registry"][:2]
    text = _decisions.related_text(not_found(attributes, entries, vendor=None))
    assert text == (
        "Attributes that may be the switch, with their current values: "
        "PROC002=Disabled (display name 'Intel (VMX) Virtualization Technology'), "
        "SETUP042=0 (by its help text; display name 'Processor Feature 7'), "
        "IIO005=Enabled (display name 'Intel\u00ae VT for Directed I/O (VT-d)'; looks like the IOMMU switch "
        "(VT-d/AMD-Vi), not the virtualization one)")
    iommu = _decisions.related_text(not_found({"ProcVirtualization": True, "Sriov": None}, setting="iommu"))
    assert iommu == ("Attributes that may be the switch, with their current values: ProcVirtualization=true "
                     "(looks like the CPU virtualization switch (VT-x/AMD-V), not the iommu one)")


def test_when_nothing_looks_related_the_names_seen_are_listed_bounded():
    attributes = dict(("Setting%04d" % n, "Enabled") for n in range(312))
    error = not_found(attributes)
    assert error.related == [] and len(error.names) == 312
    text = _decisions.related_text(error)
    assert text.startswith("No attribute looks related (no attribute's name holds a word such as Virtualization, VT, ")
    assert "the BIOS's 312 attribute names, the first 40: Setting0000, Setting0001, " in text
    assert text.endswith("Setting0039, and 272 more")
    assert "display name or help text" in _decisions.related_text(not_found({"A": 1}, [registry_entry("B", "Boot")]))
    assert _decisions.related_text(not_found({"b": 1, "A": 1, "C": 1})).endswith("names: A, b, C")
    assert _decisions.related_text(not_found({})) == "No attribute looks related: the BIOS lists no attributes"


def test_hostile_names_and_values_are_escaped_and_bounded():
    attributes = {"Virt\n\x1b[31mRED\u202e": "Dis\rabled", "CpuVmx" + "x" * 100000: "v" * 100000, "SvmMode": {"a": [1]},
                  "VtSupport": ["Enabled"]}
    attributes.update(("Virtualization%05d" % n, "Enabled") for n in range(5000))
    text = _decisions.related_text(not_found(attributes))
    assert "\n" not in text and "\x1b" not in text and "\r" not in text and "\u202e" not in text
    assert "Virt\\n\\x1b[31mRED\\u202e=Dis\\rabled" in text
    assert "SvmMode={...}" in text and "(100006 characters)=" + "v" * 40 + "... (100000 characters)" in text
    assert text.endswith(", and 4984 more") and len(text) < 4000
    assert _decisions.related_text(not_found({"VtSupport": ["Enabled"]})).endswith("VtSupport=[...]")
    names = dict(("N\x00%s" % ("z" * 5000) + str(n), 1) for n in range(3000))
    text = _decisions.related_text(not_found(names))
    assert "\x00" not in text and text.endswith("and 2960 more") and len(text) < 6000


# -- what a BMC may send that is not what the standard says -----------------------------------

def test_registry_location_reads_ilo4_extref_and_skips_what_is_not_a_string():
    files = {"/redfish/v1/Registries/HpBiosAttributeRegistryP89.1.1.00/": {
        "Id": "HpBiosAttributeRegistryP89.1.1.00",
        "Location": [{"Language": "en", "Uri": {"extref": "/redfish/v1/registrystore/registries/en/hpbios"}}]}}
    assert _decisions.registry_location(files, "HpBiosAttributeRegistryP89.1.1.00") == \
        "/redfish/v1/registrystore/registries/en/hpbios"
    odd = {"/r/1": {"Id": "BiosAttributeRegistry", "Location": [
        {"Uri": {"href": "/x"}}, {"Uri": ["/y"]}, {"Uri": 7}, "text", {"Language": "en", "Uri": "/z"}]}}
    assert _decisions.registry_location(odd, "BiosAttributeRegistry") == "/z"
    assert _decisions.registry_location({"/r/2": {"Id": "Bios", "Location": "/a"}}, "Bios") is None


def test_registry_candidates_name_the_bios_registry_first_and_few():
    base = "/redfish/v1/Registries/"
    members = [base + name for name in ["Base.1.0", "iLO.2.14", "iLOEvents.2.1", "HpCommon.0.10", "Messages"]
               + ["Other%d.1.0" % n for n in range(35)] + ["BiosAttributeRegistryU32.v1_2_10/", "BiosMessages.1.0"]]
    assert _decisions.registry_candidates(members, "BiosAttributeRegistryU32.v1_2_10") == [
        base + "BiosAttributeRegistryU32.v1_2_10/", base + "BiosMessages.1.0"]
    # sushy-tools and Dell name the file without the Bios' suffix or version.
    assert _decisions.registry_candidates([base + "Messages", base + "BiosAttributeRegistry.v1_0_0"],
                                          "BiosAttributeRegistryP89.v1_0_0") == [base + "BiosAttributeRegistry.v1_0_0"]
    assert _decisions.registry_candidates([base + "BiosAttributeRegistry"], "BiosAttributeRegistry.v1_0_3") == \
        [base + "BiosAttributeRegistry"]
    assert _decisions.registry_candidates([base + "1.0", base + "Base"], "Bios") == []
    assert len(_decisions.registry_candidates([base + "Bios%d" % n for n in range(40)], "X")) == 5


def test_registry_values_and_names_of_the_wrong_type_are_skipped():
    entries = [
        {"AttributeName": ["VMX"], "DisplayName": "Intel Virtualization Technology", "Value": ["Enabled"]},
        {"AttributeName": "VMX", "DisplayName": "Intel Virtualization Technology",
         "Value": ["Enabled", {"ValueName": "On", "ValueDisplayName": "Enabled"}]},
        {"AttributeName": "Other", "DisplayName": "VT-d", "Value": "Enabled"},
    ]
    attributes = {"VMX": "Off", "Other": "Disabled"}
    found = _decisions.choose_attribute("virtualization", attributes, entries, None)
    assert (found["attribute"], found["enabled"]) == ("VMX", "On")
    assert _decisions.enabled_value("Other", entries, "Enabled") == "Enabled"
    assert related_names({"VMX": 1, "Other": 1}, entries) == ["VMX", "Other"]


@pytest.mark.parametrize("document", [
    {"ProcessorSummary": "Intel Xeon"}, {"ProcessorSummary": ["AMD EPYC"]}, "x", None,
])
def test_cpu_vendor_of_odd_documents(document):
    assert _decisions.cpu_vendor_of(document) is None


@pytest.mark.parametrize("manufacturer", [["Dell"], {"Name": "Dell"}, 42])
def test_vendor_row_of_a_manufacturer_that_is_not_a_string(manufacturer):
    assert _decisions.vendor_row(manufacturer) is None


@pytest.mark.parametrize("collection", [{"Members": "abc"}, {"Members": 3}, {"Members": {"@odata.id": "/x"}}, []])
def test_member_ids_of_odd_collections(collection):
    assert _decisions.member_ids(collection) == []


def test_reset_steps_of_a_power_state_that_is_not_a_string():
    assert _decisions.reset_steps(["Off"], "ForceRestart") == ["ForceRestart"]


# -- the BMC's address --------------------------------------------------------------------------

@pytest.mark.parametrize("address, validate, base", [
    ("bmc-7.mgmt.example.com", True, "https://bmc-7.mgmt.example.com"),
    ("10.0.40.21:8443", True, "https://10.0.40.21:8443"),
    ("https://BMC.example.com/", True, "https://bmc.example.com"),
    ("[2001:db8::7]:443", True, "https://[2001:db8::7]:443"),
    (" bmc ", True, "https://bmc"),
    ("http://127.0.0.1:8000", False, "http://127.0.0.1:8000"),
])
def test_base_url(address, validate, base):
    assert _decisions.base_url(address, validate) == base


@pytest.mark.parametrize("address, validate, says", [
    ("host:abc", True, "port 'abc' is not a number"),
    ("host:70000", True, "not a number from 1 to 65535"),
    ("bmc host", True, "space or a control character"),
    ("bmc\nhost", True, "space or a control character"),
    ("http://bmc", True, "in clear"),
    ("ftp://bmc", True, "not ftp://"),
    ("https://bmc/redfish/v1", True, "has a path"),
    ("https://root:calvin@bmc", True, "user name"),
    ("2001:db8::7", True, "in brackets"),
    ("[2001:db8::zz]", True, "IPv6"),
    ("bmc_/x", True, "has a path"),
    ("b\u00e4r", True, "not a host name"),
    ("", True, "empty"),
])
def test_base_url_refuses_with_a_reason(address, validate, says):
    with pytest.raises(_decisions.RedfishError, match=re.escape(says)):
        _decisions.base_url(address, validate)


# -- what is shown of a BMC's values --------------------------------------------------------------

def test_clip_cuts_strings_lists_and_dicts():
    assert _decisions.clip("x" * 80) == "x" * 80
    assert _decisions.clip("x" * 5000) == "x" * 80 + "... (5000 characters)"
    assert _decisions.clip("Dell\nInc.\x1b[31m") == "Dell\\nInc.\\x1b[31m"
    # A right-to-left override or a zero-width space would make a name read as another one.
    assert _decisions.clip(u"Proc\u202eVirt\u200b") == "Proc\\u202eVirt\\u200b"
    shown = _decisions.clip(["n%d" % i for i in range(45)])
    assert shown[:20] == ["n%d" % i for i in range(20)] and shown[20:] == ["and 25 more"]
    assert _decisions.clip([[1, [2]], {"a": 1}]) == ["[...]", "{...}"]
    assert _decisions.clip({"k" * 100: ["v"]}) == {"k" * 80 + "... (100 characters)": "[...]"}
    assert _decisions.clip(True) is True and _decisions.clip(None) is None and _decisions.clip(7) == 7
    assert _decisions.listing([]) == "none"
    assert _decisions.listing(["a" * 200] * 30).count("... (200 characters)") == 20


def test_messages_of_many_long_systems_and_names_are_capped():
    members = ["/redfish/v1/Systems/" + "s" * 500 + str(n) for n in range(300)]
    with pytest.raises(_decisions.NoSystemError) as error:
        _decisions.choose_system(members, {})
    assert len(str(error.value)) < 3000 and "and 280 more" in str(error.value)
    with pytest.raises(_decisions.NoBiosError) as error:
        _decisions.bios_uri({"Id": "1", "Manufacturer": "M" * 100000})
    assert len(str(error.value)) < 500
    entries = [registry_entry("Virt%d" % n + "x" * 300, "SVM Mode") for n in range(50)]
    with pytest.raises(_decisions.AttributeNotFoundError) as error:
        _decisions.choose_attribute("virtualization", dict((e["AttributeName"], "Disabled") for e in entries), entries, None)
    assert len(str(error.value)) < 3000 and "and 30 more" in str(error.value)


# -- the answer to the PATCH ------------------------------------------------------------------------

@pytest.mark.parametrize("answer, refused", [
    (None, []),
    ({"@Message.ExtendedInfo": [{"MessageId": "Base.1.8.Success", "Severity": "OK"}]}, []),
    # iLO: a successful PATCH says a reset applies it; a Warning that is no refusal.
    ({"error": {"code": "iLO.0.10.ExtendedInfo", "@Message.ExtendedInfo": [
        {"MessageId": "iLO.2.14.SystemResetRequired"}]}}, []),
    ({"@Message.ExtendedInfo": [{"MessageId": "Base.1.8.ResetRequired", "MessageSeverity": "Warning"}]}, []),
    ({"@Message.ExtendedInfo": [{"MessageId": "Base.1.8.PropertyValueNotInList", "Severity": "Warning",
                                 "Message": "The value Enabled for ProcVirtualization is not in the list",
                                 "RelatedProperties": ["#/Attributes/ProcVirtualization"]}]},
     ["The value Enabled for ProcVirtualization is not in the list (#/Attributes/ProcVirtualization)"]),
    ({"Attributes": {"ProcVirtualization@Message.ExtendedInfo": [
        {"MessageId": "Base.1.0.PropertyNotWritable", "Severity": "Warning"}]}},
     ["Base.1.0.PropertyNotWritable (ProcVirtualization)"]),
    ({"error": {"@Message.ExtendedInfo": [{"MessageSeverity": "Critical", "Message": "m" * 1000}]}},
     ["m" * 160 + "... (1000 characters)"]),
    ({"@Message.ExtendedInfo": "Critical"}, []),
    ({"@Message.ExtendedInfo": [{"Severity": "Critical"}] * 9}, ["no message"] * 5 + ["and 4 more"]),
])
def test_patch_refusals(answer, refused):
    assert _decisions.patch_refusals(answer) == refused


# -- issue 17: values read with certainty, bounds, addresses, what is kept --------------------------

@pytest.mark.parametrize("values, says", [
    ([{"ValueDisplayName": "Enabled"}], "ValueName None"),
    ([{"ValueName": "", "ValueDisplayName": "Enabled"}], "ValueName ''"),
    ([{"ValueName": ["On"], "ValueDisplayName": "Enabled"}], "ValueName ['On']"),
    ([{"ValueName": 1.0, "ValueDisplayName": "Enabled"}], "ValueName 1.0"),
    ([{"ValueName": "Yes"}, {"ValueName": "No"}], "none of which reads as enabled"),
])
def test_a_registry_entry_without_a_usable_enabled_value_is_uncertain(values, says):
    entries = [registry_entry("VMX", "VT-x", Value=values)]
    with pytest.raises(_decisions.UncertainValueError, match=re.escape(says)):
        _decisions.choose_attribute("virtualization", {"VMX": "Disabled"}, entries, None)


def test_registry_entries_that_disagree_are_uncertain_and_one_without_values_is_the_default():
    with pytest.raises(_decisions.UncertainValueError, match="different enabled values"):
        _decisions.enabled_value("VMX", [registry_entry("VMX", "x"), registry_entry("VMX", "x", values=("On",))], "Enabled")
    assert _decisions.enabled_value("VMX", [registry_entry("VMX", "x", Value=[])], "Enabled") == "Enabled"
    assert _decisions.enabled_value("VMX", [registry_entry("VMX", "x"), registry_entry("VMX", "y")], "On") == "Enabled"


@pytest.mark.parametrize("enabled, current, pending, says", [
    (None, "Disabled", {}, "value to set of ProcVirtualization is None"),
    (["Enabled"], "Disabled", {}, "value to set"),
    ("Enabled", None, {}, "current value of ProcVirtualization is None"),
    ("Enabled", {"v": 1}, {}, "current value"),
    ("Enabled", "", {}, "current value"),
    ("Enabled", "Disabled", {"ProcVirtualization": ["Enabled"]}, "pending value"),
    ("Enabled", "Disabled", {"ProcVirtualization": 2.0}, "pending value"),
])
def test_plan_refuses_values_it_cannot_compare(enabled, current, pending, says):
    target = dict(TARGET, enabled=enabled)
    with pytest.raises(_decisions.UncertainValueError, match=re.escape(says)):
        _decisions.plan({"ProcVirtualization": current}, pending, [target])


def test_a_null_pending_value_is_none_pending():
    decided = _decisions.plan({"ProcVirtualization": "Disabled"}, {"ProcVirtualization": None}, [TARGET])
    assert decided["state"] == "to_set" and decided["patch"] == {"ProcVirtualization": "Enabled"}


@pytest.mark.parametrize("value, certain", [
    ("Enabled", True), (True, True), (False, True), (0, True), ("", False), (None, False), ([], False),
    ({}, False), (1.0, False),
])
def test_certain(value, certain):
    assert _decisions.certain(value) is certain


@pytest.mark.parametrize("name, value", [
    ("timeout", 0), ("timeout", 301), ("timeout", -1), ("timeout", None), ("timeout", True),
    ("poll_interval", 0.99), ("poll_interval", 60.5), ("poll_interval", float("nan")), ("poll_interval", float("inf")),
    ("reset_timeout", 9), ("reset_timeout", 3601), ("reset_timeout", "900"),
])
def test_check_options_names_the_option_and_its_range(name, value):
    params = {"timeout": 30, "poll_interval": 5.0, "reset_timeout": 900}
    _decisions.check_options(params)
    params[name] = value
    with pytest.raises(_decisions.RedfishError, match=r"^%s is .*: it must be from \d+ to \d+ \(" % name):
        _decisions.check_options(params)


@pytest.mark.parametrize("address, secrets", [
    ("bmc.example.com", []),
    ("https://root:calvin@bmc", ["root:calvin", "calvin"]),
    ("root:p%40ss@bmc", ["root:p%40ss", "root:p@ss", "p%40ss", "p@ss"]),
    ("https://root@bmc", []),
    ("https://root:a@b@bmc", ["root:a@b", "a@b"]),
    (None, []),
])
def test_address_secrets(address, secrets):
    assert sorted(_decisions.address_secrets(address)) == sorted(secrets)


@pytest.mark.parametrize("address", ["https://root:calvin@bmc", "http://root:calvin@bmc", "root:calvin@bmc x",
                                     "https://root:calvin@bmc/path", "root:calvin@"])
def test_base_url_refuses_a_user_without_showing_the_address(address):
    with pytest.raises(_decisions.RedfishError) as error:
        _decisions.base_url(address, True)
    assert "holds '@'" in str(error.value) and "calvin" not in str(error.value) and "root" not in str(error.value)


def test_choose_system_by_uri_reads_nothing_and_lists_ids_only_when_read():
    members = ["/redfish/v1/Systems/a", "/redfish/v1/Systems/b"]
    assert _decisions.system_by_uri(members, "b") == members[1]
    assert _decisions.system_by_uri(members, "c") is None
    with pytest.raises(_decisions.NoSystemError, match=r"lists: /redfish/v1/Systems/a \(Id A\), /redfish/v1/Systems/b$"):
        _decisions.choose_system(members, {members[0]: {"Id": "A"}}, "c")


def test_only_the_fields_used_are_kept():
    system = {"Id": "1", "Manufacturer": "HPE", "Oem": {"x": "y" * 1000}, "ProcessorSummary": {"Model": "Xeon", "Count": 2},
              "Bios": {"@odata.id": "/b", "Oem": 1}, "Actions": {"#ComputerSystem.Reset": {"target": "/r", "x": 1}, "Oem": 1}}
    assert _decisions.system_summary(system) == {
        "Id": "1", "Manufacturer": "HPE", "ProcessorSummary": {"Model": "Xeon"}, "Bios": {"@odata.id": "/b"},
        "Actions": {"#ComputerSystem.Reset": {"target": "/r"}}}
    assert _decisions.system_summary(["x"]) == {} and _decisions.system_summary({"Actions": ["x"]}) == {"Actions": ["x"]}
    assert _decisions.bios_summary({"Attributes": {}, "Description": "d"}) == {"Attributes": {}}
    assert _decisions.settings_summary({"Attributes": {}, "@odata.etag": "1", "Id": "x"}) == {"Attributes": {}, "@odata.etag": "1"}
    registry = {"RegistryEntries": {"Attributes": [dict(registry_entry("VMX", "VT-x"), HelpText="h" * 5000, MenuPath="./A"), "x"]}}
    # The help text is read for words only: cut.
    assert _decisions.registry_entries(registry) == [dict(registry_entry("VMX", "VT-x"), HelpText="h" * 1000)]
