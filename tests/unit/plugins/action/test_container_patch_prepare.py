"""container_patch_prepare (plugin_utils/patch_prepare.py): pre-stage, check, drain."""

from __future__ import annotations

import json

from test_container_patch_restore import WORKLOADS, drained_host
from test_container_workloads_action import NANO, FakeHost, host_info
from test_workload_reconcile_io import FakeIO, options

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    patch_prepare,
    workload_reconcile,
)

STEPS = workload_reconcile.STEPS_MODULE


def running_host() -> FakeHost:
    host = FakeHost(host_info())
    deployed = workload_reconcile.reconcile(FakeIO(host), options(workloads=WORKLOADS))
    assert not deployed.get("failed"), deployed.get("msg")
    host.calls.clear()
    return host


def prepare_args(host, **plan):
    return {
        "host_info": json.loads(json.dumps(host.info)),
        "plan": {
            "host": "h1",
            "patch": True,
            "refresh": [],
            "version_before": "10.0.20348.2340",
            "updates": [{"kb": "KB5034129", "title": "2024-01 Cumulative Update"}],
            **plan,
        },
        "workloads": WORKLOADS,
        "owner": "inv",
        "lease_id": "patch/7",
        "lease_seconds": 600,
        "lock_timeout": 30,
        "registry_credentials": [],
    }


def test_the_drain_stops_the_running_workloads_in_one_run_that_takes_the_lease():
    host = running_host()
    result = patch_prepare.prepare(FakeIO(host), prepare_args(host), now=42.0)
    assert not result.get("failed"), result.get("msg")
    assert len(host.calls) == 1 and result["module_runs"] == 1
    name, args = host.calls[0]
    assert name == STEPS
    assert (args["lease_id"], args["lease_seconds"], args["lock_timeout"]) == ("patch/7", 600, 30)
    assert "patch of h1" in args["lock_holder"]
    assert sorted(step["name"] for step in args["steps"]) == ["api", "web"]
    assert {c["state"] for c in host.info["containers"]} == {"exited"}
    assert result["drained_at"] == 42.0
    assert sorted(r["workload"] for r in result["drained"]["managed"]) == ["api", "web"]
    assert result["drained"]["restore_names"] == ["web", "api"]
    assert "restore-s3cr3t" not in json.dumps(result)


def test_another_owners_container_is_not_stopped():
    host = running_host()
    args = prepare_args(host)
    args["owner"] = "someone-else"
    result = patch_prepare.prepare(FakeIO(host), args)
    assert host.calls[0][1]["steps"] == []  # the lease is taken all the same
    assert result["drained"]["managed"] == []
    assert {c["state"] for c in host.info["containers"]} == {"running"}


def test_a_refreshed_tag_at_the_needed_revision_is_pulled_then_the_host_drained():
    host = running_host()
    refresh = [{"workload": "web", "image": NANO, "required_version": "10.0.20348.2340"}]
    result = patch_prepare.prepare(FakeIO(host), prepare_args(host, refresh=refresh))
    assert not result.get("failed"), result.get("msg")
    assert [args["steps"][0]["action"] for _name, args in host.calls] == ["pull", "stop"]
    assert result["plan"]["patch"] is True and result["module_runs"] == 2


def test_a_refreshed_tag_at_another_revision_holds_the_host_with_nothing_stopped():
    host = running_host()
    refresh = [{"workload": "web", "image": NANO, "required_version": "10.0.20348.9999"}]
    result = patch_prepare.prepare(FakeIO(host), prepare_args(host, refresh=refresh))
    assert result["plan"]["patch"] is False and result["plan"]["held"] is True
    assert [args["steps"][0]["action"] for _name, args in host.calls] == ["pull"]
    assert {c["state"] for c in host.info["containers"]} == {"running"}
    assert "drained" not in result
    assert result["outcome"] == "held"
    assert list(result["ansible_stats"]["data"]["wincontainers_patch"]["held"]) == ["h1"]
    assert any("refresh-resolution-refused" in warning for warning in result["warnings"])
    assert result["container_updates_report"]["held"] is True


def test_a_refused_plan_or_check_mode_runs_nothing():
    host = running_host()
    refused = patch_prepare.prepare(FakeIO(host), prepare_args(host, error="refused. Nothing"))
    assert refused["failed"] is True and refused["msg"] == "refused. Nothing"
    checked = patch_prepare.prepare(FakeIO(host, check_mode=True), prepare_args(host))
    assert not checked.get("failed") and "drained" not in checked
    assert host.calls == []


def test_a_failed_drain_fails_the_task_with_the_engines_message():
    host = drained_host()  # stopped already: start them so the drain has steps
    for container in host.info["containers"]:
        container.update(state="running", running=True)
    host.fail_action = ("stop", "web")
    result = patch_prepare.prepare(FakeIO(host), prepare_args(host))
    assert result["failed"] is True
    assert "engine says no" in result["msg"]


CU = {
    "u1": {
        "id": "u1",
        "kb": ["5034129"],
        "title": "2024-01 Cumulative Update for Microsoft server operating system (KB5034129)",
        "categories": ["Security Updates"],
    }
}


