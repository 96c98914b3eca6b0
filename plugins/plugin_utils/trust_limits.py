# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource limits per trust level (``wincontainers_trust_limits``).

A hostile tenant that sets no limit can take the host's memory and CPUs: the denial of
service the shared kernel risks comes back through resources, whatever the isolation. Each
trust level has a ceiling (memory, CPUs, storage size): a workload without its own limit gets
the ceiling, a workload may set less, and more only where the inventory allows it for that level
(``allow_raise: true``). Trusted code has no ceiling unless the inventory gives one. The
inventory's keys for a level go over that level's default one by one (``hostile:
{allow_raise: true}`` keeps hostile's ceilings); ``0`` removes a ceiling.

Values are checked as Windows takes them (workload_spec: memory at least 50 MB, CPUs from
0.01 up to the host's logical processors). Under Hyper-V isolation the limits size the
utility VM (its memory and its vCPU count). Storage is the container's scratch disk
(``docker create --storage-opt size=``, read by the windowsfilter graph driver, moby
daemon/graphdriver/windows/windows.go, since docker 1.12, moby/moby#23391): the same
scratch layer is attached under either isolation (docker/for-win#4100 shows it on a
Hyper-V isolated Windows 10 container). It is at least 20 GB (workload_spec): the engine only
grows the platform's 20 GB scratch disk. dockerd 23.0 and later give a container 127 GB when
no size is set (moby commit 56d378a88f), 20.10 the platform's 20 GB: either way the scratch
disk is a dynamically expanding file on the data root's volume that a tenant can fill.

Pure functions: ``resolve`` returns the limited workloads, one reason per decision, and
every refusal, before anything on a host changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    inputs,
    trust_policy,
    workload_spec,
)

VARIABLE = "wincontainers_trust_limits"
RULE_EXCEEDED = "trust-limit-exceeded"
RULE_BAD_LIMITS = "bad-trust-limits"
REASON_RULE = "trust-limits"

# Documented defaults (docs/trust-model.md). Hostile: 1 GB, the size a Hyper-V container's
# utility VM had by default (docker/for-win#321), and one CPU; untrusted: 2 GB and two CPUs.
# Storage: hostile gets 20 GB, the platform's own scratch size and the smallest that takes
# effect; untrusted 50 GB, the example size of Microsoft's container-storage.md. Both are
# below the 127 GB dockerd 23.0+ gives by default.
DEFAULT_LIMITS: dict[str, dict[str, Any]] = {
    trust_policy.TRUSTED: {},
    trust_policy.UNTRUSTED: {"memory": "2g", "cpus": 2, "storage": "50g"},
    trust_policy.HOSTILE: {"memory": "1g", "cpus": 1, "storage": "20g"},
}
_FIELDS = frozenset({"memory", "cpus", "storage", "allow_raise"})


class TrustLimitsError(workload_spec.WorkloadSpecError):
    """Refusals of this module; a WorkloadSpecError so callers report them the same way."""


@dataclasses.dataclass(frozen=True)
class Ceiling:
    """One trust level's ceiling: 0 means none."""

    memory_bytes: int = 0
    cpus: float = 0.0
    allow_raise: bool = False
    storage_bytes: int = 0


def _show_memory(number: int) -> str:
    for unit, size in (("g", 1024**3), ("m", 1024**2), ("k", 1024)):
        if number % size == 0:
            return f"{number // size}{unit}"
    return f"{number} bytes"


def _merged(level: str, entry: object) -> object:
    """A level's entry over the level's default, key by key: ``hostile: {allow_raise: true}``
    keeps hostile's memory and CPU ceilings. A key left out or null keeps the default; an
    explicit 0 removes that ceiling. A non-mapping is returned as it is, to be refused."""
    if entry is None:
        return dict(DEFAULT_LIMITS[level])
    if not isinstance(entry, Mapping):
        return entry
    merged = dict(DEFAULT_LIMITS[level])
    merged.update({key: item for key, item in entry.items() if item is not None})
    return merged


def read_ceilings(value: object, host: str | None) -> dict[str, Ceiling]:
    """The ceiling of every trust level: each key the inventory gives for a level over that
    level's default (0 removes a ceiling). Raises TrustLimitsError naming the host, the
    variable and the rule."""
    problems: list[workload_spec.SpecProblem] = []

    def refuse(field: str, detail: str) -> None:
        problems.append(
            workload_spec.SpecProblem(host, f"(all, {VARIABLE})", RULE_BAD_LIMITS, field, detail)
        )

    levels: dict[str, Any] = dict(DEFAULT_LIMITS)
    if value is not None:
        try:
            given = inputs.to_mapping(value, VARIABLE)
        except inputs.InputTypeError as exc:
            raise TrustLimitsError(
                [
                    workload_spec.SpecProblem(
                        host, f"(all, {VARIABLE})", RULE_BAD_LIMITS, VARIABLE, str(exc)
                    )
                ]
            ) from None
        for level, entry in given.items():
            if level not in trust_policy.TRUST_LEVELS:
                refuse(
                    f"{VARIABLE}.{level}",
                    f"{level!r} is not a trust level ({', '.join(trust_policy.TRUST_LEVELS)})",
                )
                continue
            levels[level] = _merged(level, entry)

    ceilings: dict[str, Ceiling] = {}
    for level, entry in levels.items():
        where = f"{VARIABLE}.{level}"
        if not isinstance(entry, Mapping):
            refuse(
                where,
                "must be a mapping of memory, cpus, storage, allow_raise; got"
                f" {inputs.describe(entry)}",
            )
            continue
        unknown = sorted(str(key) for key in entry if key not in _FIELDS)
        if unknown:
            refuse(
                where, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}"
            )
            continue
        # The workload checks read the values as they read a workload's own.
        check = workload_spec._Checker(host, f"(all, {VARIABLE})")
        memory = workload_spec._memory(check, entry.get("memory"))
        cpus = workload_spec._cpus(check, entry.get("cpus"))
        storage = workload_spec._storage(check, entry.get("storage"))
        try:
            allow_raise = inputs.optional_bool(
                entry.get("allow_raise"), f"{where}.allow_raise", False
            )
        except inputs.InputTypeError as exc:
            refuse(f"{where}.allow_raise", str(exc))
            continue
        for problem in check.problems:
            refuse(f"{where}.{problem.field}", problem.detail)
        ceilings[level] = Ceiling(memory, cpus, allow_raise, storage)
    if problems:
        raise TrustLimitsError(problems)
    return ceilings


def _limit(
    name: str,
    given: float,
    ceiling: float,
    *,
    show,
    level: str,
    allow_raise: bool,
    refusals: list[str],
) -> tuple[float, str | None]:
    """(value to use, reason) for one limit of one workload."""
    if not ceiling:
        return given, None
    if not given:
        return ceiling, (
            f"{name} {show(ceiling)}: the {level} level's ceiling, as the workload sets none"
            f" ({VARIABLE})"
        )
    if given <= ceiling:
        return given, f"{name} {show(given)}: within the {level} level's ceiling {show(ceiling)}"
    if allow_raise:
        return given, (
            f"{name} {show(given)}: above the {level} level's ceiling {show(ceiling)}, allowed"
            f" by {VARIABLE}.{level}.allow_raise"
        )
    refusals.append(
        f"{name} {show(given)} is above the {level} level's ceiling {show(ceiling)}"
        f" ({VARIABLE}.{level}.{name}); lower it, or set {VARIABLE}.{level}.allow_raise: true"
        " to accept the risk to the host's other tenants"
    )
    return given, None


def resolve(
    specs: list[workload_spec.WorkloadSpec],
    ceilings: Mapping[str, Ceiling],
    host: str | None,
    logical_processors: object = None,
) -> tuple[list[workload_spec.WorkloadSpec], dict[str, list[str]], list[workload_spec.SpecProblem]]:
    """Apply each workload's level's ceiling: (specs with limits, reasons by name, refusals).

    A ceiling of more CPUs than the host has is taken down to the host's count (docker refuses
    more, moby daemon_windows.go); an unknown count leaves it as it is.
    """
    processors = (
        logical_processors
        if isinstance(logical_processors, int)
        and not isinstance(logical_processors, bool)
        and logical_processors > 0
        else None
    )
    limited: list[workload_spec.WorkloadSpec] = []
    reasons: dict[str, list[str]] = {}
    problems: list[workload_spec.SpecProblem] = []
    for spec in specs:
        level = spec.trust_level or trust_policy.TRUSTED
        ceiling = ceilings.get(level)
        if spec.state == "absent" or ceiling is None:
            limited.append(spec)
            continue
        cpu_ceiling = ceiling.cpus
        if processors is not None and cpu_ceiling > processors:
            cpu_ceiling = float(processors)
        refusals: list[str] = []
        memory, memory_why = _limit(
            "memory",
            spec.memory_bytes,
            ceiling.memory_bytes,
            show=lambda n: _show_memory(int(n)),
            level=level,
            allow_raise=ceiling.allow_raise,
            refusals=refusals,
        )
        cpus, cpus_why = _limit(
            "cpus",
            spec.cpus,
            cpu_ceiling,
            show=lambda n: f"{n:g}",
            level=level,
            allow_raise=ceiling.allow_raise,
            refusals=refusals,
        )
        storage, storage_why = _limit(
            "storage",
            spec.storage_bytes,
            ceiling.storage_bytes,
            show=lambda n: _show_memory(int(n)),
            level=level,
            allow_raise=ceiling.allow_raise,
            refusals=refusals,
        )
        problems.extend(
            workload_spec.SpecProblem(host, repr(spec.name), RULE_EXCEEDED, text.split()[0], text)
            for text in refusals
        )
        why = [f"[{REASON_RULE}] {text}" for text in (memory_why, cpus_why, storage_why) if text]
        if not ceiling.memory_bytes and not ceiling.cpus and not ceiling.storage_bytes:
            why.append(f"[{REASON_RULE}] the {level} level has no ceiling ({VARIABLE})")
        reasons[spec.name] = why
        limited.append(
            dataclasses.replace(
                spec, memory_bytes=int(memory), cpus=float(cpus), storage_bytes=int(storage)
            )
        )
    return limited, reasons, problems
