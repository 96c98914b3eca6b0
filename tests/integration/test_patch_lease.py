"""A patch holds its host from the drain to the restore, across Windows Update and its
restart, with a lease on the host lock (HostLock.psm1, modelled in wcsim/host_lock.py): a
deployment started meanwhile does not start the drained workloads again; it waits and is
refused with nothing changed (issue 13, item 12). A patch killed after its drain leaves the
lease; another patch run stops naming it, and a run given its lease id resumes: it brings
the workloads back and ends the lease, and deployments run again."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import concurrent_runs as runs
import pytest
from concurrent_runs import finish, wait_for
from conftest import FLEETS, WcsimFleet

pytestmark = pytest.mark.slow

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
REBOOT_SECONDS = 8  # fleets/patch_lease.yml
VARIABLES = {
    "wincontainers_trust_boundary": "acme",
    "container_updates_known_revisions": {"KB5034129": "20348.2227"},
    "container_updates_ready_delay": 1,
}


def start(fleet: WcsimFleet, tmp: Path, playbook: str, marker: str, **extra: Any):
    variables = {
        **VARIABLES,
        "wincontainers_workloads": [{"name": "web", "image": NANO, "command": ["ping", marker]}],
        **extra,
    }
    return runs.start(fleet, tmp, playbook, variables)


def lock_record(fleet: WcsimFleet) -> dict:
    return runs.lock_record(fleet, "ws2022")


def web(fleet: WcsimFleet) -> dict:
    return next(c for c in fleet.host_state("ws2022")["containers"] if c["name"] == "web")


def test_a_killed_patch_keeps_deployments_out_until_the_next_patch_resumes(tmp_path):
    fleet = WcsimFleet(FLEETS / "patch_lease.yml", tmp_path / "state")
    fleet.start()
    try:
        finish(start(fleet, tmp_path / "deploy0", "deploy.yml", "first"))
        patch = start(fleet, tmp_path / "patch", "patch.yml", "first")
        wait_for(lambda: "lease_id" in lock_record(fleet), "the patch's lease")
        os.killpg(patch.pid, signal.SIGKILL)  # the controller dies after the drain
        patch.communicate()
        record = lock_record(fleet)
        assert record["lease_id"].startswith("trustbound.wincontainers.container_updates/")
        assert record["holder"] == "trustbound.wincontainers.container_updates (patch of ws2022)"
        assert web(fleet)["state"] != "running"  # drained

        # Whether or not Windows Update got to schedule its restart: wait until the host is
        # back (the simulator moves its power state lazily, on the wall clock it records).
        def settled() -> bool:
            power, now = fleet.host_state("ws2022")["power"], time.time()
            if power["shutdown_at"] is not None:
                return now >= power["shutdown_at"] + REBOOT_SECONDS + 1
            if power["down_since"] is not None:
                return power["up_at"] is not None and now >= power["up_at"] + 1
            return True

        time.sleep(2)  # a request the killed run had in flight (a restart) lands meanwhile
        wait_for(settled, "the host")

        deploy = start(
            fleet, tmp_path / "deploy", "deploy.yml", "second", container_workloads_lock_timeout=2
        )
        out, _err = deploy.communicate(timeout=300)
        assert deploy.returncode != 0, out
        assert "is leased to trustbound.wincontainers.container_updates" in out, out[-3000:]
        assert "Nothing was changed" in out
        assert web(fleet)["command"] == ["ping", "first"]  # the refused run changed nothing
        assert web(fleet)["state"] != "running"  # nor started the drained workload

        # Another patch run does not take the lease for its own: it stops, naming it.
        again = start(fleet, tmp_path / "patch2", "patch.yml", "first")
        out, _err = again.communicate(timeout=300)
        assert again.returncode != 0
        assert f"-e container_updates_resume_lease={record['lease_id']}" in out, out[-3000:]
        assert web(fleet)["state"] != "running"

        resume = {"container_updates_resume_lease": record["lease_id"]}
        finish(start(fleet, tmp_path / "patch3", "patch.yml", "first", **resume))
        assert fleet.host_state("ws2022")["os"]["revision"] == 2227
        assert web(fleet)["state"] == "running"  # resumed and restored
        assert lock_record(fleet) == {}  # the lease ended

        finish(start(fleet, tmp_path / "deploy2", "deploy.yml", "second"))
        assert web(fleet)["command"] == ["ping", "second"]
    finally:
        fleet.stop()
