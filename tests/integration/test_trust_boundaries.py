"""Trust boundaries beyond the kernel (issue 20), end to end on simulated hosts.

Each test starts its own ``wcsim`` fleet (fleets/trust_boundaries.yml: a Server 2022 host
shared by tenants, a patched Server 2019 host without Hyper-V) and runs the real
``playbooks/deploy.yml``. Every refusal is checked on the simulated host's state: it happens
before anything on the host changes and names the host, the workload and the rule.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FLEETS, REPO, PlaybookRun, WcsimFleet

pytestmark = pytest.mark.slow

DEPLOY = REPO / "playbooks" / "deploy.yml"
HOST_VARS = FLEETS / "trust_boundaries_vars.yml"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
WEB = {"name": "web", "image": NANO, "command": ["ping", "-t", "localhost"], "ports": ["8080:80"]}


class Fleet(WcsimFleet):
    def __init__(self, state_dir: Path, run_playbook) -> None:
        super().__init__(FLEETS / "trust_boundaries.yml", state_dir)
        self._run = run_playbook

    def deploy(self, host: str, workloads: list[dict] | None = None, *args: str) -> PlaybookRun:
        extra = {"wincontainers_workloads": workloads} if workloads is not None else None
        return self._run(
            DEPLOY,
            "-i",
            str(HOST_VARS),
            "--limit",
            host,
            *args,
            extra_vars=extra,
            inventory=self.inventory,
        )

    def containers(self, host: str) -> dict[str, dict]:
        return {c["name"]: c for c in self.host_state(host)["containers"]}


@pytest.fixture
def fleet(tmp_path: Path, run_playbook) -> Iterator[Fleet]:
    simulated = Fleet(tmp_path / "state", run_playbook)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def deployed(fleet: Fleet, host: str, workloads: list[dict] | None = None) -> PlaybookRun:
    run = fleet.deploy(host, workloads)
    assert run.rc == 0, run.output
    return run


def assert_refused_before_any_change(
    run: PlaybookRun, fleet: Fleet, host: str, before: dict, *texts: str
) -> None:
    assert run.rc != 0, run.output
    for text in texts:
        assert text in run.output, run.output
    assert run.stats[host]["changed"] == 0
    assert fleet.containers(host) == before


# ------------------------------------------------------- part 5: corrections --
@pytest.mark.parametrize("port", ["127.0.0.1:8080:80", "10.0.0.5:9090:90/udp"])
def test_a_port_with_a_specific_host_ip_is_refused_before_any_change(fleet, port):
    """Today accepted: the replacement's start fails on Windows ("Windows does not support host
    IP addresses in NAT settings", moby's Windows NAT driver)."""
    deployed(fleet, "tenants")
    before = fleet.containers("tenants")
    api = {"name": "api", "image": NANO, "ports": [port]}
    run = fleet.deploy("tenants", [WEB, api])
    assert_refused_before_any_change(
        run,
        fleet,
        "tenants",
        before,
        "host 'tenants', workload 'api'",
        "host-ip-unsupported",
        "Windows does not support host IP addresses in NAT settings",
    )


def test_a_port_on_every_host_address_is_published(fleet):
    run = deployed(fleet, "tenants", [dict(WEB, ports=["0.0.0.0:8080:80"])])
    assert run.stats["tenants"]["changed"] == 1
    assert fleet.containers("tenants")["web"]["state"] == "running"


def test_memory_below_the_floor_is_refused_before_any_change(fleet):
    """Today 6 MB to 49 MB are accepted; such containers hang (Windows-Containers#482)."""
    deployed(fleet, "tenants")
    before = fleet.containers("tenants")
    run = fleet.deploy("tenants", [WEB, {"name": "tiny", "image": NANO, "memory": "30m"}])
    assert_refused_before_any_change(
        run, fleet, "tenants", before, "host 'tenants', workload 'tiny'", "memory-below-floor"
    )


