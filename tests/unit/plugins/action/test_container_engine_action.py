"""The container_engine action plugin: validation before any change, planning, diff, check mode.

The host is a fake ``_execute_module`` that answers container_host_info with a
given state and records every other module call.
"""

from __future__ import annotations

import copy
import json
from unittest.mock import MagicMock

import pytest
from action_harness import make_action
from ansible.errors import AnsibleActionFail

from ansible_collections.trustbound.wincontainers.plugins.action.container_engine import (
    ActionModule,
    plan_steps,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import daemon_config

SHA = "d" * 64
HARDENED = daemon_config.build({}, host="h", multi_tenant=False, engine_version="27.3.1")

BARE = {
    "os": {"version": "10.0.20348.2340", "build": 20348, "revision": 2340},
    "features": {"Containers": "Installed", "Hyper-V": "Available"},
    "engine": {
        "kind": "none",
        "installed": False,
        "version": None,
        "service_state": "absent",
        "daemon_config_path": r"C:\ProgramData\docker\config\daemon.json",
        "daemon_config": {},
    },
}


def ready(version="27.3.1", config=None, state="running"):
    info = copy.deepcopy(BARE)
    info["engine"].update(
        kind="docker",
        installed=True,
        version=version,
        service_state=state,
        daemon_config=copy.deepcopy(HARDENED if config is None else config),
    )
    return info


class FakeHost:
    def __init__(self, info):
        self.info = info
        self.calls = []

    def __call__(self, module_name, module_args=None, task_vars=None, **_kwargs):
        self.calls.append((module_name, copy.deepcopy(module_args)))
        if module_name.endswith("container_host_info"):
            return copy.deepcopy(self.info)
        return {
            "changed": bool(module_args["_steps"]),
            "steps": module_args["_steps"],
            "engine": {"version": module_args["version"], "service_state": "running"},
            "download": {
                "path": "x",
                "url": module_args["url"],
                "checksum": module_args["checksum"],
                "reused": False,
            },
        }

    @property
    def engine_calls(self):
        return [args for name, args in self.calls if name.endswith("container_engine")]


def run(info, check_mode=False, diff=False, **args):
    args = {"version": "27.3.1", "checksum": SHA, **args}
    action = make_action(ActionModule, args, check_mode, diff)
    host = FakeHost(info)
    action._execute_module = host
    return action.run(task_vars={"inventory_hostname": "ws1"}), host


def test_bare_host_gets_every_step_in_order():
    result, host = run(copy.deepcopy(BARE))
    assert not result.get("failed"), result
    assert host.engine_calls[0]["_steps"] == [
        "install",
        "register_service",
        "write_config",
        "start",
    ]
    written = json.loads(host.engine_calls[0]["_daemon_config_text"])
    assert written == HARDENED
    assert host.engine_calls[0]["url"].endswith("/docker-27.3.1.zip")
    assert result["changed"] is True


def test_converged_host_changes_nothing_and_calls_no_engine_module():
    result, host = run(ready())
    assert result["changed"] is False
    assert result["steps"] == []
    assert host.engine_calls == []


def test_config_key_order_does_not_count_as_a_change():
    reordered = dict(reversed(list(HARDENED.items())))
    result, _host = run(ready(config=reordered))
    assert result["changed"] is False


def test_changed_config_rewrites_and_restarts_only():
    _result, host = run(ready(config={"hosts": ["npipe://"]}))
    assert host.engine_calls[0]["_steps"] == ["write_config", "restart"]


def test_new_version_replaces_binaries_and_restarts():
    _result, host = run(ready(version="26.1.4"))
    assert host.engine_calls[0]["_steps"] == ["install", "restart"]
    assert "_daemon_config_text" not in host.engine_calls[0]


def test_stopped_engine_is_started():
    _result, host = run(ready(state="stopped"))
    assert host.engine_calls[0]["_steps"] == ["start"]


def test_engine_23_on_2016_refused_before_any_change():
    info = copy.deepcopy(BARE)
    info["os"].update(version="10.0.14393.6709", build=14393)
    result, host = run(info)
    assert result["failed"] is True
    assert result["rule"] == "engine_min_build"
    assert "ws1" in result["msg"] and "27.3.1" in result["msg"]
    assert host.engine_calls == []


def test_unsafe_daemon_config_refused_before_any_change():
    result, host = run(copy.deepcopy(BARE), daemon_config={"hosts": ["tcp://0.0.0.0:2375"]})
    assert result["failed"] is True
    assert result["rule"] == "listener"
    assert "unauthenticated remote root" in result["msg"]
    assert host.engine_calls == []


def test_multi_tenant_requires_hyperv_default_isolation():
    result, host = run(copy.deepcopy(BARE), daemon_config=HARDENED, require_hyperv_isolation=True)
    assert result["rule"] == "exec_opts"
    assert host.engine_calls == []
    result, host = run(copy.deepcopy(BARE), require_hyperv_isolation=True)
    written = json.loads(host.engine_calls[0]["_daemon_config_text"])
    assert written["exec-opts"] == ["isolation=hyperv"]


def test_containers_feature_missing_refused_before_any_change():
    info = copy.deepcopy(BARE)
    info["features"]["Containers"] = "InstallPending"
    result, host = run(info)
    assert result["failed"] is True
    assert "Containers feature is InstallPending" in result["msg"]
    assert result["rule"] == "containers_installed"
    assert result["msg"].startswith("host 'ws1': ")
    assert host.engine_calls == []


def test_check_mode_plans_even_before_containers_is_installed():
    info = copy.deepcopy(BARE)
    info["features"]["Containers"] = "Available"
    result, host = run(info, check_mode=True)
    assert not result.get("failed"), result
    assert host.engine_calls[0]["_steps"][0] == "install"


def test_diff_shows_daemon_json_and_engine_before_and_after():
    result, _host = run(ready(version="26.1.4", config={"hosts": ["npipe://"]}), diff=True)
    config_diff, engine_diff = result["diff"]
    assert config_diff["before_header"].endswith("daemon.json")
    assert json.loads(config_diff["before"]) == {"hosts": ["npipe://"]}
    assert json.loads(config_diff["after"]) == HARDENED
    assert "26.1.4" in engine_diff["before"] and "27.3.1" in engine_diff["after"]


def test_internal_options_cannot_be_set_by_a_task():
    result, host = run(copy.deepcopy(BARE), _steps=["start"])
    assert result["failed"] is True
    assert host.calls == []


def test_unknown_runtime_refused_by_the_argument_spec():
    with pytest.raises(AnsibleActionFail):
        run(copy.deepcopy(BARE), runtime="containerd")


def test_info_failure_is_reported():
    class Broken(FakeHost):
        def __call__(self, module_name, module_args=None, task_vars=None, **_kwargs):
            return {"failed": True, "msg": "boom"}

    task = MagicMock()
    task.args = {"version": "27.3.1", "checksum": SHA}
    task.check_mode = False
    task.async_val = 0
    action = ActionModule(
        task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None
    )
    action._execute_module = Broken({})
    result = action.run(task_vars={"inventory_hostname": "ws1"})
    assert result["failed"] is True and "boom" in result["msg"]


@pytest.mark.parametrize(
    ("engine", "steps"),
    [
        (
            {"installed": False, "service_state": "absent", "daemon_config": {}},
            ["install", "register_service", "write_config", "start"],
        ),
        (
            {
                "installed": True,
                "version": "27.3.1",
                "service_state": "running",
                "daemon_config": None,
            },
            ["write_config", "restart"],
        ),
        (
            {
                "installed": True,
                "version": "27.3.1",
                "service_state": "absent",
                "daemon_config": HARDENED,
            },
            ["register_service", "start"],
        ),
    ],
)
def test_plan_steps(engine, steps):
    assert plan_steps(engine, "27.3.1", HARDENED) == steps
