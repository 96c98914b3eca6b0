"""Per-host traffic counters, persisted to ``<state_dir>/counters/<host>.json``.

Every update is a read-modify-write under an exclusive ``flock`` on a lock
file next to the counters, so ``wcsim counters --reset`` (another process)
and the running server never lose each other's changes, and tests or
benchmarks can read the file while the fleet runs.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

COUNTER_NAMES = (
    "http_requests",  # every POST, answered or not
    "winrm_commands",  # WinRS Command operations
    "module_runs",  # commands decoded as a module run
    "raw_commands",  # commands decoded as a raw PowerShell script
    "unrecognised_commands",  # commands the decoder refused
    "auth_failures",  # requests answered 401
    "dropped_connections",  # connections closed without a reply (host down, wire fault)
    "receive_timeouts",  # Receive answered with the OperationTimeout fault
    "bytes_in",  # HTTP request bodies
    "bytes_out",  # HTTP response bodies
)


def empty() -> dict[str, Any]:
    counters: dict[str, Any] = dict.fromkeys(COUNTER_NAMES, 0)
    counters["module_runs_by_module"] = {}
    return counters


class CounterStore:
    """The counters of every host of one state directory."""

    def __init__(self, state_dir: Path | str) -> None:
        self.directory = Path(state_dir) / "counters"
        self.directory.mkdir(parents=True, exist_ok=True)

    def path(self, host: str) -> Path:
        return self.directory / f"{host}.json"

    @contextmanager
    def _locked(self, host: str) -> Iterator[None]:
        with open(self.directory / f".{host}.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read_unlocked(self, host: str) -> dict[str, Any]:
        counters = empty()
        try:
            stored = json.loads(self.path(host).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return counters
        counters.update(stored)
        return counters

    def _write_unlocked(self, host: str, counters: dict[str, Any]) -> None:
        temporary = self.path(host).with_suffix(".json.tmp")
        temporary.write_text(
            json.dumps(counters, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        os.replace(temporary, self.path(host))

    def add(self, host: str, module: str | None = None, **increments: int) -> None:
        """Add ``increments`` (counter name -> amount); ``module`` counts one run of it."""
        unknown = set(increments) - set(COUNTER_NAMES)
        if unknown:
            raise KeyError(f"unknown counters: {sorted(unknown)}")
        with self._locked(host):
            counters = self._read_unlocked(host)
            for name, amount in increments.items():
                counters[name] += amount
            if module is not None:
                by_module = counters["module_runs_by_module"]
                by_module[module] = by_module.get(module, 0) + 1
            self._write_unlocked(host, counters)

    def read(self, host: str) -> dict[str, Any]:
        with self._locked(host):
            return self._read_unlocked(host)

    def hosts(self) -> list[str]:
        return sorted(path.stem for path in self.directory.glob("*.json"))

    def read_all(self) -> dict[str, dict[str, Any]]:
        return {host: self.read(host) for host in self.hosts()}

    def reset(self, hosts: list[str] | None = None) -> None:
        for host in hosts if hosts is not None else self.hosts():
            with self._locked(host):
                self._write_unlocked(host, empty())
