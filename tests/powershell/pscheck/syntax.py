# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse PowerShell with tree-sitter-pwsh and report syntax errors with positions."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tree_sitter
import tree_sitter_pwsh


@dataclass(frozen=True)
class Finding:
    """One problem in one file, at a 1-based line and column."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class CheckError(Exception):
    """A problem that stops the check of a module (the spec cannot be read)."""

    def __init__(self, node: tree_sitter.Node | None, message: str) -> None:
        self.node = node
        self.message = message
        super().__init__(message)

    def finding(self, path: str) -> Finding:
        line, column = position(self.node) if self.node is not None else (1, 1)
        return Finding(path, line, column, self.message)


def position(node: tree_sitter.Node) -> tuple[int, int]:
    """1-based line and column of a node's start."""
    return node.start_point.row + 1, node.start_point.column + 1


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_pwsh.language()))


def parse(source: bytes) -> tree_sitter.Tree:
    """The syntax tree of a PowerShell script."""
    return _parser().parse(source)


def parse_file(path: Path) -> tuple[bytes, tree_sitter.Tree]:
    """The bytes of a file and their syntax tree."""
    source = path.read_bytes()
    return source, parse(source)


def syntax_errors(tree: tree_sitter.Tree, path: str) -> list[Finding]:
    """One finding per ERROR or missing node, outermost first, with the offending text."""
    findings: list[Finding] = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing:
            line, column = position(node)
            findings.append(Finding(path, line, column, f"syntax error: missing '{node.type}'"))
        elif node.type == "ERROR":
            line, column = position(node)
            text = _first_line(node)
            findings.append(Finding(path, line, column, f"syntax error near '{text}'"))
            continue
        if node.has_error:
            stack.extend(reversed(node.children))
    return sorted(findings, key=lambda f: (f.line, f.column))


def _first_line(node: tree_sitter.Node) -> str:
    text = (node.text or b"").decode("utf-8", errors="replace")
    line = text.splitlines()[0] if text else ""
    return line[:60]
