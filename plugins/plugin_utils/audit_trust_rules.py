# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Audit rules for trust beyond the kernel (issue 20): networks, resource ceilings, image sources.

Called by audit_rules' host audit once its containers are classified: ``check(host_audit)``
reads ``host_audit.containers``, ``host_audit.trust_of(container)``, ``host_audit.hostvars``
and adds findings with ``host_audit.audit.add``. Pure: no I/O. The rule ids, severities,
sources and fixes are in audit_findings.RULES (docs/audit.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    image_sources,
    network_plan,
    trust_limits,
    workload_spec,
    workload_trust,
)

# Networks that connect nothing to anything: no shared network to report.
_NOT_SHARED = ("none", "host")
_CONTAINER_MODE = "container:"


def _networks(container: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The networks a container is on. ``container:<x>`` joins x's network namespace: every
    network x is on, and x's namespace itself (``container:<x's name>``)."""
    names = list(container.get("networks") or [])
    if not names:
        mode = container.get("network_mode")
        names = [mode] if mode and mode != "default" else ["nat"]
    out: list[str] = []
    for name in (str(n) for n in names):
        if name.startswith(_CONTAINER_MODE):
            target = _target(name[len(_CONTAINER_MODE) :], by_ref)
            if target is None:
                continue
            out.append(f"{_CONTAINER_MODE}{target.get('name')}")
            out.extend(
                n
                for n in _networks(target, {})
                if not n.startswith(_CONTAINER_MODE) and n not in out
            )
        elif name not in _NOT_SHARED:
            out.append(name)
    return out


def _target(ref: str, by_ref: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """A container by name or id (HostConfig.NetworkMode may hold either), or an id prefix."""
    if ref in by_ref:
        return by_ref[ref]
    return next(
        (
            c
            for key, c in by_ref.items()
            if ref and str(c.get("id") or "") == key and key.startswith(ref)
        ),
        None,
    )


def _running(container: Mapping[str, Any]) -> bool:
    return container.get("state") not in ("exited", "created", "dead")


def _read(host_audit: Any, reader, variable: str):
    try:
        return reader(host_audit.hostvars.get(variable), host_audit.host)
    except workload_spec.WorkloadSpecError as exc:
        for problem in exc.errors:
            host_audit.audit.add(
                "WC-INV-REFUSED",
                {"variable": variable, "rule": problem.rule, "field": problem.field},
                detail=str(problem),
            )
        return None


def shared_networks(host_audit: Any) -> None:
    """WC-NET-SHARED-BOUNDARY: a running container on a network with a container of another
    trust boundary or level (one finding per container, naming the others)."""
    members: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    running = [c for c in host_audit.containers if _running(c)]
    by_ref: dict[str, Mapping[str, Any]] = {}
    for container in running:
        for key in (container.get("id"), container.get("name")):
            if key:
                by_ref[str(key)] = container
    joined = {
        str(n)[len(_CONTAINER_MODE) :]
        for c in running
        for n in [c.get("network_mode"), *(c.get("networks") or [])]
        if str(n or "").startswith(_CONTAINER_MODE)
    }
    for container in running:
        trust = host_audit.trust_of(container)
        networks = _networks(container, by_ref)
        # A container whose namespace another joins is a member of its own namespace too.
        if {str(container.get("name")), str(container.get("id"))} & joined or any(
            _target(ref, by_ref) is container for ref in joined
        ):
            networks.append(f"{_CONTAINER_MODE}{container.get('name')}")
        for network in dict.fromkeys(networks):
            members.setdefault(network, []).append((str(container.get("name")), trust))
    for network, group in sorted(members.items()):
        for name, trust in group:
            others = [
                {"name": other, "trust_boundary": t["boundary"], "trust_level": t["level"]}
                for other, t in group
                if other != name
                and (t["boundary"], t["level"]) != (trust["boundary"], trust["level"])
            ]
            if others:
                host_audit.audit.add(
                    "WC-NET-SHARED-BOUNDARY",
                    {
                        "network": network,
                        "trust_boundary": trust["boundary"],
                        "trust_level": trust["level"],
                        "others": others,
                    },
                    container=name,
                    detail=f"shares network {network!r} with "
                    + ", ".join(
                        f"{o['name']} ({o['trust_boundary']}, {o['trust_level']})" for o in others
                    ),
                )


def trust_ceilings(host_audit: Any) -> None:
    """WC-RES-TRUST-CEILING: a container whose level has a ceiling runs without a limit, or
    above it where the level does not allow raising (memory, CPUs, storage size)."""
    ceilings = _read(host_audit, trust_limits.read_ceilings, trust_limits.VARIABLE)
    if not ceilings:
        return
    for container in host_audit.containers:
        level = host_audit.trust_of(container)["level"]
        # Unknown trust (unmanaged) is audit_rules' WC-RES-NO-LIMITS and WC-INV-UNMANAGED.
        ceiling = ceilings.get(level)
        if ceiling is None or not _running(container):
            continue
        for what, value, limit in (
            ("memory_bytes", container.get("memory_bytes") or 0, ceiling.memory_bytes),
            ("cpus", container.get("cpus") or 0, ceiling.cpus),
            (
                "storage_bytes",
                workload_spec.docker_size_bytes(container.get("storage_size")),
                ceiling.storage_bytes,
            ),
        ):
            if not limit or (value and (value <= limit or ceiling.allow_raise)):
                continue
            host_audit.audit.add(
                "WC-RES-TRUST-CEILING",
                {"trust_level": level, what: value, "ceiling": limit},
                container=str(container.get("name")),
                detail=(f"no {what} limit" if not value else f"{what} {value:g} above")
                + f" the {level} level's ceiling {limit:g} ({trust_limits.VARIABLE})",
            )


def image_sources_rules(host_audit: Any) -> None:
    """WC-SRC-REGISTRY and WC-SRC-NOT-PINNED for managed containers of a restricted level."""
    sources = _read(host_audit, image_sources.read_sources, image_sources.VARIABLE)
    if not sources:
        return
    for container in host_audit.containers:
        level = host_audit.trust_of(container)["level"]
        source = sources.get(level)
        image = str(container.get("image") or "")
        if source is None or not image:
            continue
        registry, _repository = location = image_sources.image_location(image)
        name = str(container.get("name"))
        evidence = {"image": image, "registry": registry, "trust_level": level}
        if source.registries is not None and not image_sources._allowed(
            location, source.registries
        ):
            host_audit.audit.add(
                "WC-SRC-REGISTRY",
                dict(evidence, allowed=list(source.registries)),
                container=name,
                detail=f"image from {registry}, not in the {level} level's list",
            )
        elif source.require_digest and not image_sources.is_pinned(image):
            host_audit.audit.add(
                "WC-SRC-NOT-PINNED",
                evidence,
                container=name,
                detail=f"image named by tag; the {level} level must pin a digest",
            )


def check(host_audit: Any) -> None:
    shared_networks(host_audit)
    trust_ceilings(host_audit)
    image_sources_rules(host_audit)


def effective_specs(host_audit: Any) -> list[workload_spec.WorkloadSpec]:
    """The workloads as the deployment makes them (limits per trust level, a network per trust
    group), so the drift check compares the host with what a deployment would create. Bad
    settings are WC-INV-REFUSED (trust_ceilings, image_sources_rules) and leave them as given."""
    specs = list(host_audit.specs)
    if host_audit.policy_host is None:
        return specs
    hostvars = host_audit.hostvars
    machine = host_audit.info.get("machine") or {}
    processors = machine.get("group_processors") or machine.get("logical_processors")
    try:
        specs, _reasons, _problems = workload_trust.apply(
            specs,
            hostvars.get(trust_limits.VARIABLE),
            hostvars.get(image_sources.VARIABLE),
            host_audit.host,
            processors,
        )
        return network_plan.assign(
            specs,
            hostvars,
            host_audit.policy_host.get("trust_boundary", ""),
            host_audit.build,
            host_audit.host,
            existing=host_audit.info.get("networks"),
        ).specs
    except workload_spec.WorkloadSpecError:
        return list(host_audit.specs)
