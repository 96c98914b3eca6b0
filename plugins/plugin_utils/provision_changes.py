# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What provisioning would still change on a host, from one read and the role's plan.

The container_host role ends for a host (meta end_role) unless ``pending()`` says
something differs, so a host that already matches costs one read and no change
step; after the changes, the same comparison on a fresh read is the readiness check
(``not_ready()``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    engine_steps,
    provision_plan,
)

RULE_READY = "host-ready"


def pending(info: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, Any]:
    """``features`` still to install, ``restart_pending`` (a feature waits for a restart),
    ``engine_steps`` container_engine would carry out, and ``needed`` (any of them)."""
    features = list(plan["features"])
    missing = provision_plan.missing_features(info, features)
    restart = provision_plan.restart_pending(info, features)
    steps = engine_steps.plan_steps(
        info.get("engine") or {},
        plan["engine"]["version"],
        plan["daemon_config"],
        layers=engine_steps.has_layers(info),
    )
    return {
        "features": missing,
        "restart_pending": restart,
        "engine_steps": steps,
        "needed": bool(missing or restart or steps),
    }


def not_ready(host: str | None, info: Mapping[str, Any], changes: Mapping[str, Any]) -> str:
    """Why the host read as ``info`` is not what provisioning set out to make it."""
    left = []
    if changes["features"]:
        left.append(f"features not installed: {', '.join(changes['features'])}")
    if changes["restart_pending"]:
        left.append("a feature install still waits for a restart")
    if changes["engine_steps"]:
        left.append(f"engine steps still needed: {', '.join(changes['engine_steps'])}")
    engine = info.get("engine") or {}
    return (
        f"host {host!r} is not a ready container host after provisioning (rule"
        f" '{RULE_READY}'): {'; '.join(left)}. The host reads: features"
        f" {dict(info.get('features') or {})}, engine {engine.get('version') or '(none)'}"
        f" {engine.get('service_state') or 'absent'}."
    )
