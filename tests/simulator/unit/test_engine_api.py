"""engine_api: the Engine API's statuses, refusals and version rules (no CLI needed)."""

from __future__ import annotations

import json
import textwrap
import types

import pytest

from wcsim import engine_api
from wcsim.fleet import Fleet

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2849"}}
hosts:
  h27:
    os_version: "10.0.20348.2849"
    features: [Containers]
    engine: {{version: "27.3.1"}}
    images: ["{NANO}"]
    containers:
      - {{name: web, image: "{NANO}"}}
      - {{name: idle, image: "{NANO}", state: created}}
      - {{name: done, image: "{NANO}", state: exited}}
"""


@pytest.fixture
def api(tmp_path):
    path = tmp_path / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    fleet = Fleet.load(path, tmp_path / "state")
    return engine_api.EngineApi(fleet.host("h27"))


def call(api, method, path, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else b""
    status, out_headers, raw = api.handle(method, path, headers or {}, data)
    return status, out_headers, (json.loads(raw) if raw.strip() else None)


def test_ping_answers_the_engine_s_api_version_and_windows(api):
    status, headers, _ = api.handle("HEAD", "/_ping", {}, b"")
    assert status == 200
    assert headers["Api-Version"] == "1.47" and headers["Ostype"] == "windows"
    assert headers["Server"] == "Docker/27.3.1 (windows)"
    assert api.handle("GET", "/_ping", {}, b"")[2] == b"OK"


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.48", "client version 1.48 is too new. Maximum supported API version is 1.47"),
        ("1.23", "client version 1.23 is too old. Minimum supported API version is 1.24, please"),
    ],
)
def test_api_versions_outside_the_engine_s_range_are_refused(api, version, message):
    status, _, body = call(api, "GET", f"/v{version}/version")
    assert status == 400 and body["message"].startswith(message)
    assert call(api, "GET", "/v1.24/version")[0] == 200


@pytest.mark.parametrize(
    ("sent", "status", "message"),
    [
        (("GET", "/v1.47/containers/nosuch/json", None), 404, "No such container: nosuch"),
        (
            ("POST", "/v1.47/containers/idle/kill", None),
            409,
            "cannot kill container: idle: container",
        ),
        (("DELETE", "/v1.47/containers/web", None), 409, 'cannot remove container "web"'),
        (("POST", "/v1.47/containers/web/rename?name=web", None), 400, "Renaming a container"),
        (("POST", "/v1.47/containers/idle/rename?name=web", None), 409, "Error when allocating"),
        (("POST", "/v1.47/networks/create", {"Name": "nat"}), 409, "network with name nat already"),
        (
            ("POST", "/v1.47/networks/nosuch/connect", {"Container": "web"}),
            404,
            "network nosuch not",
        ),
        (
            ("POST", "/v1.47/networks/nat/connect", {"Container": "web"}),
            403,
            "endpoint with name web",
        ),
        (("GET", "/v1.47/images/nosuch:1/json", None), 404, "No such image: nosuch:1"),
        (
            (
                "POST",
                "/v1.47/containers/create?name=xy",
                {"Image": NANO, "HostConfig": {"Isolation": "container"}},
            ),
            400,
            "invalid isolation (container)",
        ),
    ],
)
def test_refusals_carry_moby_s_status_and_message(api, sent, status, message):
    got, _, reply = call(api, *sent)
    assert (got, reply["message"][: len(message)]) == (status, message)


def test_stop_of_a_stopped_container_is_not_modified_and_wait_returns_the_exit_code(api):
    assert call(api, "POST", "/v1.47/containers/web/stop?t=1")[0] == 204
    assert call(api, "POST", "/v1.47/containers/web/stop?t=1")[0] == 304
    status, _, body = call(api, "POST", "/v1.47/containers/web/wait")
    assert status == 200 and body == {
        "StatusCode": api.host.engine.get("web").exit_code,
        "Error": None,
    }


def test_network_create_and_connect_change_the_host(api):
    assert call(api, "POST", "/v1.47/networks/create", {"Name": "backend"})[0] == 201
    assert call(api, "POST", "/v1.47/networks/backend/connect", {"Container": "idle"})[0] == 200
    assert api.host.engine.get("idle").networks == ["nat", "backend"]
    listed = call(
        api, "GET", "/v1.47/containers/json?all=1&filters=" + json.dumps({"name": ["idle"]})
    )
    assert [c["Names"] for c in listed[2]] == [["/idle"]]


def test_network_create_keeps_the_subnet_and_refuses_an_overlapping_one(api):
    def create(name, subnet):
        body = {"Name": name, "Driver": "nat", "IPAM": {"Config": [{"Subnet": subnet}]}}
        return call(api, "POST", "/v1.47/networks/create", body)

    assert create("tbwc-a", "172.30.9.0/24")[0] == 201
    status, _headers, payload = create("tbwc-b", "172.30.9.0/25")
    assert status >= 400 and payload["message"] == (
        "HNS failed with error : The object already exists."
    )
    inspected = call(api, "GET", "/v1.47/networks/tbwc-a")[2]
    assert inspected["IPAM"]["Config"] == [{"Subnet": "172.30.9.0/24"}]


def test_no_answer_while_dockerd_is_stopped(api):
    with api.host.exclusive():
        api.host.engine.stop_service()
    with pytest.raises(engine_api._Drop):
        api.handle("HEAD", "/_ping", {}, b"")


def test_a_state_dir_too_deep_for_a_unix_socket_gets_a_short_one(tmp_path, caplog):
    deep = tmp_path / ("d" * 100)
    path = engine_api.socket_path(deep, "h")
    assert len(str(path)) <= 107 and path.name == "h.sock"
    assert path == engine_api.socket_path(deep, "h")  # wcsim docker-env finds it again
    assert engine_api.socket_path(tmp_path, "h") == tmp_path.resolve() / "engines" / "h.sock"
    apis = engine_api.EngineApis(types.SimpleNamespace(names=["x" * 120]), tmp_path)
    apis.start()  # a host name no socket path can hold: warned about, the others serve on
    assert apis.servers == {} and "no Engine API" in caplog.text


def test_logs_are_an_empty_stream_and_name_a_missing_container(api):
    status, _, body = api.handle("GET", "/v1.47/containers/web/logs?stdout=1&tail=20", {}, b"")
    assert (status, body) == (200, b"")
    assert call(api, "GET", "/v1.47/containers/nosuch/logs")[0] == 404
