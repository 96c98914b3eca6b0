"""Desired workloads and the containers container_host_info reports for them, for the
planner's tests."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_spec as ws

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
NANO_ID = "sha256:" + "a" * 64
OWNER = "inv"


HASH_KEY = cp.host_hash_key("site-secret-key-for-tests", "h1")


def desired(
    isolation="process", user="ContainerUser", image_id=NANO_ID, hash_key=HASH_KEY, **entry
) -> cp.Desired:
    entry.setdefault("name", "web")
    entry.setdefault("image", NANO)
    spec = ws.normalise_workloads([entry], host="h1")[0]
    return cp.Desired(
        spec=spec,
        isolation=isolation,
        user=user,
        trust_boundary="acme",
        trust_level=spec.trust_level or "trusted",
        image_id=image_id,
        decision={"isolation": isolation, "user": user, "reasons": [], "rules": []},
        hash_key=hash_key,
    )


def deployed(d: cp.Desired, **changes) -> dict:
    """The container container_host_info reports for ``d`` once deployed."""
    container = {
        "id": "c" * 64,
        "name": d.name,
        "image": d.spec.image,
        "image_id": d.image_id,
        "isolation": d.isolation,
        "user": d.user,
        "state": "running",
        "running": True,
        "labels": {**d.labels(OWNER), "image.label": "from-image"},
        "ports": [p.render() for p in d.spec.ports],
    }
    container.update(changes)
    return container
