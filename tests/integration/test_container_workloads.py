"""playbooks/deploy.yml (the container_workloads role) against a simulated fleet, end to end.

Each test starts its own ``wcsim`` fleet (tests/integration/fleets/container_workloads.yml,
hosts already provisioned) in a temporary state directory, runs the real
``ansible-playbook`` over WinRM through the shared harness (conftest.py's
``run_playbook``, JSON callback, with this fleet's inventory plus
fleets/container_workloads_vars.yml), and reads the simulated hosts' state files
and the simulator's traffic counters.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FLEETS = Path(__file__).resolve().parent / "fleets"
FLEET_FILE = FLEETS / "container_workloads.yml"
HOST_VARS = FLEETS / "container_workloads_vars.yml"
PLAYBOOK = REPO / "playbooks" / "deploy.yml"

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
API_1 = "registry.acme.example:5000/acme/api:1.0"
API_2 = "registry.acme.example:5000/acme/api:2.0"
SECRETS = ("Globex-Token-123456", "Acme-Registry-Pa55")
MIXED_WORKLOADS = [
    {
        "name": "web",
        "image": NANO,
        "command": ["ping", "-t", "localhost"],
        "ports": ["8080:80"],
        "restart_policy": "unless-stopped",
    },
    {
        "name": "tenant-api",
        "image": API_1,
        "trust_boundary": "globex",
        "ports": ["9000:9000"],
        "secret_env": {"API_TOKEN": "Globex-Token-123456"},
        "env": {"MODE": "production"},
    },
    {"name": "build", "image": NANO, "trust_level": "untrusted", "memory": "1g", "cpus": 2},
    {"name": "legacy-tool", "image": "mcr.microsoft.com/windows/nanoserver:1809"},
]


TASK_SUFFIX = (
    "Reconcile the containers with wincontainers_workloads (isolation and user from trust)"
)


class Play:
    """One ``deploy.yml`` run through the shared harness (``run_playbook``, JSON callback)."""

    def __init__(self, run) -> None:
        self.rc = run.rc
        self.output = run.output
        self.data = run.data
        # The simulated hosts only: the run check (playbooks/preflight.yml) is localhost's.
        hosts = {host: stats for host, stats in run.stats.items() if host != "localhost"}
        self.changed = {host: stats["changed"] for host, stats in hosts.items()}
        self.failed = {host: stats["failures"] for host, stats in hosts.items()}

    def result(self, host: str) -> dict:
        """The container_workloads task's result for ``host``."""
        for play in self.data.get("plays", []):
            for task in play["tasks"]:
                if task["task"]["name"].endswith(TASK_SUFFIX) and host in task["hosts"]:
                    return task["hosts"][host]
        raise AssertionError(f"no container_workloads result for {host}:\n{self.output}")


class SimulatedFleet:
    """This test's own wcsim fleet (hosts already provisioned), started with the wcsim CLI."""

    def __init__(self, state_dir: Path, run_playbook) -> None:
        self.state_dir = state_dir
        self.inventory = state_dir / "inventory.yml"
        self._run_playbook = run_playbook

    def wcsim(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "wcsim", *args],
            env=dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator")),
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    def start(self) -> None:
        self.wcsim("start", "--fleet", str(FLEET_FILE), "--state-dir", str(self.state_dir))
        self.wcsim("inventory", "--state-dir", str(self.state_dir), "--output", str(self.inventory))

    def stop(self) -> None:
        self.wcsim("stop", "--state-dir", str(self.state_dir))

    def containers(self, host: str) -> dict[str, dict]:
        path = self.state_dir / "hosts" / f"{host}.json"
        state = json.loads(path.read_text(encoding="utf-8"))
        return {c["name"]: c for c in state["containers"]}

    def engine_logins(self, host: str) -> dict:
        path = self.state_dir / "hosts" / f"{host}.json"
        return json.loads(path.read_text(encoding="utf-8"))["engine"]["logins"]

    def module_runs(self) -> dict[str, dict[str, int]]:
        counters = json.loads(self.wcsim("counters", "--state-dir", str(self.state_dir)))
        return {host: dict(c["module_runs_by_module"]) for host, c in counters.items()}

    def reset_counters(self) -> None:
        self.wcsim("counters", "--state-dir", str(self.state_dir), "--reset")

    def play(self, *args: str, limit: str | None = None, extra: dict | None = None) -> Play:
        return Play(
            self._run_playbook(
                PLAYBOOK,
                "-i",
                str(HOST_VARS),
                *(["--limit", limit] if limit else []),
                *args,
                extra_vars=extra,
                inventory=self.inventory,
            )
        )


