# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_updates_outcome: a held host's warnings and the run summary.

Runs nothing on the host (plugin_utils/patch_outcome.py decides).
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_outcome

ARGUMENT_SPEC: dict[str, Any] = {
    "mode": {"type": "str", "required": True, "choices": list(patch_outcome.OUTCOMES)},
    "outcome": {"type": "str", "required": True},
    "reasons": {"type": "list", "elements": "str", "default": []},
    "detail": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname") or ""
        try:
            result.update(
                patch_outcome.outcome(
                    args["mode"], host, args["outcome"], args["reasons"], args.get("detail")
                )
            )
        except patch_outcome.OutcomeError as exc:
            result.update(failed=True, changed=False, msg=str(exc))
        return result
