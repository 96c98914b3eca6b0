"""The raw reader, mapped in Python, equals today's facts on every test fleet (issue 18).

For every host of every fleet file the tests use, the container_host_info model runs the
controller's reads (plugins/plugin_utils/host_read.py ``module_args``) — every docker part
through the real docker CLI against the host's simulated Engine API — and
``host_read.facts`` maps its raw result. That must equal what the engine model states
(facts_oracle.py, the model's facts before the switch), except where the old model was
kinder than docker (``model_view``).
"""

from __future__ import annotations

from pathlib import Path

import facts_oracle
import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_read
from wcsim.fleet import Fleet
from wcsim.modules.container_host_info import ContainerHostInfo

REPO = Path(__file__).resolve().parents[3]
FLEET_FILES = sorted(
    [
        *(REPO / "tests" / "integration" / "fleets").glob("*.yml"),
        *(REPO / "tests" / "simulator" / "fleets").glob("*.yml"),
        REPO / "extensions" / "molecule" / "default" / "wcsim" / "fleet.yml",
    ]
)
FLEET_FILES = [p for p in FLEET_FILES if not p.name.endswith("_vars.yml")]
MODEL = ContainerHostInfo()


def comparable(fact: dict) -> dict:
    # Their order means nothing to docker (PortBindings is a map, binds come from one) and the
    # planner compares them sorted.
    return {**fact, "ports": sorted(fact["ports"]), "mounts": sorted(fact["mounts"])}


def model_view(fact: dict) -> dict:
    """Where the old model was kinder than docker: it listed a shared namespace
    ("container:<x>") among the networks, where docker's NetworkSettings.Networks is empty;
    and it reported a port a fleet file seeded without its protocol as given, where docker
    keys every binding by port/protocol (``80/tcp``)."""
    networks = [n for n in fact["networks"] if not n.startswith("container:")]
    ports = [p if "/" in p else f"{p}/tcp" for p in fact["ports"]]
    return comparable({**fact, "networks": networks, "ports": ports})


def differences(got: dict, want: dict) -> list:
    found = [
        (key, got.get(key), want[key])
        for key in want
        if key not in ("containers", "networks") and got.get(key) != want[key]
    ]
    mapped = {c["name"]: comparable(c) for c in got["containers"]}
    stated = {c["name"]: model_view(c) for c in want["containers"]}
    if set(mapped) != set(stated):
        found.append(("containers", sorted(mapped), sorted(stated)))
    for name in set(mapped) & set(stated):
        found += [
            (f"containers[{name}].{key}", mapped[name][key], stated[name][key])
            for key in stated[name]
            if mapped[name].get(key) != stated[name][key]
        ]
    return found


@pytest.mark.parametrize("fleet_file", FLEET_FILES, ids=[p.name for p in FLEET_FILES])
def test_raw_read_mapped_equals_the_model_s_facts(fleet_file, tmp_path):
    fleet = Fleet.load(fleet_file, tmp_path / "state")
    containers = 0
    for name in fleet.names:
        host = fleet.host(name)
        raw = MODEL.run(host, host_read.module_args(), False, False)
        got = host_read.facts(raw)
        with host.exclusive():
            want = facts_oracle.read_host(host)
        assert differences(got, want) == [], f"{fleet_file.name} host {name}"
        # The networks the engine has, from network ls/inspect.
        if got["engine"]["api_reachable"]:
            with host.exclusive():
                names = set(host.engine.networks())
            assert {n["name"] for n in got["networks"]} == names
        containers += len(got["containers"])
    if fleet_file.name in ("mixed.yml", "container_workloads.yml"):
        assert containers  # these fleets seed containers: the comparison saw some
