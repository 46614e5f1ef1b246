# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sushy-tools' Redfish emulator on the loopback address, with TLS and HTTP basic auth.

What the emulator models and what it does not (read in sushy-tools 2.2.0's source):
- Only its libvirt driver serves a Bios resource (the fake driver's systems have none, which is
  how a BMC "without a Bios resource" is tested). No libvirt daemon is needed: the driver talks
  to libvirt's in-process test hypervisor (``test:///default``), whose state lives as long as
  one connection stays open, so the emulator's configuration file (Python, run inside the
  emulator) opens one and defines the systems. BIOS attributes are kept in each domain's XML
  metadata.
- A PATCH of Bios/Settings changes the attributes at once: the emulator has no pending state,
  so "pending" is what our module reports after its PATCH, and "applied after a reset" is seen
  as the reset in the emulator's log plus the attribute's value.
- ComputerSystem.Reset ForceRestart destroys and starts the domain (immediately).
- With ``reusable=True`` the configuration also listens on a Unix socket next to the log: a
  ``reset(systems)`` there undefines every domain, defines the new ones (new UUIDs) and drops the
  driver's memoized lookups, so one process (its imports and TLS set-up paid once) serves test
  after test, each seeing only its own systems and, through ``log()``, only its own requests.
- Manufacturer is always "Sushy Emulator", and the BIOS attribute registry it serves is a fixed
  file without any virtualization attribute: vendor rows are reached with ``vendor``, and the
  registry's display-name fallback is tested with unit tests only.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid

SUSHY_NS = "http://openstack.org/xmlns/libvirt/sushy"
# Requests as the emulator's log shows them (after log() removed the colours).
RESET_REQUEST = re.compile(r'"POST /redfish/v1/Systems/[^ ]+/Actions/ComputerSystem.Reset')
PATCH_REQUEST = re.compile(r'"PATCH /redfish/v1/Systems/[^ ]+/BIOS/Settings')


