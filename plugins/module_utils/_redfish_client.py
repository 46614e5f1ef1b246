# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to a BMC's Redfish service over HTTPS: GET, PATCH, POST with basic authentication.

Stdlib only (urllib, ssl). Every failure is a typed exception whose message says what a
person does next; the password never appears in one.
"""

import base64
import json
import re
import socket
import ssl
import time

from ansible_collections.hypervisor.kvm.plugins.module_utils import _redfish
from ansible_collections.hypervisor.kvm.plugins.module_utils._redfish import RedfishError, clip

from http.client import HTTPException, InvalidURL
from urllib.error import HTTPError, URLError
from urllib.request import HTTPRedirectHandler, HTTPSHandler, HTTPHandler, Request, build_opener

# A BMC answers a BIOS read in well under a megabyte; more is not a Redfish document.
MAX_BODY = 16 * 1024 * 1024
# What a URL this client sends may hold: printable ASCII, no space (a BMC-given path is checked).
_URL_CHARS = re.compile(r"^[\x21-\x7e]+$")
# An ETag worth sending back in If-Match: printable ASCII, short.
_ETAG = re.compile(r"^[\x20-\x7e]{1,256}$")


class AuthError(RedfishError):
    """The BMC refused the credentials (HTTP 401) or the account's rights (HTTP 403)."""


class UnreachableError(RedfishError):
    """No answer: connection refused, timed out, name not resolved, or TLS not trusted."""


class NotFoundError(RedfishError):
    """HTTP 404 for a resource the BMC linked or the standard names."""


class PreconditionError(RedfishError):
    """HTTP 412 or 428: the BMC wants an If-Match with the resource's current ETag."""


