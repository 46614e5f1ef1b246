#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


DOCUMENTATION = r"""
module: kvm_firmware_bios
short_description: Turn VT-x/AMD-V (and VT-d/AMD-Vi) on in the BIOS through the BMC's Redfish API
version_added: 1.0.0
description:
  - Reads the computer system, its C(Bios) resource, the pending C(Bios/Settings) and, where the
    BMC offers one, the BIOS attribute registry; names the attribute that turns CPU virtualization
    on (and, with O(iommu), the IOMMU) from the collection's vendor table, by the system's
    C(Manufacturer), falling back to the registry's display names (C(Virtualization Technology),
    C(SVM Mode), C(VT-x), C(VT-d)).
  - Sets the pending value with a PATCH of C(Bios/Settings) when it is neither on nor already
    pending, or when it is on but a different value is pending (the next reset would turn it off).
    The PATCH carries C(If-Match) with the ETag the BMC gave for C(Bios/Settings), if any, and is
    sent once more with a fresh ETag when the BMC answers 412 or 428. An answer that lists the
    attribute as refused in C(@Message.ExtendedInfo) is a failure. The firmware applies it at the next reset; with O(reset=true) the module performs
    that reset through C(ComputerSystem.Reset), waits for the system to be powered on and, with
    O(wait_applied=true), for the BIOS to report the value applied.
  - Runs on the controller (delegate it to C(localhost)) and talks only to the BMC, through
    ansible-core's HTTP code (C(ansible.module_utils.urls)), so O(validate_certs), O(ca_path) and TLS
    behave as in other modules. Each request ends within O(timeout), however slowly the BMC answers. It follows no
    HTTP redirect and no link outside the BMC's address, and uses no proxy (C(http_proxy),
    C(https_proxy), C(all_proxy) in the environment are ignored), so the credentials go nowhere else.
  - The credentials never appear in the result or a message, in any form a BMC may echo them in
    (the password, C(user:password), the basic-auth token); a O(bmc_address) that holds C(@) is
    refused without being shown.
  - When the value to set, the current or the pending value cannot be read with certainty (null,
    a list, an object; a registry entry whose enabled value has no C(ValueName); entries that
    disagree), the module stops and says what it found; it sends no PATCH and no reset. It never resets after
    a PATCH it could not send.
  - Values the BMC gives (names, values, messages) are cut to 80 characters and lists to 20 items
    wherever they are shown in RV(msg) or the result.
  - An unknown vendor or attribute stops the module before anything is changed. The message lists,
    with their current values, the BIOS attributes that may be the switch, to pass as O(attribute)
    after checking them. Those are the attributes whose name, registry C(DisplayName) or C(HelpText) holds, in any
    case and at any place, a word such as C(Virtualization), C(Virt), C(VT), C(VT-x), C(VMX),
    C(SVM), C(AMD-V), C(SecureVirtualMachine), C(Hypervisor) (the CPU switch) or C(VT-d),
    C(VT for Directed I/O), C(AMD-Vi), C(IOMMU) (the IOMMU switch, marked as such when the CPU
    switch is sought). Plain C(Virtual) (C(VirtualMedia)) and C(VTT) are not such words. Those of
    the switch sought come first, then by where the word was found (name, display name, help text).
    When none looks related, it lists the BIOS's attribute names instead (sorted, the first 40).
author:
  - hypervisor.kvm developers (@hypervisor-kvm)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reads the BMC and reports what would be set and reset; sends no PATCH and no reset.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  bmc_address:
    description:
      - The BMC's host name or address, optionally with C(:port) (an IPv6 address in brackets), or
        a C(https://) URL without a path. Checked before anything is sent.
      - A C(http://) URL only with O(validate_certs=false); then the user name and password cross
        the network in clear (HTTP basic authentication).
    type: str
    required: true
  username:
    description: BMC user allowed to change BIOS settings and reset the system.
    type: str
    required: true
  password:
    description: That user's password. Never logged.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the BMC's TLS certificate and host name. Set V(false) only on a trusted management
        network; prefer O(ca_path). V(false) also allows a C(http://) O(bmc_address).
    type: bool
    default: true
  ca_path:
    description: A PEM file of CA certificates that signed the BMC's certificate.
    type: path
  timeout:
    description:
      - Seconds for each HTTP request, from connecting to the answer's last byte (a BMC that sends a
        byte at a time ends there too). From V(1) to V(300).
      - Reading the BMC and sending the PATCH take at most 10 times O(timeout) in all.
    type: int
    default: 30
  system_id:
    description:
      - The computer system's C(Id) or C(Name), when the BMC lists more than one.
    type: str
  vendor:
    description:
      - Treat the BMC as this vendor's (a row of the vendor table, for example V(Dell), V(HPE)),
        for rebranded systems whose C(Manufacturer) the table does not know.
    type: str
  attribute:
    description:
      - The BIOS attribute that turns CPU virtualization on, when the vendor table and the registry
        cannot name it. It must exist in the system's BIOS attributes.
    type: str
  iommu:
    description: Also turn the IOMMU (Intel VT-d, AMD-Vi) on.
    type: bool
    default: false
  iommu_attribute:
    description: The BIOS attribute that turns the IOMMU on, as O(attribute).
    type: str
  reset:
    description:
      - Reset the system through the BMC to apply a pending setting. With V(false) the value stays
        pending until someone power-cycles the server.
    type: bool
    default: false
  reset_type:
    description:
      - How to reset. V(auto) takes the vendor table's choice (C(ForceRestart) when the vendor is
        unknown); V(power_cycle) sends C(ForceOff), waits for C(Off), then C(On). A system that is
        off is only turned on.
    type: str
    choices: [auto, ForceRestart, GracefulRestart, power_cycle]
    default: auto
  reset_timeout:
    description:
      - Seconds for the reset, in total (the reset requests and every power state they lead to), and
        as many again for the BIOS to report the value applied (O(wait_applied)). From V(10) to V(3600).
    type: int
    default: 900
  wait_applied:
    description:
      - After the reset, poll the C(Bios) resource until the attributes read the enabled value
        (the check when no operating system can confirm it).
    type: bool
    default: true
  poll_interval:
    description:
      - Seconds between two polls of the power state or the BIOS attributes. From V(1) to V(60).
      - After a poll that failed for a passing reason (HTTP 503 or 429, no answer) the wait doubles,
        up to 60 seconds, until O(reset_timeout) has passed.
    type: float
    default: 5
notes:
  - "Whole run: the module ends within C(10 * timeout) seconds without O(reset); with O(reset=true) within
    C(10 * timeout + reset_timeout), and with O(wait_applied=true) too within C(10 * timeout + 2 * reset_timeout)
    (a second or two more to start Python). Set an Ansible task C(timeout:) above that; with the defaults:
    300, 1200 and 2100 seconds."
  - "Worst case per run, which matters with many forks on the controller: at most 46 requests to read and
    set (C(/redfish/v1/), C(Systems), the system, or up to 32 systems when O(system_id) is an Id or Name
    rather than the last part of the system's URI, C(Bios), C(Bios/Settings), C(Registries), up to 5
    registry files, the registry, and up to 3 for the PATCH), then with O(reset) at most 2 resets and
    C(reset_timeout / poll_interval + 2) polls, as many polls again with O(wait_applied). A BMC listing
    more than 32 systems fails naming O(system_id) unless it is the last part of a system's URI."
  - "Memory: only the fields used are kept of each document, and each is read up to a cap by its kind (1 MiB
    for a collection or a system, 2 MiB for C(Bios) and C(Bios/Settings), 256 KiB for a registry file or an
    answer, 64 KiB of an error, 8 MiB for the attribute registry); a larger answer fails, or for the registry
    is read as none. With the largest registry allowed the process peaks at about 90 MiB (Python and
    Ansible alone take about 35 MiB); the unit tests hold it under 150 MiB."
  - The vendor table (C(plugins/module_utils/redfish/_vendors.py)) cites, row by row, where each
    attribute name was read; rows seen only in third-party code are not used on their own, they
    are listed in the failure message as candidates.
  - Dell iDRAC needs C(@Redfish.SettingsApplyTime) C(OnReset) in the PATCH to create the BIOS job;
    the module sends it for Dell.
seealso:
  - module: hypervisor.kvm.kvm_facts
  - name: DMTF Redfish specification, Bios and settings resources
    description: How pending settings and ComputerSystem.Reset work.
    link: https://www.dmtf.org/standards/redfish
"""

