"""container_patch_restore (plugin_utils/patch_restore.py): restore, read, report, count."""

from __future__ import annotations

import copy
import json

import pytest
from ansible.errors import AnsibleActionFail
from test_container_workloads_action import NANO, FakeHost, host_info
from test_workload_reconcile_io import FakeIO, options

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    patch_restore,
    workload_reconcile,
)

INFO = workload_reconcile.INFO_MODULE
STEPS = workload_reconcile.STEPS_MODULE
WORKLOADS = [
    {"name": "web", "image": NANO},
    {"name": "api", "image": NANO, "secret_env": {"TOKEN": "restore-s3cr3t"}},
]


def drained_host() -> FakeHost:
    """A host whose workloads were deployed, then stopped by a drain."""
    host = FakeHost(host_info())
    deployed = workload_reconcile.reconcile(FakeIO(host), options(workloads=WORKLOADS))
    assert not deployed.get("failed"), deployed.get("msg")
    for container in host.info["containers"]:
        container.update(state="exited", running=False)
    host.calls.clear()
    return host


def plan(**given):
    return {
        "host": "h1",
        "patch": True,
        "version_before": "10.0.20348.2340",
        "workloads": [{"name": "web"}, {"name": "api"}],
        "overrides": {},
        "updates": [{"kb": "KB5034129", "title": "2024-01 Cumulative Update"}],
        **given,
    }


def restore_args(host, **given):
    args = {
        name: value
        for name, value in options(workloads=WORKLOADS).items()
        if name in patch_restore.ARGUMENT_SPEC
    }
    drained = {"managed": [{"workload": "web", "state": "running", "isolation": "process"}]}
    args.update(
        host_info=copy.deepcopy(host.info),
        plan=plan(),
        drained=drained,
        updates=[],
        drained_at=100.0,
    )
    args.update(given)
    return args


def test_restore_starts_the_drained_workloads_reports_and_counts_the_host_patched():
    host = drained_host()
    io = FakeIO(host)
    installed = {"updates": {"u1": {"installed": True, "kb": ["5034129"], "title": "CU"}}}
    result = patch_restore.restore(io, restore_args(host, updates=[installed]), now=160.0)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert {c["name"]: c["state"] for c in host.info["containers"]} == {
        "web": "running",
        "api": "running",
    }
    # The given read stands for the first read: one apply, then one read after it.
    assert [name for name, _args in host.calls] == [STEPS, INFO]
    assert result["module_runs"] == 2
    report = result["container_updates_report"]
    assert report["patched"] is True
    assert report["updates_installed"] == [{"kb": "KB5034129", "title": "CU"}]
    states = {w["name"]: (w["state_before"], w["state_after"]) for w in report["workloads"]}
    assert states == {"web": ("running", "running"), "api": ("absent", "running")}
    assert {w["name"]: w["down_seconds"] for w in report["workloads"]} == {"web": 60.0, "api": 0}
    summary = result["ansible_stats"]["data"]["wincontainers_patch"]
    assert list(summary["patched"]) == ["h1"]
    assert summary["failed"] == {} and summary["held"] == {}
    assert result["outcome"] == "patched"
    assert "restore-s3cr3t" not in json.dumps(result)


def test_the_plans_hyperv_override_reaches_the_restored_workload():
    host = drained_host()
    args = restore_args(host, plan=plan(overrides={"web": {"isolation": "hyperv"}}))
    result = patch_restore.restore(FakeIO(host), args)
    assert not result.get("failed"), result.get("msg")
    decided = {w["name"]: w["decision"]["isolation"] for w in result["restore"]["workloads"]}
    assert decided["web"] == "hyperv"
    assert decided["api"] == "process"


def test_a_workload_that_does_not_start_fails_the_task_others_come_back_counted_failed():
    host = drained_host()
    host.fail_action = ("start", "web")
    result = patch_restore.restore(FakeIO(host), restore_args(host))
    assert result["failed"] is True
    assert "'web'" in result["msg"] and "'h1'" in result["msg"]
    assert host.find("api")["state"] == "running"
    assert [entry["name"] for entry in result["restore"]["not_reconciled"]] == ["web"]
    assert "container_updates_report" not in result
    assert [entry["name"] for entry in result["not_restored"]] == ["web"]
    summary = result["ansible_stats"]["data"]["wincontainers_patch"]
    assert set(summary["failed"]) == {"h1"} and summary["patched"] == {}
    # keep_going read the host again to restore the rest; no read after a failed restore.
    assert [name for name, _args in host.calls] == [STEPS, INFO, STEPS]


def test_the_lease_is_ended_by_the_restore_however_it_ends():
    host = drained_host()
    host.fail_action = ("start", "web")
    result = patch_restore.restore(FakeIO(host), restore_args(host, lease_id="patch/1"))
    assert result["failed"] is True
    assert result["restore"]["lease_ended"] is True
    ends = [args for name, args in host.calls if name == STEPS and args["steps"] == []]
    assert ends and ends[-1]["lease_id"] == "patch/1"


def test_check_mode_plans_the_restore_and_reports_nothing():
    host = drained_host()
    result = patch_restore.restore(FakeIO(host, check_mode=True), restore_args(host))
    assert result["changed"] is True
    assert host.step_runs == []
    assert "container_updates_report" not in result and "ansible_stats" not in result
    assert {c["state"] for c in host.info["containers"]} == {"exited"}


