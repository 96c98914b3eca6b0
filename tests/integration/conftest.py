"""Harness for running real ``ansible-playbook`` against a simulated fleet (``wcsim``).

- ``WcsimFleet``: start/stop a fleet with the ``wcsim`` CLI in a state directory,
  write its inventory, read its counters and host state files, and list any
  wcsim process still running on that directory.
- ``sim_fleet``: a session fixture (one fleet per xdist worker) on
  ``fleets/basic.yml``, stopped at the end with a check that no process is left.
- ``run_playbook``: runs a playbook (a list of plays, or a path) with the
  ``ansible.posix.json`` callback and returns rc, output and the parsed results.

The simulated hosts run no PowerShell: each module run is answered by the
simulator's Python model of that module.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SIMULATOR = REPO / "tests" / "simulator"
FLEETS = Path(__file__).resolve().parent / "fleets"
COLLECTIONS = REPO / ".venv" / "collections"


def wcsim_env() -> dict[str, str]:
    """Environment that runs this checkout's wcsim even when it is not pip-installed."""
    path = os.pathsep.join(filter(None, [str(SIMULATOR), os.environ.get("PYTHONPATH")]))
    return dict(os.environ, PYTHONPATH=path)


def wcsim_processes(state_dir: Path) -> list[int]:
    """Pids of live (non-zombie) wcsim processes serving ``state_dir``."""
    found = []
    marker = str(state_dir).encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if b"wcsim" in cmdline and marker in cmdline and state not in ("Z", "X"):
            found.append(int(proc.name))
    return found


class WcsimFleet:
    """One wcsim fleet (fleet file + state directory) driven through its CLI."""

    def __init__(self, fleet_file: Path, state_dir: Path) -> None:
        self.fleet_file = fleet_file
        self.state_dir = state_dir
        self.inventory = state_dir / "inventory.yml"

    def wcsim(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "wcsim", *args],
            env=wcsim_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"wcsim {' '.join(args)} -> {done.returncode}\n{done.stdout}{done.stderr}"
            )
        return done

    def start(self, *, reset: bool = True) -> None:
        self.wcsim(
            "start",
            "--fleet",
            str(self.fleet_file),
            "--state-dir",
            str(self.state_dir),
            *(["--reset"] if reset else []),
        )
        self.wcsim("inventory", "--state-dir", str(self.state_dir), "--output", str(self.inventory))

    def stop(self) -> None:
        self.wcsim("stop", "--state-dir", str(self.state_dir))

    def endpoints(self) -> dict[str, dict[str, Any]]:
        return json.loads((self.state_dir / "endpoints.json").read_text(encoding="utf-8"))

    def counters(self, host: str) -> dict[str, Any]:
        output = self.wcsim("counters", "--state-dir", str(self.state_dir), "--host", host).stdout
        return json.loads(output)[host]

    def host_state(self, host: str) -> dict[str, Any]:
        path = self.state_dir / "hosts" / f"{host}.json"
        return json.loads(path.read_text(encoding="utf-8"))

    def leftover_processes(self) -> list[int]:
        deadline = time.monotonic() + 5
        while (pids := wcsim_processes(self.state_dir)) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pids


@pytest.fixture(scope="session")
def sim_fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WcsimFleet]:
    fleet = WcsimFleet(FLEETS / "basic.yml", tmp_path_factory.mktemp("wcsim") / "state")
    fleet.start(reset=True)
    try:
        yield fleet
    finally:
        fleet.stop()
        leftover = fleet.leftover_processes()
        assert leftover == [], f"wcsim processes left running after stop: {leftover}"


@dataclass
class PlaybookRun:
    rc: int
    stdout: str
    stderr: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        return f"rc={self.rc}\n{self.stdout}\n{self.stderr}"

    def task(self, name: str) -> dict[str, dict[str, Any]]:
        """{host: result} of the task named ``name`` (its only run in the playbook)."""
        runs = [
            task["hosts"]
            for play in self.data.get("plays", [])
            for task in play["tasks"]
            if task["task"]["name"] == name
        ]
        assert len(runs) == 1, f"task {name!r} ran {len(runs)} times:\n{self.output}"
        return runs[0]

    @property
    def task_names(self) -> list[str]:
        """The names of the tasks that ran (a task once per run of it)."""
        return [
            task["task"]["name"] for play in self.data.get("plays", []) for task in play["tasks"]
        ]

    @property
    def stats(self) -> dict[str, dict[str, int]]:
        return self.data.get("stats", {})


def ansible_env(tmp: Path) -> dict[str, str]:
    return dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_NOCOWS="1",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
        ANSIBLE_CONFIG=str(_empty_config(tmp)),  # no stray ansible.cfg changes what tests see
    )


def _empty_config(tmp: Path) -> Path:
    config = tmp / "ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    return config


@pytest.fixture
def run_playbook(sim_fleet: WcsimFleet, tmp_path: Path) -> Callable[..., PlaybookRun]:
    """Run ``plays`` (list of plays or a playbook path) against ``sim_fleet``'s inventory."""

    def run(
        plays: list[dict[str, Any]] | Path,
        *args: str,
        extra_vars: dict[str, Any] | None = None,
        inventory: Path | None = None,
    ) -> PlaybookRun:
        if isinstance(plays, Path):
            playbook = plays
        else:
            playbook = tmp_path / "playbook.yml"
            playbook.write_text(yaml.safe_dump(plays, sort_keys=False), encoding="utf-8")
        command = [
            str(BIN / "ansible-playbook"),
            "-i",
            str(inventory or sim_fleet.inventory),
            str(playbook),
            *(["-e", json.dumps(extra_vars)] if extra_vars else []),
            *args,
        ]
        done = subprocess.run(
            command,
            env=ansible_env(tmp_path),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        try:
            data = json.loads(done.stdout)
        except json.JSONDecodeError:
            data = {}
        return PlaybookRun(done.returncode, done.stdout, done.stderr, data)

    return run