EXAMPLES = r"""
- name: Set VT-x/AMD-V pending on a Dell server's BIOS (applies at the next power cycle)
  hypervisor.kvm.kvm_firmware_bios:
    bmc_address: idrac-r740-07.mgmt.example.com
    username: "{{ vault_bmc_user }}"
    password: "{{ vault_bmc_password }}"
    ca_path: /etc/pki/bmc-ca.pem
  delegate_to: localhost

- name: Also turn VT-d on, reset now and wait until the BIOS reports both applied
  hypervisor.kvm.kvm_firmware_bios:
    bmc_address: ilo-dl380-12.mgmt.example.com
    username: "{{ vault_bmc_user }}"
    password: "{{ vault_bmc_password }}"
    iommu: true
    reset: true
  delegate_to: localhost
  register: bios

- name: A rebranded server whose BIOS names the switch differently
  hypervisor.kvm.kvm_firmware_bios:
    bmc_address: 10.0.40.21
    username: "{{ vault_bmc_user }}"
    password: "{{ vault_bmc_password }}"
    attribute: Processors_IntelVirtualizationTechnology
  delegate_to: localhost
"""

RETURN = r"""
state:
  description:
    - V(enabled) every setting is on in the running BIOS (when a different value was pending,
      this run sent the enabled value again, in RV(patched)); V(pending) set and waiting for a reset
      (this run set it, or an earlier one did); V(applied) the module reset the system and the BIOS reports
      the value; V(reset) the module reset the system and did not poll the BIOS
      (O(wait_applied=false)); V(would_set) check mode found something to set; V(would_reset)
      check mode found it pending and O(reset) asked for a reset.
  returned: success
  type: str
  sample: pending
msg:
  description: One line for people, saying what was done and what remains.
  returned: always
  type: str
  sample: "ProcVirtualization=Enabled pending: needs a power cycle (reset: true applies it)"
system:
  description: The computer system the BMC manages.
  returned: success
  type: dict
  contains:
    uri:
      description: Its Redfish URI.
      type: str
      sample: /redfish/v1/Systems/System.Embedded.1
    manufacturer:
      description: C(Manufacturer) as the BMC reports it (cut to 80 characters).
      type: str
      sample: Dell Inc.
    vendor:
      description: The vendor table's row that matched, or null.
      type: str
      sample: Dell
    power_state:
      description: C(PowerState) before anything was done.
      type: str
      sample: "On"
registry:
  description: The attribute registry's URI, or V(none:) and why there is none.
  returned: success
  type: str
  sample: /redfish/v1/Registries/BiosAttributeRegistry.v1_0_0
settings:
  description: Each setting asked for, the attribute found for it and its values.
  returned: success
  type: list
  elements: dict
  contains:
    setting:
      description: V(virtualization) (VT-x/AMD-V) or V(iommu) (VT-d/AMD-Vi).
      type: str
      sample: virtualization
    attribute:
      description: The BIOS attribute's name.
      type: str
      sample: ProcVirtualization
    enabled:
      description: The value that turns it on.
      type: raw
      sample: Enabled
    found_by:
      description: V(vendor table), V(registry display name) or V(given).
      type: str
      sample: vendor table
    source:
      description: Where the table row's name was read, or how it was found.
      type: str
      sample: HewlettPackard/ilo-rest-api-docs ...
    current:
      description: The value the BIOS runs with, read before any change.
      type: raw
      sample: Disabled
    pending:
      description: The pending value read before any change (null when none).
      type: raw
      sample: null
    state:
      description:
        - V(enabled), V(pending) or V(to_set), before this run changed anything.
        - V(to_set) also when the value is on but a different one is pending.
      type: str
      sample: to_set
patched:
  description:
    - The attributes sent in the PATCH of C(Bios/Settings) (empty when none was sent); in check
      mode, those it would send.
  returned: success
  type: dict
  sample: {"ProcVirtualization": "Enabled"}
reset:
  description: The C(ComputerSystem.Reset) types sent, in order (empty when none); in check mode, those it would send.
  returned: success
  type: list
  elements: str
  sample: ["ForceRestart"]
related:
  description:
    - On failure to name the attribute, the BIOS attribute names that may be the switch, best
      first (as in RV(msg), which gives their values too); at most 20, then one item V(and N more).
  returned: failure
  type: list
  elements: str
  sample: ["Processors_IntelVirtualizationTechnology", "Processors_IntelVTforDirectedIOVTd"]
bios_attributes:
  description:
    - On failure to name the attribute when none looks related, the BIOS's attribute names, sorted
      without regard to case; at most 40 (each cut to 80 characters), then one item V(and N more).
  returned: failure, when RV(related) is empty
  type: list
  elements: str
  sample: ["BootMode", "PROC0012", "Setup0042", "and 272 more"]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish import _plan
from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish._decisions import RedfishError


def main():
    module = AnsibleModule(
        argument_spec={
            "bmc_address": {"type": "str", "required": True},
            "username": {"type": "str", "required": True},
            "password": {"type": "str", "required": True, "no_log": True},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
            "timeout": {"type": "int", "default": 30},
            "system_id": {"type": "str"},
            "vendor": {"type": "str"},
            "attribute": {"type": "str"},
            "iommu": {"type": "bool", "default": False},
            "iommu_attribute": {"type": "str"},
            "reset": {"type": "bool", "default": False},
            "reset_type": {"type": "str", "default": "auto",
                           "choices": ["auto", "ForceRestart", "GracefulRestart", "power_cycle"]},
            "reset_timeout": {"type": "int", "default": 900},
            "wait_applied": {"type": "bool", "default": True},
            "poll_interval": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    # AnsibleModule masks these in the whole result, the invocation included.
    module.no_log_values.update(_plan.secrets(module.params))
    try:
        client = _plan.client_for(module.params)
    except RedfishError as exc:
        module.fail_json(msg="%s. Nothing was sent to the BMC." % exc)
    try:
        result = _plan.enable(client, module.params, module.check_mode)
    except RedfishError as exc:
        module.fail_json(**_plan.failure(client, exc))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
