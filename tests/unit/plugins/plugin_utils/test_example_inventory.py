"""inventories/example (docs/example-inventory.md): every workload validates and the policy
decides what the document says."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    host_facts,
    trust_policy,
    workload_spec,
)

EXAMPLE = Path(__file__).resolve().parents[4] / "inventories" / "example"
HOST_OS = "10.0.20348.2340"
# The OsVersion docker would report for each image once pulled.
IMAGE_OS = {"registry.acme.example/acme/reports:1809": "10.0.17763.5458"}
# What docs/example-inventory.md states.
EXPECTED = {
    "ctr-acme-01.acme.example": {
        "acme-web": "process",
        "globex-api": "hyperv",
        "customer-build": "hyperv",
    },
    "ctr-acme-02.acme.example": {
        "acme-legacy-reports": "hyperv",
        "detonation": "hyperv",
        "initech-renderer": "hyperv",
    },
    "ctr-globex-01.acme.example": {"globex-portal": "process", "acme-monitoring": "hyperv"},
}


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def hostvars(host: str) -> dict:
    inventory = load(EXAMPLE / "hosts.yml")
    groups = inventory["all"]["children"]["windows"]["children"]
    group = next(name for name, body in groups.items() if host in body["hosts"])
    merged = {**load(EXAMPLE / "group_vars" / "windows" / "main.yml")}
    merged.update(load(EXAMPLE / "group_vars" / f"{group}.yml"))
    merged.update(load(EXAMPLE / "host_vars" / f"{host}.yml"))
    return merged


@pytest.mark.parametrize("host", sorted(EXPECTED))
def test_example_decisions(host):
    variables = hostvars(host)
    info = {"os": {"version": HOST_OS}, "features": {"Hyper-V": "Installed"}}
    policy_host = host_facts.policy_host(info, variables, host)
    specs = workload_spec.normalise_workloads(variables["wincontainers_workloads"], host=host)
    decided = {}
    for spec in specs:
        decision = trust_policy.decide(
            spec.policy_input(IMAGE_OS.get(spec.image, HOST_OS)), policy_host
        )
        assert decision.user == "ContainerUser"
        decided[spec.name] = decision.isolation
    assert decided == EXPECTED[host]


def test_example_has_three_trust_boundaries():
    boundaries = set()
    for host in EXPECTED:
        variables = hostvars(host)
        boundaries.add(variables["wincontainers_trust_boundary"])
        for workload in variables["wincontainers_workloads"]:
            boundaries.add(
                workload.get("trust_boundary", variables["wincontainers_trust_boundary"])
            )
    assert boundaries == {"acme", "globex", "initech"}


@pytest.mark.parametrize("host", sorted(EXPECTED))
def test_example_workloads_fit_their_levels_limits_and_image_sources(host):
    from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_trust

    variables = hostvars(host)
    specs = workload_spec.normalise_workloads(variables["wincontainers_workloads"], host=host)
    limited, _reasons, problems = workload_trust.apply(
        specs,
        variables.get("wincontainers_trust_limits"),
        variables.get("wincontainers_trust_registries"),
        host,
        8,
    )
    assert problems == []
    for spec in limited:
        if spec.trust_level in ("untrusted", "hostile") and spec.state != "absent":
            assert spec.memory_bytes and spec.cpus, spec.name


def test_example_networks_are_what_the_page_says():
    from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import network_plan

    networks = {}
    for host in EXPECTED:
        variables = hostvars(host)
        specs = workload_spec.normalise_workloads(variables["wincontainers_workloads"], host=host)
        result = network_plan.assign(
            specs, variables, variables["wincontainers_trust_boundary"], 20348, host
        )
        assert result.problems == []
        networks.update({spec.name: spec.networks for spec in result.specs})
    assert networks["globex-api"] == ["tbwc-globex-trusted-5bc1a08d"]
    assert networks["customer-build"] == ["tbwc-acme-untrusted-822b33ad"]
    assert networks["initech-renderer"] == ["tbwc-initech-trusted-4cdc1a42"]
    assert networks["acme-monitoring"] == ["tbwc-acme-trusted-822b33ad"]
    assert networks["detonation"] == ["none"]
    assert networks["acme-web"] == networks["globex-portal"] == []
