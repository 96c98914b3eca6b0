# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit: one host's ``container_host_info`` facts and inventory -> findings.

Pure and deterministic: no I/O, no clock. Reuses the facts mapping
(``host_facts``), the trust policy, the workload validation and the planner's
notion of drift, so the audit and the deployer agree on what "compliant" is.
Every rule id is in ``audit_findings.RULES`` and docs/audit.md.

``audit_host(info, hostvars, host)`` returns an ``Audit``: the findings, a
view of every container (isolation, user, trust, image revision, limits) and
the rules that could not be evaluated, with why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_trust_rules,
    container_plan,
    daemon_config,
    engine_release,
    host_facts,
    provision_plan,
    trust_policy,
    workload_spec,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.audit_findings import (
    Finding,
)

DEFAULT_DATA_ROOT = "C:\\ProgramData\\docker"
DEFAULT_OWNER = "trustbound.wincontainers"
UNKNOWN = "unknown"
PROBE_IMAGE = "mcr.microsoft.com/windows/nanoserver:ltsc2022"

# Folders of the host a container must not see; subfolders of the first group count too.
_SYSTEM_TREES = ("c:\\windows", "c:\\program files", "c:\\program files (x86)")
_SYSTEM_FOLDERS = ("c:\\programdata", "c:\\users")
# moby volume/mounts/windows_parser.go rxPipe: two slashes, any one character, "pipe".
_PIPE_RE = re.compile(r"^[/\\]{2}.[/\\]pipe[/\\](?P<name>.+)$", re.IGNORECASE)
_DRIVE_PATH = r"(?:\\\\\?\\)?[a-zA-Z]:(?:[\\/][^:]*)?"
_PIPE_PATH = r"[/\\]{2}.[/\\]pipe[/\\][^:]+"
_MOUNT_RE = re.compile(
    rf"^(?:(?P<source>{_DRIVE_PATH}|{_PIPE_PATH}|[^:\\/]+):)?(?P<target>{_DRIVE_PATH}|{_PIPE_PATH})"
    r"(?::(?P<mode>ro|rw))?$",
    re.IGNORECASE,
)
# Keys of an ACE in engine.data_root_acl (the real-host fidelity work reports it).
_ADMIN_IDENTITIES = frozenset(
    {
        "builtin\\administrators",
        "administrators",
        "nt authority\\system",
        "system",
        "s-1-5-32-544",
        "s-1-5-18",
        "creator owner",
        "s-1-3-0",
    }
)
# SDDL trustees that may hold the data root: BUILTIN\Administrators, SYSTEM, CREATOR OWNER.
_ADMIN_SDDL_SIDS = frozenset({"BA", "SY", "CO", "S-1-5-32-544", "S-1-5-18", "S-1-3-0"})
_ACE_RE = re.compile(
    r"\((?P<type>[A-Z]+);(?P<flags>[A-Z]*);(?P<rights>[^;]*);[^;]*;[^;]*;(?P<sid>[^;)]+)\)"
)
_WRITE_RIGHTS = ("fullcontrol", "modify", "write", "createfiles", "appenddata", "takeownership")


@dataclass
class Audit:
    host: str
    findings: list[Finding] = field(default_factory=list)
    containers: list[dict[str, Any]] = field(default_factory=list)
    not_evaluated: list[dict[str, str]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, rule_id: str, evidence: dict[str, Any], **kwargs: Any) -> None:
        self.findings.append(Finding(rule_id, self.host, evidence, **kwargs))

    def skip(self, rule_id: str, reason: str) -> None:
        if all(entry["id"] != rule_id for entry in self.not_evaluated):
            self.not_evaluated.append({"id": rule_id, "reason": reason})

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "findings": [f.to_dict() for f in self.findings],
            "containers": self.containers,
            "not_evaluated": self.not_evaluated,
            "facts": self.facts,
        }


# --- path helpers ---------------------------------------------------------------------


def normalise_path(path: str) -> str:
    """Lower case, backslashes, no ``\\\\?\\`` prefix, no trailing backslash (but ``c:\\``)."""
    text = path.strip().replace("/", "\\").casefold()
    if text.startswith("\\\\?\\") and len(text) > 5 and text[5] == ":":
        text = text[4:]
    if len(text) == 2 and text[1] == ":":
        text += "\\"
    while len(text) > 3 and text.endswith("\\"):
        text = text[:-1]
    return text


