"""A host lock file another account owns is refused at once (issue 18, item 7): a local
user could create ``host.lock`` before the first run (ProgramData lets every user create
files) and hold it open, stalling every writer until its lock_timeout. HostLock.psm1's
Protect-HostLockFolder, modelled in wcsim/host_lock.py."""

from __future__ import annotations

import json
from pathlib import Path

import concurrent_runs as runs
import pytest
import yaml
from conftest import FLEETS, WcsimFleet

pytestmark = pytest.mark.slow

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
LOCK = "C:\\ProgramData\\trustbound.wincontainers\\host.lock"
USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1001"


def test_a_lock_file_a_local_user_owns_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    config = yaml.safe_load((FLEETS / "hardening_lock.yml").read_text(encoding="utf-8"))
    shared = config["hosts"]["shared"]
    shared["files"] = {LOCK: {"content": "", "owner": USER_SID}}
    shared.pop("faults")
    fleet_file = tmp_path / "fleet.yml"
    fleet_file.write_text(yaml.safe_dump(config), encoding="utf-8")
    fleet = WcsimFleet(fleet_file, tmp_path / "state")
    fleet.start()
    try:
        before = fleet.host_state("shared")["containers"]
        variables = {
            "wincontainers_workloads": [{"name": "web", "image": NANO}],
            # Without the owner check the run would wait all of it for the lock.
            "container_workloads_lock_timeout": 600,
        }
        run = runs.start(
            fleet, tmp_path / "run", "deploy.yml", variables, FLEETS / "hardening_vars.yml"
        )
        out, err = run.communicate(timeout=300)
        assert run.returncode != 0, out
        results = [
            task["hosts"]["shared"]
            for play in json.loads(out)["plays"]
            for task in play["tasks"]
            if task["hosts"].get("shared", {}).get("failed")
        ]
        assert results, f"{out}\n{err}"
        msg = results[0]["msg"]
        assert f"the host lock {LOCK} is owned by {USER_SID}, not by Administrators" in msg
        assert "Nothing was changed" in msg
        assert fleet.host_state("shared")["containers"] == before
    finally:
        fleet.stop()