class _NoRedirect(HTTPRedirectHandler):
    """Follow no redirect: urllib's would carry the Authorization header to wherever it points."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _error_text(body):
    """The ``error.message`` (and first extended message) of a Redfish error body, or ''."""
    try:
        document = json.loads(body.decode("utf-8", "replace"))
    except (ValueError, RecursionError):
        return ""
    error = document.get("error") if isinstance(document, dict) else None
    if not isinstance(error, dict):
        return clip(error, 200) if isinstance(error, str) else ""
    parts = [clip(str(error.get("message") or ""), 200)]
    infos = error.get("@Message.ExtendedInfo")
    for info in infos if isinstance(infos, list) else []:
        if isinstance(info, dict) and info.get("Message"):
            parts.append(clip(str(info["Message"]), 200))
            break
    return ": ".join(p for p in parts if p)


class Client(object):
    """One BMC: ``base`` is ``https://host[:port]``; requests carry HTTP basic authentication."""

    def __init__(self, base, username, password, validate_certs=True, ca_path=None, timeout=30):
        """``base`` as ``_redfish.base_url`` returns it; ``http://`` only when the caller allowed it."""
        self.base = base.rstrip("/")
        self.timeout = timeout
        token = base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")
        self._auth = "Basic " + token
        if self.base.startswith("https://"):
            try:
                context = ssl.create_default_context(cafile=ca_path) if validate_certs else ssl._create_unverified_context()
            except (OSError, ValueError) as exc:
                raise RedfishError("cannot read ca_path %r (%s): give a PEM file of CA certificates" % (ca_path, exc))
            if not validate_certs:
                context.check_hostname = False
            self._opener = build_opener(HTTPSHandler(context=context), _NoRedirect())
        else:
            self._opener = build_opener(HTTPHandler(), _NoRedirect())

    def url(self, path):
        """The URL for a path the standard names or the BMC gave: on this BMC, or RedfishError."""
        if isinstance(path, str) and path.startswith(self.base + "/"):
            url = path
        elif isinstance(path, str) and path.startswith("/"):
            url = self.base + path
        else:
            raise RedfishError(
                "the BMC links to %r, which is not a path on %s: it is not followed, so the credentials go "
                "nowhere else; look at the BMC's firmware or its proxy" % (clip(path, 120), self.base))
        if not _URL_CHARS.match(url):
            raise RedfishError(
                "the BMC links to %r, which holds spaces, control or non-ASCII characters: not a Redfish "
                "path; look at the BMC's firmware" % clip(path, 120))
        return url

    def request(self, method, path, body=None, headers=None):
        """Send one request; returns ``(status, document or None, headers)`` with header names in
        lower case. Follows no redirect. Raises typed errors."""
        url = self.url(path)
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = Request(url, data=data, method=method)
        req.add_header("Authorization", self._auth)
        req.add_header("Accept", "application/json")
        req.add_header("OData-Version", "4.0")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            req.add_header(name, value)
        where = "%s %s" % (method, clip(url, 160))
        try:
            response = self._opener.open(req, timeout=self.timeout)
            status = response.getcode()
            raw = response.read(MAX_BODY + 1)
            headers = dict((k.lower(), v) for k, v in response.headers.items())
        except HTTPError as exc:
            try:
                detail = _error_text(exc.read(65536))
            except (OSError, HTTPException, ValueError):
                detail = ""
            if 300 <= exc.code < 400:
                raise RedfishError(
                    "the BMC answered %s with a redirect (HTTP %d) to %r, which was not followed, so the "
                    "credentials go nowhere else: give that address as bmc_address if it is the BMC"
                    % (where, exc.code, clip((exc.headers or {}).get("Location") or "nowhere", 120)))
            if exc.code in (412, 428):
                raise PreconditionError("HTTP %d on %s%s" % (exc.code, where, ": " + detail if detail else ""))
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
        except InvalidURL as exc:
            raise RedfishError("cannot send %s (%s): check bmc_address" % (where, clip(str(exc), 120)))
        except HTTPException as exc:
            raise UnreachableError(
                "the answer to %s is not HTTP (%s: %s): check that bmc_address names the BMC's Redfish "
                "(HTTPS) port, and the BMC itself" % (where, type(exc).__name__, clip(str(exc), 120)))
        except ValueError as exc:
            # ssl.CertificateError is a ValueError on Python 3.6; the rest is a URL urllib refuses.
            if isinstance(exc, ssl.CertificateError):
                raise UnreachableError(
                    "TLS failed on %s (%s): give the BMC certificate's CA with ca_path, or fix the BMC's "
                    "certificate; validate_certs=false only where the network is trusted" % (where, exc))
            raise RedfishError("cannot send %s (%s): check bmc_address" % (where, clip(str(exc), 120)))
        if len(raw) > MAX_BODY:
            raise RedfishError("the answer to %s is larger than %d bytes: not a Redfish document" % (where, MAX_BODY))
        if not raw.strip():
            return status, None, headers
        try:
            document = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise RedfishError("the answer to %s is not JSON: is this a Redfish service?" % where)
        return status, document, headers

    def get(self, path):
        """GET a Redfish resource; its JSON document (a dict)."""
        return self.get_with_etag(path)[0]

    def get_with_etag(self, path):
        """GET a Redfish resource; ``(document, etag)``, the ETag from the header, else the
        document's ``@odata.etag``, None when neither is a plain short string."""
        status, document, headers = self.request("GET", path)
        if not isinstance(document, dict):
            raise RedfishError("GET %s returned no JSON object" % clip(self.url(path), 160))
        etag = headers.get("etag") or document.get("@odata.etag")
        return document, etag if isinstance(etag, str) and _ETAG.match(etag) else None

    def patch(self, path, body, etag=None):
        """PATCH a resource with a JSON body, with If-Match when ``etag`` is given; returns
        ``(status, document or None)``."""
        status, document = self.request("PATCH", path, body, {"If-Match": etag} if etag else None)[:2]
        return status, document

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
    if not isinstance(bios.get("Attributes"), dict):
        raise RedfishError(
            "the Bios resource %s has no Attributes object: this BMC does not expose BIOS settings through "
            "Redfish as the standard says; turn virtualization on at the console, or update the BMC firmware"
            % clip(bios_uri, 120))
    settings_uri = _redfish.settings_uri(bios, bios_uri)
    try:
        settings, etag = client.get_with_etag(settings_uri)
        pending = settings.get("Attributes")
    except NotFoundError:
        pending, etag = {}, None
    entries, registry = [], "none: the Bios resource names no AttributeRegistry"
    name = bios.get("AttributeRegistry")
    if isinstance(name, str) and name:
        entries, registry = _read_registry(client, root, name)
    return {
        "system_uri": system_uri, "system": system, "bios_uri": bios_uri, "bios": bios,
        "settings_uri": settings_uri, "pending": pending if isinstance(pending, dict) else {},
        "settings_etag": etag, "registry_entries": entries, "registry": registry,
    }


