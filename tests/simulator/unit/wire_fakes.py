"""A small FleetBackend for the wire layer's tests: records requests, answers from a script.

The real host layer (wcsim.fleet) is tested on its own; these tests only
check what happens between the network and ``FleetBackend.handle``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wcsim.interface import HostUnreachable, ModuleRun, RawCommand, Reply


@dataclass
class FakeEndpoint:
    name: str
    port: int = 0
    https: bool = False
    username: str = "simuser"
    password: str = "sim-Passw0rd"


@dataclass
class FakeBackend:
    hosts: list[FakeEndpoint] = field(default_factory=lambda: [FakeEndpoint("win1")])
    faults: dict[str, dict[str, Any]] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)
    # Optional override of the reply; default: raw -> echo, module -> {"changed": false}.
    responder: Callable[[str, ModuleRun | RawCommand], Reply] | None = None
    seen: list[tuple[str, ModuleRun | RawCommand]] = field(default_factory=list)
    bound_ports: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def endpoints(self) -> list[FakeEndpoint]:
        return list(self.hosts)

    def set_port(self, host: str, port: int) -> None:
        self.bound_ports[host] = port

    def handle(self, host: str, request: ModuleRun | RawCommand) -> Reply:
        with self.lock:
            self.seen.append((host, request))
        if host in self.down:
            raise HostUnreachable(host)
        if self.responder is not None:
            return self.responder(host, request)
        if isinstance(request, RawCommand):
            return Reply(rc=0, stdout=f"ran: {request.script}\n")
        return Reply(rc=0, stdout=json.dumps({"changed": False, "module": request.module}))

    def is_reachable(self, host: str) -> bool:
        return host not in self.down

    def wire_faults(self, host: str) -> dict[str, Any]:
        return self.faults.get(host, {})
