# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_steps: a task's planned steps (``action``, ``name``,
``image``, ``registry``, ... as container_plan.py and the roles' filters write them) become the
executor's command lines through ``plugins/plugin_utils/executor_args.py``, and its raw
outcomes the ``results`` every consumer reads. Steps that already carry their ``commands``
(rendered elsewhere) go to the module as given."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import executor_args

# The executor's own keys of a step: a task that gives them has rendered its steps.
RENDERED_KEYS = frozenset({"commands", "skip_if", "poll", "diagnose", "finally"})
PASSED = (
    "lock_timeout",
    "lock_holder",
    "replan_after_wait",
    "lease_id",
    "lease_seconds",
    "keep_lease_on_failure",
    "keep_lease",
    "preconditions",
)


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        steps = list(args.get("steps") or [])
        if any(RENDERED_KEYS & set(step) for step in steps if isinstance(step, dict)):
            module_args = args
        else:
            unknown = sorted(set(args) - set(PASSED) - {"steps", "secrets", "registry_credentials"})
            if unknown:
                # docker_path is gone: the executor runs only the docker.exe the engine installs.
                result.update(
                    failed=True, msg=f"container_steps: unsupported option(s): {', '.join(unknown)}"
                )
                return result
            try:
                module_args = executor_args.module_args(
                    steps,
                    secrets={e["key"]: e["value"] for e in args.get("secrets") or []},
                    credentials=args.get("registry_credentials") or [],
                    **{key: args[key] for key in PASSED if key in args},
                )
            except (KeyError, TypeError, ValueError) as exc:
                result.update(failed=True, msg=f"container_steps: {exc}")
                return result
        reply = self._execute_module(
            module_name=executor_args.MODULE, module_args=module_args, task_vars=task_vars
        )
        if module_args is args:
            result.update(reply)
        else:
            result.update(executor_args.read_reply(steps, reply))
        return result
