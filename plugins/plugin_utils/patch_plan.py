# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Patch planning: will this host's workloads still run as decided once its updates are in?

Inputs are the host's one read (``container_host_info``), the updates
``ansible.windows.win_updates`` found with ``state: searched`` and the
inventory's workloads. The host's OS revision after patching is predicted from
the updates' own data. Windows Update does not say which OS revision an update
brings: its ``title`` and ``kb`` (ansible.windows ``win_updates`` RETURN
``updates.<id>``) name the KB, and only Microsoft's release pages ("KB5034129
(OS Build 20348.2227)") map a KB to a revision. So the revision comes from
``known_revisions`` (KB -> revision, kept by the operator from those pages);
an OS cumulative update missing from it makes the future revision *unknown*,
and an unknown future revision on Server 2016 counts as "differs" from every
image revision (process isolation there needs an exact match). On 1809 and
later an unknown future revision is at least today's (cumulative updates only
raise it), so today's revision is the conservative stand-in: an image newer
than the host only gets less new.

Every workload is then run through the trust policy twice, against today's
host and the future one. A workload whose decision would change or be refused
is *affected*, and the resolution (``hold``, ``hyperv``, ``refresh``) says
what to do. ``hold`` never patches a host into breaking its workloads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan,
    host_facts,
    ownership,
    trust_policy,
    workload_spec,
    workload_trust,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.windows_versions import (
    WindowsVersion,
)

HOLD = "hold"
HYPERV = "hyperv"
REFRESH = "refresh"
RESOLUTIONS = (HOLD, HYPERV, REFRESH)

BUILD_2016 = 14393

RULE_BAD_RESOLUTION = "bad-resolution"
RULE_BAD_REVISION = "bad-known-revision"
RULE_PATCH_BREAKS = "patch-breaks-workload"
RULE_HYPERV_NOT_ALLOWED = "hyperv-resolution-refused"
RULE_REFRESH_NOT_POSSIBLE = "refresh-resolution-refused"

# The restore starts again only what the drain stopped, as this owner: the drain never stops
# a container the restore would refuse (ownership.py).
OWNER_FIX = (
    "The patch stops only containers its restore can start again: set container_updates_owner"
    " (its default is container_workloads_owner, the deployment's owner) to the owner that"
    " deployed them, or list the workload in container_updates_adopt (default"
    " container_workloads_adopt)"
)

UNCHANGED = "unchanged"
AFFECTED = "affected"

# "2024-01 Cumulative Update for Windows Server 2016 for x64-based Systems (KB5034119)",
# "... Cumulative Update for Microsoft server operating system version 21H2 ..." (2022),
# "... Cumulative Update for Microsoft server operating system, version 24H2 ..." (2025).
_OS_CUMULATIVE = re.compile(
    r"Cumulative Update (Preview )?for (Windows Server|Microsoft server operating system)",
    re.IGNORECASE,
)
# Titles that never carry a new OS revision (the UBR comes with the OS cumulative update).
_NO_REVISION = re.compile(
    r"Servicing Stack Update|\.NET Framework|Security Intelligence Update|Definition Update"
    r"|Malicious Software Removal Tool|Windows Defender Antivirus|Microsoft Defender Antivirus",
    re.IGNORECASE,
)
_SSU = re.compile(r"Servicing Stack Update", re.IGNORECASE)
_KB = re.compile(r"^(KB)?(\d+)$", re.IGNORECASE)


class PatchRefusal(Refusal):
    """Refused before any change; the message names the host, the workload and the rule."""

    def __init__(self, host: str | None, workload: str | None, rule: str, text: str):
        who = f"host {host!r}" + (f", workload {workload!r}" if workload else "")
        super().__init__(f"{who}: refused by rule '{rule}': {text}", host=host, rule=rule)
        self.workload = workload


@dataclass(frozen=True)
class Update:
    """One update the search selected, with what it does to the OS revision."""

    id: str
    kb: str
    title: str
    categories: tuple[str, ...]
    revision: int | None  # the revision it brings, None when it brings none or it is unknown
    raises_revision: bool | None  # True: yes; False: never; None: unknown (treated as yes)
    servicing_stack: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kb": self.kb,
            "title": self.title,
            "categories": list(self.categories),
            "revision": self.revision,
            "raises_revision": self.raises_revision,
            "servicing_stack": self.servicing_stack,
        }


