# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation and normalisation of ``wincontainers_workloads`` entries.

Every entry is checked before anything on a host changes; a refusal names the
host, the workload and the rule. The trust fields (``trust_boundary``,
``trust_level``, ``isolation``, ``user``) are validated again by the trust
policy, which owns their meaning.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    inputs,
    mount_policy,
    trust_policy,
)

STATES = ("started", "stopped", "absent")
RESERVED_LABEL_PREFIX = "trustbound.wincontainers."
ENGINE_PIPE_NAMES = ("docker_engine",)
# container_plan creates a replacement as "<name>-tbwc-new": no workload may be called that.
RESERVED_NAME_SUFFIX = "-tbwc-new"
# A step waits inside one module run (one WinRS command): an hour at most, far below
# Ansible.Basic's Int32 limit, so that a typo cannot hold a host's apply for years.
MAX_TIMEOUT_SECONDS = 3600
# HostConfig.Memory is an int64.
_MAX_MEMORY_BYTES = 2**63 - 1
# docker turns --cpus into NanoCPUs, Windows into a CPU percentage: 0.01 is the finest step.
_MIN_CPUS = 0.01

# Rule ids (WorkloadSpecError.rule).
RULE_NOT_A_LIST = "workloads-not-a-list"
RULE_NOT_A_MAPPING = "workload-not-a-mapping"
RULE_UNKNOWN_KEY = "unknown-key"
RULE_REQUIRED = "required"
RULE_BAD_VALUE = "bad-value"
RULE_BAD_NAME = "bad-container-name"
RULE_BAD_IMAGE = "bad-image-reference"
RULE_DUPLICATE = "duplicate-name"
RULE_ENGINE_PIPE = mount_policy.RULE_ENGINE_PIPE
RULE_ENV_NAME_CASE = "env-name-case-clash"
RULE_ENV_VALUE = "env-value"
RULE_CLI_ENV = "secret-env-changes-cli"
RULE_LABEL_KEY = "bad-label-key"
RULE_HOST_DEVICES = "host-devices"
RULE_PRIVILEGED = "privileged-unsupported"
RULE_READ_ONLY = "read-only-unsupported"
RULE_HOST_NETWORK = "host-network"
RULE_CONTAINER_NETWORK_HYPERV = "container-network-under-hyperv"
RULE_RESERVED_LABEL = "reserved-label"
RULE_SECRET_ENV_CLASH = "secret-env-clash"
RULE_RESERVED_NAME = "reserved-name"
RULE_HOST_PORT_CONFLICT = "host-port-conflict"
RULE_CPUS_OVER_HOST = "cpus-over-host"
RULE_HOST_IP = "host-ip-unsupported"
RULE_MEMORY_FLOOR = "memory-below-floor"
RULE_STORAGE_FLOOR = "storage-below-floor"

KNOWN_KEYS = frozenset(
    {
        "name",
        "image",
        "state",
        "trust_boundary",
        "trust_level",
        "isolation",
        "user",
        "command",
        "entrypoint",
        "env",
        "secret_env",
        "ports",
        "volumes",
        "mounts",
        "networks",
        "restart_policy",
        "memory",
        "cpus",
        "storage",
        "labels",
        "stop_timeout",
        "allow_named_pipe_mounts",
        # Known only to be refused with their own rule.
        "devices",
        "privileged",
        "read_only",
    }
)
# Accepted as keys only to be refused with their own rule: not offered as known keys.
ALWAYS_REFUSED_KEYS = frozenset({"devices", "privileged", "read_only"})

