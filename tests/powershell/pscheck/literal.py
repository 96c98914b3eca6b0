# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Evaluate a literal PowerShell value (what a module ``$spec`` is made of) to Python.

Accepted: ``$true``/``$false``/``$null``, integers and reals, single-quoted
strings and double-quoted strings without variables or escapes, comma arrays
``"a", "b"``, ``@(...)`` and ``,x``, and ``@{...}`` hashtables. Anything else
raises CheckError naming the expression: the spec must be readable without
running PowerShell.
"""

from __future__ import annotations

from typing import Any

import tree_sitter

from .syntax import CheckError, position

# Where each value of an evaluated literal starts: key path -> (line, column).
Positions = dict[tuple[str | int, ...], tuple[int, int]]

# Nodes that only wrap one expression.
_WRAPPERS = frozenset(
    (
        "pipeline",
        "pipeline_chain",
        "unary_expression",
        "assignment_value",
        "left_assignment_expression",
        "argument_expression",
        "parenthesized_expression",
        "key_expression",
    )
)
_CONSTANTS = {"$true": True, "$false": False, "$null": None}


def node_text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8")


def named(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """Named children without comments."""
    return [child for child in node.named_children if child.type != "comment"]


def unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """The single expression inside wrapper nodes such as pipeline or (...)."""
    while node.type in _WRAPPERS:
        inner = named(node)
        if len(inner) != 1:
            break
        node = inner[0]
    return node


def evaluate(
    node: tree_sitter.Node, positions: Positions | None = None, path: tuple[str | int, ...] = ()
) -> Any:
    """The Python value of a literal expression node; records where values start."""
    node = unwrap(node)
    if positions is not None:
        positions[path] = position(node)
    kind = node.type
    if kind == "variable":
        name = node_text(node).lower()
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        raise _not_literal(node)
    if kind == "integer_literal":
        return _integer(node)
    if kind == "real_literal":
        try:
            return float(node_text(node))
        except ValueError:
            raise _not_literal(node) from None
    if kind == "string_literal":
        return string_value(node)
    if kind == "expression_with_unary_operator":
        return _unary(node)
    if kind == "array_literal_expression":
        return [evaluate(child) for child in named(node)]
    if kind == "array_expression":
        return _array_subexpression(node)
    if kind == "hash_literal_expression":
        return hashtable(node, positions, path)
    raise _not_literal(node)


def string_value(node: tree_sitter.Node) -> str:
    """The value of a string literal without variables, sub-expressions or escapes."""
    node = unwrap(node)
    if node.type != "string_literal":
        raise _not_literal(node)
    text = node_text(node)
    inner = node.named_children[0] if node.named_children else None
    kind = inner.type if inner is not None else ""
    if kind == "verbatim_string_characters":
        return text[1:-1].replace("''", "'")
    if kind == "expandable_string_literal":
        if any(child.type != '"' for child in inner.children) or "`" in text:
            raise CheckError(
                node,
                f"string {text} expands variables or escapes: use a plain or single-quoted string",
            )
        return text[1:-1].replace('""', '"')
    raise CheckError(node, f"string {text[:40]} is not a one-line quoted string literal")


def hashtable(
    node: tree_sitter.Node, positions: Positions | None = None, path: tuple[str | int, ...] = ()
) -> dict[str, Any]:
    """A ``@{...}`` literal as a dict; keys are bare words or strings, each once."""
    node = unwrap(node)
    if node.type != "hash_literal_expression":
        raise CheckError(node, f"expected a @{{...}} hashtable, found '{_short(node)}'")
    result: dict[str, Any] = {}
    body = next((c for c in named(node) if c.type == "hash_literal_body"), None)
    for entry in named(body) if body is not None else []:
        key_node, value_node = named(entry)[0], named(entry)[-1]
        key = _key(key_node)
        if key in result:
            raise CheckError(key_node, f"hashtable key '{key}' appears twice")
        result[key] = evaluate(value_node, positions, (*path, key))
        if positions is not None:  # point at the key, not its value
            positions[(*path, key)] = position(key_node)
    return result


def _key(node: tree_sitter.Node) -> str:
    inner = unwrap(node)
    if inner.type == "simple_name":
        return node_text(inner)
    if inner.type == "string_literal":
        return string_value(inner)
    raise CheckError(node, f"hashtable key '{_short(node)}' is not a name or a string")


def _integer(node: tree_sitter.Node) -> int:
    text = node_text(node).lower()
    try:
        return int(text, 16) if text.startswith("0x") else int(text, 10)
    except ValueError:
        raise _not_literal(node) from None


def _unary(node: tree_sitter.Node) -> Any:
    operator = node.children[0].type
    operand = evaluate(named(node)[-1])
    if operator == ",":
        return [operand]
    if (
        operator in {"-", "+"}
        and isinstance(operand, int | float)
        and not isinstance(operand, bool)
    ):
        return -operand if operator == "-" else operand
    raise _not_literal(node)


def _array_subexpression(node: tree_sitter.Node) -> list[Any]:
    """``@(...)``: each statement's value, arrays flattened one level as PowerShell does."""
    values: list[Any] = []
    for statements in named(node):
        if statements.type != "statement_list":
            raise _not_literal(node)
        for statement in named(statements):
            value = evaluate(statement)
            if isinstance(value, list):
                values.extend(value)
            else:
                values.append(value)
    return values


def _short(node: tree_sitter.Node) -> str:
    text = " ".join(node_text(node).split())
    return text if len(text) <= 50 else text[:47] + "..."


def _not_literal(node: tree_sitter.Node) -> CheckError:
    return CheckError(
        node,
        f"'{_short(node)}' is not a literal value ($true/$false/$null, a number, a string, "
        "an array or a @{} hashtable)",
    )
