# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Deciding from Redfish documents: which system, which BIOS attribute, what to change.

Pure functions over the JSON a BMC returned (already parsed into dicts); the code that talks
HTTP is in ``_redfish_client``. Errors are typed; the module turns them into messages.
"""

import re

from ansible_collections.hypervisor.kvm.plugins.module_utils._redfish_vendors import (
    ATTRIBUTES,
    DISPLAY_NAMES,
    VENDORS,
)

SETTINGS = ("virtualization", "iommu")

# Attribute names that look like a virtualization or IOMMU switch, for error messages.
_RELATED = re.compile(r"virt|vmx|svm|vt-?d|vtx|vt-x|iommu|amd-?v|amdiovt|directedio", re.IGNORECASE)
_ENABLED_WORDS = ("enabled", "enable", "on")


class RedfishError(Exception):
    """A BMC answer this collection cannot use; the message says what and what to do."""


class NoSystemError(RedfishError):
    """The BMC lists no computer system, or not the one asked for."""


class NoBiosError(RedfishError):
    """The computer system has no Bios resource: its BIOS is not managed through Redfish."""


class AttributeNotFoundError(RedfishError):
    """No attribute for a setting could be named; ``related`` lists what looked close."""

    def __init__(self, message, related=None):
        super(AttributeNotFoundError, self).__init__(message)
        self.related = list(related or [])
        self.manufacturer = None


def odata_id(document, key):
    """The ``@odata.id`` that ``document[key]`` links to, or None when there is no such link."""
    link = document.get(key) if isinstance(document, dict) else None
    if isinstance(link, dict) and isinstance(link.get("@odata.id"), str):
        return link["@odata.id"]
    return None


def member_ids(collection):
    """The ``@odata.id`` of every member of a Redfish collection document, in order."""
    members = collection.get("Members") if isinstance(collection, dict) else None
    return [m["@odata.id"] for m in members or [] if isinstance(m, dict) and isinstance(m.get("@odata.id"), str)]


def choose_system(members, systems, wanted=None):
    """Pick the computer system: ``members`` are its URIs, ``systems`` maps URI to document.

    ``wanted`` matches a system's Id, Name or URI; without it the BMC must list exactly one.
    Returns the URI. Raises NoSystemError naming what the BMC lists.
    """
    listed = ", ".join("%s (Id %s)" % (uri, systems.get(uri, {}).get("Id")) for uri in members) or "none"
    if wanted:
        for uri in members:
            doc = systems.get(uri, {})
            if wanted in (doc.get("Id"), doc.get("Name"), uri, uri.rstrip("/").rsplit("/", 1)[-1]):
                return uri
        raise NoSystemError("the BMC has no computer system %r; it lists: %s" % (wanted, listed))
    if len(members) == 1:
        return members[0]
    if not members:
        raise NoSystemError("the BMC lists no computer system under /redfish/v1/Systems")
    raise NoSystemError("the BMC lists %d computer systems (%s); say which one with system_id" % (len(members), listed))


def bios_uri(system):
    """The Bios resource's URI of a ComputerSystem document; NoBiosError when it has none."""
    uri = odata_id(system, "Bios")
    if not uri:
        raise NoBiosError(
            "computer system %s (Manufacturer %r) has no Bios resource: this BMC does not expose BIOS "
            "settings through Redfish; turn virtualization on in the firmware setup at the console, or update "
            "the BMC firmware" % (system.get("Id"), system.get("Manufacturer"))
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
    text = (manufacturer or "").strip().lower()
    for row in VENDORS:
        if any(text == prefix or text.startswith(prefix + " ") or text.startswith(prefix + ",")
               or text.startswith(prefix + "(") for prefix in row["manufacturer"]):
            return row
    return None


def related_attributes(attributes, registry_entries=None):
    """Attribute names that look like a virtualization or IOMMU switch, sorted, for messages."""
    names = set(name for name in attributes or {} if _RELATED.search(name))
    for entry in registry_entries or []:
        text = "%s %s" % (entry.get("AttributeName", ""), entry.get("DisplayName", ""))
        if _RELATED.search(text) and entry.get("AttributeName"):
            names.add(entry["AttributeName"])
    return sorted(names)


def registry_entries(registry):
    """The ``RegistryEntries.Attributes`` list of an attribute registry document ([] if none)."""
    if not isinstance(registry, dict):
        return []
    entries = registry.get("RegistryEntries", {})
    attributes = entries.get("Attributes") if isinstance(entries, dict) else None
    return [a for a in attributes or [] if isinstance(a, dict)]


def registry_location(files, attribute_registry):
    """Which registry file to load for a Bios ``AttributeRegistry`` Id.

    ``files`` maps each ``/redfish/v1/Registries`` member URI to its MessageRegistryFile document.
    Returns the URI of the registry itself (an English ``Location`` first), or None.
    """
    def uri_of(doc):
        locations = [loc for loc in doc.get("Location") or [] if isinstance(loc, dict) and loc.get("Uri")]
        english = [loc for loc in locations if loc.get("Language") in ("en", None)]
        chosen = (english or locations or [None])[0]
        return chosen["Uri"] if chosen else None

    exact = [doc for doc in files.values() if attribute_registry and attribute_registry in (doc.get("Id"), doc.get("Registry"))]
    bios = [doc for doc in files.values() if "bios" in ("%s %s" % (doc.get("Id"), doc.get("Registry"))).lower()]
    for doc in exact + bios:
        uri = uri_of(doc)
        if uri:
            return uri
    return None


def enabled_value(name, entries, default):
    """The value that means Enabled for attribute ``name``: from the registry when it lists one."""
    for entry in entries:
        if entry.get("AttributeName") != name:
            continue
        if entry.get("Type") == "Boolean":
            return True
        for value in entry.get("Value") or []:
            words = (str(value.get("ValueName", "")).lower(), str(value.get("ValueDisplayName", "")).lower())
            if any(word in _ENABLED_WORDS for word in words):
                return value.get("ValueName")
    return default


def _cpu_matches(row, cpu_vendor):
    return row["cpu"] == "any" or not cpu_vendor or row["cpu"] == cpu_vendor


def _by_display_name(setting, attributes, entries):
    """Registry attributes whose DisplayName names ``setting`` and that the BIOS offers and accepts."""
    wanted = DISPLAY_NAMES[setting]
    found = []
    for entry in entries:
        display = re.sub(r"\s+", " ", str(entry.get("DisplayName") or "")).strip().lower()
        name = entry.get("AttributeName")
        if display in wanted and name in attributes and not entry.get("ReadOnly") and not entry.get("Immutable"):
            found.append(name)
    return found


def choose_attribute(setting, attributes, entries, vendor, cpu_vendor=None, override=None):
    """Name the BIOS attribute that turns ``setting`` on, and its enabled value.

    ``attributes``: the Bios resource's current ``Attributes``; ``entries``: the registry's
    attributes ([] when there is none); ``vendor``: a VENDORS row or None; ``cpu_vendor``:
    ``intel``, ``amd`` or None; ``override``: an attribute name a person gave.
    Returns ``{"setting", "attribute", "enabled", "found_by", "source"}``.
    Raises AttributeNotFoundError listing attribute names that look related.
    """
    def result(name, enabled, found_by, source):
        return {"setting": setting, "attribute": name, "enabled": enabled_value(name, entries, enabled),
                "found_by": found_by, "source": source}

    related = related_attributes(attributes, entries)
    if override:
        if override not in attributes:
            raise AttributeNotFoundError(
                "the BIOS has no attribute %r (given for %s)" % (override, setting), related)
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
        why = "the attribute registry names several (%s)" % ", ".join(by_display)
    elif vendor:
        why = "the %s rows of the table name none of its attributes" % vendor["vendor"]
    else:
        why = "the vendor is not in the table"
    if not entries:
        why += ", and the BMC offers no attribute registry to look up display names"
    if unverified:
        why += "; unverified candidates (check them on this BMC, then pass the name): %s" % ", ".join(unverified)
    raise AttributeNotFoundError("cannot tell which BIOS attribute is the %s switch: %s" % (setting, why), related)


def plan(current, pending, targets):
    """Compare what the BIOS has with what is wanted; decide what to PATCH.

    ``current``: the Bios ``Attributes``; ``pending``: the Bios/Settings ``Attributes`` ({} when
    none); ``targets``: choose_attribute results. Returns ``{"state", "settings", "patch"}`` where
    each setting's state is ``enabled`` (already on), ``pending`` (set, applies at the next reset)
    or ``to_set``; the overall state is the least advanced one.
    """
    settings = []
    patch = {}
    for target in targets:
        name = target["attribute"]
        wanted = target["enabled"]
        now = current.get(name)
        staged = pending.get(name) if isinstance(pending, dict) else None
        if now == wanted:
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
    return {"state": overall, "settings": settings, "patch": patch}


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
    if (power_state or "").lower() == "off":
        return ["On"]
    if reset == "power_cycle":
        return ["ForceOff", "On"]
    return [reset]


def cpu_vendor_of(system):
    """``intel``, ``amd`` or None from ComputerSystem ProcessorSummary.Model."""
    summary = system.get("ProcessorSummary") if isinstance(system, dict) else None
    model = str((summary or {}).get("Model") or "").lower()
    if "intel" in model or "xeon" in model:
        return "intel"
    if "amd" in model or "epyc" in model:
        return "amd"
    return None
