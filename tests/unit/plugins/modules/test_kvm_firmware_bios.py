# -*- coding: utf-8 -*-
# Copyright: hypervisor.kvm contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""kvm_firmware_bios against a small Redfish service on 127.0.0.1 that answers as odd BMCs do.

The service is a real HTTP server (stdlib ``http.server``) serving documents shaped as HPE iLO,
Huawei iBMC and AMI-based BMCs return them, including what they get wrong; the module runs
as Ansible runs it (a process, its arguments in a file) and must end in JSON every time,
never a traceback. The emulator tests (tests/redfish) cover the standard paths and the role.
"""

import copy
import json
import os
import pathlib
import subprocess
import sys
import threading

from http.server import BaseHTTPRequestHandler, HTTPServer
from socketserver import ThreadingMixIn

import pytest

from ansible_collections.hypervisor.kvm.plugins.module_utils import _redfish, _redfish_client
from ansible_collections.hypervisor.kvm.plugins.modules import kvm_firmware_bios

MODULE = pathlib.Path(kvm_firmware_bios.__file__)
COLLECTIONS = str(MODULE.parents[5])
PASSWORD = "not-the-password-7c1f"
SETTINGS = "/redfish/v1/Systems/1/Bios/Settings"
BIOS_REGISTRY = "BiosAttributeRegistryU32.v1_2_10"

TREE = {
    "/redfish/v1/": {"Systems": {"@odata.id": "/redfish/v1/Systems"},
                     "Registries": {"@odata.id": "/redfish/v1/Registries"}},
    "/redfish/v1/Systems": {"Members": [{"@odata.id": "/redfish/v1/Systems/1"}]},
    "/redfish/v1/Systems/1": {
        "Id": "1", "Manufacturer": "HPE", "PowerState": "On", "ProcessorSummary": {"Model": "Intel(R) Xeon(R)"},
        "Bios": {"@odata.id": "/redfish/v1/Systems/1/Bios"},
        "Actions": {"#ComputerSystem.Reset": {"target": "/redfish/v1/Systems/1/Actions/ComputerSystem.Reset"}}},
    "/redfish/v1/Systems/1/Bios": {
        "Attributes": {"ProcVirtualization": "Disabled", "IntelProcVtd": "Disabled"},
        "AttributeRegistry": BIOS_REGISTRY,
        "@Redfish.Settings": {"SettingsObject": {"@odata.id": SETTINGS}}},
    SETTINGS: {"Attributes": {}},
    "/redfish/v1/Registries": {"Members": []},
}


class _Server(ThreadingMixIn, HTTPServer):
    daemon_threads = True


class BMC(object):
    """A Redfish service on 127.0.0.1: ``documents`` by path, ``answers`` queued per (method, path),
    every request recorded as ``(method, path, headers, body)``."""

    def __init__(self, documents=None):
        self.documents = copy.deepcopy(TREE if documents is None else documents)
        self.headers = {}
        self.answers = {}
        self.requests = []
        bmc = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                bmc.requests.append((self.command, self.path, dict(self.headers.items()), body))
                queued = bmc.answers.get((self.command, self.path))
                if queued:
                    answer = queued.pop(0)
                    if callable(answer):
                        answer = answer(self, body)
                        if answer is None:
                            return
                elif self.command == "GET" and self.path in bmc.documents:
                    answer = (200, bmc.headers.get(self.path, {}), bmc.documents[self.path])
                elif self.command in ("PATCH", "POST"):
                    answer = (204, {}, None)
                else:
                    answer = (404, {}, {"error": {"message": "no such resource"}})
                status, headers, document = answer
                raw = document if isinstance(document, bytes) else b"" if document is None else json.dumps(document).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_PATCH = do_POST = _answer

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def on(self, method, path, *answers):
        self.answers[(method, path)] = list(answers)

    def sent(self, method, path=None):
        return [r for r in self.requests if r[0] == method and (path is None or r[1] == path)]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def bmc():
    server = BMC()
    yield server
    server.close()


@pytest.fixture
def elsewhere():
    """Another host: it must never hear from the module."""
    server = BMC({})
    yield server
    server.close()


def run_module(tmp_path, bmc, check_mode=False, **args):
    """Run the module as Ansible does; its JSON result (a traceback fails the test)."""
    args = dict({"bmc_address": bmc.url if bmc else "bmc", "username": "admin", "password": PASSWORD,
                 "validate_certs": False, "timeout": 5, "poll_interval": 1, "reset_timeout": 10}, **args)
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": dict(args, _ansible_check_mode=check_mode)}))
    proc = subprocess.run([sys.executable, str(MODULE), str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          env=dict(os.environ, PYTHONPATH=COLLECTIONS), timeout=120, check=False)
    try:
        result = json.loads(proc.stdout)
    except ValueError:
        pytest.fail("the module did not answer in JSON:\n%s\n%s" % (proc.stdout.decode(), proc.stderr.decode()))
    assert PASSWORD not in proc.stdout.decode()
    return result


def registry(*entries):
    return {"RegistryEntries": {"Attributes": list(entries)}}


def entry(name, display, values=("Enabled", "Disabled")):
    return {"AttributeName": name, "DisplayName": display, "Type": "Enumeration", "ReadOnly": False,
            "Value": [{"ValueName": v, "ValueDisplayName": v} for v in values]}


def acme(bmc, registry_files):
    """An unknown vendor whose attribute only its registry names: ``registry_files`` maps
    ``/redfish/v1/Registries`` members to their documents (a tuple: an HTTP answer)."""
    bmc.documents["/redfish/v1/Systems/1"]["Manufacturer"] = "Acme"
    bmc.documents["/redfish/v1/Systems/1/Bios"]["Attributes"] = {"VMX": "Disabled", "Turbo": "Enabled"}
    bmc.documents["/redfish/v1/Registries"] = {"Members": [{"@odata.id": uri} for uri in registry_files]}
    for uri, answer in registry_files.items():
        if isinstance(answer, tuple):
            bmc.on("GET", uri, *[answer] * 3)
        else:
            bmc.documents[uri] = answer


# -- A, H: the attribute registry ----------------------------------------------------------------

def test_ilo4_registry_extref_is_followed(tmp_path, bmc):
    where = "/redfish/v1/registrystore/registries/en/biosattributeregistryu32"
    acme(bmc, {"/redfish/v1/Registries/%s/" % BIOS_REGISTRY: {
        "Id": BIOS_REGISTRY, "Location": [{"Language": "en", "Uri": {"extref": where}}]}})
    bmc.documents[where] = registry(entry("VMX", "Intel(R) Virtualization Technology"))
    result = run_module(tmp_path, bmc)
    assert not result.get("failed"), result["msg"]
    assert result["registry"] == where and result["settings"][0]["found_by"] == "registry display name"
    assert result["patched"] == {"VMX": "Enabled"}


def test_only_the_bios_registry_is_read_and_a_failing_file_is_skipped(tmp_path, bmc):
    files = dict(("/redfish/v1/Registries/Other%d.1.0" % n, {"Id": "Other%d" % n}) for n in range(38))
    files["/redfish/v1/Registries/BiosMessages.1.0"] = (500, {}, {"error": {"message": "internal error"}})
    files["/redfish/v1/Registries/%s" % BIOS_REGISTRY] = {"Id": BIOS_REGISTRY, "Location": [{"Uri": "/reg/bios"}]}
    acme(bmc, files)
    bmc.documents["/reg/bios"] = registry(entry("VMX", "VT-x"))
    result = run_module(tmp_path, bmc)
    assert not result.get("failed"), result["msg"]
    assert result["registry"] == "/reg/bios"
    read = [r[1] for r in bmc.sent("GET") if r[1].startswith("/redfish/v1/Registries/")]
    assert read == ["/redfish/v1/Registries/%s" % BIOS_REGISTRY, "/redfish/v1/Registries/BiosMessages.1.0"]


# -- B: answers that are not what Redfish says ------------------------------------------------------

def test_an_error_body_whose_error_is_a_string(tmp_path, bmc):
    bmc.on("GET", "/redfish/v1/Systems", (503, {}, {"error": "BMC busy, retry later"}))
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "HTTP 503 on GET" in result["msg"] and "BMC busy, retry later" in result["msg"]


def test_a_status_line_that_is_not_http(tmp_path, bmc):
    def garbage(handler, body):
        handler.wfile.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        handler.close_connection = True
    bmc.on("GET", "/redfish/v1/", garbage)
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "is not HTTP (BadStatusLine" in result["msg"] and "port" in result["msg"]


@pytest.mark.parametrize("address, says", [
    ("127.0.0.1:abc", "the port 'abc' is not a number"),
    ("bmc 7", "holds a space"),
])
def test_a_bad_bmc_address_is_refused_before_anything_is_sent(tmp_path, address, says):
    result = run_module(tmp_path, None, bmc_address=address)
    assert result["failed"] and says in result["msg"] and "Nothing was sent" in result["msg"]


def test_a_link_with_control_characters_is_refused(tmp_path, bmc):
    bmc.documents["/redfish/v1/Systems/1"]["Bios"] = {"@odata.id": "/redfish/v1/Systems/1/Bios\r\nX-Injected: 1"}
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "control or non-ASCII characters" in result["msg"]
    assert "\r\n" not in result["msg"] and not [r for r in bmc.requests if "X-Injected" in r[2]]


def test_a_registry_of_the_wrong_shapes_is_read_around(tmp_path, bmc):
    acme(bmc, {"/redfish/v1/Registries/Bios": {"Id": "Bios", "Location": [{"Uri": "/reg"}]}})
    bmc.documents["/redfish/v1/Systems/1/Bios"]["AttributeRegistry"] = "Bios"
    bmc.documents["/reg"] = registry(
        {"AttributeName": ["VMX"], "DisplayName": "VT-x"}, {"AttributeName": "VMX", "DisplayName": "VT-x",
                                                            "Value": ["Enabled", {"ValueName": "On", "ValueDisplayName": "Enabled"}]})
    result = run_module(tmp_path, bmc)
    assert not result.get("failed"), result["msg"]
    assert result["patched"] == {"VMX": "On"}


# A BMC's documents with one value of the wrong type: the module reports or fails, never crashes.
MUTATIONS = [
    ("/redfish/v1/", "Systems", "x"), ("/redfish/v1/Systems", "Members", 3),
    ("/redfish/v1/Systems", "Members", [{"@odata.id": ["/redfish/v1/Systems/1"]}]),
    ("/redfish/v1/Systems/1", "Manufacturer", ["HPE"]), ("/redfish/v1/Systems/1", "PowerState", {"On": 1}),
    ("/redfish/v1/Systems/1", "ProcessorSummary", "Intel"), ("/redfish/v1/Systems/1", "Actions", ["x"]),
    ("/redfish/v1/Systems/1", "Actions", {"#ComputerSystem.Reset": {"target": 5}}),
    ("/redfish/v1/Systems/1", "Bios", "/redfish/v1/Systems/1/Bios"),
    ("/redfish/v1/Systems/1/Bios", "Attributes", ["ProcVirtualization"]),
    ("/redfish/v1/Systems/1/Bios", "AttributeRegistry", {"Id": 1}),
    ("/redfish/v1/Systems/1/Bios", "@Redfish.Settings", "Settings"),
    (SETTINGS, "Attributes", "ProcVirtualization=Enabled"), (SETTINGS, "@odata.etag", ["x"]),
    ("/redfish/v1/Registries", "Members", "all"),
]


class _Module(object):
    """What run() reads of AnsibleModule: the parameters with their defaults, and check mode."""

    def __init__(self, **params):
        self.params = dict({"system_id": None, "vendor": None, "attribute": None, "iommu": True,
                            "iommu_attribute": None, "reset": True, "reset_type": "auto", "reset_timeout": 2,
                            "wait_applied": False, "poll_interval": 0.01}, **params)
        self.check_mode = False


@pytest.mark.parametrize("path, key, value", MUTATIONS)
def test_documents_of_the_wrong_shape_end_in_a_result_or_a_typed_error(bmc, path, key, value):
    bmc.documents[path][key] = value
    client = _redfish_client.Client(bmc.url, "admin", PASSWORD, validate_certs=False, timeout=5)
    try:
        result = kvm_firmware_bios.run(_Module(), client)
    except _redfish.RedfishError as exc:
        assert str(exc)
    else:
        assert result["state"] in ("enabled", "pending", "reset", "applied")


# -- C: the credentials go to the BMC only ---------------------------------------------------------

def test_a_redirect_elsewhere_is_not_followed(tmp_path, bmc, elsewhere):
    bmc.on("GET", "/redfish/v1/", (301, {"Location": elsewhere.url + "/redfish/v1/"}, None))
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "redirect (HTTP 301)" in result["msg"] and elsewhere.url in result["msg"]
    assert elsewhere.requests == []


def test_a_link_to_another_host_is_not_followed(tmp_path, bmc, elsewhere):
    bmc.documents["/redfish/v1/Systems"] = {"Members": [{"@odata.id": elsewhere.url + "/redfish/v1/Systems/1"}]}
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "not a path on %s" % bmc.url in result["msg"]
    assert elsewhere.requests == []
    # The BMC's own base URL in front of a path is still the BMC.
    bmc.documents["/redfish/v1/Systems"] = {"Members": [{"@odata.id": bmc.url + "/redfish/v1/Systems/1"}]}
    assert not run_module(tmp_path, bmc).get("failed")


def test_plain_http_needs_validate_certs_false(tmp_path, bmc):
    result = run_module(tmp_path, bmc, validate_certs=True)
    assert result["failed"] and "in clear" in result["msg"] and bmc.requests == []


# -- D: If-Match, and an answer that refuses ---------------------------------------------------------

def test_the_patch_carries_the_settings_etag(tmp_path, bmc):
    bmc.headers[SETTINGS] = {"ETag": 'W/"41"'}
    assert run_module(tmp_path, bmc)["state"] == "pending"
    assert [r[2].get("If-Match") for r in bmc.sent("PATCH")] == ['W/"41"']


def test_a_stale_etag_is_read_again_once(tmp_path, bmc):
    bmc.documents[SETTINGS]["@odata.etag"] = '"1"'
    fresh = dict(bmc.documents[SETTINGS], **{"@odata.etag": '"2"'})
    bmc.on("PATCH", SETTINGS, (412, {}, {"error": {"message": "stale"}}), (200, {}, None))
    bmc.on("GET", SETTINGS, (200, {}, bmc.documents[SETTINGS]), (200, {}, fresh))
    result = run_module(tmp_path, bmc)
    assert result["state"] == "pending", result["msg"]
    assert [r[2].get("If-Match") for r in bmc.sent("PATCH")] == ['"1"', '"2"']


def test_a_bmc_that_demands_if_match_but_gives_no_etag(tmp_path, bmc):
    needed = (428, {}, {"error": {"code": "Base.1.8.PreconditionRequired", "message": "PreconditionHeaderMissing"}})
    bmc.on("PATCH", SETTINGS, needed, needed)
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "HTTP 428 on PATCH" in result["msg"] and "job queue" in result["msg"]
    assert [r[2].get("If-Match") for r in bmc.sent("PATCH")] == [None, "*"]


def test_a_200_that_refuses_the_attribute_fails(tmp_path, bmc):
    refused = {"@Message.ExtendedInfo": [{
        "MessageId": "Base.1.0.PropertyValueNotInList", "Severity": "Warning", "Message": "x" * 5000,
        "RelatedProperties": ["#/Attributes/ProcVirtualization"]}]}
    bmc.on("PATCH", SETTINGS, (200, {}, refused))
    result = run_module(tmp_path, bmc)
    assert result["failed"] and "did not take it" in result["msg"] and "#/Attributes/ProcVirtualization" in result["msg"]
    assert "nothing is pending" in result["msg"] and len(result["msg"]) < 1000


# -- E: what a BMC sends is shown cut ---------------------------------------------------------------

def test_long_names_are_cut_in_the_failure_and_the_result(tmp_path, bmc):
    bmc.documents["/redfish/v1/Systems/1"]["Manufacturer"] = "Acme " + "M" * 100000
    bmc.documents["/redfish/v1/Systems/1/Bios"]["Attributes"] = dict(
        ("Virt%03d" % n + "v" * 500, "Disabled") for n in range(300))
    result = run_module(tmp_path, bmc)
    assert result["failed"] and len(result["msg"]) < 4000
    assert len(result["related"]) == 21 and result["related"][-1] == "and 280 more"
    assert all(len(name) < 120 for name in result["related"])


def test_long_values_are_cut_in_the_result(tmp_path, bmc):
    bmc.documents["/redfish/v1/Systems/1"]["PowerState"] = "P" * 5000
    bmc.documents["/redfish/v1/Systems/1/Bios"]["Attributes"]["ProcVirtualization"] = "D" * 5000
    result = run_module(tmp_path, bmc)
    assert result["system"]["power_state"].endswith("(5000 characters)")
    assert result["settings"][0]["current"] == "D" * 80 + "... (5000 characters)"


# -- F, G: a pending value that turns it off; what check mode says --------------------------------------

def test_a_pending_disabled_on_an_enabled_bios_is_overwritten_without_a_reset(tmp_path, bmc):
    bmc.documents["/redfish/v1/Systems/1/Bios"]["Attributes"]["ProcVirtualization"] = "Enabled"
    bmc.documents[SETTINGS]["Attributes"] = {"ProcVirtualization": "Disabled"}
    checked = run_module(tmp_path, bmc, check_mode=True, reset=True)
    assert checked["state"] == "would_set" and checked["patched"] == {"ProcVirtualization": "Enabled"}
    assert checked["reset"] == [] and "again (the pending Disabled would turn it off" in checked["msg"]
    result = run_module(tmp_path, bmc, reset=True)
    assert result["state"] == "enabled" and result["changed"] and result["reset"] == []
    assert [json.loads(r[3])["Attributes"] for r in bmc.sent("PATCH")] == [{"ProcVirtualization": "Enabled"}]
    assert not bmc.sent("POST")


def test_check_mode_says_what_is_already_pending_and_what_it_would_do(tmp_path, bmc):
    bmc.documents[SETTINGS]["Attributes"] = {"ProcVirtualization": "Enabled"}
    result = run_module(tmp_path, bmc, check_mode=True, reset=True)
    assert result["state"] == "would_reset" and result["patched"] == {} and result["reset"] == ["ForceRestart"]
    assert result["msg"] == ("check mode: ProcVirtualization=Enabled already pending; "
                             "would reset (ForceRestart) to apply ProcVirtualization=Enabled")
    result = run_module(tmp_path, bmc, check_mode=True)
    assert result["state"] == "pending" and not result["changed"] and "would set" not in result["msg"]
    assert "needs a power cycle" in result["msg"]
    result = run_module(tmp_path, bmc, check_mode=True, iommu=True)
    assert result["msg"] == ("check mode: would set IntelProcVtd=Enabled; ProcVirtualization=Enabled already pending; "
                             "ProcVirtualization=Enabled, IntelProcVtd=Enabled then needs a power cycle "
                             "(reset: true applies it)")
    assert not bmc.sent("PATCH") and not bmc.sent("POST")
