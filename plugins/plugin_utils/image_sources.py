# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where each trust level's images may come from (``wincontainers_trust_registries``).

Per trust level: ``registries``, the registries (``host[:port]``, optionally with a path
prefix such as ``registry.acme.example:5000/tenants``) its images may be pulled from, and
``require_digest``, whether its images must be pinned by digest (``name@sha256:...``), so a
tag moved in the registry cannot bring other code in. A level the variable does not name is
not restricted. Refusals name the host, the workload, the registry and the rule, before any
change. Registry names are read as docker reads a reference (``nginx`` is ``docker.io``;
trust_policy.split_docker_domain).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    inputs,
    trust_policy,
    workload_spec,
)

VARIABLE = "wincontainers_trust_registries"
RULE_REGISTRY = "registry-not-allowed"
RULE_DIGEST = "digest-required"
RULE_BAD = "bad-trust-registries"
REASON_RULE = "image-source"
_FIELDS = frozenset({"registries", "require_digest"})


@dataclasses.dataclass(frozen=True)
class Source:
    """One trust level's rule: allowed registry prefixes (None: any) and digest pinning."""

    registries: tuple[str, ...] | None = None
    require_digest: bool = False


def _normalise_prefix(text: str) -> str:
    domain, sep, path = text.strip().rstrip("/").partition("/")
    domain = domain.lower()
    if domain == "index.docker.io":
        domain = "docker.io"
    return f"{domain}{sep}{path}"


def image_location(ref: str) -> tuple[str, str]:
    """``(registry, registry/path)`` of an image reference, as docker resolves it."""
    domain, remote = trust_policy.split_docker_domain(ref.partition("@")[0])
    domain = domain.lower()
    repository = remote.rpartition(":")[0] if ":" in remote.rpartition("/")[2] else remote
    return domain, f"{domain}/{repository}"


def is_pinned(ref: str) -> bool:
    return "@sha256:" in ref


def read_sources(value: object, host: str | None) -> dict[str, Source]:
    """The rule of each trust level the variable names; raises WorkloadSpecError naming it."""
    if value is None:
        return {}
    label = f"(all, {VARIABLE})"
    try:
        given = inputs.to_mapping(value, VARIABLE)
    except inputs.InputTypeError as exc:
        raise workload_spec.WorkloadSpecError(
            [workload_spec.SpecProblem(host, label, RULE_BAD, VARIABLE, str(exc))]
        ) from None
    problems: list[workload_spec.SpecProblem] = []
    sources: dict[str, Source] = {}
    for level, entry in given.items():
        where = f"{VARIABLE}.{level}"
        if level not in trust_policy.TRUST_LEVELS:
            detail = f"{level!r} is not a trust level ({', '.join(trust_policy.TRUST_LEVELS)})"
        elif not isinstance(entry, Mapping):
            detail = (
                f"must be a mapping of registries, require_digest; got {inputs.describe(entry)}"
            )
        elif unknown := sorted(str(key) for key in entry if key not in _FIELDS):
            detail = f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_FIELDS))}"
        else:
            detail = ""
        if detail:
            problems.append(workload_spec.SpecProblem(host, label, RULE_BAD, where, detail))
            continue
        registries = entry.get("registries")
        try:
            listed = (
                None if registries is None else inputs.to_list(registries, f"{where}.registries")
            )
            pinned = inputs.optional_bool(
                entry.get("require_digest"), f"{where}.require_digest", False
            )
        except inputs.InputTypeError as exc:
            problems.append(workload_spec.SpecProblem(host, label, RULE_BAD, where, str(exc)))
            continue
        if listed is not None and not all(
            isinstance(item, str) and item.strip() for item in listed
        ):
            problems.append(
                workload_spec.SpecProblem(
                    host, label, RULE_BAD, f"{where}.registries", "must be a list of registry names"
                )
            )
            continue
        sources[level] = Source(
            None if listed is None else tuple(_normalise_prefix(item) for item in listed), pinned
        )
    if problems:
        raise workload_spec.WorkloadSpecError(problems)
    return sources


def _allowed(location: tuple[str, str], prefixes: tuple[str, ...]) -> bool:
    registry, repository = location
    return any(
        prefix in (registry, repository) or repository.startswith(prefix + "/")
        for prefix in prefixes
    )


def check(
    specs: list[workload_spec.WorkloadSpec], sources: Mapping[str, Source], host: str | None
) -> tuple[dict[str, list[str]], list[workload_spec.SpecProblem]]:
    """(reasons by workload name, refusals) for every workload that is not absent."""
    reasons: dict[str, list[str]] = {}
    problems: list[workload_spec.SpecProblem] = []
    for spec in specs:
        level = spec.trust_level or trust_policy.TRUSTED
        source = sources.get(level)
        if spec.state == "absent" or source is None:
            continue
        registry, repository = location = image_location(spec.image)
        why: list[str] = []
        if source.registries is not None:
            if not _allowed(location, source.registries):
                listed = ", ".join(source.registries) or "none"
                problems.append(
                    workload_spec.SpecProblem(
                        host,
                        repr(spec.name),
                        RULE_REGISTRY,
                        "image",
                        f"image {spec.image!r} comes from registry {registry!r}, which is not"
                        f" in the {level} level's list ({VARIABLE}.{level}.registries: {listed})",
                    )
                )
                continue
            why.append(f"registry {registry} is in the {level} level's list ({VARIABLE})")
        if source.require_digest:
            if not is_pinned(spec.image):
                problems.append(
                    workload_spec.SpecProblem(
                        host,
                        repr(spec.name),
                        RULE_DIGEST,
                        "image",
                        f"image {spec.image!r} from registry {registry!r} is named by tag, but"
                        f" the {level} level must pin a digest ({VARIABLE}.{level}.require_digest);"
                        f" use {repository}@sha256:<digest>",
                    )
                )
                continue
            why.append(f"pinned by digest, as the {level} level requires ({VARIABLE})")
        reasons[spec.name] = [f"[{REASON_RULE}] {text}" for text in why]
    return reasons, problems


def pinned_workloads(workloads: object, host: str | None) -> list[dict[str, str]]:
    """``{workload, image}`` of each workload (not absent) whose image is pinned by digest:
    a base image refresh never moves them (patch_steps.pull_steps skips them)."""
    return [
        {"workload": spec.name, "image": spec.image}
        for spec in workload_spec.normalise_workloads(workloads, host=host)
        if spec.state != "absent" and is_pinned(spec.image)
    ]
