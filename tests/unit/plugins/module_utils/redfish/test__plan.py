# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run's decision and its sentences, from what read_bios returns: no BMC, no HTTP.

The module tests (tests/unit/plugins/modules/test_kvm_firmware_bios.py) run the same through a
BMC on 127.0.0.1, as Ansible runs the module.
"""

import copy

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish import _decisions, _plan

OPTIONS = {"system_id": None, "vendor": None, "attribute": None, "iommu": False, "iommu_attribute": None,
           "reset": False, "reset_type": "auto", "reset_timeout": 900, "wait_applied": True, "poll_interval": 5}

# What _client.read_bios returns for an HPE server with VT-x and VT-d off.
READ = {
    "system_uri": "/redfish/v1/Systems/1",
    "system": {"Id": "1", "Manufacturer": "HPE", "PowerState": "On", "ProcessorSummary": {"Model": "Intel(R) Xeon(R)"}},
    "bios_uri": "/redfish/v1/Systems/1/Bios",
    "bios": {"Attributes": {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled"}},
    "settings_uri": "/redfish/v1/Systems/1/Bios/Settings", "pending": {}, "settings_etag": None,
    "registry_entries": [], "registry": "none: the Bios resource names no AttributeRegistry",
}


def read(current=None, pending=None, power_state="On"):
    found = copy.deepcopy(READ)
    found["bios"]["Attributes"].update(current or {})
    found["pending"].update(pending or {})
    found["system"]["PowerState"] = power_state
    return found


def options(**changed):
    return dict(OPTIONS, **changed)


def test_a_setting_that_is_off_is_patched_and_needs_the_vendor_s_reset():
    decision = _plan.decide(read(), options(reset=True))
    assert decision["patch"] == {"ProcVirtualization": "Enabled"} and decision["vendor"]["vendor"] == "HPE"
    assert [row["attribute"] for row in decision["not_on"]] == ["ProcVirtualization"]
    assert decision["steps"] == ["ForceRestart"] and decision["will_reset"]


def test_a_system_that_is_off_is_only_turned_on():
    assert _plan.decide(read(power_state="Off"), options(reset_type="power_cycle"))["steps"] == ["On"]


def test_a_setting_that_is_on_needs_no_reset():
    decision = _plan.decide(read(current={"ProcVirtualization": "Enabled"}), options(reset=True))
    assert decision["patch"] == {} and decision["not_on"] == [] and decision["steps"] == [] and not decision["will_reset"]


@pytest.mark.parametrize("found, changed, state, msg", [
    ({}, {}, "would_set",
     "check mode: would set ProcVirtualization=Enabled; ProcVirtualization=Enabled then needs a power cycle "
     "(reset: true applies it)"),
    ({"pending": {"ProcVirtualization": "Enabled"}}, {"reset": True}, "would_reset",
     "check mode: ProcVirtualization=Enabled already pending; would reset (ForceRestart) to apply ProcVirtualization=Enabled"),
    ({"current": {"ProcVirtualization": "Enabled"}, "pending": {"ProcVirtualization": "Disabled"}}, {"reset": True}, "would_set",
     "check mode: would set ProcVirtualization=Enabled again (the pending Disabled would turn it off at the next reset); "
     "no reset needed: the running BIOS has it on"),
])
def test_check_mode_says_what_it_would_do(found, changed, state, msg):
    result = _plan.check_mode_result(_plan.decide(read(**found), options(**changed)))
    assert (result["state"], result["msg"]) == (state, msg) and result["changed"]


def test_an_unknown_attribute_carries_the_manufacturer_for_the_message():
    with pytest.raises(_decisions.AttributeNotFoundError) as caught:
        _plan.decide(read(), options(attribute="NoSuchSwitch"))
    assert caught.value.manufacturer == "HPE"


class _Client(object):
    base = "https://bmc.example.com"

    @staticmethod
    def scrub(text):
        return text.replace("s3cret", "********")


def test_a_failure_says_which_bmc_and_masks_the_credentials():
    assert _plan.failure(_Client(), _decisions.RedfishError("it said s3cret")) == {
        "msg": "BMC https://bmc.example.com: it said ********."}
    error = _decisions.AttributeNotFoundError("no switch", names=["BootMode"])
    error.manufacturer = "Acme"
    failed = _plan.failure(_Client(), error)
    assert failed["related"] == [] and failed["bios_attributes"] == ["BootMode"]
    assert failed["msg"].startswith("BMC https://bmc.example.com (Manufacturer 'Acme'): no switch. Nothing was changed.")
