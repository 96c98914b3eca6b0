"""Builders of ``container_host_info`` results and inventories for the audit tests.

``clean_host()`` is a compliant Windows Server 2022 host: hardened engine,
one managed workload exactly as the inventory says. Each test breaks one thing.
"""

from __future__ import annotations

import copy
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan,
    workload_spec,
)

HOST = "ws2022"
OWNER = "trustbound.wincontainers"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
CORE = "mcr.microsoft.com/windows/servercore:ltsc2022"
HOST_VERSION = "10.0.20348.2340"
IMAGES = [
    {
        "id": "sha256:" + "1" * 64,
        "repo_tags": [NANO],
        "repo_digests": [],
        "os_version": HOST_VERSION,
        "user": "ContainerUser",
    },
    {
        "id": "sha256:" + "2" * 64,
        "repo_tags": [CORE],
        "repo_digests": [],
        "os_version": HOST_VERSION,
        "user": "",
    },
]
WEB = {"name": "web", "image": NANO, "memory": "512m", "cpus": 1}
HOSTVARS = {"wincontainers_trust_boundary": "contoso"}


def info(**changes: Any) -> dict[str, Any]:
    base = {
        "os": {
            "version": HOST_VERSION,
            "build": 20348,
            "revision": 2340,
            "product_name": "Windows Server 2022 Datacenter",
        },
        "machine": {"logical_processors": 4, "memory_mb": 16384},
        "features": {"Containers": "Installed", "Hyper-V": "Installed"},
        "reboot_pending": False,
        "engine": {
            "kind": "docker",
            "installed": True,
            "version": "27.3.1",
            "service_state": "running",
            "install_path": "C:\\Program Files\\docker",
            "daemon_config": {
                "hosts": ["npipe://"],
                "log-driver": "json-file",
                "log-opts": {"max-size": "10m", "max-file": "3"},
            },
        },
        "images": copy.deepcopy(IMAGES),
        "containers": [],
    }
    base.update(changes)
    return base


def managed(
    workload: dict[str, Any],
    *,
    isolation: str = "process",
    user: str = "ContainerUser",
    boundary: str = "contoso",
    level: str = "trusted",
    hash_key: bytes | None = None,
    **container: Any,
) -> dict[str, Any]:
    """The container container_workloads would have created for ``workload``."""
    (spec,) = workload_spec.normalise_workloads([workload], host=HOST)
    image = container_plan.find_image(IMAGES, spec.image)
    desired = container_plan.Desired(
        spec=spec,
        isolation=isolation,
        user=user,
        trust_boundary=boundary,
        trust_level=level,
        image_id=image["id"],
        hash_key=hash_key,
    )
    base = {
        "id": f"{spec.name}-id",
        "name": spec.name,
        "image": spec.image,
        "image_id": image["id"],
        "isolation": isolation,
        "user": user,
        "state": "running",
        "running": True,
        "labels": desired.labels(OWNER),
        "ports": [],
        "mounts": [],
        "networks": ["nat"],
        "network_mode": "nat",
        "devices": [],
        "memory_bytes": spec.memory_bytes,
        "cpus": spec.cpus,
        "storage_size": str(spec.storage_bytes) if spec.storage_bytes else "",
    }
    base.update(container)
    return base


def unmanaged(name: str, **container: Any) -> dict[str, Any]:
    base = {
        "id": f"{name}-id",
        "name": name,
        "image": NANO,
        "image_id": IMAGES[0]["id"],
        "isolation": "hyperv",
        "user": "",
        "state": "running",
        "running": True,
        "labels": {},
        "ports": [],
        "mounts": [],
        "networks": ["nat"],
        "network_mode": "nat",
        "devices": [],
        "memory_bytes": 512 * 1024**2,
        "cpus": 1,
    }
    base.update(container)
    return base


def clean_host() -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """(container_host_info result, hostvars, workloads) of a compliant host."""
    return info(containers=[managed(WEB)]), dict(HOSTVARS), [dict(WEB)]
