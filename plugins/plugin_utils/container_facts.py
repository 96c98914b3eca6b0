# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``docker inspect`` JSON of a container -> the container entry of container_host_info's facts.

The Python side of the raw reader issue 18 describes: the host returns ``docker inspect``
JSON (projected by the controller's template, environment values stripped to names on the
host), and ``host_read.py`` maps each container with ``container_fact`` to the contract
docs/architecture.md documents (``containers:``), checked end to end through the real docker
CLI in tests/simulator/unit/test_host_read_differential.py.

One difference from the former .ps1 mapping, on purpose: a named volume is reported as
``name:target`` (``Mounts[].Name``), not by its ``Source``, which docker rebuilds as the
volume's folder under the data root (moby volume/local/local.go) and which the audit would
take for a bind mount of the data root.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CONFIG_HASH_LABEL = "trustbound.wincontainers.config_hash"
MASK = "********"


def _list(value: Any) -> list[Any]:
    return list(value) if value else []


def _ports(bindings: Mapping[str, Any] | None) -> list[str]:
    """``HostConfig.PortBindings`` -> ``[ip:]host:container/proto`` (``container/proto`` when
    the engine picks the host port)."""
    ports = []
    for container_port, entries in (bindings or {}).items():
        for entry in entries or [{}]:
            host_ip, host_port = entry.get("HostIp") or "", entry.get("HostPort") or ""
            if not host_port:
                ports.append(container_port)
            elif host_ip:
                # An IPv6 address in brackets, as docker's port syntax writes it.
                shown = f"[{host_ip}]" if ":" in host_ip else host_ip
                ports.append(f"{shown}:{host_port}:{container_port}")
            else:
                ports.append(f"{host_port}:{container_port}")
    return ports


def _networks(networks: Mapping[str, Any], mode: str) -> list[str]:
    """The container's networks, the one it was created on (``NetworkMode``) first: inspect
    JSON lists ``Networks`` in key order (Go sorts map keys), not in the order joined."""
    others = sorted(name for name in networks if name != mode)
    return [mode, *others] if mode in networks else others


def _mount(mount: Mapping[str, Any]) -> str:
    source = mount.get("Name") if mount.get("Type") == "volume" else mount.get("Source")
    text = f"{source}:{mount.get('Destination')}" if source else str(mount.get("Destination"))
    return text if mount.get("RW", True) else f"{text}:ro"


def _restart(policy: Mapping[str, Any] | None) -> str:
    name = (policy or {}).get("Name") or "no"
    retries = int((policy or {}).get("MaximumRetryCount") or 0)
    return f"{name}:{retries}" if name == "on-failure" and retries > 0 else name


def _labels(labels: Mapping[str, Any] | None) -> dict[str, str]:
    """A config hash of the first label format ("sha256:", unkeyed over secret values) is
    masked; "v2-" hashes hold no secret (or are keyed) and are shown."""
    shown = {str(k): str(v) for k, v in (labels or {}).items()}
    value = shown.get(CONFIG_HASH_LABEL)
    if value is not None and not value.startswith("v2-"):
        shown[CONFIG_HASH_LABEL] = MASK
    return shown


def container_fact(inspect: Mapping[str, Any], default_isolation: str) -> dict[str, Any]:
    """One container's facts from its ``docker inspect`` object.

    ``default_isolation`` is ``docker info``'s ``Isolation``: an empty or ``default``
    ``HostConfig.Isolation`` (left by older engines) means it."""
    config = inspect.get("Config") or {}
    host_config = inspect.get("HostConfig") or {}
    state = inspect.get("State") or {}
    isolation = str(host_config.get("Isolation") or "")
    if isolation.lower() in ("", "default"):
        isolation = default_isolation
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    return {
        "id": inspect.get("Id"),
        "name": str(inspect.get("Name") or "").lstrip("/"),
        "image": config.get("Image"),
        "image_id": inspect.get("Image"),
        "isolation": isolation.lower(),
        "user": str(config.get("User") or ""),
        "state": str(state.get("Status") or ""),
        "running": bool(state.get("Running")),
        "labels": _labels(config.get("Labels")),
        "command": _list(config.get("Cmd")),
        "entrypoint": _list(config.get("Entrypoint")),
        # Names only: the host strips the values (they may be secrets).
        "env_names": [str(e).split("=", 1)[0] for e in config.get("Env") or [] if e],
        "ports": _ports(host_config.get("PortBindings")),
        "mounts": [_mount(m) for m in inspect.get("Mounts") or []],
        # "container:<id>" shares another container's namespace (Networks is empty then).
        "networks": _networks(networks, str(host_config.get("NetworkMode") or "")),
        "network_mode": str(host_config.get("NetworkMode") or ""),
        "devices": [str(d.get("PathOnHost")) for d in host_config.get("Devices") or [] if d],
        "security_opt": _list(host_config.get("SecurityOpt")),
        "restart_policy": _restart(host_config.get("RestartPolicy")),
        "memory_bytes": int(host_config.get("Memory") or 0),
        "cpus": int(host_config.get("NanoCpus") or 0) / 1e9,
        # --storage-opt size= as given (the windowsfilter driver reads the key case-blind).
        "storage_size": next(
            (
                str(v)
                for k, v in (host_config.get("StorageOpt") or {}).items()
                if k.lower() == "size"
            ),
            "",
        ),
    }