_ENV_NAME_RE = re.compile(r"[^=\x00]+")
# Windows: "The maximum size of a user-defined environment variable is 32,767 characters"
# (Microsoft, SetEnvironmentVariable / "Environment Variables"); NUL ends a value.
MAX_ENV_VALUE_LENGTH = 32767
# secret_env values reach the docker CLI's own environment (``--env NAME`` copies them
# from it), so a name the CLI or its Go runtime reads would change how the CLI runs: where
# it connects, which config and credentials it uses, its proxies, which programs it finds.
# docker/cli docs/reference/commandline/docker.md ("Environment variables") lists DOCKER_*
# and BUILDKIT_PROGRESS plus Go's HTTP_PROXY, HTTPS_PROXY, NO_PROXY; the rest are the
# Windows process variables a program's loading and temp files depend on.
CLI_ENV_PREFIXES = ("DOCKER_", "BUILDKIT_", "BUILDX_", "GO")
CLI_ENV_NAMES = frozenset(
    {
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "NO_PROXY",
        "ALL_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "PATH",
        "PATHEXT",
        "SYSTEMROOT",
        "SYSTEMDRIVE",
        "WINDIR",
        "COMSPEC",
        "TEMP",
        "TMP",
        "USERPROFILE",
        "HOMEDRIVE",
        "HOMEPATH",
        "HOME",
        "APPDATA",
        "LOCALAPPDATA",
        "PROGRAMDATA",
        "PROGRAMFILES",
        "ALLUSERSPROFILE",
        "USERNAME",
        "USERDOMAIN",
        "COMPUTERNAME",
        "PSMODULEPATH",
    }
)
# moby refuses only a negative retry count ("invalid restart policy: maximum retry count cannot
# be negative", api/types/container/hostconfig.go ValidateRestartPolicy); on-failure:0 is
# accepted and stored as MaximumRetryCount 0, no limit (integration-cli
# docker_cli_restart_test.go TestRestartPolicyOnFailure), which docker inspect shows as plain
# on-failure: the spec keeps that form so the next run compares equal.
_RESTART_RE = re.compile(r"(no|always|unless-stopped|on-failure(?::(?P<count>[0-9]{1,9}))?)")
_MEMORY_RE = re.compile(r"([0-9]+)\s*([bkmg]?)b?", re.IGNORECASE)
_MEMORY_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# dockerd on Windows sets no floor (moby daemon/daemon_windows.go verifyPlatformContainerResources
# checks no Memory minimum; the 6 MB of docker's docs is linuxMinMemory, daemon_unix.go). Low
# limits hang instead of failing: under 8 MB a process-isolated container hangs and cannot be
# stopped (microsoft/Windows-Containers#482, ltsc2022); 30 MB hung the docker service itself
# while 50 MB worked (moby/moby#37429, kubernetes/kubernetes#66561). 50 MB is the smallest
# limit the sources report working, so it is the floor.
MIN_MEMORY_BYTES = 50 * 1024**2
_MIN_MEMORY_BYTES = MIN_MEMORY_BYTES
# Storage size (``docker create --storage-opt size=``): the windowsfilter graph driver reads
# ``size`` with go-units RAMInBytes (moby daemon/graphdriver/windows/windows.go
# parseStorageOpt) and grows the container's scratch disk to it (hcsshim ExpandScratchSize:
# "expands the size of a layer to at least size bytes"); it never shrinks it below the
# platform's own 20 GB scratch (Microsoft, manage-containers/container-storage.md, "Storage
# Limits"; docker/for-win#6417 shows the 20 GB C: drive). A size below 20 GB is accepted by
# the engine and does nothing, so it is refused: it would promise a limit that is not there.
MIN_STORAGE_BYTES = 20 * 1024**3
_STORAGE_RE = re.compile(r"([0-9]+)\s*([bkmgt]?)b?", re.IGNORECASE)
_STORAGE_UNITS = {**_MEMORY_UNITS, "t": 1024**4}
_PORT_RE = re.compile(
    r"(?:(?:(?P<ip>[0-9]{1,3}(?:\.[0-9]{1,3}){3}|\[[0-9a-fA-F:]+\]):)?(?P<host>[0-9]{1,5})?:)?"
    r"(?P<container>[0-9]{1,5})"
    r"(?:/(?P<proto>tcp|udp))?"
)
# A Windows path (C:\x, \\server\share\x, \\.\pipe\x) or a named volume.
_WIN_PATH = r"(?:[a-zA-Z]:(?:\\[^:]*)?|\\\\[^:]+|//[^:]+)"
_VOLUME_NAME = r"[a-zA-Z0-9][a-zA-Z0-9_.-]*"
_MOUNT_RE = re.compile(
    rf"(?:(?P<source>{_WIN_PATH}|{_VOLUME_NAME}):)?(?P<target>{_WIN_PATH})(?::(?P<mode>ro|rw))?",
    re.IGNORECASE,
)


class WorkloadSpecError(ValueError):
    """One or more refused workload entries; ``errors`` holds one ``SpecProblem`` each."""

    def __init__(self, errors: list[SpecProblem]) -> None:
        self.errors = errors
        first = errors[0]
        self.host = first.host
        self.workload = first.workload
        self.rule = first.rule
        self.field = first.field
        super().__init__("; ".join(str(error) for error in errors))


@dataclass(frozen=True)
class SpecProblem:
    host: str | None
    workload: str
    rule: str
    field: str | None
    detail: str

    def __str__(self) -> str:
        where = f"host {self.host!r}, " if self.host else ""
        return f"{where}workload {self.workload}: refused by rule '{self.rule}': {self.detail}"


