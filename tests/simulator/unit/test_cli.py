"""cli: the background fleet's life cycle, its files, its inventory and counters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import winrm
import yaml

from wcsim import cli

SIMULATOR = Path(__file__).resolve().parents[1]
FLEET = """\
hosts:
  alpha:
    port: 0
    os_version: 10.0.20348.2340
    username: simadmin
    password: alpha-Passw0rd
  beta:
    port: 0
    https: true
    os_version: 10.0.17763.5458
"""


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


@pytest.fixture
def fleet_file(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.yml"
    path.write_text(FLEET, encoding="utf-8")
    return path


@pytest.fixture
def running(fleet_file: Path, tmp_path: Path) -> Iterator[Path]:
    state_dir = tmp_path / "state"
    started = wcsim("start", "--fleet", str(fleet_file), "--state-dir", str(state_dir), "--reset")
    assert started.returncode == 0, started.stderr
    try:
        yield state_dir
    finally:
        wcsim("stop", "--state-dir", str(state_dir))


def test_start_writes_pid_endpoints_and_private_credentials(running):
    pid = int((running / "wcsim.pid").read_text())
    endpoints = json.loads((running / "endpoints.json").read_text())

    assert cli.is_wcsim_process(pid)
    assert set(endpoints) == {"alpha", "beta"}
    assert {e["scheme"] for e in endpoints.values()} == {"http", "https"}
    assert all(cli.accepts_connections(e["address"], e["port"]) for e in endpoints.values())
    assert (running / "credentials.json").stat().st_mode & 0o777 == 0o600


def test_inventory_reaches_the_hosts_with_their_credentials(running):
    inventory = yaml.safe_load(
        wcsim("inventory", "--state-dir", str(running), "--group", "sim").stdout
    )
    hosts = inventory["all"]["children"]["sim"]["hosts"]

    alpha = hosts["alpha"]
    assert alpha["ansible_connection"] == "winrm"
    assert alpha["ansible_winrm_transport"] == "basic"
    assert (alpha["ansible_user"], alpha["ansible_password"]) == ("simadmin", "alpha-Passw0rd")
    assert hosts["beta"]["ansible_winrm_scheme"] == "https"
    assert hosts["beta"]["ansible_winrm_server_cert_validation"] == "ignore"
    url = f"http://{alpha['ansible_host']}:{alpha['ansible_port']}/wsman"
    session = winrm.Session(url, auth=("simadmin", "alpha-Passw0rd"), transport="basic")
    assert session.run_ps("hostname").std_out.strip() == b"ALPHA"


def test_counters_command_reads_and_resets(running):
    endpoint = json.loads((running / "endpoints.json").read_text())["alpha"]
    session = winrm.Session(
        f"http://127.0.0.1:{endpoint['port']}/wsman",
        auth=("simadmin", "alpha-Passw0rd"),
        transport="basic",
    )
    session.run_ps("hostname")

    counted = json.loads(wcsim("counters", "--state-dir", str(running)).stdout)
    assert counted["alpha"]["raw_commands"] == 1
    assert counted["beta"]["raw_commands"] == 0

    reset = json.loads(
        wcsim("counters", "--state-dir", str(running), "--reset", "--host", "alpha").stdout
    )
    assert reset == {"alpha": json.loads(json.dumps(reset["alpha"]))}
    assert reset["alpha"]["raw_commands"] == 0 and reset["alpha"]["http_requests"] == 0


def test_status_reports_running_then_stopped(running):
    status = wcsim("status", "--state-dir", str(running))
    assert status.returncode == 0
    assert "alpha: http://127.0.0.1:" in status.stdout and "listening" in status.stdout

    pid = int((running / "wcsim.pid").read_text())
    stopped = wcsim("stop", "--state-dir", str(running))

    assert stopped.returncode == 0
    assert not cli.is_wcsim_process(pid)
    assert not (running / "wcsim.pid").exists()
    assert wcsim("status", "--state-dir", str(running)).returncode == 3


def test_second_start_on_a_running_fleet_is_refused(running, fleet_file):
    again = wcsim("start", "--fleet", str(fleet_file), "--state-dir", str(running))

    assert again.returncode == 1
    assert "already runs" in again.stderr


def test_restart_without_reset_resumes_state_and_ports(running, fleet_file):
    before = json.loads((running / "endpoints.json").read_text())
    state = running / "hosts" / "alpha.json"
    data = json.loads(state.read_text())
    data["computer_name"] = "RESUMED"
    assert wcsim("stop", "--state-dir", str(running)).returncode == 0
    state.write_text(json.dumps(data))  # stands for a change a playbook made

    assert wcsim("start", "--fleet", str(fleet_file), "--state-dir", str(running)).returncode == 0

    assert json.loads((running / "endpoints.json").read_text()) == before
    session = winrm.Session(
        f"http://127.0.0.1:{before['alpha']['port']}/wsman",
        auth=("simadmin", "alpha-Passw0rd"),
        transport="basic",
    )
    assert session.run_ps("hostname").std_out.strip() == b"RESUMED"


def test_start_with_a_broken_fleet_file_fails_with_the_reason(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("hosts:\n  bad:\n    os_version: 10.0.1.1\n", encoding="utf-8")

    started = wcsim("start", "--fleet", str(broken), "--state-dir", str(tmp_path / "state"))

    assert started.returncode == 1
    assert "exited with code" in started.stderr
    assert "host bad" in started.stderr
    assert not (tmp_path / "state" / "wcsim.pid").exists()


def test_stop_without_a_fleet_is_harmless(tmp_path):
    stopped = wcsim("stop", "--state-dir", str(tmp_path))

    assert stopped.returncode == 0
    assert "no wcsim fleet runs" in stopped.stdout


def test_inventory_before_start_says_what_to_do(tmp_path):
    result = wcsim("inventory", "--state-dir", str(tmp_path))

    assert result.returncode == 1
    assert "start the fleet first" in result.stderr


def test_a_pid_file_naming_another_process_is_not_a_running_fleet(tmp_path):
    other = subprocess.Popen(["sleep", "30"])  # alive, but not a wcsim server
    try:
        (tmp_path / "wcsim.pid").write_text(f"{other.pid}\n")
        assert cli.running_pid(tmp_path) is None
        assert wcsim("stop", "--state-dir", str(tmp_path)).returncode == 0
        assert other.poll() is None  # stop never signals a process that is not wcsim
    finally:
        other.kill()
        other.wait()
