# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Talking to a BMC's Redfish service over HTTPS: GET, PATCH, POST with basic authentication.

The transport is Ansible's (``ansible.module_utils.urls.Request``), so TLS (``validate_certs``,
``ca_path``, ciphers) behaves as in every other module; no proxy from the environment is used and
no redirect is followed. What is ours: links the BMC gives are followed only on the BMC itself,
every request has one deadline (connection, headers and body), every answer a size cap by the
kind of document asked for, and every failure is a typed exception whose message says what a
person does next; the credentials never appear in one (``Client.scrub``).
"""

import base64
import json
import re
import signal
import socket
import ssl
import threading
import time

from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish import _decisions
from ansible_collections.hypervisor.kvm.plugins.module_utils.redfish._decisions import RedfishError, clip

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, make_context

from http.client import HTTPException, InvalidURL
from urllib.error import HTTPError, URLError
from urllib.parse import quote

# Bytes read of each kind of document before it is refused: systems, Bios and settings are a few
# KB to a few hundred KB on real BMCs; attribute registries are the big ones (a few MB).
MAX_BYTES = {
    "collection": 1 << 20,
    "system": 1 << 20,
    "bios": 2 << 20,
    "settings": 2 << 20,
    "registry_file": 256 << 10,
    "registry": 8 << 20,
    "answer": 256 << 10,
}
# Of an error answer only the message is shown: the rest is not read.
MAX_ERROR_BODY = 64 << 10
# How a body is read: chunk by chunk, the deadline checked before each.
CHUNK = 64 << 10
# Members of /redfish/v1/Systems read to find system_id by Id or Name (a URI segment needs none).
MAX_SYSTEMS = 32
# Reading the BMC and sending the PATCH: at most this many times ``timeout`` in all.
READ_TIMEOUTS = 10
# Longest wait between two polls after a transient error (503, no answer).
MAX_BACKOFF = 60
# What a URL this client sends may hold: printable ASCII, no space (a BMC-given path is checked).
_URL_CHARS = re.compile(r"^[\x21-\x7e]+$")
# An ETag worth sending back in If-Match: printable ASCII, short.
_ETAG = re.compile(r"^[\x20-\x7e]{1,256}$")
_MASK = "********"


class AuthError(RedfishError):
    """The BMC refused the credentials (HTTP 401) or the account's rights (HTTP 403)."""


class UnreachableError(RedfishError):
    """No answer: connection refused, timed out, name not resolved, or TLS not trusted."""


class TransientError(RedfishError):
    """HTTP 429 or 5xx: the BMC is busy or restarting; a poll may try again."""


class OutcomeUnknownError(RedfishError):
    """A PATCH or POST reached the BMC (or may have) and no complete answer came back."""


class NotFoundError(RedfishError):
    """HTTP 404 for a resource the BMC linked or the standard names."""


class PreconditionError(RedfishError):
    """HTTP 412 or 428: the BMC wants an If-Match with the resource's current ETag."""


class TooLargeError(RedfishError):
    """An answer larger than MAX_BYTES allows for its kind of document."""


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


class _Deadline(object):
    """The end of one request, kept from connecting to the answer's last byte.

    urllib gives each socket operation the whole timeout, so a BMC that trickles its headers a
    byte at a time would hold the run for ever: in the main thread an interval timer (SIGALRM)
    raises socket.timeout at ``end``. Elsewhere (no signal is handled there), or when a timer
    is already running, only the per-operation timeout and the body's checks (_read_before) hold.
    """

    def __init__(self, end):
        self.end = end
        self._previous = None
        self._armed = False

    @staticmethod
    def _expired(_signum, _frame):
        raise socket.timeout("timed out")

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() and signal.getitimer(signal.ITIMER_REAL)[0] == 0:
            self._previous = signal.signal(signal.SIGALRM, self._expired)
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, max(self.end - time.monotonic(), 0.001))
        return self

    def __exit__(self, *_exc_info):
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous if self._previous is not None else signal.SIG_DFL)
            self._armed = False
        return False