def normalise_kb(value: object) -> str:
    text = str(value).strip()
    match = _KB.match(text)
    return f"KB{match.group(2)}" if match else text.upper()


def parse_known_revisions(known: object, host: str | None) -> dict[str, int | None]:
    """``{KB: revision}``; a value ``none`` says the update brings no new revision."""
    if known is None:
        return {}
    if not isinstance(known, Mapping):
        raise PatchRefusal(
            host, None, RULE_BAD_REVISION, "known_revisions must be a mapping of KB to revision"
        )
    parsed: dict[str, int | None] = {}
    for kb, value in known.items():
        if value is None or str(value).lower() == "none":
            parsed[normalise_kb(kb)] = None
            continue
        text = str(value).rsplit(".", 1)[-1]  # "20348.2227" or "2227"
        if isinstance(value, bool) or not text.isdigit():
            raise PatchRefusal(
                host,
                None,
                RULE_BAD_REVISION,
                f"container_updates_known_revisions[{kb!r}] = {value!r}: give the OS revision"
                " the update brings (2227 or 20348.2227), or none",
            )
        parsed[normalise_kb(kb)] = int(text)
    return parsed


def selected_updates(
    search_result: Mapping[str, Any], known: Mapping[str, int | None]
) -> list[Update]:
    """The updates a ``state: searched`` run selected: ``updates``, not ``filtered_updates``."""
    updates = []
    for update_id, info in sorted((search_result.get("updates") or {}).items()):
        kbs = [normalise_kb(k) for k in info.get("kb") or []]
        title = str(info.get("title", ""))
        kb = kbs[0] if kbs else ""
        if kb in known:
            revision = known[kb]
            raises: bool | None = revision is not None
        elif _NO_REVISION.search(title):
            revision, raises = None, False
        else:
            revision, raises = None, None
        updates.append(
            Update(
                id=str(info.get("id", update_id)),
                kb=kb,
                title=title,
                categories=tuple(info.get("categories") or ()),
                revision=revision,
                raises_revision=raises,
                servicing_stack=bool(_SSU.search(title)),
            )
        )
    # Servicing stack first: on 2016 the cumulative update needs the new servicing stack.
    return sorted(updates, key=lambda u: (not u.servicing_stack, u.kb))


def future_version(current: WindowsVersion, updates: Iterable[Update]) -> WindowsVersion | None:
    """The OS version after the updates, or None when an update brings an unknown revision."""
    revision = current.revision
    for update in updates:
        if update.raises_revision is None:
            return None
        if update.revision is not None:
            revision = max(revision, update.revision)
    return WindowsVersion(current.major, current.minor, current.build, revision)


def _image_version(spec: workload_spec.WorkloadSpec, images) -> str | None:
    image = container_plan.find_image(images, spec.image)
    return (image or {}).get("os_version") or None


def _decide(spec, image_version, policy_host, isolation=None):
    workload = spec.policy_input(image_version)
    if isolation is not None:
        workload["isolation"] = isolation
    try:
        return trust_policy.decide(workload, policy_host), None
    except trust_policy.PolicyError as exc:
        return None, exc


def _view(decision: trust_policy.Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"isolation": decision.isolation, "user": decision.user, "rules": list(decision.rules)}


