"""Every docker command a deploy sends goes through the real docker CLI, and a missing CLI
fails the run instead of falling back to a model.

The container_steps model (tests/simulator/wcsim/modules/container_steps.py) runs each argv
the controller rendered (plugins/plugin_utils/executor_args.py) with the host's docker CLI
binary (wcsim/docker_cli.py) against the host's Engine API, and logs each run (argv, binary,
exit code; never an environment value or stdin) to ``<state_dir>/docker-cli/<host>.jsonl``.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
from test_container_workloads import SECRETS, SimulatedFleet, deployed

pytestmark = [
    pytest.mark.slow,
    # Skipped only outside CI: in CI (CI=true) a missing docker CLI fails these tests.
    pytest.mark.skipif(
        shutil.which("docker") is None and not os.environ.get("CI"),
        reason="no docker CLI on PATH (the machine image ships one; CI fails without it)",
    ),
]


def cli_runs(fleet: SimulatedFleet, host: str) -> list[dict]:
    path = fleet.state_dir / "docker-cli" / f"{host}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_a_deploy_runs_its_docker_commands_through_the_docker_cli(tmp_path, run_playbook):
    fleet = SimulatedFleet(tmp_path / "state", run_playbook)
    fleet.start()
    try:
        deployed(fleet)
        containers = fleet.containers("mixed")
    finally:
        fleet.stop()
    runs = cli_runs(fleet, "mixed")
    created = {
        run["argv"][run["argv"].index("--name=" + name)][len("--name=") :]
        for run in runs
        for name in containers
        if run["argv"][0] == "create" and "--name=" + name in run["argv"]
    }
    # Each container on the host was made by a docker create the CLI sent.
    assert created == set(containers), runs
    started = {r["argv"][-1] for r in runs if r["argv"][0] == "start" and r["rc"] == 0}
    assert started >= {n for n, c in containers.items() if c["state"] == "running"}
    assert {r["cli"] for r in runs} == {shutil.which("docker")}  # 27.3.1 engines: PATH's CLI
    assert not any(secret in json.dumps(runs) for secret in SECRETS)


def test_a_missing_docker_cli_fails_the_deploy_instead_of_falling_back(
    tmp_path, run_playbook, monkeypatch
):
    # The simulator (started below) inherits it: every host's docker.exe is missing.
    monkeypatch.setenv("WCSIM_DOCKER_CLI", str(tmp_path / "no-such" / "docker"))
    fleet = SimulatedFleet(tmp_path / "state", run_playbook)
    fleet.start()
    try:
        play = fleet.play(limit="mixed")
        containers = fleet.containers("mixed")
    finally:
        fleet.stop()
    assert play.rc != 0
    assert play.failed["mixed"] == 1, play.output
    assert "no executable docker CLI there" in play.output, play.output
    assert containers == {}  # nothing was carried out by any other path
    assert cli_runs(fleet, "mixed") == []
