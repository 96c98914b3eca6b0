"""Playbook runs started in the background against one simulated host, for the tests of
the host lock (test_host_lock.py, test_engine_lock.py, test_patch_lease.py): start, wait,
finish, and the lock's record as the host keeps it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import BIN, REPO, WcsimFleet, ansible_env


def start(
    fleet: WcsimFleet, tmp: Path, playbook: str, variables: dict[str, Any], *inventories: Path
) -> subprocess.Popen:
    """``playbooks/<playbook>`` in the background, in a process group of its own (a SIGKILL
    of the group takes its forks too), with the JSON callback."""
    tmp.mkdir(parents=True, exist_ok=True)
    extra = [arg for inventory in inventories for arg in ("-i", str(inventory))]
    return subprocess.Popen(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(fleet.inventory),
            *extra,
            str(REPO / "playbooks" / playbook),
            "-e",
            json.dumps(variables),
        ],
        env=ansible_env(tmp),
        cwd=tmp,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def finish(run: subprocess.Popen) -> str:
    """The run's JSON output; it must have succeeded."""
    out, err = run.communicate(timeout=300)
    assert run.returncode == 0, f"{out}\n{err}"
    return out


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def lock_record(fleet: WcsimFleet, host: str) -> dict[str, Any]:
    """The host lock's record, {} when it is empty or absent."""
    files = fleet.host_state(host)["files"]
    text = next((f["content"] for p, f in files.items() if p.lower().endswith("host.lock")), "")
    return json.loads(text) if text else {}
