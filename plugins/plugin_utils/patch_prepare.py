# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The start of a patch: read, resume, search, plan, servicing stack, pre-stage, drain.

One call before Windows Update (``start``): the host is read once; a lease of another patch
that still holds the host stops the run; a patch that did not finish is resumed when asked by
its lease id (its workloads back, its lease ended, the host read again); Windows Update is
searched (``ansible.windows.win_updates`` through the caller's ``updates`` function) and the
patch planned against the host's future revision; on Windows Server 2016 a servicing stack
update goes in first, workloads running, and the search and the plan are made again. A host
with nothing to install, held, or in check mode is reported and counted here. Otherwise
(``prepare``) the images the plan's ``refresh`` resolution needs are pulled while the old
containers run and each is checked against the revision the host will run (a tag that does
not provide it holds the host, nothing stopped); then what runs is recorded and the running
managed workloads are stopped by one ``container_steps`` run that leaves this patch's lease on
the host lock, which keeps other writers out until the restore ends it.
Module runs: one ``container_host_info`` (two after a resume, plus the resume's own), the
searches' own, one ``container_steps`` of pulls when the plan refreshes, one for the drain.
"""

from __future__ import annotations

import secrets as random  # a lease id: unpredictable, and "secrets" names values here
import time
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    executor_args,
    host_facts,
    patch_outcome,
    patch_plan,
    patch_steps,
    redaction,
    trust_options,
    trust_policy,
    workload_reconcile,
    workload_spec,
)

# The deployment's options (the role gives them once, module_defaults) and the reconcile's
# own (a resume runs the reconcile), less those the patch sets itself.
_RECONCILE_OPTIONS = {
    name: spec
    for name, spec in workload_reconcile.ARGUMENT_SPEC.items()
    if name not in ("keep_going", "end_lease")
}
ARGUMENT_SPEC: dict[str, Any] = {
    **_RECONCILE_OPTIONS,
    "lease_seconds": {"type": "int", "required": True},
    "resume_lease": {"type": "str", "default": ""},
    "resolution": {"type": "str", "default": patch_plan.HOLD},
    "known_revisions": {"type": "raw", "default": {}},
    "categories": {"type": "list", "elements": "str"},
    "accept_list": {"type": "list", "elements": "str", "default": []},
    "reject_list": {"type": "list", "elements": "str", "default": []},
    "skip_optional": {"type": "bool", "default": False},
    "server_selection": {"type": "str", "default": "default"},
}
# Categories of win_updates' own default, plus Updates on Windows Server 2016, where the
# cumulative update is filed (ansible/ansible 60785).
DEFAULT_CATEGORIES = ["CriticalUpdates", "SecurityUpdates", "UpdateRollups"]
SSU_TITLE = "Servicing Stack Update"

Updates = Callable[[dict[str, Any]], dict[str, Any]]


def prepare(
    io: workload_reconcile.HostIO, args: Mapping[str, Any], now: float | None = None
) -> dict[str, Any]:
    """The pre-stage and the drain of an accepted plan (``args``: the read as ``host_info``,
    ``plan``, ``workloads``, ``owner``, ``adopt``, ``lease_id``, ``lease_seconds``,
    ``lock_timeout``, ``registry_credentials``).

    The result: ``plan`` (checked after the pre-stage), and once drained ``drained``
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


def run_lease(args: Mapping[str, Any], task_vars: Mapping[str, Any]) -> str:
    """This run's lease id: the one asked for, else the AWX job's, else a random one. Each run
    its own, so a second patch run never takes the first one's lease for its own."""
    job = task_vars.get("awx_job_id") or task_vars.get("tower_job_id")
    if args.get("lease_id"):
        return str(args["lease_id"])
    suffix = str(job) if job else "".join(random.choice(_ALPHABET) for _position in range(12))
    return f"trustbound.wincontainers.container_updates/{suffix}"


_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _held_by_another(lock: Mapping[str, Any], args: Mapping[str, Any], lease: str) -> bool:
    lease_id = str(lock.get("lease_id") or "")
    until = str(lock.get("lease_until") or "")
    return (
        bool(lease_id)
        and lease_id not in (args.get("resume_lease") or "", lease)
        and until > time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    )


def _plan(read, search, args, host, more_may_follow: bool) -> dict[str, Any]:
    """The patch plan, or ``{"error", "rule"}`` (as the container_patch_plan filter)."""
    try:
        plan = patch_plan.plan_patch(
            read,
            search,
            list(args.get("workloads") or []),
            host=host,
            # The trust variables under their inventory names, as the restore applies them.
            hostvars={
                **trust_options.trust_hostvars(args),
                **{
                    variable: args.get(option)
                    for option, variable in patch_plan.TRUST_VARIABLES.items()
                    if args.get(option) is not None
                },
            },
            resolution=args["resolution"],
            known_revisions=args.get("known_revisions") or {},
            more_may_follow=more_may_follow,
            owner=args.get("owner"),
            adopt=list(args.get("adopt") or []),
        )
    except (
        patch_plan.PatchRefusal,
        trust_policy.PolicyError,
        workload_spec.WorkloadSpecError,
    ) as exc:
        message = str(exc)
        if not message.endswith("Nothing was changed."):
            message += ". Nothing was changed."
        return {"error": message, "rule": exc.rule, "patch": False, "held": False}
    plan.update(error=None, rule=None)
    return plan


def start(
    io: workload_reconcile.HostIO,
    args: Mapping[str, Any],
    updates: Updates,
    now: float | None = None,
) -> dict[str, Any]:
    """The task result of container_patch_prepare: ``plan``, ``lease_id``, ``category_names``,
    ``updates`` (the installs made here: the servicing stack update), and once drained
    ``drained`` and ``drained_at``; a host not patched (nothing to install, held, check mode)
    is reported (``container_updates_report``) and counted in the run summary here."""
    host = io.host or ""
    workloads = list(args.get("workloads") or [])
    secrets = redaction.secret_values(
        [c["password"] for c in args.get("registry_credentials") or []],
        args.get("config_hash_key"),
        redaction.workload_secrets(workloads),
    )
    lease = run_lease(args, io.task_vars)
    result: dict[str, Any] = {"changed": False, "lease_id": lease, "updates": []}
    runs = 0

    def failed(msg: str, **extra: Any) -> dict[str, Any]:
        result.update(failed=True, msg=msg, module_runs=runs, **extra)
        return redaction.redact(result, secrets)

    read = args.get("host_info")
    if read is None:
        read = io.run_module(workload_reconcile.INFO_MODULE, {})
        runs += 1
    if read.get("failed"):
        return failed(
            f"host {host!r}: container_host_info failed: {read.get('msg')}. Nothing was changed.",
            host_unreachable=bool(read.get("unreachable")),
        )
    lock = read.get("host_lock") or {}
    if _held_by_another(lock, args, lease):
        return failed(
            f"host {host!r}: held by {lock.get('holder')} since {lock.get('since')} until"
            f" {lock.get('lease_until')} (lease {lock.get('lease_id')}): another patch is"
            " changing this host, or one did not finish. If none runs now, resume it with -e"
            f" container_updates_resume_lease={lock.get('lease_id')}; otherwise run again when"
            " it is done. Nothing was changed."
        )
    resume = args.get("resume_lease") or ""
    if resume and lock.get("lease_id") == resume and not io.check_mode:
        # A patch that did not finish left its workloads drained and its lease on the host:
        # bring them back and end the lease before anything else, then read the host again.
        options = {name: args.get(name) for name in workload_reconcile.ARGUMENT_SPEC}
        options.update(keep_going=True, end_lease=True, lease_id=resume)
        resumed = workload_reconcile.reconcile(io, options, read)
        runs += resumed.get("module_runs", 0)
        result["changed"] = bool(resumed.get("changed"))
        result["resumed"] = resumed
        if resumed.get("failed"):
            return failed(
                f"host {host!r}: resuming the patch of lease {resume!r} failed: {resumed['msg']}"
            )
        read = io.run_module(workload_reconcile.INFO_MODULE, {})
        runs += 1
        if read.get("failed"):
            return failed(f"host {host!r}: container_host_info failed: {read.get('msg')}")

    build = host_facts.os_build(read)
    categories = args.get("categories")
    if categories is None:
        categories = DEFAULT_CATEGORIES + (["Updates"] if build == patch_plan.BUILD_2016 else [])
    result["category_names"] = categories
    search_args = {
        "state": "searched",
        "category_names": categories,
        "accept_list": list(args.get("accept_list") or []),
        "reject_list": list(args.get("reject_list") or []),
        "skip_optional": bool(args.get("skip_optional")),
        "server_selection": args["server_selection"],
    }
    search = updates(search_args)
    ssu_offered = build == patch_plan.BUILD_2016 and any(
        SSU_TITLE in str((u or {}).get("title") or "")
        for u in (search.get("updates") or {}).values()
    )
    plan = _plan(read, search, args, host, ssu_offered and io.check_mode)
    if plan.get("servicing_stack_first") and not plan.get("error") and not io.check_mode:
        # Windows Server 2016 offers its cumulative update only once the servicing stack
        # update is in, so the search cannot show it before. The SSU changes no OS revision
        # and (usually) needs no restart: it goes in first, workloads running.
        ssu = updates(
            {
                "category_names": categories,
                "accept_list": plan["servicing_stack_kbs"],
                "server_selection": args["server_selection"],
                "reboot": False,
            }
        )
        result["updates"].append(ssu)
        result["changed"] = result["changed"] or bool(ssu.get("changed"))
        if ssu.get("failed"):
            return failed(
                f"host {host!r}: the servicing stack update failed: {ssu.get('msg')}."
                " No container was changed.",
                plan=plan,
            )
        search = updates(search_args)
        plan = _plan(read, search, args, host, bool(ssu.get("reboot_required")))
    result["plan"] = plan
    if plan.get("error"):
        return failed(plan["error"], rule=plan.get("rule"))
    if not plan["patch"] or io.check_mode:
        detail = (
            "check mode: " + ("would patch" if plan["patch"] else "nothing to install")
            if io.check_mode
            else plan["version_before"]
        )
        counted = patch_outcome.outcome(
            "patch", host, "held" if plan["held"] else "unchanged", plan["hold_reasons"], detail
        )
        result.update(
            container_updates_report=patch_steps.report(plan),
            warnings=counted["warnings"],
            ansible_stats=counted["ansible_stats"],
            outcome=counted["outcome"],
            module_runs=runs,
        )
        return redaction.redact(result, secrets)

    drained = prepare(
        io,
        {
            "host_info": read,
            "plan": plan,
            "workloads": workloads,
            "owner": args.get("owner"),
            "adopt": args.get("adopt") or [],
            "lease_id": lease,
            "lease_seconds": args["lease_seconds"],
            "lock_timeout": args["lock_timeout"],
            "registry_credentials": args.get("registry_credentials") or [],
        },
        now=now,
    )
    changed = result["changed"] or bool(drained.pop("changed", False))
    runs += drained.pop("module_runs", 0)
    result.update(drained, changed=changed, module_runs=runs)
    return redaction.redact(result, secrets)
