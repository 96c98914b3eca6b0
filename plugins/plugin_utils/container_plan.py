# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired containers vs the containers a host runs -> an ordered list of steps.

The steps are carried out by the ``container_steps`` module, which runs them
in order and, when one fails, runs that step's ``on_failure`` steps. All the
ordering and every rollback are decided here.

Replacement keeps the workload: the new container is created under a
temporary name, started and checked before the old one goes. When the
workload publishes fixed host ports the old container has to stop first (a
host port can only be bound once), and is started again if the new one fails.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    trust_policy,
    workload_spec,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.redaction import MASK
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.workload_spec import (
    RESERVED_NAME_SUFFIX,
    WorkloadSpec,
)

LABEL_PREFIX = "trustbound.wincontainers."
LABEL_MANAGED = LABEL_PREFIX + "managed"
LABEL_OWNER = LABEL_PREFIX + "owner"
LABEL_WORKLOAD = LABEL_PREFIX + "workload"
LABEL_TRUST_BOUNDARY = LABEL_PREFIX + "trust_boundary"
LABEL_TRUST_LEVEL = LABEL_PREFIX + "trust_level"
LABEL_ISOLATION = LABEL_PREFIX + "isolation"
LABEL_CONFIG_HASH = LABEL_PREFIX + "config_hash"
TEMP_SUFFIX = RESERVED_NAME_SUFFIX

ENFORCE = "enforce"
REPORT = "report"

# Workload actions (Plan.workloads[].action).
CREATE = "create"
REPLACE = "replace"
START = "start"
STOP = "stop"
REMOVE = "remove"
RECOVER = "recover"
PURGE = "purge"
REPORTED = "report"
NONE = "none"


@dataclass
class Desired:
    """A workload as it must run: its spec, the policy's decision, and the local image id."""

    spec: WorkloadSpec
    isolation: str = ""
    user: str = ""
    trust_boundary: str = ""
    trust_level: str = ""
    image_id: str | None = None
    decision: dict[str, Any] = field(default_factory=dict)
    # The per-host config hash key (host_hash_key); None: secret values are not covered.
    hash_key: bytes | None = None

    @property
    def name(self) -> str:
        return self.spec.name

    def config_hash(self) -> str:
        """Covers everything that needs a new container. Secret values only under the host's
        key: ``v2-hmac-sha256:`` (HMAC-SHA256 keyed per host, secret values included) or, with
        no key, ``v2-sha256:`` over the rest and the secret variables' names. Never an unkeyed
        digest of a secret: the label is stored on the host and shown by container_host_info,
        and a fast digest of a weak secret is brute-forced in a blink."""
        spec = self.spec
        config = {
            "image": spec.image,
            "isolation": self.isolation,
            "user": self.user,
            "command": spec.command,
            "entrypoint": spec.entrypoint,
            "env": spec.env,
            # Sorted: their order means nothing to docker, so reordering them in the inventory
            # is no change. The networks' order is (the first is given at create).
            "ports": sorted(port.render() for port in spec.ports),
            "mounts": sorted(mount.render() for mount in spec.mounts),
            "networks": spec.networks,
            "restart_policy": spec.restart_policy,
            "memory_bytes": spec.memory_bytes,
            "cpus": spec.cpus,
            "labels": spec.labels,
        }
        if spec.storage_bytes:
            # Only when set: the hash of a container without one stays as it was before
            # storage sizes existed, so upgrading replaces no such container.
            config["storage_bytes"] = spec.storage_bytes
        if self.hash_key is None:
            config["secret_env_names"] = sorted(spec.secret_env)
            canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
            return "v2-sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        config["secret_env"] = spec.secret_env
        canonical = json.dumps(config, sort_keys=True, separators=(",", ":"))
        digest = hmac.new(self.hash_key, canonical.encode("utf-8"), hashlib.sha256)
        return "v2-hmac-sha256:" + digest.hexdigest()

    def managed_labels(self, owner: str) -> dict[str, str]:
        return {
            LABEL_MANAGED: "true",
            LABEL_OWNER: owner,
            LABEL_WORKLOAD: self.name,
            LABEL_TRUST_BOUNDARY: self.trust_boundary,
            LABEL_TRUST_LEVEL: self.trust_level,
            LABEL_ISOLATION: self.isolation,
            LABEL_CONFIG_HASH: self.config_hash(),
        }

    def labels(self, owner: str) -> dict[str, str]:
        return {**self.spec.labels, **self.managed_labels(owner)}


