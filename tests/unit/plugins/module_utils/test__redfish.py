# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding from Redfish documents: the system, the attribute, what to PATCH, how to reset.

The documents are shaped as the BMCs return them (Dell iDRAC, HPE iLO, a registry-only BMC);
the emulator tests (tests/redfish) cover the HTTP side and the role.
"""

import re

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils import _redfish
from ansible_collections.hypervisor.kvm.plugins.module_utils._redfish_vendors import ATTRIBUTES, DISPLAY_NAMES, VENDORS

DELL = _redfish.vendor_row("Dell Inc.")
HPE = _redfish.vendor_row("HPE")


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
        assert row["vendor"] in vendors and row["setting"] in _redfish.SETTINGS, row
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
    row = _redfish.vendor_row(manufacturer)
    assert (row["vendor"] if row else None) == vendor


def test_vendor_override_and_unknown_override():
    assert _redfish.vendor_row("Sushy Emulator", "hpe")["vendor"] == "HPE"
    with pytest.raises(_redfish.RedfishError, match="known: Dell, HPE, Lenovo"):
        _redfish.vendor_row("x", "Acme")


# -- finding the system and its Bios ----------------------------------------------------------

def test_the_only_system_is_chosen_and_several_need_a_name():
    one = ["/redfish/v1/Systems/System.Embedded.1"]
    assert _redfish.choose_system(one, {}) == one[0]
    two = ["/redfish/v1/Systems/1", "/redfish/v1/Systems/2"]
    docs = {two[0]: {"Id": "1", "Name": "blade-a"}, two[1]: {"Id": "2", "Name": "blade-b"}}
    with pytest.raises(_redfish.NoSystemError, match="lists 2 computer systems"):
        _redfish.choose_system(two, docs)
    assert _redfish.choose_system(two, docs, "blade-b") == two[1]
    assert _redfish.choose_system(two, docs, "1") == two[0]
    with pytest.raises(_redfish.NoSystemError, match="no computer system 'c'"):
        _redfish.choose_system(two, docs, "c")
    with pytest.raises(_redfish.NoSystemError, match="lists no computer system"):
        _redfish.choose_system([], {})


def test_a_system_without_bios_is_a_clear_error():
    with pytest.raises(_redfish.NoBiosError, match="has no Bios resource.*console"):
        _redfish.bios_uri({"Id": "1", "Manufacturer": "Acme"})
    assert _redfish.bios_uri({"Bios": {"@odata.id": "/redfish/v1/Systems/1/Bios"}}) == "/redfish/v1/Systems/1/Bios"


def test_settings_object_is_followed_or_defaulted():
    bios = {"@Redfish.Settings": {"SettingsObject": {"@odata.id": "/redfish/v1/systems/1/bios/settings/"}}}
    assert _redfish.settings_uri(bios, "/redfish/v1/systems/1/bios/") == "/redfish/v1/systems/1/bios/settings/"
    assert _redfish.settings_uri({}, "/redfish/v1/Systems/1/Bios/") == "/redfish/v1/Systems/1/Bios/Settings"


def test_registry_location_by_id_then_by_bios_name():
    files = {
        "/redfish/v1/Registries/Messages": {"Id": "Messages", "Location": [{"Uri": "/m"}]},
        "/redfish/v1/Registries/BiosAttributeRegistry.v1_0_0": {
            "Id": "BiosAttributeRegistry.v1_0_0", "Registry": "BiosAttributeRegistry1.0",
            "Location": [{"Language": "ja", "Uri": "/ja"}, {"Language": "en", "Uri": "/en"}]},
    }
    # sushy-tools: the Bios names "...P89.v1_0_0", the file is "BiosAttributeRegistry.v1_0_0".
    assert _redfish.registry_location(files, "BiosAttributeRegistryP89.v1_0_0") == "/en"
    assert _redfish.registry_location(files, "BiosAttributeRegistry.v1_0_0") == "/en"
    assert _redfish.registry_location({"/m": files["/redfish/v1/Registries/Messages"]}, "X") is None


# -- choosing the attribute -------------------------------------------------------------------

DELL_ATTRIBUTES = {"ProcVirtualization": "Disabled", "LogicalProc": "Enabled", "SriovGlobalEnable": "Disabled"}
HPE_ATTRIBUTES = {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled", "ProcHyperthreading": "Enabled"}
HPE_AMD_ATTRIBUTES = {"ProcVirtualization": "Enabled", "ProcAmdIoVt": "Disabled"}
LENOVO_ATTRIBUTES = {"Processors_IntelVirtualizationTechnology": "Disabled", "Processors_HyperThreading": "Enabled"}


def test_the_vendor_table_names_the_attribute():
    found = _redfish.choose_attribute("virtualization", DELL_ATTRIBUTES, [], DELL)
    assert (found["attribute"], found["enabled"], found["found_by"]) == ("ProcVirtualization", "Enabled", "vendor table")
    assert "dell" in found["source"].lower()
    iommu = _redfish.choose_attribute("iommu", HPE_ATTRIBUTES, [], HPE, "intel")
    assert iommu["attribute"] == "IntelProcVtd"


def test_an_unverified_row_is_offered_not_used():
    with pytest.raises(_redfish.AttributeNotFoundError) as error:
        _redfish.choose_attribute("iommu", HPE_AMD_ATTRIBUTES, [], HPE, "amd")
    assert "unverified candidates" in str(error.value) and "ProcAmdIoVt" in str(error.value)
    assert error.value.related == ["ProcAmdIoVt", "ProcVirtualization"]


def test_registry_display_names_name_the_attribute_of_an_unknown_vendor():
    attributes = {"VMX": "Disabled", "VTdSupport": "Disabled", "Turbo": "Enabled"}
    entries = [registry_entry("VMX", "Intel Virtualization Technology", values=("Enable", "Disable")),
               registry_entry("VTdSupport", "Intel VT for Directed I/O"),
               registry_entry("Turbo", "Turbo Mode")]
    found = _redfish.choose_attribute("virtualization", attributes, entries, None)
    # The registry's own spelling of the enabled value wins over "Enabled".
    assert (found["attribute"], found["enabled"], found["found_by"]) == ("VMX", "Enable", "registry display name")
    assert _redfish.choose_attribute("iommu", attributes, entries, None)["attribute"] == "VTdSupport"


def test_a_boolean_attribute_is_turned_on_with_true():
    entries = [registry_entry("SvmEnable", "SVM Mode", Type="Boolean", Value=[])]
    found = _redfish.choose_attribute("virtualization", {"SvmEnable": False}, entries, None)
    assert found["enabled"] is True


def test_read_only_and_ambiguous_registry_entries_are_not_guessed():
    attributes = {"A": "Disabled", "B": "Disabled"}
    read_only = [registry_entry("A", "SVM Mode", ReadOnly=True)]
    with pytest.raises(_redfish.AttributeNotFoundError, match="vendor is not in the table"):
        _redfish.choose_attribute("virtualization", attributes, read_only, None)
    twice = [registry_entry("A", "SVM Mode"), registry_entry("B", "VT-x")]
    with pytest.raises(_redfish.AttributeNotFoundError, match=r"names several \(A, B\)"):
        _redfish.choose_attribute("virtualization", attributes, twice, None)


def test_unknown_vendor_without_registry_lists_related_names():
    with pytest.raises(_redfish.AttributeNotFoundError) as error:
        _redfish.choose_attribute("virtualization", LENOVO_ATTRIBUTES, [], None)
    message = str(error.value)
    assert "vendor is not in the table" in message and "offers no attribute registry" in message
    assert error.value.related == ["Processors_IntelVirtualizationTechnology"]


def test_a_given_name_must_exist():
    found = _redfish.choose_attribute("virtualization", LENOVO_ATTRIBUTES, [], None,
                                      override="Processors_IntelVirtualizationTechnology")
    assert found["found_by"] == "given"
    with pytest.raises(_redfish.AttributeNotFoundError, match="no attribute 'Nope'"):
        _redfish.choose_attribute("virtualization", LENOVO_ATTRIBUTES, [], None, override="Nope")


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
    # Someone staged Disabled on an enabled BIOS: current wins, nothing to do now.
    ({"ProcVirtualization": "Enabled"}, {"ProcVirtualization": "Disabled"}, "enabled", {}),
])
def test_plan_one_setting(current, pending, state, patch):
    decided = _redfish.plan(current, pending, [TARGET])
    assert decided["state"] == state and decided["patch"] == patch
    assert decided["settings"][0]["current"] == current["ProcVirtualization"]


def test_plan_takes_the_least_advanced_state():
    current = {"ProcVirtualization": "Enabled", "IntelProcVtd": "Disabled"}
    assert _redfish.plan(current, {"IntelProcVtd": "Enabled"}, [TARGET, IOMMU])["state"] == "pending"
    decided = _redfish.plan(current, {}, [TARGET, IOMMU])
    assert decided["state"] == "to_set" and decided["patch"] == {"IntelProcVtd": "Enabled"}
    assert [s["state"] for s in decided["settings"]] == ["enabled", "to_set"]


def test_patch_body_carries_the_apply_time_dell_needs():
    assert _redfish.patch_body({"ProcVirtualization": "Enabled"}, DELL) == {
        "Attributes": {"ProcVirtualization": "Enabled"}, "@Redfish.SettingsApplyTime": {"ApplyTime": "OnReset"}}
    assert _redfish.patch_body({"A": "Enabled"}, HPE) == {"Attributes": {"A": "Enabled"}}
    assert _redfish.patch_body({"A": "Enabled"}, None) == {"Attributes": {"A": "Enabled"}}


@pytest.mark.parametrize("power, reset, steps", [
    ("On", "ForceRestart", ["ForceRestart"]),
    ("On", "power_cycle", ["ForceOff", "On"]),
    ("Off", "ForceRestart", ["On"]),
    ("Off", "power_cycle", ["On"]),
    (None, "GracefulRestart", ["GracefulRestart"]),
])
def test_reset_steps(power, reset, steps):
    assert _redfish.reset_steps(power, reset) == steps


@pytest.mark.parametrize("model, cpu", [
    ("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "intel"), ("AMD EPYC 7763 64-Core Processor", "amd"),
    ("", None), (None, None),
])
def test_cpu_vendor_of(model, cpu):
    assert _redfish.cpu_vendor_of({"ProcessorSummary": {"Model": model}}) == cpu


def test_related_attributes_ignore_the_rest():
    names = _redfish.related_attributes({"ProcVirtualization": 1, "LogicalProc": 1, "SvmMode": 1, "IommuSupport": 1,
                                         "BootMode": 1}, [registry_entry("VTd", "Intel VT-d")])
    assert names == ["IommuSupport", "ProcVirtualization", "SvmMode", "VTd"]
