"""playbooks/patch.yml and playbooks/refresh_images.yml against simulated fleets, end to end.

The fleets (fleets/container_updates*.yml) are provisioned hosts with a
Windows Update catalogue each; the workloads are deployed first with
playbooks/deploy.yml. Everything runs over real WinRM against simulated hosts
(no Windows, no PowerShell): each module run is answered by the simulator's
model of that module.
"""

from __future__ import annotations

import hashlib
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
PATCH = REPO / "playbooks" / "patch.yml"
REFRESH = REPO / "playbooks" / "refresh_images.yml"
DEPLOY = REPO / "playbooks" / "deploy.yml"
HOST_VARS = FLEETS / "container_updates_vars.yml"
CORE16 = "mcr.microsoft.com/windows/servercore:ltsc2016"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
# The simulator's bookkeeping, not host state (wcsim state.py _BOOKKEEPING).
BOOKKEEPING = ("module_runs", "pull_attempts", "update_tasks", "update_poll_drops", "port",
               "download_count")  # fmt: skip
INFO = "trustbound.wincontainers.container_host_info"
UPDATES = "ansible.windows.win_updates"


class Fleet:
    def __init__(self, fleet_file: Path, state_dir: Path, run_playbook) -> None:
        self.fleet_file = fleet_file
        self.state_dir = state_dir
        self.inventory = state_dir / "inventory.yml"
        self._run = run_playbook

    def wcsim(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "wcsim", *args],
            env=dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator")),
            check=True,
            capture_output=True,
            text=True,
        ).stdout

    def start(self) -> None:
        self.wcsim("start", "--fleet", str(self.fleet_file), "--state-dir", str(self.state_dir),
                   "--reset")  # fmt: skip
        self.wcsim("inventory", "--state-dir", str(self.state_dir), "--output", str(self.inventory))

    def stop(self) -> None:
        self.wcsim("stop", "--state-dir", str(self.state_dir))

    def state(self, host: str) -> dict:
        return json.loads((self.state_dir / "hosts" / f"{host}.json").read_text(encoding="utf-8"))

    def state_hash(self, host: str) -> str:
        state = self.state(host)
        for key in BOOKKEEPING:
            state.pop(key, None)
        return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()

    def containers(self, host: str) -> dict[str, dict]:
        return {c["name"]: c for c in self.state(host)["containers"]}

    def module_runs(self) -> dict[str, dict[str, int]]:
        counters = json.loads(self.wcsim("counters", "--state-dir", str(self.state_dir)))
        return {host: dict(c["module_runs_by_module"]) for host, c in counters.items()}

    def reset_counters(self) -> None:
        self.wcsim("counters", "--state-dir", str(self.state_dir), "--reset")

    def play(self, playbook: Path, *args: str, extra: dict | None = None):
        return self._run(
            playbook, "-i", str(HOST_VARS), *args, extra_vars=extra, inventory=self.inventory
        )


def reports(run) -> dict[str, dict]:
    """Each host's container_updates_report (the last one it printed)."""
    found = {}
    for play in run.data.get("plays", []):
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if "container_updates_report" in result:
                    found[host] = result["container_updates_report"]
    return found


def changed(run) -> dict[str, int]:
    return {host: stats["changed"] for host, stats in run.stats.items()}


class Run:
    def __init__(self, done: subprocess.CompletedProcess[str]) -> None:
        self.rc, self.stdout, self.stderr = done.returncode, done.stdout, done.stderr
        try:
            self.data = json.loads(done.stdout)
        except json.JSONDecodeError:
            self.data = {}
        self.stats = self.data.get("stats", {})

    @property
    def output(self) -> str:
        return f"rc={self.rc}\n{self.stdout}\n{self.stderr}"


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """ansible-playbook with the JSON callback, as conftest's run_playbook, for module fixtures."""
    tmp = tmp_path_factory.mktemp("updates-run")
    config = tmp / "ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
        ANSIBLE_CONFIG=str(config),
    )

    def run(playbook, *args, extra_vars=None, inventory=None):
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                   str(playbook), *args]  # fmt: skip
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        return Run(subprocess.run(command, env=env, cwd=tmp, capture_output=True, text=True,
                                  timeout=600, check=False))  # fmt: skip

    return run


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, runner) -> Iterator[Fleet]:
    simulated = Fleet(FLEETS / "container_updates.yml",
                      tmp_path_factory.mktemp("updates") / "state", runner)  # fmt: skip
    simulated.start()
    try:
        deployed = simulated.play(DEPLOY)
        assert deployed.rc == 0, deployed.output
        # Patch Tuesday: the 2016 base image tag moves to the new revision.
        simulated.wcsim("publish", "--state-dir", str(simulated.state_dir), CORE16,
                        "10.0.14393.6614")  # fmt: skip
        yield simulated
    finally:
        simulated.stop()