@pytest.fixture
def fleet(tmp_path: Path, run_playbook) -> Iterator[SimulatedFleet]:
    simulated = SimulatedFleet(tmp_path / "state", run_playbook)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def assert_no_secret(play: Play) -> None:
    for secret in SECRETS:
        assert secret not in play.output


def deployed(fleet: SimulatedFleet) -> Play:
    play = fleet.play()
    assert play.rc == 0, play.output
    return play


def test_mixed_trust_host_then_second_run_changes_nothing_in_one_module_run(fleet):
    first = deployed(fleet)
    assert first.changed["mixed"] == 1
    assert_no_secret(first)
    containers = fleet.containers("mixed")
    assert set(containers) == {"web", "tenant-api", "build", "legacy-tool"}
    isolation = {name: c["isolation"] for name, c in containers.items()}
    # Own boundary and trusted -> process; another tenant's and untrusted -> Hyper-V;
    # a 1809 image cannot run under process isolation on a 2022 host -> Hyper-V.
    assert isolation == {
        "web": "process",
        "tenant-api": "hyperv",
        "build": "hyperv",
        "legacy-tool": "hyperv",
    }
    result = first.result("mixed")
    assert {w["name"]: w["decision"]["isolation"] for w in result["workloads"]} == isolation
    legacy_tool = next(w for w in result["workloads"] if w["name"] == "legacy-tool")
    assert "compatibility-requires-hyperv" in legacy_tool["decision"]["rules"]
    assert result["pulled"] == [
        "mcr.microsoft.com/windows/nanoserver:1809",
        API_1,
    ]
    assert result["module_runs"] == 3
    assert {c["user"] for c in containers.values()} == {"ContainerUser"}
    assert all(c["state"] == "running" for c in containers.values())
    assert containers["build"]["memory_bytes"] == 1024**3 and containers["build"]["cpus"] == 2
    labels = containers["tenant-api"]["labels"]
    assert labels["trustbound.wincontainers.managed"] == "true"
    assert labels["trustbound.wincontainers.owner"] == "integration"
    assert labels["trustbound.wincontainers.trust_boundary"] == "globex"
    assert labels["trustbound.wincontainers.isolation"] == "hyperv"
    assert fleet.engine_logins("mixed") == {}  # logged out after the private pull

    fleet.reset_counters()
    second = deployed(fleet)
    assert second.changed == {"mixed": 0, "legacy": 0}
    assert second.result("mixed")["module_runs"] == 1
    runs = fleet.module_runs()
    assert runs["mixed"] == {"trustbound.wincontainers.container_host_info": 1}
    assert runs["legacy"] == {"trustbound.wincontainers.container_host_info": 1}
    assert fleet.containers("mixed") == containers


