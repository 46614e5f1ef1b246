# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding from Redfish documents: which system, which BIOS attribute, what to change.

Pure functions over the JSON a BMC returned (already parsed into dicts); the code that talks
HTTP is in ``_client``. Errors are typed; the module turns them into messages.
"""

import ipaddress
import re

from urllib.parse import unquote, urlsplit

from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish._vendors import (
    ATTRIBUTES,
    DISPLAY_NAMES,
    RELATED_WORDS,
    VENDORS,
)

# The words of an attribute that look like a virtualization or IOMMU switch (the table's rows).
_RELATED = tuple((row["switch"], re.compile(row["pattern"])) for row in RELATED_WORDS)
# Where cutting a name into words splits it: fooBar, VTFor (but VTd, VTx stay whole), a digit.
_WORD_BREAKS = (re.compile(r"(?<=[a-z])(?=[A-Z])"), re.compile(r"(?<=[A-Z])(?=[A-Z][a-z]{2})"),
                re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])"))
# How much of a BMC-given text is cut into words: matching stays cheap on a hostile BIOS.
_NAME_CHARS = 256
_HELP_CHARS = 1000
# How many of the BIOS's attribute names a failure shows when none looks related.
NAMES_SHOWN = 40
_ENABLED_WORDS = ("enabled", "enable", "on")

# How much of a BMC-given value a message or a result shows (a BMC can send megabytes).
CLIP_CHARS = 80
CLIP_ITEMS = 20
# Characters shown escaped: a BMC-given line break must not start a new line in a log.
# Zero-width and bidirectional controls too: they would hide or reorder what a name reads.
_CONTROL = re.compile(u"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# A DNS name or IPv4 address, as bmc_address may give it.
_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$")
# What the numeric options may be, checked before anything is sent: (lowest, highest, why).
OPTION_BOUNDS = (
    ("timeout", 1, 300, "seconds for one request, connection to last byte"),
    ("poll_interval", 1, 60, "seconds between two polls; below 1 a BMC is flooded"),
    ("reset_timeout", 10, 3600, "seconds for the reset, and again for the BIOS to report the value"),
)
# Base registry messages that say a property (here: a BIOS attribute) was not set. Their
# severity is Warning, like ResetRequired, which a successful PATCH may carry: so the id decides.
_REFUSED_IDS = (
    "PropertyDuplicate", "PropertyUnknown", "PropertyValueTypeError", "PropertyValueFormatError",
    "PropertyValueNotInList", "PropertyNotWritable", "PropertyValueError", "PropertyValueOutOfRange",
    "PropertyValueIncorrect", "PropertyValueConflict", "PropertyValueResourceConflict",
    "PropertyValueExternalConflict", "PropertyNotUpdated", "PropertyMissing",
)


class RedfishError(Exception):
    """A BMC answer this collection cannot use; the message says what and what to do."""


class NoSystemError(RedfishError):
    """The BMC lists no computer system, or not the one asked for."""


class NoBiosError(RedfishError):
    """The computer system has no Bios resource: its BIOS is not managed through Redfish."""


class UncertainValueError(RedfishError):
    """A value the decision needs (the one to set, the current or the pending one) is not a plain
    value the module can compare: nothing is sent."""


class AttributeNotFoundError(RedfishError):
    """No attribute for a setting could be named. ``candidates``: related_attributes() of the BIOS,
    best first; ``related``: their names; ``names``: every attribute name of the BIOS, sorted;
    ``registry_read``: whether display names and help texts were searched too."""

    def __init__(self, message, setting="virtualization", candidates=None, names=None, registry_read=False):
        super(AttributeNotFoundError, self).__init__(message)
        self.setting = setting
        self.registry_read = registry_read
        self.candidates = list(candidates or [])
        self.related = [c["attribute"] for c in self.candidates]
        self.names = sorted(names or [], key=lambda n: (n.lower(), n))
        self.manufacturer = None


def clip(value, chars=CLIP_CHARS, items=CLIP_ITEMS, _depth=0):
    """A BMC-given value made short enough to show in a message or a result.

    Strings are cut to ``chars`` characters (saying how long they were) with control characters
    escaped; lists keep ``items`` entries plus "and N more"; dicts keep ``items`` keys; a list
    or dict inside one is shown as ``[...]``/``{...}``. Numbers, booleans and None pass unchanged.
    """
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10 ** 18 else clip(str(value), chars)
    if isinstance(value, str):
        shown = value if len(value) <= chars else "%s... (%d characters)" % (value[:chars], len(value))
        return _CONTROL.sub(lambda m: m.group(0).encode("unicode_escape").decode("ascii"), shown)
    if isinstance(value, (list, tuple)):
        if _depth:
            return "[...]"
        shown = [clip(item, chars, items, 1) for item in value[:items]]
        return shown + (["and %d more" % (len(value) - items)] if len(value) > items else [])
    if isinstance(value, dict):
        if _depth:
            return "{...}"
        keys = list(value)[:items]
        shown = dict((clip(k, chars, items, 1) if isinstance(k, str) else k, clip(value[k], chars, items, 1)) for k in keys)
        if len(value) > items:
            shown["and %d more" % (len(value) - items)] = None
        return shown
    return clip(str(type(value).__name__), chars)


def listing(values, items=CLIP_ITEMS):
    """BMC-given values joined for a message: each cut, at most ``items``, ``none`` when empty."""
    return ", ".join(str(v) for v in clip(list(values), CLIP_CHARS, items)) or "none"


def check_options(params):
    """Raise RedfishError naming the first numeric option outside OPTION_BOUNDS (NaN included)."""
    for name, lowest, highest, why in OPTION_BOUNDS:
        value = params.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not lowest <= value <= highest:
            raise RedfishError("%s is %s: it must be from %s to %s (%s)" % (name, clip(value), lowest, highest, why))


def address_secrets(address):
    """What a ``bmc_address`` holds before its last ``@`` when that is ``user:password``: it and the
    password, each also percent-decoded, to be masked wherever the address would be shown.
    [] when it holds no password (a user name alone is no secret)."""
    text = address if isinstance(address, str) else ""
    userinfo = text.split("://", 1)[-1].rsplit("@", 1)[0] if "@" in text else ""
    if ":" not in userinfo:
        return []
    found = set()
    for part in (userinfo, userinfo.split(":", 1)[1]):
        found.update((part, unquote(part)))
    return sorted((s for s in found if s), key=len, reverse=True)


def base_url(address, validate_certs=True):
    """``https://host[:port]`` from a ``bmc_address``: a host name or address with an optional port,
    or an ``https://`` URL (``http://`` only without certificate validation).

    Raises RedfishError saying what is wrong with the address, before anything is sent.
    """
    text = address.strip() if isinstance(address, str) else ""
    what = "bmc_address %r" % clip(text)
    if not text:
        raise RedfishError("bmc_address is empty: give the BMC's host name or address")
    # Before any message that shows the address: what precedes an '@' may be a password.
    if "@" in text:
        raise RedfishError(
            "bmc_address holds '@', a user name and maybe a password, so it is not shown here: give only the "
            "BMC's host name or address, and the credentials as username and password")
    if re.search(r"[\x00-\x20\x7f-\x9f]", text):
        raise RedfishError("%s holds a space or a control character: give the BMC's host name or address" % what)
    try:
        parts = urlsplit(text if "://" in text else "https://" + text)
    except ValueError as exc:
        raise RedfishError("%s is not an address (%s)" % (what, exc))
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise RedfishError("%s: Redfish is spoken over https://, not %s://" % (what, clip(parts.scheme)))
    if scheme == "http" and validate_certs:
        raise RedfishError(
            "%s is plain HTTP: the BMC password would cross the network in clear; give an https:// address "
            "(or the bare host name), or set validate_certs: false to accept that on a trusted network" % what)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise RedfishError("%s has a path: give only the host name or address and an optional :port" % what)
    if parts.netloc.count(":") > 1 and not parts.netloc.startswith("["):
        raise RedfishError("%s: write an IPv6 address in brackets, as [2001:db8::1]:443" % what)
    port_text = parts.netloc.rsplit("]", 1)[-1]
    port_text = port_text.rsplit(":", 1)[1] if ":" in port_text else ""
    if port_text and not (re.match(r"^[0-9]{1,5}$", port_text) and 0 < int(port_text) < 65536):
        raise RedfishError("%s: the port %r is not a number from 1 to 65535" % (what, clip(port_text)))
    port = int(port_text) if port_text else None
    host = parts.hostname or ""
    if ":" in host:
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            raise RedfishError("%s is not a valid IPv6 address" % what)
        netloc = "[%s]" % host
    elif _HOST.match(host):
        netloc = host
    else:
        raise RedfishError("%s is not a host name or address (letters, digits, '.', '-' and an optional "
                           ":port; an IPv6 address in brackets)" % what)
    return "%s://%s%s" % (scheme, netloc, ":%d" % port if port else "")


def odata_id(document, key):
    """The ``@odata.id`` that ``document[key]`` links to, or None when there is no such link."""
    link = document.get(key) if isinstance(document, dict) else None
    if isinstance(link, dict) and isinstance(link.get("@odata.id"), str):
        return link["@odata.id"]
    return None


def member_ids(collection):
    """The ``@odata.id`` of every member of a Redfish collection document, in order."""
    members = collection.get("Members") if isinstance(collection, dict) else None
    if not isinstance(members, list):
        return []
    return [m["@odata.id"] for m in members if isinstance(m, dict) and isinstance(m.get("@odata.id"), str)]


def system_by_uri(members, wanted):
    """The member URI that ``wanted`` names as the URI or its last segment, or None (nothing read)."""
    for uri in members:
        if wanted in (uri, uri.rstrip("/").rsplit("/", 1)[-1]):
            return uri
    return None


def choose_system(members, systems, wanted=None):
    """Pick the computer system: ``members`` are its URIs, ``systems`` maps the URIs read to their
    documents (those not read are listed by URI alone).

    ``wanted`` matches a system's Id, Name or URI; without it the BMC must list exactly one.
    Returns the URI. Raises NoSystemError naming what the BMC lists.
    """
    def shown(uri):
        return "%s (Id %s)" % (clip(uri), clip(systems[uri].get("Id"))) if uri in systems else clip(uri)

    if wanted:
        found = system_by_uri(members, wanted)
        if found:
            return found
        for uri in members:
            if wanted in (systems.get(uri, {}).get("Id"), systems.get(uri, {}).get("Name")):
                return uri
        raise NoSystemError("the BMC has no computer system %r; it lists: %s" % (clip(wanted), listing(shown(u) for u in members)))
    if len(members) == 1:
        return members[0]
    if not members:
        raise NoSystemError("the BMC lists no computer system under /redfish/v1/Systems")
    raise NoSystemError("the BMC lists %d computer systems (%s); say which one with system_id"
                        % (len(members), listing(shown(u) for u in members)))


def _kept(document, keys):
    """Only ``keys`` of a document (a dict); {} for anything else."""
    return dict((k, document[k]) for k in keys if k in document) if isinstance(document, dict) else {}


def system_summary(system):
    """What is used of a ComputerSystem document (Id, Name, Manufacturer, PowerState,
    ProcessorSummary.Model, the Bios link, the Reset action's target); the rest is dropped."""
    kept = _kept(system, ("Id", "Name", "Manufacturer", "PowerState", "ProcessorSummary", "Bios", "Actions"))
    for key, inner in (("ProcessorSummary", ("Model",)), ("Bios", ("@odata.id",))):
        if isinstance(kept.get(key), dict):
            kept[key] = _kept(kept[key], inner)
    actions = kept.get("Actions")
    if isinstance(actions, dict):
        action = actions.get("#ComputerSystem.Reset")
        kept["Actions"] = {"#ComputerSystem.Reset": _kept(action, ("target",)) if isinstance(action, dict) else action}
    return kept


def bios_summary(bios):
    """What is used of a Bios document: Attributes, AttributeRegistry, @Redfish.Settings."""
    return _kept(bios, ("Attributes", "AttributeRegistry", "@Redfish.Settings"))


def settings_summary(settings):
    """What is used of a Bios/Settings document: Attributes and @odata.etag."""
    return _kept(settings, ("Attributes", "@odata.etag"))


def registry_file_summary(document):
    """What is used of a MessageRegistryFile document: Id, Registry, Location."""
    return _kept(document, ("Id", "Registry", "Location"))


def bios_uri(system):
    """The Bios resource's URI of a ComputerSystem document; NoBiosError when it has none."""
    uri = odata_id(system, "Bios")
    if not uri:
        raise NoBiosError(
            "computer system %s (Manufacturer %r) has no Bios resource: this BMC does not expose BIOS "
            "settings through Redfish; turn virtualization on in the firmware setup at the console, or update "
            "the BMC firmware" % (clip(system.get("Id")), clip(system.get("Manufacturer")))
        )
    return uri


def settings_uri(bios, bios_path):
    """Where pending BIOS settings go: ``@Redfish.Settings`` SettingsObject, else ``<Bios>/Settings``."""
    settings = bios.get("@Redfish.Settings") if isinstance(bios, dict) else None
    uri = odata_id(settings, "SettingsObject") if isinstance(settings, dict) else None
    return uri or bios_path.rstrip("/") + "/Settings"


def vendor_row(manufacturer, override=None):
    """The VENDORS row for a ComputerSystem Manufacturer (or the ``override`` vendor name), or None."""
    if override:
        for row in VENDORS:
            if row["vendor"].lower() == override.lower():
                return row
        raise RedfishError(
            "vendor %r is not in the table; known: %s" % (override, ", ".join(r["vendor"] for r in VENDORS))
        )
    text = manufacturer.strip().lower() if isinstance(manufacturer, str) else ""
    for row in VENDORS:
        if any(text == prefix or text.startswith(prefix + " ") or text.startswith(prefix + ",")
               or text.startswith(prefix + "(") for prefix in row["manufacturer"]):
            return row
    return None


def words(text, chars=_NAME_CHARS):
    """The first ``chars`` characters of a BMC-given text as lower-case words joined by spaces:
    ``IntelVTForDirectedIO#0012`` -> ``intel vt for directed io 0012``; "" for anything not a string."""
    text = text[:chars] if isinstance(text, str) else ""
    for pattern in _WORD_BREAKS:
        text = pattern.sub(" ", text)
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def switch_of(text):
    """``iommu``, ``virtualization`` or None: which switch the words of ``text`` (words()), or those
    words run together, name; an IOMMU word wins over a CPU one ("Intel VT for Directed I/O")."""
    run_together = text.replace(" ", "")
    found = set(switch for switch, pattern in _RELATED if pattern.search(text) or pattern.search(run_together))
    return "iommu" if "iommu" in found else "virtualization" if found else None


def related_attributes(attributes, registry_entries=None, setting="virtualization"):
    """The BIOS attributes that look like a virtualization or IOMMU switch, for a failure message.

    ``attributes``: the Bios ``Attributes``; ``registry_entries``: registry_entries() (their
    DisplayName and HelpText are read too). Only attributes the BIOS has are returned (a name
    only the registry lists cannot be set), each ``{"attribute", "current", "switch", "found_in",
    "display_name"}``: ``switch`` is ``virtualization`` or ``iommu``, ``found_in`` ``name``,
    ``display name`` or ``help text``. Best first: those of ``setting``, then by where the
    word was found, then by name.
    """
    attributes = attributes if isinstance(attributes, dict) else {}
    entries = {}
    for entry in registry_entries or []:
        name = entry.get("AttributeName")
        if isinstance(name, str) and name in attributes:
            entries.setdefault(name, entry)
    found = []
    for name in attributes:
        if not isinstance(name, str):
            continue
        entry = entries.get(name, {})
        display = entry.get("DisplayName") if isinstance(entry.get("DisplayName"), str) else None
        name_words, display_words = words(name), words(display)
        in_name, in_display = switch_of(name_words), switch_of(display_words)
        # The help text only when name and display name say nothing: prose mentions other switches.
        switch = switch_of("%s %s" % (name_words, display_words)) if in_name or in_display else \
            switch_of(words(entry.get("HelpText"), _HELP_CHARS))
        if switch:
            where = "name" if in_name else "display name" if in_display else "help text"
            found.append({"attribute": name, "current": attributes[name], "switch": switch,
                          "found_in": where, "display_name": display})
    places = ("name", "display name", "help text")
    return sorted(found, key=lambda c: (c["switch"] != setting, places.index(c["found_in"]),
                                        c["attribute"].lower(), c["attribute"]))


def _value_text(value):
    """A BIOS value for a message: a string cut, JSON words for the rest, ``[...]`` for a list."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    return str(clip(value, 40, CLIP_ITEMS, 1))


_SWITCHES = {"virtualization": "the CPU virtualization switch (VT-x/AMD-V)", "iommu": "the IOMMU switch (VT-d/AMD-Vi)"}


def related_text(error):
    """What a failure to name the attribute (an AttributeNotFoundError) says of the BIOS: the
    attributes that may be the switch with their current values, or, when none looks like one,
    the first NAMES_SHOWN of its attribute names; every BMC-given text cut and escaped."""
    if error.candidates:
        shown = []
        for c in error.candidates[:CLIP_ITEMS]:
            notes = []
            if c["found_in"] != "name" and c["display_name"] is not None:
                notes.append("%sdisplay name '%s'" % ("by its help text; " if c["found_in"] == "help text" else "",
                                                      clip(c["display_name"], 60)))
            elif c["found_in"] == "help text":
                notes.append("by its help text")
            if c["switch"] != error.setting:
                notes.append("looks like %s, not the %s one" % (_SWITCHES[c["switch"]], error.setting))
            shown.append("%s=%s%s" % (clip(c["attribute"]), _value_text(c["current"]),
                                      " (%s)" % "; ".join(notes) if notes else ""))
        more = len(error.candidates) - CLIP_ITEMS
        return "Attributes that may be the switch, with their current values: %s%s" % (
            ", ".join(shown), ", and %d more" % more if more > 0 else "")
    said = ("no attribute's name%s holds a word such as Virtualization, VT, VT-x, VMX, SVM, AMD-V, Hypervisor, "
            "VT-d or IOMMU" % (", display name or help text" if error.registry_read else ""))
    if not error.names:
        return "No attribute looks related: the BIOS lists no attributes"
    return "No attribute looks related (%s); the BIOS's %d attribute names%s: %s" % (
        said, len(error.names), ", the first %d" % NAMES_SHOWN if len(error.names) > NAMES_SHOWN else "",
        listing(error.names, NAMES_SHOWN))


def registry_entries(registry):
    """The ``RegistryEntries.Attributes`` list of an attribute registry document ([] if none)."""
    if not isinstance(registry, dict):
        return []
    entries = registry.get("RegistryEntries", {})
    attributes = entries.get("Attributes") if isinstance(entries, dict) else None
    kept = ("AttributeName", "DisplayName", "Type", "ReadOnly", "Immutable", "Value", "HelpText")
    found = [_kept(a, kept) for a in attributes if isinstance(a, dict)] if isinstance(attributes, list) else []
    for entry in found:
        # Only read for words (related_attributes): a long one is cut, the registry may be megabytes.
        if isinstance(entry.get("HelpText"), str) and len(entry["HelpText"]) > _HELP_CHARS:
            entry["HelpText"] = entry["HelpText"][:_HELP_CHARS]
    return found


def registry_location(files, attribute_registry):
    """Which registry file to load for a Bios ``AttributeRegistry`` Id.

    ``files`` maps each ``/redfish/v1/Registries`` member URI to its MessageRegistryFile document.
    Returns the URI of the registry itself (an English ``Location`` first), or None.
    """
    def uri(location):
        # HPE iLO 4 writes {"Uri": {"extref": "/rest/v1/..."}} (as community.general's redfish_utils reads it).
        value = location.get("Uri") if isinstance(location, dict) else None
        if isinstance(value, dict):
            value = value.get("extref")
        return value if isinstance(value, str) and value else None

    def uri_of(doc):
        locations = doc.get("Location")
        locations = [loc for loc in locations if uri(loc)] if isinstance(locations, list) else []
        english = [loc for loc in locations if loc.get("Language") in ("en", None)]
        chosen = (english or locations or [None])[0]
        return uri(chosen) if chosen else None

    docs = [doc for doc in files.values() if isinstance(doc, dict)]
    exact = [doc for doc in docs if attribute_registry and attribute_registry in (doc.get("Id"), doc.get("Registry"))]
    bios = [doc for doc in docs if "bios" in ("%s %s" % (doc.get("Id"), doc.get("Registry"))).lower()]
    for doc in exact + bios:
        uri = uri_of(doc)
        if uri:
            return uri
    return None


def _unversioned(name):
    """A registry name without its version, lower case: ``BiosAttributeRegistryP89.v1_0_0`` -> ``biosattributeregistryp89``."""
    return re.sub(r"[._]?v?[0-9]+([._][0-9]+)*$", "", name.lower())


def registry_candidates(member_uris, attribute_registry, limit=5):
    """Which ``/redfish/v1/Registries`` members may hold the BIOS attribute registry, best first.

    First those whose last URI segment holds the Bios ``AttributeRegistry`` name, then those whose
    name without version is part of it or holds it (sushy-tools: ``...P89.v1_0_0`` in the Bios,
    ``BiosAttributeRegistry.v1_0_0`` in the collection; Dell: ``BiosAttributeRegistry``), then any
    named ``bios``; at most ``limit`` (iLO lists about forty registries).
    """
    wanted = attribute_registry.lower() if isinstance(attribute_registry, str) else ""
    stem = _unversioned(wanted)
    exact, close, bios = [], [], []
    for uri in member_uris:
        segment = uri.rstrip("/").rsplit("/", 1)[-1].lower()
        own = _unversioned(segment)
        if wanted and wanted in segment:
            exact.append(uri)
        elif len(own) >= 4 and len(stem) >= 4 and (own in stem or stem in own):
            close.append(uri)
        elif "bios" in segment:
            bios.append(uri)
    return (exact + close + bios)[:limit]


def certain(value):
    """Whether a BIOS value is one the module can send and compare: a non-empty string, a boolean
    or an integer (not None, a list, a dict or a float)."""
    return (isinstance(value, str) and value != "") or isinstance(value, (bool, int))


def enabled_value(name, entries, default):
    """The value that means Enabled for attribute ``name``: from the registry when it lists one,
    else ``default``.

    Raises UncertainValueError when the registry's entry lists values but none that reads as
    enabled with a usable ``ValueName``, or when two entries for ``name`` disagree.
    """
    found = []
    for entry in entries:
        if entry.get("AttributeName") != name:
            continue
        if entry.get("Type") == "Boolean":
            found.append(True)
            continue
        values = entry.get("Value")
        if not isinstance(values, list) or not values:
            continue
        enabled = [v for v in values if isinstance(v, dict) and any(
            str(v.get(key, "")).strip().lower() in _ENABLED_WORDS for key in ("ValueName", "ValueDisplayName"))]
        if not enabled:
            raise UncertainValueError(
                "the attribute registry lists the values %s for %s, none of which reads as enabled"
                % (listing(values), clip(name)))
        if not certain(enabled[0].get("ValueName")):
            raise UncertainValueError(
                "the attribute registry's enabled value for %s has the ValueName %r (%s): not a value to send"
                % (clip(name), clip(enabled[0].get("ValueName")), clip(enabled[0])))
        found.append(enabled[0]["ValueName"])
    if len(set(repr(v) for v in found)) > 1:
        raise UncertainValueError("the attribute registry gives %s different enabled values: %s"
                                  % (clip(name), listing(found)))
    return found[0] if found else default


def _cpu_matches(row, cpu_vendor):
    return row["cpu"] == "any" or not cpu_vendor or row["cpu"] == cpu_vendor


def _by_display_name(setting, attributes, entries):
    """Registry attributes whose DisplayName names ``setting`` and that the BIOS offers and accepts."""
    wanted = DISPLAY_NAMES[setting]
    found = []
    for entry in entries:
        display = re.sub(r"\s+", " ", str(entry.get("DisplayName") or "")).strip().lower()
        name = entry.get("AttributeName")
        if display in wanted and isinstance(name, str) and name in attributes and not entry.get("ReadOnly") and not entry.get("Immutable"):
            if name not in found:
                found.append(name)
    return found


def choose_attribute(setting, attributes, entries, vendor, cpu_vendor=None, override=None):
    """Name the BIOS attribute that turns ``setting`` on, and its enabled value.

    ``attributes``: the Bios resource's current ``Attributes``; ``entries``: the registry's
    attributes ([] when there is none); ``vendor``: a VENDORS row or None; ``cpu_vendor``:
    ``intel``, ``amd`` or None; ``override``: an attribute name a person gave.
    Returns ``{"setting", "attribute", "enabled", "found_by", "source"}``.
    Raises AttributeNotFoundError carrying the attributes that look related (related_attributes()).
    """
    def result(name, enabled, found_by, source):
        return {"setting": setting, "attribute": name, "enabled": enabled_value(name, entries, enabled),
                "found_by": found_by, "source": source}

    def not_found(message):
        return AttributeNotFoundError(message, setting, related_attributes(attributes, entries, setting),
                                      [name for name in attributes if isinstance(name, str)], bool(entries))

    if override:
        if override not in attributes:
            raise not_found("the BIOS has no attribute %r (given for %s)" % (clip(override), setting))
        return result(override, "Enabled", "given", "named by the caller")

    unverified = []
    if vendor:
        rows = [r for r in ATTRIBUTES if r["vendor"] == vendor["vendor"] and r["setting"] == setting
                and _cpu_matches(r, cpu_vendor)]
        for row in rows:
            if row["attribute"] in attributes:
                if row["verified"]:
                    return result(row["attribute"], row["enabled"], "vendor table", row["source"])
                unverified.append(row["attribute"])

    by_display = _by_display_name(setting, attributes, entries)
    if len(by_display) == 1:
        return result(by_display[0], "Enabled", "registry display name", "the BMC's attribute registry")

    if by_display:
        why = "the attribute registry names several (%s)" % listing(by_display)
    elif vendor:
        why = "the %s rows of the table name none of its attributes" % vendor["vendor"]
    else:
        why = "the vendor is not in the table"
    if not entries:
        why += ", and the BMC offers no attribute registry to look up display names"
    if unverified:
        why += "; unverified candidates (check them on this BMC, then pass the name): %s" % ", ".join(unverified)
    raise not_found("cannot tell which BIOS attribute is the %s switch: %s" % (setting, why))


def plan(current, pending, targets):
    """Compare what the BIOS has with what is wanted; decide what to PATCH.

    ``current``: the Bios ``Attributes``; ``pending``: the Bios/Settings ``Attributes`` ({} when
    none); ``targets``: choose_attribute results. Returns ``{"state", "settings", "patch",
    "reset_needed"}`` where each setting's state is ``enabled`` (on, and nothing pending turns it
    off), ``pending`` (set, applies at the next reset) or ``to_set``; the overall state is the least
    advanced one. A setting that is on while a different value is pending is ``to_set``: the
    next reset would turn it off, so the enabled value is sent again. ``reset_needed`` is true
    when a setting is not on in the running BIOS. Raises UncertainValueError when the value to set,
    the current or the pending value is not ``certain()`` (a null pending value is none).
    """
    settings = []
    patch = {}
    for target in targets:
        name = target["attribute"]
        wanted = target["enabled"]
        now = current.get(name)
        staged = pending.get(name) if isinstance(pending, dict) else None
        # A value that cannot be compared decides nothing: no PATCH, no reset (null pending is none).
        for what, value in (("value to set", wanted), ("current value", now), ("pending value", staged)):
            if not certain(value) and not (what == "pending value" and value is None):
                raise UncertainValueError("the %s of %s is %r (%s), not a plain value that can be compared"
                                          % (what, clip(name), clip(value), type(value).__name__))
        if now == wanted and (staged is None or staged == wanted):
            state = "enabled"
        elif staged == wanted:
            state = "pending"
        else:
            state = "to_set"
            patch[name] = wanted
        row = dict(target)
        row.update({"current": now, "pending": staged, "state": state})
        settings.append(row)
    states = [s["state"] for s in settings]
    overall = "to_set" if "to_set" in states else "pending" if "pending" in states else "enabled"
    reset_needed = any(s["current"] != s["enabled"] for s in settings)
    return {"state": overall, "settings": settings, "patch": patch, "reset_needed": reset_needed}


def patch_refusals(answer):
    """What a BMC's answer to the PATCH of Bios/Settings says it refused: messages, [] when none.

    A Redfish service may answer 200 and list, in ``@Message.ExtendedInfo`` (at the top, in
    ``error``, or as ``<property>@Message.ExtendedInfo``), the properties it did not set. A
    message counts when its severity is Critical, or Warning with a Base registry id that says
    a property was not set (a plain Warning such as ResetRequired is not a refusal).
    """
    found = []
    places = [answer] if isinstance(answer, dict) else []
    for key in ("error", "Attributes"):
        if places and isinstance(answer.get(key), dict):
            places.append(answer[key])
    for place in places:
        for key, infos in place.items():
            if not (isinstance(key, str) and key.endswith("@Message.ExtendedInfo") and isinstance(infos, list)):
                continue
            for info in infos:
                if not isinstance(info, dict):
                    continue
                severity = info.get("MessageSeverity") or info.get("Severity")
                message_id = info.get("MessageId") if isinstance(info.get("MessageId"), str) else ""
                if severity == "Critical" or (severity == "Warning" and message_id.rsplit(".", 1)[-1] in _REFUSED_IDS):
                    related = info.get("RelatedProperties")
                    text = clip(info.get("Message") or message_id or "no message", 160)
                    if isinstance(related, list) and related:
                        text = "%s (%s)" % (text, listing(related))
                    elif key != "@Message.ExtendedInfo":
                        text = "%s (%s)" % (text, clip(key[:-len("@Message.ExtendedInfo")]))
                    found.append(text)
    return clip(found, 400, 5)


def patch_body(patch, vendor):
    """The JSON body for PATCH Bios/Settings: the attributes, plus the apply time the vendor needs."""
    body = {"Attributes": dict(patch)}
    if vendor and vendor.get("apply_time"):
        body["@Redfish.SettingsApplyTime"] = {"ApplyTime": vendor["apply_time"]}
    return body


def reset_steps(power_state, reset):
    """The ComputerSystem.Reset types to send, in order, to apply pending settings.

    ``reset`` is ``ForceRestart`` or ``power_cycle``; a system that is off is only turned on
    (pending settings apply at the boot).
    """
    if isinstance(power_state, str) and power_state.lower() == "off":
        return ["On"]
    if reset == "power_cycle":
        return ["ForceOff", "On"]
    return [reset]


def cpu_vendor_of(system):
    """``intel``, ``amd`` or None from ComputerSystem ProcessorSummary.Model."""
    summary = system.get("ProcessorSummary") if isinstance(system, dict) else None
    model = str(summary.get("Model") or "").lower() if isinstance(summary, dict) else ""
    if "intel" in model or "xeon" in model:
        return "intel"
    if "amd" in model or "epyc" in model:
        return "amd"
    return None
