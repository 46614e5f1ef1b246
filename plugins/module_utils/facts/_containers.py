# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Containers and WSL: what systemd-detect-virt --container would say, and which WSL this is.

Nothing here opens a file; the markers are passed in as text or booleans.
"""

import re

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts._file_values import FIELD_MAX

_CGROUP_CONTAINERS = (
    ("/docker/", "docker"), ("/docker-", "docker"), ("/libpod-", "podman"), ("/lxc/", "lxc"),
    ("/lxc.payload", "lxc"), ("kubepods", "container-other"), ("/machine.slice/systemd-nspawn", "systemd-nspawn"),
)


def container_from_markers(run_systemd_container, dockerenv, containerenv, cgroup):
    """The container a process runs in, as systemd-detect-virt --container names it, or None.

    Reads, in systemd's order: /run/systemd/container text, /run/.containerenv and
    /.dockerenv presence (booleans) and PID 1's cgroup text. WSL is not a container here
    (``wsl_version`` tells it): WSL 2 is a Hyper-V virtual machine.
    """
    value = (run_systemd_container or "").strip()
    if value and value != "wsl":
        return {"oci": "docker"}.get(value, value)[:64]
    if containerenv:
        return "podman"
    if dockerenv:
        return "docker"
    for line in (cgroup or "").splitlines():
        for marker, ident in _CGROUP_CONTAINERS:
            if marker in line:
                return ident
    return None


# WSL 1 has no Linux kernel: Windows answers uname with a release such as
# '4.4.0-19041-Microsoft' (capital M) and /proc/version with 'Microsoft@Microsoft.com'.
# WSL 2 boots Microsoft's Linux kernel in a Hyper-V VM: '4.19.128-microsoft-standard',
# '5.15.167.4-microsoft-standard-WSL2' (lower case), or a kernel a person built.
_WSL1_RELEASE = re.compile(r"-Microsoft\b")
_WSL2_RELEASE = re.compile(r"microsoft-standard|-WSL2\b|\bWSL2\b")


def wsl_version(osrelease, proc_version, interop, run_wsl):
    """1 or 2 when this Linux runs in Windows Subsystem for Linux, None otherwise.

    Reads the kernel release, /proc/version text, whether
    /proc/sys/fs/binfmt_misc/WSLInterop (or WSLInterop-late) and /run/WSL exist (booleans),
    (WSL_DISTRO_NAME, an environment variable anyone can set, is not read). The markers without
    a Microsoft kernel name (a kernel a person built for WSL 2) still say WSL 2.
    """
    release = (osrelease or "").strip()[:FIELD_MAX]
    version = (proc_version or "")[:1024]
    if _WSL1_RELEASE.search(release) or "Microsoft@Microsoft.com" in version:
        return 1
    if _WSL2_RELEASE.search(release) or _WSL2_RELEASE.search(version) or "microsoft" in release.lower():
        return 2
    if interop or run_wsl:
        return 2
    return None
