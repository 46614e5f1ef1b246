# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts never contradict themselves, on every host this suite knows and on generated ones.

Each rule ties the verdict to the facts it stands on: a reason that blames a parent hypervisor
needs a guest, one that blames a BIOS needs bare metal, 'ok' needs /dev/kvm, a confidential or
WSL guest is a guest. The hosts: every captured snapshot in tests/unit/fixtures, every snapshot
of the hostile corpus (tests/hostile/corpus.py), every composed host of test__verdict, and hosts
built from random combinations of the pieces that decide a verdict.
"""

import importlib.util
import os
import pathlib
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._facts import gather
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._observations import (
    Block, Cpu, Device, Guest, KernelLog, LogLine, Observations, Raw)
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._reasons import REASONS
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._sources import SnapshotError
from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._verdict import decide

from . import test__verdict as composed
from ..hosts import BASE_FLAGS, BOOT_LOG, cpuinfo_x86, module, write_host

TESTS = pathlib.Path(__file__).resolve().parents[4]
FIXTURES = TESTS / "unit" / "fixtures"
SNAPSHOTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "root").is_dir())

# A remediation that says what this host is: "This host is a virtual machine ...", "This host is
# an AMD SEV-SNP confidential virtual machine", "This host is WSL 2, a Hyper-V virtual machine".
_SAYS_VM = re.compile(r"this host is (?:an? |WSL 2)[^.]*virtual machine", re.I)
_FIRMWARE_STEPS = ("enter the BIOS/UEFI setup", "enter the BIOS/UEFI setup (F2")
_MODPROBE_COMMAND = re.compile(r"\bmodprobe (?:-r )?kvm")


def contradictions(facts):
    """Every rule the facts break, as sentences; empty when they agree with themselves."""
    broken = []

    def rule(holds, sentence):
        if not holds:
            broken.append(sentence)

    reason, guest, device = facts["reason"], facts["guest"], facts["device"]
    remediation = facts["remediation"] or ""
    virtualized = guest["virtualized"]
    rule(reason in REASONS, "the reason is one of REASONS")
    rule(facts["usable"] is (reason == "ok"), "usable exactly when the reason is ok")
    rule((remediation == "") is (reason == "ok"), "a remediation exactly when KVM cannot be used")
    # The device.
    rule(reason != "ok" or device["exists"], "ok: /dev/kvm exists")
    rule(reason != "ok" or not facts["probed"] or device["vm_created"], "ok on a live host: a VM was created")
    rule(reason != "device_missing" or not device["exists"], "device_missing: /dev/kvm does not exist")
    rule(reason != "device_inaccessible" or device["exists"], "device_inaccessible: /dev/kvm exists")
    # Modules.
    rule(reason != "module_not_loaded" or facts["vendor_module"] not in facts["modules"],
         "module_not_loaded: the vendor module is not among the modules")
    rule(reason != "module_not_loaded" or facts["vendor_module"] is not None,
         "module_not_loaded: a vendor module is named")
    rule(facts["nested"]["module"] is None or facts["nested"]["module"] in facts["modules"],
         "nested.module is a module that is present")
    # Who is to blame: the parent, the firmware, the CPU.
    rule(reason != "nested_not_exposed" or virtualized, "nested_not_exposed: this host is a guest")
    rule(reason != "firmware_disabled" or not virtualized, "firmware_disabled: not a guest (a VM's firmware is its parent's)")
    rule(reason != "cpu_unsupported" or not virtualized, "cpu_unsupported: not a guest (a guest's CPU is what its parent offers)")
    rule(reason != "cpu_unsupported" or facts["cpu"]["extension_shown"] is not True,
         "cpu_unsupported: the kernel does not show the extension")
    rule(not _SAYS_VM.search(remediation) or virtualized, "a remediation that calls this host a VM: a guest")
    rule("confidential virtual machine" not in remediation or guest["confidential"],
         "a remediation that calls this host a confidential VM: guest.confidential says which")
    rule(not virtualized or not any(step in remediation for step in _FIRMWARE_STEPS),
         "a guest is never sent into a BIOS setup")
    # What the guest facts say of themselves.
    rule(not guest["confidential"] or virtualized, "a confidential guest is a guest")
    rule(not guest["confidential"] or not any(facts["confidential"].get(k) for k in ("sev", "sev_es", "sev_snp", "tdx")),
         "a confidential guest runs no confidential guests of its own")
    rule(not guest["wsl"] or (virtualized and guest["hypervisor"] == "microsoft"), "WSL: a guest of Microsoft's")
    rule(guest["container"] != "wsl", "WSL is not a container")
    rule(bool(guest["hypervisor"]) is bool(virtualized), "a hypervisor is named exactly for a guest")
    rule(not guest["wsl"] or not _MODPROBE_COMMAND.search(remediation),
         "WSL: the kernel is Microsoft's, never told to modprobe")
    rule("--device /dev/kvm" not in remediation or guest["container"], "pass the device in: only to a container")
    rule(reason != "nested_not_exposed" or not _MODPROBE_COMMAND.search(remediation),
         "nested_not_exposed: the fix is on the parent, not a modprobe here")
    rule(facts["evidence"] and facts["evidence"][-1]["source"] == "verdict", "the evidence ends with the verdict")
    return broken


@pytest.mark.parametrize("case", SNAPSHOTS)
def test_every_snapshot_agrees_with_itself(case):
    facts = gather(str(FIXTURES / case / "root"))
    assert contradictions(facts) == [], facts["evidence"]


@pytest.mark.parametrize("name,files", [(c[0], c[1]) for c in composed.CASES], ids=[c[0] for c in composed.CASES])
def test_every_composed_host_agrees_with_itself(tmp_path, name, files):
    facts = gather(write_host(tmp_path, files))
    assert contradictions(facts) == [], (name, facts["evidence"])


@pytest.mark.parametrize("arch,change", composed.ARCH_CASES, ids=["%s-%s" % c for c in composed.ARCH_CASES])
def test_every_architecture_case_agrees_with_itself(tmp_path, arch, change):
    facts = gather(write_host(tmp_path, composed._arch_case(arch, change)))  # pylint: disable=protected-access
    assert contradictions(facts) == [], facts["evidence"]


def _corpus():
    spec = importlib.util.spec_from_file_location("hostile_corpus", str(TESTS / "hostile" / "corpus.py"))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


CORPUS = _corpus()


@pytest.fixture(scope="module")
def hostile_roots(tmp_path_factory):
    _ctx, roots = CORPUS.build(str(tmp_path_factory.mktemp("hostile")))
    return roots


@pytest.mark.parametrize("name", sorted(CORPUS.CASES) + sorted(CORPUS.ROOTS))
def test_every_hostile_snapshot_agrees_with_itself(hostile_roots, name):
    root = hostile_roots[name]
    if root is None:
        pytest.skip("needs root to make device nodes")
    try:
        facts = gather(root)
    except SnapshotError:
        assert name in CORPUS.ROOTS  # not a host at all: refused, nothing to agree with
        return
    assert contradictions(facts) == [], (name, facts["evidence"])


# Generated hosts: each piece that decides a verdict, in every combination hypothesis picks.
_VENDORS = {"intel": ("GenuineIntel", "Intel(R) Xeon(R) Gold 6338", "vmx", "kvm_intel"),
            "amd": ("AuthenticAMD", "AMD EPYC 7763 64-Core Processor", "svm", "kvm_amd")}
_PARENTS = {
    "bare": {}, "kvm": {"dmi": "QEMU", "log": "Hypervisor detected: KVM", "flag": True},
    "vmware": {"dmi": "VMware, Inc.", "log": "Hypervisor detected: VMware", "flag": True},
    "hyperv": {"dmi": "Microsoft Corporation", "product": "Virtual Machine", "flag": True},
    "flag-only": {"flag": True},
    "wsl2": {"release": "5.15.167.4-microsoft-standard-WSL2", "flag": True},
    "wsl2-custom": {"release": "6.6.36-custom", "interop": True, "flag": True},
    "wsl1": {"release": "4.4.0-19041-Microsoft"},
}
_LINES = {
    "none": "", "sev-snp": "Memory Encryption Features active: AMD SEV SEV-ES SEV-SNP",
    "sev-refused": "kvm_amd: KVM is unsupported when running as an SEV guest",
    "tdx": "Memory Encryption Features active: Intel TDX", "host-sme": "Memory Encryption Features active: AMD SME",
    "vmx-bios": "x86/cpu: VMX (outside TXT) disabled by BIOS", "svm-bios": "SVM disabled (by BIOS) in MSR_VM_CR",
    "txt": "x86/cpu: VMX (inside TXT) disabled by BIOS", "no-hw": "kvm: no hardware support",
    "enable-failed": "kvm: enabling virtualization on CPU0 failed", "vmx-unsupported": "kvm_intel: VMX not supported by CPU 0",
}
_EXTRA_FLAGS = ("", "hypervisor", "sev sev_es sev_snp", "tdx_guest", "sme sev")


@st.composite
def hosts(draw):
    """A host tree from random pieces: CPU, parent, modules, device, container, log, blocks."""
    vendor_id, model, extension, vendor_module = _VENDORS[draw(st.sampled_from(sorted(_VENDORS)))]
    parent = _PARENTS[draw(st.sampled_from(sorted(_PARENTS)))]
    shown = draw(st.booleans())
    flags = BASE_FLAGS + (" " + extension if shown else "") + (" hypervisor" if parent.get("flag") else "")
    flags += " " + draw(st.sampled_from(_EXTRA_FLAGS))
    release = parent.get("release") or draw(st.sampled_from([
        "4.19.0-26-amd64", "5.15.0-91-generic", "6.1.0-28-amd64", "6.8.0-45-generic", "6.12.0-1-amd64"]))
    files = {"/proc/sys/kernel/arch": "x86_64\n", "/proc/sys/kernel/osrelease": release + "\n",
             "/proc/cpuinfo": cpuinfo_x86(vendor_id, model, flags), "/proc/cmdline": "ro quiet\n"}
    if parent.get("dmi"):
        files["/sys/class/dmi/id/sys_vendor"] = parent["dmi"] + "\n"
        files["/sys/class/dmi/id/product_name"] = parent.get("product", parent["dmi"]) + "\n"
    if parent.get("interop"):
        files["/proc/sys/fs/binfmt_misc/WSLInterop"] = "enabled\n"
    lines = [parent["log"]] if parent.get("log") else []
    lines += [_LINES[k] for k in draw(st.lists(st.sampled_from(sorted(_LINES)), max_size=3)) if _LINES[k]]
    if draw(st.booleans()):
        files["/var/log/dmesg"] = BOOT_LOG.replace("6.1.0-28-amd64", release) + "".join(
            "[    %d.0] %s\n" % (n + 1, line) for n, line in enumerate(lines))
    modules = draw(st.sampled_from(["none", "kvm", "vendor", "vendor-builtin", "pvm"]))
    if modules != "none":
        files.update(module("kvm", builtin=modules in ("vendor-builtin", "pvm")))
    if modules in ("vendor", "vendor-builtin"):
        files.update(module(vendor_module, builtin=modules == "vendor-builtin", nested="Y"))
    if modules == "pvm":
        files.update(module("kvm_pvm", builtin=True))
    if draw(st.booleans()):
        files["/dev/kvm"] = None
    container = draw(st.sampled_from([None, "/.dockerenv", "/run/.containerenv", "/run/systemd/container"]))
    if container:
        files[container] = "lxc\n" if container == "/run/systemd/container" else None
    block = draw(st.sampled_from([None, "cmdline", "modprobe", "clearcpuid"]))
    if block == "cmdline":
        files["/proc/cmdline"] = "ro module_blacklist=%s\n" % vendor_module
    elif block == "clearcpuid":
        files["/proc/cmdline"] = "ro clearcpuid=%s\n" % extension
    elif block == "modprobe":
        files["/etc/modprobe.d/local.conf"] = "blacklist %s\n" % vendor_module
    if draw(st.booleans()):
        files["/sys/module/vboxdrv/initstate"] = "live\n"
    # A SEV host's kvm_amd offers SEV; a confidential guest cannot load kvm_amd at all.
    guest_lines = [line for line in lines if "SEV" in line and "SME" not in line or "TDX" in line]
    if draw(st.booleans()) and not guest_lines and "tdx_guest" not in flags:
        files.update({"/sys/module/kvm_amd/parameters/sev": "Y\n", "/dev/sev": None})
    return files


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=hosts())
def test_generated_hosts_agree_with_themselves(tmp_path_factory, files):
    root = write_host(tmp_path_factory.mktemp("host"), files)
    facts = gather(root)
    assert contradictions(facts) == [], (sorted(files), facts["reason"], facts["guest"], facts["remediation"])
    for path in sorted(files, key=len, reverse=True):
        os.unlink(os.path.join(root, path.lstrip("/")))


# The live host's paths (the probe, raw CPUID and MSR) have no snapshot: decide() is fed what
# they would have seen, with the guest facts made as _facts makes them.
_GUESTS = {
    "bare": Guest(False, None, None), "kvm": Guest(True, "kvm", None), "vmware": Guest(True, "vmware", None),
    "docker-on-metal": Guest(False, None, "docker"), "wsl2": Guest(True, "microsoft", None, 2),
    "docker-on-wsl2": Guest(True, "microsoft", "docker", 2), "wsl1": Guest(True, "microsoft", None, 1),
    "sev-snp": Guest(True, "kvm", None, None, "sev-snp"), "tdx": Guest(True, "vm-other", None, None, "tdx"),
}
_LOG_LINES = {
    "firmware": LogLine("x86_featctl_vmx_outside_txt", "firmware_disabled", "x86/cpu: VMX (outside TXT) disabled by BIOS", None),
    "txt": LogLine("x86_featctl_vmx_inside_txt", "firmware_disabled_txt", "x86/cpu: VMX (inside TXT) disabled by BIOS", None),
    "lacks": LogLine("x86_vmx_not_supported_by_cpu", "cpu_unsupported", "kvm_intel: VMX not supported by CPU 0", None),
    "enable": LogLine("kvm_enabling_virtualization_failed", "enable_failed", "kvm: enabling virtualization on CPU0 failed", None),
}


@st.composite
def observed(draw):
    """Observations of an x86 Intel host as the live host's reading would make them."""
    shown = draw(st.sampled_from([True, False, None]))
    guest = _GUESTS[draw(st.sampled_from(sorted(_GUESTS)))]
    features = frozenset((["vmx"] if shown else []) + (["hypervisor"] if guest.virtualized else []))
    exists = draw(st.booleans()) and guest.wsl != 1  # WSL 1 has no Linux kernel, so no /dev/kvm
    probed = exists and draw(st.booleans())
    accessible = draw(st.sampled_from([True, False])) if probed else None
    created = draw(st.booleans()) if accessible else None
    blocks = draw(st.sampled_from([(), (Block("cmdline", "blacklist", "module_blacklist=kvm_intel", "/proc/cmdline", "kvm_intel"),),
                                   (Block("modprobe", "install", "install kvm_intel /bin/false", "/etc/modprobe.d/x.conf", "kvm_intel"),),
                                   (Block("cmdline", "hide_feature", "clearcpuid=vmx", "/proc/cmdline", None),)]))
    lines = tuple(_LOG_LINES[k] for k in draw(st.lists(st.sampled_from(sorted(_LOG_LINES)), max_size=2, unique=True)))
    return Observations(
        arch="x86_64", kernel="6.8.0-45-generic", kernel_version=draw(st.sampled_from([(5, 4), (6, 1), (6, 8), None])),
        cpu=Cpu("intel", "Intel(R) Xeon(R)", "vmx", shown, features, None, None, 4),
        modules=draw(st.sampled_from([(), ("kvm",), ("kvm", "kvm_intel"), ("kvm", "kvm_pvm")])),
        device=Device(exists, accessible, 12 if accessible else None, created), probed=probed,
        probe_error=None if created or not probed else "KVM_CREATE_VM failed: Device or resource busy",
        guest=guest, log=KernelLog(lines, None, draw(st.booleans()), True), blocks=blocks,
        raw=Raw(draw(st.sampled_from([None, True, False])), draw(st.sampled_from([None, "enabled", "disabled", "txt_only"])),
                False, False),
        others=draw(st.sampled_from([(), ("virtualbox",)])), user="alice")


@settings(max_examples=1500, deadline=None)
@given(obs=observed())
def test_every_decision_agrees_with_what_was_observed(obs):
    result = decide(obs)
    facts = {"usable": result.usable, "reason": result.reason, "remediation": result.remediation,
             "guest": dict(obs.guest._asdict()), "device": dict(obs.device._asdict()), "probed": obs.probed,
             "vendor_module": "kvm_intel", "modules": list(obs.modules), "nested": {"module": None},
             "cpu": {"extension_shown": obs.cpu.extension_shown}, "confidential": {},
             "evidence": [{"source": "verdict"}]}
    broken = contradictions(facts)
    kinds = set(b.kind for b in obs.blocks)
    if result.reason == "other_hypervisor":
        broken += [] if obs.others else ["other_hypervisor: another hypervisor was found"]
    if result.reason == "module_blocked":
        broken += [] if "modprobe" in kinds else ["module_blocked: a modprobe.d line keeps it"]
    if result.reason == "kernel_disabled":
        broken += [] if "cmdline" in kinds else ["kernel_disabled: the command line keeps it"]
    if result.reason == "device_inaccessible":
        broken += [] if obs.probed and obs.device.accessible is False else ["device_inaccessible: open was refused"]
    assert broken == [], (obs, result)