def test_the_action_validates_its_options_then_makes_one_call():
    from unittest.mock import MagicMock

    from action_harness import make_action

    from ansible_collections.trustbound.wincontainers.plugins.action.container_patch_restore import (  # noqa: E501
        ActionModule,
    )

    host = drained_host()
    args = {
        "workloads": WORKLOADS,
        "trust_boundary": "acme",
        "owner": "inv",
        "host_info": copy.deepcopy(host.info),
        "plan": plan(),
        "drained_at": "100.5",
    }
    action = make_action(ActionModule, args)
    action._execute_module = host
    action._display = MagicMock()
    result = action.run(task_vars={"inventory_hostname": "h1"})
    assert not result.get("failed"), result.get("msg")
    assert result["outcome"] == "patched"
    assert host.find("web")["state"] == "running"
    assert result["module_runs"] == 2

    host.calls.clear()
    refused = make_action(ActionModule, {"workloads": WORKLOADS, "ready_retries": "many"})
    refused._execute_module = host
    with pytest.raises(AnsibleActionFail, match="ready_retries"):
        refused.run(task_vars={"inventory_hostname": "h1"})
    assert host.calls == []


def test_the_engine_is_polled_until_it_answers_then_the_workloads_come_back():
    host = drained_host()
    running = copy.deepcopy(host.info)
    host.info["engine"]["service_state"] = "stopped"
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        if len(slept) == 2:
            host.info["engine"] = running["engine"]

    args = restore_args(host, ready_retries=5, ready_delay=7)
    del args["host_info"]
    result = patch_restore.restore(FakeIO(host), args, sleep=sleep)
    assert not result.get("failed"), result.get("msg")
    assert slept == [7, 7]
    assert [name for name, _ in host.calls].count(INFO) == 4  # three polls, the read after
    assert result["outcome"] == "patched"


def test_a_failed_patch_restores_with_the_overrides_ends_the_lease_and_fails_naming_it():
    host = drained_host()
    args = restore_args(host, plan=plan(overrides={"web": {"isolation": "hyperv"}}))
    args.update(failed_task="Install the updates", failure="the connection dropped")
    args["lease_id"] = "patch/7"
    result = patch_restore.restore(FakeIO(host), args)
    assert result["failed"] is True
    assert result["msg"].startswith(
        "host 'h1': the patch failed at 'Install the updates': the connection dropped."
        " Workloads brought back: yes."
    ), result["msg"]
    assert host.find("web")["state"] == "running"
    assert host.find("web")["isolation"] == "hyperv"
    assert host.find("api")["state"] == "running"
    assert result["restore"]["lease_ended"] is True
    summary = result["ansible_stats"]["data"]["wincontainers_patch"]
    assert set(summary["failed"]) == {"h1"} and summary["patched"] == {}


def test_a_failed_patch_names_each_workload_not_brought_back_with_its_reason():
    host = drained_host()
    host.info["engine"]["service_state"] = "stopped"
    args = restore_args(host, ready_retries=0, ready_delay=0)
    del args["host_info"]
    args.update(failed_task="Install the updates", failure="boom")
    result = patch_restore.restore(FakeIO(host), args, sleep=lambda _s: None)
    assert result["failed"] is True
    assert "Workloads brought back: NO: 'web' (" in result["msg"], result["msg"]
    assert [e["name"] for e in result["not_restored"]] == ["web", "api"]
    assert all("engine is not running" in e["msg"] for e in result["not_restored"])


def test_a_patch_that_failed_before_the_drain_restores_nothing():
    host = drained_host()
    args = restore_args(host, failed_task="Read, plan", failure="refused", host_unreachable=True)
    del args["drained"]
    result = patch_restore.restore(FakeIO(host), args)
    assert result["failed"] is True and host.calls == []
    assert "Nothing was drained" in result["msg"]
    summary = result["ansible_stats"]["data"]["wincontainers_patch"]
    assert set(summary["unreachable"]) == {"h1"} and summary["failed"] == {}


def test_an_inventory_network_the_restart_took_is_made_again_before_the_workloads():
    host = drained_host()
    host.info["networks"] = [{"name": "nat", "driver": "nat", "subnets": ["172.20.0.0/20"]}]
    drained = {
        "managed": [{"workload": "web", "state": "running", "isolation": "process"}],
        "networks": [{"name": "backend", "subnet": "172.16.5.0/24"}],
    }
    args = restore_args(host, drained=drained, lease_id="patch/1")
    before = len(host.executor_calls)
    result = patch_restore.restore(FakeIO(host), args, now=160.0)
    assert not result.get("failed"), result.get("msg")
    assert result["networks_recreated"] == ["backend"]
    first = host.executor_calls[before]
    assert [s["action"] for s in first["steps"]] == ["ensure_network"]
    # The workloads' run comes next under the same lease: this one leaves it as it was.
    assert first["lease_id"] == "patch/1" and first["keep_lease"] is True
    # Before any workload: the apply of the workloads is the next run.
    assert "start" in [s["action"] for s in host.executor_calls[before + 1]["steps"]]
    # Every network there: no run for them.
    host = drained_host()
    host.info["networks"] = [{"name": "backend", "driver": "nat", "subnets": ["172.16.5.0/24"]}]
    again = patch_restore.restore(FakeIO(host), restore_args(host, drained=drained), now=160.0)
    assert again["networks_recreated"] == [] and [n for n, _a in host.calls] == [STEPS, INFO]
