# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_host_info: render the reads, run the module once, map.

The module (container_host_info.ps1) returns raw data; ``plugins/plugin_utils/host_read.py``
renders the docker reads it runs and maps its result to the facts contract, so a task
``trustbound.wincontainers.container_host_info:`` registers the same facts as before, in
one module run (as ansible.windows pairs win_updates' action plugin with its module).
Every other action reads the host through ``host_read.read`` too.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_read

# What the module itself returns (the raw read); RETURN documents the mapped facts.
# tests/powershell checks the .ps1's $module.Result keys and the simulator model against it.
RAW_RESULT_KEYS = (
    "property_values",
    "processor_count",
    "features",
    "reboot_signals",
    "host_lock",
    "engine",
    "docker",
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        # The reads are the controller's: a task gives none (argument_spec of no options).
        self.validate_argument_spec(argument_spec={})
        result.update(
            host_read.read(
                lambda module_args: self._execute_module(
                    module_name=host_read.MODULE, module_args=module_args, task_vars=task_vars
                )
            )
        )
        return result
