# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Host I/O of the patch actions: a host that does not answer is a failed reply, not an end.

ansible-core ends a host that raises a connection failure as unreachable, which runs no
rescue: its workloads would stay drained and the run summary would not count it. The patch
actions read such a reply (``unreachable: true``) as a failure they report and count.
``win_updates`` runs ansible.windows' own action plugin (its search rounds, its reboot loop)
as a part of the task, as ansible-core's shell action runs the command action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_reconcile

WIN_UPDATES = "ansible.windows.win_updates"


def unreachable(host: str | None, exc: Exception) -> dict[str, Any]:
    return {
        "failed": True,
        "unreachable": True,
        "changed": False,
        "msg": f"host {host!r} does not answer: {exc}",
    }


class PatchHostIO(workload_reconcile.ActionHostIO):
    """``ActionHostIO`` whose module runs return a failed reply when the host does not answer."""

    def run_module(self, name: str, module_args: dict[str, Any]) -> dict[str, Any]:
        try:
            return super().run_module(name, module_args)
        except AnsibleConnectionFailure as exc:
            return unreachable(self.host, exc)


def win_updates(action: Any, task_vars: dict[str, Any]) -> Callable[[dict[str, Any]], dict]:
    """A function that runs ansible.windows.win_updates with the given options in the task."""

    def run(args: dict[str, Any]) -> dict[str, Any]:
        task = action._task.copy()
        task.args = dict(args)
        updates = action._shared_loader_obj.action_loader.get(
            WIN_UPDATES,
            task=task,
            connection=action._connection,
            play_context=action._play_context,
            loader=action._loader,
            templar=action._templar,
            shared_loader_obj=action._shared_loader_obj,
        )
        try:
            return updates.run(task_vars=task_vars)
        except AnsibleConnectionFailure as exc:
            return unreachable(task_vars.get("inventory_hostname"), exc)

    return run
