"""The site playbook on each ansible-core version meta/runtime.yml claims (scripts/run-core-matrix).

Each virtual environment named in CORE_MATRIX_VENVS (space-separated, set by
scripts/run-core-matrix) has one ansible-core version and pywinrm; the
simulator (wcsim) runs from this checkout under the main environment. The
demo fleet (four bare hosts, 2016 to 2025) is provisioned and deployed, then
the same playbook must change nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / "tests" / "simulator" / "fleets" / "demo.yml"
WINDOWS_COLLECTIONS = Path(sys.executable).parent.parent / "lib"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
VENVS = [Path(p) for p in os.environ.get("CORE_MATRIX_VENVS", "").split()]


def _bundled_collections() -> str:
    """The main environment's site-packages, whose ansible_collections holds ansible.windows."""
    found = sorted(WINDOWS_COLLECTIONS.glob("python3*/site-packages/ansible_collections"))
    assert found, (
        f"no ansible_collections under {WINDOWS_COLLECTIONS}: is the ansible package installed?"
    )
    return str(found[0].parent)


def _wcsim(*args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator"))
    subprocess.run([sys.executable, "-m", "wcsim", *args], env=env, check=True, timeout=60)


@pytest.mark.skipif(not VENVS, reason="run by scripts/run-core-matrix, which names the venvs")
@pytest.mark.parametrize("venv", VENVS, ids=lambda p: p.name)
def test_site_converges_then_changes_nothing(venv: Path, tmp_path: Path) -> None:
    assert (venv / "bin" / "ansible-playbook").is_file(), f"{venv} has no ansible-playbook"
    state = tmp_path / "state"
    _wcsim("start", "--fleet", str(FLEET), "--state-dir", str(state), "--reset")
    try:
        inventory = state / "connection.yml"
        _wcsim(
            "inventory", "--state-dir", str(state), "--group", "windows", "--output", str(inventory)
        )
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=f"{REPO / '.venv' / 'collections'}:{_bundled_collections()}",
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_CONFIG=str(tmp_path / "none.cfg"),
        )
        command = [
            str(venv / "bin" / "ansible-playbook"),
            "-i",
            str(inventory),
            "-i",
            str(REPO / "inventories" / "simulated"),
            str(REPO / "playbooks" / "site.yml"),
        ]
        recaps = []
        for _run in ("first", "second"):
            done = subprocess.run(
                command, env=env, capture_output=True, text=True, timeout=600, check=False
            )
            assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
            recap = {m[0]: tuple(int(x) for x in m[1:]) for m in RECAP.findall(done.stdout)}
            assert recap.pop("localhost")[2:] == (0, 0)  # the run check: unreachable, failed
            recaps.append(recap)
        first, second = recaps
        assert set(first) == {"ws2016-erp", "ws2019-branch", "ws2022-edge", "ws2025-core"}
        assert all(changed > 0 for _ok, changed, _u, _f in first.values()), first
        assert all(changed == 0 and failed == 0 for _ok, changed, _u, failed in second.values()), (
            second
        )
    finally:
        _wcsim("stop", "--state-dir", str(state))
