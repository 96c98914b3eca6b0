# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The checker itself: it passes a good module and catches each kind of broken one."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pscheck.collection import ModuleFiles, check_module, discover
from pscheck.literal import evaluate, named
from pscheck.module_source import read_module
from pscheck.syntax import CheckError, parse, syntax_errors

FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOOD_DOC = FIXTURES / "good.py"
GOOD_RETURNS = frozenset(("container_id", "steps_run", "rc"))


@dataclass
class FakeModel:
    """Stands in for a wcsim module model (see tests/simulator/wcsim/interface.py)."""

    name: str
    options: dict[str, Any]
    returns: frozenset[str] = GOOD_RETURNS
    supports_check_mode: bool = True


def model_of(ps1: str) -> FakeModel:
    """A model that mirrors the fixture's own spec (good.ps1's when it has none)."""
    spec = read_module(FIXTURES / ps1).spec or read_module(FIXTURES / "good.ps1").spec
    assert spec is not None
    return FakeModel(f"x.y.{Path(ps1).stem}", copy.deepcopy(spec["options"]))


def good_model() -> FakeModel:
    return model_of("good.ps1")


def check(ps1: str, doc: Path = GOOD_DOC, model: FakeModel | None = None) -> list[Any]:
    chosen = model if model is not None else good_model()
    files = ModuleFiles(Path(ps1).stem, FIXTURES / ps1, doc, None)
    return check_module(files, FIXTURES, "x.y", lambda fqcn: chosen)


def test_good_module_passes() -> None:
    assert [str(f) for f in check("good.ps1")] == []


def test_good_module_spec_is_read_in_full() -> None:
    source = read_module(FIXTURES / "good.ps1")
    spec = source.spec or {}
    assert spec["supports_check_mode"] is True
    assert spec["mutually_exclusive"] == [["ports", "labels"]]
    assert spec["options"]["state"] == {
        "type": "str",
        "choices": ["present", "absent"],
        "default": "present",
    }
    assert spec["options"]["steps"]["options"]["wait"] == {"type": "bool", "default": False}
    assert set(source.result_keys) == {"container_id", "steps_run", "rc", "changed"}


BROKEN = [
    ("syntax_error.ps1", r"syntax error: missing '\}'", (34, 19)),
    ("undocumented_option.ps1", r"option 'extra' is in \$spec but not in DOCUMENTATION", (11, 9)),
    (
        "type_mismatch.ps1",
        r"option 'timeout' type: \$spec has 'float', DOCUMENTATION has 'int'",
        (10, 22),
    ),
    (
        "default_mismatch.ps1",
        r"option 'timeout' default: \$spec has 60, DOCUMENTATION has 30",
        (10, 36),
    ),
    (
        "undocumented_result.ps1",
        r"\$module\.Result\.debug_info is not documented in RETURN",
        (30, 1),
    ),
    ("non_literal_spec.ps1", r"'\[int\]\$env:TIMEOUT' is not a literal value", (10, 46)),
    ("missing_requires.ps1", r"missing '#AnsibleRequires -CSharpUtil Ansible\.Basic'", (1, 1)),
    (
        "check_mode_mismatch.ps1",
        r"supports_check_mode is False but DOCUMENTATION says .* full",
        (24, 5),
    ),
    (
        "suboption_mismatch.ps1",
        r"option 'steps\.action' choices: \$spec has \['pull', 'start', 'stop'\]",
        (18, 61),
    ),
    (
        "flattened_group.ps1",
        r"mutually_exclusive\[\d\] = '\w+' is not an array of option names",
        (23, 5),
    ),
    ("spec_mutated.ps1", r"\$spec is changed after line 6", (26, 1)),
    ("computed_result_key.ps1", r"computed \$module\.Result key", (31, 1)),
    ("secret_without_no_log.ps1", r"option 'registry_password' looks secret", (13, 9)),
]