@pytest.fixture(scope="module")
def checked(fleet):
    """A check-mode patch run, with every host's state hash before and after."""
    hosts = ["ws2022", "h16-hold", "h16-hyperv", "h16-refresh", "current"]
    before = {h: fleet.state_hash(h) for h in hosts}
    run = fleet.play(PATCH, "--check")
    return run, before, {h: fleet.state_hash(h) for h in hosts}


@pytest.fixture(scope="module")
def patched(fleet, checked):
    before = {h: fleet.containers(h) for h in ("ws2022", "h16-refresh")}
    fleet.reset_counters()
    run = fleet.play(PATCH)
    return run, before, fleet.module_runs()


def test_check_mode_changes_nothing_and_shows_the_plan(checked):
    run, before, after = checked
    assert run.rc == 0, run.output
    assert before == after
    assert set(changed(run).values()) == {0}
    plans = reports(run)
    assert plans["ws2022"]["updates_planned"][0]["kb"] == "KB5034129"
    assert plans["ws2022"]["version_predicted"] == "10.0.20348.2227"
    # Check mode does not install the 2016 servicing stack update, so the cumulative update
    # it unlocks cannot be seen: the future revision is unknown and counts as "differs".
    assert plans["h16-hold"]["held"] is True
    assert "unknown" in plans["h16-hold"]["hold_reasons"][0]


def test_2022_host_patched_every_workload_back_and_verified(fleet, patched):
    run, before, _ = patched
    assert run.rc == 0, run.output
    state = fleet.state("ws2022")
    assert state["os"]["revision"] == 2227
    assert {u["kb"]: u["status"] for u in state["updates"]} == {
        "KB5034129": "installed",
        "KB890830": "installed",
    }
    containers = fleet.containers("ws2022")
    for name in ("web", "tenant", "build"):
        assert containers[name]["state"] == "running", name
        assert containers[name]["isolation"] == before["ws2022"][name]["isolation"]
    assert containers["tenant"]["isolation"] == "hyperv"
    report = reports(run)["ws2022"]
    assert report["patched"] and report["rebooted"]
    assert (report["version_before"], report["version_after"]) == (
        "10.0.20348.2113",
        "10.0.20348.2227",
    )
    assert {u["kb"] for u in report["updates_installed"]} == {"KB5034129", "KB890830"}
    states = {w["name"]: (w["state_before"], w["state_after"]) for w in report["workloads"]}
    assert states == {n: ("running", "running") for n in ("web", "tenant", "build")}
    assert all(w["down_seconds"] > 0 for w in report["workloads"])
    # The container started by hand is reported, counted and left alone (stopped by the reboot).
    assert [u["name"] for u in report["unmanaged"]] == ["byhand"]
    assert containers["byhand"]["state"] == "exited"


def test_2016_hold_leaves_the_host_unpatched_with_the_reason(fleet, patched):
    run, _, _ = patched
    state = fleet.state("h16-hold")
    assert state["os"]["revision"] == 6452
    assert {u["kb"]: u["status"] for u in state["updates"]}["KB5034119"] == "available"
    assert fleet.containers("h16-hold")["app"]["state"] == "running"
    assert fleet.containers("h16-hold")["app"]["isolation"] == "process"
    (reason,) = reports(run)["h16-hold"]["hold_reasons"]
    assert "host 'h16-hold', workload 'app'" in reason
    assert "rule 'patch-breaks-workload'" in reason and "10.0.14393.6614" in reason


def test_2016_hyperv_moves_the_workload(fleet, patched):
    run, _, _ = patched
    assert fleet.state("h16-hyperv")["os"]["revision"] == 6614
    app = fleet.containers("h16-hyperv")["app"]
    assert (app["state"], app["isolation"]) == ("running", "hyperv")
    assert reports(run)["h16-hyperv"]["decisions_changed"] == ["app"]


def test_2016_refresh_uses_the_new_revision_image_under_process_isolation(fleet, patched):
    _, before, _ = patched
    assert fleet.state("h16-refresh")["os"]["revision"] == 6614
    app = fleet.containers("h16-refresh")["app"]
    assert (app["state"], app["isolation"]) == ("running", "process")
    assert app["image_id"] != before["h16-refresh"]["app"]["image_id"]
    images = {i["id"]: i["os_version"] for i in fleet.state("h16-refresh")["images"]}
    assert images[app["image_id"]] == "10.0.14393.6614"


