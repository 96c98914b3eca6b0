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
