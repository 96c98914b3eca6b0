"""Get-Service's pending and paused states, mapped on the controller (engine_steps)."""

from __future__ import annotations

import re

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    engine_host,
    engine_restart,
    engine_steps,
)

CONFIG = daemon_config.build({}, host="h", multi_tenant=False, engine_version="27.3.1")


def engine(state, **more):
    return {"installed": True, "version": "27.3.1", "service_state": state,
            "daemon_config": CONFIG, **more}  # fmt: skip


@pytest.mark.parametrize("state", ["startpending", "continuepending", "pausepending", "paused"])
def test_a_service_going_up_or_paused_is_restarted_for_a_change(state):
    steps = engine_steps.plan_steps(engine(state, version="26.1.4"), "27.3.1", CONFIG)
    assert steps == ["install", "restart"]
    assert engine_restart.stops_engine(steps, engine(state))


@pytest.mark.parametrize("state", ["startpending", "paused"])
def test_without_a_change_the_module_waits_for_it_to_answer(state):
    assert engine_steps.plan_steps(engine(state), "27.3.1", CONFIG) == ["start"]


def test_running_without_a_change_plans_nothing():
    assert engine_steps.plan_steps(engine("running"), "27.3.1", CONFIG) == []


@pytest.mark.parametrize("state", ["stoppending", "stopped"])
def test_a_service_stopping_or_stopped_is_started(state):
    steps = engine_steps.plan_steps(engine(state, version="26.1.4"), "27.3.1", CONFIG)
    assert steps == ["install", "start"]
    assert not engine_restart.stops_engine(steps, engine(state))


def test_the_module_option_carries_every_constant_and_follows_data_root():
    option = engine_host.module_option({"data-root": "D:\\docker\\"})
    assert option["data_root"] == "D:\\docker\\"
    assert option["layers_path"] == "D:\\docker\\windowsfilter"
    assert option["install_path"] == "C:\\Program Files\\docker"
    assert option["config_path"] == "C:\\ProgramData\\docker\\config\\daemon.json"
    assert option["data_root_sddl"] == "D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)"
    assert option["dockerd"] == "C:\\Program Files\\docker\\dockerd.exe"
    assert option["dockerd_process"] == "dockerd"
    assert option["docker"] == "C:\\Program Files\\docker\\docker.exe"
    assert option["install_backup"] == "C:\\Program Files\\docker.previous"
    assert option["config_backup"] == "C:\\ProgramData\\docker\\config\\daemon.json.previous"
    assert option["config_staged"] == "C:\\ProgramData\\docker\\config\\daemon.json.new"
    match = re.search(option["version_pattern"], "Docker version 27.3.1, build 41ca978\n")
    assert match is not None and match.group(1) == "27.3.1"
    default = engine_host.module_option(None)
    assert default["layers_path"] == "C:\\ProgramData\\docker\\windowsfilter"
    # argv lists only: no command line is a string a shell could split differently.
    assert all(
        isinstance(argv, list) and all(isinstance(a, str) for a in argv)
        for argv in default["commands"].values()
    )
    default["commands"]["list_running"].append("x")  # a copy each time
    assert engine_host.module_option(None)["commands"]["list_running"][-1] != "x"
