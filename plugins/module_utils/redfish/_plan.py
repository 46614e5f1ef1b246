# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run of kvm_firmware_bios: read the BMC, decide, change, and say so in one line.

``decide`` is pure: from what ``_client.read_bios`` read and the module's options it names the
attributes, what to PATCH and which resets apply it. ``check_mode_result`` and ``enable`` put
that in words; ``enable`` also sends what was decided through ``_client`` (PATCH, reset, polls);
``failure`` is the message of a run that stopped. The module only calls them.
"""

from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish import _client, _decisions
from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish._decisions import RedfishError, clip, listing


def pairs_text(rows):
    """``attribute=value`` of each setting row, for a message (BMC-given names cut)."""
    return listing("%s=%s" % (clip(row["attribute"]), clip(row["enabled"])) for row in rows)


def to_set_text(rows):
    """The rows to PATCH, saying which are on now but would be turned off by a pending value."""
    return ", ".join(
        "%s=%s" % (clip(row["attribute"]), clip(row["enabled"]))
        + (" again (the pending %s would turn it off at the next reset)" % clip(row["pending"])
           if row["current"] == row["enabled"] else "")
        for row in rows)


def shown_row(row):
    """A settings row for the result, the values the BMC gave cut to a readable length."""
    row = dict(row)
    for key in ("attribute", "enabled", "current", "pending"):
        row[key] = clip(row[key])
    return row


def secrets(options):
    """What the result must never show: the password in ``bmc_address`` and every form of the
    credentials (for AnsibleModule.no_log_values)."""
    return _decisions.address_secrets(options["bmc_address"]) + _client.secrets_of(options["username"], options["password"])


def client_for(options):
    """The ``_client.Client`` for the module's options, once they are checked; RedfishError
    (nothing sent) when an option is out of bounds or the address is not one."""
    _decisions.check_options(options)
    base = _decisions.base_url(options["bmc_address"], options["validate_certs"])
    return _client.Client(base, options["username"], options["password"], options["validate_certs"],
                          options["ca_path"], options["timeout"])


def decide(bios_read, options):
    """What this run does, from what ``_client.read_bios`` returned and the module's options.

    Returns ``{"vendor", "targets", "settings", "patch", "state", "reset_needed", "not_on",
    "steps", "will_reset"}``: the VENDORS row (or None), the choose_attribute results, the
    settings rows and PATCH of ``_decisions.plan``, the rows the running BIOS does not have on
    (only those need a reset), the ComputerSystem.Reset types that apply them and whether this
    run sends them. Raises AttributeNotFoundError (with the system's Manufacturer) and
    UncertainValueError as the decisions do.
    """
    system, current = bios_read["system"], bios_read["bios"]["Attributes"]
    vendor = _decisions.vendor_row(system.get("Manufacturer"), options["vendor"])
    cpu_vendor = _decisions.cpu_vendor_of(system)
    wanted = [("virtualization", options["attribute"])]
    if options["iommu"]:
        wanted.append(("iommu", options["iommu_attribute"]))
    try:
        targets = [_decisions.choose_attribute(setting, current, bios_read["registry_entries"], vendor, cpu_vendor, name)
                   for setting, name in wanted]
    except _decisions.AttributeNotFoundError as exc:
        exc.manufacturer = system.get("Manufacturer")
        raise
    comparison = _decisions.plan(current, bios_read["pending"], targets)
    not_on = [row for row in comparison["settings"] if row["current"] != row["enabled"]]
    reset_type = options["reset_type"]
    if reset_type == "auto":
        reset_type = (vendor or {}).get("reset", "ForceRestart")
    steps = _decisions.reset_steps(system.get("PowerState"), reset_type) if not_on else []
    return {
        "vendor": vendor, "targets": targets, "settings": comparison["settings"], "patch": comparison["patch"],
        "state": comparison["state"], "reset_needed": comparison["reset_needed"], "not_on": not_on,
        "steps": steps, "will_reset": bool(not_on) and options["reset"],
    }


def first_result(bios_read, decision):
    """The result before anything is sent: the system, the registry, the settings as read."""
    system, vendor = bios_read["system"], decision["vendor"]
    return {
        "changed": False, "settings": [shown_row(row) for row in decision["settings"]], "patched": {}, "reset": [],
        "registry": bios_read["registry"], "state": decision["state"],
        "system": {"uri": clip(bios_read["system_uri"], 160), "manufacturer": clip(system.get("Manufacturer")),
                   "vendor": vendor["vendor"] if vendor else None, "power_state": clip(system.get("PowerState"))},
    }


def check_mode_result(decision):
    """What check mode reports: the state, what it would PATCH and reset, and the sentence."""
    rows, patch, not_on, will_reset = decision["settings"], decision["patch"], decision["not_on"], decision["will_reset"]
    sentences = ["would set %s" % to_set_text([row for row in rows if row["state"] == "to_set"])] if patch else []
    already_pending = [row for row in rows if row["state"] == "pending"]
    if already_pending:
        sentences.append("%s already pending" % pairs_text(already_pending))
    if will_reset:
        sentences.append("would reset (%s) to apply %s" % (", ".join(decision["steps"]), pairs_text(not_on)))
    elif not_on:
        sentences.append("%s then needs a power cycle (reset: true applies it)" % pairs_text(not_on))
    else:
        sentences.append("no reset needed: the running BIOS has it on")
    return {
        "state": "would_set" if patch else "would_reset" if will_reset else "pending",
        "changed": bool(patch) or will_reset, "patched": clip(patch),
        "reset": decision["steps"] if will_reset else [], "msg": "check mode: %s" % "; ".join(sentences),
    }


def enable(client, options, check_mode=False):
    """Read the BMC, decide, and (unless ``check_mode``) PATCH the pending value and reset as
    the options ask; returns the module's result. Raises typed RedfishErrors (``failure``)."""
    client.until(_client.READ_TIMEOUTS * client.timeout)
    bios_read = _client.read_bios(client, options["system_id"])
    decision = decide(bios_read, options)
    rows, patch, not_on = decision["settings"], decision["patch"], decision["not_on"]
    result = first_result(bios_read, decision)
    if not patch and not decision["reset_needed"]:
        result["msg"] = "already enabled in the BIOS: %s" % pairs_text(rows)
        return result
    if check_mode:
        result.update(check_mode_result(decision))
        return result
    sent = {}
    if patch:
        _client.set_pending(client, bios_read["settings_uri"], _decisions.patch_body(patch, decision["vendor"]),
                            bios_read["settings_etag"])
        sent = patch
        result.update(changed=True, patched=clip(patch), state="pending")
    if not not_on:
        result.update(state="enabled", msg="already enabled in the BIOS: %s; set %s" % (
            pairs_text(rows), to_set_text([row for row in rows if row["state"] == "to_set"])))
        return result
    result["state"] = "pending"
    names = pairs_text(not_on)
    if not options["reset"]:
        result["msg"] = "%s pending: needs a power cycle (reset: true applies it)" % names
        return result
    # A reset applies only what is pending: never one for a value this run had to send and did not.
    unsent = [row["attribute"] for row in not_on if row["state"] != "pending" and row["attribute"] not in sent]
    if unsent:
        raise RedfishError("%s was not sent, so the system was not reset" % listing(unsent))
    steps = decision["steps"]
    try:
        result["reset"] = _client.reset(client, bios_read["system_uri"], bios_read["system"], steps,
                                        options["reset_timeout"], options["poll_interval"])
        result["changed"] = True
        if options["wait_applied"]:
            _client.wait_applied(client, bios_read["bios_uri"],
                                 dict((target["attribute"], target["enabled"]) for target in decision["targets"]),
                                 options["reset_timeout"], options["poll_interval"])
    except RedfishError as exc:
        raise RedfishError("%s is pending in the BIOS, and then %s" % (names, exc))
    if options["wait_applied"]:
        result.update(state="applied", msg="%s applied after %s" % (names, ", ".join(steps)))
    else:
        result.update(state="reset", msg="%s set and the system reset (%s); the BIOS was not polled (wait_applied: false)"
                      % (names, ", ".join(steps)))
    return result


def failure(client, error):
    """The failure result (``msg``, and ``related``/``bios_attributes`` when no attribute could be
    named) of a run that stopped on ``error``, the credentials masked."""
    base = client.base
    if isinstance(error, _decisions.AttributeNotFoundError):
        shown = {"related": clip(error.related)}
        if not error.related:
            shown["bios_attributes"] = clip(error.names, items=_decisions.NAMES_SHOWN)
        shown["msg"] = client.scrub(
            "BMC %s (Manufacturer %r): %s. Nothing was changed. %s; check which one it is on this BMC and name it "
            "with attribute (iommu_attribute), or give vendor for a rebranded server."
            % (base, clip(error.manufacturer), error, _decisions.related_text(error)))
        return shown
    if isinstance(error, _decisions.UncertainValueError):
        return {"msg": client.scrub(
            "BMC %s: %s. Nothing was changed: no PATCH and no reset were sent; look at the attribute and its "
            "registry entry on this BMC, and set it at the console if the BMC cannot say it." % (base, error))}
    return {"msg": client.scrub("BMC %s: %s." % (base, error))}
