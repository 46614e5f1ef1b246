# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which BIOS attribute turns virtualization on, BMC by BMC: data, each row with its source.

A row is used only when ``verified`` is true: its name was read in the vendor's own
documentation or code. Rows seen only in third-party code stay here, unverified, so that a
person who meets such a BMC sees the candidate in the error message and can pass the name
explicitly (``attribute`` / ``kvm_firmware_attribute``) after checking it on the machine.
Vendors that have no row (Supermicro, Fujitsu iRMC, Cisco CIMC, OpenBMC) were looked for and
not verified; their BMCs go through the attribute registry's display names instead.
"""

# One row per BMC family: how its Manufacturer reads, what the PATCH of Bios/Settings needs,
# and which reset applies pending BIOS settings.
#   vendor        our name for the family (also what ``vendor`` accepts)
#   manufacturer  lower-case prefixes of ComputerSystem.Manufacturer
#   apply_time    ``@Redfish.SettingsApplyTime`` ApplyTime to send with the PATCH, or None
#   reset         ComputerSystem.Reset that applies the settings: ForceRestart, or
#                 power_cycle (ForceOff, wait for Off, then On)
#   source        where this was read
VENDORS = (
    {
        "vendor": "Dell",
        "manufacturer": ("dell",),
        "apply_time": "OnReset",
        "reset": "ForceRestart",
        "source": (
            "dell/iDRAC-Redfish-Scripting, 'Redfish Python/GetSetBiosAttributesREDFISH.py' "
            "(commit e7ba763): PATCH Bios/Settings with {'@Redfish.SettingsApplyTime': {'ApplyTime': 'OnReset'}} "
            "creates the BIOS config job; issue #84 (Dell's maintainer): without it the values stay pending "
            "after a reboot"
        ),
    },
    {
        "vendor": "HPE",
        "manufacturer": ("hpe", "hp"),
        "apply_time": None,
        "reset": "ForceRestart",
        "source": (
            "HPE iLO Redfish docs, Bios resource definitions (iLO 5 v2.81, iLO 6 v1.20): "
            "'/redfish/v1/systems/{item}/bios/settings GET POST PATCH'; 'Changes to the BIOS typically "
            "require a system reset'"
        ),
    },
    {
        "vendor": "Lenovo",
        "manufacturer": ("lenovo",),
        "apply_time": None,
        "reset": "ForceRestart",
        "source": "no Lenovo document read; attribute rows below are unverified",
    },
)

# One row per attribute: which vendor, which setting it is (``virtualization``: VT-x/AMD-V,
# ``iommu``: VT-d/AMD-Vi), the CPU vendor it applies to, its name and enabled value.
ATTRIBUTES = (
    {
        "vendor": "Dell",
        "setting": "virtualization",
        "cpu": "any",
        "attribute": "ProcVirtualization",
        "enabled": "Enabled",
        "verified": True,
        "source": (
            "dell-asm/dell-idrac (Dell ASM) pull request #141, lib/puppet/provider/importtemplatexml.rb: "
            "BIOS.Setup.1-1 'ProcVirtualization' = 'Enabled'; OpenStack ironic iDRAC driver docs, BIOS "
            "clean step example {'name': 'ProcVirtualization', 'value': 'Enabled'}"
        ),
    },
    {
        "vendor": "HPE",
        "setting": "virtualization",
        "cpu": "any",
        "attribute": "ProcVirtualization",
        "enabled": "Enabled",
        "verified": True,
        "source": (
            "HewlettPackard/ilo-rest-api-docs (commit 3109b8d) source/includes/_ilo4_resourcedefns.md, "
            "'### ProcVirtualization', PATCHable enumeration Enabled/Disabled: \"hardware capabilities "
            "provided by Intel's Virtualization Technology\""
        ),
    },
    {
        "vendor": "HPE",
        "setting": "iommu",
        "cpu": "intel",
        "attribute": "IntelProcVtd",
        "enabled": "Enabled",
        "verified": True,
        "source": (
            "HewlettPackard/ilo-rest-api-docs (commit 3109b8d) source/includes/_ilo4_resourcedefns.md, "
            "'### IntelProcVtd', PATCHable enumeration Enabled/Disabled: \"Intel's Virtualization "
            "Technology for Directed I/O\""
        ),
    },
    {
        "vendor": "HPE",
        "setting": "iommu",
        "cpu": "amd",
        "attribute": "ProcAmdIoVt",
        "enabled": "Enabled",
        "verified": False,
        "source": (
            "third-party only: NVIDIA libredfish (HPE iLO: 'IntelProcVtd' Intel, 'ProcAmdIoVt' AMD); "
            "not found in HPE's own pages we could read"
        ),
    },
    {
        "vendor": "Lenovo",
        "setting": "virtualization",
        "cpu": "intel",
        "attribute": "Processors_IntelVirtualizationTechnology",
        "enabled": "Enabled",
        "verified": False,
        "source": "third-party only: NVIDIA libredfish lenovo expected BIOS attributes",
    },
    {
        "vendor": "Lenovo",
        "setting": "virtualization",
        "cpu": "amd",
        "attribute": "Processors_SVMMode",
        "enabled": "Enabled",
        "verified": False,
        "source": "third-party only: NVIDIA libredfish lenovo expected BIOS attributes",
    },
)

# The registry's DisplayName (lower case) that names each setting when the vendor has no row:
# Redfish attribute registries carry the words the firmware's setup screen shows.
DISPLAY_NAMES = {
    "virtualization": (
        "virtualization technology",
        "intel virtualization technology",
        "intel(r) virtualization technology",
        "vt-x",
        "intel vt-x",
        "svm mode",
        "svm",
        "amd-v",
        "amd virtualization",
        "cpu virtualization",
    ),
    "iommu": (
        "vt-d",
        "intel vt-d",
        "intel(r) vt-d",
        "intel vt for directed i/o",
        "intel(r) vt for directed i/o",
        "iommu",
        "amd-vi",
        "amd i/o virtualization technology",
    ),
}

# The words that make a BIOS attribute look like a switch, for the failure message when no row
# and no display name names one. Each pattern is searched (Python ``re``) in the attribute's name,
# its registry DisplayName and HelpText after ``_decisions.words`` has cut them into lower-case words
# ("IntelVTForDirectedIO#0012" reads "intel vt for directed io 0012"), and in those words run
# together (so that "NESTEDVIRT" or "SVMMODE", which cannot be cut, are read); an attribute whose text
# holds an IOMMU word is an IOMMU switch even when it holds a CPU one too ("Intel VT for Directed
# I/O", "AMD I/O Virtualization Technology"). Plain "virtual" is no word here: VirtualMedia,
# VirtualNuma, VirtualSerialPort are not the switch. "vtt" (a voltage rail) is not "vt".
#   switch   virtualization (VT-x/AMD-V) or iommu (VT-d/AMD-Vi)
#   pattern  searched in the words
#   seen     names of real attributes it is for, and where they were read
RELATED_WORDS = (
    {"switch": "iommu", "pattern": r"iommu",
     "seen": "Lenovo ThinkStation IOMMU (CDRT/mk_docs); Cisco cbs_cmn_gnb_nb_iommu (scotttyso/iac)"},
    {"switch": "iommu", "pattern": r"vtd\b|\bvt d\b|\binterrupt ?remap",
     "seen": "HPE IntelProcVtd (HewlettPackard/ilo-rest-api-docs); VTdSupport; Intel VT-d; Lenovo "
             "Processors_IntelVTforDirectedIOVTd (its ...IOVTd); Cisco intel_vtd_interrupt_remapping (scotttyso/iac)"},
    {"switch": "iommu", "pattern": r"\bdirect(ed)? ?i ?o",
     "seen": "Intel VT for Directed I/O; Cisco intel_vt_for_directed_io (scotttyso/iac); VtForDirectIo"},
    {"switch": "iommu", "pattern": r"\bamd ?vi\b|\b(amd ?)?i ?o ?vt\b|\bi ?o virtuali[sz]",
     "seen": "HPE ProcAmdIoVt; AMD-Vi; AMD I/O Virtualization Technology"},
    {"switch": "iommu", "pattern": r"\bdma ?remap|\bdmar\b", "seen": "DMA remapping (the ACPI DMAR table)"},
    {"switch": "virtualization", "pattern": r"virt(?!ual(?!i[sz]))",
     "seen": "Dell/HPE ProcVirtualization; Lenovo Processors_IntelVirtualizationTechnology; "
             "Supermicro Intel Virtualization Technology; AMDVirtualization; NestedVirt"},
    {"switch": "virtualization", "pattern": r"virtual ?machine|vanderpool|\bpacifica\b",
     "seen": "Lenovo AMDSecureVirtualMachine (CDRT/mk_docs); Intel's Vanderpool, AMD's Pacifica in help texts"},
    {"switch": "virtualization", "pattern": r"\b(intel ?|proc ?|cpu ?)?vt( ?x)?\b",
     "seen": "Intel VT, IntelVT, VT-x, VTx, Intel(R) VT"},
    {"switch": "virtualization", "pattern": r"vmx|svm",
     "seen": "ProcessorVmxEnable, VMXEnable; SvmMode, CpuSvm, Lenovo Processors_SVMMode, Cisco svm_mode"},
    {"switch": "virtualization", "pattern": r"\bamd ?v\b", "seen": "AMD-V, AmdV"},
    {"switch": "virtualization", "pattern": r"hypervisor", "seen": "Hypervisor_Support"},
)
