# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One reading of inventory and survey inputs, shared by the filters, the roles and the actions.

AWX surveys and ``-e`` extra vars send text: ``"yes"`` for a boolean, a JSON
string for a list. Every plugin reads such inputs through this module, so a
value means the same to provisioning, to the ``isolation_decision`` filter and
to deployment:

- booleans use Ansible's own conversion
  (``ansible.module_utils.parsing.convert_bool.boolean``, strict):
  ``yes/no``, ``true/false``, ``on/off``, ``1/0``, ``y/n``, ``t/f``, any case;
- a list or a mapping may arrive as its JSON text and is parsed into that type;
- a list of names may also arrive as text, the names separated by commas or spaces;
- anything else is refused naming the variable.

A refusal never quotes the value it could not read: it may hold a secret
(a workload given as a JSON string carries its ``secret_env``). ``describe``
says what was given (its type and size) instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.parsing.convert_bool import boolean as _ansible_boolean

BOOLEAN_WORDS = "yes/no, true/false, on/off or 1/0 (any case)"


class InputTypeError(ValueError):
    """A value that is not of the declared type; the message quotes no value."""


def describe(value: object) -> str:
    """What a value is, without what it holds: ``a string (12 characters)``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"a string ({len(value)} characters)"
    if isinstance(value, Mapping):
        return f"a mapping ({len(value)} keys)"
    if isinstance(value, (list, tuple)):
        return f"a list ({len(value)} items)"
    return f"a value of type {type(value).__name__}"


def to_bool(value: object, variable: str) -> bool:
    """Ansible's strict boolean conversion, or InputTypeError naming ``variable``."""
    if isinstance(value, (bool, str, int, float)):
        try:
            return _ansible_boolean(value, strict=True)
        except TypeError:
            pass
    raise InputTypeError(f"{variable} must be a boolean ({BOOLEAN_WORDS}), got {describe(value)}")


def optional_bool(value: object, variable: str, default: bool) -> bool:
    return default if value is None else to_bool(value, variable)


def _from_json(value: str, wanted: type, variable: str, what: str) -> Any:
    text = value.strip()
    opener = "[" if wanted is list else "{"
    if text.startswith(opener):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise InputTypeError(
                f"{variable} must be {what}, got a string that is not valid JSON"
            ) from None
        if isinstance(parsed, wanted):
            return parsed
    raise InputTypeError(f"{variable} must be {what}, got a string")


def to_list(value: object, variable: str) -> list[Any]:
    """A list, or the JSON text of one; None is the empty list."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    if isinstance(value, str):
        return _from_json(value, list, variable, "a list")
    raise InputTypeError(f"{variable} must be a list, got {describe(value)}")


def to_names(value: object, variable: str) -> list[str]:
    """A list of names: a list, the JSON text of one, or names separated by commas or white
    space (what a survey's text field sends: ``"json,html"``); None is the empty list."""
    if isinstance(value, str) and not value.strip().startswith("["):
        names: list[Any] = [part for part in re.split(r"[,\s]+", value) if part]
    else:
        names = to_list(value, variable)
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise InputTypeError(f"{variable} must be a list of names, got {describe(name)} in it")
    return [name.strip() for name in names]


def to_mapping(value: object, variable: str) -> dict[str, Any]:
    """A mapping, or the JSON text of one; None is the empty mapping."""
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        return _from_json(value, dict, variable, "a mapping")
    raise InputTypeError(f"{variable} must be a mapping, got {describe(value)}")


def to_positive_int(value: object, variable: str) -> int:
    """A whole number of 1 or more; digit strings (what surveys send) are read as numbers."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < 1:
        got = "0" if number == 0 else describe(value)
        raise InputTypeError(f"{variable} must be a whole number of 1 or more, got {got}")
    return number


def to_text(value: object, variable: str) -> str:
    """Non-empty text (not a list, not a number)."""
    if not isinstance(value, str) or not value.strip():
        got = "an empty string" if isinstance(value, str) else describe(value)
        raise InputTypeError(f"{variable} must be a non-empty string, got {got}")
    return value
