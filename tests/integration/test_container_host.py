"""playbooks/provision.yml (the container_host role) against a simulated fleet, end to end.

Each test starts its own ``wcsim`` fleet (tests/integration/fleets/container_host.yml)
in a temporary state directory, runs the real ``ansible-playbook`` over WinRM
and reads the simulated hosts' state files to check what changed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FLEETS = Path(__file__).resolve().parent / "fleets"
FLEET_FILE = FLEETS / "container_host.yml"
HOST_VARS = FLEETS / "container_host_vars.yml"
PLAYBOOK = REPO / "playbooks" / "provision.yml"
SIMULATOR = REPO / "tests" / "simulator"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class SimulatedFleet:
    """One running wcsim fleet and the inventory that reaches it."""

    def __init__(self, state_dir: Path, fleet_file: Path) -> None:
        self.state_dir = state_dir
        self.fleet_file = fleet_file
        self.inventory = state_dir / "inventory.yml"

    def wcsim(self, *args: str) -> None:
        # this checkout's wcsim, even when it is not pip-installed
        path = os.pathsep.join(filter(None, [str(SIMULATOR), os.environ.get("PYTHONPATH")]))
        subprocess.run(
            [sys.executable, "-m", "wcsim", *args],
            env=dict(os.environ, PYTHONPATH=path),
            check=True,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self, *, reset: bool = False) -> None:
        args = ["start", "--fleet", str(self.fleet_file), "--state-dir", str(self.state_dir)]
        self.wcsim(*args, *(["--reset"] if reset else []))
        self.wcsim("inventory", "--state-dir", str(self.state_dir), "--output", str(self.inventory))

    def stop(self) -> None:
        self.wcsim("stop", "--state-dir", str(self.state_dir))

    def state(self, host: str) -> dict:
        data = json.loads((self.state_dir / "hosts" / f"{host}.json").read_text(encoding="utf-8"))
        data.pop("module_runs", None)  # the simulator's bookkeeping, not host state
        return data

    def counters(self, host: str) -> dict:
        path = self.state_dir / "counters" / f"{host}.json"
        return json.loads(path.read_text(encoding="utf-8"))

    def play(self, *args: str, limit: str | None = None) -> Play:
        config = self.state_dir / "ansible.cfg"  # no stray ansible.cfg changes what tests see
        config.write_text("[defaults]\n", encoding="utf-8")
        env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(config),
            ANSIBLE_LOCAL_TEMP=str(self.state_dir / "ansible-local"),
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_STDOUT_CALLBACK="default",
        )
        command = [
            str(BIN / "ansible-playbook"),
            "-i", str(self.inventory),
            "-i", str(HOST_VARS),
            str(PLAYBOOK),
            *(["--limit", limit] if limit else []),
            *args,
        ]  # fmt: skip
        done = subprocess.run(
            command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300, check=False
        )
        return Play(done.returncode, done.stdout + done.stderr)


class Play:
    def __init__(self, rc: int, output: str) -> None:
        self.rc = rc
        self.output = output
        self.recap = {
            m.group(1): {
                "ok": int(m.group(2)),
                "changed": int(m.group(3)),
                "unreachable": int(m.group(4)),
                "failed": int(m.group(5)),
            }
            for m in RECAP.finditer(output)
        }

    def __repr__(self) -> str:  # shown by pytest when an assertion fails
        return f"Play(rc={self.rc})\n{self.output[-6000:]}"


def fleet_with(tmp_path: Path, faults: dict[str, dict]) -> Path:
    """The base fleet file with per-host faults added."""
    config = yaml.safe_load(FLEET_FILE.read_text(encoding="utf-8"))
    for host, host_faults in faults.items():
        config["hosts"][host]["faults"] = host_faults
    path = tmp_path / "fleet.yml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[SimulatedFleet]:
    simulated = SimulatedFleet(tmp_path / "state", FLEET_FILE)
    simulated.start(reset=True)
    try:
        yield simulated
    finally:
        simulated.stop()


READY = "ws2022,ws2016,ws2025"


def test_bare_hosts_become_ready_and_a_second_run_changes_nothing(fleet):
    first = fleet.play(limit=READY)
    assert first.rc == 0, first
    for host in ("ws2022", "ws2016", "ws2025"):
        assert first.recap[host]["changed"] >= 3, first  # features, reboot, engine
        state = fleet.state(host)
        assert state["features"]["Containers"] == "Installed"
        assert state["engine"]["service_state"] == "running"
        assert state["engine"]["daemon_config"]["hosts"] == ["npipe://"]
        assert state["engine"]["daemon_config"]["log-opts"] == {"max-size": "10m", "max-file": "3"}
        assert state["power"]["boot_count"] == 1  # exactly one restart, for the features

    # ws2022 runs a workload of another trust boundary: Hyper-V, and Hyper-V by default.
    ws2022 = fleet.state("ws2022")
    assert ws2022["features"]["Hyper-V"] == "Installed"
    assert ws2022["engine"]["daemon_config"]["exec-opts"] == ["isolation=hyperv"]
    assert ws2022["engine"]["version"] == "27.3.1"
    # ws2025 has no workloads: no Hyper-V, engine default isolation.
    ws2025 = fleet.state("ws2025")
    assert ws2025["features"].get("Hyper-V", "Available") == "Available"
    assert "exec-opts" not in ws2025["engine"]["daemon_config"]
    # Server 2016 runs the pinned 20.10 engine.
    assert fleet.state("ws2016")["engine"]["version"] == "20.10.24"

    before = {host: fleet.state(host) for host in ("ws2022", "ws2016", "ws2025")}
    second = fleet.play(limit=READY)
    assert second.rc == 0, second
    for host in ("ws2022", "ws2016", "ws2025"):
        assert second.recap[host]["changed"] == 0, second
        assert fleet.state(host) == before[host]


def test_vm_without_virtualization_extensions_fails_before_any_change(fleet):
    before = fleet.state("ws2019")
    play = fleet.play(limit="ws2019")
    assert play.rc != 0
    assert play.recap["ws2019"]["failed"] == 1, play
    assert play.recap["ws2019"]["changed"] == 0, play
    assert "host 'ws2019': Hyper-V is needed (workload scanner" in play.output
    assert "Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true" in play.output
    assert "MacAddressSpoofing" in play.output
    assert fleet.state("ws2019") == before


def test_engine_23_pin_on_server_2016_is_refused_before_any_change(fleet):
    before = fleet.state("ws2016")
    play = fleet.play("-e", "container_host_engine_version=27.3.1", limit="ws2016")
    assert play.rc != 0
    assert play.recap["ws2016"]["failed"] == 1, play
    assert "host 'ws2016': engine pin refused (rule engine_min_build" in play.output
    assert "docker 27.3.1" in play.output
    assert "Windows build 17763 or higher is required" in play.output
    assert fleet.state("ws2016") == before


def test_insecure_daemon_listener_is_refused_before_any_change(fleet):
    before = fleet.state("ws2025")
    extra = json.dumps({"container_host_daemon_hosts": ["npipe://", "tcp://0.0.0.0:2375"]})
    play = fleet.play("-e", extra, limit="ws2025")
    assert play.rc != 0
    assert "host 'ws2025': daemon.json refused (rule listener" in play.output
    assert "unauthenticated remote root" in play.output
    assert fleet.state("ws2025") == before


def test_check_mode_reports_changes_and_changes_nothing(fleet):
    before = {host: fleet.state(host) for host in ("ws2022", "ws2016", "ws2025")}
    play = fleet.play("--check", "--diff", limit=READY)
    assert play.rc == 0, play
    for host in ("ws2022", "ws2016", "ws2025"):
        assert play.recap[host]["changed"] >= 3, play
        assert fleet.state(host) == before[host]
    # the diff shows the daemon.json that would be written
    assert "C:\\ProgramData\\docker\\config\\daemon.json" in play.output
    assert '"isolation=hyperv"' in play.output


def test_restart_that_never_comes_back_then_a_rerun_converges(tmp_path):
    lost = SimulatedFleet(tmp_path / "state", fleet_with(tmp_path, {"ws2025": {
        "reboot_never_returns": True}}))  # fmt: skip
    lost.start(reset=True)
    try:
        play = lost.play("-e", "container_host_reboot_timeout=5", limit="ws2025")
        assert play.rc != 0
        assert play.recap["ws2025"]["failed"] == 1, play
        state = lost.state("ws2025")
        assert state["features"]["Containers"] == "InstallPending"
        assert state["engine"] is None  # stopped before the engine step
    finally:
        lost.stop()

    # The host comes back (the fault is gone); the same play converges, then stays put.
    recovered = SimulatedFleet(tmp_path / "state", FLEET_FILE)
    recovered.start()
    try:
        rerun = recovered.play(limit="ws2025")
        assert rerun.rc == 0, rerun
        state = recovered.state("ws2025")
        assert state["features"]["Containers"] == "Installed"
        assert state["engine"]["service_state"] == "running"
        again = recovered.play(limit="ws2025")
        assert again.rc == 0 and again.recap["ws2025"]["changed"] == 0, again
    finally:
        recovered.stop()


def test_connection_dropped_during_the_restart_still_converges(tmp_path):
    # WinRS command 1 is container_host_info, 2 win_feature, 3 win_reboot's first
    # (boot time) command: the connection drops while the role starts the restart.
    dropped = SimulatedFleet(tmp_path / "state", fleet_with(tmp_path, {"ws2025": {
        "drop_connection_at_command": 3}}))  # fmt: skip
    dropped.start(reset=True)
    try:
        play = dropped.play(limit="ws2025")
        assert play.rc == 0, play
        assert dropped.counters("ws2025")["dropped_connections"] >= 1
        state = dropped.state("ws2025")
        assert state["features"]["Containers"] == "Installed"
        assert state["power"]["boot_count"] == 1
        assert state["engine"]["service_state"] == "running"
        again = dropped.play(limit="ws2025")
        assert again.rc == 0 and again.recap["ws2025"]["changed"] == 0, again
    finally:
        dropped.stop()


def test_restart_not_allowed_stops_with_a_clear_message(fleet):
    play = fleet.play("-e", "container_host_allow_reboot=false", limit="ws2025")
    assert play.rc != 0
    assert "host ws2025 must restart before the engine can run" in play.output
    assert "container_host_allow_reboot is false" in play.output
    state = fleet.state("ws2025")
    assert state["engine"] is None
    assert state["power"]["boot_count"] == 0