@dataclass(frozen=True)
class Port:
    container: int
    protocol: str = "tcp"
    host: int | None = None
    host_ip: str | None = None

    def render(self) -> str:
        """The ``host:container/proto`` form container_host_info reports."""
        published = f"{self.container}/{self.protocol}"
        if self.host is None:
            return published
        prefix = f"{self.host_ip}:" if self.host_ip else ""
        return f"{prefix}{self.host}:{published}"


@dataclass(frozen=True)
class Mount:
    target: str
    source: str | None = None
    read_only: bool = False

    def render(self) -> str:
        text = f"{self.source}:{self.target}" if self.source else self.target
        return f"{text}:ro" if self.read_only else text


@dataclass
class WorkloadSpec:
    """One validated, normalised workload."""

    name: str
    image: str
    state: str = "started"
    trust_boundary: str | None = None
    trust_level: str | None = None
    isolation: str | None = None
    user: str | None = None
    command: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    secret_env: dict[str, str] = field(default_factory=dict)
    ports: list[Port] = field(default_factory=list)
    mounts: list[Mount] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    restart_policy: str = "no"
    memory_bytes: int = 0
    cpus: float = 0.0
    storage_bytes: int = 0
    labels: dict[str, str] = field(default_factory=dict)
    stop_timeout: int = 10
    allow_named_pipe_mounts: bool = False

    @property
    def holds_host_ports(self) -> bool:
        """Whether a running container of this workload binds a fixed host port."""
        return any(port.host is not None for port in self.ports)

    def policy_input(self, image_os_version: str | None) -> dict[str, Any]:
        """The trust policy's workload dict (only the keys that are set)."""
        workload: dict[str, Any] = {"name": self.name, "image": self.image}
        for key in ("trust_boundary", "trust_level", "isolation", "user"):
            value = getattr(self, key)
            if value is not None:
                workload[key] = value
        if image_os_version:
            workload["image_os_version"] = image_os_version
        return workload


class _Checker:
    """Collects the problems of one workload entry."""

    def __init__(self, host: str | None, label: str) -> None:
        self.host = host
        self.label = label
        self.problems: list[SpecProblem] = []

    def refuse(self, rule: str, field_name: str | None, detail: str) -> None:
        self.problems.append(SpecProblem(self.host, self.label, rule, field_name, detail))

    def bad(self, field_name: str, detail: str) -> None:
        self.refuse(RULE_BAD_VALUE, field_name, f"field '{field_name}' {detail}")


def _short(value: object) -> str:
    """What was given, never what it holds: input that cannot be read may hold a secret."""
    return inputs.describe(value)


def _label(entry: object, index: int) -> str:
    if isinstance(entry, Mapping) and isinstance(entry.get("name"), str) and entry["name"]:
        return repr(container_name(entry["name"]))
    return f"#{index + 1} (unnamed)"


def container_name(name: str) -> str:
    """The name docker stores: one leading ``/`` is dropped (moby daemon/names.go)."""
    return name[1:] if name.startswith("/") else name


def _text(value: object) -> str | None:
    """Scalars docker takes as text; None for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _string_list(check: _Checker, key: str, value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        check.bad(key, f"must be a list of strings, got {_short(value)}")
        return []
    return list(value)


def _command(check: _Checker, value: object) -> list[str]:
    """A string runs through the container's shell, as a Dockerfile's shell form does."""
    if value is None:
        return []
    if isinstance(value, str):
        return ["cmd", "/S", "/C", value]
    return _string_list(check, "command", value)


def _entrypoint(check: _Checker, value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value else []
    return _string_list(check, "entrypoint", value)


def _env(check: _Checker, key: str, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        check.bad(key, f"must be a mapping of variable names to values, got {type(value).__name__}")
        return {}
    env: dict[str, str] = {}
    folded: dict[str, str] = {}
    for name, item in value.items():
        if not isinstance(name, str) or not _ENV_NAME_RE.fullmatch(name):
            check.bad(key, f"has an invalid variable name {_short(name)} (empty, or holds '=')")
            continue
        text = _text(item)
        if text is None:
            # The value itself is never echoed: it may be a secret.
            check.bad(f"{key}.{name}", f"must be text or a number, got {type(item).__name__}")
            continue
        if "\x00" in text or len(text) > MAX_ENV_VALUE_LENGTH:
            why = "holds a NUL character" if "\x00" in text else f"has {len(text)} characters"
            check.refuse(
                RULE_ENV_VALUE,
                f"{key}.{name}",
                f"the value of {name} {why}; Windows environment values end at NUL and hold"
                f" at most {MAX_ENV_VALUE_LENGTH} characters",
            )
            continue
        if name.casefold() in folded:
            check.refuse(
                RULE_ENV_NAME_CASE,
                key,
                f"variables {folded[name.casefold()]} and {name} differ only in case; Windows"
                " environment names ignore case, so one would silently replace the other",
            )
            continue
        folded[name.casefold()] = name
        env[name] = text
    return env


def cli_env_name(name: str) -> bool:
    """Whether the docker CLI or Windows reads ``name`` from the CLI's own environment."""
    upper = name.upper()
    return upper in CLI_ENV_NAMES or upper.startswith(CLI_ENV_PREFIXES)