def _read_registry(client, root, name):
    """The attribute registry's entries and a word on where they came from (best effort).

    Reads only the registry files whose name matches the Bios ``AttributeRegistry`` (or says
    ``bios``); a file that fails to load is skipped.
    """
    registries_uri = _redfish.odata_id(root, "Registries") or "/redfish/v1/Registries"
    try:
        files = {}
        for uri in _redfish.registry_candidates(_redfish.member_ids(client.get(registries_uri)), name):
            try:
                files[uri] = client.get(uri)
            except UnreachableError:
                raise
            except RedfishError:
                continue
        location = _redfish.registry_location(files, name)
        if not location:
            return [], "none: %s is not among the BMC's registries" % clip(name)
        return _redfish.registry_entries(client.get(location)), clip(location, 160)
    except (AuthError, UnreachableError):
        raise
    except RedfishError as exc:
        return [], "none: %s" % exc


def set_pending(client, settings_uri, body, etag=None):
    """PATCH Bios/Settings, with If-Match when the BMC gave an ETag; returns the HTTP status.

    On 412 or 428 (stale or missing If-Match) reads the ETag again and tries once more (with
    ``*`` when the BMC still gives none). Raises RedfishError when the BMC answers with success
    but lists the attributes it refused (``_redfish.patch_refusals``).
    """
    try:
        status, answer = client.patch(settings_uri, body, etag)
    except PreconditionError:
        fresh = client.get_with_etag(settings_uri)[1]
        try:
            status, answer = client.patch(settings_uri, body, fresh or "*")
        except PreconditionError as exc:
            raise RedfishError(
                "%s, again with the ETag read just before: another change to the BIOS settings may be under "
                "way; look at the BMC's job queue, then run again" % exc)
    refused = _redfish.patch_refusals(answer)
    if refused:
        raise RedfishError(
            "the BMC answered the PATCH of %s with HTTP %d but did not take it: %s; nothing is pending: "
            "check the attribute and its value on this BMC" % (clip(settings_uri, 120), status, "; ".join(refused)))
    return status


def reset(client, system_uri, system, steps, timeout, poll=5.0):
    """Send ComputerSystem.Reset for each step, waiting for the power state each one leads to.

    Returns the list of steps sent. Raises RedfishError when the system does not reach the
    state within ``timeout`` seconds in total.
    """
    actions = system.get("Actions")
    action = actions.get("#ComputerSystem.Reset") if isinstance(actions, dict) else None
    target = action.get("target") if isinstance(action, dict) else None
    if not isinstance(target, str) or not target:
        target = system_uri.rstrip("/") + "/Actions/ComputerSystem.Reset"
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
                    "look at the BMC's console and event log" % (step, clip(state), wanted, timeout))
            time.sleep(poll)
    return steps


def wait_applied(client, bios_uri, names_values, timeout, poll=5.0):
    """Poll the Bios resource until every attribute has its wanted value; returns the attributes.

    Raises RedfishError naming what is still not applied when ``timeout`` seconds pass.
    """
    deadline = time.time() + timeout
    while True:
        current = client.get(bios_uri).get("Attributes")
        current = current if isinstance(current, dict) else {}
        missing = dict((k, current.get(k)) for k, v in names_values.items() if current.get(k) != v)
        if not missing:
            return current
        if time.time() >= deadline:
            raise RedfishError(
                "%d s after the reset the BIOS still reports %s: the firmware did not apply the pending "
                "setting; look at the BMC's job queue or event log, or power-cycle the server"
                % (timeout, _redfish.listing("%s=%s" % (clip(k), clip(v)) for k, v in sorted(missing.items()))))
        time.sleep(poll)
