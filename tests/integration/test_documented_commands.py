"""The commands the README and docs/ show, run as written against simulated fleets.

A code block right after the marker ``<!-- documented-commands -->`` is run here: a
``console`` block's ``$ `` lines, or a ``sh`` block's lines (backslash continuations
joined), in one bash script that stops at the first failure. The block runs in a
scratch directory that links the repository's ``.venv``, ``tests``, ``inventories`` and
``playbooks``, so its ``.tmp/`` state and ``reports/`` stay out of the checkout.
``make`` lines are the prerequisite (the ``.venv`` this test runs from) and are skipped.
The hosts are simulated (wcsim): no PowerShell runs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
MARKER = "<!-- documented-commands -->"
BLOCK = re.compile(re.escape(MARKER) + r"\s*```(console|sh)\n(.*?)```", re.S)
LINKED = (".venv", "tests", "inventories", "playbooks")


def _blocks() -> list[tuple[str, list[str]]]:
    found = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        text = page.read_text(encoding="utf-8")
        for index, (kind, body) in enumerate(BLOCK.findall(text)):
            if kind == "console":
                lines = [line[2:] for line in body.splitlines() if line.startswith("$ ")]
            else:
                lines = body.replace("\\\n", " ").splitlines()
            commands = [
                line.split("   #", 1)[0].strip()
                for line in lines
                if line.strip() and not line.lstrip().startswith(("#", "make "))
            ]
            found.append((f"{page.relative_to(REPO)}#{index}", commands))
    return found


BLOCKS = _blocks()


def test_the_pages_mark_their_runnable_blocks():
    pages = {name.split("#")[0] for name, _commands in BLOCKS}
    assert {"README.md", "docs/simulator.md", "docs/example-inventory.md"} <= pages


@pytest.mark.parametrize(("name", "commands"), BLOCKS, ids=[name for name, _ in BLOCKS])
def test_documented_commands_run_as_written(name, commands, tmp_path):
    for entry in LINKED:
        (tmp_path / entry).symlink_to(REPO / entry)
    state_dirs = [
        words[words.index("--state-dir") + 1]
        for words in map(shlex.split, commands)
        if "start" in words and "--state-dir" in words
    ]
    script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_NOCOLOR="1", ANSIBLE_CONFIG=str(tmp_path / "none.cfg"))
    try:
        done = subprocess.run(
            ["bash", "-c", script],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=1500,
            check=False,
        )
    finally:
        for state in state_dirs:
            subprocess.run(
                [str(REPO / ".venv" / "bin" / "wcsim"), "stop", "--state-dir", state],
                cwd=tmp_path,
                capture_output=True,
                check=False,
                timeout=120,
            )
    assert done.returncode == 0, f"{name}:\n{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert "fatal:" not in done.stdout and "FAILED!" not in done.stdout, done.stdout[-6000:]