@dataclass
class Plan:
    steps: list[dict[str, Any]] = field(default_factory=list)
    workloads: list[dict[str, Any]] = field(default_factory=list)
    noncompliant: list[dict[str, Any]] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    diffs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.steps)


def host_hash_key(master_key: str, host: str) -> bytes:
    """The config hash key of one host: HMAC-SHA256 of the host's name under the site's secret
    ``config_hash_key`` (kept in a vault or an AWX credential), so no two hosts share a key and
    the master key never leaves the controller."""
    message = f"trustbound.wincontainers config_hash\0{host}".encode()
    return hmac.new(master_key.encode("utf-8"), message, hashlib.sha256).digest()


def secret_key(workload: str, variable: str) -> str:
    return f"{workload}/{variable}"


def is_managed(container: Mapping[str, Any]) -> bool:
    return (container.get("labels") or {}).get(LABEL_MANAGED) == "true"


def _running(container: Mapping[str, Any]) -> bool:
    return bool(container.get("running")) or container.get("state") == "running"


def _is_admin(user: str | None) -> bool:
    # An empty user means the image's default; container_host_info resolves it when it can.
    return bool(user) and trust_policy.is_admin_user(user)


def differences(desired: Desired, container: Mapping[str, Any], owner: str) -> list[str]:
    """What differs between a running container and its desired form, in the spirit of
    community.docker's docker_container: image (id when known), isolation, user, the
    collection's labels (strict) and user labels (more may be present: images add their
    own), and the config hash covering the rest."""
    found: list[str] = []
    if desired.image_id:
        if container.get("image_id") != desired.image_id:
            found.append("image")
    elif container.get("image") != desired.spec.image:
        found.append("image")
    if container.get("isolation") != desired.isolation:
        found.append("isolation")
    if (container.get("user") or "").casefold() != desired.user.casefold():
        found.append("user")
    labels = container.get("labels") or {}
    for key, value in desired.labels(owner).items():
        if labels.get(key) != value:
            found.append(f"label {key}")
    return found


def _create_step(desired: Desired, name: str, owner: str) -> dict[str, Any]:
    spec = desired.spec
    env: dict[str, Any] = dict(spec.env)
    for variable in spec.secret_env:
        env[variable] = {"secret": secret_key(spec.name, variable)}
    entrypoint = spec.entrypoint[0] if spec.entrypoint else None
    # docker's --entrypoint takes one executable; its other words go before the command.
    command = spec.entrypoint[1:] + spec.command
    step: dict[str, Any] = {
        "action": "create",
        "name": name,
        "workload": spec.name,
        "image": spec.image,
        "isolation": desired.isolation,
        "user": desired.user,
        "command": command,
        "env": env,
        "ports": [port.render() for port in spec.ports],
        "mounts": [mount.render() for mount in spec.mounts],
        "networks": list(spec.networks),
        "restart_policy": spec.restart_policy,
        # A string: Ansible.Basic's int is 32-bit, too small for byte counts over 2 GiB.
        "memory_bytes": str(spec.memory_bytes),
        "cpus": spec.cpus,
        "labels": desired.labels(owner),
    }
    if spec.storage_bytes:
        # docker create --storage-opt size=<bytes> (a string, as memory_bytes).
        step["storage_bytes"] = str(spec.storage_bytes)
    if entrypoint is not None:
        step["entrypoint"] = entrypoint
    return step


def _step(action: str, name: str, workload: str, **fields: Any) -> dict[str, Any]:
    return {"action": action, "name": name, "workload": workload, **fields}


def _new_container_steps(desired: Desired, owner: str, start_timeout: int) -> list[dict[str, Any]]:
    name = desired.name
    steps = [_create_step(desired, name, owner)]
    if desired.spec.state == "started":
        discard = [_step("remove", name, name, force=True)]
        steps += [
            _step("start", name, name, on_failure=discard),
            _step("wait_running", name, name, timeout=start_timeout, on_failure=discard),
        ]
    return steps


