"""Fixtures for the host layer's unit tests.

Requests reach the fleet exactly as the wire layer hands them over:
``ModuleRun`` with the module's FQCN, its arguments and the ``_ansible_*``
keys in ``internal``; ``RawCommand`` with the decoded ``-EncodedCommand``
script. ansible.windows' own win_reboot and win_updates code is driven
against the fleet through a small connection double, with a fake clock.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from wcsim.engine_api import EngineApis
from wcsim.fleet import Fleet
from wcsim.interface import ModuleRun, RawCommand

FLEETS = Path(__file__).resolve().parent.parent / "fleets"


class FakeClock:
    """Wall-clock seconds that only move when a test (or a patched sleep) moves them."""

    # A test whose simulated time runs past this is looping (e.g. rebooting forever).
    LIMIT_SECONDS = 3600

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.start = start
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.now - self.start > self.LIMIT_SECONDS:
            raise RuntimeError(f"simulated time passed {self.LIMIT_SECONDS} s: the test loops")


class Sim:
    """A loaded fleet plus helpers to talk to it like the wire layer does."""

    def __init__(self, fleet_file: Path, state_dir: Path, clock: FakeClock) -> None:
        self.fleet_file = fleet_file
        self.state_dir = state_dir
        self.clock = clock
        self.apis: EngineApis | None = None
        self.fleet = self._load()

    def _load(self) -> Fleet:
        # Each host's Engine API: the container_steps model runs the real docker CLI
        # against it (wcsim/modules/container_steps.py).
        self.close()
        fleet = Fleet.load(self.fleet_file, self.state_dir, clock=self.clock)
        self.apis = EngineApis(fleet, self.state_dir)
        self.apis.start()
        return fleet

    def close(self) -> None:
        if self.apis is not None:
            self.apis.stop()
            self.apis = None

    def reload(self) -> Fleet:
        self.fleet = self._load()
        return self.fleet

    def module(
        self,
        host: str,
        module: str,
        args: dict[str, Any] | None = None,
        *,
        check_mode: bool = False,
        diff: bool = False,
        internal: dict[str, Any] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        short = module.rsplit(".", 1)[-1]
        internal = {"_ansible_module_name": short, **(internal or {})}
        reply = self.fleet.handle(
            host,
            ModuleRun(
                module, dict(args or {}), check_mode=check_mode, diff=diff, internal=internal
            ),
        )
        assert reply.stderr == ""
        return reply.rc, json.loads(reply.stdout)

    def steps(
        self, host: str, args: dict[str, Any], *, check_mode: bool = False
    ) -> tuple[int, dict[str, Any]]:
        """One container_steps run of planned steps (``args``: steps, secrets as a dict,
        registry_credentials and the lock options), through the controller's boundary
        (plugins/plugin_utils/executor_args.py) both ways."""
        from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
            executor_args,
        )

        given = dict(args)
        steps = given.pop("steps")
        module_args = executor_args.module_args(
            steps,
            secrets=given.pop("secrets", None),
            credentials=given.pop("registry_credentials", None),
            **given,
        )
        rc, reply = self.module(host, executor_args.MODULE, module_args, check_mode=check_mode)
        return rc, executor_args.read_reply(steps, reply)

    def raw(self, host: str, script: str) -> tuple[int, str, str]:
        reply = self.fleet.handle(host, RawCommand(script))
        return reply.rc, reply.stdout, reply.stderr

    def host(self, name: str) -> Any:
        return self.fleet.host(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_sim(tmp_path: Path, clock: FakeClock):
    made: list[Sim] = []

    def make(fleet: str | Path = "mixed.yml", state: str = "state") -> Sim:
        path = Path(fleet) if Path(fleet).is_absolute() else FLEETS / fleet
        made.append(Sim(path, tmp_path / state, clock))
        return made[-1]

    yield make
    for sim in made:
        sim.close()


@pytest.fixture
def sim(make_sim) -> Sim:
    return make_sim()


@pytest.fixture
def write_fleet(tmp_path: Path):
    """Write a fleet file from a YAML string and return its path."""

    def write(text: str, name: str = "fleet.yml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def patched_sleep(monkeypatch: pytest.MonkeyPatch, clock: FakeClock) -> FakeClock:
    """Make ansible.windows' reboot loop sleep on the fake clock."""
    from ansible_collections.ansible.windows.plugins.plugin_utils import _reboot

    monkeypatch.setattr(_reboot.time, "sleep", clock.sleep)
    return clock
