# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_patch_prepare: the task's options, then one call of
``plugins/plugin_utils/patch_prepare.py`` (read, resume, search, plan, servicing stack,
pre-stage, drain under the lease)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    patch_io,
    patch_prepare,
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=patch_prepare.ARGUMENT_SPEC)
        io = patch_io.PatchHostIO(self, task_vars)
        result.update(patch_prepare.start(io, args, patch_io.win_updates(self, task_vars)))
        return result