def test_newer_image_is_refused_and_nothing_changes(fleet):
    future = {"name": "future", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2025"}
    play = fleet.play(limit="mixed", extra={"wincontainers_workloads": [*MIXED_WORKLOADS, future]})
    assert play.rc != 0
    assert play.failed["mixed"] == 1
    msg = play.result("mixed")["msg"]
    assert "host 'mixed', workload 'future'" in msg
    assert "10.0.26100-based image is incompatible with a 10.0.20348 host" in msg
    assert "No container was changed" in msg
    assert fleet.containers("mixed") == {}


def test_trust_change_switches_isolation_keeping_the_port(fleet):
    deployed(fleet)
    before = fleet.containers("mixed")["web"]
    assert before["isolation"] == "process"
    untrusted = [dict(MIXED_WORKLOADS[0], trust_level="untrusted"), *MIXED_WORKLOADS[1:]]
    play = fleet.play(limit="mixed", extra={"wincontainers_workloads": untrusted})
    assert play.rc == 0, play.output
    assert play.changed["mixed"] == 1
    after = fleet.containers("mixed")
    web = after["web"]
    assert web["isolation"] == "hyperv" and web["state"] == "running"
    assert web["id"] != before["id"] and web["ports"] == before["ports"]
    assert web["labels"]["trustbound.wincontainers.trust_level"] == "untrusted"
    assert not any(name.endswith("-tbwc-new") for name in after)
    result = play.result("mixed")
    assert [w["action"] for w in result["workloads"]] == ["replace", "none", "none", "none"]
    # The old container held host port 8080: it was stopped before the new one started.
    # Untrusted code moves to its trust group's own network (network_plan), ensured first.
    assert [(step["action"], step["name"], step["status"]) for step in result["steps"]] == [
        ("ensure_network", "tbwc-acme-untrusted-822b33ad", "ok"),
        ("create", "web-tbwc-new", "ok"),
        ("stop", "web", "ok"),
        ("start", "web-tbwc-new", "ok"),
        ("wait_running", "web-tbwc-new", "ok"),
        ("remove", "web", "ok"),
        ("rename", "web-tbwc-new", "ok"),
    ]


def test_container_administrator_found_is_replaced(fleet):
    before = fleet.containers("legacy")
    assert before["reports"]["user"] == ""  # Server Core default: ContainerAdministrator
    play = fleet.play(limit="legacy")
    assert play.rc == 0, play.output
    (reports,) = play.result("legacy")["workloads"]
    assert reports["action"] == "replace"
    assert reports["changes"][0] == "runs as administrator account 'ContainerAdministrator'"
    after = fleet.containers("legacy")
    assert after["reports"]["user"] == "ContainerUser"
    assert after["reports"]["state"] == "running"
    assert after["reports"]["labels"]["trustbound.wincontainers.managed"] == "true"
    assert after["manual"] == before["manual"]  # not in the inventory: never touched


def test_container_administrator_found_is_reported_in_report_mode(fleet):
    before = fleet.containers("legacy")
    play = fleet.play(limit="legacy", extra={"container_workloads_enforcement": "report"})
    assert play.rc != 0
    assert play.failed["legacy"] == 1
    result = play.result("legacy")
    assert "host 'legacy'" in result["msg"] and "'reports'" in result["msg"]
    assert "admin-user" in result["msg"]
    assert [f["name"] for f in result["noncompliant"]] == ["reports"]
    assert fleet.containers("legacy") == before


def test_failing_replacement_leaves_the_old_container_running(fleet):
    deployed(fleet)
    before = fleet.containers("mixed")["tenant-api"]
    broken = [MIXED_WORKLOADS[0], dict(MIXED_WORKLOADS[1], image=API_2), *MIXED_WORKLOADS[2:]]
    play = fleet.play(limit="mixed", extra={"wincontainers_workloads": broken})
    assert play.rc != 0
    result = play.result("mixed")
    assert "host 'mixed', workload 'tenant-api'" in result["msg"]
    assert "exited with code 3 right after start" in result["msg"]
    assert "rolled back: remove tenant-api-tbwc-new, start tenant-api" in result["msg"]
    assert [(r["action"], r["rc"]) for r in result["rollback"]] == [("remove", 0), ("start", 0)]
    assert_no_secret(play)
    after = fleet.containers("mixed")
    assert "tenant-api-tbwc-new" not in after
    assert after["tenant-api"]["id"] == before["id"]
    assert after["tenant-api"]["image"] == API_1
    assert after["tenant-api"]["state"] == "running"


def test_purge_removes_managed_containers_no_longer_listed(fleet):
    deployed(fleet)
    fewer = [w for w in MIXED_WORKLOADS if w["name"] != "build"]
    play = fleet.play(
        limit="mixed",
        extra={"wincontainers_workloads": fewer, "container_workloads_purge": True},
    )
    assert play.rc == 0, play.output
    assert set(fleet.containers("mixed")) == {"web", "tenant-api", "legacy-tool"}
    legacy = fleet.play(limit="legacy", extra={"container_workloads_purge": True})
    assert legacy.rc == 0, legacy.output
    assert "manual" in fleet.containers("legacy")  # unmanaged: never purged


def test_check_mode_changes_nothing_and_reports_the_plan(fleet):
    before = {host: fleet.containers(host) for host in ("mixed", "legacy")}
    play = fleet.play("--check", "--diff")
    assert play.rc == 0, play.output
    assert play.changed["mixed"] == 1
    assert {host: fleet.containers(host) for host in ("mixed", "legacy")} == before
    result = play.result("mixed")
    assert result["module_runs"] == 1
    assert {step["status"] for step in result["steps"]} == {"planned"}
    api = next(w for w in result["workloads"] if w["name"] == "tenant-api")
    assert any(r.startswith("image version unknown") for r in api["decision"]["reasons"])
    assert len(result["diff"]) == 4
    assert_no_secret(play)
    runs = fleet.module_runs()
    assert runs["mixed"] == {"trustbound.wincontainers.container_host_info": 1}