def plan_patch(
    host_info: Mapping[str, Any],
    search_result: Mapping[str, Any],
    workloads: list[Any],
    *,
    host: str,
    hostvars: Mapping[str, Any] | None = None,
    resolution: str = HOLD,
    known_revisions: Mapping[str, Any] | None = None,
    more_may_follow: bool = False,
    owner: str | None = None,
    adopt: Iterable[str] = (),
) -> dict[str, Any]:
    """The patch plan of one host; raises PatchRefusal / PolicyError before any change.

    ``more_may_follow``: the search cannot show everything that will install,
    because updates become applicable only after others (a Server 2016
    cumulative update after its servicing stack update, which was not
    installed yet, as in check mode, or waits for a restart). The future
    revision is then unknown.

    ``owner``/``adopt``: the restore's ownership rule, applied before the drain: a patch whose
    restore would refuse a workload's container is refused with nothing changed.
    """
    if resolution not in RESOLUTIONS:
        raise PatchRefusal(
            host,
            None,
            RULE_BAD_RESOLUTION,
            f"resolution {resolution!r}: one of {', '.join(RESOLUTIONS)}",
        )
    if search_result.get("failed"):
        raise PatchRefusal(
            host,
            None,
            "update-search-failed",
            f"the update search failed: {search_result.get('msg', 'no message')}",
        )
    hostvars = dict(hostvars or {})
    specs = [
        s for s in workload_spec.normalise_workloads(workloads, host=host) if s.state != "absent"
    ]
    current = WindowsVersion.parse(host_facts.os_version(host_info))
    known = parse_known_revisions(known_revisions, host)
    updates = selected_updates(search_result, known)
    _check_builds(known_revisions or {}, updates, current.build, host)
    # Updates installed and waiting for their restart (a patch that failed after the install):
    # the search no longer lists them, Windows Update says a restart is required
    # (win_updates' reboot_required). The host is restarted, and its revision after that is
    # unknown unless the search also offers an update that decides it.
    restart_pending = bool(search_result.get("reboot_required"))
    changes = bool(updates) or restart_pending
    if changes and owner is not None:
        _check_ownership(specs, host_info, owner=owner, adopt=adopt, host=host)
    if changes:
        _check_trust_beyond_kernel(specs, host_info, hostvars, host)
    future = None if more_may_follow else future_version(current, updates)
    if restart_pending and not updates:
        future = None
    on_2016 = current.build == BUILD_2016
    # Known-unknown on 1809+: today's revision is the conservative stand-in (see module doc).
    stand_in = future or (None if on_2016 else current)
    images = list(host_info.get("images") or [])
    today_host = host_facts.policy_host(host_info, hostvars, host)

    entries = []
    refusals: list[PatchRefusal] = []
    hold_reasons: list[str] = []
    overrides: dict[str, dict[str, Any]] = {}
    refresh: list[dict[str, Any]] = []
    for spec in specs:
        image_version = _image_version(spec, images)
        now, now_error = _decide(spec, image_version, today_host)
        if now_error is not None:
            # The workload cannot run as asked even today: the workloads role's refusal.
            raise now_error
        entry = {
            "name": spec.name,
            "image": spec.image,
            "image_os_version": image_version,
            "current": _view(now),
            "future": None,
            "status": UNCHANGED,
            "resolution": None,
            "reason": "",
        }
        entries.append(entry)
        if not changes:
            entry["future"] = entry["current"]
            continue
        later, why = _future_decision(
            spec,
            image_version,
            now,
            host_info=host_info,
            hostvars=hostvars,
            host=host,
            stand_in=stand_in,
        )
        entry["future"] = _view(later)
        if why is None:
            continue
        entry["status"] = AFFECTED
        entry["reason"] = why
        entry["resolution"] = resolution
        if resolution == HOLD:
            hold_reasons.append(
                f"host {host!r}, workload {spec.name!r}: rule '{RULE_PATCH_BREAKS}': {why};"
                " resolution 'hold' keeps the host unpatched"
            )
        elif resolution == HYPERV:
            problem = _hyperv_resolution(
                spec,
                image_version,
                host_info=host_info,
                hostvars=hostvars,
                host=host,
                stand_in=stand_in,
            )
            if problem:
                refusals.append(PatchRefusal(host, spec.name, RULE_HYPERV_NOT_ALLOWED, problem))
            else:
                overrides[spec.name] = {"isolation": HYPERV}
        else:
            problem, needed = _refresh_resolution(spec, now, future, on_2016)
            if problem and more_may_follow and future is None and "@" not in spec.image:
                # Not a wrong setting: the updates that decide the revision are not visible yet.
                hold_reasons.append(
                    f"host {host!r}, workload {spec.name!r}: rule '{RULE_REFRESH_NOT_POSSIBLE}':"
                    " the updates offered after the servicing stack update are not visible yet"
                    " (check mode does not install it, or it waits for a restart), so the"
                    " revision the refreshed image must have is unknown; the host stays"
                    " unpatched this run"
                )
            elif problem:
                refusals.append(PatchRefusal(host, spec.name, RULE_REFRESH_NOT_POSSIBLE, problem))
            else:
                refresh.append(needed)
    if refusals:
        raise PatchRefusal(
            host,
            None,
            refusals[0].rule,
            "; ".join(str(r) for r in refusals) + ". Nothing was changed.",
        )
    return {
        "host": host,
        "version_before": str(current),
        "version_after": str(future) if future is not None else None,
        "revision_before": current.revision,
        "revision_after": future.revision if future is not None else None,
        "updates": [u.to_dict() for u in updates],
        "servicing_stack_first": on_2016 and any(u.servicing_stack for u in updates),
        "more_may_follow": more_may_follow,
        "servicing_stack_kbs": [u.kb for u in updates if u.servicing_stack],
        "resolution": resolution,
        "patch": changes and not hold_reasons,
        "restart_pending": restart_pending,
        "held": bool(hold_reasons),
        "hold_reasons": hold_reasons,
        "workloads": entries,
        "overrides": overrides,
        "refresh": refresh,
        "unmanaged": _unmanaged(host_info),
    }


