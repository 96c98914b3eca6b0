# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The start of a patch, once its plan is accepted: pre-stage, check, drain under the lease.

One call before Windows Update: the images the plan's ``refresh`` resolution needs are pulled
while the old containers run and each is checked against the revision the host will run (a
tag that does not provide it holds the host, nothing stopped); then what runs is recorded and
the running managed workloads are stopped by one ``container_steps`` run that leaves this
patch's lease on the host lock, which keeps other writers out until the restore ends it.
Module runs: one ``container_steps`` of pulls when the plan refreshes, one for the drain.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    executor_args,
    patch_outcome,
    patch_plan,
    patch_steps,
    redaction,
    workload_reconcile,
)

ARGUMENT_SPEC: dict[str, Any] = {
    "host_info": {"type": "dict", "required": True},
    "plan": {"type": "dict", "required": True},
    "workloads": {"type": "raw", "default": []},
    "owner": {"type": "str"},
    "adopt": {"type": "list", "elements": "str", "default": []},
    "lease_id": {"type": "str", "required": True},
    "lease_seconds": {"type": "int", "required": True},
    "lock_timeout": {"type": "int", "default": 300},
    "registry_credentials": workload_reconcile.ARGUMENT_SPEC["registry_credentials"],
}


def prepare(
    io: workload_reconcile.HostIO, args: Mapping[str, Any], now: float | None = None
) -> dict[str, Any]:
    """The task result: ``plan`` (checked after the pre-stage), and once drained ``drained``
    (what ran, the stop steps) and ``drained_at``; a host the pre-stage holds is counted as
    held, with its report, and not drained."""
    host = io.host or ""
    read = args["host_info"]
    plan = dict(args["plan"])
    workloads = list(args.get("workloads") or [])
    credentials = list(args.get("registry_credentials") or [])
    secrets = redaction.secret_values(
        [c["password"] for c in credentials], redaction.workload_secrets(workloads)
    )
    result: dict[str, Any] = {"changed": False, "module_runs": 0}
    if plan.get("error"):
        result.update(failed=True, msg=plan["error"], plan=plan)
        return redaction.redact(result, secrets)
    if plan.get("patch") and plan.get("refresh") and not io.check_mode:
        steps = patch_steps.pull_steps(
            workloads,
            host,
            [c["registry"] for c in credentials],
            [entry["workload"] for entry in plan["refresh"]],
        )
        reply = executor_args.run_steps(
            io.run_module, steps, credentials=credentials, lock_timeout=args["lock_timeout"]
        )
        result["module_runs"] += 1
        result["changed"] = bool(reply.get("changed"))
        if reply.get("failed"):
            result.update(
                failed=True,
                plan=plan,
                msg=f"host {host!r}: pre-staging the refreshed images failed:"
                f" {str(reply.get('msg') or 'container_steps failed without a message').strip()}."
                " No container was changed.",
            )
            return redaction.redact(result, secrets)
        plan = patch_plan.check_refresh(plan, reply.get("results") or [])
        if not plan["patch"]:
            counted = patch_outcome.outcome(
                "patch", host, "held", plan.get("hold_reasons") or [], plan.get("version_before")
            )
            result.update(
                plan=plan,
                container_updates_report=patch_steps.report(plan),
                warnings=counted["warnings"],
                ansible_stats=counted["ansible_stats"],
                outcome=counted["outcome"],
            )
            return redaction.redact(result, secrets)
    result["plan"] = plan
    if not plan.get("patch") or io.check_mode:
        return redaction.redact(result, secrets)

    drained = patch_steps.drain(read, workloads, host, args.get("owner"), args.get("adopt") or [])
    drained["restore_names"] = [
        w.get("name")
        for w in patch_steps.restore_workloads(workloads, plan)
        if isinstance(w, Mapping)
    ]
    result.update(drained=drained, drained_at=now if now is not None else time.time())
    # Runs even with no step: it takes the lease that keeps other writers out until the
    # restore, across Windows Update and its restarts.
    reply = executor_args.run_steps(
        io.run_module,
        drained["steps"],
        lock_holder=f"trustbound.wincontainers.container_updates (patch of {host})",
        lease_id=args["lease_id"],
        lease_seconds=args["lease_seconds"],
        lock_timeout=args["lock_timeout"],
    )
    result["module_runs"] += 1
    result["changed"] = result["changed"] or bool(reply.get("changed"))
    result["drain_results"] = reply.get("results") or []
    if reply.get("failed"):
        result.update(
            failed=True,
            msg=str(reply.get("msg") or "container_steps failed without a message").strip(),
        )
    return redaction.redact(result, secrets)
