"""Every playbook refuses an ansible-core older than 2.19 first, with the fix
(scripts/run-core-matrix names the venv, CORE_REFUSED_VENV, with ansible-core 2.18).

Nothing is contacted: the refusal is the first task, on the controller, so the
inventory's host need not exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = os.environ.get("CORE_REFUSED_VENV", "")
PLAYBOOKS = sorted(p for p in (REPO / "playbooks").glob("*.yml") if p.stem != "preflight")


@pytest.mark.skipif(not VENV, reason="run by scripts/run-core-matrix, which names the venv")
@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.stem)
def test_an_old_ansible_core_is_refused_first(playbook: Path, tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "all:\n  children:\n    windows:\n      hosts:\n        win1:\n"
        "          ansible_connection: winrm\n          ansible_host: 192.0.2.1\n"
    )
    bundled = sorted((Path(sys.executable).parent.parent / "lib").glob("python3*/site-packages"))
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=f"{REPO / '.venv' / 'collections'}:{bundled[0]}",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_CONFIG=str(tmp_path / "none.cfg"),
    )
    done = subprocess.run(
        [str(Path(VENV) / "bin" / "ansible-playbook"), "-i", str(inventory), str(playbook)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "requires ansible-core >= 2.19" in done.stdout, done.stdout[-3000:]
    assert "win1" not in done.stdout.split("PLAY RECAP", 1)[-1]  # never contacted
