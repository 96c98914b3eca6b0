# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Find a collection's modules and run every check on one of them."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .compare import returns_vs_docs, spec_shape, spec_vs_docs, spec_vs_model
from .module_docs import load_docs
from .module_source import read_module
from .syntax import Finding, parse_file, syntax_errors

DOC_SUFFIXES = (".py", ".yml", ".yaml")
# fqcn -> simulator model, None when not modelled; LookupError when models cannot be read.
ModelLookup = Callable[[str], Any]


@dataclass(frozen=True)
class ModuleFiles:
    """The files of one module: its .ps1, its doc sidecar, its action plugin (each optional)."""

    name: str
    ps1: Path | None
    doc: Path | None
    action: Path | None


def discover(root: Path) -> list[ModuleFiles]:
    """Every module under plugins/modules, by name, with its related files."""
    modules_dir = root / "plugins" / "modules"
    names = sorted(
        {
            path.stem
            for path in modules_dir.glob("*")
            if path.suffix in (".ps1", *DOC_SUFFIXES) and path.stem != "__init__"
        }
    )
    modules = []
    for name in names:
        ps1 = modules_dir / f"{name}.ps1"
        doc = next(
            (
                modules_dir / f"{name}{s}"
                for s in DOC_SUFFIXES
                if (modules_dir / f"{name}{s}").is_file()
            ),
            None,
        )
        action = root / "plugins" / "action" / f"{name}.py"
        modules.append(
            ModuleFiles(
                name,
                ps1 if ps1.is_file() else None,
                doc,
                action if action.is_file() else None,
            )
        )
    return modules


def raw_result_keys(action: Path | None) -> tuple[str, ...] | None:
    """``RAW_RESULT_KEYS`` of an action plugin that maps its module's raw result, or None."""
    if action is None:
        return None
    for node in ast.parse(action.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "RAW_RESULT_KEYS" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    return None


def module_utils(root: Path) -> list[Path]:
    """PowerShell module_utils (.psm1) of the collection."""
    return sorted((root / "plugins" / "module_utils").glob("*.psm1"))


def check_syntax_only(path: Path, root: Path) -> list[Finding]:
    """Syntax errors of a PowerShell file that is not a module."""
    _source, tree = parse_file(path)
    return syntax_errors(tree, _relative(path, root))


def check_module(
    module: ModuleFiles,
    root: Path,
    collection: str,
    model_lookup: ModelLookup | None,
) -> list[Finding]:
    """Every problem of one module; an empty list means it passes."""
    fqcn = f"{collection}.{module.name}"
    if module.ps1 is None:
        return _check_action_only(module, root)
    where = _relative(module.ps1, root)
    if module.doc is None:
        return [Finding(where, 1, 1, f"no documentation: add plugins/modules/{module.name}.py")]

    source = read_module(module.ps1, where)
    if source.findings or source.spec is None:
        return source.findings
    findings = spec_shape(source)
    try:
        docs = load_docs(module.doc, collection)
    except Exception as error:  # any unreadable doc is one finding, with ansible's reason
        return [*findings, Finding(_relative(module.doc, root), 1, 1, f"unreadable docs: {error}")]
    findings += spec_vs_docs(source, docs)
    raw = raw_result_keys(module.action)
    if raw is not None:
        # The action plugin maps the module's raw result to what RETURN documents: the
        # .ps1 and the model are checked against the raw keys it declares instead.
        docs = replace(docs, returns={key: {} for key in raw})
    findings += returns_vs_docs(source, docs)
    if model_lookup is not None:
        try:
            model = model_lookup(fqcn)
        except LookupError as error:
            return [*findings, Finding(where, 1, 1, str(error))]
        if model is None:
            findings.append(
                Finding(
                    where,
                    1,
                    1,
                    f"the simulator has no model of {fqcn} (tests/simulator/wcsim/modules)",
                )
            )
        else:
            findings += spec_vs_model(source, docs, model, fqcn)
    return findings


def _check_action_only(module: ModuleFiles, root: Path) -> list[Finding]:
    """A doc-only module is an action plugin: plugins/action/<name>.py must exist."""
    if module.action is not None:
        return []
    where = _relative(module.doc, root) if module.doc else f"plugins/modules/{module.name}"
    return [
        Finding(
            where,
            1,
            1,
            f"{module.name} has documentation but neither a .ps1 "
            f"nor plugins/action/{module.name}.py",
        )
    ]


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
