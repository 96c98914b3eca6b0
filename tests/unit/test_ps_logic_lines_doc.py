"""docs/testing.md's PowerShell logic line table states what ``scripts/ps-logic-lines``
prints (issue 18's measure): the command runs as the page shows it, and a .ps1 change that
is not reported in the table fails here."""

from __future__ import annotations

import re
import subprocess
import sys
import types
from importlib.machinery import SourceFileLoader
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def measured() -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "ps-logic-lines")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    counts = {}
    for line in out.splitlines():
        number, name = line.split(maxsplit=1)
        counts[name] = int(number)
    return counts


def documented() -> dict[str, int]:
    text = (REPO / "docs" / "testing.md").read_text(encoding="utf-8")
    section = text[text.index("## PowerShell logic lines") :]
    section = section[: section.index("\n## ", 1)]
    rows = {}
    for cells in re.findall(r"^\| (.+) \|$", section, re.M):
        parts = [c.strip() for c in cells.split("|")]
        if parts[-1].isdigit():
            rows[parts[0].strip("`")] = int(parts[-1])
    return rows


def test_the_documented_counts_are_what_the_script_prints():
    counts = measured()
    assert counts["total"] == sum(v for k, v in counts.items() if k != "total")
    assert documented() == counts


def test_the_count_skips_comments_blank_lines_and_the_spec():
    text = "\n".join(
        [
            "#!powershell",
            "$spec = @{",
            "    options = @{ a = @{ type = 'str' } }",
            "}",
            "",
            "<#",
            "block comment",
            "#>",
            "# a comment",
            "$module = 1",
            "if ($module) {",
            "}",
        ]
    )
    loader = SourceFileLoader("ps_logic_lines", str(REPO / "scripts" / "ps-logic-lines"))
    script = types.ModuleType(loader.name)
    script.__file__ = loader.path
    loader.exec_module(script)
    assert script.logic_lines(text) == 3
