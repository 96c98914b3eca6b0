# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What trust decides beyond the kernel, for a host's workloads: resource limits
(trust_limits) and image sources (image_sources), in one call for the callers.

``apply`` returns the workloads with their limits, the reasons of each workload's decisions
(shown with its isolation decision and in ``--check --diff``) and every refusal; callers
refuse before any change when there is one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    image_sources,
    network_plan,
    trust_limits,
    workload_spec,
)


def apply(
    specs: list[workload_spec.WorkloadSpec],
    limits: Any,
    registries: Any,
    host: str | None,
    logical_processors: object = None,
) -> tuple[list[workload_spec.WorkloadSpec], dict[str, list[str]], list[workload_spec.SpecProblem]]:
    """(limited specs, reasons by workload name, refusals); bad variables raise
    WorkloadSpecError naming the host and the variable."""
    ceilings = trust_limits.read_ceilings(limits, host)
    sources = image_sources.read_sources(registries, host)
    limited, reasons, problems = trust_limits.resolve(specs, ceilings, host, logical_processors)
    source_reasons, source_problems = image_sources.check(limited, sources, host)
    for name, extra in source_reasons.items():
        reasons.setdefault(name, []).extend(extra)
    return limited, reasons, problems + source_problems


# The task options (container_workloads, container_audit) these decisions read.
OPTIONS = ("trust_limits", "trust_registries", "network_separation", "network_pool")


@dataclasses.dataclass(frozen=True)
class Outcome:
    """A host's workloads as the deployment makes them: limited, on their networks."""

    specs: list[workload_spec.WorkloadSpec]
    reasons: dict[str, list[str]]
    problems: list[workload_spec.SpecProblem]
    networks: dict[str, str]  # the networks to ensure: name -> subnet


def for_host(
    specs: list[workload_spec.WorkloadSpec],
    options: Mapping[str, Any],
    host: str | None,
    *,
    host_boundary: str,
    os_build: int | None,
    logical_processors: object = None,
    existing_networks: list[Mapping[str, Any]] | None = None,
) -> Outcome:
    """Limits, image sources and networks (network_plan) for one host, from the task options.
    ``existing_networks``: the host's facts ``networks`` (None when the read has none)."""
    limited, reasons, problems = apply(
        specs,
        options.get("trust_limits"),
        options.get("trust_registries"),
        host,
        logical_processors,
    )
    nets = network_plan.assign(
        limited,
        {
            network_plan.SEPARATION_VARIABLE: options.get("network_separation"),
            network_plan.POOL_VARIABLE: options.get("network_pool"),
        },
        host_boundary,
        os_build,
        host,
        existing=existing_networks,
    )
    for name, why in nets.reasons.items():
        reasons.setdefault(name, []).extend(why)
    return Outcome(nets.specs, reasons, problems + nets.problems, nets.ensure)
