# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the controller's refusals: a message plus the host, rule and field it names."""

from __future__ import annotations


class Refusal(ValueError):
    """Something that must not reach the host; ``str(self)`` names the host and the rule."""

    def __init__(self, message: str, *, host: str | None, rule: str, field: str | None = None):
        super().__init__(message)
        self.host = host
        self.rule = rule
        self.field = field

    @classmethod
    def of(cls, host: str | None, rule: str, field: str, subject: str, text: str):
        """``<host>: <subject> refused (rule <rule>, <field>): <text>``."""
        who = f"host {host!r}" if host else "this host"
        return cls(
            f"{who}: {subject} refused (rule {rule}, {field}): {text}",
            host=host,
            rule=rule,
            field=field,
        )
