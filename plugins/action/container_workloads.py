# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_workloads: the task's options, then one reconcile.

The reconcile (one read, the policy and the plan on the controller, one apply) is
``plugins/plugin_utils/workload_reconcile.py``, callable from other actions too; this
action checks the options against its argument spec and runs it over the task's host.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    workload_reconcile,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(
            argument_spec=workload_reconcile.ARGUMENT_SPEC
        )
        io = workload_reconcile.ActionHostIO(self, task_vars)
        result.update(workload_reconcile.reconcile(io, args))
        return result
