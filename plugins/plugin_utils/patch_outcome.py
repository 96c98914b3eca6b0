# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One host's outcome of a patch or refresh run: its warnings and its share of the run summary.

AWX workflows see only run-wide ``set_stats`` data. Each host adds itself to the run's summary
(``aggregate``: ansible-core merges mappings, ``executor/stats.py`` ``update_custom_stats``),
so the summary exists even when every host failed: a failed host adds itself from the role's
rescue. Under ``wincontainers_patch`` (or ``wincontainers_refresh``) each outcome maps the
host names to a short detail; a count is the mapping's length. Only names, rules and versions
are copied, never a message that could quote an input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

SCHEMA_VERSION = 1
OUTCOMES = {
    # unreachable: a host that stopped answering during the patch (its workloads may still be
    # drained: resume it by its lease id); failed: every other failure.
    "patch": ("held", "patched", "failed", "unchanged", "unreachable"),
    "refresh": ("refreshed", "failed", "unchanged"),
}
STATS_KEY = {"patch": "wincontainers_patch", "refresh": "wincontainers_refresh"}
_RULE = re.compile(r"rule '([a-z0-9-]+)'")


class OutcomeError(ValueError):
    """A mode or outcome the summary does not know."""


def rules(reasons: Iterable[str]) -> list[str]:
    """The rule ids the reasons name, in order, once each (the summary copies no text)."""
    found: list[str] = []
    for reason in reasons:
        for rule in _RULE.findall(str(reason)):
            if rule not in found:
                found.append(rule)
    return found


def outcome(
    mode: str, host: str, status: str, reasons: Iterable[str] = (), detail: str | None = None
) -> dict[str, Any]:
    """``{"warnings": [...], "ansible_stats": {...}}`` for one host's task result."""
    if mode not in OUTCOMES:
        raise OutcomeError(f"mode must be one of {', '.join(OUTCOMES)}, got {mode!r}")
    if status not in OUTCOMES[mode]:
        raise OutcomeError(f"outcome must be one of {', '.join(OUTCOMES[mode])}, got {status!r}")
    reasons = [str(r) for r in reasons]
    summary: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    summary.update({name: {} for name in OUTCOMES[mode]})
    summary[status] = {host: {"rules": rules(reasons), "detail": detail}}
    warnings = []
    if status == "held":
        warnings = [f"HELD, not patched: {reason}" for reason in reasons] or [
            f"host {host!r}: HELD, not patched"
        ]
    return {
        "changed": False,
        "outcome": status,
        "warnings": warnings,
        "ansible_stats": {
            "data": {STATS_KEY[mode]: summary},
            "per_host": False,
            "aggregate": True,
        },
    }