def _replacement_steps(
    desired: Desired, container: Mapping[str, Any], owner: str, start_timeout: int
) -> list[dict[str, Any]]:
    name = desired.name
    temp = name + TEMP_SUFFIX
    stop_timeout = desired.spec.stop_timeout
    old_running = _running(container)
    discard = [_step("remove", temp, name, force=True)]
    # Starting a running container succeeds without effect, so a failed stop (which may have
    # stopped it all the same: a Windows HCS timeout) restarts the old one either way.
    restore = [*discard, _step("start", name, name)]
    stop_old = _step("stop", name, name, timeout=stop_timeout, on_failure=restore)
    steps = [_create_step(desired, temp, owner)]

    if desired.spec.state != "started":
        if old_running:
            steps.append(stop_old)
    elif old_running and desired.spec.holds_host_ports:
        # The new container cannot bind the host ports the old one holds: stop the old one
        # first, and start it again when the new one does not come up.
        steps += [
            stop_old,
            _step("start", temp, name, on_failure=restore),
            _step("wait_running", temp, name, timeout=start_timeout, on_failure=restore),
        ]
    else:
        steps += [
            _step("start", temp, name, on_failure=discard),
            _step("wait_running", temp, name, timeout=start_timeout, on_failure=discard),
        ]
        if old_running:
            steps.append(stop_old)

    restore_old = restore if old_running else discard
    steps += [
        _step("remove", name, name, on_failure=restore_old),
        _step("rename", temp, name, new_name=name),
    ]
    return steps


def _removal_steps(
    container: Mapping[str, Any], workload: str, stop_timeout: int = 10
) -> list[dict[str, Any]]:
    name = container["name"]
    steps = []
    if _running(container):
        steps.append(_step("stop", name, workload, timeout=stop_timeout))
    steps.append(_step("remove", name, workload, force=True))
    return steps


def _shown_labels(labels: Mapping[str, Any]) -> dict[str, Any]:
    """Labels for display: the config hash covers secret values, so it is masked. A fast
    hash of a weak secret can be brute-forced by whoever reads a job log, engine access
    or not; the host keeps the real value."""
    shown = dict(sorted(labels.items()))
    if LABEL_CONFIG_HASH in shown:
        shown[LABEL_CONFIG_HASH] = MASK
    return shown


def _summary_of_container(container: Mapping[str, Any] | None) -> dict[str, Any]:
    if container is None:
        return {"state": "absent"}
    return {
        "image": container.get("image"),
        "image_id": container.get("image_id"),
        "isolation": container.get("isolation"),
        "user": container.get("user"),
        "state": container.get("state"),
        "command": container.get("command") or [],
        "entrypoint": container.get("entrypoint") or [],
        "env_names": sorted(container.get("env_names") or []),
        "ports": sorted(container.get("ports") or []),
        # moby lower-cases Windows mount specs (volume/mounts/windows_parser.go): both
        # sides are shown case-folded, so a diff never shows a change that is only case.
        "mounts": sorted(str(m).casefold() for m in container.get("mounts") or []),
        "networks": container.get("networks") or [],
        "restart_policy": container.get("restart_policy"),
        "memory_bytes": container.get("memory_bytes") or 0,
        "cpus": container.get("cpus") or 0,
        **_storage_shown(workload_spec.docker_size_bytes(container.get("storage_size"))),
        "labels": _shown_labels(container.get("labels") or {}),
    }


def _storage_shown(number: int) -> dict[str, int]:
    """The storage size in a diff only where one is set, so a diff of containers without
    one is as before."""
    return {"storage_bytes": number} if number else {}


def _summary_of_desired(desired: Desired, owner: str) -> dict[str, Any]:
    spec = desired.spec
    if spec.state == "absent":
        return {"state": "absent"}
    return {
        "image": spec.image,
        "image_id": desired.image_id,
        "isolation": desired.isolation,
        "user": desired.user,
        "state": "running" if spec.state == "started" else "stopped",
        "command": spec.entrypoint[1:] + spec.command,
        "entrypoint": spec.entrypoint[:1],
        # Names only, as for the running container: values may be secrets.
        "env_names": sorted([*spec.env, *spec.secret_env]),
        "ports": sorted(port.render() for port in spec.ports),
        "mounts": sorted(mount.render().casefold() for mount in spec.mounts),
        "networks": list(spec.networks),
        "restart_policy": spec.restart_policy,
        "memory_bytes": spec.memory_bytes,
        "cpus": spec.cpus,
        **_storage_shown(spec.storage_bytes),
        "labels": _shown_labels(desired.labels(owner)),
    }


def _diff(name: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        # The container's own state: "absent" when there is none yet, not "running".
        "before_header": f"container {name} ({before.get('state') or 'on the host'})",
        "after_header": f"container {name} (inventory)",
        "before": before,
        "after": after,
    }


