"""The patch and the refresh follow the deployment's settings, and refuse what they cannot
finish before anything changes (issue 19, items 3 and 5).

Each test starts its own simulated fleet (fleets/container_updates.yml), deploys with
playbooks/deploy.yml and runs playbooks/patch.yml or playbooks/refresh_images.yml over real
WinRM against simulated hosts (no Windows, no PowerShell).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_container_updates import (
    DEPLOY,
    FLEETS,
    NANO,
    PATCH,
    Fleet,
    changed,
    reports,
    runner,  # noqa: F401 (the module fixture)
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
REFRESH = REPO / "playbooks" / "refresh_images.yml"
OWNER = {"container_workloads_owner": "example-inventory"}


@pytest.fixture
def fleet(tmp_path, runner):  # noqa: F811 (the imported fixture)
    simulated = Fleet(FLEETS / "container_updates.yml", tmp_path / "state", runner)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def deploy(fleet: Fleet, extra: dict | None = None, host: str = "ws2022") -> None:
    done = fleet.play(DEPLOY, "--limit", host, extra=extra)
    assert done.rc == 0, done.output


def running(fleet: Fleet, host: str = "ws2022") -> dict[str, str]:
    return {name: c["state"] for name, c in fleet.containers(host).items() if name != "byhand"}


def test_patch_restores_the_workloads_of_the_deployment_owner(fleet):
    deploy(fleet, OWNER)
    run = fleet.play(PATCH, "--limit", "ws2022", extra=OWNER)
    assert run.rc == 0, run.output
    assert fleet.state("ws2022")["os"]["revision"] == 2227
    assert running(fleet) == {"web": "running", "tenant": "running", "build": "running"}
    report = reports(run)["ws2022"]
    assert report["patched"] and report["rebooted"]


def test_refresh_replaces_the_workloads_of_the_deployment_owner(fleet):
    deploy(fleet, OWNER)
    before = fleet.containers("ws2022")
    fleet.wcsim("publish", "--state-dir", str(fleet.state_dir), NANO, "10.0.20348.2227")
    run = fleet.play(REFRESH, "--limit", "ws2022", extra=OWNER)
    assert run.rc == 0, run.output
    after = fleet.containers("ws2022")
    for name in ("web", "tenant"):
        assert after[name]["image_id"] != before[name]["image_id"], name
        assert after[name]["state"] == "running", name
    assert changed(run)["ws2022"] > 0


def test_a_restore_that_would_be_refused_is_refused_before_the_drain(fleet):
    deploy(fleet, OWNER)
    before = fleet.state_hash("ws2022")
    run = fleet.play(
        PATCH, "--limit", "ws2022", extra={**OWNER, "container_updates_owner": "someone-else"}
    )
    assert run.rc != 0
    assert "rule 'container-of-another-owner'" in run.stdout, run.output
    assert "set container_updates_owner" in run.stdout
    assert "Nothing was changed." in run.stdout
    assert fleet.state_hash("ws2022") == before
    assert running(fleet) == {"web": "running", "tenant": "running", "build": "running"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("container_updates_start_timeout", 0),
        ("container_updates_reboot_timeout", -1),
        ("container_updates_ready_retries", -1),
        ("container_updates_lease_id", "job\nrm -rf"),
        ("container_updates_resume_lease", "a;b"),
        ("container_updates_lease_seconds", 0),
    ],
)
def test_a_bad_setting_is_refused_before_any_change_naming_it(fleet, variable, value):
    deploy(fleet)
    before = fleet.state_hash("ws2022")
    fleet.reset_counters()
    run = fleet.play(PATCH, "--limit", "ws2022", extra={variable: value})
    assert run.rc != 0
    assert f"rule bad-setting, {variable})" in run.stdout, run.output
    assert "Nothing was changed." in run.stdout
    assert fleet.state_hash("ws2022") == before
    assert fleet.module_runs().get("ws2022", {}) == {}  # refused before the host is read
    assert running(fleet) == {"web": "running", "tenant": "running", "build": "running"}


def test_a_known_revision_of_another_build_is_refused_before_the_drain(fleet):
    deploy(fleet)
    before = fleet.state_hash("ws2022")
    run = fleet.play(
        PATCH,
        "--limit",
        "ws2022",
        extra={"container_updates_known_revisions": {"KB5034129": "17763.2227"}},
    )
    assert run.rc != 0
    assert "rule 'bad-known-revision'" in run.stdout, run.output
    assert "container_updates_known_revisions['KB5034129']" in run.stdout
    assert fleet.state_hash("ws2022") == before


def test_no_task_result_shows_a_secret_value_at_any_verbosity(fleet):
    secret = "s3cr3t-Value-9f1c"
    workloads = [
        {
            "name": "web",
            "image": NANO,
            "command": ["ping", "-t", "localhost"],
            "secret_env": {"API_TOKEN": secret},
        }
    ]
    key = {"container_workloads_config_hash_key": "hash-Key-77ab"}
    deploy(fleet, {"wincontainers_workloads": workloads, **key})
    run = fleet.play(PATCH, "-vvv", "--limit", "ws2022",
                     extra={"wincontainers_workloads": workloads, **key})  # fmt: skip
    assert run.rc == 0, run.output
    assert fleet.state("ws2022")["os"]["revision"] == 2227
    assert fleet.containers("ws2022")["web"]["state"] == "running"
    assert secret not in run.stdout + run.stderr
    assert "hash-Key-77ab" not in run.stdout + run.stderr
