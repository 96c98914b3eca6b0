"""Hardening against bad input and other owners, end to end on a simulated host (issue 13).

Each test starts its own ``wcsim`` fleet (fleets/hardening.yml: one provisioned host shared
with another owner, team-b, and a container started by hand) and runs the real playbooks
with the inputs an AWX survey or ``-e`` would send. Every refusal is checked on the
simulated host's state: nothing changed, no container of another owner touched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FLEETS, REPO, PlaybookRun, WcsimFleet

pytestmark = pytest.mark.slow

PROVISION = REPO / "playbooks" / "provision.yml"
DEPLOY = REPO / "playbooks" / "deploy.yml"
HOST_VARS = FLEETS / "hardening_vars.yml"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
SECRET = "Globex-Survey-Secret-31"


class Fleet(WcsimFleet):
    def __init__(self, state_dir: Path, run_playbook) -> None:
        super().__init__(FLEETS / "hardening.yml", state_dir)
        self._run = run_playbook

    def play(self, playbook: Path, **extra) -> PlaybookRun:
        return self._run(
            playbook, "-i", str(HOST_VARS), extra_vars=extra or None, inventory=self.inventory
        )

    def host(self) -> dict:
        """What Windows would show of the host: containers, engine, features, files."""
        state = self.host_state("shared")
        return {key: state[key] for key in ("containers", "engine", "features", "images", "files")}


@pytest.fixture
def fleet(tmp_path: Path, run_playbook) -> Iterator[Fleet]:
    simulated = Fleet(tmp_path / "state", run_playbook)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def containers(fleet: Fleet) -> dict[str, dict]:
    return {c["name"]: c for c in fleet.host()["containers"]}


def assert_refused_and_unchanged(run: PlaybookRun, before: dict, *texts: str) -> None:
    assert run.rc != 0, run.output
    for text in texts:
        assert text in run.output, run.output
    assert run.stats["shared"]["changed"] == 0
    assert SECRET not in run.output


def test_provisioning_refuses_a_workload_typo_and_keeps_hyperv_and_the_containers(fleet):
    """Today: the typo hid the other tenant, isolation=hyperv left daemon.json, the engine
    restarted and the running containers stopped."""
    before = fleet.host()
    typo = [{"name": "api", "image": NANO, "trust-boundary": "globex"}]
    run = fleet.play(PROVISION, wincontainers_workloads=typo)
    assert_refused_and_unchanged(run, before, "unknown-key", "trust-boundary")
    assert fleet.host() == before
    assert fleet.host()["engine"]["daemon_config"]["exec-opts"] == ["isolation=hyperv"]
    assert all(c["state"] == "running" for c in fleet.host()["containers"])


def test_provisioning_refuses_workloads_as_text_it_cannot_parse_without_quoting_it(fleet):
    before = fleet.host()
    text = f'{{"name": "api", "image": "{NANO}", "secret_env": {{"TOKEN": "{SECRET}"}}}}'
    run = fleet.play(PROVISION, wincontainers_workloads=text)
    assert_refused_and_unchanged(
        run, before, "wincontainers_workloads must be a list, got a string"
    )
    assert fleet.host() == before


def test_survey_text_is_read_the_same_by_provisioning_and_deployment(fleet):
    """JSON text for the workloads, "True" for a boolean: both roles accept the same inventory
    (today provisioning refused "True" while deployment accepted it)."""
    workloads = json.dumps(
        [{"name": "api", "image": NANO, "trust_boundary": "globex", "isolation": "process"}]
    )
    survey = {
        "wincontainers_workloads": workloads,
        "wincontainers_allow_isolation_downgrade": "True",
        "container_host_daemon_hosts": '["npipe://"]',
        "container_host_engine_checksums": json.dumps(
            {"27.3.1": "7ac2f6b7a2c1b9d1b9b5f0b2a8a6d5b1f3c2e1d0a9b8c7d6e5f4a3b2c1d0e9f8"}
        ),
    }
    provisioned = fleet.play(PROVISION, **survey)
    assert provisioned.rc == 0, provisioned.output
    assert fleet.host()["engine"]["daemon_config"]["exec-opts"] == ["isolation=hyperv"]
    deployed = fleet.play(DEPLOY, **survey)
    assert deployed.rc == 0, deployed.output
    assert containers(fleet)["api"]["isolation"] == "process"
    refused = fleet.play(DEPLOY, **dict(survey, wincontainers_allow_isolation_downgrade="nope"))
    assert refused.rc != 0
    assert "wincontainers_allow_isolation_downgrade must be a boolean" in refused.output


@pytest.mark.parametrize("state", ["started", "absent"])
def test_another_owners_container_is_neither_replaced_nor_removed(fleet, state):
    before = fleet.host()
    run = fleet.play(
        DEPLOY, wincontainers_workloads=[{"name": "web", "image": NANO, "state": state}]
    )
    assert_refused_and_unchanged(run, before, "container-of-another-owner", "team-b", "team-a")
    assert fleet.host() == before


def test_a_hand_started_container_is_taken_over_only_when_adopted(fleet):
    before = fleet.host()
    workloads = [{"name": "manual", "image": NANO, "command": ["ping", "-t", "localhost"]}]
    run = fleet.play(DEPLOY, wincontainers_workloads=workloads)
    assert_refused_and_unchanged(run, before, "unmanaged-container", "'manual'")
    assert fleet.host() == before
    adopted = fleet.play(
        DEPLOY, wincontainers_workloads=workloads, container_workloads_adopt=["manual"]
    )
    assert adopted.rc == 0, adopted.output
    manual = containers(fleet)["manual"]
    assert manual["labels"]["trustbound.wincontainers.owner"] == "team-a"
    assert manual["state"] == "running"
    assert containers(fleet)["web"] == {c["name"]: c for c in before["containers"]}["web"]


def test_a_host_port_held_by_another_container_is_refused_before_any_change(fleet):
    before = fleet.host()
    workloads = [
        {"name": "first", "image": NANO},
        {"name": "site", "image": NANO, "ports": ["8080:80"]},
    ]
    run = fleet.play(DEPLOY, wincontainers_workloads=workloads)
    assert_refused_and_unchanged(run, before, "host-port-held", "'manual'")
    assert fleet.host() == before


@pytest.mark.parametrize(
    ("workload", "rule"),
    [
        (
            {"name": "scan", "trust_level": "untrusted", "volumes": ["C:\\:C:\\host"]},
            "host-system-mount",
        ),
        (
            {
                "name": "scan",
                "trust_boundary": "globex",
                "volumes": ["C:\\ProgramData\\docker:C:\\d"],
            },
            "host-system-mount",
        ),
        (
            {"name": "ops", "volumes": ["\\\\?\\pipe\\docker_engine:\\\\.\\pipe\\engine"]},
            "engine-pipe-mount",
        ),
        (
            {"name": "ops", "volumes": ["\\\\.\\pipe\\.\\docker_engine:\\\\.\\pipe\\x"]},
            "engine-pipe-mount",
        ),
        ({"name": "ops", "user": "S-1-5-93-2-1"}, "admin-user"),
        ({"name": "ops", "user": "BUILTIN\\Administrators"}, "admin-user"),
        ({"name": "ops", "user": "Adm\u0131nistrator"}, "admin-user"),
        ({"name": "ops", "user": "Container\u200bUser"}, "invisible character"),
    ],
)
def test_boundary_bypasses_are_refused_before_any_workload_is_applied(fleet, workload, rule):
    """A valid workload comes first: today some of these failed only at docker start, after
    the workloads before them were applied."""
    before = fleet.host()
    workloads = [{"name": "first", "image": NANO}, {"image": NANO, **workload}]
    run = fleet.play(DEPLOY, wincontainers_workloads=workloads)
    assert_refused_and_unchanged(run, before, rule)
    assert fleet.host() == before


def test_a_list_as_trust_boundary_is_refused_not_turned_into_text(fleet):
    before = fleet.host()
    run = fleet.play(
        DEPLOY,
        wincontainers_trust_boundary=["acme"],
        wincontainers_workloads=[{"name": "first", "image": NANO}],
    )
    assert_refused_and_unchanged(run, before, "wincontainers_trust_boundary")
    assert fleet.host() == before


OLD_HASH = "sha256:5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"


def test_an_unkeyed_config_hash_never_reaches_a_result(fleet):
    """container_host_info's registered result is what AWX stores in its job events."""
    plays = [
        {
            "hosts": "shared",
            "gather_facts": False,
            "tasks": [
                {"trustbound.wincontainers.container_host_info": {}, "register": "info"},
                {"ansible.builtin.debug": {"var": "info.containers"}},
            ],
        }
    ]
    run = fleet._run(plays, inventory=fleet.inventory)
    assert run.rc == 0, run.output
    assert OLD_HASH not in run.output
    assert "********" in run.output
    # The host keeps its label.
    assert containers(fleet)["web"]["labels"]["trustbound.wincontainers.config_hash"] == OLD_HASH


