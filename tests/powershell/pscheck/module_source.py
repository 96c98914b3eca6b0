# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a module's .ps1 declares: Ansible.Basic, the Create call, ``$spec``, Result keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tree_sitter

from .literal import Positions, evaluate, named, node_text, string_value, unwrap
from .syntax import CheckError, Finding, parse_file, position, syntax_errors

# The same pattern ansible-core's module_manifest.py uses to find C# utils.
REQUIRES_BASIC = re.compile(r"(?im)^#\s*ansiblerequires\s+-csharputil\s+ansible\.basic\s*$")
MODULE_TYPES = frozenset(("[ansible.basic.ansiblemodule]", "[ansiblemodule]"))


@dataclass
class ModuleSource:
    """Facts read from one .ps1 file; ``findings`` holds what is wrong with it."""

    path: str
    spec: dict[str, Any] | None = None
    spec_positions: Positions = field(default_factory=dict)  # spec key path -> (line, col)
    result_keys: dict[str, tuple[int, int]] = field(default_factory=dict)  # key -> (line, col)
    findings: list[Finding] = field(default_factory=list)

    def add(self, error: CheckError) -> None:
        self.findings.append(error.finding(self.path))

    def at(self, spec_path: tuple[str | int, ...], message: str) -> Finding:
        """A finding at a spec key (or its nearest enclosing key that has a position)."""
        for depth in range(len(spec_path), -1, -1):
            if spec_path[:depth] in self.spec_positions:
                line, column = self.spec_positions[spec_path[:depth]]
                return Finding(self.path, line, column, message)
        return Finding(self.path, 1, 1, message)


def read_module(path: Path, display: str | None = None) -> ModuleSource:
    """Parse a module and extract its spec and Result keys, collecting every problem."""
    source = ModuleSource(display or str(path))
    text, tree = parse_file(path)
    source.findings.extend(syntax_errors(tree, source.path))
    if source.findings:
        return source

    if not REQUIRES_BASIC.search(text.decode("utf-8", errors="replace")):
        source.findings.append(
            Finding(source.path, 1, 1, "missing '#AnsibleRequires -CSharpUtil Ansible.Basic'")
        )
    root = tree.root_node
    module_var = _find_create(root, source)
    _find_spec(root, source)
    if module_var is not None:
        _find_result_keys(root, module_var, source)
    return source


def walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Every node under ``node``, in source order."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def variable_name(node: tree_sitter.Node) -> str | None:
    """``spec`` for ``$spec`` (lower case, as PowerShell names are case-insensitive)."""
    node = unwrap(node)
    if node.type != "variable":
        return None
    return node_text(node).lstrip("$").lower()


def access_chain(node: tree_sitter.Node) -> tuple[str | None, list[tree_sitter.Node]]:
    """For ``$a.B["c"].D``: ("a", [member B, index "c", member D]), innermost first."""
    node = unwrap(node)
    segments: list[tree_sitter.Node] = []
    while node.type in {"member_access", "element_access"}:
        segments.append(node)
        node = unwrap(named(node)[0])
    return variable_name(node), list(reversed(segments))


def segment_key(segment: tree_sitter.Node) -> str | None:
    """The literal member name or index of one access segment, None when computed."""
    if segment.type == "member_access":
        member = named(segment)[-1]
        inner = named(member)[0] if named(member) else member
        return node_text(inner) if inner.type == "simple_name" else None
    index = named(segment)[-1]
    try:
        return string_value(index)
    except CheckError:
        return None


def _assignments(root: tree_sitter.Node) -> Iterator[tuple[tree_sitter.Node, tree_sitter.Node]]:
    """(assignment, left side) for every assignment in the script."""
    for node in walk(root):
        if node.type == "assignment_expression":
            yield node, named(node)[0]


