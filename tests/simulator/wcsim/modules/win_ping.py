"""ansible.windows.win_ping (plugins/modules/win_ping.ps1 of ansible.windows 3.8)."""

from __future__ import annotations

from typing import Any, ClassVar

from ..windows import UnhandledError
from . import Model, register


@register
class WinPing(Model):
    name = "ansible.windows.win_ping"
    options: ClassVar[dict[str, dict[str, Any]]] = {"data": {"type": "str", "default": "pong"}}
    returns = frozenset({"ping"})
    supports_check_mode = True

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        if (params["data"] or "").lower() == "crash":  # PowerShell -eq ignores case
            raise UnhandledError("boom")  # the .ps1 throws "boom" on purpose
        return {"changed": False, "ping": params["data"]}
