# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""This collection's roles' arguments checked against their meta/argument_specs.yml.

What ansible-core's own role check does (ansible.builtin.validate_argument_spec with
the role's spec), for several roles in one task: a playbook that imports the roles
with ``rolespec_validate: false`` has the first of them check all (the container_host
role's ``container_host_validate_roles``), so a bad input of a later role stops the
host before an earlier one changes anything, and a host pays for one check.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

ROLES = ("container_host", "container_workloads", "container_updates")
RULE = "role-arguments"
# plugins/plugin_utils/role_arguments.py -> the collection's root
COLLECTION_ROOT = Path(__file__).parent.parent.parent
# libyaml's loader when PyYAML has it: each worker process parses the files again, and
# the pure-Python loader would cost a fleet-wide task most of its time.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class RoleSpecError(Exception):
    """A role of this collection has no readable argument spec for the entry point."""


@functools.cache
def _options(role: str, entry_point: str) -> dict[str, Any]:
    if role not in ROLES:
        raise RoleSpecError(f"{role!r} is not a role of this collection ({', '.join(ROLES)})")
    path = COLLECTION_ROOT / "roles" / role / "meta" / "argument_specs.yml"
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RoleSpecError(f"cannot read the argument spec of role {role!r}: {exc}") from None
    spec = (data.get("argument_specs") or {}).get(entry_point)
    if not isinstance(spec, dict) or not isinstance(spec.get("options"), dict):
        raise RoleSpecError(f"role {role!r} has no argument spec for entry point {entry_point!r}")
    return spec["options"]


def options(role: str, entry_point: str = "main") -> dict[str, Any]:
    """The ``options`` of ``role``'s ``entry_point`` in its meta/argument_specs.yml."""
    return copy.deepcopy(_options(role, entry_point))


def refusals(templar: Any, task_vars: Mapping[str, Any], roles: Sequence[str]) -> list[str]:
    """One message per variable of ``roles`` that their specs refuse, each ``role <name>: ...``.

    Only the variables the specs name are templated, each once however many roles read it.
    """
    specs = {role: options(role) for role in roles}
    names = {name for spec in specs.values() for name in spec if name in task_vars}
    values = templar.template({name: task_vars[name] for name in names})
    errors = []
    for role, spec in specs.items():
        given = {name: values[name] for name in spec if name in values}
        outcome = ArgumentSpecValidator(spec).validate(given, validate_role_argument_spec=True)
        errors.extend(f"role {role}: {message}" for message in outcome.error_messages)
    return errors


def refusal_message(host: str | None, errors: Sequence[str]) -> str:
    return (
        f"host {host!r}: refused by rule '{RULE}' before any change: {'; '.join(errors)}."
        " Nothing was changed."
    )
