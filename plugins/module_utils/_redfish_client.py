# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to a BMC's Redfish service over HTTPS: GET, PATCH, POST with basic authentication.

Stdlib only (urllib, ssl). Every failure is a typed exception whose message says what a
person does next; the password never appears in one.
"""

import base64
import json
import socket
import ssl
import time

from ansible_collections.hypervisor.kvm.plugins.module_utils import _redfish
from ansible_collections.hypervisor.kvm.plugins.module_utils._redfish import RedfishError

from urllib.error import HTTPError, URLError
from urllib.request import HTTPSHandler, HTTPHandler, Request, build_opener

# A BMC answers a BIOS read in well under a megabyte; more is not a Redfish document.
MAX_BODY = 16 * 1024 * 1024


class AuthError(RedfishError):
    """The BMC refused the credentials (HTTP 401) or the account's rights (HTTP 403)."""


class UnreachableError(RedfishError):
    """No answer: connection refused, timed out, name not resolved, or TLS not trusted."""


class NotFoundError(RedfishError):
    """HTTP 404 for a resource the BMC linked or the standard names."""


def _error_text(body):
    """The ``error.message`` (and first extended message) of a Redfish error body, or ''."""
    try:
        error = json.loads(body.decode("utf-8", "replace")).get("error", {})
    except (ValueError, AttributeError):
        return ""
    parts = [str(error.get("message") or "")]
    for info in error.get("@Message.ExtendedInfo") or []:
        if isinstance(info, dict) and info.get("Message"):
            parts.append(str(info["Message"]))
            break
    return ": ".join(p for p in parts if p)[:500]


class Client(object):
    """One BMC: ``base`` is ``https://host[:port]``; requests carry HTTP basic authentication."""

    def __init__(self, base, username, password, validate_certs=True, ca_path=None, timeout=30):
        self.base = base.rstrip("/")
        self.timeout = timeout
        token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
        self._auth = "Basic " + token
        if self.base.startswith("https://"):
            context = ssl.create_default_context(cafile=ca_path) if validate_certs else ssl._create_unverified_context()
            if not validate_certs:
                context.check_hostname = False
            self._opener = build_opener(HTTPSHandler(context=context))
        else:
            self._opener = build_opener(HTTPHandler())

    def request(self, method, path, body=None):
        """Send one request; returns ``(status, document or None, headers)``. Raises typed errors."""
        url = path if path.startswith("http") else self.base + path
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = Request(url, data=data, method=method)
        req.add_header("Authorization", self._auth)
        req.add_header("Accept", "application/json")
        req.add_header("OData-Version", "4.0")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        where = "%s %s" % (method, url)
        try:
            response = self._opener.open(req, timeout=self.timeout)
            status = response.getcode()
            raw = response.read(MAX_BODY + 1)
            headers = dict(response.headers.items())
        except HTTPError as exc:
            detail = _error_text(exc.read(65536) if hasattr(exc, "read") else b"")
            if exc.code in (401, 403):
                raise AuthError(
                    "the BMC refused the credentials (HTTP %d on %s%s): check the BMC user name and password, "
                    "and that the account may change BIOS settings (Administrator or Operator role)"
                    % (exc.code, where, ": " + detail if detail else ""))
            if exc.code == 404:
                raise NotFoundError("HTTP 404 on %s%s" % (where, ": " + detail if detail else ""))
            raise RedfishError("HTTP %d on %s%s" % (exc.code, where, ": " + detail if detail else ""))
        except URLError as exc:
            reason = exc.reason
            if isinstance(reason, ssl.SSLError):
                raise UnreachableError(
                    "TLS failed on %s (%s): give the BMC certificate's CA with ca_path, or fix the BMC's "
                    "certificate; validate_certs=false only where the network is trusted" % (where, reason))
            raise UnreachableError(
                "the BMC does not answer (%s on %s): check the BMC address, that it is powered and on the "
                "management network, and that HTTPS (443) is reachable from the controller" % (reason, where))
        except (socket.timeout, OSError) as exc:
            raise UnreachableError(
                "the BMC does not answer (%s on %s after %ss): check the BMC address and the management "
                "network" % (exc, where, self.timeout))
        if len(raw) > MAX_BODY:
            raise RedfishError("the answer to %s is larger than %d bytes: not a Redfish document" % (where, MAX_BODY))
        if not raw.strip():
            return status, None, headers
        try:
            document = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise RedfishError("the answer to %s is not JSON: is this a Redfish service?" % where)
        return status, document, headers

    def get(self, path):
        """GET a Redfish resource; its JSON document (a dict)."""
        document = self.request("GET", path)[1]
        if not isinstance(document, dict):
            raise RedfishError("GET %s%s returned no JSON object" % (self.base, path))
        return document

    def patch(self, path, body):
        """PATCH a resource with a JSON body; returns the HTTP status."""
        return self.request("PATCH", path, body)[0]

    def post(self, path, body):
        """POST a JSON body (an action); returns the HTTP status."""
        return self.request("POST", path, body)[0]


