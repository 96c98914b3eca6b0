"""audit_trust_rules (issue 20): shared networks across trust, resource ceilings, image sources."""

from __future__ import annotations

from audit_builders import HOSTVARS, NANO, WEB, info, managed, unmanaged

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_findings,
    audit_rules,
)

TENANT = {"name": "tenant", "image": NANO, "trust_boundary": "fabrikam", "memory": "1g", "cpus": 1}
SANDBOX = {
    "name": "sandbox",
    "image": NANO,
    "trust_level": "hostile",
    "memory": "1g",
    "cpus": 1,
    "storage": "20g",
}


def run(containers, workloads, **hostvars):
    return audit_rules.audit_host(
        info(containers=containers), {**HOSTVARS, **hostvars}, "ws2022", workloads=workloads
    )


def found(audit, rule_id):
    return [f.to_dict() for f in audit.findings if f.id == rule_id]


def test_two_trust_boundaries_on_the_default_nat_network_are_reported_each():
    web = managed(WEB)
    tenant = managed(TENANT, isolation="hyperv", boundary="fabrikam")
    audit = run([web, tenant], [WEB, TENANT])
    shared = {f["container"]: f for f in found(audit, "WC-NET-SHARED-BOUNDARY")}
    assert set(shared) == {"web", "tenant"}
    assert shared["web"]["evidence"]["network"] == "nat"
    assert shared["web"]["evidence"]["others"] == [
        {"name": "tenant", "trust_boundary": "fabrikam", "trust_level": "trusted"}
    ]
    assert shared["web"]["severity"] == audit_findings.RULES["WC-NET-SHARED-BOUNDARY"].severity


def test_own_networks_none_and_stopped_containers_share_nothing():
    web = managed(WEB)
    tenant = managed(TENANT, isolation="hyperv", boundary="fabrikam", networks=["fabrikam"])
    sandbox = managed(
        SANDBOX, isolation="hyperv", level="hostile", networks=["none"], network_mode="none"
    )
    stopped = managed(
        dict(TENANT, name="old"), isolation="hyperv", boundary="fabrikam", state="exited"
    )
    audit = run([web, tenant, sandbox, stopped], [WEB, TENANT, SANDBOX])
    assert found(audit, "WC-NET-SHARED-BOUNDARY") == []


def test_trust_level_differences_within_one_boundary_count_too():
    web = managed(WEB)
    sandbox = managed(SANDBOX, isolation="hyperv", level="hostile")
    assert {
        f["container"] for f in found(run([web, sandbox], [WEB, SANDBOX]), "WC-NET-SHARED-BOUNDARY")
    } == {
        "web",
        "sandbox",
    }


def test_a_hostile_container_without_or_above_its_ceiling_is_reported():
    bare = dict(SANDBOX, memory=None, cpus=None, storage=None)
    sandbox = managed(bare, isolation="hyperv", level="hostile", memory_bytes=0, cpus=0)
    audit = run([sandbox], [bare])
    ceiling = found(audit, "WC-RES-TRUST-CEILING")
    assert {tuple(sorted(f["evidence"])) for f in ceiling} == {
        ("ceiling", "memory_bytes", "trust_level"),
        ("ceiling", "cpus", "trust_level"),
        ("ceiling", "storage_bytes", "trust_level"),
    }
    big = managed(dict(SANDBOX, memory="4g"), isolation="hyperv", level="hostile")
    (over,) = found(run([big], [dict(SANDBOX, memory="4g")]), "WC-RES-TRUST-CEILING")
    assert over["evidence"]["memory_bytes"] == 4 * 1024**3
    allowed = {"hostile": {"memory": "1g", "cpus": 1, "allow_raise": True}}
    assert (
        found(
            run([big], [dict(SANDBOX, memory="4g")], wincontainers_trust_limits=allowed),
            "WC-RES-TRUST-CEILING",
        )
        == []
    )


def test_trusted_and_unmanaged_containers_have_no_ceiling_by_default():
    audit = run([managed(WEB, memory_bytes=0, cpus=0), unmanaged("bare", memory_bytes=0)], [WEB])
    assert found(audit, "WC-RES-TRUST-CEILING") == []


def test_image_sources_registry_and_pinning():
    web = managed(WEB)
    sources = {
        "trusted": {"registries": ["registry.contoso.example"]},
        "hostile": {"registries": ["mcr.microsoft.com"], "require_digest": True},
    }
    sandbox = managed(SANDBOX, isolation="hyperv", level="hostile")
    audit = run([web, sandbox], [WEB, SANDBOX], wincontainers_trust_registries=sources)
    (registry,) = found(audit, "WC-SRC-REGISTRY")
    assert (
        registry["container"] == "web" and registry["evidence"]["registry"] == "mcr.microsoft.com"
    )
    (pinned,) = found(audit, "WC-SRC-NOT-PINNED")
    assert pinned["container"] == "sandbox" and pinned["evidence"]["trust_level"] == "hostile"


def test_a_bad_variable_is_reported_as_a_refused_inventory_entry():
    audit = run([managed(WEB)], [WEB], wincontainers_trust_limits={"friendly": {}})
    refused = found(audit, "WC-INV-REFUSED")
    assert refused and refused[0]["evidence"]["variable"] == "wincontainers_trust_limits"


def test_joining_another_groups_network_namespace_is_reported_on_its_networks():
    web = managed(WEB)
    tenant = managed(
        dict(TENANT, networks=["container:web"]),
        isolation="process",
        boundary="fabrikam",
        networks=[],
        network_mode="container:web",
    )
    audit = run([web, tenant], [WEB, dict(TENANT, networks=["container:web"])])
    shared = {f["container"]: f for f in found(audit, "WC-NET-SHARED-BOUNDARY")}
    assert set(shared) == {"web", "tenant"}
    assert shared["tenant"]["evidence"]["others"] == [
        {"name": "web", "trust_boundary": "contoso", "trust_level": "trusted"}
    ]
    side = {"name": "side", "image": NANO, "memory": "512m", "cpus": 1}
    sidecar = managed(side, networks=[], network_mode=f"container:{web['id']}")
    assert found(run([web, sidecar], [WEB, side]), "WC-NET-SHARED-BOUNDARY") == []


def test_a_hostile_scratch_disk_above_its_ceiling_is_reported_as_docker_keeps_the_size():
    """docker keeps --storage-opt size as given ("50GB"): the audit reads it as dockerd does."""
    big = managed(dict(SANDBOX, storage=None), isolation="hyperv", level="hostile")
    big["storage_size"] = "50GB"
    (over,) = found(run([big], [SANDBOX]), "WC-RES-TRUST-CEILING")
    assert over["evidence"]["storage_bytes"] == 50 * 1024**3
    assert over["evidence"]["ceiling"] == 20 * 1024**3
    big["storage_size"] = "20 GiB"
    assert found(run([big], [SANDBOX]), "WC-RES-TRUST-CEILING") == []
