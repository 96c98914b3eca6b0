"""A network per trust group (network_plan)."""

from __future__ import annotations

import ipaddress

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan as cp,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    network_plan as npl,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    workload_spec as ws,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
WORKLOADS = [
    {"name": "web", "image": NANO, "ports": ["8080:80"]},
    {"name": "partner", "image": NANO, "trust_boundary": "Globex Corp"},
    {"name": "build", "image": NANO, "trust_level": "untrusted"},
    {"name": "sandbox", "image": NANO, "trust_boundary": "umbrella", "trust_level": "hostile"},
    {"name": "probe", "image": NANO, "trust_level": "hostile", "ports": ["9000:9000"]},
]


def assigned(workloads=WORKLOADS, build=20348, **hostvars):
    specs = ws.normalise_workloads(workloads, host="h1")
    return npl.assign(specs, hostvars, "acme", build, "h1")


def test_each_trust_group_gets_its_own_network_and_hostile_without_ports_gets_none():
    result = assigned()
    assert result.problems == []
    networks = {s.name: s.networks for s in result.specs}
    assert networks == {
        "web": [],
        "partner": ["tbwc-globex-corp-trusted-8c953d98"],
        "build": ["tbwc-acme-untrusted-822b33ad"],
        "sandbox": ["none"],
        "probe": ["tbwc-acme-hostile-822b33ad"],
    }
    assert set(result.ensure) == {
        "tbwc-globex-corp-trusted-8c953d98",
        "tbwc-acme-untrusted-822b33ad",
        "tbwc-acme-hostile-822b33ad",
    }
    subnets = [ipaddress.ip_network(s) for s in result.ensure.values()]
    assert len(set(subnets)) == 3
    assert all(
        s.prefixlen == 24 and s.subnet_of(ipaddress.ip_network("172.30.0.0/16")) for s in subnets
    )
    assert any("--network none" in r for r in result.reasons["sandbox"])


def test_names_and_subnets_are_the_same_on_every_run_and_follow_the_pool():
    assert assigned().ensure == assigned().ensure
    pooled = assigned(wincontainers_network_pool="10.99.0.0/20").ensure
    assert all(
        ipaddress.ip_network(s).subnet_of(ipaddress.ip_network("10.99.0.0/20"))
        for s in pooled.values()
    )


def test_a_workload_naming_a_network_another_group_uses_is_refused():
    workloads = [
        {"name": "web", "image": NANO, "networks": ["frontend"]},
        {"name": "build", "image": NANO, "trust_level": "untrusted", "networks": ["frontend"]},
        {"name": "tenant", "image": NANO, "trust_boundary": "globex", "networks": ["nat"]},
    ]
    (frontend, nat) = assigned(workloads).problems
    assert (frontend.rule, frontend.workload, frontend.host) == (npl.RULE_SHARED, "'build'", "h1")
    assert "'frontend'" in frontend.detail and "'acme'" in frontend.detail
    assert nat.workload == "'tenant'" and "'nat'" not in frontend.detail


def test_separation_off_changes_nothing():
    result = assigned(wincontainers_network_separation="no")
    assert result.ensure == {} and [s.networks for s in result.specs] == [[]] * 5


def test_server_2016_refuses_a_group_that_needs_a_network_of_its_own():
    result = assigned(build=14393)
    refused = {p.workload for p in result.problems}
    assert refused == {"'partner'", "'build'", "'probe'"}
    assert all(p.rule == npl.RULE_2016 for p in result.problems)
    assert result.ensure == {}


@pytest.mark.parametrize(
    ("hostvars", "field"),
    [
        ({"wincontainers_network_pool": "10.0.0.0/25"}, "wincontainers_network_pool"),
        ({"wincontainers_network_pool": "fd00::/48"}, "wincontainers_network_pool"),
        ({"wincontainers_network_separation": "maybe"}, "wincontainers_network_separation"),
    ],
)
def test_bad_settings_are_refused_naming_the_variable(hostvars, field):
    with pytest.raises(ws.WorkloadSpecError) as caught:
        assigned(**hostvars)
    assert caught.value.errors[0].field == field and caught.value.errors[0].rule == npl.RULE_BAD


def test_the_plan_ensures_a_network_before_the_first_workload_created_or_started_on_it():
    result = assigned()
    desired = [cp.Desired(spec=s, isolation="hyperv", user="ContainerUser") for s in result.specs]
    plan = cp.plan(desired, [], owner="o", networks=result.ensure)
    actions = [(s["action"], s["name"]) for s in plan.steps]
    ensure = [name for action, name in actions if action == "ensure_network"]
    assert sorted(ensure) == sorted(result.ensure)
    for network in ensure:
        first_create = next(
            i
            for i, (a, n) in enumerate(actions)
            if a == "create" and n in {s.name for s in result.specs if network in s.networks}
        )
        assert actions.index(("ensure_network", network)) < first_create
    step = next(s for s in plan.steps if s["action"] == "ensure_network")
    assert step["subnet"] == result.ensure[step["name"]]


def test_network_names_are_one_per_boundary_and_short():
    # Boundaries that slug alike must not share a network (issue 20 review).
    boundaries = ["Tenant A", "tenant a", "tenant-a", "Tenant_A", "Mandant Ü", "Mandant Ö", "租户"]
    names = [npl.network_name((b, "untrusted")) for b in boundaries]
    assert len(set(names)) == len(boundaries)
    assert names[0].startswith("tbwc-tenant-a-untrusted-")
    long = npl.network_name(("x" * 300, "untrusted"))
    assert len(long) <= 56 and long.startswith("tbwc-" + "x" * 32 + "-untrusted-")
    assert all(len(n) <= 56 and n == n.lower() for n in names)


