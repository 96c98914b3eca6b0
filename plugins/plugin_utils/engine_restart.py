# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an engine restart does to the host's containers, decided on the controller.

Stopping dockerd stops every container; at its next start dockerd restarts
only ``always`` containers and ``unless-stopped`` ones not stopped by hand
(moby ``daemon.restore``). So before a step that stops the engine, the
module lists every container that runs (every owner's, hand-started ones
too) once it holds the host lock, since another writer may have replaced
containers after the controller's read; it starts each one again that is not
running after the engine is back, and the ones that would not start are
reported by name with docker's error. The controller's read gives the check
mode warning and the names of the ones the module reports without one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_steps

# Steps of container_engine after which the engine has been stopped.
STOPPING_STEPS = frozenset({"install", "restart", "unregister_service", "protect_data_root"})


def stops_engine(steps: Sequence[str], engine: Mapping[str, Any]) -> bool:
    """True when carrying out ``steps`` stops an engine that runs now."""
    return engine_steps.service_up(engine.get("service_state")) and bool(
        STOPPING_STEPS & set(steps)
    )


def running_containers(info: Mapping[str, Any]) -> list[dict[str, str]]:
    """``[{id, name}]`` of every running container in container_host_info's result."""
    return [
        {"id": str(c["id"]), "name": str(c.get("name") or c["id"])}
        for c in info.get("containers") or []
        if isinstance(c, Mapping) and c.get("id") and c.get("running")
    ]


def check_mode_warning(host: str | None, running: Sequence[Mapping[str, str]]) -> str:
    names = ", ".join(c["name"] for c in running) or "none run now"
    return (
        f"host {host!r}: the engine restart stops every container ({names}); the engine "
        "change starts each of them again afterwards and reports any that would not start"
    )


def not_restarted_warnings(
    host: str | None, running: Sequence[Mapping[str, str]], module_result: Mapping[str, Any]
) -> list[str]:
    """One warning per container that ran before the restart and would not start again."""
    names = {c["id"]: c["name"] for c in running}
    report = module_result.get("containers") or {}
    warnings = []
    if report.get("list_error"):
        warnings.append(
            f"host {host!r}: the running containers could not be listed before the engine"
            f" stopped ({report['list_error']}); those without a restart policy that ran stay"
            " stopped"
        )
    for entry in report.get("not_restarted") or []:
        cid = str(entry.get("id", ""))
        name = entry.get("name") or names.get(cid, cid)
        warnings.append(
            f"host {host!r}: container {name!r} ran before the engine restart and "
            f"would not start again: {entry.get('error') or 'no error given'}"
        )
    return warnings
