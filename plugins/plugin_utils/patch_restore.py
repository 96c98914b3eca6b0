# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end of a patch: restore every drained workload, read the host, report, count the host.

One call after Windows Update and the engine's readiness check: the workloads (with the patch
plan's overrides) go through the workload reconcile with ``keep_going`` and ``end_lease`` (the
lease is ended however the restore ends), the host is read once more, and the patch report
and the host's share of the run summary are built from the plan, the drain and the installs.
Module runs: those of the reconcile, then one ``container_host_info``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    patch_outcome,
    patch_steps,
    redaction,
    workload_reconcile,
)

# Options of its own; every other option is the workload reconcile's (container_workloads').
OWN_ARGUMENT_SPEC: dict[str, Any] = {
    "plan": {"type": "dict", "required": True},
    "drained": {"type": "dict", "default": {}},
    "updates": {"type": "list", "elements": "dict", "default": []},
    "drained_at": {"type": "float"},
}
ARGUMENT_SPEC: dict[str, Any] = {
    **{
        name: spec
        for name, spec in workload_reconcile.ARGUMENT_SPEC.items()
        if name not in ("keep_going", "end_lease")
    },
    **OWN_ARGUMENT_SPEC,
}


def restore(
    io: workload_reconcile.HostIO, args: Mapping[str, Any], now: float | None = None
) -> dict[str, Any]:
    """The task result: ``restore`` (the reconcile's result), ``container_updates_report``, and
    the run summary's ``ansible_stats`` of a patched host; failed when a workload is not back."""
    secrets = redaction.secret_values(
        [c["password"] for c in args.get("registry_credentials") or []],
        args.get("config_hash_key"),
        redaction.workload_secrets(args.get("workloads")),
    )
    workloads = args.get("workloads")
    if isinstance(workloads, list):
        workloads = patch_steps.restore_workloads(workloads, args["plan"])
    options = {name: args.get(name) for name in workload_reconcile.ARGUMENT_SPEC}
    options.update(workloads=workloads, keep_going=True, end_lease=True)
    restored = workload_reconcile.reconcile(io, options)
    runs = restored.get("module_runs", 0)
    result: dict[str, Any] = {"changed": bool(restored.get("changed")), "restore": restored}
    if restored.get("failed") or restored.get("skipped") or io.check_mode:
        for key in ("failed", "skipped", "msg", "rule"):
            if key in restored:
                result[key] = restored[key]
        result["module_runs"] = runs
        return redaction.redact(result, secrets)

    after = io.run_module(workload_reconcile.INFO_MODULE, {})
    runs += 1
    result["module_runs"] = runs
    if after.get("failed"):
        result.update(
            failed=True,
            msg=f"host {io.host!r}: every workload was restored, but reading the host after"
            f" the restore failed: {after.get('msg')}",
        )
        return redaction.redact(result, secrets)
    drained_at = args.get("drained_at")
    # Rounded as the container_patch_report filter rounds it.
    down = None if drained_at is None else round((now or time.time()) - float(drained_at), 1)
    report = patch_steps.report(
        args["plan"],
        drained=args.get("drained") or {},
        updates_result=list(args.get("updates") or []),
        after_info=after,
        restore_result=restored,
        down_seconds=down,
    )
    result["container_updates_report"] = report
    counted = patch_outcome.outcome(
        "patch", io.host or "", "patched", detail=report["version_after"]
    )
    result["warnings"] = counted["warnings"]
    result["ansible_stats"] = counted["ansible_stats"]
    result["outcome"] = counted["outcome"]
    return redaction.redact(result, secrets)
