# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to libvirt through ``virsh`` and comparing its XML with what is wanted.

libvirt fills in what a definition leaves out (a UUID, a MAC address, a bridge name, NAT port
ranges), so a definition it returns never equals the one given. ``differences`` therefore asks
whether everything wanted is there, and whether an element the collection manages is there
although not wanted; the rest of what libvirt added is left alone.
"""

import re
import xml.etree.ElementTree as ET

# What virsh may print for one object's definition; more is not a definition we wrote.
XML_LIMIT = 1024 * 1024
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$")
_DECLARATION = re.compile(r"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class LibvirtError(Exception):
    """virsh failed, or printed what cannot be a libvirt definition."""


def parse(text, what):
    """Parse a definition read from libvirt (untrusted: size capped, no DTD or entities).

    Returns the root element; raises LibvirtError naming ``what`` when the text is not one.
    """
    if len(text) > XML_LIMIT:
        raise LibvirtError("%s is over %d bytes, more than a libvirt definition holds" % (what, XML_LIMIT))
    if _DECLARATION.search(text):
        raise LibvirtError("%s declares a DTD or entities, which libvirt never writes" % what)
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise LibvirtError("%s is not XML (%s)" % (what, exc))


def _label(element):
    keys = [k for k in ("name", "address", "dev", "type", "mode", "family") if k in element.attrib]
    return element.tag + "".join("[@%s=%r]" % (k, element.attrib[k]) for k in keys[:1])


def _text(element):
    return (element.text or "").strip()


def _missing(wanted, found, path, owned):
    """The differences under one wanted element matched with one found element."""
    out = []
    for key, value in sorted(wanted.attrib.items()):
        have = found.attrib.get(key)
        if have != value:
            out.append("%s/@%s: %r wanted, %s" % (path, key, value, "%r found" % have if have is not None else "not set"))
    if _text(wanted) and _text(wanted) != _text(found):
        out.append("%s: %r wanted, %r found" % (path, _text(wanted), _text(found)))
    used = set()
    for child in wanted:
        best = None
        for index, candidate in enumerate(found):
            if index in used or candidate.tag != child.tag:
                continue
            below = _missing(child, candidate, path + "/" + _label(child), owned)
            if best is None or len(below) < len(best[1]):
                best = (index, below)
            if not below:
                break
        if best is None:
            out.append("%s/%s: wanted, not found" % (path, _label(child)))
        else:
            used.add(best[0])
            out.extend(best[1])
    for index, candidate in enumerate(found):
        if index not in used and candidate.tag in owned:
            out.append("%s/%s: found, not wanted" % (path, _label(candidate)))
    return out


def differences(found, wanted, owned=()):
    """What stands between a definition read from libvirt and the one wanted, as sentences.

    ``found`` and ``wanted`` are elements (``parse``); an element of ``wanted`` matches one of
    the same tag in ``found`` whose attributes and text hold every wanted value. Elements of
    ``found`` whose tag is in ``owned`` and that match nothing wanted are differences too (the
    parts this collection manages); other additions (UUID, MAC, defaults) are libvirt's own.
    An empty list: nothing to change.
    """
    if found.tag != wanted.tag:
        return ["%s wanted, %s found" % (wanted.tag, found.tag)]
    return _missing(wanted, found, wanted.tag, frozenset(owned))


def to_text(element):
    """The XML text of an element built here, as virsh reads it."""
    return ET.tostring(element, encoding="unicode")


def _failed(what, out, err):
    """The error for a command that failed: what ran and what it said, bounded."""
    return LibvirtError("`%s` failed: %s" % (what, (err or out).strip()[:2000]))


def must(module, argv, what):
    """Run ``argv`` in the C locale and return its stdout, or raise LibvirtError saying that ``what`` failed and why."""
    rc, out, err = module.run_command(argv, environ_update={"LC_ALL": "C"})
    if rc != 0:
        raise _failed(what, out, err)
    return out


class Virsh(object):
    """virsh against one libvirt URI, through AnsibleModule.run_command, in the C locale."""

    def __init__(self, module, uri):
        self.module = module
        self.uri = uri
        self.path = module.get_bin_path("virsh")

    def run(self, *args, **kwargs):
        """Run ``virsh --connect URI ARGS``; returns (rc, stdout, stderr). ``data`` goes to stdin."""
        if self.path is None:
            raise LibvirtError("virsh is not installed")
        return self.module.run_command(
            [self.path, "--connect", self.uri] + list(args), data=kwargs.get("data"),
            binary_data=False, environ_update={"LC_ALL": "C"})

    def must(self, *args, **kwargs):
        """Run virsh and return its stdout, or raise LibvirtError with what virsh said."""
        rc, out, err = self.run(*args, **kwargs)
        if rc != 0:
            raise _failed("virsh " + " ".join(args[:2]), out, err)
        return out

    def names(self, kind):
        """The names of every defined object of a kind (``net`` or ``pool``), active or not."""
        out = self.must("%s-list" % kind, "--all", "--name")
        return [line.strip() for line in out.splitlines() if line.strip()]

    def state(self, kind, name):
        """(active, autostart) of one object, from ``net-info`` / ``pool-info``."""
        out = self.must("%s-info" % kind, name)
        active = re.search(r"(?m)^(Active|State):\s+(yes|running)\s*$", out) is not None
        autostart = re.search(r"(?m)^Autostart:\s+yes\s*$", out) is not None
        return active, autostart

    def definition(self, kind, name):
        """The persistent (inactive) definition of one object, parsed.

        A driver that has no inactive definition apart (libvirt's test driver for pools) refuses
        ``--inactive`` as an unsupported flag; its one definition is then read.
        """
        rc, out, err = self.run("%s-dumpxml" % kind, "--inactive", name)
        if rc != 0 and "unsupported flags" in err:
            out = self.must("%s-dumpxml" % kind, name)
        elif rc != 0:
            raise LibvirtError("`virsh %s-dumpxml %s` failed: %s" % (kind, name, (err or out).strip()[:2000]))
        return parse(out, "the definition of %s %s" % (kind, name))

    def guests_using(self, network):
        """The running guests with an interface on a libvirt network, by name."""
        guests = []
        for guest in [n.strip() for n in self.must("list", "--name").splitlines() if n.strip()]:
            rc, out, dummy = self.run("domiflist", guest)
            if rc != 0:
                continue
            for line in out.splitlines()[2:]:
                fields = line.split()
                if len(fields) >= 3 and fields[1] == "network" and fields[2] == network:
                    guests.append(guest)
                    break
        return guests