def test_nothing_to_install_is_one_task_and_four_module_runs(patched):
    _, _, runs = patched
    # One task reaches the host (container_patch_prepare): container_host_info once; the
    # win_updates search is start + poll + cancel (its action plugin).
    assert runs["current"] == {INFO: 1, UPDATES: 3}


def test_second_run_changes_nothing(fleet, patched):
    hosts = ["ws2022", "h16-hold", "h16-hyperv", "h16-refresh", "current"]
    before = {h: fleet.state_hash(h) for h in hosts}
    run = fleet.play(PATCH)
    assert run.rc == 0, run.output
    assert set(changed(run).values()) == {0}, changed(run)
    assert {h: fleet.state_hash(h) for h in hosts} == before


def test_moved_tag_refreshes_only_the_affected_containers(fleet, patched):
    before = fleet.containers("ws2022")
    check = fleet.play(REFRESH, "--limit", "ws2022", "--check")
    assert check.rc == 0 and changed(check) == {"ws2022": 0}, check.output
    fleet.wcsim("publish", "--state-dir", str(fleet.state_dir), NANO, "10.0.20348.2227")
    run = fleet.play(
        REFRESH, "--limit", "ws2022", extra={"container_updates_prune_old_images": True}
    )
    assert run.rc == 0, run.output
    after = fleet.containers("ws2022")
    images = {i["id"] for i in fleet.state("ws2022")["images"]}
    assert before["web"]["image_id"] not in images  # pruned once the new containers ran
    assert after["web"]["image_id"] in images
    for name in ("web", "tenant"):  # nanoserver:ltsc2022 moved
        assert after[name]["image_id"] != before[name]["image_id"], name
        assert after[name]["state"] == "running"
        assert after[name]["isolation"] == before[name]["isolation"]
    assert after["build"]["id"] == before["build"]["id"]  # servercore did not move
    again = fleet.play(REFRESH, "--limit", "ws2022")
    assert changed(again) == {"ws2022": 0}, again.output


def test_reboot_that_never_returns_stops_the_rollout_after_the_canary(tmp_path, runner):
    canary = Fleet(FLEETS / "container_updates_canary.yml", tmp_path / "state", runner)
    canary.start()
    try:
        # This fleet's own hosts: the shared vars file also lists the main fleet's hosts,
        # which this fleet does not run (the run check refuses hosts it cannot reach as
        # Windows hosts).
        run = canary.play(
            PATCH,
            "--limit",
            "canary,second,third,fourth",
            extra={"container_updates_reboot_timeout": 5, "container_updates_ready_retries": 1},
        )
        assert run.rc != 0
        assert run.stats["canary"]["failures"] == 1, run.output
        runs = canary.module_runs()
        for host in ("second", "third", "fourth"):
            assert canary.state(host)["os"]["revision"] == 2113
            assert runs.get(host, {}) == {}, (host, runs.get(host))
            assert host not in run.stats or run.stats[host]["changed"] == 0
    finally:
        canary.stop()


def test_engine_that_does_not_start_after_the_reboot_fails_the_host_clearly(tmp_path, runner):
    fleet = Fleet(FLEETS / "container_updates_canary.yml", tmp_path / "state", runner)
    fleet.start()
    try:
        run = fleet.play(
            PATCH,
            "--limit",
            "nohns",
            extra={"container_updates_ready_retries": 2, "container_updates_ready_delay": 1},
        )
        assert run.rc != 0
        assert fleet.state("nohns")["os"]["revision"] == 2227  # patched, then not ready
        assert fleet.state("nohns")["engine"]["service_state"] == "stopped"
        assert "host 'nohns': the patch failed at the engine's readiness check" in run.stdout, (
            run.output
        )
        assert "Workloads brought back: NO: " in run.stdout, run.output
        assert "the container engine is not running" in run.stdout
    finally:
        fleet.stop()


def test_connection_dropped_while_polling_fails_the_host_with_its_workloads_back(tmp_path, runner):
    # ansible-core's winrm plugin raises a dropped connection as a plain error (only timeouts
    # become AnsibleConnectionFailure), so win_updates' poll retry does not cover it.
    fleet = Fleet(FLEETS / "container_updates_canary.yml", tmp_path / "state", runner)
    fleet.start()
    try:
        deployed = fleet.play(DEPLOY, "--limit", "dropped")
        assert deployed.rc == 0, deployed.output
        run = fleet.play(PATCH, "--limit", "dropped")
        assert run.rc != 0
        assert "host 'dropped': the patch failed at 'Install the updates" in run.stdout, run.output
        assert "Workloads brought back: yes" in run.stdout
        assert fleet.containers("dropped")["web"]["state"] == "running"
    finally:
        fleet.stop()
