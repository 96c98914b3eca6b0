# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drain before a patch, the workloads to restore after it, and the per-host patch report.

The drain stops only the managed containers of declared workloads that run,
each with its workload's ``stop_timeout`` (``docker stop -t``). Containers
started by hand are recorded, counted and left alone. Docker has no live
restore on Windows and restart policies have not brought containers back
after Windows Update reboots (moby/moby 27544, 39762), so the restore is the
collection's own: the declared workloads go through container_workloads again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan,
    network_plan,
    trust_policy,
    workload_spec,
)

RECORD_KEYS = ("name", "image", "image_id", "isolation", "user", "state")


def _record(container: Mapping[str, Any]) -> dict[str, Any]:
    return {key: container.get(key) for key in RECORD_KEYS}


def _running(container: Mapping[str, Any]) -> bool:
    return bool(container.get("running")) or container.get("state") == "running"


def drain(
    host_info: Mapping[str, Any],
    workloads: list[Any],
    host: str,
    owner: str | None = None,
    adopt: Iterable[str] = (),
) -> dict[str, Any]:
    """What runs now, and the ``container_steps`` stop steps that drain the managed workloads.

    ``owner``: the owner the restore runs as; another owner's containers are left alone like
    unmanaged ones (the restore would not start them again; the plan refuses a workload whose
    name one of them holds), except the workloads listed in ``adopt``, which the restore takes
    over: those are stopped cleanly too.
    """
    adopted = set(adopt or ())
    specs = {s.name: s for s in workload_spec.normalise_workloads(workloads, host=host)}
    managed, unmanaged, steps = [], [], []
    for container in host_info.get("containers") or []:
        labels = container.get("labels") or {}
        workload = labels.get(container_plan.LABEL_WORKLOAD)
        other_owner = (
            owner is not None
            and labels.get(container_plan.LABEL_OWNER) != owner
            and workload not in adopted
        )
        if not container_plan.is_managed(container) or workload not in specs or other_owner:
            unmanaged.append(_record(container))
            continue
        record = dict(_record(container), workload=workload)
        managed.append(record)
        if _running(container):
            steps.append(
                {
                    "action": "stop",
                    "name": container["name"],
                    "workload": workload,
                    "timeout": specs[workload].stop_timeout,
                }
            )
    return {
        "managed": managed,
        "unmanaged": unmanaged,
        "unmanaged_count": len(unmanaged),
        "unmanaged_running": sorted(r["name"] for r in unmanaged if r["state"] == "running"),
        "steps": steps,
        "networks": inventory_networks(host_info, [m["name"] for m in managed]),
    }


def inventory_networks(host_info: Mapping[str, Any], names: Iterable[str]) -> list[dict[str, str]]:
    """The NAT networks an inventory named (not the collection's own, which every apply
    ensures) that these containers use, as the read saw them: ``{name, subnet}``. Windows
    Server 2019 and later lose user NAT networks at a restart (Microsoft,
    network-drivers-topologies.md), so the restore creates a missing one again with the same
    driver and subnet. A network of another driver, or with other than one subnet, is left
    out: the read does not hold what it would take to make it again."""
    wanted = set(names)
    used = set()
    for container in host_info.get("containers") or []:
        if container.get("name") in wanted:
            used.update(str(n) for n in container.get("networks") or [])
            used.add(str(container.get("network_mode") or ""))
    found = []
    for network in host_info.get("networks") or []:
        name = str(network.get("name") or "")
        subnets = list(network.get("subnets") or [])
        if (
            name in used
            and name != network_plan.DEFAULT_NETWORK
            and not name.startswith(network_plan.PREFIX)
            and network.get("driver") == "nat"
            and len(subnets) == 1
        ):
            found.append({"name": name, "subnet": str(subnets[0])})
    return sorted(found, key=lambda n: n["name"])


def restore_workloads(workloads: list[Any], plan: Mapping[str, Any]) -> list[Any]:
    """The inventory's workloads with the plan's resolutions applied (``hyperv`` overrides)."""
    overrides = plan.get("overrides") or {}
    restored = []
    for entry in workloads:
        name = entry.get("name") if isinstance(entry, Mapping) else None
        restored.append(dict(entry, **overrides[name]) if name in overrides else entry)
    return restored


