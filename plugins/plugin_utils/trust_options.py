# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The trust options the actions take, and the inventory variables they stand for.

A task passes ``wincontainers_trust_boundary`` as ``trust_boundary`` and so on;
the trust policy reads them under their inventory names (host_facts.policy_host).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import trust_policy

# Task option -> inventory variable.
TRUST_OPTIONS: dict[str, str] = dict(trust_policy.INVENTORY_VARIABLES)

# Raw: surveys send booleans as text; inputs.py and the trust policy read and validate them.
RAW_ARGUMENT_SPEC: dict[str, dict[str, str]] = {option: {"type": "raw"} for option in TRUST_OPTIONS}


def trust_hostvars(args: Mapping[str, Any]) -> dict[str, Any]:
    """The inventory variables the trust policy reads, from a task's options (only set ones)."""
    return {var: args[opt] for opt, var in TRUST_OPTIONS.items() if args.get(opt) is not None}
