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
import host_reads
import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import audit_rules, host_read
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
CONFIG_HASH = "trustbound.wincontainers.config_hash"


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


NAMED_VOLUME_FLEET = """
registry:
  images:
    mcr.microsoft.com/windows/nanoserver:ltsc2022: {os_version: "10.0.20348.2340"}
hosts:
  h22:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {version: "27.3.1", daemon_config: {hosts: ["npipe://"]}}
    images: [mcr.microsoft.com/windows/nanoserver:ltsc2022]
    containers:
      - name: app
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        mounts: ["appdata:C:\\\\data"]
"""


def test_named_volume_read_through_the_cli_keeps_the_spec_and_no_data_root_finding(tmp_path):
    """docker reports a named volume's Source as its folder under the data root (moby
    volume/local/local.go); the mapping reports it by name, as the plan compares it, and the
    audit raises no data-root finding for it."""
    path = tmp_path / "fleet.yml"
    path.write_text(NAMED_VOLUME_FLEET, encoding="utf-8")
    host = Fleet.load(path, tmp_path / "state").host("h22")
    raw = MODEL.run(host, host_read.module_args(), False, False)
    printed = raw["docker"][host_read.CONTAINERS]["stdout"]
    assert "C:\\\\ProgramData\\\\docker\\\\volumes\\\\appdata\\\\_data" in printed
    facts = host_read.facts(raw)
    assert facts["containers"][0]["mounts"] == ["appdata:C:\\data"]
    audit = audit_rules.audit_host(facts, {}, "h22")
    assert not [f for f in audit.findings if f.id == "WC-HOLE-DATA-ROOT"], audit.findings


SECRETS_FLEET = """
registry:
  images:
    mcr.microsoft.com/windows/nanoserver:ltsc2022: {os_version: "10.0.20348.2340"}
hosts:
  h22:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {version: "27.3.1", daemon_config: {hosts: ["npipe://"]}}
    images: [mcr.microsoft.com/windows/nanoserver:ltsc2022]
    containers:
      - name: old
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        env: ["API_TOKEN=s3cret-Value=x", "MODE=prod"]
        labels: {trustbound.wincontainers.config_hash: "sha256:0123abcd"}
      - name: new
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        labels: {trustbound.wincontainers.config_hash: "v2-4567"}
"""


def test_environment_values_and_unkeyed_hashes_never_leave_the_host(tmp_path):
    """What the CLI prints (what the .ps1 returns) holds environment names only, and the
    legacy unkeyed config hash masked; a keyed "v2-" hash as it is."""
    path = tmp_path / "fleet.yml"
    path.write_text(SECRETS_FLEET, encoding="utf-8")
    host = Fleet.load(path, tmp_path / "state").host("h22")
    raw = MODEL.run(host, host_read.module_args(), False, False)
    printed = "".join(r["stdout"] for r in raw["docker"])
    assert '["API_TOKEN","MODE"]' in printed
    assert "s3cret" not in printed and "prod" not in printed
    assert "0123abcd" not in printed and "v2-4567" in printed
    facts = {c["name"]: c for c in host_read.facts(raw)["containers"]}
    assert facts["old"]["labels"][CONFIG_HASH] == "********"
    assert facts["new"]["labels"][CONFIG_HASH] == "v2-4567"


def test_a_missing_docker_cli_fails_the_read_instead_of_falling_back(tmp_path, monkeypatch):
    monkeypatch.setenv("WCSIM_DOCKER_CLI", str(tmp_path / "no-such-docker"))
    path = tmp_path / "fleet.yml"
    path.write_text(NAMED_VOLUME_FLEET, encoding="utf-8")
    fleet = Fleet.load(path, tmp_path / "state")
    rc, result = host_reads.read(fleet, "h22")
    assert rc == 1 and result["failed"] is True
    assert "WCSIM_DOCKER_CLI" in result["msg"] and "no-such-docker" in result["msg"]
