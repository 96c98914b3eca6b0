"""The simulated fleet: the fleet file, the hosts' persistent state, and ``Fleet.handle``.

``Fleet.load(fleet_file, state_dir)`` implements ``wcsim.interface.FleetBackend``.
The fleet file (YAML) is described in docs/simulator-host-model.md; in short::

    defaults: {username: ..., password: ..., https: false, ...any host key}
    registry:
      images: {ref: {os_version, user?, digest?}}
      credentials: {registry: {username, password}}
    downloads: {url: {version, sha256 | content}}
    hosts:
      name: {port, https, username, password, os_version, edition, installation_type,
             machine, virtualization_extensions, memory_mb, logical_processors, features,
             engine, images, containers, pending_updates, faults, computer_name, files}

The fleet file gives each host its state the first time; after that the state
lives in ``<state_dir>/hosts/<name>.json`` and a later ``Fleet.load`` resumes
it. Credentials, ports and faults are configuration and always come from the
fleet file.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import modules, published
from .engine import Engine, EngineError, parse_restart_policy
from .host import FleetDownloads, FleetRegistry, Host, HostConfig, files_from_config
from .interface import HostUnreachable, ModuleRun, RawCommand, Reply
from .raw_commands import run_raw
from .runner import run_module
from .state import (
    INHERITED_SDDL,
    INSTALLED,
    PROTECTED_SDDL,
    ContainerState,
    EngineState,
    HostState,
    MachineState,
    OsState,
    UpdateState,
    host_state_path,
    load_host_state,
    save_host_state,
)
from .versions import SERVER_RELEASES, Version
from .windows import UnhandledError, feature_info, update_id_for

HOST_KEYS = frozenset(
    {
        "port",
        "https",
        "username",
        "password",
        "computer_name",
        "os_version",
        "edition",
        "installation_type",
        "machine",
        "virtualization_extensions",
        "memory_mb",
        "logical_processors",
        "features",
        "engine",
        "images",
        "containers",
        "networks",
        "pending_updates",
        "faults",
        "files",
        "data_root_acl",
        "eventlog_source",
    }
)
HOST_FAULT_KEYS = frozenset(
    {
        "reboot_seconds",
        "reboot_never_returns",
        "pull_failures",
        "container_exit_after_start",
        "module_failures",
        "engine_start_fails",
        "locked_engine_files",
        "engine_fails_after_reboot",
        "updates_poll_drops",
        "step_seconds",
        "engine_change_seconds",
        "engine_start_pending",
        "dockerd_exits_late",
        "service_delete_pending",
    }
)
# Read by the wire layer through Fleet.wire_faults(); add its new keys here.
WIRE_FAULT_KEYS = frozenset({"drop_connection_at_command", "receive_timeouts", "refuse_auth"})

DEFAULT_USERNAME = "Administrator"
DEFAULT_PASSWORD = "wcsim-Passw0rd!"
_EDITIONS = {"datacenter": "ServerDatacenter", "standard": "ServerStandard"}
_INSTALLATION_TYPES = {"server core": "Server Core", "core": "Server Core", "server": "Server"}


class FleetError(ValueError):
    """The fleet file is wrong; the message names the host and the key."""


@dataclass
class Endpoint:
    """What the wire layer needs to serve one host (``wcsim.interface.HostEndpoint``)."""

    name: str
    port: int
    https: bool
    username: str
    password: str


class _Entry:
    def __init__(self, host: Host) -> None:
        self.host = host
        # Re-entrant: a concurrent model takes it per step (host.exclusive) inside a run
        # that, for a serialised model, already holds it.
        self.lock = threading.RLock()


class Fleet:
    """A fleet of simulated hosts backed by a state directory."""

    def __init__(
        self,
        hosts: dict[str, Host],
        state_dir: Path,
        registry: FleetRegistry,
        downloads: FleetDownloads,
    ) -> None:
        self._entries = {name: _Entry(host) for name, host in hosts.items()}
        for name, entry in self._entries.items():
            entry.host.exclusive = self._exclusive_for(name)
            entry.host.state_dir = state_dir
        self.state_dir = state_dir
        self.registry = registry
        self.downloads = downloads

    # ------------------------------------------------------------ loading --
    @classmethod
    def load(
        cls,
        fleet_file: str | os.PathLike[str],
        state_dir: str | os.PathLike[str],
        clock: Callable[[], float] = time.time,
    ) -> Fleet:
        """Read the fleet file; resume each host's state from ``state_dir`` when it exists."""
        modules.load_all()
        with Path(fleet_file).open(encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
        unknown = set(config) - {"defaults", "hosts", "registry", "downloads"}
        if unknown:
            raise FleetError(f"{fleet_file}: unknown top-level keys {sorted(unknown)}")
        try:
            registry = FleetRegistry.from_config(config.get("registry"))
            downloads = FleetDownloads.from_config(config.get("downloads"))
        except ValueError as err:
            raise FleetError(f"{fleet_file}: {err}") from None
        state_path = Path(state_dir)
        state_path.mkdir(parents=True, exist_ok=True)
        registry.state_dir = state_path
        published.write_catalogue(state_path, registry.catalogue())
        defaults = config.get("defaults") or {}
        hosts_config = config.get("hosts") or {}
        if not hosts_config:
            raise FleetError(f"{fleet_file}: no hosts")
        hosts = {}
        for name, host_config in hosts_config.items():
            merged = {**defaults, **(host_config or {})}
            try:
                hosts[name] = _build_host(
                    str(name),
                    merged,
                    state_path,
                    registry=registry,
                    downloads=downloads,
                    clock=clock,
                )
            except (ValueError, KeyError, TypeError, EngineError, UnhandledError) as err:
                raise FleetError(f"{fleet_file}: host {name}: {err}") from None
        fleet = cls(hosts, state_path, registry, downloads)
        for name in hosts:
            fleet._save(name)
        return fleet

    # ---------------------------------------------------- FleetBackend API --
    def endpoints(self) -> list[Endpoint]:
        return [
            Endpoint(c.name, c.port, c.https, c.username, c.password)
            for c in (e.host.config for e in self._entries.values())
        ]

    def set_port(self, name: str, port: int) -> None:
        """The wire layer reports the port it bound (for hosts configured with port 0)."""
        entry = self._entry(name)
        with entry.lock:
            entry.host.config.port = port
            entry.host.state.port = port
            self._save(name)

    def _exclusive_for(self, name: str) -> Callable[[], contextlib.AbstractContextManager[None]]:
        @contextlib.contextmanager
        def exclusive() -> Iterator[None]:
            entry = self._entries[name]
            with entry.lock:
                try:
                    yield
                finally:
                    self._save(name)

        return exclusive

    def handle(self, host: str, request: ModuleRun | RawCommand) -> Reply:
        """Run one request against a host's state; raises HostUnreachable while it is down.

        Requests are serialised per host, except runs of models that say they run
        concurrently (``Model.concurrent``, e.g. container_steps): on Windows two module
        processes run at once, so those take the host's lock only around each change
        (``host.exclusive()``) and two runs interleave step by step."""
        entry = self._entry(host)
        model = modules.get(request.module) if isinstance(request, ModuleRun) else None
        if model is not None and model.concurrent:
            with entry.lock:
                if not entry.host.windows.is_up():
                    raise HostUnreachable(f"{host} is down (rebooting)")
            try:
                return run_module(entry.host, request)
            finally:
                with entry.lock:
                    self._save(host)
        with entry.lock:
            simulated = entry.host
            try:
                if not simulated.windows.is_up():
                    raise HostUnreachable(f"{host} is down (rebooting)")
                if isinstance(request, ModuleRun):
                    return run_module(simulated, request)
                if isinstance(request, RawCommand):
                    return run_raw(simulated, request)
                raise TypeError(f"not a ModuleRun or RawCommand: {request!r}")
            finally:
                self._save(host)

    def is_reachable(self, host: str) -> bool:
        entry = self._entry(host)
        with entry.lock:
            up = entry.host.windows.is_up()
            self._save(host)
            return up

    def wire_faults(self, host: str) -> dict[str, Any]:
        faults = self._entry(host).host.faults
        return {k: v for k, v in faults.items() if k in WIRE_FAULT_KEYS}

    # -------------------------------------------------------------- extras --
    @property
    def names(self) -> list[str]:
        return list(self._entries)

    def host(self, name: str) -> Host:
        """The simulated host, for tests and tools."""
        return self._entry(name).host

    def _entry(self, name: str) -> _Entry:
        try:
            return self._entries[name]
        except KeyError:
            raise KeyError(
                f"no host {name!r} in the fleet (hosts: {', '.join(self._entries)})"
            ) from None

    def _save(self, name: str) -> None:
        save_host_state(self.state_dir, self._entries[name].host.state)


# ------------------------------------------------------------------ building --
def _build_host(
    name: str,
    config: dict[str, Any],
    state_dir: Path,
    *,
    registry: FleetRegistry,
    downloads: FleetDownloads,
    clock: Callable[[], float],
) -> Host:
    unknown = set(config) - HOST_KEYS
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)}")
    faults = dict(config.get("faults") or {})
    unknown_faults = set(faults) - HOST_FAULT_KEYS - WIRE_FAULT_KEYS
    if unknown_faults:
        raise ValueError(f"unknown faults {sorted(unknown_faults)}")
    host_config = HostConfig(
        name=name,
        port=int(config.get("port", 0)),
        https=bool(config.get("https", False)),
        username=str(config.get("username", DEFAULT_USERNAME)),
        password=str(config.get("password", DEFAULT_PASSWORD)),
        faults=faults,
    )
    if host_state_path(state_dir, name).exists():
        state = load_host_state(state_dir, name)
        host = Host(host_config, state, registry, downloads, clock)
        host.windows.power_on_if_stuck()
        return host
    state = _initial_state(name, config, clock())
    state.files = files_from_config(config.get("files"))
    host = Host(host_config, state, registry, downloads, clock)
    _seed_engine(host, config)
    if "eventlog_source" in config:
        # a leftover HKLM\...\EventLog\Application\docker (an engine removed by hand)
        state.eventlog_source = bool(config["eventlog_source"])
    acl = config.get("data_root_acl")
    if acl is not None:
        # protected: created by dockerd; inherited: created first by something else.
        sddl = {"protected": PROTECTED_SDDL, "inherited": INHERITED_SDDL}.get(str(acl))
        if sddl is None:
            raise ValueError(f"data_root_acl {acl!r}: protected or inherited")
        state.data_root_sddl = sddl
    return host