@pytest.mark.parametrize(("ps1", "pattern", "where"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_module_fails_with_its_reason(
    ps1: str, pattern: str, where: tuple[int, int]
) -> None:
    model = model_of(ps1)
    if ps1 == "check_mode_mismatch.ps1":
        model.supports_check_mode = False  # only the docs disagree
    findings = check(ps1, model=model)
    assert findings, f"{ps1} passed the checker"
    unexpected = [str(f) for f in findings if not re.search(pattern, f.message)]
    assert unexpected == []
    assert (findings[0].line, findings[0].column) == where
    assert str(findings[0]).startswith(f"{ps1}:{where[0]}:{where[1]}: ")


def test_simulator_option_difference_is_reported() -> None:
    model = good_model()
    model.options["timeout"]["default"] = 10
    del model.options["steps"]["options"]["wait"]
    messages = [f.message for f in check("good.ps1", model=model)]
    assert messages == [
        "option 'steps.wait' is in $spec but not in simulator model x.y.good",
        "option 'timeout' default: $spec has 30, simulator model x.y.good has 10",
    ]


def test_simulator_no_log_difference_is_reported() -> None:
    model = good_model()
    model.options["registry_password"]["no_log"] = False
    messages = [f.message for f in check("good.ps1", model=model)]
    assert messages == [
        "option 'registry_password' no_log: $spec has True, simulator model x.y.good has False"
    ]


def test_simulator_returns_and_check_mode_are_compared() -> None:
    model = good_model()
    model.returns = frozenset(("container_id", "rc"))
    model.supports_check_mode = False
    messages = [f.message for f in check("good.ps1", model=model)]
    assert len(messages) == 2
    assert "returns ['container_id', 'rc'] but RETURN documents" in messages[0]
    assert "supports_check_mode is False, $spec has True" in messages[1]


def test_module_without_simulator_model_fails() -> None:
    files = ModuleFiles("good", FIXTURES / "good.ps1", GOOD_DOC, None)
    findings = check_module(files, FIXTURES, "x.y", lambda fqcn: None)
    assert [f.message for f in findings] == [
        "the simulator has no model of x.y.good (tests/simulator/wcsim/modules)"
    ]


def _collection(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_action_only_module_needs_an_action_plugin(tmp_path: Path) -> None:
    root = _collection(tmp_path, {"plugins/modules/deploy.py": GOOD_DOC.read_text()})
    [module] = discover(root)
    findings = check_module(module, root, "x.y", None)
    assert [str(f) for f in findings] == [
        "plugins/modules/deploy.py:1:1: deploy has documentation but neither a .ps1 "
        "nor plugins/action/deploy.py"
    ]
    _collection(tmp_path, {"plugins/action/deploy.py": "# action plugin\n"})
    [module] = discover(root)
    assert check_module(module, root, "x.y", None) == []


def test_module_without_docs_fails(tmp_path: Path) -> None:
    root = _collection(
        tmp_path, {"plugins/modules/lonely.ps1": (FIXTURES / "good.ps1").read_text()}
    )
    [module] = discover(root)
    assert module.doc is None
    assert [f.message for f in check_module(module, root, "x.y", None)] == [
        "no documentation: add plugins/modules/lonely.py"
    ]


def test_discover_pairs_files_by_name(tmp_path: Path) -> None:
    root = _collection(
        tmp_path,
        {
            "plugins/modules/__init__.py": "",
            "plugins/modules/a.ps1": "",
            "plugins/modules/a.py": "",
            "plugins/modules/b.yml": "",
            "plugins/action/b.py": "",
        },
    )
    found = {
        m.name: (m.ps1 is not None, m.doc.name if m.doc else None, m.action is not None)
        for m in discover(root)
    }
    assert found == {"a": (True, "a.py", False), "b": (False, "b.yml", True)}


def _value(expression: str) -> Any:
    tree = parse(f"$x = {expression}\n".encode())
    assert syntax_errors(tree, "snippet") == []
    assignment = tree.root_node.named_children[0].named_children[0].named_children[0]
    return evaluate(named(assignment)[-1])


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("$TRUE", True),
        ("$null", None),
        ("-5", -5),
        ("0x10", 16),
        ("1.5", 1.5),
        ("'it''s'", "it's"),
        ('"plain"', "plain"),
        ('"a", "b"', ["a", "b"]),
        ("@()", []),
        ("@('x')", ["x"]),
        ("@(@('a', 'b'))", ["a", "b"]),  # PowerShell flattens this
        ("@(, @('a', 'b'))", [["a", "b"]]),
        (
            "@(@('a', 'x', @('b')), @('c', 1, ('d', 'e')))",
            [["a", "x", ["b"]], ["c", 1, ["d", "e"]]],
        ),
        ("@{ 'f-g' = @{ n = 1 }; k = $false }", {"f-g": {"n": 1}, "k": False}),
    ],
)
def test_literal_values(expression: str, value: Any) -> None:
    assert _value(expression) == value


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("$env:FOO", "'$env:FOO' is not a literal value"),
        ('"a $b"', "expands variables or escapes"),
        ('"tab`t"', "expands variables or escapes"),
        ("(Get-Date)", "is not a literal value"),
        ("@{ a = 1; a = 2 }", "hashtable key 'a' appears twice"),
        ("1 + 1", "is not a literal value"),
    ],
)
def test_non_literal_values_are_refused(expression: str, message: str) -> None:
    with pytest.raises(CheckError, match=re.escape(message)):
        _value(expression)


def test_syntax_errors_carry_line_and_column() -> None:
    tree = parse(b"$a = 1\nif ($a) {\n  $b = @{ c = 1\n")
    errors = syntax_errors(tree, "snippet.ps1")
    assert errors
    assert all(str(e).startswith("snippet.ps1:") for e in errors)
    assert all(e.line >= 2 for e in errors)