def test_on_failure_zero_is_deployed_and_a_second_run_changes_nothing(fleet):
    """Today refused as a bad value although docker accepts it (moby refuses negatives only)."""
    workloads = [dict(WEB, restart_policy="on-failure:0")]
    first = deployed(fleet, "tenants", workloads)
    assert first.stats["tenants"]["changed"] == 1
    web = fleet.containers("tenants")["web"]
    assert (web["state"], web["restart_policy"]) == ("running", "on-failure")
    second = deployed(fleet, "tenants", workloads)
    assert second.stats["tenants"]["changed"] == 0
    assert fleet.containers("tenants")["web"] == web


def test_an_image_before_the_february_2020_baseline_is_refused_on_a_later_host(fleet):
    """Process isolation cannot run a January 2020 image on a host patched after February 2020
    (Microsoft's update-containers.md); without Hyper-V the workload is refused, not started to
    fail. Today it is deployed under process isolation."""
    before = fleet.containers("patched2019")
    old = {"name": "old", "image": "mcr.microsoft.com/windows/nanoserver:1809-KB4534273"}
    run = fleet.deploy("patched2019", [old])
    assert_refused_before_any_change(
        run, fleet, "patched2019", before, "host 'patched2019', workload 'old'", "February 2020"
    )
    fresh = {"name": "fresh", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2019"}
    deployed(fleet, "patched2019", [fresh])
    assert fleet.containers("patched2019")["fresh"]["isolation"] == "process"


# ---------------------------------------- parts 2, 3, 6: limits, sources, reasons --
THREE_BOUNDARIES = [
    WEB,  # acme's own, trusted
    {"name": "partner", "image": NANO, "trust_boundary": "globex"},
    {"name": "build", "image": NANO, "trust_boundary": "initech", "trust_level": "untrusted"},
    {"name": "sandbox", "image": NANO, "trust_boundary": "umbrella", "trust_level": "hostile"},
]
GIB = 1024**3


def reasons_of(run: PlaybookRun, host: str, name: str) -> list[str]:
    result = run.task(
        "trustbound.wincontainers.container_workloads : Reconcile the containers with"
        " wincontainers_workloads (isolation and user from trust)"
    )[host]
    return next(w["decision"]["reasons"] for w in result["workloads"] if w["name"] == name)


def test_untrusted_and_hostile_containers_get_their_levels_limits_and_a_second_run_is_quiet(
    fleet,
):
    """Today no limit is set unless the inventory sets one."""
    first = deployed(fleet, "tenants", THREE_BOUNDARIES)
    limits = {n: (c["memory_bytes"], c["cpus"]) for n, c in fleet.containers("tenants").items()}
    assert limits == {
        "web": (0, 0),
        "partner": (0, 0),
        "build": (2 * GIB, 2),
        "sandbox": (GIB, 1),
    }
    assert any("hostile level's ceiling" in r for r in reasons_of(first, "tenants", "sandbox"))
    second = deployed(fleet, "tenants", THREE_BOUNDARIES)
    assert second.stats["tenants"]["changed"] == 0


def test_a_hostile_workload_above_its_ceiling_is_refused_before_any_change(fleet):
    deployed(fleet, "tenants", THREE_BOUNDARIES)
    before = fleet.containers("tenants")
    greedy = [*THREE_BOUNDARIES[:3], dict(THREE_BOUNDARIES[3], memory="8g")]
    run = fleet.deploy("tenants", greedy)
    assert_refused_before_any_change(
        run,
        fleet,
        "tenants",
        before,
        "host 'tenants', workload 'sandbox'",
        "trust-limit-exceeded",
        "wincontainers_trust_limits.hostile.memory",
    )


def test_the_inventory_may_allow_a_level_to_raise_its_ceiling(fleet):
    greedy = [dict(THREE_BOUNDARIES[3], memory="8g")]
    run = fleet.deploy(
        "tenants",
        greedy,
        "-e",
        json.dumps(
            {
                "wincontainers_trust_limits": {
                    "hostile": {"memory": "1g", "cpus": 1, "allow_raise": True}
                }
            }
        ),
    )
    assert run.rc == 0, run.output
    assert fleet.containers("tenants")["sandbox"]["memory_bytes"] == 8 * GIB


@pytest.mark.parametrize(
    ("image", "rule", "registry"),
    [
        (NANO, "digest-required", "mcr.microsoft.com"),
        ("ghcr.io/umbrella/sandbox@sha256:" + "a" * 64, "registry-not-allowed", "ghcr.io"),
    ],
)
def test_hostile_code_from_outside_its_sources_is_refused_before_any_change(
    fleet, image, rule, registry
):
    """Today any registry and any tag is accepted for hostile code."""
    deployed(fleet, "tenants", THREE_BOUNDARIES)
    before = fleet.containers("tenants")
    hostile = {"registries": ["mcr.microsoft.com"], "require_digest": True}
    sources = json.dumps({"wincontainers_trust_registries": {"hostile": hostile}})
    workloads = [*THREE_BOUNDARIES[:3], dict(THREE_BOUNDARIES[3], image=image)]
    run = fleet.deploy("tenants", workloads, "-e", sources)
    assert_refused_before_any_change(
        run, fleet, "tenants", before, "host 'tenants', workload 'sandbox'", rule, repr(registry)
    )


def test_check_diff_shows_the_limits_and_source_decisions(fleet):
    sources = (
        '{"wincontainers_trust_registries": {"untrusted": {"registries": ["mcr.microsoft.com"]}}}'
    )
    run = fleet.deploy("tenants", THREE_BOUNDARIES, "--check", "--diff", "-e", sources)
    assert run.rc == 0, run.output
    assert fleet.containers("tenants") == {}
    reasons = reasons_of(run, "tenants", "build")
    assert any(r.startswith("[trust-limits] memory 2g") for r in reasons)
    assert any(r.startswith("[image-source] registry mcr.microsoft.com") for r in reasons)
    result = run.task(
        "trustbound.wincontainers.container_workloads : Reconcile the containers with"
        " wincontainers_workloads (isolation and user from trust)"
    )["tenants"]
    build_diff = next(
        d for d in result["diff"] if d["after_header"] == "container build (inventory)"
    )
    assert build_diff["after"]["memory_bytes"] == 2 * GIB
    assert build_diff["after"]["storage_bytes"] == 50 * GIB
    assert any("[trust-limits]" in r for r in build_diff["after"]["decision_reasons"])
    assert any(r.startswith("[trust-limits] storage 50g") for r in reasons)


PINNED = "mcr.microsoft.com/windows/nanoserver@sha256:" + "2" * 64
REFRESH = REPO / "playbooks" / "refresh-images.yml"


def test_pinned_hostile_code_is_deployed_and_the_refresh_reports_it_unmoved(fleet):
    """The refresh of base images knows digest-pinned workloads do not move: it reports them."""
    hostile = {"registries": ["mcr.microsoft.com"], "require_digest": True}
    sources = json.dumps({"wincontainers_trust_registries": {"hostile": hostile}})
    workloads = [*THREE_BOUNDARIES[:3], dict(THREE_BOUNDARIES[3], image=PINNED)]
    run = fleet.deploy("tenants", workloads, "-e", sources)
    assert run.rc == 0, run.output
    assert fleet.containers("tenants")["sandbox"]["state"] == "running"
    assert any("pinned by digest" in r for r in reasons_of(run, "tenants", "sandbox"))
    refresh = fleet._run(
        REFRESH,
        "-i",
        str(HOST_VARS),
        "--limit",
        "tenants",
        "-e",
        sources,
        "-e",
        json.dumps(
            {"wincontainers_workloads": workloads, "container_updates_owner": "integration"}
        ),
        inventory=fleet.inventory,
    )
    assert refresh.rc == 0, refresh.output
    report = refresh.task("trustbound.wincontainers.container_updates : Report the refresh")
    assert report["tenants"]["msg"]["pinned"] == [{"workload": "sandbox", "image": PINNED}]


# ------------------------------------------------------------ part 4: the audit --
AUDIT = REPO / "playbooks" / "audit.yml"
AUDIT_TASK = "Audit the host's containers, engine and patch level against its inventory"


def test_the_audit_sees_shared_networks_missing_ceilings_and_image_sources(fleet, tmp_path):
    """Today none of these is a finding. The host is deployed as today's code would (every
    container on nat), then audited under the new settings."""
    run = fleet.deploy(
        "tenants",
        THREE_BOUNDARIES,
        "-e",
        json.dumps({"wincontainers_network_separation": False}),
    )
    assert run.rc == 0, run.output
    hostile = {"registries": ["registry.acme.example"], "require_digest": True}
    extra = {
        "wincontainers_workloads": THREE_BOUNDARIES,
        "wincontainers_trust_registries": {"hostile": hostile},
        "wincontainers_trust_limits": {"untrusted": {"memory": "1g", "cpus": 1}},
        "audit_report_dir": str(tmp_path / "reports"),
    }
    run = fleet._run(
        AUDIT,
        "-i",
        str(HOST_VARS),
        "--limit",
        "tenants",
        extra_vars=extra,
        inventory=fleet.inventory,
    )
    assert run.rc == 0, run.output
    findings = run.task(AUDIT_TASK)["tenants"]["findings"]
    where = {(f["id"], f["container"]) for f in findings}
    for name in ("web", "partner", "build", "sandbox"):
        assert ("WC-NET-SHARED-BOUNDARY", name) in where, findings
    assert ("WC-RES-TRUST-CEILING", "build") in where  # 2g/2 CPUs above the 1g/1 ceiling
    assert ("WC-SRC-REGISTRY", "sandbox") in where  # mcr.microsoft.com, not acme's registry
    network = next(f for f in findings if f["id"] == "WC-NET-SHARED-BOUNDARY")
    assert network["evidence"]["network"] == "nat" and network["severity"] == "medium"


# --------------------------------------------------- part 1: a network per group --
def groups_by_network(fleet: Fleet, host: str) -> dict[str, set[tuple[str, str]]]:
    """network -> the trust groups (boundary, level) of the containers on it."""
    by_network: dict[str, set[tuple[str, str]]] = {}
    for container in fleet.containers(host).values():
        labels = container["labels"]
        group = (
            labels["trustbound.wincontainers.trust_boundary"],
            labels["trustbound.wincontainers.trust_level"],
        )
        for network in container["networks"]:
            by_network.setdefault(network, set()).add(group)
    return by_network


def reboot(fleet: Fleet, host: str) -> None:
    plays = [
        {
            "name": "Reboot",
            "hosts": host,
            "gather_facts": False,
            "tasks": [{"name": "Reboot the host", "ansible.windows.win_reboot": {}}],
        }
    ]
    run = fleet._run(plays, inventory=fleet.inventory)
    assert run.rc == 0, run.output


def test_no_network_holds_two_trust_groups_and_hostile_code_gets_none(fleet):
    """Today every container lands on nat."""
    first = deployed(fleet, "tenants", THREE_BOUNDARIES)
    containers = fleet.containers("tenants")
    assert {n: c["networks"] for n, c in containers.items()} == {
        "web": ["nat"],
        "partner": ["tbwc-globex-trusted-5bc1a08d"],
        "build": ["tbwc-initech-untrusted-4cdc1a42"],
        "sandbox": ["none"],
    }
    assert all(len(groups) == 1 for groups in groups_by_network(fleet, "tenants").values())
    assert any("own NAT network" in r for r in reasons_of(first, "tenants", "partner"))
    assert deployed(fleet, "tenants", THREE_BOUNDARIES).stats["tenants"]["changed"] == 0


def test_a_workload_naming_another_groups_network_is_refused_before_any_change(fleet):
    deployed(fleet, "tenants", THREE_BOUNDARIES)
    before = fleet.containers("tenants")
    intruder = dict(THREE_BOUNDARIES[2], networks=["tbwc-globex-trusted-5bc1a08d"])
    run = fleet.deploy("tenants", [*THREE_BOUNDARIES[:2], intruder, THREE_BOUNDARIES[3]])
    assert_refused_before_any_change(
        run,
        fleet,
        "tenants",
        before,
        "host 'tenants', workload 'build'",
        "network-shared-across-trust",
        "'tbwc-globex-trusted-5bc1a08d'",
    )


@pytest.mark.parametrize("host", ["tenants", "tenants2010"])
def test_after_a_reboot_the_networks_are_back_before_the_workloads_start(fleet, host):
    """Server 2019 and later do not keep user NAT networks across a reboot; dockerd 20.10.18
    and 23.0 on re-create them, an older one does not, and the deployment does."""
    deployed(fleet, host, THREE_BOUNDARIES)
    reboot(fleet, host)
    networks = fleet.host_state(host)["networks"]
    assert ("tbwc-globex-trusted-5bc1a08d" in networks) is (host == "tenants")
    run = deployed(fleet, host, THREE_BOUNDARIES)
    containers = fleet.containers(host)
    assert all(c["state"] == "running" for c in containers.values()), containers
    assert {"tbwc-globex-trusted-5bc1a08d", "tbwc-initech-untrusted-4cdc1a42"} <= set(
        fleet.host_state(host)["networks"]
    )
    assert all(len(groups) == 1 for groups in groups_by_network(fleet, host).values())
    steps = run.task(
        "trustbound.wincontainers.container_workloads : Reconcile the containers with"
        " wincontainers_workloads (isolation and user from trust)"
    )[host]["steps"]
    assert [s["name"] for s in steps if s["action"] == "ensure_network"] == [
        "tbwc-globex-trusted-5bc1a08d",
        "tbwc-initech-untrusted-4cdc1a42",
    ]


def test_server_2016_refuses_a_group_that_needs_its_own_nat_network(fleet):
    core16 = "mcr.microsoft.com/windows/nanoserver:ltsc2016"
    workloads = [
        {"name": "own", "image": core16},
        {"name": "partner", "image": core16, "trust_boundary": "globex"},
    ]
    run = fleet.deploy("ws2016", workloads)
    assert_refused_before_any_change(
        run,
        fleet,
        "ws2016",
        {},
        "host 'ws2016', workload 'partner'",
        "network-separation-unsupported-2016",
    )
    allowed = fleet.deploy(
        "ws2016", workloads, "-e", json.dumps({"wincontainers_network_separation": False})
    )
    assert allowed.rc == 0, allowed.output


def test_after_a_deployment_the_audit_finds_no_shared_network_and_no_drift(fleet, tmp_path):
    deployed(fleet, "tenants", THREE_BOUNDARIES)
    extra = {"wincontainers_workloads": THREE_BOUNDARIES, "audit_report_dir": str(tmp_path)}
    run = fleet._run(
        AUDIT,
        "-i",
        str(HOST_VARS),
        "--limit",
        "tenants",
        extra_vars=extra,
        inventory=fleet.inventory,
    )
    assert run.rc == 0, run.output
    fired = {f["id"] for f in run.task(AUDIT_TASK)["tenants"]["findings"]}
    assert not fired & {"WC-NET-SHARED-BOUNDARY", "WC-INV-DRIFT", "WC-RES-TRUST-CEILING"}, fired


PATCH = REPO / "playbooks" / "patch.yml"


def test_a_patch_restart_restores_every_workload_on_its_own_network(fleet):
    """The patch drains, installs, restarts the host (user NAT networks are lost, this engine
    does not re-create them) and restores: the networks come back before the workloads start."""
    deployed(fleet, "patchme", THREE_BOUNDARIES)
    before = {n: c["networks"] for n, c in fleet.containers("patchme").items()}
    extra = {
        "wincontainers_workloads": THREE_BOUNDARIES,
        "container_updates_owner": "integration",
        "container_updates_known_revisions": {"KB5034129": "20348.2227"},
        "container_updates_ready_delay": 1,
    }
    run = fleet._run(
        PATCH,
        "-i",
        str(HOST_VARS),
        "--limit",
        "patchme",
        extra_vars=extra,
        inventory=fleet.inventory,
    )
    assert run.rc == 0, run.output
    state = fleet.host_state("patchme")
    assert state["os"]["revision"] == 2227
    containers = fleet.containers("patchme")
    assert all(c["state"] == "running" for c in containers.values()), containers
    assert {n: c["networks"] for n, c in containers.items()} == before
    assert {"tbwc-globex-trusted-5bc1a08d", "tbwc-initech-untrusted-4cdc1a42"} <= set(
        state["networks"]
    )
    assert all(len(groups) == 1 for groups in groups_by_network(fleet, "patchme").values())


def test_a_patch_restart_makes_the_inventorys_own_nat_network_again(fleet):
    """A NAT network the admin made and a workload names: the restart takes it (this engine
    does not re-create it), the restore makes it again with its subnet before the workload."""
    workloads = [
        {
            "name": "api",
            "image": NANO,
            "command": ["ping", "-t", "localhost"],
            "networks": ["backend"],
        }
    ]
    deployed(fleet, "patchnet", workloads)
    extra = {
        "wincontainers_workloads": workloads,
        "container_updates_known_revisions": {"KB5034129": "20348.2227"},
        "container_updates_ready_delay": 1,
    }
    run = fleet._run(
        PATCH, "-i", str(HOST_VARS), "--limit", "patchnet", extra_vars=extra,
        inventory=fleet.inventory,
    )  # fmt: skip
    assert run.rc == 0, run.output
    state = fleet.host_state("patchnet")
    assert state["os"]["revision"] == 2227
    assert fleet.containers("patchnet")["api"]["state"] == "running"
    assert "backend" in state["networks"]
    assert state["network_subnets"]["backend"] == "10.60.0.0/24"
    (restored,) = [
        result
        for play in run.data["plays"]
        for task in play["tasks"]
        for host, result in task["hosts"].items()
        if host == "patchnet" and "networks_recreated" in result
    ]
    assert restored["networks_recreated"] == ["backend"]


# ------------------------------------------- issue 20 leftovers: storage, allocation --
def test_untrusted_and_hostile_containers_get_their_levels_scratch_disk_size(fleet):
    """--storage-opt size: hostile 20 GB, untrusted 50 GB, trusted the engine's default."""
    deployed(fleet, "tenants", THREE_BOUNDARIES)
    sizes = {n: c["storage_opt"] for n, c in fleet.containers("tenants").items()}
    assert sizes == {
        "web": {},
        "partner": {},
        "build": {"size": str(50 * GIB)},
        "sandbox": {"size": str(20 * GIB)},
    }
    assert deployed(fleet, "tenants", THREE_BOUNDARIES).stats["tenants"]["changed"] == 0


def test_a_scratch_disk_below_20_gb_is_refused_before_any_change(fleet):
    deployed(fleet, "tenants", THREE_BOUNDARIES)
    before = fleet.containers("tenants")
    small = [*THREE_BOUNDARIES[:3], dict(THREE_BOUNDARIES[3], storage="10g")]
    run = fleet.deploy("tenants", small)
    assert_refused_before_any_change(
        run, fleet, "tenants", before, "host 'tenants', workload 'sandbox'", "storage-below-floor"
    )


def test_a_groups_subnet_held_by_an_admins_network_moves_to_the_next_free_one(fleet):
    """172.30.117.0/24, the /24 initech's untrusted network draws, is the admin's 'lab': the
    group takes the next free /24 of its probe sequence instead of failing."""
    first = deployed(fleet, "crowded", THREE_BOUNDARIES)
    assert any("overlaps a network on the host" in r for r in reasons_of(first, "crowded", "build"))
    state = fleet.host_state("crowded")
    subnets = state["network_subnets"]
    build_net = "tbwc-initech-untrusted-4cdc1a42"
    assert subnets["lab"] == "172.30.117.0/24"
    assert subnets[build_net] != "172.30.117.0/24"
    assert subnets[build_net].startswith("172.30.")
    assert len(set(subnets.values())) == len(subnets)
    containers = fleet.containers("crowded")
    assert containers["build"]["networks"] == [build_net]
    assert all(c["state"] == "running" for c in containers.values()), containers
    again = deployed(fleet, "crowded", THREE_BOUNDARIES)
    assert again.stats["crowded"]["changed"] == 0
    assert fleet.host_state("crowded")["network_subnets"][build_net] == subnets[build_net]


def test_a_workload_on_an_inventory_network_lost_at_a_reboot_is_refused_before_any_change(
    fleet,
):
    """Server 2019+ loses user NAT networks at a reboot and this engine does not re-create
    them; the collection does not know how to make the admin's 'backend', so it refuses the
    workload naming the host, the workload, the network and the fix, and changes nothing."""
    web = dict(WEB, networks=["backend"])
    deployed(fleet, "crowded", [web])
    assert fleet.containers("crowded")["web"]["networks"] == ["backend"]
    reboot(fleet, "crowded")
    assert "backend" not in fleet.host_state("crowded")["networks"]
    before = fleet.containers("crowded")
    run = fleet.deploy("crowded", [web])
    assert_refused_before_any_change(
        run,
        fleet,
        "crowded",
        before,
        "host 'crowded', workload 'web'",
        "network-missing",
        "'backend'",
        "docker network create",
    )


SITE = REPO / "playbooks" / "site.yml"


def test_measure_site_run_separates_three_boundaries_and_a_patch_restores_them(fleet):
    """Issue 20's measure through playbooks/site.yml on a Server 2022 host running trusted,
    untrusted and hostile code of three boundaries: no network holds two groups, untrusted
    and hostile containers have memory and CPU limits, a second run changes nothing, and
    after the patch's reboot (this engine does not re-create NAT networks) every workload is
    back on its own network."""
    extra = {
        "wincontainers_workloads": THREE_BOUNDARIES,
        # The host's engine as it is: provisioning has nothing to install (a pin needs a
        # checksum; nothing is downloaded, so none is checked).
        "container_host_engine_version": "20.10.17",
        "container_host_engine_checksums": {"20.10.17": "a" * 64},
    }

    def site():
        run = fleet._run(
            SITE,
            "-i",
            str(HOST_VARS),
            "--limit",
            "patchme",
            extra_vars=extra,
            inventory=fleet.inventory,
        )
        assert run.rc == 0, run.output
        return run

    site()
    containers = fleet.containers("patchme")
    assert all(len(groups) == 1 for groups in groups_by_network(fleet, "patchme").values())
    assert {n: c["networks"] for n, c in containers.items()} == {
        "web": ["nat"],
        "partner": ["tbwc-globex-trusted-5bc1a08d"],
        "build": ["tbwc-initech-untrusted-4cdc1a42"],
        "sandbox": ["none"],
    }
    for name in ("build", "sandbox"):
        assert containers[name]["memory_bytes"] > 0 and containers[name]["cpus"] > 0
    assert site().stats["patchme"]["changed"] == 0
    before = {n: c["networks"] for n, c in containers.items()}
    patch = {
        "wincontainers_workloads": THREE_BOUNDARIES,
        "container_updates_owner": "integration",
        "container_updates_known_revisions": {"KB5034129": "20348.2227"},
        "container_updates_ready_delay": 1,
    }
    run = fleet._run(
        PATCH,
        "-i",
        str(HOST_VARS),
        "--limit",
        "patchme",
        extra_vars=patch,
        inventory=fleet.inventory,
    )
    assert run.rc == 0, run.output
    state = fleet.host_state("patchme")
    assert state["os"]["revision"] == 2227
    after = fleet.containers("patchme")
    assert all(c["state"] == "running" for c in after.values()), after
    assert {n: c["networks"] for n, c in after.items()} == before
    assert all(len(groups) == 1 for groups in groups_by_network(fleet, "patchme").values())