def _noncompliant_entry(container: Mapping[str, Any], reason: str) -> dict[str, Any]:
    return {
        "name": container.get("name"),
        "user": container.get("user"),
        "managed": is_managed(container),
        "reason": reason,
    }


_RECOVERED = "left under its temporary name by an interrupted replacement"


def _is_leftover(container: Mapping[str, Any], workload: str, owner: str) -> bool:
    """This owner's temporary container of ``workload`` (its labels say so), nobody else's."""
    labels = container.get("labels") or {}
    return (
        is_managed(container)
        and labels.get(LABEL_OWNER) == owner
        and labels.get(LABEL_WORKLOAD) == workload
    )


def plan(
    desired: Iterable[Desired],
    actual: Iterable[Mapping[str, Any]],
    *,
    owner: str,
    purge: bool = False,
    enforcement: str = ENFORCE,
    allow_admin: bool = False,
    start_timeout: int = 10,
    networks: Mapping[str, str] | None = None,
) -> Plan:
    """Compare and order. Removals first (they free names and ports), then each workload
    in inventory order.

    ``networks`` (name -> subnet, network_plan): networks the collection makes; one
    ``ensure_network`` step comes before the first workload that is created or started on
    it (Windows Server 2019 and later do not keep user NAT networks across a reboot)."""
    desired = list(desired)
    ensured: set[str] = set()
    containers = {c["name"]: c for c in actual if c.get("name")}
    wanted = {d.name for d in desired}
    result = Plan()
    removals: list[dict[str, Any]] = []
    per_workload: list[dict[str, Any]] = []

    def admin_finding(container: Mapping[str, Any]) -> bool:
        return not allow_admin and _running(container) and _is_admin(container.get("user"))

    if purge:
        for container in containers.values():
            name = container["name"]
            labels = container.get("labels") or {}
            if not is_managed(container) or labels.get(LABEL_OWNER) != owner:
                continue
            base = name[: -len(TEMP_SUFFIX)] if name.endswith(TEMP_SUFFIX) else name
            if name in wanted or base in wanted:
                continue
            removals += _removal_steps(container, name)
            result.workloads.append(
                {"name": name, "action": PURGE, "changes": ["not in inventory"]}
            )
            result.diffs.append(_diff(name, _summary_of_container(container), {"state": "absent"}))

    for container in containers.values():
        if container["name"] in wanted or not admin_finding(container):
            continue
        if (
            purge
            and is_managed(container)
            and container.get("labels", {}).get(LABEL_OWNER) == owner
        ):
            continue  # purged above
        result.noncompliant.append(
            _noncompliant_entry(
                container,
                "runs as an administrator account and is not in the inventory, so it cannot be"
                " replaced; remove it or declare it as a workload",
            )
        )

    for item in desired:
        spec = item.spec
        container = containers.get(spec.name)
        temp = containers.get(spec.name + TEMP_SUFFIX)
        entry: dict[str, Any] = {"name": spec.name, "decision": item.decision}
        steps: list[dict[str, Any]] = []
        recovered = False
        if temp is not None and _is_leftover(temp, spec.name, owner):
            if container is None and spec.state != "absent":
                # The last replacement removed the old container, then its rename failed
                # (or the run was cut): the new one may be all that runs. Take it back under
                # the workload's name and compare it like any container.
                steps.append(_step("rename", temp["name"], spec.name, new_name=spec.name))
                container = dict(temp, name=spec.name)
                recovered = True
            else:
                steps.append(_step("remove", temp["name"], spec.name, force=True))

        if spec.state == "absent":
            if container is not None:
                steps += _removal_steps(container, spec.name, spec.stop_timeout)
                entry.update(action=REMOVE, changes=["state absent"])
            else:
                entry.update(action=NONE, changes=[])
        elif container is None:
            steps += _new_container_steps(item, owner, start_timeout)
            entry.update(action=CREATE, changes=["missing"])
        else:
            changes = differences(item, container, owner)
            admin = admin_finding(container)
            if admin:
                changes.insert(0, f"runs as administrator account {container.get('user')!r}")
            if admin and enforcement == REPORT:
                result.noncompliant.append(
                    _noncompliant_entry(
                        container,
                        "runs as an administrator account; enforcement is 'report', so it was"
                        " left as it is",
                    )
                )
                entry.update(action=REPORTED, changes=changes)
            elif changes:
                steps += _replacement_steps(item, container, owner, start_timeout)
                entry.update(action=REPLACE, changes=changes)
            elif spec.state == "started" and not _running(container):
                steps += [
                    _step("start", spec.name, spec.name),
                    _step("wait_running", spec.name, spec.name, timeout=start_timeout),
                ]
                entry.update(action=START, changes=[f"state {container.get('state')}"])
            elif spec.state == "stopped" and _running(container):
                steps.append(_step("stop", spec.name, spec.name, timeout=spec.stop_timeout))
                entry.update(action=STOP, changes=["state running"])
            elif recovered:
                entry.update(action=RECOVER, changes=[_RECOVERED])
            else:
                entry.update(action=NONE, changes=[])
        if recovered and entry["action"] not in (RECOVER, NONE):
            entry["changes"] = [_RECOVERED, *entry["changes"]]

        if networks and any(step["action"] in ("create", "start") for step in steps):
            first = [
                _step("ensure_network", network, spec.name, subnet=networks[network])
                for network in spec.networks
                if network in networks and network not in ensured
            ]
            ensured.update(step["name"] for step in first)
            steps = first + steps
        if any(step["action"] == "create" for step in steps):
            # Only the secrets a step refers to travel to the host.
            for variable, value in spec.secret_env.items():
                result.secrets[secret_key(spec.name, variable)] = value
        if steps:
            before = _summary_of_container(container)
            after = _summary_of_desired(item, owner)
            decision = item.decision or {}
            if decision.get("isolation_note"):
                # Check mode before the pull: the isolation waits for the image's version.
                after.update(
                    isolation=decision["isolation"], isolation_note=decision["isolation_note"]
                )
            reasons = decision.get("reasons")
            if reasons:
                # --check --diff shows why: isolation, user, limits and image source.
                after["decision_reasons"] = list(reasons)
            result.diffs.append(_diff(spec.name, before, after))
        per_workload += steps
        result.workloads.append(entry)

    result.steps = removals + per_workload
    return result