def _port_number(check: _Checker, text: str | None, what: str) -> int | None:
    if text is None:
        return None
    number = int(text)
    if not 1 <= number <= 65535:
        check.bad("ports", f"has {what} port {number} outside 1-65535")
        return None
    return number


def _port(check: _Checker, item: object) -> Port | None:
    if isinstance(item, int) and not isinstance(item, bool):
        item = str(item)
    if isinstance(item, Mapping):
        unknown = set(item) - {"container", "host", "protocol", "host_ip"}
        if unknown:
            check.refuse(
                RULE_UNKNOWN_KEY, "ports", f"port entry has unknown keys {sorted(unknown)}"
            )
            return None
        parts = [str(item.get("container", ""))]
        if item.get("host") is not None:
            parts.insert(0, str(item["host"]))
            if item.get("host_ip"):
                parts.insert(0, str(item["host_ip"]))
        item = ":".join(parts) + (f"/{item['protocol']}" if item.get("protocol") else "")
    if not isinstance(item, str):
        check.bad("ports", f"entries must be 'host:container[/proto]' strings, got {_short(item)}")
        return None
    match = _PORT_RE.fullmatch(item.strip())
    if match is None:
        check.bad(
            "ports", f"entry {_short(item)} is not '[ip:]host:container[/tcp|udp]' or 'container'"
        )
        return None
    container = _port_number(check, match["container"], "container")
    host = _port_number(check, match["host"], "host")
    if container is None or (match["host"] is not None and host is None):
        return None
    ip = match["ip"]
    if ip and host is None:
        check.bad("ports", f"entry {_short(item)} names an address but no host port")
        return None
    if ip:
        try:
            address = ipaddress.ip_address(ip.strip("[]"))
        except ValueError:
            check.bad("ports", f"entry {_short(item)} has an invalid host address {ip!r}")
            return None
        if not address.is_unspecified:
            # moby libnetwork/drivers/windows/windows.go ConvertPortBindings: since 19.03 only
            # an unspecified host IP (0.0.0.0, ::) passes, earlier engines refuse any; the
            # container would fail at its start ("failed to create endpoint ... on network
            # nat"), after the old container was replaced.
            check.refuse(
                RULE_HOST_IP,
                "ports",
                f"port {_short(item)} binds host address {ip}: Windows does not support host IP"
                " addresses in NAT settings; publish it without an address (or 0.0.0.0), which"
                " binds every host address",
            )
            return None
    return Port(container=container, protocol=match["proto"] or "tcp", host=host, host_ip=ip)


def _mount(check: _Checker, item: object, engine_pipes: tuple[str, ...]) -> Mount | None:
    if isinstance(item, Mapping):
        unknown = set(item) - {"source", "target", "read_only"}
        if unknown:
            check.refuse(
                RULE_UNKNOWN_KEY, "volumes", f"volume entry has unknown keys {sorted(unknown)}"
            )
            return None
        target, source = item.get("target"), item.get("source")
        read_only = item.get("read_only", False)
        if not isinstance(target, str) or not target:
            check.bad("volumes", f"entry {_short(item)} needs a 'target' path")
            return None
        if source is not None and not isinstance(source, str):
            check.bad("volumes", f"entry {_short(item)} has a non-text 'source'")
            return None
        try:
            read_only = inputs.to_bool(read_only, "read_only")
        except inputs.InputTypeError as exc:
            check.bad("volumes", f"entry has a bad 'read_only' ({exc})")
            return None
        mount = Mount(target=target, source=source or None, read_only=read_only)
    elif isinstance(item, str):
        match = _MOUNT_RE.fullmatch(item)
        if match is None:
            check.bad(
                "volumes",
                f"entry {_short(item)} is not 'source:target[:ro|rw]' with Windows paths"
                " (C:\\dir) or a volume name",
            )
            return None
        mount = Mount(
            target=match["target"],
            source=match["source"],
            read_only=(match["mode"] or "").lower() == "ro",
        )
    else:
        check.bad("volumes", f"entries must be strings or mappings, got {_short(item)}")
        return None
    for path in (mount.source, mount.target):
        if path and mount_policy.is_engine_pipe(path, engine_pipes):
            check.refuse(
                RULE_ENGINE_PIPE,
                "volumes",
                f"mounting the container engine's named pipe ({path}) hands the container"
                " control of the host's engine, which breaks every isolation boundary",
            )
            return None
    return mount