def find_emulator():
    """The sushy-emulator script: $SUSHY_EMULATOR, next to this Python, or on PATH."""
    candidates = [os.environ.get("SUSHY_EMULATOR"), str(pathlib.Path(sys.executable).parent / "sushy-emulator"),
                  shutil.which("sushy-emulator")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("sushy-emulator not found: `make test-redfish` builds it (tests/redfish/requirements.txt) "
                       "and sets SUSHY_EMULATOR to its path")


def emulator_python(script):
    """The Python interpreter that runs the emulator script (its shebang)."""
    with open(script, encoding="utf-8") as handle:
        first = handle.readline().strip()
    return first[2:].strip() if first.startswith("#!") else sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_pki(directory):
    """A self-signed certificate for 127.0.0.1 and its key; returns (cert, key)."""
    cert, key = directory / "bmc.crt", directory / "bmc.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def make_htpasswd(path, python, username, password):
    """An htpasswd file with one bcrypt entry (the only digest sushy-emulator accepts)."""
    code = ("import bcrypt,sys;print(sys.argv[1] + ':' + "
            "bcrypt.hashpw(sys.argv[2].encode(), bcrypt.gensalt(rounds=4)).decode())")
    line = subprocess.run([python, "-c", code, username, password], check=True, capture_output=True, text=True).stdout
    path.write_text(line)
    return path


def domain_xml(name, attributes, ident=None):
    """A libvirt test-driver domain whose sushy metadata holds ``attributes`` as its BIOS."""
    attrs = "".join('<sushy:attribute name="%s" value="%s"/>' % (k, v) for k, v in sorted(attributes.items()))
    return ("<domain type='test'><name>%s</name><uuid>%s</uuid><memory>1048576</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64'>hvm</type></os><metadata><sushy:bios xmlns:sushy='%s'>"
            "<sushy:attributes>%s</sushy:attributes></sushy:bios></metadata></domain>"
            % (name, ident or uuid.uuid4(), SUSHY_NS, attrs))


class Emulator:
    """One sushy-emulator process. ``systems``: name -> {"bios": {...}, "on": bool}; or
    ``fake=True`` for the fake driver (systems without a Bios resource)."""

    def __init__(self, workdir, cert, key, htpasswd, systems=None, fake=False, reusable=False):
        self.workdir = pathlib.Path(workdir)
        self.cert, self.key, self.htpasswd = cert, key, htpasswd
        self.systems = systems or {}
        self.fake = fake
        self.reusable = reusable and not fake
        self.port = free_port()
        self.log_path = self.workdir / ("emulator-%d.log" % self.port)
        self.control_path = self.workdir / ("emulator-%d.sock" % self.port)
        self.log_offset = 0
        self.proc = None

    @classmethod
    def attach(cls, workdir, address, log_path):
        """An Emulator object for one started by another process (to read its log and state)."""
        workdir = pathlib.Path(workdir)
        emu = cls(workdir, workdir / "bmc.crt", workdir / "bmc.key", workdir / "htpasswd")
        emu.port = int(address.rsplit(":", 1)[1])
        emu.log_path = pathlib.Path(log_path)
        return emu

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def _config(self):
        lines = ["SUSHY_EMULATOR_AUTH_FILE = %r" % str(self.htpasswd)]
        if self.fake:
            lines += ["SUSHY_EMULATOR_FAKE_DRIVER = True", "SUSHY_EMULATOR_NO_MEMOIZE = True"]
            return "\n".join(lines) + "\n"
        lines += [
            "import libvirt",
            "SUSHY_EMULATOR_LIBVIRT_URI = 'test:///default'",
            "SUSHY_EMULATOR_IGNORE_BOOT_DEVICE = True",
            # The test hypervisor forgets everything when its last connection closes: keep one.
            "_CONN = libvirt.open('test:///default')",
            "def _define(systems):",
            "    for _dom in _CONN.listAllDomains():",
            "        if _dom.isActive():",
            "            _dom.destroy()",
            "        _dom.undefine()",
            "    for _xml, _on in systems:",
            "        _dom = _CONN.defineXML(_xml)",
            "        if _on:",
            "            _dom.create()",
            "    return sorted(_dom.name() for _dom in _CONN.listAllDomains())",
            "_define(%r)" % self._domains(self.systems),
        ]
        if self.reusable:
            lines += [
                "import json, socketserver, sys, threading",
                "class _Control(socketserver.StreamRequestHandler):",
                "    def handle(self):",
                "        names = _define(json.loads(self.rfile.readline()))",
                # The driver memoizes domain lookups (by UUID or name) on the app: start afresh.
                "        vars(sys.modules['sushy_tools.emulator.main'].app).pop('_cache', None)",
                "        self.wfile.write((json.dumps(names) + '\\n').encode())",
                "_CONTROL = socketserver.UnixStreamServer(%r, _Control)" % str(self.control_path),
                "threading.Thread(target=_CONTROL.serve_forever, daemon=True).start()",
            ]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _domains(systems):
        return [(domain_xml(name, spec.get("bios", {})), spec.get("on", True)) for name, spec in sorted(systems.items())]

    def reset(self, systems, timeout=30):
        """Replace every system of a ``reusable`` emulator by ``systems``; from now on ``log()`` shows
        only the requests that come after. Raises RuntimeError when the emulator does not confirm."""
        if not self.reusable or self.proc is None or self.proc.poll() is not None:
            raise RuntimeError("no reusable emulator running on %s" % self.address)
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(timeout)
            sock.connect(str(self.control_path))
            sock.sendall((json.dumps(self._domains(systems)) + "\n").encode())
            answer = sock.makefile("rb").readline()
        if json.loads(answer or b"null") != sorted(systems):
            raise RuntimeError("the emulator did not take the systems %s (answer %r):\n%s" % (
                sorted(systems), answer, self.log()))
        self.systems = systems
        self.log_offset = self.log_path.stat().st_size
        return self

    def start(self, timeout=30, session=False, lifetime=None):
        """Start and wait until it answers. ``session``: in its own process group, to outlive
        the caller; ``lifetime``: seconds after which ``timeout(1)`` ends it in any case."""
        config = self.workdir / ("emulator-%d.conf.py" % self.port)
        config.write_text(self._config())
        command = [find_emulator(), "--config", str(config), "-i", "127.0.0.1", "-p", str(self.port),
                   "--ssl-certificate", str(self.cert), "--ssl-key", str(self.key)]
        if lifetime:
            command = ["timeout", str(lifetime)] + command
        log = open(self.log_path, "w", encoding="utf-8")  # pylint: disable=consider-using-with
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=str(self.workdir),
            start_new_session=session)
        context = ssl.create_default_context(cafile=str(self.cert))
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen("https://%s/redfish/v1/" % self.address, context=context, timeout=2):
                    return self
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("sushy-emulator did not start:\n" + self.log())
                time.sleep(0.2)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def log(self):
        """The emulator's log since its start or last ``reset``, without terminal colours (werkzeug
        colours non-GET requests)."""
        data = self.log_path.read_bytes()[self.log_offset:] if self.log_path.exists() else b""
        text = data.decode("utf-8", errors="replace")
        return re.sub(r"\x1b\[[0-9;]*m", "", text)

    def get(self, path, username, password):
        """GET a resource as a client would (for assertions on the emulator's state)."""
        request = urllib.request.Request("https://%s%s" % (self.address, path))
        token = ("%s:%s" % (username, password)).encode()
        import base64  # pylint: disable=import-outside-toplevel
        request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        context = ssl.create_default_context(cafile=str(self.cert))
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return json.load(response)

    def system_uri(self, name, username, password):
        for member in self.get("/redfish/v1/Systems", username, password)["Members"]:
            doc = self.get(member["@odata.id"], username, password)
            if doc.get("Name") == name:
                return member["@odata.id"]
        raise KeyError(name)

    def bios(self, name, username, password):
        return self.get(self.system_uri(name, username, password) + "/BIOS", username, password)["Attributes"]
