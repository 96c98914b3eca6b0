"""The pwsh stand-in that answers validate-modules' argument-spec question from the parse."""

from __future__ import annotations

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

from .pscheck.argspec import argspec_json
from .pscheck.module_source import read_module

ROOT = Path(__file__).resolve().parents[2]
STAND_IN = ROOT / "scripts" / "pwsh-argspec" / "pwsh"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MODULES = sorted((ROOT / "plugins" / "modules").glob("*.ps1"))


def ask(module: Path, script: str = "/opt/ansible_test/ps_argspec.ps1"):
    manifest = json.dumps({"module_path": str(module), "ansible_basic": "", "ps_utils": {}})
    return subprocess.run(
        [str(STAND_IN), script, manifest], capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.stem)
def test_it_prints_the_spec_as_written(module: Path) -> None:
    done = ask(module)
    assert done.returncode == 0, done.stderr
    spec = json.loads(done.stdout)
    assert spec == read_module(module).spec
    assert isinstance(spec["options"], dict), module
    assert "supports_check_mode" in spec


def test_a_module_the_checker_rejects_gets_no_spec() -> None:
    done = ask(FIXTURES / "non_literal_spec.ps1")
    assert done.returncode == 1
    assert done.stdout == ""
    assert "non_literal_spec.ps1" in done.stderr
    with pytest.raises(ValueError):
        argspec_json(FIXTURES / "syntax_error.ps1")


@pytest.mark.parametrize("argv", [["-Command", "Get-Date"], ["/x/other.ps1", "{}"], []])
def test_it_refuses_to_be_anything_but_that_answer(argv) -> None:
    done = subprocess.run([str(STAND_IN), *argv], capture_output=True, text=True, check=False)
    assert done.returncode == 127
    assert "not PowerShell" in done.stderr


def test_an_ignore_entry_is_reported(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "sanity_ignores", ROOT / "scripts" / "sanity_ignores.py"
    )
    assert spec is not None and spec.loader is not None
    sanity_ignores = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sanity_ignores)
    (tmp_path / "tests" / "sanity").mkdir(parents=True)
    (tmp_path / "tests" / "sanity" / "ignore-2.21.txt").write_text(
        "# comment\nplugins/modules/x.ps1 validate-modules!skip\n"
    )
    assert sanity_ignores.problems(tmp_path, "2.21") == [
        "tests/sanity/ignore-2.21.txt:2: 'plugins/modules/x.ps1 validate-modules!skip' ignores"
        " a sanity failure; fix it in the code instead"
    ]
    assert sanity_ignores.problems(tmp_path, "2.20") == []