def _networks(check: _Checker, value: object) -> list[str]:
    networks = _string_list(check, "networks", value)
    for network in networks:
        if network.casefold() == "host":
            check.refuse(
                RULE_HOST_NETWORK,
                "networks",
                "network 'host' shares the host's network stack (and Windows does not support it)",
            )
    return networks


def _memory(check: _Checker, value: object) -> int:
    if value is None:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (match := _MEMORY_RE.fullmatch(value.strip())):
        number = int(match[1]) * _MEMORY_UNITS[match[2].lower()]
    else:
        check.bad("memory", f"must be bytes or a size like '512m' or '2g', got {_short(value)}")
        return 0
    if 0 < number < _MIN_MEMORY_BYTES:
        check.refuse(
            RULE_MEMORY_FLOOR,
            "memory",
            f"memory {number} bytes is below the floor of 50 MB: Windows containers with"
            " low limits hang instead of failing (under 8 MB the container cannot be stopped,"
            " microsoft/Windows-Containers#482; 30 MB hung the docker service, moby/moby#37429)",
        )
        return 0
    if number > _MAX_MEMORY_BYTES:
        check.bad("memory", f"is {number} bytes, more than docker can hold (2^63 - 1)")
        return 0
    return number


def _storage(check: _Checker, value: object) -> int:
    """The container's scratch disk size in bytes (0: the engine's default)."""
    if value is None or value == 0:
        return 0
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (match := _STORAGE_RE.fullmatch(value.strip())):
        number = int(match[1]) * _STORAGE_UNITS[match[2].lower()]
    else:
        check.bad("storage", f"must be bytes or a size like '20g' or '1t', got {_short(value)}")
        return 0
    if 0 < number < MIN_STORAGE_BYTES:
        check.refuse(
            RULE_STORAGE_FLOOR,
            "storage",
            f"storage {number} bytes is below 20 GB, the scratch disk size Windows gives every"
            " container: docker's --storage-opt size only grows it (hcsshim ExpandScratchSize),"
            " so a smaller size would limit nothing; use 20g or more, or leave it unset",
        )
        return 0
    if number > _MAX_MEMORY_BYTES:
        check.bad("storage", f"is {number} bytes, more than docker can hold (2^63 - 1)")
        return 0
    if number < 0:
        check.bad("storage", f"must not be negative, got {_short(value)}")
        return 0
    return number


def docker_size_bytes(text: object) -> int:
    """go-units RAMInBytes as dockerd reads ``--storage-opt size=`` (moby
    vendor/github.com/docker/go-units/size.go): a number, optional decimals, an optional
    k/m/g/t/p unit with optional ``i`` and ``b``, binary multiples; 0 for anything else."""
    match = re.fullmatch(
        r"([0-9]+(?:\.[0-9]+)?) ?(?:([kmgtp])(?:b|ib)?|b)?", str(text or ""), re.IGNORECASE
    )
    if not match:
        return 0
    power = "kmgtp".index(match[2].lower()) + 1 if match[2] else 0
    return int(float(match[1]) * 1024**power)