def _socket_of(response):
    """The socket an http.client response (or the HTTPError carrying one) reads from, or None."""
    if isinstance(response, HTTPError):
        response = response.fp
    return getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)


def _read_before(response, size, end):
    """Up to ``size`` bytes of ``response``, the socket given only the time left before ``end``."""
    left = end - time.monotonic()
    if left <= 0:
        raise socket.timeout("timed out")
    sock = _socket_of(response)
    if sock is not None:
        sock.settimeout(left)
    return response.read(size)


def _read_capped(response, cap, end):
    """The body, read in chunks before ``end``; TooLargeError past ``cap`` bytes (a Content-Length
    says so early)."""
    length = response.headers.get("Content-Length")
    if length and length.strip().isdigit() and int(length) > cap:
        raise TooLargeError("announces %s bytes" % length.strip())
    chunks, size = [], 0
    while True:
        chunk = _read_before(response, min(CHUNK, cap + 1 - size), end)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            raise TooLargeError("sends more than %d bytes" % cap)


def _basic_token(username, password):
    """The HTTP basic-authentication token of ``username`` and ``password``."""
    return base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")


def secrets_of(username, password):
    """The forms of the credentials a BMC may echo: the password, ``user:password``, their
    percent-encoded forms and the basic-auth token; longest first, empty ones left out."""
    pair = "%s:%s" % (username, password)
    found = set([password, pair, _basic_token(username, password), quote(password, safe=""), quote(pair, safe=":")])
    return sorted((s for s in found if s), key=len, reverse=True)


