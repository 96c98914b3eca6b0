"""One writer per host: two runs against one host at once never leave a workload without a
container (issue 13, item 12), on a simulated host where two container_steps runs really run
at once (wcsim runs that model concurrently; every docker step takes 1.5 s)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import concurrent_runs
import pytest
from conftest import FLEETS, WcsimFleet

pytestmark = pytest.mark.slow

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def workloads(marker: str) -> list[dict]:
    return [{"name": "web", "image": NANO, "command": ["ping", "-t", marker]}]


def start(fleet: WcsimFleet, tmp: Path, marker: str) -> subprocess.Popen:
    extra = {"wincontainers_workloads": workloads(marker), "container_workloads_lock_timeout": 120}
    return concurrent_runs.start(fleet, tmp, "deploy.yml", extra, FLEETS / "hardening_vars.yml")


def result(stdout: str) -> dict:
    data = json.loads(stdout)
    for play in data["plays"]:
        for task in play["tasks"]:
            if "Reconcile the containers" in task["task"]["name"]:
                return task["hosts"]["shared"]
    raise AssertionError(stdout)


def names(fleet: WcsimFleet) -> dict[str, dict]:
    return {c["name"]: c for c in fleet.host_state("shared")["containers"]}


def test_two_runs_at_once_never_leave_the_workload_without_a_container(tmp_path):
    fleet = WcsimFleet(FLEETS / "hardening_lock.yml", tmp_path / "state")
    fleet.start()
    try:
        concurrent_runs.finish(start(fleet, tmp_path / "a0", "first"))
        assert names(fleet)["web"]["state"] == "running"

        one = start(fleet, tmp_path / "a", "one")
        # Start the second run once the first is changing the host (its temporary container
        # exists), so its read and its apply fall inside the first run's apply.
        concurrent_runs.wait_for(lambda: "web-tbwc-new" in names(fleet), "the first run's apply")
        two = start(fleet, tmp_path / "b", "two")
        seen_without_web = False
        while one.poll() is None or two.poll() is None:
            containers = names(fleet)
            if "web" not in containers and "web-tbwc-new" not in containers:
                seen_without_web = True
            time.sleep(0.05)
        # Both runs succeed: the second waited for the first one's lock, then applied.
        out_one = concurrent_runs.finish(one)
        out_two = concurrent_runs.finish(two)
        assert not seen_without_web, "the workload had no container at some point"
        web = names(fleet)["web"]
        assert web["state"] == "running"
        results = [result(out_one), result(out_two)]
        locks = [r.get("host_lock") or {} for r in results]
        # The second writer found the lock held, waited, then read the host again and planned
        # again (its first plan predated the first writer's change); the first planned once.
        assert sorted(r.get("plan_attempts") for r in results) == [1, 2], [
            (r.get("msg"), r.get("host_lock"), r.get("summary")) for r in results
        ]
        assert all(lock.get("path", "").endswith("host.lock") for lock in locks if lock)
        # The lock is free again and its record empty.
        assert concurrent_runs.lock_record(fleet, "shared") == {}
        # A run after both converges: the workload is what the last inventory says.
        concurrent_runs.finish(start(fleet, tmp_path / "c", "two"))
        assert names(fleet)["web"]["command"] == ["ping", "-t", "two"]
        assert "web-tbwc-new" not in names(fleet)
    finally:
        fleet.stop()
