# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build small host trees (the snapshot format) from text, for the verdict tables."""

import os


def cpuinfo_x86(vendor_id, model, flags, cpus=2):
    """/proc/cpuinfo of an x86 host with ``cpus`` identical processors."""
    block = ("processor\t: {n}\nvendor_id\t: {v}\ncpu family\t: 6\nmodel name\t: {m}\n"
             "flags\t\t: {f}\n")
    return "\n".join(block.format(n=n, v=vendor_id, m=model, f=flags) for n in range(cpus))


BASE_FLAGS = "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat lm nx sse sse2"


def write_host(root, files, links=None):
    """Write ``files`` ({host path: text or None for an empty node}) under ``root``."""
    for path, text in files.items():
        real = os.path.join(str(root), path.lstrip("/"))
        os.makedirs(os.path.dirname(real), exist_ok=True)
        with open(real, "w") as handle:
            handle.write(text or "")
    for path, target in (links or {}).items():
        real = os.path.join(str(root), path.lstrip("/"))
        os.makedirs(os.path.dirname(real), exist_ok=True)
        os.symlink(target, real)
    os.makedirs(os.path.join(str(root), "proc"), exist_ok=True)
    return str(root)


def module(name, builtin=False, **params):
    """sysfs files of a loaded (or built-in: no initstate) module with parameters."""
    files = {}
    if not builtin:
        files["/sys/module/%s/initstate" % name] = "live\n"
    for key, value in params.items():
        files["/sys/module/%s/parameters/%s" % (name, key)] = "%s\n" % value
    if not files:
        files["/sys/module/%s/parameters/halt_poll_ns" % name] = "200000\n"
    return files


QEMU_DMI = {"/sys/class/dmi/id/sys_vendor": "QEMU\n",
            "/sys/class/dmi/id/product_name": "Standard PC (Q35 + ICH9, 2009)\n"}
DELL_DMI = {"/sys/class/dmi/id/sys_vendor": "Dell Inc.\n",
            "/sys/class/dmi/id/product_name": "PowerEdge R650\n",
            "/sys/class/dmi/id/bios_vendor": "Dell Inc.\n"}
BOOT_LOG = "[    0.000000] Linux version 6.1.0-28-amd64 (debian-kernel@lists.debian.org)\n"