class Client(object):
    """One BMC: ``base`` is ``https://host[:port]``; requests carry HTTP basic authentication.

    ``deadline`` (time.monotonic(), None for none) bounds every request besides ``timeout``: the
    caller sets it per phase of its work with ``until()``.
    """

    def __init__(self, base, username, password, validate_certs=True, ca_path=None, timeout=30):
        """``base`` as ``_decisions.base_url`` returns it; ``http://`` only when the caller allowed it."""
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.deadline = None
        self.allowed = None
        self.secrets = secrets_of(username, password)
        self.username, self.password = username, password
        self.validate_certs = validate_certs
        # Without validation ansible-core 2.16 would still open ca_path: it is given only to check against.
        self.ca_path = ca_path if validate_certs else None
        try:
            # Ansible's own TLS context, built once: reading the system's CA certificates takes a
            # tenth of a second, which every request of a run would pay again.
            context = make_context(cafile=self.ca_path, validate_certs=validate_certs)
        except (OSError, ValueError) as exc:
            raise RedfishError("cannot read ca_path %r (%s): give a PEM file of CA certificates" % (ca_path, exc))
        try:
            self._request = Request(context=context)
        except TypeError:
            # ansible-core 2.16 takes no context: it builds one per request from the same options.
            self._request = Request()

    def until(self, seconds):
        """Every request from now on ends within ``seconds``; returns the deadline."""
        self.allowed = seconds
        self.deadline = time.monotonic() + seconds
        return self.deadline

    def scrub(self, text):
        """``text`` with every form of the credentials masked."""
        for secret in self.secrets:
            text = text.replace(secret, _MASK)
        return text

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

    def _open(self, method, url, data, headers, timeout):
        """One request through Ansible's urls: basic authentication sent at once, Ansible's TLS
        settings, no proxy, no redirect followed (it comes back as an HTTPError), the body as sent."""
        return self._request.open(
            method, url, data=data, headers=headers, use_proxy=False, timeout=timeout,
            validate_certs=self.validate_certs, ca_path=self.ca_path, url_username=self.username,
            url_password=self.password, force_basic_auth=True, follow_redirects="none", decompress=False)

    def request(self, method, path, body=None, headers=None, kind="answer"):
        """Send one request; returns ``(status, document or None, headers)`` with header names in
        lower case. Connection, sending and the whole answer end within ``timeout`` (and before
        ``deadline``); the body is refused past MAX_BYTES[kind]. Follows no redirect. Raises
        typed errors: a PATCH or POST cut off after it was sent, or answered with success and a body
        that cannot be read, is OutcomeUnknownError."""
        url = self.url(path)
        data = json.dumps(body).encode("utf-8") if body is not None else None
        sending = {"Accept": "application/json", "OData-Version": "4.0"}
        if data is not None:
            sending["Content-Type"] = "application/json"
        sending.update(headers or {})
        where = "%s %s" % (method, clip(url, 160))
        started = time.monotonic()
        end = started + self.timeout if self.deadline is None else min(started + self.timeout, self.deadline)
        if end - started <= 0:
            raise UnreachableError("%s was not sent: the %s s this part of the run allows had passed" % (where, self.allowed))
        response, status = None, None
        try:
            with _Deadline(end):
                try:
                    response = self._open(method, url, data, sending, end - started)
                    status = response.status
                except HTTPError as exc:
                    # Every answer but a 2xx, redirects included, comes back as an HTTPError.
                    response, status = exc, exc.code
                if status < 200:
                    # An interim answer (102, 103) passed on as the answer: it says nothing of the outcome.
                    raise HTTPException("an interim answer (HTTP %d) and no final one" % status)
                answer_headers = dict((k.lower(), v) for k, v in response.headers.items())
                if status >= 300:
                    has_body = status >= 400 and getattr(response, "fp", None) is not None
                    raw = _read_before(response, MAX_ERROR_BODY, end) if has_body else b""
                else:
                    raw = _read_capped(response, MAX_BYTES[kind], end)
        except TooLargeError as exc:
            raise self._taken(method, status, TooLargeError(
                "the answer to %s %s, more than the %d bytes a %s document may have here: not a Redfish document "
                "this module reads; look at the BMC's firmware" % (where, exc, MAX_BYTES[kind], kind.replace("_", " "))))
        except (OSError, HTTPException, ValueError, UrlsConnectionError) as exc:
            raise self._failure(exc, where, method, end)
        finally:
            # An HTTPError without an answer to read has nothing to close (and no close of its own).
            if getattr(response, "fp", None) is not None:
                response.close()
        try:
            return self._answer(status, raw, answer_headers, where)
        except RedfishError as exc:
            raise self._taken(method, status, exc)

    def _taken(self, method, status, error):
        """``error`` for an answer that cannot be read; for a PATCH or POST the BMC answered with
        success (HTTP 2xx) OutcomeUnknownError, since it may have taken it."""
        if method == "GET" or not 200 <= status < 300:
            return error
        return OutcomeUnknownError("%s; the BMC answered HTTP %d, so it may have taken it: sent, outcome unknown"
                                   % (error, status))

    def _failure(self, exc, where, method, end):
        """The typed error for a request that got no complete answer. urllib wraps in a URLError
        what failed before the request was sent whole (connection, TLS, sending): only then was
        a PATCH or POST certainly not sent."""
        sent = not isinstance(exc, URLError)
        if isinstance(exc, URLError) and isinstance(exc.reason, BaseException):
            exc = exc.reason
        late = time.monotonic() >= end or isinstance(exc, socket.timeout)
        cut = self.deadline is not None and end >= self.deadline
        if late and cut:
            why = "no complete answer before the end of the %s s this part of the run allows" % self.allowed
        elif late:
            why = "no complete answer within %s s" % self.timeout
        else:
            why = "%s: %s" % (type(exc).__name__, clip(str(exc), 120))
        if sent and method != "GET":
            return OutcomeUnknownError(
                "%s was sent and %s: sent, outcome unknown" % (where, why if late else "the connection failed (%s)" % why))
        if isinstance(exc, (ssl.SSLError, ssl.CertificateError)) and not late:
            return UnreachableError(
                "TLS failed on %s (%s): give the BMC certificate's CA with ca_path, or fix the BMC's "
                "certificate; validate_certs=false only where the network is trusted" % (where, clip(str(exc), 160)))
        if isinstance(exc, InvalidURL) or (isinstance(exc, ValueError) and not isinstance(exc, OSError)):
            return RedfishError("cannot send %s (%s): check bmc_address" % (where, clip(str(exc), 120)))
        if isinstance(exc, HTTPException) and not late:
            return UnreachableError(
                "the answer to %s is not HTTP (%s): check that bmc_address names the BMC's Redfish "
                "(HTTPS) port, and the BMC itself" % (where, why))
        return UnreachableError(
            "the BMC does not answer (%s on %s, timeout %s s): check the BMC address, that it is powered and on "
            "the management network, and that HTTPS (443) is reachable from the controller" % (why, where, self.timeout))

    def _answer(self, status, raw, headers, where):
        """``(status, document or None, headers)`` of a complete answer, or its typed error."""
        if 300 <= status < 400:
            raise RedfishError(
                "the BMC answered %s with a redirect (HTTP %d) to %r, which was not followed, so the "
                "credentials go nowhere else: give that address as bmc_address if it is the BMC"
                % (where, status, clip(headers.get("location") or "nowhere", 120)))
        if status >= 400:
            detail = self.scrub(_error_text(raw))
            said = "HTTP %d on %s%s" % (status, where, ": " + detail if detail else "")
            if status in (412, 428):
                raise PreconditionError(said)
            if status in (401, 403):
                raise AuthError(
                    "the BMC refused the credentials (%s): check the BMC user name and password, and that the "
                    "account may change BIOS settings (Administrator or Operator role)" % said)
            if status == 404:
                raise NotFoundError(said)
            if status == 429 or status >= 500:
                raise TransientError(said)
            raise RedfishError(said)
        if not raw.strip():
            return status, None, headers
        # http.client asks for Accept-Encoding: identity; a gzip body would read as garbage, not as JSON.
        encoding = (headers.get("content-encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise RedfishError("the answer to %s is %s-encoded, which was not asked for (Accept-Encoding: identity): "
                               "look at the BMC's firmware, or a proxy in front of it" % (where, clip(encoding)))
        try:
            document = json.loads(raw.decode("utf-8"))
        except (ValueError, RecursionError):
            raise RedfishError("the answer to %s is not JSON: is this a Redfish service?" % where)
        return status, document, headers

    def get(self, path, kind):
        """GET a Redfish resource of a kind of MAX_BYTES; its JSON document (a dict)."""
        return self.get_with_etag(path, kind)[0]

    def get_with_etag(self, path, kind):
        """GET a Redfish resource; ``(document, etag)``, the ETag from the header, else the
        document's ``@odata.etag``, None when neither is a plain short string."""
        status, document, headers = self.request("GET", path, kind=kind)
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


def _poll(client, path, kind, deadline, poll):
    """GET ``path`` as a poll: a transient error (HTTP 429/5xx, no answer) is tried again after a
    growing wait (``poll`` doubled, at most MAX_BACKOFF s) until ``deadline``, then raised."""
    wait = poll
    while True:
        try:
            return client.get(path, kind)
        except (TransientError, UnreachableError):
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            time.sleep(min(wait, left))
            wait = min(wait * 2, MAX_BACKOFF)


def _find_system(client, members, system_id):
    """``(uri, summary or None)`` of the computer system to use: ``system_id`` as a URI (segment) reads
    nothing; as an Id or Name it reads members one by one, at most MAX_SYSTEMS, until one matches."""
    if not system_id or _decisions.system_by_uri(members, system_id):
        return _decisions.choose_system(members, {}, system_id), None
    if len(members) > MAX_SYSTEMS:
        raise _decisions.NoSystemError(
            "the BMC lists %d computer systems and none whose URI ends in system_id %r; finding it by Id or Name "
            "would read more than the %d systems this module reads: give system_id as the last part of its URI "
            "(%s)" % (len(members), clip(system_id), MAX_SYSTEMS, _decisions.listing(members)))
    systems = {}
    for uri in members:
        systems[uri] = _decisions.system_summary(client.get(uri, "system"))
        if system_id in (systems[uri].get("Id"), systems[uri].get("Name")):
            return uri, systems[uri]
    return _decisions.choose_system(members, systems, system_id), None


def read_bios(client, system_id=None):
    """Read what deciding needs: the system, its Bios, pending settings and attribute registry.

    Returns ``{"system_uri", "system", "bios_uri", "bios", "settings_uri", "pending",
    "settings_etag", "registry_entries", "registry"}``, each document cut to the fields used;
    ``registry`` says where the registry came from or why there is none. At most MAX_SYSTEMS + 11
    requests. Raises typed errors (no Bios resource: NoBiosError).
    """
    root = client.get("/redfish/v1/", "collection")
    systems_uri = _decisions.odata_id(root, "Systems") or "/redfish/v1/Systems"
    registries_uri = _decisions.odata_id(root, "Registries") or "/redfish/v1/Registries"
    members = _decisions.member_ids(client.get(systems_uri, "collection"))
    system_uri, system = _find_system(client, members, system_id)
    system = system or _decisions.system_summary(client.get(system_uri, "system"))
    bios_uri = _decisions.bios_uri(system)
    bios = _decisions.bios_summary(client.get(bios_uri, "bios"))
    if not isinstance(bios.get("Attributes"), dict):
        raise RedfishError(
            "the Bios resource %s has no Attributes object: this BMC does not expose BIOS settings through "
            "Redfish as the standard says; turn virtualization on at the console, or update the BMC firmware"
            % clip(bios_uri, 120))
    settings_uri = _decisions.settings_uri(bios, bios_uri)
    try:
        settings, etag = client.get_with_etag(settings_uri, "settings")
        pending = _decisions.settings_summary(settings).get("Attributes")
    except NotFoundError:
        pending, etag = {}, None
    entries, registry = [], "none: the Bios resource names no AttributeRegistry"
    name = bios.get("AttributeRegistry")
    if isinstance(name, str) and name:
        entries, registry = _read_registry(client, registries_uri, name)
    return {
        "system_uri": system_uri, "system": system, "bios_uri": bios_uri, "bios": bios,
        "settings_uri": settings_uri, "pending": pending if isinstance(pending, dict) else {},
        "settings_etag": etag, "registry_entries": entries, "registry": registry,
    }


def _read_registry(client, registries_uri, name):
    """The attribute registry's entries and a word on where they came from (best effort).

    Reads only the registry files whose name matches the Bios ``AttributeRegistry`` (or says
    ``bios``), at most five; a file that fails to load is skipped, a registry too large is none.
    """
    try:
        files = {}
        for uri in _decisions.registry_candidates(_decisions.member_ids(client.get(registries_uri, "collection")), name):
            try:
                files[uri] = _decisions.registry_file_summary(client.get(uri, "registry_file"))
            except UnreachableError:
                raise
            except RedfishError:
                continue
        location = _decisions.registry_location(files, name)
        if not location:
            return [], "none: %s is not among the BMC's registries" % clip(name)
        return _decisions.registry_entries(client.get(location, "registry")), clip(location, 160)
    except (AuthError, UnreachableError):
        raise
    except RedfishError as exc:
        return [], "none: %s" % exc


def set_pending(client, settings_uri, body, etag=None):
    """PATCH Bios/Settings, with If-Match when the BMC gave an ETag; returns the HTTP status.

    On 412 or 428 (stale or missing If-Match) reads the ETag again and tries once more (with
    ``*`` when the BMC still gives none). Raises RedfishError when the BMC answers with success
    but lists the attributes it refused (``_decisions.patch_refusals``); OutcomeUnknownError when the
    PATCH was sent and no answer came (it may be pending).
    """
    try:
        try:
            status, answer = client.patch(settings_uri, body, etag)
        except PreconditionError:
            fresh = client.get_with_etag(settings_uri, "settings")[1]
            try:
                status, answer = client.patch(settings_uri, body, fresh or "*")
            except PreconditionError as exc:
                raise RedfishError(
                    "%s, again with the ETag read just before: another change to the BIOS settings may be under "
                    "way; look at the BMC's job queue, then run again" % exc)
    except OutcomeUnknownError as exc:
        raise OutcomeUnknownError(
            "%s: the value may or may not be pending; nothing was reset. Read Bios/Settings on the BMC "
            "(or run again in check mode) before resetting" % exc)
    refused = _decisions.patch_refusals(answer)
    if refused:
        raise RedfishError(
            "the BMC answered the PATCH of %s with HTTP %d but did not take it: %s; nothing is pending: "
            "check the attribute and its value on this BMC" % (clip(settings_uri, 120), status, "; ".join(refused)))
    return status


def reset_target(system_uri, system):
    """Where ComputerSystem.Reset is POSTed: the action's target, else the standard path."""
    actions = system.get("Actions")
    action = actions.get("#ComputerSystem.Reset") if isinstance(actions, dict) else None
    target = action.get("target") if isinstance(action, dict) else None
    return target if isinstance(target, str) and target else system_uri.rstrip("/") + "/Actions/ComputerSystem.Reset"


def reset(client, system_uri, system, steps, timeout, poll=5.0):
    """Send ComputerSystem.Reset for each step, waiting for the power state each one leads to.

    Everything (the POSTs and the polls) ends within ``timeout`` seconds; a poll survives
    transient errors (``_poll``). Returns the list of steps sent. Raises RedfishError when the
    system does not reach the state in time; OutcomeUnknownError when a POST got no answer.
    """
    target = reset_target(system_uri, system)
    deadline = client.until(timeout)
    for step in steps:
        try:
            client.post(target, {"ResetType": step})
        except OutcomeUnknownError as exc:
            raise OutcomeUnknownError(
                "ComputerSystem.Reset %s: %s: check the server's power state before resetting again" % (step, exc))
        wanted = "Off" if step in ("ForceOff", "GracefulShutdown") else "On"
        seen = False
        while True:
            try:
                state = _poll(client, system_uri, "system", deadline, poll).get("PowerState")
                seen = True
            except (TransientError, UnreachableError) as exc:
                # A poll cut off by the deadline after an answer: the state last read is the news.
                if not seen:
                    raise RedfishError(
                        "after %s (sent) the BMC did not answer the power state polls within %d s (%s): check the "
                        "server's power state before resetting again" % (step, timeout, exc))
            if seen and state == wanted:
                break
            left = deadline - time.monotonic()
            if left <= 0:
                raise RedfishError(
                    "after %s the system's PowerState is %s, not %s, %d s later: the reset did not come back; "
                    "look at the BMC's console and event log" % (step, clip(state), wanted, timeout))
            time.sleep(min(poll, left))
    return steps


def wait_applied(client, bios_uri, names_values, timeout, poll=5.0):
    """Poll the Bios resource until every attribute has its wanted value; returns the attributes.

    Everything ends within ``timeout`` seconds; a poll survives transient errors (``_poll``).
    Raises RedfishError naming what is still not applied when the time has passed.
    """
    deadline = client.until(timeout)
    current = None
    while True:
        try:
            current = _poll(client, bios_uri, "bios", deadline, poll).get("Attributes")
        except (TransientError, UnreachableError) as exc:
            if current is None:
                raise RedfishError("the BMC did not answer the polls of the BIOS attributes within %d s after the "
                                   "reset (%s): look at the BMC, then run again" % (timeout, exc))
        current = current if isinstance(current, dict) else {}
        missing = dict((k, current.get(k)) for k, v in names_values.items() if current.get(k) != v)
        if not missing:
            return current
        left = deadline - time.monotonic()
        if left <= 0:
            raise RedfishError(
                "%d s after the reset the BIOS still reports %s: the firmware did not apply the pending "
                "setting; look at the BMC's job queue or event log, or power-cycle the server"
                % (timeout, _decisions.listing("%s=%s" % (clip(k), clip(v)) for k, v in sorted(missing.items()))))
        time.sleep(min(poll, left))