def test_the_config_hash_label_is_keyed_per_host_and_a_secret_change_rolls_out(fleet):
    key = "site-config-hash-key-Vaulted"
    workloads = [{"name": "pinned", "image": NANO, "secret_env": {"PIN": "4711"}}]
    first = fleet.play(
        DEPLOY, wincontainers_workloads=workloads, container_workloads_config_hash_key=key
    )
    assert first.rc == 0, first.output
    label = containers(fleet)["pinned"]["labels"]["trustbound.wincontainers.config_hash"]
    assert label.startswith("v2-hmac-sha256:")
    assert "4711" not in first.output and key not in first.output
    again = fleet.play(
        DEPLOY, wincontainers_workloads=workloads, container_workloads_config_hash_key=key
    )
    assert again.stats["shared"]["changed"] == 0, again.output
    rotated = [dict(workloads[0], secret_env={"PIN": "0815"})]
    third = fleet.play(
        DEPLOY, wincontainers_workloads=rotated, container_workloads_config_hash_key=key
    )
    assert third.rc == 0 and third.stats["shared"]["changed"] == 1, third.output
    pinned = containers(fleet)["pinned"]
    assert "PIN=0815" in pinned["env"]
    assert pinned["labels"]["trustbound.wincontainers.config_hash"] != label
