"""The real docker CLI against a running simulated fleet's Engine API, around a deploy run.

What the collection's modules did over WinRM is what ``docker ps`` and ``docker inspect``
show through ``wcsim docker-env``; a change made with the docker CLI (stopping a workload)
is in the host's state, and the next deploy run sees it and repairs it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from test_container_workloads import SimulatedFleet, deployed

pytestmark = [
    pytest.mark.slow,
    # Skipped only outside CI: in CI (CI=true) a missing docker CLI fails these tests.
    pytest.mark.skipif(
        shutil.which("docker") is None and not os.environ.get("CI"),
        reason="no docker CLI on PATH (the machine image ships one; CI fails without it)",
    ),
]


@pytest.fixture
def fleet(tmp_path, run_playbook):
    simulated = SimulatedFleet(tmp_path / "state", run_playbook)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def docker(fleet: SimulatedFleet, host: str, *args: str) -> subprocess.CompletedProcess[str]:
    name, _, value = (
        fleet.wcsim("docker-env", "--state-dir", str(fleet.state_dir), host).strip().partition("=")
    )
    assert name == "DOCKER_HOST"
    env = {"PATH": os.environ["PATH"], "DOCKER_HOST": value, "DOCKER_CONFIG": str(fleet.state_dir)}
    return subprocess.run(
        ["docker", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_docker_cli_sees_the_deployed_workloads_and_a_cli_change_is_repaired(fleet):
    deployed(fleet)
    containers = fleet.containers("mixed")
    listed = docker(fleet, "mixed", "ps", "--all", "--format", "{{.Names}} {{.State}}")
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split("\n")[:-1]) == sorted(
        f"{name} {c['state']}" for name, c in containers.items()
    )
    inspected = docker(fleet, "mixed", "container", "inspect", "--", "tenant-api")
    assert inspected.returncode == 0, inspected.stderr
    (data,) = json.loads(inspected.stdout)
    assert data["HostConfig"]["Isolation"] == "hyperv"
    assert data["Config"]["Labels"]["trustbound.wincontainers.trust_boundary"] == "globex"
    assert data["HostConfig"]["PortBindings"] == {"9000/tcp": [{"HostIp": "", "HostPort": "9000"}]}

    stopped = docker(fleet, "mixed", "stop", "-t=1", "--", "web")
    assert stopped.returncode == 0, stopped.stderr
    assert fleet.containers("mixed")["web"]["state"] == "exited"
    again = deployed(fleet)
    assert again.changed["mixed"] == 1
    web = next(w for w in again.result("mixed")["workloads"] if w["name"] == "web")
    assert web["action"] == "start"
    assert fleet.containers("mixed")["web"]["state"] == "running"
