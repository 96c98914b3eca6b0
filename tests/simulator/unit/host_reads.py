"""container_host_info as the action plugin runs it: the controller's reads, then the mapping.

The module (and its model) returns raw data; ``read`` sends the reads
plugins/plugin_utils/host_read.py renders and maps the result to the facts contract, as
the action plugin of the same name does.
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_read
from wcsim.interface import ModuleRun


def read(fleet: Any, host: str, check_mode: bool = False) -> tuple[int, dict[str, Any]]:
    """(the module's exit code, the task's result as the action plugin returns it)."""
    codes: list[int] = []

    def execute(module_args: dict[str, Any]) -> dict[str, Any]:
        reply = fleet.handle(
            host, ModuleRun(module=host_read.MODULE, args=module_args, check_mode=check_mode)
        )
        codes.append(reply.rc)
        return json.loads(reply.stdout)

    result = host_read.read(execute)
    return codes[0], result


def facts_of(host: Any) -> dict[str, Any]:
    """The mapped facts of one simulated host (``wcsim.host.Host``), the model run directly."""
    from wcsim.modules.container_host_info import ContainerHostInfo

    return host_read.facts(ContainerHostInfo().run(host, host_read.module_args(), False, False))
