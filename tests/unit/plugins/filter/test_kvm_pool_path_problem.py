# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The pool-directory rule the role's preflight applies is kvm_pools' own."""

import pathlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.hypervisor.kvm.plugins.filter.kvm_pool_path_problem import kvm_pool_path_problem
from ansible_collections.hypervisor.kvm.plugins.module_utils.setup import _pools

REPO = pathlib.Path(__file__).resolve().parents[4]
ROLE_VARS = yaml.safe_load((REPO / "roles" / "kvm_host" / "vars" / "main.yml").read_text())
SYSTEM_DIRS = ROLE_VARS["__kvm_host_system_dirs"]
IMAGES = ROLE_VARS["__kvm_host_libvirt_images_dir"]


@pytest.mark.parametrize("path", [
    "/srv/vm-images", "/srv/vm-images/", "/data/libvirt/images", "/etc", "/etc/libvirt", "/", "///", "/srv",
    "/var/lib/libvirt", "/var/lib/libvirt/images", "/var/lib/libvirt/images/x", "/home/alice", "/home/alice/vms",
    "srv/images", "/srv/a b", "/srv/vm-images\n", "/srv/./x", "/srv//x", "/srv/x/..", "/srv/*",
])
def test_the_filter_says_what_the_module_says(path):
    module = _pools.validate([{"name": "p", "type": "dir", "path": path}], SYSTEM_DIRS)[1]
    said = kvm_pool_path_problem(path, SYSTEM_DIRS)
    assert bool(said) == bool(module), (said, module)
    if said:
        assert said in module[0]


@pytest.mark.parametrize("path, refused", [
    ("/etc", "FHS 3.0, 3.7 reserves /etc and everything under it"),
    ("/srv", "reserves /srv for the data"),
    ("/var/lib/libvirt", "libvirt reserves /var/lib/libvirt and each directory directly in it"),
    ("/srv/vm-images\n", "POSIX portable filename"),
    ("/srv/../etc", "through '//', '.' or '..'"),
])
def test_a_system_directory_or_a_second_name_is_refused_naming_why(path, refused):
    assert refused in kvm_pool_path_problem(path, SYSTEM_DIRS)


def test_libvirt_s_image_directory_is_allowed_only_when_the_caller_allows_it():
    assert kvm_pool_path_problem(IMAGES, SYSTEM_DIRS)
    assert kvm_pool_path_problem(IMAGES + "/", SYSTEM_DIRS, allowed=[IMAGES]) == ""
    assert kvm_pool_path_problem("/var/lib/libvirt/qemu", SYSTEM_DIRS, allowed=[IMAGES])


@pytest.mark.parametrize("path, system_dirs", [(None, SYSTEM_DIRS), ("/srv/x", "/etc"), ("/srv/x", [{"below": 1}])])
def test_bad_arguments_are_a_clear_error(path, system_dirs):
    with pytest.raises(AnsibleFilterError, match="kvm_pool_path_problem: "):
        kvm_pool_path_problem(path, system_dirs)