def _check_builds(
    known_revisions: Mapping[str, Any], updates: Iterable[Update], build: int, host: str
) -> None:
    """A ``build.revision`` entry for an update this host installs names this host's build.

    One mapping may serve a mixed fleet (each version's KBs); an entry of another build for
    an update this host is offered was copied from the wrong release page."""
    wanted = {u.kb for u in updates}
    for kb, value in known_revisions.items():
        text = str(value)
        if normalise_kb(kb) not in wanted or "." not in text:
            continue
        given = text.rsplit(".", 1)[0]
        if given != str(build):
            raise PatchRefusal(
                host,
                None,
                RULE_BAD_REVISION,
                f"container_updates_known_revisions[{kb!r}] = {text!r} is a revision of build"
                f" {given}, and this host runs build {build}: take the revision from the release"
                " page of this host's Windows Server version",
            )


# The inventory variables behind the deployment's trust options (workload_trust.OPTIONS),
# which the restore applies (the updates role passes them through module_defaults).
TRUST_VARIABLES = {option: f"wincontainers_{option}" for option in workload_trust.OPTIONS}


def _check_trust_beyond_kernel(specs, host_info, hostvars, host: str) -> None:
    """Limits, image sources and networks as the restore will apply them: a restore they
    would refuse is refused now, before the drain, with nothing changed."""
    options = {option: hostvars.get(variable) for option, variable in TRUST_VARIABLES.items()}
    machine = host_info.get("machine") or {}
    group = machine.get("group_processors")
    try:
        outcome = workload_trust.for_host(
            specs,
            options,
            host,
            host_boundary=host_facts.policy_host(host_info, hostvars, host).get(
                "trust_boundary", ""
            ),
            os_build=host_facts.os_build(host_info),
            logical_processors=group if group is not None else machine.get("logical_processors"),
            existing_networks=host_info.get("networks"),
        )
    except workload_spec.WorkloadSpecError as exc:
        problems = exc.errors
    else:
        problems = outcome.problems
    if problems:
        first = problems[0]
        raise PatchRefusal(
            host,
            first.workload.strip("'"),
            first.rule,
            f"{first.detail}; the restore would refuse it after the drain. Nothing was changed.",
        )


def _check_ownership(specs, host_info, *, owner: str, adopt: Iterable[str], host: str) -> None:
    problems = ownership.name_conflicts(
        specs, host_info.get("containers") or [], owner=owner, adopt=adopt, host=host
    )
    if problems:
        raise PatchRefusal(
            host,
            None,
            problems[0].rule,
            "; ".join(str(p) for p in problems) + f". {OWNER_FIX}",
        )