def pipe_name(path: str) -> str | None:
    """The pipe a ``\\\\.\\pipe\\x`` path names, in any spelling moby accepts; None otherwise."""
    match = _PIPE_RE.match(path.strip())
    if match is None:
        return None
    return match["name"].replace("/", "\\").strip("\\").casefold()


def is_engine_pipe(path: str, engine_pipes: Sequence[str]) -> bool:
    name = pipe_name(path)
    return name is not None and any(
        name == pipe.casefold() or name.startswith(pipe.casefold()) for pipe in engine_pipes
    )


def parse_mount(text: str) -> dict[str, Any]:
    """``source:target[:ro]`` as container_host_info reports it -> source, target, read_only."""
    match = _MOUNT_RE.match(text.strip())
    if match is None:
        return {"source": None, "target": text, "read_only": False, "raw": text}
    return {
        "source": match["source"],
        "target": match["target"],
        "read_only": (match["mode"] or "").lower() == "ro",
        "raw": text,
    }


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("\\") + "\\")


def classify_mount(mount: Mapping[str, Any], engine_pipes: Sequence[str], data_root: str):
    """(rule id, why) for a mount that is an isolation hole, or None."""
    source = mount.get("source")
    for path in (source, mount.get("target")):
        if path and is_engine_pipe(path, engine_pipes):
            return "WC-HOLE-ENGINE-PIPE", f"maps the engine's named pipe {path}"
    if not source or pipe_name(source) is not None:
        return None
    path = normalise_path(source)
    if not re.match(r"^[a-z]:\\", path):
        return None  # a named volume
    if len(path) == 3:
        return "WC-HOLE-HOST-ROOT", f"mounts the root of drive {path}"
    root = normalise_path(data_root)
    if _within(path, root) or _within(root, path):
        return "WC-HOLE-DATA-ROOT", f"mounts {source}, which is or holds the data root {data_root}"
    if any(_within(path, tree) for tree in _SYSTEM_TREES) or path in _SYSTEM_FOLDERS:
        return "WC-HOLE-SYSTEM-DIR", f"mounts the system folder {source}"
    return None


# --- the host -------------------------------------------------------------------------


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "on", "1")
    return bool(value)


def _labels(container: Mapping[str, Any]) -> dict[str, str]:
    return dict(container.get("labels") or {})


def _revision(version: str | None) -> tuple[int, int] | None:
    try:
        parts = [int(p) for p in str(version).split(".")]
    except ValueError:
        return None
    return (parts[2], parts[3]) if len(parts) == 4 else None


