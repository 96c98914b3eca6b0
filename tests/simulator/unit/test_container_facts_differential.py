"""The raw reader's Python mapping equals today's container facts on every test fleet.

For every host of every fleet file the tests use whose engine answers, each container's
``docker inspect`` JSON from the simulated Engine API (wcsim/engine_api.py) is mapped by
``plugins/plugin_utils/container_facts.py`` and compared with what today's
container_host_info model reports (wcsim/modules/container_host_info.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_facts
from wcsim.engine_api import EngineApi
from wcsim.fleet import Fleet
from wcsim.modules.container_host_info import container_facts as model_facts

REPO = Path(__file__).resolve().parents[3]
FLEET_FILES = sorted(
    [
        *(REPO / "tests" / "integration" / "fleets").glob("*.yml"),
        *(REPO / "tests" / "simulator" / "fleets").glob("*.yml"),
        REPO / "extensions" / "molecule" / "default" / "wcsim" / "fleet.yml",
    ]
)
FLEET_FILES = [p for p in FLEET_FILES if not p.name.endswith("_vars.yml")]


def get(api: EngineApi, path: str):
    status, _, body = api.handle("GET", path, {}, b"")
    assert status == 200, body
    return json.loads(body)


def comparable(fact: dict) -> dict:
    # Their order means nothing to docker (PortBindings is a map, binds come from one) and the
    # planner compares them sorted.
    return {**fact, "ports": sorted(fact["ports"]), "mounts": sorted(fact["mounts"])}


def model_view(fact: dict) -> dict:
    """Where the model is kinder than docker: it lists a shared namespace ("container:<x>")
    among the networks, where docker's NetworkSettings.Networks is empty; and it reports a
    port a fleet file seeded without its protocol as given, where docker keys every binding
    by port/protocol (``80/tcp``)."""
    networks = [n for n in fact["networks"] if not n.startswith("container:")]
    ports = [p if "/" in p else f"{p}/tcp" for p in fact["ports"]]
    return comparable({**fact, "networks": networks, "ports": ports})


@pytest.mark.parametrize("fleet_file", FLEET_FILES, ids=[p.name for p in FLEET_FILES])
def test_mapped_inspect_json_equals_the_model_s_facts(fleet_file, tmp_path):
    fleet = Fleet.load(fleet_file, tmp_path / "state")
    compared = 0
    for name in fleet.names:
        host = fleet.host(name)
        engine = host.engine
        if not engine.running or not engine.listens_on_default_pipe():
            continue
        api = EngineApi(host)
        info = get(api, "/info")
        mapped = [
            container_facts.container_fact(
                get(api, f"/containers/{c['Id']}/json"), info["Isolation"]
            )
            for c in get(api, "/containers/json?all=1")
        ]
        with host.exclusive():
            expected = model_facts(host)
        got = {f["name"]: comparable(f) for f in mapped}
        want = {f["name"]: model_view(f) for f in expected}
        assert set(got) == set(want), f"{fleet_file.name} host {name}"
        differences = [
            (container, key, got[container][key], want[container][key])
            for container in want
            for key in want[container]
            if got[container].get(key) != want[container][key]
        ]
        assert differences == [], f"{fleet_file.name} host {name}"
        compared += len(expected)
    if fleet_file.name in ("mixed.yml", "container_workloads.yml"):
        assert compared  # these fleets seed containers: the comparison saw some
