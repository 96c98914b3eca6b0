"""The simulated Engine API's JSON follows moby's api/swagger.yaml at the engine's tag.

The schema parts are kept under tests/simulator/schema/ (moby-<tag>.json, written by
extract_moby_schema.py from moby's swagger.yaml at that tag; source and commit inside).
Read as Go writes JSON: a nil slice or map is ``null``, so any array or object may be null;
and stricter than swagger on one point, to catch invented keys: an object that lists its
properties allows no others (``additionalProperties: false``) unless it says otherwise.
"""

from __future__ import annotations

import copy
import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from wcsim.engine_api import EngineApi
from wcsim.fleet import Fleet

SCHEMAS = Path(__file__).resolve().parents[1] / "schema"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2849"}}
hosts:
  h27:
    os_version: "10.0.20348.2849"
    features: [Containers]
    engine: {{version: "27.3.1", daemon_config: {{data-root: "D:\\\\docker"}}}}
    images: ["{NANO}"]
    containers:
      - name: web
        image: "{NANO}"
        ports: ["8080:80/tcp", "0.0.0.0:8443:443/tcp", "9000/udp"]
        mounts: ["C:\\\\data:C:\\\\app:ro", "logs:C:\\\\logs"]
        env: ["A=b"]
        labels: {{tier: web}}
        restart_policy: "on-failure:3"
        memory_bytes: 536870912
        cpus: 1.5
      - {{name: idle, image: "{NANO}", state: created, isolation: process}}
      - {{name: done, image: "{NANO}", state: exited, command: [cmd, /c, exit]}}
  h20:
    os_version: "10.0.20348.2849"
    features: [Containers]
    engine: {{version: "20.10.24"}}
    images: ["{NANO}"]
    containers:
      - {{name: web, image: "{NANO}", mounts: ["data:C:\\\\data"], ports: ["80:80/tcp"]}}
      - {{name: idle, image: "{NANO}", state: created}}
"""
TAGS = {"h27": ("v27.3.1", "1.47"), "h20": ("v20.10.24", "1.41")}


def _go_json(node: Any, definitions: dict[str, Any]) -> Any:
    """swagger 2.0 -> JSON Schema as Go marshals: nil slices/maps are null; allOf merged."""
    if isinstance(node, list):
        return [_go_json(v, definitions) for v in node]
    if not isinstance(node, dict):
        return node
    if "allOf" in node:
        merged: dict[str, Any] = {"type": "object", "properties": {}}
        for part in node["allOf"]:
            schema = definitions[part["$ref"].rsplit("/", 1)[1]] if "$ref" in part else part
            merged["properties"].update(schema.get("properties") or {})
        node = {**{k: v for k, v in node.items() if k != "allOf"}, **merged}
    out = {k: (v if k == "enum" else _go_json(v, definitions)) for k, v in node.items()}
    if "properties" in out:
        out["properties"] = {k: _go_json(v, definitions) for k, v in node["properties"].items()}
        out.setdefault("additionalProperties", False)
    kind = out.get("type")
    if kind in ("array", "object") or out.get("x-nullable"):
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def _swagger_gaps(tag: str, raw: dict[str, Any]) -> None:
    """Where moby's swagger.yaml says less than dockerd sends, each with the code that shows it."""
    # dockerd on Windows leaves Info.CgroupDriver "" (set only in daemon/info_unix.go;
    # api/types/system/info.go has no omitempty); the enum lists Linux drivers only.
    raw["SystemInfo"]["properties"]["CgroupDriver"]["enum"].append("")
    if tag == "v20.10.24":
        # docker/cli sends RestartPolicy {"Name": "no"} and dockerd keeps it; the 20.10
        # enum omits "no" (v27.3.1's lists it).
        raw["RestartPolicy"]["properties"]["Name"]["enum"].append("no")
        # api/types/types.go at v20.10.24: Container.Mounts is []MountPoint, not Mount.
        # (At 20.10 ContainerSummary is the list itself.)
        raw["ContainerSummary"]["items"]["properties"]["Mounts"]["items"] = {
            "$ref": "#/definitions/MountPoint"
        }


def validator(tag: str, response: str) -> jsonschema.Draft4Validator:
    data = json.loads((SCHEMAS / f"moby-{tag}.json").read_text(encoding="utf-8"))
    raw = data["definitions"]
    _swagger_gaps(tag, raw)
    definitions = {name: _go_json(schema, raw) for name, schema in raw.items()}
    schema = _go_json(copy.deepcopy(data["responses"][response]), raw)
    schema["definitions"] = definitions
    return jsonschema.Draft4Validator(schema)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    return Fleet.load(path, path.parent / "state")


def get(fleet, host: str, path: str) -> Any:
    _, api = TAGS[host]
    status, headers, body = EngineApi(fleet.host(host)).handle("GET", f"/v{api}{path}", {}, b"")
    assert status == 200, body
    assert headers["Api-Version"] == api and headers["Ostype"] == "windows"
    return json.loads(body)


CASES = [
    ("container_inspect", "/containers/web/json"),
    ("container_inspect", "/containers/idle/json"),
    ("container_list", "/containers/json?all=1"),
    ("image_inspect", f"/images/{NANO}/json"),
    ("image_list", "/images/json"),
    ("version", "/version"),
    ("info", "/info"),
    ("network_inspect", "/networks/nat"),
    ("network_list", "/networks"),
]


@pytest.mark.parametrize("host", list(TAGS))
@pytest.mark.parametrize(("response", "path"), CASES, ids=[f"{r}:{p}" for r, p in CASES])
def test_response_follows_moby_swagger_at_the_engine_tag(fleet, host, response, path):
    tag, _ = TAGS[host]
    body = get(fleet, host, path)
    errors = sorted(validator(tag, response).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:10])


def test_the_schema_check_can_fail():
    check = validator("v27.3.1", "container_inspect")
    assert not check.is_valid({"Id": "x", "Invented": 1})
    assert not check.is_valid({"State": {"Status": "sleeping"}})
    assert not check.is_valid({"HostConfig": {"Isolation": "container"}})


def test_mounts_show_what_docker_rebuilds(fleet):
    """A named volume's Source is its folder under the data root (moby volume/local), a bind
    its own folder; ports as docker rebuilds them."""
    web = get(fleet, "h27", "/containers/web/json")
    assert web["Mounts"] == [
        {
            "Type": "bind",
            "Source": "C:\\data",
            "Destination": "C:\\app",
            "Mode": "ro",
            "RW": False,
            "Propagation": "",
        },
        {
            "Type": "volume",
            "Name": "logs",
            "Source": "D:\\docker\\volumes\\logs\\_data",
            "Destination": "C:\\logs",
            "Driver": "local",
            "Mode": "",
            "RW": True,
            "Propagation": "",
        },
    ]
    assert web["HostConfig"]["PortBindings"] == {
        "80/tcp": [{"HostIp": "", "HostPort": "8080"}],
        "443/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8443"}],
        "9000/udp": [{"HostIp": "", "HostPort": ""}],
    }
    assert web["HostConfig"]["NanoCpus"] == 1500000000
    assert web["HostConfig"]["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    listed = {c["Names"][0]: c for c in get(fleet, "h27", "/containers/json?all=1")}
    assert set(listed) == {"/web", "/idle", "/done"}
    assert listed["/done"]["Status"].startswith("Exited (")
