# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every ``container_updates_*`` input, checked before the patch or the refresh changes anything.

The role's argument spec checks types only; the ranges, the lease ids' characters and the
lists are checked here, with the plan, so a value that would fail at the restore (after the
drain, the install and the restart) is refused before the drain, naming its variable. Values
come as the inventory or an AWX survey gives them (digit strings are numbers, JSON text is a
list). No value is quoted in a refusal: a credential never reaches a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    host_lock,
    inputs,
    workload_spec,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal

RULE = "bad-setting"
RESOLUTIONS = ("hold", "hyperv", "refresh")
# A lease id travels to the host's lock record and into messages: a plain token, no newline,
# no shell or PowerShell metacharacters. The default one is
# ``trustbound.wincontainers.container_updates/<AWX job id or 12 random characters>``.
LEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}$")

# variable: (lowest, highest); win_updates' reboot_timeout is per restart.
RANGES: dict[str, tuple[int, int]] = {
    "container_updates_start_timeout": (1, workload_spec.MAX_TIMEOUT_SECONDS),
    "container_updates_reboot_timeout": (1, 86400),
    "container_updates_ready_retries": (1, 1000),
    "container_updates_ready_delay": (0, 3600),
    "container_updates_lease_seconds": (1, 86400),
}


def _refuse(host: str | None, variable: str, text: str) -> Refusal:
    return Refusal.of(host, RULE, variable, "the patch settings", f"{text}. Nothing was changed.")


def whole_number(value: object, variable: str, low: int, high: int, host: str | None) -> int:
    """``value`` (or its digits, as surveys send them) within ``low..high``."""
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        number = int(value)
    if number is None or not low <= number <= high:
        got = str(number) if number is not None else inputs.describe(value)
        raise _refuse(host, variable, f"a whole number from {low} to {high} is needed, got {got}")
    return number


def lease_id(value: object, variable: str, host: str | None) -> str:
    """Empty, or a token of letters, digits and ``. _ : / @ + -`` (128 characters at most)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _refuse(host, variable, f"a string is needed, got {inputs.describe(value)}")
    if value and not LEASE_ID.match(value):
        raise _refuse(
            host,
            variable,
            "a lease id is letters, digits and . _ : / @ + - (first a letter or digit, 128"
            " characters at most); it has a newline, a space or another character the host's"
            " lock record and shells must not see",
        )
    return value


def _strings(value: object, variable: str, host: str | None) -> list[str]:
    try:
        items = inputs.to_list(value, variable)
    except inputs.InputTypeError as exc:
        raise _refuse(host, variable, str(exc)) from None
    if not all(isinstance(item, str) and item.strip() for item in items):
        raise _refuse(host, variable, "every entry must be a non-empty string")
    return items


def _credentials(value: object, variable: str, host: str | None) -> list[dict[str, str]]:
    try:
        items = inputs.to_list(value, variable)
    except inputs.InputTypeError as exc:
        raise _refuse(host, variable, str(exc)) from None
    for index, item in enumerate(items):
        fields = ("registry", "username", "password")
        if not isinstance(item, Mapping) or not all(
            isinstance(item.get(key), str) and item.get(key) for key in fields
        ):
            raise _refuse(
                host,
                variable,
                f"entry {index} must be a mapping with registry, username and password strings",
            )
    return [dict(item) for item in items]


def check(settings: Mapping[str, Any], host: str | None) -> dict[str, Any]:
    """The role's settings, checked and read; raises Refusal naming the first bad variable.

    ``settings``: variable name -> value, as the role passes them (role defaults fall back
    to the deployment's ``container_workloads_*`` settings).
    """
    checked: dict[str, Any] = {}
    for variable, (low, high) in RANGES.items():
        if variable in settings:
            checked[variable] = whole_number(settings[variable], variable, low, high, host)
    if "container_updates_lock_timeout" in settings:
        checked["container_updates_lock_timeout"] = host_lock.wait_seconds(
            settings["container_updates_lock_timeout"], host, "container_updates_lock_timeout"
        )
    for variable in ("container_updates_lease_id", "container_updates_resume_lease"):
        if variable in settings:
            checked[variable] = lease_id(settings[variable], variable, host)
    if "container_updates_resolution" in settings:
        resolution = settings["container_updates_resolution"]
        if resolution not in RESOLUTIONS:
            raise _refuse(
                host,
                "container_updates_resolution",
                f"one of {', '.join(RESOLUTIONS)} is needed, got {inputs.describe(resolution)}",
            )
        checked["container_updates_resolution"] = resolution
    if "container_updates_known_revisions" in settings:
        try:
            checked["container_updates_known_revisions"] = inputs.to_mapping(
                settings["container_updates_known_revisions"], "container_updates_known_revisions"
            )
        except inputs.InputTypeError as exc:
            raise _refuse(host, "container_updates_known_revisions", str(exc)) from None
    for variable in (
        "container_updates_accept_list",
        "container_updates_reject_list",
        "container_updates_adopt",
    ):
        if variable in settings:
            checked[variable] = _strings(settings[variable], variable, host)
    if settings.get("container_updates_categories") is not None:
        checked["container_updates_categories"] = _strings(
            settings["container_updates_categories"], "container_updates_categories", host
        )
    if "container_updates_owner" in settings:
        try:
            owner = inputs.to_text(settings["container_updates_owner"], "container_updates_owner")
        except inputs.InputTypeError as exc:
            raise _refuse(host, "container_updates_owner", str(exc)) from None
        checked["container_updates_owner"] = owner.strip()
    if "container_updates_registry_credentials" in settings:
        checked["container_updates_registry_credentials"] = _credentials(
            settings["container_updates_registry_credentials"],
            "container_updates_registry_credentials",
            host,
        )
    return checked