def _installed(updates_result: Mapping[str, Any]) -> list[dict[str, Any]]:
    installed = []
    for info in (updates_result.get("updates") or {}).values():
        if info.get("installed"):
            kbs = [k if str(k).upper().startswith("KB") else f"KB{k}" for k in info.get("kb") or []]
            installed.append({"kb": ", ".join(kbs), "title": info.get("title", "")})
    return sorted(installed, key=lambda u: u["kb"])


def _failed(updates_result: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "title": info.get("title", ""),
            "hresult": info.get("failure_hresult_code"),
            "msg": info.get("failure_msg", ""),
        }
        for info in (updates_result.get("updates") or {}).values()
        if "failure_hresult_code" in info
    ]


def report(
    plan: Mapping[str, Any],
    *,
    drained: Mapping[str, Any] | None = None,
    updates_result: Mapping[str, Any] | list[Mapping[str, Any]] | None = None,
    after_info: Mapping[str, Any] | None = None,
    restore_result: Mapping[str, Any] | None = None,
    down_seconds: float | None = None,
) -> dict[str, Any]:
    """One host's patch report (JSON-able): nothing secret is in any input.

    ``updates_result``: the installing win_updates result, or a list of them
    (the 2016 servicing stack update runs on its own first); skipped ones are ignored.
    """
    results = updates_result if isinstance(updates_result, list) else [updates_result or {}]
    results = [r for r in results if r and not r.get("skipped")]
    updates_result = {
        "updates": {k: v for r in results for k, v in (r.get("updates") or {}).items()},
        "rebooted": any(r.get("rebooted") for r in results),
    }
    after_info = after_info or {}
    restore = restore_result or {}
    before = {r["workload"]: r for r in (drained or {}).get("managed", [])}
    after_containers = {c.get("name"): c for c in after_info.get("containers") or []}
    decided_after = {
        w["name"]: (w.get("decision") or {}).get("isolation")
        for w in restore.get("workloads") or []
    }
    workloads = []
    for entry in plan.get("workloads") or []:
        name = entry["name"]
        was = before.get(name)
        now = after_containers.get(name)
        was_running = bool(was) and was.get("state") == "running"
        before_iso = (was or {}).get("isolation") or (entry.get("current") or {}).get("isolation")
        after_iso = decided_after.get(name) or (now or {}).get("isolation")
        workloads.append(
            {
                "name": name,
                "state_before": (was or {}).get("state", "absent"),
                "state_after": (now or {}).get("state", "absent") if after_info else None,
                "isolation_before": before_iso,
                "isolation_after": after_iso,
                "decision_changed": bool(after_iso and before_iso and after_iso != before_iso),
                "image_id_before": (was or {}).get("image_id"),
                "image_id_after": (now or {}).get("image_id"),
                "down_seconds": down_seconds if was_running else 0,
            }
        )
    os_after = (after_info.get("os") or {}).get("version")
    return {
        "host": plan.get("host"),
        "patched": bool(plan.get("patch")) and bool(results),
        "held": bool(plan.get("held")),
        "restart_pending": bool(plan.get("restart_pending")),
        "hold_reasons": list(plan.get("hold_reasons") or []),
        "version_before": plan.get("version_before"),
        "version_after": os_after or plan.get("version_before"),
        "version_predicted": plan.get("version_after"),
        "updates_planned": [
            {"kb": u["kb"], "title": u["title"]} for u in plan.get("updates") or []
        ],
        "updates_installed": _installed(updates_result),
        "updates_failed": _failed(updates_result),
        "rebooted": bool(updates_result.get("rebooted")),
        "workloads": workloads,
        "decisions_changed": [w["name"] for w in workloads if w["decision_changed"]],
        "unmanaged": list((drained or {}).get("unmanaged") or plan.get("unmanaged") or []),
    }


