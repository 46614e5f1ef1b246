# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_containers: the container a host runs in, from its markers, and which WSL it is."""

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils.facts import _containers as containers


@pytest.mark.parametrize("markers,container", [
    (("lxc\n", False, False, ""), "lxc"),
    (("oci", False, False, ""), "docker"),
    ((None, False, True, ""), "podman"),
    ((None, True, False, ""), "docker"),
    ((None, False, False, "12:pids:/docker/3f2a\n"), "docker"),
    ((None, False, False, "0::/kubepods.slice/kubepods-pod1.slice\n"), "container-other"),
    # WSL is not a container: WSL 2 is a Hyper-V VM (wsl_version tells it).
    (("wsl\n", False, False, ""), None),
    ((None, False, False, "0::/init.scope\n"), None),
])
def test_container_markers(markers, container):
    assert containers.container_from_markers(*markers) == container


@pytest.mark.parametrize("markers,version", [
    (("5.15.167.4-microsoft-standard-WSL2", None, False, False), 2),
    (("4.19.128-microsoft-standard", None, False, False), 2),
    (("6.6.87.2-microsoft-standard-WSL2+", None, False, False), 2),
    # A kernel a person built for WSL 2 keeps the interop marker.
    (("5.8.0-rc3-ziomario-standard", None, True, False), 2),
    (("6.1.0-28-amd64", None, False, True), 2),
    (("4.4.0-19041-Microsoft", None, False, False), 1),
    (("4.4.0-22621-Microsoft", "Linux version 4.4.0-22621-Microsoft (Microsoft@Microsoft.com) (gcc version 5.4.0 (GCC) ) "
      "#2215-Microsoft Sat Jan 01 00:00:00 PST 2022", True, False), 1),
    (("6.1.0-28-amd64", "Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)", False, False), None),
    (("5.15.0-1057-azure", None, False, False), None),
    ((None, None, False, False), None),
])
def test_wsl_version(markers, version):
    assert containers.wsl_version(*markers) == version