def _cpus(check: _Checker, value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        check.bad("cpus", f"must be a number of CPUs, got {_short(value)}")
        return 0.0
    try:
        number = float(value)
    except ValueError:
        check.bad("cpus", f"must be a number of CPUs, got {_short(value)}")
        return 0.0
    if math.isnan(number) or number < 0:
        check.bad("cpus", f"must be positive, got {_short(value)}")
        return 0.0
    if math.isinf(number):
        check.bad("cpus", f"must be a finite number of CPUs, got {_short(value)}")
        return 0.0
    if 0 < number < _MIN_CPUS:
        check.bad("cpus", f"is {number}; docker's smallest CPU limit is {_MIN_CPUS} (0 for none)")
        return 0.0
    return number


def _labels(check: _Checker, value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        check.bad("labels", f"must be a mapping, got {type(value).__name__}")
        return {}
    labels: dict[str, str] = {}
    for key, item in value.items():
        text = _text(item)
        if not isinstance(key, str) or not key or text is None:
            check.bad("labels", f"entry {_short(key)} must map a name to text")
            continue
        if "=" in key:
            check.refuse(
                RULE_LABEL_KEY,
                "labels",
                f"label key {key!r} holds '='; docker splits --label at the first '=', so the"
                " container would carry another label and be replaced on every run",
            )
            continue
        if key.startswith(RESERVED_LABEL_PREFIX):
            check.refuse(
                RULE_RESERVED_LABEL,
                "labels",
                f"label {key!r} is reserved: labels starting with {RESERVED_LABEL_PREFIX!r}"
                " are set by the collection",
            )
            continue
        labels[key] = text
    return labels


def _optional_text(check: _Checker, entry: Mapping[str, Any], key: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        check.bad(key, f"must be text, got {_short(value)}")
        return None
    return value


def _flag(check: _Checker, entry: Mapping[str, Any], key: str) -> bool:
    try:
        return inputs.optional_bool(entry.get(key), key, False)
    except inputs.InputTypeError as exc:
        check.bad(key, f"is not a boolean ({exc})")
        return False


def _refuse_unsupported(check: _Checker, entry: Mapping[str, Any]) -> None:
    if entry.get("devices"):
        check.refuse(
            RULE_HOST_DEVICES,
            "devices",
            "host devices give the container direct access to host hardware, a hole in the"
            " isolation boundary; they are not deployed by this collection",
        )
    if _flag(check, entry, "privileged"):
        check.refuse(
            RULE_PRIVILEGED,
            "privileged",
            "privileged containers are not supported on Windows (docker refuses --privileged)",
        )
    if _flag(check, entry, "read_only"):
        check.refuse(
            RULE_READ_ONLY,
            "read_only",
            "read-only root filesystems are not supported on Windows (docker refuses --read-only)",
        )


def _normalise_entry(
    entry: object, index: int, host: str | None, engine_pipes: tuple[str, ...]
) -> tuple[WorkloadSpec | None, list[SpecProblem]]:
    check = _Checker(host, _label(entry, index))
    if not isinstance(entry, Mapping):
        # Only the type: a workload given as JSON text holds its secret_env values.
        check.refuse(
            RULE_NOT_A_MAPPING, None, f"each workload must be a mapping, got {_short(entry)}"
        )
        return None, check.problems

    unknown = sorted(str(key) for key in entry if key not in KNOWN_KEYS)
    if unknown:
        check.refuse(
            RULE_UNKNOWN_KEY,
            unknown[0],
            f"unknown key(s) {', '.join(unknown)}; known keys:"
            f" {', '.join(sorted(KNOWN_KEYS - ALWAYS_REFUSED_KEYS))}",
        )
    _refuse_unsupported(check, entry)

    name = entry.get("name")
    if name is None:
        check.refuse(RULE_REQUIRED, "name", "field 'name' (the container name) is required")
    else:
        try:
            trust_policy.validate_container_name(name)
        except ValueError as exc:
            check.refuse(RULE_BAD_NAME, "name", str(exc))
        else:
            name = container_name(name)
            if name.casefold().endswith(RESERVED_NAME_SUFFIX):
                check.refuse(
                    RULE_RESERVED_NAME,
                    "name",
                    f"names ending in {RESERVED_NAME_SUFFIX!r} are reserved for the temporary"
                    " container of a replacement; choose another name",
                )
    image = entry.get("image")
    if image is None:
        check.refuse(RULE_REQUIRED, "image", "field 'image' (tag or digest) is required")
    else:
        try:
            trust_policy.validate_image_reference(image)
        except ValueError as exc:
            shown = repr(image) if isinstance(image, str) and len(image) <= 80 else _short(image)
            check.refuse(RULE_BAD_IMAGE, "image", f"{shown}: {exc}")

    state = entry.get("state", "started")
    if state not in STATES:
        check.bad("state", f"must be one of {', '.join(STATES)}, got {_short(state)}")

    if "volumes" in entry and "mounts" in entry:
        check.bad("mounts", "and 'volumes' are the same setting; use one")
    raw_mounts = entry.get("volumes", entry.get("mounts")) or []
    if not isinstance(raw_mounts, list):
        check.bad("volumes", f"must be a list, got {type(raw_mounts).__name__}")
        raw_mounts = []
    raw_ports = entry.get("ports") or []
    if not isinstance(raw_ports, list):
        check.bad("ports", f"must be a list, got {type(raw_ports).__name__}")
        raw_ports = []

    env = _env(check, "env", entry.get("env"))
    secret_env = _env(check, "secret_env", entry.get("secret_env"))
    plain = {name.casefold() for name in env}
    clash = sorted(name for name in secret_env if name.casefold() in plain)
    if clash:
        check.refuse(
            RULE_SECRET_ENV_CLASH,
            "secret_env",
            f"variable(s) {', '.join(clash)} are set in both env and secret_env (Windows"
            " environment names ignore case)",
        )
    for variable in sorted(secret_env):
        if cli_env_name(variable):
            check.refuse(
                RULE_CLI_ENV,
                f"secret_env.{variable}",
                f"{variable} would be set in the docker CLI's own environment (secret_env values"
                " reach the container through it) and change how the CLI runs; use env for"
                " the container's own setting, or another name",
            )

    restart = entry.get("restart_policy", "no")
    if restart is False:  # YAML's bare `no`
        restart = "no"
    restart_match = _RESTART_RE.fullmatch(restart) if isinstance(restart, str) else None
    if restart_match is None:
        check.bad(
            "restart_policy",
            f"must be no, always, unless-stopped or on-failure[:N] (N >= 0), got {_short(restart)}",
        )
        restart = "no"
    elif restart_match["count"] is not None:
        count = int(restart_match["count"])
        restart = f"on-failure:{count}" if count else "on-failure"

    stop_timeout = entry.get("stop_timeout", 10)
    if (
        isinstance(stop_timeout, bool)
        or not isinstance(stop_timeout, int)
        or not 0 <= stop_timeout <= MAX_TIMEOUT_SECONDS
    ):
        check.bad(
            "stop_timeout",
            f"must be a whole number of seconds from 0 to {MAX_TIMEOUT_SECONDS},"
            f" got {_short(stop_timeout)}",
        )
        stop_timeout = 10

    spec = WorkloadSpec(
        name=name if isinstance(name, str) else "",
        image=image if isinstance(image, str) else "",
        state=state if state in STATES else "started",
        trust_boundary=_optional_text(check, entry, "trust_boundary"),
        trust_level=_optional_text(check, entry, "trust_level"),
        isolation=_optional_text(check, entry, "isolation"),
        user=_optional_text(check, entry, "user"),
        command=_command(check, entry.get("command")),
        entrypoint=_entrypoint(check, entry.get("entrypoint")),
        env=env,
        secret_env=secret_env,
        ports=[p for p in (_port(check, item) for item in raw_ports) if p is not None],
        mounts=[
            m for m in (_mount(check, item, engine_pipes) for item in raw_mounts) if m is not None
        ],
        networks=_networks(check, entry.get("networks")),
        restart_policy=restart,
        memory_bytes=_memory(check, entry.get("memory")),
        cpus=_cpus(check, entry.get("cpus")),
        storage_bytes=_storage(check, entry.get("storage")),
        labels=_labels(check, entry.get("labels")),
        stop_timeout=stop_timeout,
        allow_named_pipe_mounts=_flag(check, entry, "allow_named_pipe_mounts"),
    )
    return (None if check.problems else spec), check.problems


def normalise_workloads(
    entries: object,
    host: str | None = None,
    engine_pipes: tuple[str, ...] = ENGINE_PIPE_NAMES,
) -> list[WorkloadSpec]:
    """Validate and normalise every entry, or raise WorkloadSpecError listing all problems.

    ``engine_pipes`` are pipe names (under ``\\\\.\\pipe\\``) that reach the engine.
    """
    try:
        entries = inputs.to_list(entries, "wincontainers_workloads")
    except inputs.InputTypeError as exc:
        raise WorkloadSpecError(
            [SpecProblem(host, "(all)", RULE_NOT_A_LIST, None, str(exc))]
        ) from None
    specs: list[WorkloadSpec] = []
    problems: list[SpecProblem] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries):
        spec, entry_problems = _normalise_entry(entry, index, host, engine_pipes)
        problems.extend(entry_problems)
        name = entry.get("name") if isinstance(entry, Mapping) else None
        if isinstance(name, str) and name:
            name = container_name(name)
            # Docker names are case-sensitive, but Windows paths and humans are not.
            key = name.casefold()
            if key in seen:
                problems.append(
                    SpecProblem(
                        host,
                        repr(name),
                        RULE_DUPLICATE,
                        "name",
                        f"entries #{seen[key] + 1} and #{index + 1} both name container {name!r}",
                    )
                )
            else:
                seen[key] = index
        if spec is not None:
            specs.append(spec)
    problems.extend(_host_port_conflicts(specs, host))
    if problems:
        raise WorkloadSpecError(problems)
    return specs


def _host_port_conflicts(specs: list[WorkloadSpec], host: str | None) -> list[SpecProblem]:
    """A host port can be bound once per protocol and address: the second container to start
    fails, after the containers before it were changed. An address-less binding takes every
    address (0.0.0.0 and ::). One pass, keyed by (port, protocol): linear in the ports."""
    # (port, protocol) -> (workload holding every address or None, {address: workload})
    bound: dict[tuple[int, str], tuple[str | None, dict[str, str]]] = {}
    problems: list[SpecProblem] = []
    for spec in specs:
        if spec.state == "absent":
            continue
        for port in spec.ports:
            if port.host is None:
                continue
            key = (port.host, port.protocol)
            every, by_address = bound.get(key, (None, {}))
            if port.host_ip in _ANY_ADDRESS:
                other = every or next(iter(by_address.values()), None)
            else:
                other = every or by_address.get(port.host_ip)
            if other is not None:
                owner = "this workload" if other == spec.name else f"workload {other!r}"
                problems.append(
                    SpecProblem(
                        host,
                        repr(spec.name),
                        RULE_HOST_PORT_CONFLICT,
                        "ports",
                        f"host port {port.host}/{port.protocol} ({port.render()}) is already"
                        f" published by {owner}; a host port can be bound by one container only",
                    )
                )
                continue
            if port.host_ip in _ANY_ADDRESS:
                every = spec.name
            else:
                by_address[port.host_ip] = spec.name
            bound[key] = (every, by_address)
    return problems


_ANY_ADDRESS = {None, "0.0.0.0", "[::]"}


def host_port_holders(
    containers: list[Mapping[str, Any]], exclude: set[str]
) -> dict[tuple[int, str], str]:
    """(host port, protocol) -> name of a running container (not in ``exclude``) that binds it,
    from container_host_info's ``ports`` ("[ip:]host:container/proto")."""
    held: dict[tuple[int, str], str] = {}
    for container in containers:
        name = container.get("name")
        if not name or name in exclude:
            continue
        if not (container.get("running") or container.get("state") == "running"):
            continue
        for text in container.get("ports") or []:
            match = _PORT_RE.fullmatch(str(text).strip())
            if match and match["host"]:
                held.setdefault((int(match["host"]), match["proto"] or "tcp"), name)
    return held


def engine_pipe_names(daemon_config: Mapping[str, Any] | None) -> tuple[str, ...]:
    """Pipe names the engine listens on: docker_engine plus any npipe:// in daemon.json hosts."""
    names = list(ENGINE_PIPE_NAMES)
    hosts = (daemon_config or {}).get("hosts") or []
    for entry in hosts if isinstance(hosts, list) else []:
        if isinstance(entry, str) and entry.lower().startswith("npipe://"):
            pipe = entry[len("npipe://") :].replace("/", "\\").rstrip("\\").rsplit("\\", 1)[-1]
            if pipe and pipe not in names:
                names.append(pipe)
    return tuple(names)


def refuse_cpus_over_host(
    specs: list[WorkloadSpec], logical_processors: object, host: str | None
) -> list[SpecProblem]:
    """docker on Windows refuses ``--cpus`` above the host's processor count ("range of CPUs is
    from 0.01 to N.00"), at create time; here it is refused before any change. An unknown
    count refuses nothing."""
    if isinstance(logical_processors, bool) or not isinstance(logical_processors, int):
        return []
    if logical_processors < 1:
        return []
    return [
        SpecProblem(
            host,
            repr(spec.name),
            RULE_CPUS_OVER_HOST,
            "cpus",
            f"cpus {spec.cpus:g} is more than the {logical_processors} logical processor(s) the"
            f" host has; docker accepts 0.01 to {logical_processors}",
        )
        for spec in specs
        if spec.cpus > logical_processors
    ]


def refuse_network_under_hyperv(
    spec: WorkloadSpec, isolation: str, host: str | None
) -> SpecProblem | None:
    """``--network container:<x>`` shares another container's namespace; Hyper-V refuses it."""
    if isolation != "hyperv":
        return None
    for network in spec.networks:
        if network.startswith("container:"):
            return SpecProblem(
                host,
                repr(spec.name),
                RULE_CONTAINER_NETWORK_HYPERV,
                "networks",
                f"network {network!r} shares another container's network namespace, which"
                " Hyper-V isolation does not support and which would join two isolation"
                " boundaries",
            )
    return None