class _HostAudit:
    def __init__(self, info, hostvars, host, *, workloads, owner, updates, hash_key=None) -> None:
        self.info = info
        self.hash_key = hash_key
        self.hostvars = dict(hostvars)
        self.host = host
        self.workloads = list(workloads or [])
        self.owner = owner
        self.updates = updates
        self.audit = Audit(host)
        engine = info.get("engine") or {}
        self.engine = engine
        self.config = engine.get("daemon_config")
        self.config_dict = self.config if isinstance(self.config, Mapping) else {}
        self.pipes = workload_spec.engine_pipe_names(self.config_dict)
        self.data_root = str(
            engine.get("data_root") or self.config_dict.get("data-root") or DEFAULT_DATA_ROOT
        )
        self.images = list(info.get("images") or [])
        self.by_image_id = {i.get("id"): i for i in self.images}
        self.containers = container_plan.with_effective_users(
            info.get("containers") or [], self.images
        )
        self.raw_users = {c.get("id"): c.get("user") or "" for c in info.get("containers") or []}
        self.os_version = host_facts.os_version(info)
        self.build = host_facts.os_build(info)
        self.policy_host: dict[str, Any] | None = None
        self.specs: list[workload_spec.WorkloadSpec] = []
        self.tenant_reasons: list[str] = []

    # -- inventory and trust --
    def inventory(self) -> None:
        boundary = self.hostvars.get("wincontainers_trust_boundary")
        if not isinstance(boundary, str) or not boundary.strip():
            self.audit.add(
                "WC-INV-NO-BOUNDARY",
                {"wincontainers_trust_boundary": boundary},
                detail="the host has no wincontainers_trust_boundary: its trust is unknown",
            )
            self.tenant_reasons.append("the host's own trust boundary is unknown")
        else:
            try:
                self.policy_host = host_facts.policy_host(self.info, self.hostvars, self.host)
                # The policy validates the host's variables only when it decides something.
                trust_policy.decide({"image": PROBE_IMAGE}, self.policy_host)
            except trust_policy.PolicyError as exc:
                self.audit.add("WC-INV-REFUSED", {"message": str(exc)}, detail=str(exc))
                self.policy_host = None
        try:
            self.specs = workload_spec.normalise_workloads(
                self.workloads, host=self.host, engine_pipes=self.pipes
            )
        except workload_spec.WorkloadSpecError as exc:
            for problem in exc.errors:
                self.audit.add(
                    "WC-INV-REFUSED",
                    {"workload": problem.workload, "rule": problem.rule, "field": problem.field},
                    detail=str(problem),
                )
            self.specs = []
            self.audit.skip("WC-INV-DRIFT", "wincontainers_workloads has refused entries")
        if self.policy_host is not None and self.workloads:
            try:
                _hyperv, tenants, _warnings = provision_plan.workload_needs(
                    self.policy_host, self.workloads
                )
            except provision_plan.ProvisionError:
                tenants = []
            self.tenant_reasons.extend(tenants)
        own = (self.policy_host or {}).get("trust_boundary")
        for container in self.containers:
            labels = _labels(container)
            if not container_plan.is_managed(container):
                continue
            level = labels.get(container_plan.LABEL_TRUST_LEVEL)
            other = labels.get(container_plan.LABEL_TRUST_BOUNDARY)
            if level in (trust_policy.UNTRUSTED, trust_policy.HOSTILE) or (
                own and other and other != own
            ):
                self.tenant_reasons.append(
                    f"container {container.get('name')} is labelled trust boundary {other!r},"
                    f" trust level {level!r}"
                )

    @property
    def multi_tenant(self) -> bool:
        return bool(self.tenant_reasons)

    def spec_for(self, container: Mapping[str, Any]) -> workload_spec.WorkloadSpec | None:
        labels = _labels(container)
        if not container_plan.is_managed(container):
            return None
        if labels.get(container_plan.LABEL_OWNER) != self.owner:
            return None
        workload = labels.get(container_plan.LABEL_WORKLOAD) or container.get("name")
        return next((s for s in self.specs if s.name == workload), None)

    def trust_of(self, container: Mapping[str, Any]) -> dict[str, Any]:
        """Boundary and level from the inventory and the labels; the stricter one wins."""
        own = (self.policy_host or {}).get("trust_boundary")
        if not container_plan.is_managed(container):
            return {"boundary": UNKNOWN, "level": UNKNOWN, "source": "none (unmanaged)"}
        labels = _labels(container)
        boundary = labels.get(container_plan.LABEL_TRUST_BOUNDARY) or own or UNKNOWN
        level = labels.get(container_plan.LABEL_TRUST_LEVEL) or trust_policy.TRUSTED
        source = "labels"
        spec = self.spec_for(container)
        if spec is not None:
            spec_boundary = spec.trust_boundary or own or UNKNOWN
            spec_level = spec.trust_level or trust_policy.TRUSTED
            if spec_boundary != own:
                boundary = spec_boundary
            order = list(trust_policy.TRUST_LEVELS)
            if spec_level in order and (
                level not in order or order.index(spec_level) > order.index(level)
            ):
                level = spec_level
            source = "labels and inventory"
        return {"boundary": boundary, "level": level, "source": source}

    def needs_hyperv(self, trust: Mapping[str, Any]) -> bool:
        own = (self.policy_host or {}).get("trust_boundary")
        return (
            trust["level"] in (trust_policy.UNTRUSTED, trust_policy.HOSTILE, UNKNOWN)
            or trust["boundary"] in (UNKNOWN,)
            or (own is not None and trust["boundary"] != own)
        )

    # -- per container --
    def container_rules(self) -> None:
        allow_admin = _bool(self.hostvars.get("wincontainers_allow_container_admin"))
        allow_downgrade = _bool(self.hostvars.get("wincontainers_allow_isolation_downgrade"))
        by_name = {c.get("name"): c for c in self.containers}
        by_id = {c.get("id"): c for c in self.containers}
        for container in self.containers:
            name = str(container.get("name"))
            managed = container_plan.is_managed(container)
            trust = self.trust_of(container)
            isolation = str(container.get("isolation") or "")
            image = self.by_image_id.get(container.get("image_id")) or {}
            image_version = image.get("os_version") or None
            user = str(container.get("user") or "")
            user_source = (
                "container"
                if self.raw_users.get(container.get("id"))
                else ("image" if image.get("user") else "image default")
            )
            view = {
                "name": name,
                "managed": managed,
                "owner": _labels(container).get(container_plan.LABEL_OWNER),
                "state": container.get("state"),
                "image": container.get("image"),
                "image_os_version": image_version,
                "isolation": isolation,
                "user": user,
                "user_source": user_source,
                "admin": trust_policy.is_admin_user(user) if user else True,
                "trust_boundary": trust["boundary"],
                "trust_level": trust["level"],
                "trust_source": trust["source"],
                "memory_bytes": container.get("memory_bytes") or 0,
                "cpus": container.get("cpus") or 0,
                "ports": list(container.get("ports") or []),
                "network_mode": container.get("network_mode"),
            }
            self.audit.containers.append(view)

            if view["admin"] and not allow_admin:
                self.audit.add(
                    "WC-USER-ADMIN",
                    {
                        "user": user,
                        "user_from": user_source,
                        "image": container.get("image"),
                        "wincontainers_allow_container_admin": allow_admin,
                    },
                    container=name,
                    detail=f"runs as administrator account {user!r} ({user_source})",
                )

            if isolation == "process" and managed and self.needs_hyperv(trust):
                evidence = {
                    "isolation": isolation,
                    "trust_boundary": trust["boundary"],
                    "trust_level": trust["level"],
                    "trust_from": trust["source"],
                    "host_trust_boundary": (self.policy_host or {}).get("trust_boundary"),
                }
                if allow_downgrade and trust["level"] != trust_policy.HOSTILE:
                    evidence["wincontainers_allow_isolation_downgrade"] = True
                    self.audit.add(
                        "WC-ISO-DOWNGRADED",
                        evidence,
                        container=name,
                        detail="shares the host kernel though trust asks for Hyper-V;"
                        " the host accepts the risk",
                    )
                else:
                    self.audit.add(
                        "WC-ISO-TRUST",
                        evidence,
                        container=name,
                        detail=f"process isolation for a {trust['level']} workload of"
                        f" trust boundary {trust['boundary']!r}",
                    )
            if not managed:
                self.audit.add(
                    "WC-INV-UNMANAGED",
                    {
                        "labels": sorted(_labels(container)),
                        "image": container.get("image"),
                        "state": container.get("state"),
                    },
                    container=name,
                    detail="started outside the collection: no trust decision was made for it",
                )
                if isolation == "process" and self.multi_tenant:
                    self.audit.add(
                        "WC-ISO-UNMANAGED-PROCESS",
                        {"isolation": isolation, "multi_tenant_because": self.tenant_reasons},
                        container=name,
                        detail="unknown trust (treated as untrusted) under process isolation on"
                        " a host that runs other tenants' code",
                    )

            for text in container.get("mounts") or []:
                mount = parse_mount(str(text))
                hole = classify_mount(mount, self.pipes, self.data_root)
                if hole is not None:
                    rule_id, why = hole
                    self.audit.add(
                        rule_id,
                        {
                            "mount": mount["raw"],
                            "read_only": mount["read_only"],
                            "data_root": self.data_root,
                        },
                        container=name,
                        detail=why,
                    )
            for device in container.get("devices") or []:
                self.audit.add(
                    "WC-HOLE-DEVICE",
                    {"device": device, "isolation": isolation},
                    container=name,
                    detail=f"host device {device} assigned",
                )
            self._shared_network(container, trust, by_name, by_id)
            self._image_revision(container, name, isolation, image_version)
            if self.multi_tenant and container.get("state") != "exited":
                memory, cpus = view["memory_bytes"], view["cpus"]
                if not memory or not cpus:
                    missing = [w for w, v in (("memory", memory), ("cpus", cpus)) if not v]
                    self.audit.add(
                        "WC-RES-NO-LIMITS",
                        {
                            "memory_bytes": memory,
                            "cpus": cpus,
                            "isolation": isolation,
                            "multi_tenant_because": self.tenant_reasons,
                        },
                        container=name,
                        detail=f"no {' and no '.join(missing)} limit on a host shared by"
                        " several trust boundaries",
                    )

    def _network_target(self, container, by_name, by_id):
        modes = [container.get("network_mode") or "", *(container.get("networks") or [])]
        for mode in modes:
            if isinstance(mode, str) and mode.startswith("container:"):
                ref = mode.partition(":")[2]
                target = by_name.get(ref) or by_id.get(ref)
                if target is None:
                    target = next(
                        (c for c in by_id.values() if str(c.get("id")).startswith(ref)), None
                    )
                return mode, target
        return None, None

    def _shared_network(self, container, trust, by_name, by_id) -> None:
        mode, target = self._network_target(container, by_name, by_id)
        if mode is None:
            return
        other = (
            self.trust_of(target)
            if target is not None
            else {"boundary": UNKNOWN, "level": UNKNOWN, "source": "container not found"}
        )
        same = (
            trust["boundary"] == other["boundary"] != UNKNOWN
            and trust["level"] == other["level"] == trust_policy.TRUSTED
        )
        if not same:
            self.audit.add(
                "WC-HOLE-SHARED-NETWORK",
                {
                    "network_mode": mode,
                    "trust_boundary": trust["boundary"],
                    "trust_level": trust["level"],
                    "other_container": (target or {}).get("name"),
                    "other_trust_boundary": other["boundary"],
                    "other_trust_level": other["level"],
                },
                container=str(container.get("name")),
                detail=f"shares the network namespace of {(target or {}).get('name') or mode}"
                " across trust boundaries",
            )

    def _image_revision(self, container, name, isolation, image_version) -> None:
        host_rev = _revision(self.os_version)
        image_rev = _revision(image_version)
        if host_rev is None or image_rev is None or image_rev[0] != host_rev[0]:
            return
        evidence = {
            "image": container.get("image"),
            "image_os_version": image_version,
            "host_os_version": self.os_version,
            "isolation": isolation,
        }
        if self.build == 14393 and isolation == "process" and image_rev[1] != host_rev[1]:
            self.audit.add(
                "WC-PATCH-2016-REVISION",
                evidence,
                container=name,
                detail=f"image revision {image_rev[1]} is not the host's {host_rev[1]}:"
                " Server 2016 process isolation needs an exact match",
            )
        elif image_rev[1] < host_rev[1]:
            self.audit.add(
                "WC-PATCH-IMAGE-BEHIND",
                evidence,
                container=name,
                detail=f"image revision {image_rev[1]} is behind the host's {host_rev[1]}",
            )

    # -- drift --
    @property
    def engine_answers(self) -> bool:
        """Whether the read could list the containers: an installed engine whose service runs
        and whose API answers (a read without ``api_reachable`` is taken at its service)."""
        engine = self.engine
        return (
            bool(engine.get("installed"))
            and engine.get("service_state") == "running"
            and engine.get("api_reachable") is not False
        )

    def drift(self) -> None:
        if self.engine.get("installed") and not self.engine_answers:
            # No container was listed: "no such container" for each would be false.
            names = ", ".join(spec.name for spec in self.specs) or "none"
            self.audit.skip(
                "WC-INV-DRIFT",
                "the engine does not answer (WC-ENG-DOWN): the inventory's workloads"
                f" ({names}) are not evaluated",
            )
            return
        if self.policy_host is None:
            self.audit.skip("WC-INV-DRIFT", "the host's trust variables are missing or refused")
            return
        by_name = {c.get("name"): c for c in self.containers}
        listed = set()
        for spec in audit_trust_rules.effective_specs(self):  # as the deployment makes them
            listed.add(spec.name)
            container = by_name.get(spec.name)
            if spec.state == "absent":
                if container is not None:
                    self.audit.add(
                        "WC-INV-DRIFT",
                        {"differences": ["present, inventory says absent"]},
                        container=spec.name,
                        detail="present though the inventory says absent",
                    )
                continue
            if container is None:
                self.audit.add(
                    "WC-INV-DRIFT",
                    {"differences": ["no such container"]},
                    container=spec.name,
                    detail="the inventory lists it but the host has no such container",
                )
                continue
            if not container_plan.is_managed(container):
                continue  # WC-INV-UNMANAGED already says so
            image = container_plan.find_image(self.images, spec.image)
            try:
                decision = trust_policy.decide(
                    spec.policy_input((image or {}).get("os_version") or None), self.policy_host
                )
            except trust_policy.PolicyError as exc:
                self.audit.add(
                    "WC-INV-REFUSED",
                    {"workload": spec.name, "rule": exc.rule},
                    container=spec.name,
                    detail=str(exc),
                )
                continue
            desired = container_plan.Desired(
                spec=spec,
                isolation=decision.isolation,
                user=decision.user,
                trust_boundary=spec.trust_boundary or self.policy_host.get("trust_boundary", ""),
                trust_level=spec.trust_level or trust_policy.TRUSTED,
                image_id=(image or {}).get("id"),
                hash_key=self.hash_key,
            )
            found = container_plan.differences(desired, container, self.owner)
            running = container.get("state") == "running"
            if spec.state == "started" and not running:
                found.append(f"state {container.get('state')}, inventory says started")
            if spec.state == "stopped" and running:
                found.append("running, inventory says stopped")
            if found:
                self.audit.add(
                    "WC-INV-DRIFT",
                    {"differences": found},
                    container=spec.name,
                    detail="differs from the inventory: " + ", ".join(found),
                )
        for container in self.containers:
            labels = _labels(container)
            if (
                container_plan.is_managed(container)
                and labels.get(container_plan.LABEL_OWNER) == self.owner
                and (labels.get(container_plan.LABEL_WORKLOAD) or container.get("name"))
                not in listed
            ):
                self.audit.add(
                    "WC-INV-ORPHAN",
                    {"workload": labels.get(container_plan.LABEL_WORKLOAD), "owner": self.owner},
                    container=str(container.get("name")),
                    detail="managed by this inventory's owner but no longer listed",
                )

    # -- engine --
    def engine_rules(self) -> None:
        engine = self.engine
        if not engine.get("installed"):
            self.audit.skip("WC-ENG-*", "no container engine is installed")
            return
        self._engine_down()
        if self.config is None:
            self.audit.skip("WC-ENG-TCP-NO-TLS", "daemon.json is unparsable")
        config = self.config_dict
        hosts = config.get("hosts") if isinstance(config.get("hosts"), list) else []
        tcp = [h for h in hosts if isinstance(h, str) and h.lower().startswith("tcp://")]
        if tcp:
            missing = [k for k in ("tlscacert", "tlscert", "tlskey") if not config.get(k)]
            if config.get("tlsverify") is not True or missing:
                self.audit.add(
                    "WC-ENG-TCP-NO-TLS",
                    {"hosts": tcp, "tlsverify": config.get("tlsverify"), "missing": missing},
                    detail=f"engine API on {', '.join(tcp)} without TLS client"
                    " verification: unauthenticated remote administrator",
                )
        if config.get("group"):
            self.audit.add(
                "WC-ENG-PIPE-GROUP",
                {"group": config.get("group")},
                detail=f"members of {config.get('group')!r} may drive the engine",
            )
        default = daemon_config.default_isolation(config) if self.config is not None else None
        if self.multi_tenant and default != "hyperv":
            self.audit.add(
                "WC-ENG-NO-HYPERV-DEFAULT",
                {
                    "exec-opts": config.get("exec-opts"),
                    "default_isolation": default or "process",
                    "multi_tenant_because": self.tenant_reasons,
                },
                detail="a container started by hand gets process isolation on a host"
                " that runs other tenants' code",
            )
        self._engine_version(str(engine.get("version") or ""))
        sddl = engine.get("data_root_sddl")
        acl = engine.get("data_root_acl")
        if isinstance(sddl, str) and sddl:
            self._data_root_sddl(sddl)
        elif acl is not None:
            self._data_root_acl(acl)
        else:
            self.audit.skip(
                "WC-ENG-DATA-ROOT-ACL",
                "container_host_info does not report the data root's ACL"
                " (engine.data_root_sddl) on this host",
            )

    def _engine_down(self) -> None:
        """One finding for an engine that does not answer or whose daemon.json cannot be read,
        and its containers and images listed as not evaluated."""
        engine = self.engine
        state = engine.get("service_state")
        reasons = []
        if state != "running":
            reasons.append(f"the engine service is {state}")
        elif engine.get("api_reachable") is False:
            error = str(engine.get("api_error") or "").strip()
            reasons.append(
                "the engine service runs but its API does not answer on the default pipe"
                + (f" ({error})" if error else "")
            )
        if self.config is None:
            reasons.append(
                "daemon.json cannot be parsed (dockerd does not start with it: the next engine"
                " start fails)"
            )
        if not reasons:
            return
        if not self.engine_answers:
            self.audit.skip(
                "containers",
                f"{reasons[0]}: containers and images cannot be listed; they are not evaluated",
            )
        self.audit.add(
            "WC-ENG-DOWN",
            {
                "service_state": state,
                "api_reachable": engine.get("api_reachable"),
                "api_error": engine.get("api_error"),
                "daemon_config_parsed": self.config is not None,
                "workloads_not_evaluated": (
                    [spec.name for spec in self.specs] if not self.engine_answers else []
                ),
            },
            detail="; ".join(reasons),
        )

    def _engine_version(self, version: str) -> None:
        try:
            numbers = engine_release.parse_version(version)
        except ValueError:
            self.audit.skip("WC-ENG-UNSUPPORTED", f"engine version {version!r} is not x.y.z")
            return
        if numbers[:2] >= (23, 0) or self.engine.get("kind", "docker") != "docker":
            return
        if self.build < engine_release.DOCKER_23_MIN_BUILD:
            fix = (
                f"Docker CE {version} gets no security fixes, and Docker CE 23.0 and later refuse"
                " to start below build 17763, so no current Docker CE runs on Server 2016: use a"
                " vendor-supported engine (Mirantis Container Runtime) on this host, or move its"
                " workloads to a Windows Server 2019 or later host with a current Docker CE"
                " (container_host_engine_version, playbooks/provision.yml)"
            )
        else:
            fix = (
                f"pin a current engine (container_host_engine_version, e.g. 27.3.1, with its"
                f" checksum) and run playbooks/provision.yml: build {self.build} runs Docker 23+"
            )
        self.audit.add(
            "WC-ENG-UNSUPPORTED",
            {"version": version, "os_build": self.build},
            detail=f"Docker {version} is end of life",
            fix=fix,
        )

    def _data_root_sddl(self, sddl: str) -> None:
        """dockerd's own ACL is D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY): protected, admins only."""
        dacl = sddl[sddl.find("D:") :] if "D:" in sddl else sddl
        flags = re.match(r"D:([A-Z]*)", dacl)
        loose = []
        if flags is None or "P" not in flags.group(1):
            loose.append("not protected: inherits its parent folder's access rules")
        for ace in _ACE_RE.finditer(dacl):
            if ace["type"] in ("A", "OA") and ace["sid"].upper() not in _ADMIN_SDDL_SIDS:
                loose.append(f"({ace.group(0)[1:-1]}): {ace['sid']} is allowed {ace['rights']}")
        if loose:
            self.audit.add(
                "WC-ENG-DATA-ROOT-ACL",
                {
                    "data_root": self.engine.get("data_root") or self.data_root,
                    "sddl": sddl,
                    "entries": loose,
                },
                detail="the data root (container configurations, environment values included)"
                " is open to more than Administrators and SYSTEM",
            )

    def _data_root_acl(self, acl: Any) -> None:
        entries = acl.get("access") if isinstance(acl, Mapping) else acl
        if not isinstance(entries, list):
            self.audit.skip("WC-ENG-DATA-ROOT-ACL", "engine.data_root_acl has an unknown shape")
            return
        loose = []
        for entry in entries:
            if not isinstance(entry, Mapping):
                continue
            identity = str(entry.get("identity") or entry.get("IdentityReference") or "")
            rights = str(entry.get("rights") or entry.get("FileSystemRights") or "")
            kind = str(entry.get("type") or entry.get("AccessControlType") or "Allow")
            if kind.lower() != "allow" or identity.casefold() in _ADMIN_IDENTITIES:
                continue
            if any(r in rights.replace(" ", "").casefold() for r in _WRITE_RIGHTS):
                loose.append(f"{identity}: {rights}")
        if loose:
            self.audit.add(
                "WC-ENG-DATA-ROOT-ACL",
                {"data_root": self.data_root, "entries": loose},
                detail="non-administrators may write to the data root",
            )

    # -- patch level --
    def patch_rules(self) -> None:
        lock = self.info.get("host_lock")
        if isinstance(lock, Mapping) and lock.get("lease_id"):
            self.audit.add(
                "WC-PATCH-LEASE",
                {key: lock.get(key) for key in ("holder", "since", "lease_id", "lease_until")},
                detail=f"{lock.get('holder')} holds the host until {lock.get('lease_until')}"
                " (a patch in progress, or one that did not finish)",
            )
        if self.info.get("reboot_pending"):
            self.audit.add(
                "WC-PATCH-REBOOT-PENDING",
                {"reboot_pending": True},
                detail="the host waits for a restart",
            )
        if self.updates is None:
            self.audit.skip(
                "WC-PATCH-UPDATES-PENDING",
                "no update search result given (set audit_search_updates: true, or pass a"
                " registered ansible.windows.win_updates state=searched result as 'updates')",
            )
            return
        pending = pending_updates(self.updates)
        if pending:
            self.audit.add(
                "WC-PATCH-UPDATES-PENDING",
                {"count": len(pending), "updates": pending, "host_os_version": self.os_version},
                detail=f"{len(pending)} update(s) the host knows of are not installed",
            )

    def run(self) -> Audit:
        self.inventory()
        self.container_rules()
        audit_trust_rules.check(self)  # issue 20: networks, ceilings, image sources
        self.drift()
        self.engine_rules()
        self.patch_rules()
        self.audit.facts = {
            "os_version": self.os_version,
            "product_name": (self.info.get("os") or {}).get("product_name"),
            "engine_version": self.engine.get("version"),
            "engine_state": self.engine.get("service_state"),
            "trust_boundary": (self.policy_host or {}).get("trust_boundary"),
            "multi_tenant": self.multi_tenant,
            "multi_tenant_because": list(self.tenant_reasons),
            "default_isolation": (daemon_config.default_isolation(self.config_dict) or "process"),
            "reboot_pending": bool(self.info.get("reboot_pending")),
            "hyperv_available": host_facts.hyperv_available(self.info),
        }
        return self.audit