def read_bios(client, system_id=None):
    """Read what deciding needs: the system, its Bios, pending settings and attribute registry.

    Returns ``{"system_uri", "system", "bios_uri", "bios", "settings_uri", "pending",
    "registry_entries", "registry"}``; ``registry`` says where the registry came from or why
    there is none. Raises typed errors (no Bios resource: NoBiosError).
    """
    root = client.get("/redfish/v1/")
    systems_uri = _redfish.odata_id(root, "Systems") or "/redfish/v1/Systems"
    members = _redfish.member_ids(client.get(systems_uri))
    # Only read every system when one must be found by Id or Name among several.
    systems = {}
    if system_id or len(members) > 1:
        for uri in members:
            systems[uri] = client.get(uri)
    system_uri = _redfish.choose_system(members, systems, system_id)
    system = systems.get(system_uri) or client.get(system_uri)
    bios_uri = _redfish.bios_uri(system)
    bios = client.get(bios_uri)
    settings_uri = _redfish.settings_uri(bios, bios_uri)
    try:
        pending = client.get(settings_uri).get("Attributes") or {}
    except NotFoundError:
        pending = {}
    entries, registry = [], "none: the Bios resource names no AttributeRegistry"
    name = bios.get("AttributeRegistry")
    if name:
        entries, registry = _read_registry(client, root, name)
    return {
        "system_uri": system_uri, "system": system, "bios_uri": bios_uri, "bios": bios,
        "settings_uri": settings_uri, "pending": pending if isinstance(pending, dict) else {},
        "registry_entries": entries, "registry": registry,
    }


def _read_registry(client, root, name):
    """The attribute registry's entries and a word on where they came from (best effort)."""
    registries_uri = _redfish.odata_id(root, "Registries") or "/redfish/v1/Registries"
    try:
        files = dict((uri, client.get(uri)) for uri in _redfish.member_ids(client.get(registries_uri)))
        location = _redfish.registry_location(files, name)
        if not location:
            return [], "none: %s is not among the BMC's registries" % name
        return _redfish.registry_entries(client.get(location)), location
    except (AuthError, UnreachableError):
        raise
    except RedfishError as exc:
        return [], "none: %s" % exc


def reset(client, system_uri, system, steps, timeout, poll=5.0):
    """Send ComputerSystem.Reset for each step, waiting for the power state each one leads to.

    Returns the list of steps sent. Raises RedfishError when the system does not reach the
    state within ``timeout`` seconds in total.
    """
    actions = system.get("Actions") or {}
    target = (actions.get("#ComputerSystem.Reset") or {}).get("target") or system_uri.rstrip("/") + "/Actions/ComputerSystem.Reset"
    deadline = time.time() + timeout
    for step in steps:
        client.post(target, {"ResetType": step})
        wanted = "Off" if step in ("ForceOff", "GracefulShutdown") else "On"
        while True:
            state = client.get(system_uri).get("PowerState")
            if state == wanted:
                break
            if time.time() >= deadline:
                raise RedfishError(
                    "after %s the system's PowerState is %s, not %s, %d s later: the reset did not come back; "
                    "look at the BMC's console and event log" % (step, state, wanted, timeout))
            time.sleep(poll)
    return steps


def wait_applied(client, bios_uri, names_values, timeout, poll=5.0):
    """Poll the Bios resource until every attribute has its wanted value; returns the attributes.

    Raises RedfishError naming what is still not applied when ``timeout`` seconds pass.
    """
    deadline = time.time() + timeout
    while True:
        current = client.get(bios_uri).get("Attributes") or {}
        missing = dict((k, current.get(k)) for k, v in names_values.items() if current.get(k) != v)
        if not missing:
            return current
        if time.time() >= deadline:
            raise RedfishError(
                "%d s after the reset the BIOS still reports %s: the firmware did not apply the pending "
                "setting; look at the BMC's job queue or event log, or power-cycle the server"
                % (timeout, ", ".join("%s=%s" % kv for kv in sorted(missing.items()))))
        time.sleep(poll)
