# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whose containers a run may touch, decided before any change.

A run replaces, stops or removes only containers that carry this owner's labels
(``trustbound.wincontainers.managed: "true"`` and ``trustbound.wincontainers.owner: <owner>``).
A workload whose name (or the temporary name of its replacement) is held by another owner's
container, or by a container this collection does not manage (started by hand, by another
tool), is refused naming both, unless the workload is listed in ``adopt``: then the run takes
the container over (it is replaced by one with this owner's labels, or removed for
``state: absent``). Host ports another container holds are refused the same way, before any
change, instead of failing half way through an apply.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_spec
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.container_plan import (
    LABEL_MANAGED,
    LABEL_OWNER,
    TEMP_SUFFIX,
)

RULE_OTHER_OWNER = "container-of-another-owner"
RULE_UNMANAGED = "unmanaged-container"
RULE_PORT_HELD = "host-port-held"


def _owned(container: Mapping[str, Any], owner: str) -> bool:
    labels = container.get("labels") or {}
    return labels.get(LABEL_MANAGED) == "true" and labels.get(LABEL_OWNER) == owner


def _holder(container: Mapping[str, Any]) -> tuple[str, str]:
    labels = container.get("labels") or {}
    if labels.get(LABEL_MANAGED) == "true":
        return RULE_OTHER_OWNER, (
            f"of owner {labels.get(LABEL_OWNER) or ''!r} (label {LABEL_OWNER})"
        )
    return RULE_UNMANAGED, (
        f"that this collection does not manage (no {LABEL_MANAGED} label: started by hand or"
        " by another tool)"
    )


def name_conflicts(
    specs: Iterable[workload_spec.WorkloadSpec],
    containers: Iterable[Mapping[str, Any]],
    *,
    owner: str,
    adopt: Iterable[str],
    host: str | None,
) -> list[workload_spec.SpecProblem]:
    """A problem for each workload whose name another owner's or an unmanaged container holds."""
    by_name = {c.get("name"): c for c in containers if c.get("name")}
    adopted = set(adopt)
    problems = []
    for spec in specs:
        if spec.name in adopted:
            continue
        for name in (spec.name, spec.name + TEMP_SUFFIX):
            container = by_name.get(name)
            if container is None or _owned(container, owner):
                continue
            rule, whose = _holder(container)
            verb = "remove" if spec.state == "absent" else "replace"
            problems.append(
                workload_spec.SpecProblem(
                    host,
                    repr(spec.name),
                    rule,
                    "name",
                    f"container {name!r} {whose} holds this name; this run (owner {owner!r})"
                    f" would {verb} it. Nothing of another owner is touched: rename the"
                    f" workload, or list {spec.name!r} in container_workloads_adopt (option"
                    " adopt) to take the container over",
                )
            )
    return problems


def port_conflicts(
    specs: Iterable[workload_spec.WorkloadSpec],
    containers: Iterable[Mapping[str, Any]],
    *,
    owner: str,
    purge: bool,
    host: str | None,
) -> list[workload_spec.SpecProblem]:
    """A problem for each fixed host port a running container outside this plan holds.

    Containers of this run's workloads (and their temporary replacements) are replaced or
    stopped by the plan, and with ``purge`` this owner's other managed containers are removed
    first; every other running container keeps its ports."""
    specs = [spec for spec in specs if spec.state == "started"]
    containers = list(containers)
    planned = {name for spec in specs for name in (spec.name, spec.name + TEMP_SUFFIX)}
    if purge:
        planned |= {c["name"] for c in containers if c.get("name") and _owned(c, owner)}
    held = workload_spec.host_port_holders(containers, planned)
    problems = []
    for spec in specs:
        for port in spec.ports:
            if port.host is None:
                continue
            holder = held.get((port.host, port.protocol))
            if holder is None:
                continue
            problems.append(
                workload_spec.SpecProblem(
                    host,
                    repr(spec.name),
                    RULE_PORT_HELD,
                    "ports",
                    f"host port {port.host}/{port.protocol} is held by running container"
                    f" {holder!r}, which this run does not manage; it cannot be published"
                    " twice, and the apply would fail half way",
                )
            )
    return problems
