"""A connection double for driving ansible.windows' own reboot and update code
against a simulated fleet (the ``sim`` fixture of conftest.py).

It lives in its own module, not in conftest.py, so that importing it never
picks up another directory's conftest when test directories are collected
together.
"""

from __future__ import annotations

import base64
import shlex
from typing import Any
from unittest.mock import MagicMock

from wcsim.interface import HostUnreachable, RawCommand


class FakeConnection:
    """The bits of an ansible connection plugin ansible.windows' reboot code uses."""

    def __init__(self, sim: Any, host: str) -> None:
        self.sim = sim
        self.host = host
        self.options: dict[str, Any] = {"connection_timeout": 30}
        self.scripts: list[str] = []
        self._shell = MagicMock()
        self._shell.tmpdir = "C:\\Windows\\TEMP\\ansible-tmp"

    def exec_command(
        self, cmd: str, in_data: bytes | None = None, sudoable: bool = True
    ) -> tuple[int, bytes, bytes]:
        from ansible.errors import AnsibleConnectionFailure

        parts = shlex.split(cmd)
        script = base64.b64decode(parts[parts.index("-EncodedCommand") + 1]).decode("utf-16-le")
        self.scripts.append(script)
        try:
            reply = self.sim.fleet.handle(self.host, RawCommand(script))
        except HostUnreachable as err:
            raise AnsibleConnectionFailure(str(err)) from err
        return reply.rc, reply.stdout.encode(), reply.stderr.encode()

    def get_option(self, key: str) -> Any:
        return self.options[key]

    def set_option(self, key: str, value: Any) -> None:
        self.options[key] = value

    def close(self) -> None:
        pass

    def reset(self) -> None:
        pass
