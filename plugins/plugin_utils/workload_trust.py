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

from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    image_sources,
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
