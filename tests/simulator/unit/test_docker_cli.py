"""docker_cli: which docker CLI plays a host's docker.exe; wcsim docker-env by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from wcsim import docker_cli

SIMULATOR = Path(__file__).resolve().parents[1]
FLEET = """\
hosts:
  core:
    port: 0
    os_version: 10.0.20348.2340
    features: [Containers]
    engine: {version: "27.3.1"}
  old:
    port: 0
    os_version: 10.0.14393.7515
    features: [Containers]
    engine: {version: "20.10.24"}
"""


def fake_cli(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho fake\n", encoding="utf-8")
    path.chmod(0o755)
    return path


def test_wcsim_docker_cli_names_the_binary_for_every_host(tmp_path, monkeypatch):
    named = fake_cli(tmp_path / "bin" / "docker-x")
    fake_cli(tmp_path / "venv" / docker_cli.CLI_2010)
    monkeypatch.setenv(docker_cli.ENV_VAR, str(named))
    assert docker_cli.cli_for("27.3.1", tmp_path / "venv") == str(named)
    assert docker_cli.cli_for("20.10.24", tmp_path / "venv") == str(named)


@pytest.mark.parametrize("kind", ["missing", "not executable", "a directory"])
def test_a_wcsim_docker_cli_that_is_no_binary_is_an_error_never_a_fallback(
    tmp_path, monkeypatch, kind
):
    path = tmp_path / "docker"
    if kind == "not executable":
        path.write_text("#!/bin/sh\n", encoding="utf-8")
    elif kind == "a directory":
        path.mkdir()
    monkeypatch.setenv(docker_cli.ENV_VAR, str(path))
    with pytest.raises(docker_cli.DockerCliMissing, match=f"WCSIM_DOCKER_CLI={path}: no exec"):
        docker_cli.cli_for("27.3.1")


def test_a_20_10_engine_gets_the_set_up_s_20_10_cli_the_others_docker_on_path(
    tmp_path, monkeypatch
):
    monkeypatch.delenv(docker_cli.ENV_VAR, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    on_path = fake_cli(tmp_path / "path" / "docker")
    old = fake_cli(tmp_path / "venv" / docker_cli.CLI_2010)
    assert docker_cli.cli_for("20.10.24", tmp_path / "venv") == str(old)
    assert docker_cli.cli_for("27.3.1", tmp_path / "venv") == str(on_path)
    # No 20.10 CLI set up (not root, say): docker on PATH for every host.
    assert docker_cli.cli_for("20.10.24", tmp_path / "elsewhere") == str(on_path)
    on_path.unlink()
    with pytest.raises(docker_cli.DockerCliMissing, match="no 'docker' on PATH"):
        docker_cli.cli_for("27.3.1", tmp_path / "elsewhere")


def wcsim(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(SIMULATOR))
    return subprocess.run(
        [sys.executable, "-m", "wcsim", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(shutil.which("docker") is None, reason="no docker CLI on PATH")
def test_docker_env_points_the_real_docker_cli_at_one_simulated_host(tmp_path):
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(FLEET, encoding="utf-8")
    state_dir = tmp_path / "state"
    assert wcsim("docker-env", "--state-dir", str(state_dir), "core").returncode == 1
    started = wcsim("start", "--fleet", str(fleet), "--state-dir", str(state_dir), "--reset")
    assert started.returncode == 0, started.stderr
    try:
        line = wcsim("docker-env", "--state-dir", str(state_dir), "old").stdout.strip()
        name, _, value = line.partition("=")
        assert name == "DOCKER_HOST" and value == f"unix://{state_dir.resolve()}/engines/old.sock"
        env = {"PATH": os.environ["PATH"], "DOCKER_HOST": value, "DOCKER_CONFIG": str(tmp_path)}
        version = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Os}} {{.Server.APIVersion}}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert version.returncode == 0, version.stderr
        assert version.stdout.strip() == "windows 1.41"
        listed = subprocess.run(
            ["docker", "ps", "--all", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert listed.returncode == 0 and listed.stdout == ""
        unknown = wcsim("docker-env", "--state-dir", str(state_dir), "nosuch")
        assert unknown.returncode == 1 and "no host 'nosuch'" in unknown.stderr
    finally:
        wcsim("stop", "--state-dir", str(state_dir))
    assert not (state_dir / "engines" / "old.sock").exists()