def _future_decision(spec, image_version, now, *, host_info, hostvars, host, stand_in):
    """(decision on the future host, why the workload is affected or None)."""
    if stand_in is None:
        # 2016 with an unknown future revision: any image revision counts as different.
        if now.isolation == trust_policy.PROCESS:
            return None, (
                "the host's revision after patching is unknown (an update's revision is not in"
                " known_revisions) and Server 2016 runs a process-isolated container only when"
                " the image revision matches the host's exactly, so the revision is taken to"
                " differ"
            )
        return now, None
    later_host = _future_policy_host(host_info, hostvars, host, str(stand_in))
    later, error = _decide(spec, image_version, later_host)
    if error is not None:
        return None, f"after patching to {stand_in}: {error.detail} (rule '{error.rule}')"
    if later.isolation != now.isolation:
        return later, (
            f"after patching to {stand_in} its isolation would change from {now.isolation} to"
            f" {later.isolation} ({', '.join(later.rules)})"
        )
    return later, None


def _future_policy_host(host_info, hostvars, host, version: str) -> dict[str, Any]:
    """The policy's host input with the OS version the host will have after patching."""
    future_info = dict(host_info, os=dict(host_info.get("os") or {}, version=version))
    return host_facts.policy_host(future_info, hostvars, host)


def _hyperv_resolution(spec, image_version, *, host_info, hostvars, host, stand_in) -> str:
    if spec.isolation == trust_policy.PROCESS:
        return (
            "the workload asks for isolation 'process' explicitly, so the patch cannot move it"
            " to Hyper-V; change the workload or use resolution 'hold' or 'refresh'"
        )
    version = str(stand_in) if stand_in is not None else host_facts.os_version(host_info)
    later_host = _future_policy_host(host_info, hostvars, host, version)
    _decision, error = _decide(spec, image_version, later_host, isolation=HYPERV)
    if error is not None:
        return f"Hyper-V isolation is not possible: {error.detail} (rule '{error.rule}')"
    return ""


def _refresh_resolution(spec, now, future, on_2016) -> tuple[str, dict[str, Any]]:
    if "@" in spec.image:
        return (
            f"image {spec.image} is pinned by digest, so no newer image can come from its tag",
            {},
        )
    if on_2016 and future is None:
        return (
            "the host's revision after patching is unknown (add the cumulative update's KB to"
            " known_revisions), so no image revision can be checked against it",
            {},
        )
    return "", {
        "workload": spec.name,
        "image": spec.image,
        "isolation": now.isolation,
        "required_version": str(future) if on_2016 else None,
        "required_build": future.build if future else None,
    }


def check_refresh(plan: Mapping[str, Any], pulled: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """After the pre-stage pulls: does each refreshed tag provide the revision the host will run?

    ``pulled`` is container_steps' ``results`` (each pull carries ``image``). A
    tag that does not provide the needed revision holds the host: nothing has
    been stopped yet, and the old image still runs the old container.
    """
    checked = dict(plan)
    images = [r["image"] for r in pulled if r.get("action") == "pull" and r.get("image")]
    holds = list(plan.get("hold_reasons") or [])
    for needed in plan.get("refresh") or []:
        image = container_plan.find_image(images, needed["image"])
        got = (image or {}).get("os_version")
        required = needed.get("required_version")
        if image is None:
            holds.append(
                f"host {plan['host']!r}, workload {needed['workload']!r}: rule"
                f" '{RULE_REFRESH_NOT_POSSIBLE}': the tag {needed['image']} was not pulled"
            )
        elif required and got != required:
            holds.append(
                f"host {plan['host']!r}, workload {needed['workload']!r}: rule"
                f" '{RULE_REFRESH_NOT_POSSIBLE}': the tag {needed['image']} provides {got}, the"
                f" host will run {required} and Server 2016 process isolation needs them equal;"
                " the host stays unpatched until the tag provides that revision"
            )
    checked["hold_reasons"] = holds
    checked["held"] = bool(holds)
    checked["patch"] = bool(plan.get("updates")) and not holds
    return checked


def _unmanaged(host_info: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": c.get("name"), "image": c.get("image"), "state": c.get("state")}
        for c in host_info.get("containers") or []
        if not container_plan.is_managed(c)
    ]