def test_a_groups_subnet_does_not_move_when_other_groups_appear():
    """Once made, a group's network keeps its subnet (read from the host), whichever groups
    come after it: they allocate around it."""
    alone = assigned([WORKLOADS[2]]).ensure
    (name,) = alone
    on_host = [{"name": name, "id": "n1", "driver": "nat", "subnets": [alone[name]]}]
    for i in range(300):
        workloads = [WORKLOADS[2], {"name": "tenant", "image": NANO, "trust_boundary": f"aa {i}"}]
        specs = ws.normalise_workloads(workloads, host="h1")
        ensure = npl.assign(specs, {}, "acme", 20348, "h1", existing=on_host).ensure
        assert ensure[name] == alone[name]
        (other,) = set(ensure) - {name}
        assert ensure[other] != alone[name]


def test_a_subnet_taken_by_a_network_not_ours_is_skipped_along_the_probe_sequence():
    pool = ipaddress.ip_network("172.30.0.0/16")
    name = npl.network_name(("initech", "untrusted"))
    first = npl.subnets([name], pool)[name]
    foreign = [{"name": "lab", "id": "x", "driver": "transparent", "subnets": [first]}]
    moved = npl.subnets([name], pool, foreign)[name]
    assert moved != first and ipaddress.ip_network(moved).subnet_of(pool)
    # Deterministic: the same host gives the same answer; a larger foreign prefix is avoided.
    assert npl.subnets([name], pool, foreign)[name] == moved
    wide = [{"name": "lab", "subnets": [str(ipaddress.ip_network(first).supernet(2))]}]
    assert not ipaddress.ip_network(npl.subnets([name], pool, wide)[name]).overlaps(
        ipaddress.ip_network(first).supernet(2)
    )


def test_two_groups_hashing_to_one_subnet_both_get_one():
    pool = ipaddress.ip_network("10.8.0.0/23")  # two /24s
    names = [npl.network_name((f"b{i}", "trusted")) for i in range(2)]
    chosen = npl.subnets(names, pool)
    assert sorted(chosen.values()) == ["10.8.0.0/24", "10.8.1.0/24"]


def test_an_exhausted_pool_is_refused_naming_the_pool():
    pool = ipaddress.ip_network("10.8.0.0/23")  # two /24s for three groups
    names = [npl.network_name((f"b{i}", "trusted")) for i in range(3)]
    with pytest.raises(npl.PoolExhausted):
        npl.subnets(names, pool)
    workloads = [{"name": f"w{i}", "image": NANO, "trust_boundary": f"b{i}"} for i in range(3)]
    with pytest.raises(ws.WorkloadSpecError) as error:
        assigned(workloads, wincontainers_network_pool="10.8.0.0/23")
    (problem,) = error.value.errors
    assert (problem.rule, problem.host) == (npl.RULE_EXHAUSTED, "h1")
    assert "wincontainers_network_pool" in problem.detail and "10.8.0.0/23" in problem.detail


@pytest.mark.parametrize("separation", [True, False])
def test_a_network_the_inventory_names_must_be_on_the_host(separation):
    """After a reboot of Server 2019+ a user NAT network is gone; the collection re-creates
    only its own, and refuses a workload on a missing one before any change."""
    workloads = [{"name": "web", "image": NANO, "networks": ["backend"]}]
    specs = ws.normalise_workloads(workloads, host="h1")
    hostvars = {"wincontainers_network_separation": separation}
    gone = npl.assign(specs, hostvars, "acme", 20348, "h1", existing=[{"name": "nat"}])
    (problem,) = gone.problems
    assert (problem.rule, problem.host, problem.workload) == (npl.RULE_MISSING, "h1", "'web'")
    assert "'backend'" in problem.detail and "docker network create" in problem.detail
    there = [{"name": "nat"}, {"name": "backend", "subnets": ["10.1.0.0/24"]}]
    assert npl.assign(specs, hostvars, "acme", 20348, "h1", existing=there).problems == []
    # A read without networks (an older reader) checks nothing.
    assert npl.assign(specs, hostvars, "acme", 20348, "h1").problems == []


def test_joining_another_groups_network_namespace_is_refused():
    workloads = [
        {"name": "web", "image": NANO, "ports": ["8080:80"]},
        {"name": "side", "image": NANO, "networks": ["container:web"]},
        {
            "name": "tenant",
            "image": NANO,
            "trust_boundary": "globex",
            "networks": ["container:web"],
        },
        {"name": "probe", "image": NANO, "trust_level": "hostile", "networks": ["container:web"]},
        {"name": "stray", "image": NANO, "networks": ["container:byhand"]},
    ]
    problems = {p.workload: p for p in assigned(workloads).problems}
    assert set(problems) == {"'tenant'", "'probe'", "'stray'"}
    assert all(p.rule == npl.RULE_SHARED and p.host == "h1" for p in problems.values())
    assert "'globex'" in problems["'tenant'"].detail and "'acme'" in problems["'tenant'"].detail
    assert "'hostile'" in problems["'probe'"].detail
    assert "not a workload of this deployment" in problems["'stray'"].detail
    assert assigned(workloads, wincontainers_network_separation=False).problems == []
