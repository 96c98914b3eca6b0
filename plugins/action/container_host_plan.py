# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of container_host_plan: one read, the provisioning plan, what differs.

The container_host role's first task. Its one ``container_host_info`` run is the
read every later step of the play decides on until something changes the host;
the plan (provision_plan) refuses before any change; the comparison with the read
(provision_changes) tells the role whether its change steps run at all.
Given ``plan`` (a result of this action), it reads the host again and checks it
against that plan instead: the readiness check after the changes. Given
``validate_roles``, it first checks those roles' arguments (role_arguments), for a
playbook that imports them without their own check.
"""

from __future__ import annotations

from typing import Any

from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    host_facts,
    host_read,
    provision_changes,
    provision_plan,
    redaction,
    role_arguments,
    trust_options,
)

INFO_MODULE = "trustbound.wincontainers.container_host_info"

ARGUMENT_SPEC: dict[str, Any] = {
    "workloads": {"type": "raw", "default": []},
    **trust_options.RAW_ARGUMENT_SPEC,
    "settings": {"type": "dict", "default": {}},
    "plan": {"type": "dict"},
    "validate_roles": {
        "type": "list",
        "elements": "str",
        "default": [],
        "choices": list(role_arguments.ROLES),
    },
}
# Keys of a result of this action that describe the read, not the plan.
READ_KEYS = ("info", "changes", "changed", "failed", "msg", "warnings", "invocation")


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        host = task_vars.get("inventory_hostname")
        # Collected before validation, so a refusal of the workloads cannot show a secret.
        secrets = redaction.workload_secrets(self._task.args.get("workloads"))
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        if args["plan"] is not None and not _is_plan(args["plan"]):
            return dict(
                result,
                failed=True,
                changed=False,
                msg=f"host {host!r}: plan must be a result of container_host_plan (with"
                " features, engine and daemon_config). Nothing was changed.",
            )

        if args["validate_roles"]:
            errors = role_arguments.refusals(self._templar, task_vars, args["validate_roles"])
            if errors:
                return dict(
                    result,
                    failed=True,
                    changed=False,
                    msg=role_arguments.refusal_message(host, errors),
                    rule=role_arguments.RULE,
                    argument_errors=errors,
                )

        info = host_read.read(
            lambda module_args: self._execute_module(
                module_name=INFO_MODULE, module_args=module_args, task_vars=task_vars
            )
        )
        problem = host_facts.read_problem(info)
        if problem:
            msg = info.get("msg") if info.get("failed") else problem
            return dict(
                result,
                failed=True,
                changed=False,
                msg=redaction.redact(
                    f"host {host!r}: container_host_info failed: {msg}. Nothing was changed.",
                    secrets,
                ),
            )

        if args["plan"] is not None:
            plan = {k: v for k, v in args["plan"].items() if k not in READ_KEYS}
            warnings: list[str] = []
        else:
            plan = provision_plan.plan_or_refusal(
                info,
                trust_options.trust_hostvars(args),
                host,
                args["workloads"],
                args["settings"],
            )
            if plan["error"] is not None:
                return dict(
                    result, failed=True, changed=False, msg=plan["error"], rule=plan["rule"]
                )
            warnings = plan.pop("warnings")

        changes = provision_changes.pending(info, plan)
        plan.update(
            missing_features=changes["features"], restart_pending=changes["restart_pending"]
        )
        result.update(plan, info=info, changes=changes, changed=False)
        if args["plan"] is not None and changes["needed"]:
            return dict(
                result,
                failed=True,
                msg=provision_changes.not_ready(host, info, changes),
                rule=provision_changes.RULE_READY,
            )
        if warnings:
            result["warnings"] = warnings
        return result


def _is_plan(value: dict[str, Any]) -> bool:
    engine = value.get("engine")
    return (
        isinstance(value.get("features"), list)
        and isinstance(engine, dict)
        and "version" in engine
        and isinstance(value.get("daemon_config"), dict)
    )