def _computer_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]", "-", name).upper()[:15]


def _initial_state(name: str, config: dict[str, Any], now: float) -> HostState:
    if "os_version" not in config:
        raise ValueError("os_version is required (10.0.BUILD.REVISION)")
    version = Version.parse(str(config["os_version"]))
    if version.build not in SERVER_RELEASES:
        known = ", ".join(f"{b} ({n})" for b, (n, _) in SERVER_RELEASES.items())
        raise ValueError(
            f"os_version {version}: build {version.build} is not a known Server build: {known}"
        )
    edition = str(config.get("edition", "Datacenter"))
    install_type = str(config.get("installation_type", "Server Core"))
    if edition.lower() not in _EDITIONS:
        raise ValueError(f"edition {edition!r}: Datacenter or Standard")
    if install_type.lower() not in _INSTALLATION_TYPES:
        raise ValueError(f"installation_type {install_type!r}: 'Server Core' or 'Server'")
    machine = str(config.get("machine", "vm"))
    if machine not in ("physical", "vm"):
        raise ValueError(f"machine {machine!r}: physical or vm")
    features = {}
    for feature in config.get("features") or []:
        features[feature_info(str(feature)).name] = INSTALLED
    updates = []
    for update in config.get("pending_updates") or []:
        unknown = set(update) - {
            "kb",
            "title",
            "categories",
            "reboot_required",
            "revision",
            "hidden",
            "optional",
            "status",
            "requires",
            "fails_hresult",
            "rolls_back",
        }
        if unknown or "kb" not in update:
            raise ValueError(
                f"pending_updates entry {update}: needs kb; unknown keys {sorted(unknown)}"
            )
        status = str(update.get("status", "available"))
        if status not in ("available", "pending_reboot"):
            raise ValueError(
                f"pending_updates entry {update}: status {status!r}: available or pending_reboot"
            )
        kb = str(update["kb"])
        kb = kb if kb.upper().startswith("KB") else f"KB{kb}"
        updates.append(
            UpdateState(
                id=update_id_for(kb),
                kb=kb,
                title=str(update.get("title", f"Update for Windows Server ({kb})")),
                categories=list(update.get("categories", ["Security Updates"])),
                reboot_required=bool(update.get("reboot_required", True)),
                revision=int(update["revision"]) if update.get("revision") is not None else None,
                is_hidden=bool(update.get("hidden", False)),
                browse_only=bool(update.get("optional", False)),
                status=status,
                requires=[_kb(r) for r in update.get("requires") or []],
                fails_hresult=_hresult(update.get("fails_hresult")),
                rolls_back=bool(update.get("rolls_back", False)),
            )
        )
    state = HostState(
        name=name,
        computer_name=str(config.get("computer_name") or _computer_name(name)),
        os=OsState(
            build=version.build,
            revision=version.revision,
            major=version.major,
            minor=version.minor,
            edition_id=_EDITIONS[edition.lower()],
            installation_type=_INSTALLATION_TYPES[install_type.lower()],
        ),
        machine=MachineState(
            kind=machine,
            virtualization_extensions=bool(
                config.get("virtualization_extensions", machine == "physical")
            ),
            memory_mb=int(config.get("memory_mb", 16384)),
            logical_processors=int(config.get("logical_processors", 4)),
        ),
        features=features,
        updates=updates,
        port=int(config.get("port", 0)),
    )
    state.power.last_boot_time = now - 3600
    return state


