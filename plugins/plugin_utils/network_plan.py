# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A network per trust group (``wincontainers_network_separation``, default true).

Windows Server containers allow all traffic between containers on one network by default
(Microsoft, container-networking/network-isolation-security.md), and NAT traffic is steered
by HNS/VFP, not by the host firewall (microsoft/Windows-Containers#617). So the containers of
different trust groups (trust boundary and trust level) must not share a network:

* the host owner's trusted workloads keep the network they name (docker's default ``nat``);
* every other group gets a NAT network of its own, ``tbwc-<boundary>-<level>-<hash>``
  (network_name), with a /24 from the address pool (``wincontainers_network_pool``,
  default ``172.30.0.0/16``): a network that exists keeps its subnet (the host's
  ``networks`` facts; ``ensure_network`` keeps an existing network whatever its subnet); a
  missing one takes the /24 drawn from the SHA-256 of the pool and its name, or, when that
  /24 overlaps a network on the host (any network, the collection's or not) or one planned
  before it, the next free /24 of the pool in a probe sequence from the same hash, so it is
  the same on every run with the same networks; only a pool with no free /24 is refused
  (``network-pool-exhausted``);
* a network the inventory names itself (not ``nat``, ``none``, ``container:<x>`` or the
  collection's own) must exist on the host: user NAT networks are lost at a reboot of
  Server 2019 and later, and the collection does not know how to make another's network,
  so a missing one is refused before any change (``network-missing``);
* a hostile workload that publishes no port and names no network gets ``none``;
* a workload naming a network another group uses is refused (``network-shared-across-trust``),
  and so is ``container:<name>`` (that container's network namespace, so all its networks)
  unless ``<name>`` is a workload of this deployment in the same trust group.

Windows facts this follows (docs/security.md): ``docker network create --internal`` is not
supported on Windows (Microsoft, container-networking/architecture.md, "Unsupported features
and network options"), so an isolated network is not available and none is asked for; NAT
container-to-container traffic across subnets is "Not supported (only one NAT internal
prefix)" (network-drivers-topologies.md), which is what separates the groups, though whether
two NAT networks on one host can reach each other is not documented; Windows Server 2016 has
one NAT network only (multiple NAT networks need the Windows 10 Creators Update, same page;
moby/moby#29207: a second one fails "HNS failed with error : Unspecified error"), so there a
group that needs its own network is refused (``network-separation-unsupported-2016``); NAT
networks created on Windows Server 2019 and later are not persisted across a reboot (same
page), so container_plan ensures a group's network exists before its workload is created or
started (dockerd 20.10.18 and 23.0 on re-create them at start too: moby
daemon/daemon_windows.go, "non-default nat networks should be re-created").
"""

from __future__ import annotations

import dataclasses
import hashlib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    inputs,
    trust_policy,
    workload_spec,
)

SEPARATION_VARIABLE = "wincontainers_network_separation"
POOL_VARIABLE = "wincontainers_network_pool"
DEFAULT_POOL = "172.30.0.0/16"
PREFIX = "tbwc-"
DEFAULT_NETWORK = "nat"
NONE = "none"
CONTAINER_MODE = "container:"
SERVER_2016_BUILD = 14393
RULE_SHARED = "network-shared-across-trust"
RULE_2016 = "network-separation-unsupported-2016"
RULE_BAD = "bad-network-settings"
RULE_EXHAUSTED = "network-pool-exhausted"
RULE_MISSING = "network-missing"
REASON_RULE = "network"
SLUG_LENGTH = 32
_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


@dataclasses.dataclass(frozen=True)
class Networks:
    """The outcome for a host: workloads with their networks, the networks to ensure
    (name -> subnet), a reason per workload and the refusals."""

    specs: list[workload_spec.WorkloadSpec]
    ensure: dict[str, str]
    reasons: dict[str, list[str]]
    problems: list[workload_spec.SpecProblem]


def group_of(spec: workload_spec.WorkloadSpec, host_boundary: str) -> tuple[str, str]:
    return (spec.trust_boundary or host_boundary, spec.trust_level or trust_policy.TRUSTED)


def network_name(group: tuple[str, str]) -> str:
    """``tbwc-<slug>-<level>-<hash>``: one name per group. The slug (lower case, at most 32
    characters) is for people; the first 8 hex digits of the SHA-256 of the exact boundary
    keep boundaries that slug alike ('Tenant A', 'tenant-a', non-ASCII names) apart. At most
    56 characters: no Windows limit is documented, and moby/moby#37971 reports names longer
    than 64 characters breaking container networking, so the name stays below that."""
    boundary, level = group
    slug = _UNSAFE.sub("-", boundary.lower())[:SLUG_LENGTH].strip("-.") or "boundary"
    digest = hashlib.sha256(boundary.encode("utf-8")).hexdigest()[:8]
    return f"{PREFIX}{slug}-{level}-{digest}"


def _pool(value: object, host: str | None) -> ipaddress.IPv4Network:
    text = DEFAULT_POOL if value is None else value
    try:
        pool = ipaddress.ip_network(str(text), strict=True)
    except ValueError as exc:
        raise _bad(host, POOL_VARIABLE, f"{text!r} is not an IPv4 network ({exc})") from None
    if not isinstance(pool, ipaddress.IPv4Network) or pool.prefixlen > 24:
        raise _bad(host, POOL_VARIABLE, f"{text!r} must be an IPv4 network of /24 or larger")
    return pool


def _bad(host: str | None, variable: str, detail: str) -> workload_spec.WorkloadSpecError:
    return workload_spec.WorkloadSpecError(
        [workload_spec.SpecProblem(host, f"(all, {variable})", RULE_BAD, variable, detail)]
    )


def subnet_index(name: str, pool: ipaddress.IPv4Network) -> int:
    """The first /24 of the pool a network tries: from the SHA-256 of the pool and the name
    only, so it does not depend on which other groups exist."""
    count = 2 ** (24 - pool.prefixlen)
    digest = hashlib.sha256(f"{pool}|{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def _probe_step(name: str, pool: ipaddress.IPv4Network) -> int:
    """The step of a network's probe sequence: odd, so with a power-of-two count of /24s the
    sequence visits every /24 of the pool once (double hashing from the same digest)."""
    count = 2 ** (24 - pool.prefixlen)
    digest = hashlib.sha256(f"{pool}|{name}".encode()).digest()
    return (int.from_bytes(digest[8:16], "big") | 1) % count or 1


def _existing_subnets(existing: list[Mapping[str, Any]]) -> dict[str, list[ipaddress.IPv4Network]]:
    """The IPv4 subnets of each network on the host (facts ``networks``), by name."""
    out: dict[str, list[ipaddress.IPv4Network]] = {}
    for network in existing:
        if not isinstance(network, Mapping):
            continue
        nets = out.setdefault(str(network.get("name") or ""), [])
        for text in network.get("subnets") or []:
            try:
                subnet = ipaddress.ip_network(str(text), strict=False)
            except ValueError:
                continue
            if isinstance(subnet, ipaddress.IPv4Network):
                nets.append(subnet)
    return out


def subnets(
    names: list[str],
    pool: ipaddress.IPv4Network,
    existing: list[Mapping[str, Any]] | None = None,
) -> dict[str, str]:
    """A /24 of the pool per name. A name already on the host keeps its subnet; the others,
    in name order, take the first /24 of their probe sequence (subnet_index, then steps of
    _probe_step) that overlaps no network on the host and no subnet chosen before. Raises
    PoolExhausted when a name finds none."""
    on_host = _existing_subnets(list(existing or []))
    taken = [subnet for nets in on_host.values() for subnet in nets]
    chosen: dict[str, str] = {}
    for name in sorted(names):
        if on_host.get(name):
            chosen[name] = str(on_host[name][0])
    count = 2 ** (24 - pool.prefixlen)
    for name in sorted(n for n in names if n not in chosen):
        index, step = subnet_index(name, pool), _probe_step(name, pool)
        for _attempt in range(count):
            block = _block(pool, index)
            if not any(block.overlaps(other) for other in taken):
                break
            index = (index + step) % count
        else:
            raise PoolExhausted(name, pool, count)
        taken.append(block)
        chosen[name] = str(block)
    return dict(sorted(chosen.items()))


def _block(pool: ipaddress.IPv4Network, index: int) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network((int(pool.network_address) + (index << 8), 24))


class PoolExhausted(ValueError):
    def __init__(self, name: str, pool: ipaddress.IPv4Network, count: int) -> None:
        self.name, self.pool = name, pool
        super().__init__(
            f"network {name} finds no free /24 in {pool}: all {count} overlap networks on the"
            f" host or of other trust groups; set a larger {POOL_VARIABLE} for this host, or"
            " remove networks nothing uses"
        )


def _namespace_problem(
    spec: workload_spec.WorkloadSpec,
    network: str,
    group: tuple[str, str],
    groups: Mapping[str, tuple[str, str]],
    host: str | None,
) -> workload_spec.SpecProblem | None:
    """``container:<name>`` joins that container's network namespace, so it shares every
    network the container is on: refused unless the container is a workload of this
    deployment in the same trust group (a container outside the deployment has no known
    trust group)."""
    target = network[len(CONTAINER_MODE) :]
    other = groups.get(target)
    if other == group:
        return None
    if other is None:
        detail = (
            f"network {network!r} shares the network namespace of container {target!r}, which"
            " is not a workload of this deployment, so its trust group is unknown; this"
            f" workload is boundary {group[0]!r}, level {group[1]!r}, and different trust"
            f" groups never share a network ({SEPARATION_VARIABLE}); name a workload of the"
            " same trust group, or leave networks unset to get a network of its own"
        )
    else:
        detail = (
            f"network {network!r} shares the network namespace of workload {target!r}, trust"
            f" boundary {other[0]!r}, level {other[1]!r}; this workload is boundary"
            f" {group[0]!r}, level {group[1]!r}, and different trust groups never share a"
            f" network ({SEPARATION_VARIABLE}); name a workload of the same trust group, or"
            " leave networks unset to get a network of its own"
        )
    return workload_spec.SpecProblem(host, repr(spec.name), RULE_SHARED, "networks", detail)


def assign(
    specs: list[workload_spec.WorkloadSpec],
    hostvars: Mapping[str, Any],
    host_boundary: str,
    os_build: int | None,
    host: str | None,
    *,
    existing: list[Mapping[str, Any]] | None = None,
) -> Networks:
    """Each workload's networks under the separation rule, before anything changes.

    ``existing``: the host's networks (facts ``networks``: name, id, driver, subnets); None
    when the read does not report them (no allocation around them, no missing-network
    check)."""
    try:
        separation = inputs.optional_bool(
            hostvars.get(SEPARATION_VARIABLE), SEPARATION_VARIABLE, True
        )
    except inputs.InputTypeError as exc:
        raise _bad(host, SEPARATION_VARIABLE, str(exc)) from None
    pool = _pool(hostvars.get(POOL_VARIABLE), host)
    if not separation:
        present = [s for s in specs if s.state != "absent"]
        wanted = {s.name: list(s.networks) for s in present}
        problems = _missing(present, wanted, existing, host) if existing is not None else []
        return Networks(list(specs), {}, {}, problems)

    home = (host_boundary, trust_policy.TRUSTED)
    present = [s for s in specs if s.state != "absent"]
    # network name -> the group that uses it; docker's default belongs to the host owner.
    own: dict[str, tuple[str, str]] = {DEFAULT_NETWORK: home}
    wanted: dict[str, list[str]] = {}
    reasons: dict[str, list[str]] = {}
    problems: list[workload_spec.SpecProblem] = []
    # workload name -> its trust group, for "container:<name>" (the network namespace of
    # another container: every network it is on, so it must be of the same group).
    groups = {spec.name: group_of(spec, host_boundary) for spec in present}
    for spec in present:
        group = group_of(spec, host_boundary)
        why = reasons.setdefault(spec.name, [])
        if spec.networks:
            wanted[spec.name] = list(spec.networks)
        elif group == home:
            wanted[spec.name] = []
            why.append(f"[{REASON_RULE}] the host owner's trusted code: docker's default network")
        elif group[1] == trust_policy.HOSTILE and not spec.ports:
            wanted[spec.name] = [NONE]
            why.append(
                f"[{REASON_RULE}] hostile code that publishes no port and names no network:"
                " no network at all (--network none)"
            )
        else:
            name = network_name(group)
            wanted[spec.name] = [name]
            why.append(
                f"[{REASON_RULE}] own NAT network {name} for trust boundary {group[0]!r},"
                f" level {group[1]!r} ({SEPARATION_VARIABLE}): no other group shares it"
            )
        for network in wanted[spec.name] or [DEFAULT_NETWORK]:
            if network.startswith(CONTAINER_MODE):
                problem = _namespace_problem(spec, network, group, groups, host)
                if problem is not None:
                    problems.append(problem)
                continue
            if network == NONE:
                continue
            owner = own.setdefault(network, group)
            if owner != group:
                problems.append(
                    workload_spec.SpecProblem(
                        host,
                        repr(spec.name),
                        RULE_SHARED,
                        "networks",
                        f"network {network!r} is used by trust boundary {owner[0]!r}, level"
                        f" {owner[1]!r}; this workload is boundary {group[0]!r}, level"
                        f" {group[1]!r}, and different trust groups never share a network"
                        f" ({SEPARATION_VARIABLE}); name a network of its own, or leave"
                        " networks unset to get one",
                    )
                )

    managed = sorted({n for names in wanted.values() for n in names if n.startswith(PREFIX)})
    if managed and os_build == SERVER_2016_BUILD:
        for spec in present:
            needs = [n for n in wanted.get(spec.name, []) if n in managed]
            if needs and not spec.networks:
                problems.append(
                    workload_spec.SpecProblem(
                        host,
                        repr(spec.name),
                        RULE_2016,
                        "networks",
                        "Windows Server 2016 has one NAT network only (Microsoft,"
                        " network-drivers-topologies.md), so this trust group cannot get a"
                        " network of its own; give it networks: [none] if it needs no network,"
                        f" or set {SEPARATION_VARIABLE}: false to accept sharing 'nat'",
                    )
                )
        managed = []
    if existing is not None:
        problems.extend(_missing(present, wanted, existing, host))
    try:
        ensure = subnets(managed, pool, existing)
    except PoolExhausted as exc:
        raise workload_spec.WorkloadSpecError(
            [
                workload_spec.SpecProblem(
                    host, f"(all, {POOL_VARIABLE})", RULE_EXHAUSTED, POOL_VARIABLE, str(exc)
                )
            ]
        ) from None
    on_host = {str(n.get("name")) for n in existing or [] if isinstance(n, Mapping)}
    for name, subnet in ensure.items():
        why = f"[{REASON_RULE}] {name} has subnet {subnet}"
        hashed = str(_block(pool, subnet_index(name, pool)))
        if name in on_host:
            why += " (the network on the host keeps its subnet)"
        elif subnet != hashed:
            why += (
                f" (the /24 its name draws, {hashed}, overlaps a network on the host or of"
                " another trust group: the next free /24 of its probe sequence)"
            )
        for spec in present:
            if name in wanted.get(spec.name, []):
                reasons[spec.name].append(why)
    out = [
        dataclasses.replace(spec, networks=wanted[spec.name]) if spec.name in wanted else spec
        for spec in specs
    ]
    return Networks(out, ensure, reasons, problems)


def _missing(
    present: list[workload_spec.WorkloadSpec],
    wanted: Mapping[str, list[str]],
    existing: list[Mapping[str, Any]],
    host: str | None,
) -> list[workload_spec.SpecProblem]:
    """A network the inventory names that is not on the host: refused before any change.
    Windows Server 2019 and later lose user NAT networks at a reboot (Microsoft,
    network-drivers-topologies.md) and dockerd re-creates only its own (20.10.18 and 23.0
    on, moby daemon/daemon_windows.go); the collection makes only its own trust groups'
    networks, as it does not know the driver, subnet or adapter another one needs."""
    names = {str(n.get("name")) for n in existing if isinstance(n, Mapping)}
    problems = []
    for spec in present:
        for network in wanted.get(spec.name, []):
            if (
                network in names
                or network in (DEFAULT_NETWORK, NONE)
                or network.startswith((PREFIX, CONTAINER_MODE))
            ):
                continue
            problems.append(
                workload_spec.SpecProblem(
                    host,
                    repr(spec.name),
                    RULE_MISSING,
                    "networks",
                    f"network {network!r} is not on host {host!r} (docker network ls); user NAT"
                    " networks do not survive a reboot of Windows Server 2019 and later, and"
                    " the collection makes only its own trust groups' networks; create it"
                    f" again on {host} (docker network create ... {network}), or leave this"
                    " workload's networks unset to get a network of its own trust group",
                )
            )
    return problems
