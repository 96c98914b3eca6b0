# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the variables of several of this collection's roles in one task, before any runs.

What ansible-core's own role validation task does (ansible.builtin.validate_argument_spec
with the role's meta/argument_specs.yml), for every role a playbook is about to run, so a
bad input of a later role stops the host before an earlier one changes anything; and one
task per host instead of one per role.
"""

from __future__ import annotations

import copy
from typing import Any

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import role_specs

ARGUMENT_SPEC: dict[str, Any] = {
    "roles": {
        "type": "list",
        "elements": "str",
        "required": True,
        "choices": list(role_specs.ROLES),
    },
}
RULE = "role-arguments"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        task_vars = task_vars or {}
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        host = task_vars.get("inventory_hostname")
        specs = {}
        for role in args["roles"]:
            try:
                specs[role] = copy.deepcopy(role_specs.options(role))
            except role_specs.RoleSpecError as exc:
                return dict(result, failed=True, changed=False, msg=f"host {host!r}: {exc}")

        # Each variable templated once, however many of the roles read it.
        names = {name for spec in specs.values() for name in spec if name in task_vars}
        values = self._templar.template({name: task_vars[name] for name in names})

        errors = []
        for role, spec in specs.items():
            given = {name: values[name] for name in spec if name in values}
            outcome = ArgumentSpecValidator(spec).validate(given, validate_role_argument_spec=True)
            errors.extend(f"role {role}: {message}" for message in outcome.error_messages)
        if errors:
            return dict(
                result,
                failed=True,
                changed=False,
                rule=RULE,
                argument_errors=errors,
                msg=f"host {host!r}: refused by rule '{RULE}' before any role ran, nothing was"
                f" changed: {'; '.join(errors)}",
            )
        return dict(
            result, changed=False, roles=list(specs), msg="every role's arguments are valid"
        )
