"""Drain steps, restore workloads, moved tags and the patch report."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_steps as ps

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def container(name, state="running", managed=True, workload=None, isolation="process"):
    labels = {cp.LABEL_MANAGED: "true", cp.LABEL_WORKLOAD: workload or name} if managed else {}
    return {
        "name": name,
        "image": NANO,
        "image_id": f"sha256:{name}",
        "isolation": isolation,
        "user": "ContainerUser",
        "state": state,
        "running": state == "running",
        "labels": labels,
    }


WORKLOADS = [
    {"name": "web", "image": NANO, "stop_timeout": 30},
    {"name": "idle", "image": NANO, "state": "stopped"},
    {"name": "api", "image": NANO},
]
INFO = {
    "images": [{"id": "sha256:old", "repo_tags": [NANO], "os_version": "10.0.20348.2113"}],
    "containers": [
        container("web"),
        container("idle", state="exited"),
        container("api", isolation="hyperv"),
        container("byhand", managed=False),
        container("leftover", workload="gone"),
    ],
}


def test_drain_stops_running_managed_workloads_with_their_stop_timeout_only():
    drained = ps.drain(INFO, WORKLOADS, "h1")
    assert drained["steps"] == [
        {"action": "stop", "name": "web", "workload": "web", "timeout": 30},
        {"action": "stop", "name": "api", "workload": "api", "timeout": 10},
    ]
    assert [r["name"] for r in drained["managed"]] == ["web", "idle", "api"]
    assert drained["managed"][2]["isolation"] == "hyperv"
    assert drained["unmanaged_count"] == 2
    assert drained["unmanaged_running"] == ["byhand", "leftover"]


def test_restore_applies_overrides_and_keeps_the_rest():
    restored = ps.restore_workloads(WORKLOADS, {"overrides": {"web": {"isolation": "hyperv"}}})
    assert restored[0] == {**WORKLOADS[0], "isolation": "hyperv"}
    assert restored[1:] == WORKLOADS[1:]
    assert "isolation" not in WORKLOADS[0]


def test_pull_steps_skip_digest_pins_absent_and_duplicates():
    pinned = "mcr.microsoft.com/windows/nanoserver@sha256:" + "c" * 64
    workloads = [
        *WORKLOADS,
        {"name": "pin", "image": pinned},
        {"name": "gone", "image": NANO, "state": "absent"},
    ]
    assert ps.pull_steps(workloads, "h1") == [{"action": "pull", "image": NANO, "workload": "web"}]


def test_moved_tags_compares_image_ids():
    steps = [{"action": "pull", "image": NANO, "workload": "web"}]
    same = [{"index": 0, "action": "pull", "image": {"id": "sha256:old", "os_version": "x"}}]
    assert ps.moved_tags(INFO, steps, same) == []
    new = [
        {
            "index": 0,
            "action": "pull",
            "image": {"id": "sha256:new", "os_version": "10.0.20348.2227"},
        }
    ]
    (moved,) = ps.moved_tags(INFO, steps, new)
    assert moved["old_id"] == "sha256:old" and moved["new_id"] == "sha256:new"
    assert moved["new_os_version"] == "10.0.20348.2227" and moved["workload"] == "web"


def test_report_per_workload_states_downtime_updates_and_changed_decisions():
    plan = {
        "host": "h1",
        "patch": True,
        "version_before": "10.0.20348.2113",
        "version_after": "10.0.20348.2227",
        "updates": [{"kb": "KB5034129", "title": "CU"}],
        "workloads": [
            {"name": "web", "current": {"isolation": "process"}},
            {"name": "idle", "current": {"isolation": "process"}},
        ],
    }
    drained = ps.drain(INFO, WORKLOADS, "h1")
    updates = {
        "rebooted": True,
        "updates": {
            "a": {"kb": ["5034129"], "title": "CU", "installed": True},
            "b": {
                "kb": ["1"],
                "title": "Bad",
                "installed": False,
                "failure_hresult_code": -2145124329,
                "failure_msg": "nope",
            },
        },
    }
    after = {
        "os": {"version": "10.0.20348.2227"},
        "containers": [container("web", isolation="hyperv"), container("idle", state="exited")],
    }
    restore = {"workloads": [{"name": "web", "decision": {"isolation": "hyperv"}}]}
    report = ps.report(
        plan,
        drained=drained,
        updates_result=updates,
        after_info=after,
        restore_result=restore,
        down_seconds=12.5,
    )
    assert report["patched"] is True and report["rebooted"] is True
    assert report["version_after"] == "10.0.20348.2227"
    assert report["updates_installed"] == [{"kb": "KB5034129", "title": "CU"}]
    assert report["updates_failed"][0]["hresult"] == -2145124329
    web, idle = report["workloads"]
    assert (web["state_before"], web["state_after"], web["down_seconds"]) == (
        "running",
        "running",
        12.5,
    )
    assert (idle["state_before"], idle["down_seconds"]) == ("exited", 0)
    assert report["decisions_changed"] == ["web"]
    assert [u["name"] for u in report["unmanaged"]] == ["byhand", "leftover"]


def test_report_of_a_held_host_has_no_install():
    plan = {
        "host": "h1",
        "patch": False,
        "held": True,
        "hold_reasons": ["why"],
        "version_before": "10.0.14393.6452",
        "workloads": [],
    }
    report = ps.report(plan)
    assert report["patched"] is False and report["held"] is True
    assert report["hold_reasons"] == ["why"]
    assert report["version_after"] == "10.0.14393.6452"


def test_pull_steps_name_the_registry_to_log_in_to_and_can_be_limited():
    private = "registry.acme.example:5000/team/api:1.0"
    workloads = [*WORKLOADS, {"name": "api2", "image": private}]
    steps = ps.pull_steps(workloads, "h1", registries=["Registry.Acme.Example:5000"])
    assert steps[-1] == {
        "action": "pull",
        "image": private,
        "workload": "api2",
        "registry": "Registry.Acme.Example:5000",
    }
    assert ps.pull_steps(workloads, "h1", only=["api2"]) == [
        {"action": "pull", "image": private, "workload": "api2"}
    ]


def test_report_merges_the_servicing_stack_run_and_ignores_skipped_ones():
    plan = {"host": "h1", "patch": True, "version_before": "10.0.14393.6452", "workloads": []}
    ssu = {
        "rebooted": False,
        "updates": {"s": {"kb": ["5034232"], "title": "SSU", "installed": True}},
    }
    cu = {"rebooted": True, "updates": {"c": {"kb": ["5034119"], "title": "CU", "installed": True}}}
    report = ps.report(plan, updates_result=[ssu, cu, {"skipped": True}])
    assert [u["kb"] for u in report["updates_installed"]] == ["KB5034119", "KB5034232"]
    assert report["rebooted"] is True and report["patched"] is True
    assert ps.report(plan, updates_result=[{"skipped": True}])["patched"] is False


def test_prune_only_old_images_nothing_uses_or_names():
    moved = [
        {"image": NANO, "workload": "web", "old_id": "sha256:old", "new_id": "sha256:new"},
        {"image": NANO, "workload": "api", "old_id": "sha256:old", "new_id": "sha256:new"},
        {"image": "x:1", "workload": "x", "old_id": "sha256:used", "new_id": "sha256:n2"},
        {"image": "y:1", "workload": "y", "old_id": "sha256:tagged", "new_id": "sha256:n3"},
        {"image": "z:1", "workload": "z", "old_id": None, "new_id": "sha256:n4"},
    ]
    after = {
        "images": [
            {"id": "sha256:old", "repo_tags": []},
            {"id": "sha256:used", "repo_tags": []},
            {"id": "sha256:tagged", "repo_tags": ["y:0"]},
        ],
        "containers": [{"name": "x", "image_id": "sha256:used"}],
    }
    assert ps.prune_steps(moved, after) == [
        {"action": "remove_image", "image": "sha256:old", "workload": "web"}
    ]


def test_drain_leaves_another_owners_containers_alone():
    mine = dict(container("web"), labels={**container("web")["labels"], cp.LABEL_OWNER: "me"})
    theirs = dict(container("api"), labels={**container("api")["labels"], cp.LABEL_OWNER: "them"})
    drained = ps.drain({"containers": [mine, theirs]}, WORKLOADS, "h1", owner="me")
    assert [s["name"] for s in drained["steps"]] == ["web"]
    assert [r["name"] for r in drained["unmanaged"]] == ["api"]


def test_drain_stops_an_adopted_workload_of_another_owner():
    theirs = dict(container("api"), labels={**container("api")["labels"], cp.LABEL_OWNER: "them"})
    drained = ps.drain({"containers": [theirs]}, WORKLOADS, "h1", owner="me", adopt=["api"])
    assert [s["name"] for s in drained["steps"]] == ["api"]
    assert drained["unmanaged"] == []


def test_drain_records_the_inventory_nat_networks_its_workloads_use():
    def on(name, networks, mode=None, **kwargs):
        return dict(container(name, **kwargs), networks=networks, network_mode=mode or networks[0])

    info = {
        "containers": [
            on("web", ["backend"]),
            on("api", ["tbwc-acme-trusted-1a2b3c4d"]),
            on("idle", ["wide"], state="exited"),
            on("byhand", ["private"], managed=False),
        ],
        "networks": [
            {"name": "nat", "driver": "nat", "subnets": ["172.20.0.0/20"]},
            {"name": "backend", "driver": "nat", "subnets": ["172.16.5.0/24"]},
            {"name": "tbwc-acme-trusted-1a2b3c4d", "driver": "nat", "subnets": ["172.30.1.0/24"]},
            {"name": "wide", "driver": "transparent", "subnets": []},
            {"name": "private", "driver": "nat", "subnets": ["172.16.9.0/24"]},
        ],
    }
    drained = ps.drain(info, WORKLOADS, "h1")
    # Ours are ensured by every apply; a transparent one cannot be made again from the read;
    # an unmanaged container's network is not the restore's.
    assert drained["networks"] == [{"name": "backend", "subnet": "172.16.5.0/24"}]
    assert ps.drain(dict(info, networks=[]), WORKLOADS, "h1")["networks"] == []
