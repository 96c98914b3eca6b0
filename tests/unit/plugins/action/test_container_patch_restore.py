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


def test_a_workload_that_does_not_start_fails_the_task_others_come_back_nothing_counted():
    host = drained_host()
    host.fail_action = ("start", "web")
    result = patch_restore.restore(FakeIO(host), restore_args(host))
    assert result["failed"] is True
    assert "'web'" in result["msg"] and "'h1'" in result["msg"]
    assert host.find("api")["state"] == "running"
    assert [entry["name"] for entry in result["restore"]["not_reconciled"]] == ["web"]
    assert "ansible_stats" not in result and "container_updates_report" not in result
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
    refused = make_action(ActionModule, {"workloads": WORKLOADS})  # no plan
    refused._execute_module = host
    with pytest.raises(AnsibleActionFail, match="missing required arguments: plan"):
        refused.run(task_vars={"inventory_hostname": "h1"})
    assert host.calls == []
