"""Provisioning's engine change and a deployment's apply are writers of one host: each
holds the host lock (HostLock.psm1, modelled in wcsim/host_lock.py), so neither changes
the host while the other does (issue 13, item 12). On a simulated host where the two
module runs really run at once."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import concurrent_runs as runs
import pytest
from concurrent_runs import finish, wait_for
from conftest import FLEETS, WcsimFleet

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_host

pytestmark = pytest.mark.slow

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
ENGINE_TASK = "Install the pinned engine and write the hardened daemon.json"
APPLY_TASK = "Reconcile the containers"


def start(fleet: WcsimFleet, tmp: Path, playbook: str, marker: str, **extra: Any):
    variables = {
        "wincontainers_workloads": [{"name": "web", "image": NANO, "command": ["ping", marker]}],
        **extra,
    }
    return runs.start(fleet, tmp, playbook, variables, FLEETS / "hardening_vars.yml")


def task_result(stdout: str, name: str) -> dict:
    for play in json.loads(stdout)["plays"]:
        for task in play["tasks"]:
            if name in task["task"]["name"]:
                return task["hosts"]["shared"]
    raise AssertionError(f"no task {name!r} in:\n{stdout}")


def containers(fleet: WcsimFleet) -> dict[str, dict]:
    return {c["name"]: c for c in fleet.host_state("shared")["containers"]}


def lock_record(fleet: WcsimFleet) -> dict:
    return runs.lock_record(fleet, "shared")


def test_a_deployment_during_an_engine_change_is_refused_with_nothing_changed(tmp_path):
    fleet = WcsimFleet(FLEETS / "engine_lock.yml", tmp_path / "state")
    fleet.start()
    try:
        finish(start(fleet, tmp_path / "deploy0", "deploy.yml", "first"))
        before = containers(fleet)["web"]
        assert before["state"] == "running"

        provision = start(fleet, tmp_path / "provision", "provision.yml", "first")
        wait_for(lambda: "container_engine" in lock_record(fleet).get("holder", ""), "the lock")
        deploy = start(
            fleet, tmp_path / "deploy", "deploy.yml", "second", container_workloads_lock_timeout=1
        )
        out, _err = deploy.communicate(timeout=300)
        assert deploy.returncode != 0
        refused = task_result(out, APPLY_TASK)
        assert "is held by trustbound.wincontainers.container_engine" in refused["msg"]
        assert "Nothing was changed" in refused["msg"]
        assert refused["host_lock"]["holder"]["holder"].startswith(
            "trustbound.wincontainers.container_engine ("
        )

        engine = task_result(finish(provision), ENGINE_TASK)
        assert "restart" in engine["steps"] and engine["lock"]["taken_over"] is None
        web = containers(fleet)["web"]
        # The refused deployment changed nothing; the engine restart brought "web" back.
        assert web["id"] == before["id"] and web["command"] == ["ping", "first"]
        assert web["state"] == "running"
        assert lock_record(fleet) == {}
    finally:
        fleet.stop()


def test_an_engine_change_waits_for_a_deployment_s_apply(tmp_path):
    fleet = WcsimFleet(FLEETS / "engine_lock.yml", tmp_path / "state")
    fleet.start()
    try:
        finish(start(fleet, tmp_path / "deploy0", "deploy.yml", "first"))

        deploy = start(fleet, tmp_path / "deploy", "deploy.yml", "second")
        wait_for(lambda: "web-tbwc-new" in containers(fleet), "the deployment's apply")
        provision = start(fleet, tmp_path / "provision", "provision.yml", "second")
        seen_without_web = False
        while deploy.poll() is None or provision.poll() is None:
            now = containers(fleet)
            seen_without_web |= "web" not in now and "web-tbwc-new" not in now
            time.sleep(0.05)
        applied = task_result(finish(deploy), APPLY_TASK)
        engine = task_result(finish(provision), ENGINE_TASK)
        assert not seen_without_web, "the workload had no container at some point"
        assert applied["host_lock"]["waited_seconds"] == 0
        assert engine["lock"]["waited_seconds"] >= 1, engine["lock"]
        # The engine listed what ran once it held the lock: the deployment's new "web", not
        # the container it replaced (gone by then); so nothing is reported as lost.
        assert engine["containers"]["not_restarted"] == [], engine["containers"]
        assert engine["containers"]["restored"] == [containers(fleet)["web"]["id"]]
        # The engine's docker.exe command lines went through the real docker CLI (issue 18).
        log = fleet.state_dir / "docker-cli" / "shared.jsonl"
        argvs = [json.loads(line)["argv"] for line in log.read_text(encoding="utf-8").splitlines()]
        commands = engine_host.COMMANDS
        assert commands["list_running"] in argvs and commands["server_version"] in argvs
        # One docker start of every id listed, each mapped on the controller as restored.
        assert commands["start_container"] + engine["containers"]["restored"] in argvs
        web = containers(fleet)["web"]
        assert web["command"] == ["ping", "second"] and web["state"] == "running"
        assert "web-tbwc-new" not in containers(fleet)
        assert lock_record(fleet) == {}
    finally:
        fleet.stop()
