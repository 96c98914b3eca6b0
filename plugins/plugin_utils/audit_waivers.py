# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Accepted risks: the inventory's audit waivers, read, checked and matched to findings.

A waiver (``wincontainers_audit_waivers``, a list in the inventory) names a rule id, the hosts it
covers (a name or a glob such as ``ws2016-*``), optionally the containers, why the risk
is accepted, who accepted it and until when. The report applies it: a finding it covers
stays in every report, marked waived, and leaves the counts and ``audit_fail_on``; a
waiver past its expiry date covers nothing, and the finding is reported again with the
expired waiver beside it. Pure: the caller passes the run's date.
"""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import inputs
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.audit_findings import RULES

VARIABLE = "wincontainers_audit_waivers"
REQUIRED = ("rule", "host", "reason", "expires", "accepted_by")
OPTIONAL = ("container",)
# The expiry is a UTC day, written as the docs show it: no ISO week or basic forms.
_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Waiver:
    index: int
    rule: str
    host: str
    reason: str
    expires: datetime.date
    accepted_by: str
    container: str | None = None

    def covers(self, finding: Mapping[str, Any]) -> bool:
        if finding.get("id") != self.rule:
            return False
        if not fnmatch.fnmatchcase(str(finding.get("host") or ""), self.host):
            return False
        if self.container is None:
            return True
        return fnmatch.fnmatchcase(str(finding.get("container") or ""), self.container)

    def active_on(self, day: datetime.date) -> bool:
        """In force on ``day``: until the end of its expiry date."""
        return day <= self.expires

    def to_dict(self) -> dict[str, Any]:
        return {
            "waiver": self.index,
            "rule": self.rule,
            "host": self.host,
            "container": self.container,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "accepted_by": self.accepted_by,
        }


def _date(value: Any, where: str) -> datetime.date:
    # A datetime (YAML's 2027-06-30 23:00-05:00) is refused: its day depends on a zone.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value  # YAML reads an unquoted 2027-06-30 as a date
    if isinstance(value, str) and _DAY_RE.fullmatch(value.strip()):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: expires must be a date YYYY-MM-DD, got {inputs.describe(value)}")


def read(value: object) -> list[Waiver]:
    """The waivers of ``wincontainers_audit_waivers`` (a list or its JSON text); ValueError
    naming the entry and the field of the first that is not a valid waiver."""
    try:
        entries = inputs.to_list(value, VARIABLE)
    except inputs.InputTypeError as exc:
        raise ValueError(str(exc)) from None
    waivers = []
    for index, entry in enumerate(entries):
        where = f"{VARIABLE}[{index}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f"{where} must be a mapping, got {inputs.describe(entry)}")
        unknown = sorted(set(map(str, entry)) - set(REQUIRED) - set(OPTIONAL))
        if unknown:
            raise ValueError(
                f"{where}: unknown key(s) {', '.join(unknown)}; a waiver has"
                f" {', '.join(REQUIRED)} and optionally {', '.join(OPTIONAL)}"
            )
        for key in ("rule", "host", "reason", "accepted_by", *OPTIONAL):
            if key in entry or key in REQUIRED:
                given = entry.get(key)
                if not isinstance(given, str) or not given.strip():
                    raise ValueError(
                        f"{where}: {key} must be a non-empty string, got {inputs.describe(given)}"
                    )
        rule = entry["rule"].strip()
        if rule not in RULES:
            raise ValueError(f"{where}: rule {rule!r} is not an audit rule (docs/audit.md)")
        waivers.append(
            Waiver(
                index=index,
                rule=rule,
                host=entry["host"].strip(),
                reason=entry["reason"].strip(),
                expires=_date(entry.get("expires"), where),
                accepted_by=entry["accepted_by"].strip(),
                container=entry["container"].strip() if "container" in entry else None,
            )
        )
    return waivers


def apply(
    findings: Sequence[dict[str, Any]], waivers: Sequence[Waiver], day: datetime.date
) -> dict[int, str]:
    """Mark each finding a waiver covers: ``waived`` (the first active waiver) or, when only
    expired ones cover it, ``waiver_expired`` (the finding counts again). Returns each
    waiver's status by index: ``applied``, ``expired`` or ``unused``."""
    status = {waiver.index: "unused" for waiver in waivers}
    for finding in findings:
        covering = [waiver for waiver in waivers if waiver.covers(finding)]
        active = [waiver for waiver in covering if waiver.active_on(day)]
        if active:
            finding["waived"] = active[0].to_dict()
            status[active[0].index] = "applied"
        elif covering:
            finding["waiver_expired"] = covering[0].to_dict()
            status[covering[0].index] = "expired"
    return status


def run_day(generated_at: str) -> datetime.date:
    """The date of the run's ISO 8601 time (``2026-12-01T12:00:00Z``)."""
    return datetime.date.fromisoformat(str(generated_at)[:10])
