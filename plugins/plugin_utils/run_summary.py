# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run-wide summary a site run publishes with set_stats, from every host's results.

AWX workflows see only run-wide ``set_stats`` data (per-host stats do not
propagate), so the summary is computed once, on the controller, from each
host's registered results: ``container_host_plan`` (provisioning) and
``container_workloads_result`` (deployment). Only names, counts, rules and
actions are copied: never a message that could quote an input.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.provision_changes import (
    RULE_READY,
)

SCHEMA_VERSION = 1


def _host_outcome(variables: Mapping[str, Any]) -> tuple[str, str | None]:
    """("converged" | "skipped" | "refused" | "failed", rule) for one host's variables."""
    plan = variables.get("container_host_plan")
    if isinstance(plan, Mapping) and (plan.get("error") or _refused_before_change(plan)):
        return "refused", plan.get("rule")
    result = variables.get("container_workloads_result")
    if not isinstance(result, Mapping):
        return "failed", None  # stopped before deployment: unreachable or a failed step
    if result.get("failed"):
        return ("refused" if result.get("rule") else "failed"), result.get("rule")
    if result.get("skipped"):
        return "skipped", None
    return "converged", None


def _refused_before_change(plan: Mapping[str, Any]) -> bool:
    """A failed container_host_plan that names a rule refused before any change: the
    argument check, the workloads' and the provisioning's rules. Only the readiness check
    after the changes (rule host-ready) fails with a rule once something changed."""
    return bool(plan.get("failed") and plan.get("rule") and plan.get("rule") != RULE_READY)


def summarise(hostvars: Mapping[str, Any], hosts: Iterable[str]) -> dict[str, Any]:
    """Counts, host lists and workloads by isolation over ``hosts``."""
    summary: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "hosts": 0,
        "converged": [],
        "changed": [],
        "skipped": [],
        "refused": {},
        "failed": [],
        "workloads": {"hyperv": 0, "process": 0, "changed": 0},
    }
    for host in sorted(set(hosts)):
        variables = hostvars.get(host) or {}
        summary["hosts"] += 1
        outcome, rule = _host_outcome(variables)
        if outcome == "refused":
            summary["refused"][host] = rule or "unknown"
        else:
            summary[outcome].append(host)
        result = variables.get("container_workloads_result")
        if outcome != "converged" or not isinstance(result, Mapping):
            continue
        if result.get("changed"):
            summary["changed"].append(host)
        for workload in result.get("workloads") or []:
            isolation = (workload.get("decision") or {}).get("isolation")
            if isolation in ("hyperv", "process") and workload.get("action") not in (
                "remove",
                "purge",
            ):
                summary["workloads"][isolation] += 1
            if workload.get("action") not in (None, "none"):
                summary["workloads"]["changed"] += 1
    return summary