def _kb(value: object) -> str:
    text = str(value)
    return text if text.upper().startswith("KB") else f"KB{text}"


def _hresult(value: object) -> int | None:
    """An HRESULT as WUA reports it (a signed 32-bit int); hex text like 0x80070643 accepted."""
    if value is None:
        return None
    number = int(str(value), 0) if isinstance(value, str) else int(value)
    return number - (1 << 32) if number >= 1 << 31 else number


def _seed_engine(host: Host, config: dict[str, Any]) -> None:
    """Install the engine, images and containers the fleet file says the host already has."""
    engine_config = config.get("engine")
    images = config.get("images") or []
    containers = config.get("containers") or []
    networks = config.get("networks") or []
    if engine_config is None:
        if images or containers or networks:
            raise ValueError("images/containers need an engine")
        return
    unknown = set(engine_config) - {"kind", "version", "service", "install_path", "daemon_config"}
    if unknown or "version" not in engine_config:
        raise ValueError(f"engine: needs version; unknown keys {sorted(unknown)}")
    service = str(engine_config.get("service", "running"))
    if service not in ("running", "stopped", "absent"):
        raise ValueError(f"engine service {service!r}: running, stopped or absent")
    record = EngineState(
        kind=str(engine_config.get("kind", "docker")),
        version=str(engine_config["version"]),
        install_path=str(engine_config.get("install_path", "C:\\Program Files\\docker")),
        service_state="stopped" if service == "running" else service,
        daemon_config=engine_config.get("daemon_config"),
    )
    if service != "absent":
        record.service_binary = record.own_binary
        host.state.eventlog_source = True
    host.state.engine = record
    engine = Engine(host)
    if images or containers or networks or service == "running":
        record.service_state = "running"  # seeding talks to the engine like a running one
    for ref in images:
        if host.registry.get(ref) is None:
            raise ValueError(f"image {ref} is not in the fleet registry")
        engine.pull(ref, apply_faults=False)
    for network in networks:
        # A NAT network the host's admin made (docker network create --driver nat --subnet).
        if (
            not isinstance(network, dict)
            or set(network) - {"name", "subnet"}
            or not network.get("name")
        ):
            raise ValueError(f"network {network!r}: a mapping of name and subnet")
        engine.create_network(str(network["name"]), subnet=network.get("subnet"))
    for spec in containers:
        _seed_container(engine, spec)
    if service != "running":
        engine.stop_service()
        record.service_state = service
    elif record.service_state == "running":
        # A running engine must be able to run: check the rules it would start with.
        record.service_state = "stopped"
        engine.start_service()
        if not engine.running:
            raise ValueError(f"the seeded engine cannot start: {record.last_exit_error}")


