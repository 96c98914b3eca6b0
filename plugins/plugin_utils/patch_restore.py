# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The end of a patch, on every path: wait for the engine, restore, end the lease, report.

One call after Windows Update, and the same call when the patch failed after its drain (the
role's rescue, with ``failure``): the engine is polled until it answers (``container_host_info``,
at most ``ready_retries`` more times, ``ready_delay`` seconds apart); the workloads (with the
patch plan's overrides) go through the workload reconcile with ``keep_going`` and ``end_lease``
(the lease is ended however the restore ends); each workload not brought back is named with its
reason (``not_restored``). A patch that went through is read once more, reported and counted
as patched; a failed one fails the task naming where the patch failed and what is not back.
Before the workloads, the inventory's NAT networks the drain recorded and the restart took
(Windows Server 2019 and later lose user NAT networks) are created again with their subnet.
Module runs: the readiness reads (one when the engine answers at once), one container_steps
when a network has to be made again, those of the reconcile, then one ``container_host_info``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    executor_args,
    host_lock,
    patch_outcome,
    patch_steps,
    redaction,
    refusal,
    workload_reconcile,
)

# Options of its own; every other option is the workload reconcile's (container_workloads').
OWN_ARGUMENT_SPEC: dict[str, Any] = {
    "plan": {"type": "dict", "default": {}},
    "drained": {"type": "dict"},
    "updates": {"type": "list", "elements": "dict", "default": []},
    "drained_at": {"type": "float"},
    "ready_retries": {"type": "int", "default": 30},
    "ready_delay": {"type": "int", "default": 10},
    "failed_task": {"type": "str"},
    "failure": {"type": "str"},
    "host_unreachable": {"type": "bool", "default": False},
}
ARGUMENT_SPEC: dict[str, Any] = {
    **{
        name: spec
        for name, spec in workload_reconcile.ARGUMENT_SPEC.items()
        if name not in ("keep_going", "end_lease")
    },
    **OWN_ARGUMENT_SPEC,
}


def _ready(read: Mapping[str, Any]) -> bool:
    return not read.get("failed") and (read.get("engine") or {}).get("service_state") == "running"


def wait_for_engine(
    io: workload_reconcile.HostIO, retries: int, delay: int, sleep=time.sleep
) -> tuple[dict[str, Any], int]:
    """The first read whose engine runs, or the last one; and how many reads were made.
    After a restart WinRM answers before the container engine does."""
    reads = 0
    while True:
        read = io.run_module(workload_reconcile.INFO_MODULE, {})
        reads += 1
        if _ready(read) or reads > max(retries, 0):
            return read, reads
        sleep(delay)


def _not_restored(restored: Mapping[str, Any], names: list[Any]) -> list[dict[str, Any]]:
    """Each workload the restore did not bring back, with its reason."""
    if not restored.get("failed"):
        return []
    listed = list(restored.get("not_reconciled") or [])
    if listed:
        return listed
    reason = str(restored.get("msg") or "the restore failed without a message")
    return [{"name": name, "msg": reason} for name in names]