def masked_steps(steps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Steps for display: secret references shown as the mask."""

    def mask(step: Mapping[str, Any]) -> dict[str, Any]:
        shown = dict(step)
        if isinstance(shown.get("env"), Mapping):
            shown["env"] = {
                key: MASK if isinstance(value, Mapping) else value
                for key, value in shown["env"].items()
            }
        if isinstance(shown.get("labels"), Mapping):
            shown["labels"] = _shown_labels(shown["labels"])
        if shown.get("on_failure"):
            shown["on_failure"] = [mask(undo) for undo in shown["on_failure"]]
        return shown

    return [mask(step) for step in steps]


def _normalised(ref: str) -> str:
    """One spelling per image: ``domain/path:tag``, or ``domain/path@digest`` when a digest is
    given (docker pulls ``name:tag@digest`` by the digest, and stores no tag for it); a
    missing tag is ``latest``. ``nginx``, ``library/nginx`` and ``docker.io/library/nginx``
    are one image."""
    name, at, digest = ref.partition("@")
    domain, remote = trust_policy.split_docker_domain(name)
    path, colon, tag = remote.rpartition(":") if ":" in remote else (remote, "", "")
    if at:
        return f"{domain}/{path if colon else remote}@{digest}"
    return f"{domain}/{path}:{tag}" if colon else f"{domain}/{remote}:latest"


def find_image(images: Iterable[Mapping[str, Any]], ref: str) -> Mapping[str, Any] | None:
    """The local image a reference (tag or digest) names, from container_host_info's images."""
    wanted = _normalised(ref)
    for image in images:
        names = [*(image.get("repo_tags") or []), *(image.get("repo_digests") or [])]
        if any(_normalised(name) == wanted for name in names) or image.get("id") == ref:
            return image
    return None


def with_effective_users(
    containers: Iterable[Mapping[str, Any]], images: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Containers whose empty ``user`` (the image default) is resolved.

    An empty Config.User on the container falls back to the image's; an empty one on
    the image means ContainerAdministrator (Server Core, Server and Windows images;
    Nano Server images set ContainerUser explicitly).
    """
    by_id = {image.get("id"): image for image in images}
    resolved = []
    for container in containers:
        copy = dict(container)
        if not copy.get("user"):
            image = by_id.get(copy.get("image_id")) or {}
            copy["user"] = image.get("user") or "ContainerAdministrator"
        resolved.append(copy)
    return resolved
