"""container_engine model: its docker.exe command lines run through the real docker CLI."""

from __future__ import annotations

import json

import pytest
from engine_args import ENGINE_HOST
from test_engine_transaction import load, report, running_ids, upgrade

from wcsim import docker_cli
from wcsim.modules import container_steps


def cli_log(tmp_path):
    path = tmp_path / "state" / container_steps.LOG_DIR / "h.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_engine_upgrade_runs_its_docker_commands_through_the_cli(tmp_path):
    fleet = load(tmp_path)
    before = running_ids(fleet)
    rc, result = upgrade(fleet)
    assert rc == 0, result
    runs = cli_log(tmp_path)
    commands = ENGINE_HOST["commands"]
    argvs = [run["argv"] for run in runs]
    # docker ps before the stop, docker version after the start, then ONE docker start of
    # every full id the CLI's docker ps printed.
    assert argvs == [
        commands["list_running"],
        commands["server_version"],
        commands["start_container"] + result["containers"]["listed"]["stdout"].split(),
    ]
    assert sorted(argvs[2][1:]) == sorted(before)
    assert all(run["rc"] == 0 for run in runs)
    assert all(run["cli"].endswith("docker") for run in runs)
    assert sorted(report(fleet, result)["restored"]) == sorted(before)


def test_list_error_is_the_clis_own_output_when_the_api_is_off_the_pipe(tmp_path):
    fleet = load(tmp_path)
    fleet.host("h").engine.record.daemon_config = {"hosts": ["tcp://0.0.0.0:2375"]}
    rc, result = upgrade(fleet, config={"hosts": ["npipe://"]}, steps=["restart"])
    assert rc == 0, result
    list_error = report(fleet, result)["list_error"]
    assert list_error.startswith("docker ps failed (rc 1): ")
    assert "//./pipe/docker_engine" in list_error
    assert "started" not in result["containers"]  # nothing listed, nothing started
    first = cli_log(tmp_path)[0]
    assert (first["argv"], first["rc"]) == (ENGINE_HOST["commands"]["list_running"], 1)
    assert first["seconds"] >= 0


def test_missing_cli_fails_the_engine_change_loudly(tmp_path, monkeypatch):
    fleet = load(tmp_path)
    monkeypatch.setenv("WCSIM_DOCKER_CLI", str(tmp_path / "no-such-docker"))
    with pytest.raises(docker_cli.DockerCliMissing, match="WCSIM_DOCKER_CLI"):
        upgrade(fleet)  # wcsim/server.py answers it as the run's failure, never a fall-back
    assert fleet.host("h").engine.record.version == "26.1.4"  # nothing changed
    monkeypatch.delenv("WCSIM_DOCKER_CLI")
    rc, result = upgrade(fleet)  # the failed run released the host lock
    assert rc == 0, result