class FakeUpdates:
    """ansible.windows.win_updates as the action runs it: each call's options, one answer."""

    def __init__(self, found=None):
        self.found = found or {}
        self.calls: list[dict] = []

    def __call__(self, args):
        self.calls.append(args)
        return {"changed": False, "updates": self.found, "reboot_required": False}


def start_args(**given):
    args = {name: spec.get("default") for name, spec in patch_prepare.ARGUMENT_SPEC.items()}
    args.update(
        workloads=WORKLOADS,
        owner="inv",
        trust_boundary="acme",
        lease_seconds=600,
        lock_timeout=30,
        known_revisions={"KB5034129": 2400},
    )
    args.update(given)
    return args


def test_a_host_with_nothing_to_install_is_read_once_searched_once_and_counted():
    host = running_host()
    updates = FakeUpdates()
    result = patch_prepare.start(FakeIO(host), start_args(), updates)
    assert not result.get("failed"), result.get("msg")
    assert [name for name, _ in host.calls] == [workload_reconcile.INFO_MODULE]
    assert len(updates.calls) == 1 and updates.calls[0]["state"] == "searched"
    assert updates.calls[0]["category_names"] == patch_prepare.DEFAULT_CATEGORIES
    assert result["outcome"] == "unchanged" and "drained" not in result
    assert result["container_updates_report"]["patched"] is False


def test_a_patch_reads_searches_plans_and_drains_under_its_own_lease():
    host = running_host()
    result = patch_prepare.start(FakeIO(host), start_args(), FakeUpdates(CU), now=5.0)
    assert not result.get("failed"), result.get("msg")
    assert result["plan"]["patch"] is True
    assert result["plan"]["version_after"] == "10.0.20348.2400"
    assert result["lease_id"].startswith("trustbound.wincontainers.container_updates/")
    names = [name for name, _ in host.calls]
    assert names == [workload_reconcile.INFO_MODULE, STEPS]
    assert host.calls[1][1]["lease_id"] == result["lease_id"]
    assert sorted(result["drained"]["restore_names"]) == ["api", "web"]
    assert {c["state"] for c in host.info["containers"]} == {"exited"}
    assert "restore-s3cr3t" not in json.dumps(result)


def test_the_awx_job_names_the_lease_and_a_given_lease_id_wins():
    io = FakeIO(running_host())
    io.task_vars = {"awx_job_id": 42}
    assert patch_prepare.run_lease({}, io.task_vars).endswith("/42")
    assert patch_prepare.run_lease({"lease_id": "mine"}, io.task_vars) == "mine"


def test_another_patchs_lease_stops_the_run_before_the_search():
    host = running_host()
    host.info["host_lock"] = {
        "lease_id": "other/1",
        "holder": "someone",
        "since": "2026-01-01T00:00:00Z",
        "lease_until": "2999-01-01T00:00:00Z",
    }
    updates = FakeUpdates(CU)
    result = patch_prepare.start(FakeIO(host), start_args(), updates)
    assert result["failed"] is True
    assert "container_updates_resume_lease=other/1" in result["msg"]
    assert result["msg"].endswith("Nothing was changed.")
    assert updates.calls == [] and len(host.calls) == 1


def test_a_refused_plan_fails_before_any_change_naming_the_rule():
    host = running_host()
    result = patch_prepare.start(FakeIO(host), start_args(resolution="sideways"), FakeUpdates(CU))
    assert result["failed"] is True and "Nothing was changed." in result["msg"]
    assert [name for name, _ in host.calls] == [workload_reconcile.INFO_MODULE]


def test_check_mode_plans_and_counts_without_draining():
    host = running_host()
    result = patch_prepare.start(FakeIO(host, check_mode=True), start_args(), FakeUpdates(CU))
    assert not result.get("failed"), result.get("msg")
    assert result["plan"]["patch"] is True and "drained" not in result
    assert result["ansible_stats"]["data"]["wincontainers_patch"]["unchanged"]["h1"]["detail"] == (
        "check mode: would patch"
    )
    assert {c["state"] for c in host.info["containers"]} == {"running"}


def test_a_resume_brings_the_workloads_back_and_ends_its_lease_before_the_search():
    host = drained_host()
    host.info["host_lock"] = {"lease_id": "old/1", "lease_until": "2999-01-01T00:00:00Z"}
    updates = FakeUpdates()
    result = patch_prepare.start(FakeIO(host), start_args(resume_lease="old/1"), updates)
    assert not result.get("failed"), result.get("msg")
    assert {c["state"] for c in host.info["containers"]} == {"running"}
    assert result["resumed"]["lease_ended"] is True
    leases = [args.get("lease_id") for name, args in host.calls if name == STEPS]
    assert leases and set(leases) == {"old/1"}
    names = [name for name, _ in host.calls]
    assert names[0] == names[-1] == workload_reconcile.INFO_MODULE  # read again after it
    assert result["outcome"] == "unchanged"
