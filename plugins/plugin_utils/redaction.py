# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Masking of secret values in anything the controller returns or shows.

Secret env values and registry passwords reach the host only through
container_steps' no_log options. Everything the action returns (results,
diffs, engine messages that might echo a value) goes through ``redact``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "********"

# Values this short would mask unrelated text (a secret "1" would hide every digit).
_MIN_SECRET_LENGTH = 3


def secret_values(*sources: Any) -> list[str]:
    """Every secret string held in mappings/lists of secrets, longest first."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple, set)):
            for item in value:
                walk(item)
        elif value is not None and not isinstance(value, bool):
            text = str(value)
            if text:
                found.add(text)

    for source in sources:
        walk(source)
    return sorted(found, key=len, reverse=True)


def workload_secrets(workloads: Any) -> list[str]:
    """Every secret_env value of the raw inventory workloads, valid or not, taken before they
    are validated, so a refusal that quotes its input still shows none of them. The list (or
    an entry) may arrive as JSON text, as AWX surveys send it."""

    def parsed(value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    entries = parsed(workloads)
    values = []
    for raw in entries if isinstance(entries, list) else []:
        entry = parsed(raw)
        if isinstance(entry, Mapping):
            secret_env = parsed(entry.get("secret_env"))
            if isinstance(secret_env, Mapping):
                values.append(dict(secret_env))
    return secret_values(values)


def redact(value: Any, secrets: Iterable[str]) -> Any:
    """A copy of ``value`` where every occurrence of a secret string is masked.

    Exact matches are always masked; substrings only when the secret has at
    least ``_MIN_SECRET_LENGTH`` characters.
    """
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    if not ordered:
        return value
    exact = set(ordered)
    partial = [s for s in ordered if len(s) >= _MIN_SECRET_LENGTH]

    def scrub(item: Any) -> Any:
        if isinstance(item, str):
            if item in exact:
                return MASK
            for secret in partial:
                if secret in item:
                    item = item.replace(secret, MASK)
            return item
        if isinstance(item, Mapping):
            return {
                (scrub(key) if isinstance(key, str) else key): scrub(val)
                for key, val in item.items()
            }
        if isinstance(item, (list, tuple)):
            return [scrub(val) for val in item]
        return item

    return scrub(value)


def mask_values(mapping: Mapping[str, Any] | None) -> dict[str, str]:
    """The keys of ``mapping`` with every value masked (for secret_env in diffs)."""
    return dict.fromkeys(mapping or {}, MASK)


def mask_credentials(credentials: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    """Registry credentials with the password masked."""
    masked = []
    for entry in credentials or []:
        copy = dict(entry)
        if "password" in copy:
            copy["password"] = MASK
        masked.append(copy)
    return masked
