"""The container_host_plan action: one read, the plan, what differs; the readiness check.

The host is a fake ``_execute_module`` answering container_host_info with a given read.
"""

from __future__ import annotations

import copy

import pytest
from action_harness import PassThroughTemplar, make_action

from ansible_collections.trustbound.wincontainers.plugins.action.container_host_plan import (
    ActionModule,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import daemon_config

SHA = "e" * 64
SETTINGS = {
    "hyperv": "auto",
    "allow_reboot": True,
    "engine": {"runtime": "docker", "version": "27.3.1", "checksum": SHA},
    "daemon": {},
}
HARDENED = daemon_config.build({}, host="ws1", multi_tenant=False, engine_version="27.3.1")
READY = {
    "os": {"version": "10.0.20348.2340", "build": 20348, "revision": 2340},
    "machine": {"is_virtual": False, "hypervisor_present": False},
    "features": {"Containers": "Installed", "Hyper-V": "Available"},
    "reboot_pending": False,
    "engine": {
        "kind": "docker",
        "installed": True,
        "version": "27.3.1",
        "service_state": "running",
        "daemon_config": copy.deepcopy(HARDENED),
    },
    "containers": [],
    "images": [],
}


def bare():
    info = copy.deepcopy(READY)
    info["features"]["Containers"] = "Available"
    info["engine"] = {"kind": "none", "installed": False, "service_state": "absent"}
    return info


class FakeHost:
    def __init__(self, *reads):
        self.reads = list(reads)
        self.calls = []

    def __call__(self, module_name, module_args=None, task_vars=None, **_kwargs):
        self.calls.append(module_name)
        assert module_name == "trustbound.wincontainers.container_host_info", module_name
        return copy.deepcopy(self.reads.pop(0))


def run(*reads, check_mode=False, task_vars=None, **args):
    action = make_action(ActionModule, args, check_mode=check_mode, templar=PassThroughTemplar())
    host = FakeHost(*reads)
    action._execute_module = host
    return action.run(task_vars={"inventory_hostname": "ws1", **(task_vars or {})}), host


def test_a_host_that_matches_needs_no_change_and_one_read():
    result, host = run(READY, settings=SETTINGS, trust_boundary="acme")
    assert not result.get("failed"), result
    assert host.calls == ["trustbound.wincontainers.container_host_info"]
    assert result["changes"] == {
        "features": [],
        "restart_pending": False,
        "engine_steps": [],
        "needed": False,
    }
    assert result["changed"] is False
    assert result["info"] == {"changed": False, **READY}  # as the reader maps it
    assert result["features"] == ["Containers"]


def test_a_bare_host_needs_the_feature_and_every_engine_step():
    result, _host = run(bare(), settings=SETTINGS, trust_boundary="acme")
    changes = result["changes"]
    assert changes["needed"] is True
    assert changes["features"] == ["Containers"]
    assert changes["engine_steps"] == ["install", "register_service", "write_config", "start"]
    assert result["missing_features"] == ["Containers"]


def test_only_a_daemon_json_difference_is_a_change():
    info = copy.deepcopy(READY)
    info["engine"]["daemon_config"] = {"hosts": ["npipe://"]}
    result, _host = run(info, settings=SETTINGS, trust_boundary="acme")
    assert result["changes"]["features"] == []
    assert result["changes"]["engine_steps"] == ["write_config", "restart"]
    assert result["changes"]["needed"] is True


def test_a_feature_waiting_for_its_restart_is_a_change():
    info = copy.deepcopy(READY)
    info["features"]["Containers"] = "InstallPending"
    result, _host = run(info, settings=SETTINGS, trust_boundary="acme")
    assert result["changes"]["restart_pending"] is True
    assert result["changes"]["features"] == []
    assert result["changes"]["needed"] is True


def test_a_refused_plan_fails_before_any_change_naming_host_and_rule():
    info = copy.deepcopy(READY)
    info["os"] = {"version": "10.0.14393.6709", "build": 14393, "revision": 6709}
    result, host = run(info, settings=SETTINGS, trust_boundary="acme")
    assert result["failed"] is True
    assert result["rule"] == "engine_min_build"
    assert "'ws1'" in result["msg"]
    assert result["changed"] is False
    assert "changes" not in result
    assert host.calls == ["trustbound.wincontainers.container_host_info"]


def test_a_refused_workload_never_shows_its_secret():
    workloads = [
        {
            # An invalid name the refusal quotes, which holds the secret value.
            "name": "web s3cr3t-value",
            "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
            "secret_env": {"TOKEN": "s3cr3t-value"},
        }
    ]
    result, _host = run(READY, settings=SETTINGS, trust_boundary="acme", workloads=workloads)
    assert result["failed"] is True
    assert "web ********" in result["msg"]
    assert "s3cr3t-value" not in str(result)


@pytest.mark.parametrize(
    "read, words",
    [
        ({"failed": True, "msg": "WinRM refused"}, "WinRM refused"),
        ({"os": {}, "features": {}}, "no engine section"),
    ],
)
def test_a_failed_read_fails_the_task_and_plans_nothing(read, words):
    result, _host = run(read, settings=SETTINGS, trust_boundary="acme")
    assert result["failed"] is True
    assert words in result["msg"]
    assert "'ws1'" in result["msg"]
    assert "features" not in result


def test_plan_warnings_become_task_warnings():
    settings = dict(SETTINGS, hyperv=False)
    workloads = [
        {
            "name": "other",
            "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
            "trust_boundary": "globex",
        }
    ]
    result, _host = run(READY, settings=settings, trust_boundary="acme", workloads=workloads)
    assert not result.get("failed"), result
    assert any("container_host_hyperv is false" in w for w in result["warnings"])


def test_verify_passes_on_a_ready_host_and_replaces_the_read():
    planned, _ = run(bare(), settings=SETTINGS, trust_boundary="acme")
    verified, host = run(READY, plan=planned)
    assert not verified.get("failed"), verified
    assert host.calls == ["trustbound.wincontainers.container_host_info"]
    assert verified["info"] == {"changed": False, **READY}
    assert verified["changes"]["needed"] is False
    assert verified["missing_features"] == []
    assert verified["engine"] == planned["engine"]
    assert verified["daemon_config"] == planned["daemon_config"]


def test_verify_fails_naming_what_is_left():
    planned, _ = run(bare(), settings=SETTINGS, trust_boundary="acme")
    stopped = copy.deepcopy(READY)
    stopped["engine"]["service_state"] = "stopped"
    result, _host = run(stopped, plan=planned)
    assert result["failed"] is True
    assert result["rule"] == "host-ready"
    assert "'ws1' is not a ready container host" in result["msg"]
    assert "engine steps still needed: start" in result["msg"]


def test_verify_ignores_the_inventory_and_checks_against_the_plan():
    planned, _ = run(READY, settings=SETTINGS, trust_boundary="acme")
    other_pin = dict(SETTINGS, engine=dict(SETTINGS["engine"], version="26.1.4"))
    result, _host = run(READY, plan=planned, settings=other_pin)
    assert not result.get("failed"), result
    assert result["engine"]["version"] == "27.3.1"


def test_a_plan_that_is_not_one_is_refused_without_reading():
    result, host = run(READY, plan={"features": "Containers"})
    assert result["failed"] is True
    assert "plan must be a result of container_host_plan" in result["msg"]
    assert host.calls == []


def test_a_later_roles_bad_variable_fails_before_the_host_is_read():
    result, host = run(
        READY,
        settings=SETTINGS,
        trust_boundary="acme",
        validate_roles=["container_host", "container_workloads"],
        task_vars={"container_host_hyperv": "auto", "container_workloads_enforcement": "enforcee"},
    )
    assert result["failed"] is True
    assert result["rule"] == "role-arguments"
    assert result["msg"].startswith("host 'ws1': refused by rule 'role-arguments' before any")
    assert "role container_workloads:" in result["msg"]
    assert "container_workloads_enforcement" in result["msg"]
    assert host.calls == []


def test_valid_variables_of_the_listed_roles_let_the_plan_run():
    result, host = run(
        READY,
        settings=SETTINGS,
        trust_boundary="acme",
        validate_roles=["container_host", "container_workloads"],
        task_vars={"container_workloads_enforcement": "report", "wincontainers_workloads": []},
    )
    assert not result.get("failed"), result
    assert host.calls == ["trustbound.wincontainers.container_host_info"]


def test_without_validate_roles_no_variable_is_checked():
    result, _host = run(
        READY,
        settings=SETTINGS,
        trust_boundary="acme",
        task_vars={"container_workloads_enforcement": "enforcee"},
    )
    assert not result.get("failed"), result