def pull_steps(
    workloads: list[Any],
    host: str,
    registries: Iterable[str] = (),
    only: Iterable[str] | None = None,
) -> list[dict[str, Any]]:
    """One ``pull`` per tag the declared workloads use; digest-pinned images never move.

    ``registries``: the registries credentials are given for (the step names
    its registry so container_steps logs in); ``only``: these workloads' tags.
    """
    logins = {r.lower(): r for r in registries}
    wanted = None if only is None else set(only)
    steps, seen = [], set()
    for spec in workload_spec.normalise_workloads(workloads, host=host):
        if spec.state == "absent" or "@" in spec.image or spec.image in seen:
            continue
        if wanted is not None and spec.name not in wanted:
            continue
        seen.add(spec.image)
        step = {"action": "pull", "image": spec.image, "workload": spec.name}
        domain = trust_policy.split_docker_domain(spec.image)[0]
        if domain.lower() in logins:
            step["registry"] = logins[domain.lower()]
        steps.append(step)
    return steps


def moved_tags(
    host_info: Mapping[str, Any],
    steps: list[Mapping[str, Any]],
    results: Iterable[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """Tags that, after the pulls, name another image than the one the host had."""
    before = list(host_info.get("images") or [])
    moved = []
    for result in results:
        index, image = result.get("index"), result.get("image")
        if result.get("action") != "pull" or not image or not isinstance(index, int):
            continue
        ref = steps[index]["image"]
        old = container_plan.find_image(before, ref)
        if old is None or old.get("id") != image.get("id"):
            moved.append(
                {
                    "image": ref,
                    "workload": steps[index].get("workload"),
                    "old_id": (old or {}).get("id"),
                    "new_id": image.get("id"),
                    "old_os_version": (old or {}).get("os_version"),
                    "new_os_version": image.get("os_version"),
                }
            )
    return moved


def stale_containers(
    host_info: Mapping[str, Any], workloads: list[Any], host: str, owner: str | None = None
) -> list[dict[str, Any]]:
    """Managed containers that run another image than the one their tag names on the host now.

    What a refresh that pulled and then failed leaves behind (the tag moved, the container
    was not replaced): a later run's pulls find the tag where the read has it, so only this
    comparison sees them. Digest-pinned workloads never move; another owner's containers are
    not this run's.
    """
    images = list(host_info.get("images") or [])
    containers = {c.get("name"): c for c in host_info.get("containers") or []}
    stale = []
    for spec in workload_spec.normalise_workloads(workloads, host=host):
        container = containers.get(spec.name)
        if spec.state == "absent" or "@" in spec.image or container is None:
            continue
        labels = container.get("labels") or {}
        if not container_plan.is_managed(container) or (
            owner is not None and labels.get(container_plan.LABEL_OWNER) != owner
        ):
            continue
        tagged = container_plan.find_image(images, spec.image)
        if (
            tagged is None
            or not container.get("image_id")
            or tagged.get("id") == container.get("image_id")
        ):
            continue
        old = next((i for i in images if i.get("id") == container.get("image_id")), {})
        stale.append(
            {
                "image": spec.image,
                "workload": spec.name,
                "old_id": container.get("image_id"),
                "new_id": tagged.get("id"),
                "old_os_version": old.get("os_version"),
                "new_os_version": tagged.get("os_version"),
            }
        )
    return stale


def prune_steps(
    moved: Iterable[Mapping[str, Any]], host_info: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """``remove_image`` steps for the images the moved tags left behind, once nothing uses them.

    ``host_info`` is a read taken after the replacement: an old image a
    container still runs (or that still has a tag) is kept.
    """
    used = {c.get("image_id") for c in host_info.get("containers") or []}
    tagged = {i.get("id") for i in host_info.get("images") or [] if i.get("repo_tags")}
    present = {i.get("id") for i in host_info.get("images") or []}
    steps, seen = [], set()
    for entry in moved:
        old = entry.get("old_id")
        if not old or old in seen or old in used or old in tagged or old not in present:
            continue
        seen.add(old)
        steps.append({"action": "remove_image", "image": old, "workload": entry.get("workload")})
    return steps
