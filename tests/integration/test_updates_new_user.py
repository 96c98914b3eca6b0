"""The base image refresh with the repository's own inventory, as a new user runs it.

On the demo fleet (tests/simulator/fleets/demo.yml) with inventories/simulated, after the
site run: the refresh is run by its collection name and pulls ws2022-edge's private image with
the deployment's registry credentials (``container_workloads_registry_credentials``), which
the updates role did not read before (issue 19). The old playbook name still runs.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_site_one_read import BIN, REPO, demo_fleet, site  # noqa: F401 (demo_fleet: a fixture)

pytestmark = pytest.mark.slow


def play(inventory: Path, tmp: Path, playbook: str, *extra: str) -> subprocess.CompletedProcess:
    env = {
        "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".venv" / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_CONFIG": str(tmp / "none.cfg"),
        "PATH": str(BIN) + ":/usr/bin:/bin",
        "HOME": str(tmp),
    }
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-i",
               str(REPO / "inventories" / "simulated"), *extra, playbook]  # fmt: skip
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600,
                          check=False)  # fmt: skip


def test_refresh_by_name_uses_the_deployments_registry_credentials(demo_fleet, tmp_path):  # noqa: F811
    _state, inventory = demo_fleet
    site(inventory, tmp_path)
    done = play(inventory, tmp_path, "trustbound.wincontainers.refresh_images",
                "--limit", "ws2022-edge")  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "no basic auth credentials" not in done.stdout
    assert "no registry credentials" not in done.stdout
    old = play(inventory, tmp_path, str(REPO / "playbooks" / "refresh-images.yml"),
               "--limit", "ws2022-edge")  # fmt: skip
    assert old.returncode == 0, old.stdout[-4000:] + old.stderr[-2000:]