def pending_updates(result: Any) -> list[str]:
    """'KB... title' of every update not installed, from a win_updates (searched) result."""
    if not isinstance(result, Mapping):
        return []
    updates = result.get("updates") or {}
    entries = list(updates.values()) if isinstance(updates, Mapping) else updates
    found = []
    for update in entries if isinstance(entries, list) else []:
        if not isinstance(update, Mapping) or update.get("installed") or update.get("is_installed"):
            continue
        kbs = update.get("kb") or []
        kbs = kbs if isinstance(kbs, list) else [kbs]
        # win_updates returns the KB numbers without their "KB" prefix.
        kb = ", ".join(f"KB{k}" if str(k).isdigit() else str(k) for k in kbs)
        found.append(f"{kb} {update.get('title', '')}".strip())
    return sorted(found)


def audit_host(
    info: Mapping[str, Any],
    hostvars: Mapping[str, Any],
    host: str,
    *,
    workloads: Sequence[Any] | None = None,
    owner: str = DEFAULT_OWNER,
    updates: Mapping[str, Any] | None = None,
    hash_key: bytes | None = None,
) -> Audit:
    """Audit one host. ``hostvars`` holds the wincontainers_* trust variables.

    ``hash_key`` is the host's config hash key (``container_plan.host_hash_key``), the same the
    deployment used: without it a keyed config-hash label always looks drifted.
    """
    return _HostAudit(
        info, hostvars, host, workloads=workloads, owner=owner, updates=updates, hash_key=hash_key
    ).run()
