# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The argument specs of this collection's roles, read from their meta/argument_specs.yml.

The same file ansible-core reads for a role's own validation task, so a check of
several roles at once (validate_role_arguments) can never disagree with it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

ROLES = ("container_host", "container_workloads", "container_updates")
# plugins/plugin_utils/role_specs.py -> the collection's root
COLLECTION_ROOT = Path(__file__).parent.parent.parent


class RoleSpecError(Exception):
    """A role of this collection has no readable argument spec for the entry point."""


@functools.cache
def options(role: str, entry_point: str = "main") -> dict[str, Any]:
    """The ``options`` of ``role``'s ``entry_point`` in its meta/argument_specs.yml."""
    if role not in ROLES:
        raise RoleSpecError(f"{role!r} is not a role of this collection ({', '.join(ROLES)})")
    path = COLLECTION_ROOT / "roles" / role / "meta" / "argument_specs.yml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RoleSpecError(f"cannot read the argument spec of role {role!r}: {exc}") from None
    spec = (data.get("argument_specs") or {}).get(entry_point)
    if not isinstance(spec, dict) or not isinstance(spec.get("options"), dict):
        raise RoleSpecError(f"role {role!r} has no argument spec for entry point {entry_point!r}")
    return spec["options"]
