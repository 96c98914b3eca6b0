"""The contract between the wire layer (WinRM) and the host layer (state, models).

The wire layer (``wsman``, ``server``, ``decode``, ``cli``) turns each WinRS
command into a ``ModuleRun`` or a ``RawCommand`` and asks the fleet for a
``Reply``. The host layer (``fleet``, ``state``, ``windows``, ``engine``,
``modules/``) owns every Windows and Docker rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class ModuleRun:
    """One Ansible module execution decoded from the exec manifest."""

    module: str  # FQCN, e.g. "ansible.windows.win_feature"
    args: dict[str, Any]  # module options, without the _ansible_* keys
    check_mode: bool = False
    diff: bool = False
    internal: dict[str, Any] = field(default_factory=dict)  # the _ansible_* keys


@dataclass(frozen=True)
class RawCommand:
    """A plain PowerShell script (raw, win_reboot's commands, ...)."""

    script: str


@dataclass(frozen=True)
class Reply:
    rc: int
    stdout: str
    stderr: str = ""


class HostUnreachable(Exception):
    """The host is down (rebooting, or a fault): the wire layer drops the connection."""


class ConnectionDropped(Exception):
    """The network dropped this connection; the host and its WinRM shells live on."""


class HostEndpoint(Protocol):
    """What the wire layer needs to know about one host."""

    name: str
    port: int
    https: bool
    username: str
    password: str


class FleetBackend(Protocol):
    """Implemented by ``wcsim.fleet.Fleet``."""

    def endpoints(self) -> list[HostEndpoint]: ...

    def handle(self, host: str, request: ModuleRun | RawCommand) -> Reply:
        """Run one request against a host's state. Raises HostUnreachable while it is down."""
        ...

    def is_reachable(self, host: str) -> bool: ...

    def wire_faults(self, host: str) -> dict[str, Any]:
        """Protocol-level faults configured for the host (see docs/simulator.md)."""
        ...


class ModuleModel(Protocol):
    """A module the simulator models, registered by FQCN in ``wcsim.modules``.

    ``options`` has the shape of an ``Ansible.Basic`` ``$spec['options']``:
    ``{name: {"type": ..., "required": ..., "default": ..., "choices": [...],
    "elements": ..., "no_log": ..., "options": {...}}}``.
    ``returns`` is the set of top-level keys the module may return.
    """

    name: str
    options: dict[str, dict[str, Any]]
    returns: frozenset[str]
    supports_check_mode: bool

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]: ...
