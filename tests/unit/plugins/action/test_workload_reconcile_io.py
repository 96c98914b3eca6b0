"""plugin_utils/workload_reconcile.py called from Python: a fake ``HostIO``, no action plugin."""

from __future__ import annotations

import copy
import json
from typing import Any

from test_container_workloads_action import NANO, FakeHost, host_info

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_reconcile


class FakeIO:
    """A ``HostIO``: module runs go to a FakeHost, warnings are kept."""

    def __init__(self, host: FakeHost, check_mode: bool = False, diff: bool = False) -> None:
        self.host = "h1"
        self.task_vars: dict[str, Any] = {"inventory_hostname": "h1"}
        self.check_mode = check_mode
        self.diff = diff
        self.fake = host
        self.warnings: list[str] = []

    def run_module(self, name: str, module_args: dict[str, Any]) -> dict[str, Any]:
        return self.fake(module_name=name, module_args=module_args, task_vars=self.task_vars)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


def options(**given: Any) -> dict[str, Any]:
    """The options as validate_argument_spec hands them over: every default, then ``given``."""
    args = {
        name: copy.deepcopy(spec.get("default"))
        for name, spec in workload_reconcile.ARGUMENT_SPEC.items()
    }
    args.update(trust_boundary="acme", owner="inv")
    args.update(given)
    return args


def test_reconcile_creates_then_has_nothing_to_do_through_the_io():
    host = FakeHost(host_info())
    io = FakeIO(host)
    first = workload_reconcile.reconcile(io, options(workloads=[{"name": "web", "image": NANO}]))
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True
    assert first["module_runs"] == 2
    assert host.find("web")["running"] is True

    host.calls.clear()
    second = workload_reconcile.reconcile(io, options(workloads=[{"name": "web", "image": NANO}]))
    assert second["changed"] is False
    assert second["module_runs"] == 1
    assert [name for name, _args in host.calls] == [workload_reconcile.INFO_MODULE]


def test_a_given_read_replaces_the_read_on_the_host():
    host = FakeHost(host_info())
    io = FakeIO(host)
    read = copy.deepcopy(host.info)
    result = workload_reconcile.reconcile(
        io, options(workloads=[{"name": "web", "image": NANO}]), read
    )
    assert not result.get("failed"), result.get("msg")
    assert [name for name, _args in host.calls] == [workload_reconcile.STEPS_MODULE]
    assert result["module_runs"] == 1


def test_check_mode_comes_from_the_io_and_changes_nothing():
    host = FakeHost(host_info())
    io = FakeIO(host, check_mode=True)
    result = workload_reconcile.reconcile(io, options(workloads=[{"name": "web", "image": NANO}]))
    assert result["changed"] is True
    assert {step["action"] for step in result["steps"]} >= {"create", "start"}
    planned = len(result["steps"])
    assert result["msg"] == f"check mode: {planned} step(s) planned, none carried out"
    assert host.step_runs == []
    assert host.find("web") is None


def test_warnings_go_to_the_io_and_secret_values_never_reach_the_result():
    host = FakeHost(host_info())
    io = FakeIO(host)
    workloads = [{"name": "web", "image": NANO, "secret_env": {"TOKEN": "s3cr3t-value"}}]
    result = workload_reconcile.reconcile(io, options(workloads=workloads))
    assert not result.get("failed"), result.get("msg")
    assert len(io.warnings) == 1
    assert "container_workloads_config_hash_key is not set" in io.warnings[0]
    assert "s3cr3t-value" not in json.dumps(result)


def test_a_refusal_is_a_failed_result_with_nothing_run_but_the_read():
    host = FakeHost(host_info())
    io = FakeIO(host)
    result = workload_reconcile.reconcile(
        io, options(workloads=[{"name": "web", "image": NANO}], start_timeout=0)
    )
    assert result["failed"] is True
    assert "start_timeout" in result["msg"] and "'h1'" in result["msg"]
    assert result["module_runs"] == 0
    assert host.calls == []


class RecordingAction:
    """The parts of an action plugin ActionHostIO uses."""

    def __init__(self):
        self.runs: list[tuple[str, dict, dict]] = []
        self.warned: list[str] = []
        self._task = type("Task", (), {"check_mode": True, "diff": False})()
        self._display = type(
            "Display", (), {"warning": lambda _self, msg: self.warned.append(msg)}
        )()

    def _execute_module(self, module_name, module_args, task_vars):
        self.runs.append((module_name, module_args, task_vars))
        return {"ok": module_name}


def test_action_host_io_passes_through_to_the_action():
    action = RecordingAction()
    task_vars = {"inventory_hostname": "web01"}
    io = workload_reconcile.ActionHostIO(action, task_vars)
    assert io.host == "web01"
    assert io.check_mode is True and io.diff is False
    assert io.run_module("m", {"a": 1}) == {"ok": "m"}
    assert action.runs == [("m", {"a": 1}, task_vars)]
    io.warn("careful")
    assert action.warned == ["careful"]