def restore(
    io: workload_reconcile.HostIO,
    args: Mapping[str, Any],
    now: float | None = None,
    sleep=time.sleep,
) -> dict[str, Any]:
    """The task result: ``restore`` (the reconcile's result), ``not_restored``, and for a
    patch that went through ``container_updates_report`` and the run summary's
    ``ansible_stats`` of a patched host; failed when a workload is not back or ``failure``
    is given (the patch failed: counted as failed, or unreachable when the host does not
    answer)."""
    host = io.host
    secrets = redaction.secret_values(
        [c["password"] for c in args.get("registry_credentials") or []],
        args.get("config_hash_key"),
        redaction.workload_secrets(args.get("workloads")),
    )
    plan = args.get("plan") or {}
    drained = args.get("drained")
    failure = args.get("failure")
    what = str(failure).strip().rstrip(".")
    where = f"host {host!r}: the patch failed at {args.get('failed_task') or 'a task'!r}: {what}"
    if failure is not None and drained is None:
        # It failed before the drain: nothing is stopped, no lease is taken.
        result = {"changed": False, "failed": True, "module_runs": 0, "not_restored": []}
        result["msg"] = f"{where}. Nothing was drained: no workload to bring back."
        result["host_unreachable"] = args["host_unreachable"]
        status = "unreachable" if args["host_unreachable"] else "failed"
        result.update(_counted(host, status, "before the drain"))
        return redaction.redact(result, secrets)
    drained = drained or {}
    runs = 0
    read = args.get("host_info")
    if read is None and not io.check_mode:
        read, runs = wait_for_engine(io, args["ready_retries"], args["ready_delay"], sleep)
    runs_before = runs
    unreachable = bool((read or {}).get("unreachable"))
    workloads = args.get("workloads")
    if isinstance(workloads, list):
        workloads = patch_steps.restore_workloads(workloads, plan)
    options = {name: args.get(name) for name in workload_reconcile.ARGUMENT_SPEC}
    options.update(workloads=workloads, keep_going=True, end_lease=True)
    recreated: list[str] = []
    if read is not None and not unreachable and _ready(read) and not io.check_mode:
        read, recreated = _recreate_networks(io, args, read, drained.get("networks") or [])
        runs += 1 if recreated else 0
    if unreachable:
        # Nothing to restore through: the lease stays until it expires or a resume ends it.
        restored = {"failed": True, "changed": False, "msg": read.get("msg")}
    else:
        restored = workload_reconcile.reconcile(io, options, read)
        runs += restored.get("module_runs", 0)
    names = drained.get("restore_names") or [
        w.get("name") for w in workloads or [] if isinstance(w, Mapping)
    ]
    result: dict[str, Any] = {
        "changed": bool(restored.get("changed")) or bool(recreated),
        "networks_recreated": recreated,
        "restore": restored,
        "not_restored": _not_restored(restored, names),
    }
    if failure is not None or restored.get("failed") or unreachable:
        back = (
            "yes"
            if not restored.get("failed")
            else "NO: "
            + (
                "; ".join(f"{e['name']!r} ({e['msg']})" for e in result["not_restored"])
                or str(restored.get("msg"))
            )
        )
        lease = (
            f" The lease {args['lease_id']!r} still holds the host."
            if args.get("lease_id") and not restored.get("lease_ended")
            else ""
        )
        head = where if failure is not None else f"host {host!r}: the restore failed"
        if failure is None and read is not None and not _ready(read):
            head = (
                f"host {host!r}: the patch failed at the engine's readiness check: the container"
                f" engine did not answer after {runs_before} reads, {args['ready_delay']} s"
                " apart (container_updates_ready_retries, container_updates_ready_delay)"
            )
        result.update(
            failed=True,
            module_runs=runs,
            msg=f"{head}. Workloads brought back: {back}.{lease}",
            host_unreachable=unreachable,
        )
        result.update(_counted(host, "unreachable" if unreachable else "failed", "restore"))
        return redaction.redact(result, secrets)
    if restored.get("skipped") or io.check_mode:
        for key in ("skipped", "msg", "rule"):
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
        plan,
        drained=drained,
        updates_result=list(args.get("updates") or []),
        after_info=after,
        restore_result=restored,
        down_seconds=down,
    )
    result["container_updates_report"] = report
    result.update(_counted(io.host, "patched", report["version_after"]))
    return redaction.redact(result, secrets)


def _recreate_networks(
    io: workload_reconcile.HostIO,
    args: Mapping[str, Any],
    read: dict[str, Any],
    networks: list[Mapping[str, Any]],
) -> tuple[dict[str, Any], list[str]]:
    """Create again, under the patch's lease, the inventory's NAT networks the drain saw and
    the restart took (patch_steps.inventory_networks), before any workload starts: one
    container_steps run, none when every one is there. A network that cannot be made is
    left to the reconcile, which refuses its workloads by name (network-missing)."""
    if "networks" not in read:
        return read, []
    present = {str(n.get("name")) for n in read.get("networks") or []}
    missing = [dict(n) for n in networks if n.get("name") not in present]
    if not missing:
        return read, []
    steps = [
        {"action": "ensure_network", "name": n["name"], "subnet": n["subnet"]} for n in missing
    ]
    reply = executor_args.run_steps(
        io.run_module,
        steps,
        lock_holder=f"trustbound.wincontainers.container_updates (restore of {io.host})",
        lock_timeout=_lock_wait(args),
        lease_id=args.get("lease_id") or "",
        # The workloads' restore comes next under the same lease, and ends it.
        keep_lease=True,
    )
    made = [r["name"] for r in reply.get("results") or [] if r.get("changed")]
    if made:
        known = list(read.get("networks") or [])
        known += [
            {"name": n["name"], "driver": "nat", "subnets": [n["subnet"]]}
            for n in missing
            if n["name"] in made
        ]
        read = dict(read, networks=known)
    return read, made


def _lock_wait(args: Mapping[str, Any]) -> int:
    try:
        return host_lock.wait_seconds(args.get("lock_timeout"), None, "lock_timeout")
    except refusal.Refusal:
        return 0  # the prepare refused a bad one before the drain; the lease admits this run


def _counted(host: str | None, status: str, detail: str | None) -> dict[str, Any]:
    """The host's share of the run summary (``wincontainers_patch``)."""
    counted = patch_outcome.outcome("patch", host or "", status, detail=detail)
    return {key: counted[key] for key in ("warnings", "ansible_stats", "outcome")}