def _seed_container(engine: Engine, spec: dict[str, Any]) -> None:
    allowed = {
        "name", "image", "isolation", "user", "state", "command", "entrypoint", "env", "ports",
        "mounts", "networks", "restart_policy", "memory_bytes", "cpus", "labels", "devices",
    }  # fmt: skip
    unknown = set(spec) - allowed
    if unknown or "name" not in spec or "image" not in spec:
        raise ValueError(f"container {spec}: needs name and image; unknown keys {sorted(unknown)}")
    state = str(spec.get("state", "running"))
    if state not in ("created", "running", "exited"):
        raise ValueError(f"container {spec['name']}: state {state!r}")
    parse_restart_policy(str(spec.get("restart_policy", "no")))
    container: ContainerState = engine.create(
        str(spec["name"]),
        str(spec["image"]),
        isolation=str(spec.get("isolation", "")),
        user=spec.get("user"),
        command=spec.get("command"),
        entrypoint=spec.get("entrypoint"),
        env=spec.get("env"),
        ports=spec.get("ports"),
        mounts=spec.get("mounts"),
        networks=spec.get("networks"),
        restart_policy=str(spec.get("restart_policy", "no")),
        memory_bytes=int(spec.get("memory_bytes", 0)),
        cpus=float(spec.get("cpus", 0)),
        labels=spec.get("labels"),
        devices=spec.get("devices"),
    )
    if state in ("running", "exited"):
        engine.start(container.name, apply_faults=False)
        if state == "exited":
            engine.stop(container.name)
            container.manually_stopped = False