def _find_create(root: tree_sitter.Node, source: ModuleSource) -> str | None:
    """Check ``$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)``; the variable."""
    calls = [
        node
        for node in walk(root)
        if node.type == "invocation_expression"
        and named(node)[0].type == "type_literal"
        and node_text(named(node)[0]).replace(" ", "").lower() in MODULE_TYPES
        and _method_name(node) == "create"
    ]
    if not calls:
        source.findings.append(
            Finding(source.path, 1, 1, "no '[Ansible.Basic.AnsibleModule]::Create($args, $spec)'")
        )
        return None
    call = calls[0]
    if [variable_name(arg) for arg in _arguments(call)] != ["args", "spec"]:
        source.add(CheckError(call, "the module must be created with ::Create($args, $spec)"))
    assignment = call.parent
    while assignment is not None and assignment.type != "assignment_expression":
        assignment = assignment.parent
    name = variable_name(named(assignment)[0]) if assignment is not None else None
    if name is None:
        source.add(CheckError(call, "assign the module to a variable: $module = ...::Create(...)"))
    return name


def _find_spec(root: tree_sitter.Node, source: ModuleSource) -> None:
    """Evaluate the one top-level ``$spec = @{...}``; refuse later changes to it."""
    literal: tree_sitter.Node | None = None
    for assignment, left in _assignments(root):
        base, segments = access_chain(left)
        if base != "spec":
            continue
        if segments or literal is not None:
            where = f"line {position(literal)[0]}" if literal is not None else "its assignment"
            source.add(
                CheckError(assignment, f"$spec is changed after {where}: keep it one literal")
            )
            continue
        literal = assignment
    for node in walk(root):
        if node.type == "invocation_expression" and access_chain(named(node)[0])[0] == "spec":
            source.add(CheckError(node, "$spec is changed by a method call: keep it one literal"))
    if literal is None:
        source.findings.append(Finding(source.path, 1, 1, "no '$spec = @{...}' assignment"))
        return
    if not _is_top_level(literal):
        source.add(CheckError(literal, "$spec must be assigned at the top level of the script"))
    try:
        spec = evaluate(named(literal)[-1], source.spec_positions)
    except CheckError as error:
        source.add(error)
        return
    if not isinstance(spec, dict):
        source.add(CheckError(literal, "$spec must be a @{...} hashtable"))
        return
    source.spec = spec


def _find_result_keys(root: tree_sitter.Node, module_var: str, source: ModuleSource) -> None:
    """Top-level keys written to ``$module.Result`` by assignment or ``.Add("key", ...)``."""
    for assignment, left in _assignments(root):
        _record_result_key(left, assignment, module_var, source)
    for node in walk(root):
        if node.type != "invocation_expression":
            continue
        base, segments = access_chain(named(node)[0])
        if base != module_var or len(segments) != 1 or _member(segments[0]) != "result":
            continue
        if _method_name(node) != "add":
            continue
        arguments = _arguments(node)
        try:
            key = string_value(arguments[0]) if arguments else None
        except CheckError:
            key = None
        if key is None:
            source.add(CheckError(node, "$module.Result.Add() needs a literal key"))
            continue
        source.result_keys.setdefault(key, position(node))


def _record_result_key(
    left: tree_sitter.Node, assignment: tree_sitter.Node, module_var: str, source: ModuleSource
) -> None:
    base, segments = access_chain(left)
    if base != module_var or not segments or _member(segments[0]) != "result":
        return
    if len(segments) == 1:
        source.add(CheckError(assignment, "set $module.Result keys one by one, not the whole"))
        return
    key = segment_key(segments[1])
    if key is None:
        source.add(CheckError(segments[1], "computed $module.Result key: use a literal key name"))
        return
    source.result_keys.setdefault(key, position(assignment))


def _member(segment: tree_sitter.Node) -> str | None:
    key = segment_key(segment) if segment.type == "member_access" else None
    return key.lower() if key is not None else None


def _method_name(call: tree_sitter.Node) -> str | None:
    """``add`` for ``$x.Add(...)`` (lower case)."""
    member = next((c for c in named(call) if c.type == "member_name"), None)
    return node_text(member).lower() if member is not None else None


def _arguments(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The argument expressions of a method call."""
    return [
        arg
        for arg_list in named(call)
        if arg_list.type == "argument_list"
        for expr_list in named(arg_list)
        for arg in named(expr_list)
    ]


def _is_top_level(node: tree_sitter.Node) -> bool:
    """True for a statement of the script itself, not inside a block or function."""
    ancestors = []
    parent = node.parent
    while parent is not None and len(ancestors) < 3:
        ancestors.append(parent.type)
        parent = parent.parent
    return ancestors == ["pipeline", "statement_list", "program"]
