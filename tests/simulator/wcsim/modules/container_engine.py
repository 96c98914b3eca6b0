"""trustbound.wincontainers.container_engine (plugins/modules/container_engine.ps1).

Carries out the steps the action plugin planned (``_steps``), as the .ps1
does: ``install`` gets the zip (``Get-EngineZip``), stops a running engine
and unpacks the binaries; ``register_service`` is
``dockerd --register-service``; ``write_config`` writes the given JSON;
``start``/``restart`` go through the engine's start-up checks in
``wcsim/engine.py`` (no Containers feature: "failed to load vmcompute.dll,
..."; 23.0+ on build 14393: "... (Windows build 17763 or higher is
required)"), reported as the .ps1 reports a failed ``Start-Service``: with
dockerd's event-log message.

The zip, like ``Get-EngineZip``: ``<cache_dir>\\docker-<version>.zip`` in the
host's files (``host.files``) is reused when its SHA-256 is the checksum
(``download.reused: true``, nothing fetched). Otherwise the URL is fetched
from the fleet's ``downloads:`` (``host.downloads``; an unknown URL fails as
Invoke-WebRequest does) into ``<zip>.partial`` and counted
(``HostState.download_count``); a SHA-256 other than the checksum removes the
partial file and fails with win_get_url's text, leaving the cache and the
engine as they were; a match moves it over the cached zip. The unpacked
engine's version is that of the fleet download with the zip's SHA-256. The
staging directory the .ps1 unpacks into and removes is not modelled.

Engine changes are a transaction, as the .ps1 carries them out: the zip is
fetched, verified and unpacked before anything changes; then the engine stops,
the binaries and daemon.json are switched, the service starts and the module
waits until ``docker version`` answers (dockerd reports the service running
before ``NewDaemon``, so a start-up failure shows only there, with dockerd's
event-log message). Any failure from the switch on restores the previous
binaries and daemon.json, starts the engine again when it ran before and fails
with dockerd's message and "rolled back". A ``docker.exe`` held open by another
process (fault ``locked_engine_files``) fails the copy with the IOException text
Copy-Item reports. After the engine (re)started, every container that ran before the engine
stopped is started again (one that runs already counts as started).
Which containers ran is read by the module itself (``docker ps --no-trunc --quiet``) once it
holds the host lock, before anything changes: a writer that held the lock first may have
replaced containers since the controller's read. One ``docker start <id> ...`` starts them
all again. Both runs are returned raw (``containers.listed``, ``containers.started``), as the
.ps1 returns them; the action maps them (plugin_utils/engine_restart.py): when ``docker ps``
fails (the API is off the default pipe, the case the change repairs) nothing is started and
``containers.list_error`` says why.

The whole change (download, switch, restart, containers started again) holds the host
lock (``wcsim/host_lock.py``, ``Enter-HostLock`` of plugins/module_utils/HostLock.psm1),
as container_steps' apply does, so the model runs concurrently with other module runs
(``concurrent``): a deployment's apply waits for an engine change, and the other way
round. Fault ``engine_change_seconds`` makes the change take that long (lock held).

Failures after the module set its result keep ``steps``, ``download`` and
``changed`` in the answer, as Ansible.Basic's ``FailJson`` does.

Every constant comes from the controller in ``_engine_host`` (plugin_utils/engine_host.py):
the model refuses a command line it does not model (``COMMANDS``), as the simulator never
pretends a command it does not know succeeded. Before it stops, starts or rolls back the
engine the model waits for a steady service state (``Engine.settle``: a StartPending
dockerd accepts no Stop-Service); after a stop it waits for dockerd's process to exit
(fault ``dockerd_exits_late``); after ``sc.exe delete`` it polls until the service is gone
(fault ``service_delete_pending``); the unpacked ``dockerd.exe --version`` must be the pin.
``protect_data_root`` runs with the engine stopped, inside the switch, and is skipped
(``data_root_acl.protected: false``) where images are: their layers are under
``<data-root>\\windowsfilter``.

The ``docker.exe`` command lines of ``_engine_host.commands`` (``list_running``,
``server_version``, ``start_container``) are not answered by the engine
model: they run through the real docker CLI (wcsim/docker_cli.py ``cli_for`` of the engine
version installed at that moment, as ``install`` switches docker.exe too) against the host's Engine
API (wcsim/engine_api.py, or wcsim/engine_socket.py's private socket without ``wcsim start``)
where the .ps1 runs them, each logged in ``<state_dir>/docker-cli/<host>.jsonl`` as
container_steps' model logs them, never while the model holds ``host.exclusive()`` (each API
request takes it). A missing CLI fails the run (``DockerCliMissing``). The ``dockerd.exe`` and
``sc.exe`` command lines stay modelled: they are Windows binaries.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .. import docker_cli, engine_socket, host_lock
from ..engine import EngineError
from ..host import DownloadError
from ..state import INHERITED_SDDL, PROTECTED_SDDL, FileState
from . import Model, ModuleFailure, register
from .container_host_info import _docker
from .container_steps import LOG_DIR, log_run

STEPS = [
    "install",
    "unregister_service",
    "remove_eventlog_source",
    "register_service",
    "protect_data_root",
    "write_config",
    "start",
    "restart",
]
DEFAULT_CACHE_DIR = "C:\\ProgramData\\wincontainers\\downloads"
# Steps that stop a running engine first (protect_data_root: its ACL is set with dockerd down).
STOPPING_STEPS = frozenset({"install", "restart", "unregister_service", "protect_data_root"})
# The command lines the model answers, by _engine_host.commands key; anything else is refused.
COMMANDS = {
    "dockerd_version": ["--version"],
    "register_service": ["--register-service"],
    "unregister_service": ["sc.exe", "delete", "docker"],
    "service_config": ["sc.exe", "config", "docker", "start=", "auto", "binPath="],
    "service_create": ["sc.exe", "create", "docker", "start=", "auto", "binPath="],
    "list_running": ["ps", "--no-trunc", "--quiet"],
    "server_version": ["version", "--format", "{{.Server.Version}}"],
    "start_container": ["start"],
}
# dockerd --version's "Docker version 27.3.1, build ..." (moby cmd/dockerd), its version read
# with this pattern's first group.
VERSION_PATTERN = r"version ([^,\s]+)"
ENGINE_HOST_KEYS = frozenset(
    {
        "install_path",
        "dockerd",
        "dockerd_process",
        "docker",
        "install_backup",
        "config_path",
        "config_backup",
        "config_staged",
        "environment_key",
        "version_pattern",
        "data_root",
        "layers_path",
        "data_root_sddl",
        "cache_sddl",
        "service_name",
        "service_key",
        "eventlog_key",
        "commands",
    }
)


def _check_engine_host(engine_host: dict[str, Any]) -> None:
    """The constants the .ps1 reads: every key it uses, and only command lines modelled."""
    missing = sorted(ENGINE_HOST_KEYS - set(engine_host))
    if missing:
        # $engineHost.<key> is $null in PowerShell: the run would fail further on.
        raise ModuleFailure(f"_engine_host lacks {', '.join(missing)}")
    commands = engine_host.get("commands") or {}
    for name, argv in COMMANDS.items():
        if list(commands.get(name) or []) != argv:
            raise ModuleFailure(
                f"wcsim models _engine_host.commands.{name} = {argv}, not {commands.get(name)!r}"
            )
    if engine_host["service_name"] != "docker":
        raise ModuleFailure("wcsim models the service named docker only")
    if engine_host["version_pattern"] != VERSION_PATTERN:
        # The model compares the unpacked engine's version as this pattern reads it.
        raise ModuleFailure(f"wcsim models _engine_host.version_pattern = {VERSION_PATTERN!r}")


def _start_failure(error: EngineError) -> ModuleFailure:
    """Start-Service threw: dockerd exited before it reported running (daemon.json)."""
    return ModuleFailure(f"The docker service failed to start: {error.message}")


def _locked_copy(
    host: Any, install_path: str, names: list[str] | None = None
) -> ModuleFailure | None:
    """Fault ``locked_engine_files``: a binary another process holds open cannot be replaced."""
    for name in names or host.faults.get("locked_engine_files") or []:
        path = f"{install_path}\\{name}"
        # System.IO.IOException for ERROR_SHARING_VIOLATION, as Copy-Item reports it.
        return ModuleFailure(
            f"Failed to replace {path}: The process cannot access the file '{path}' because "
            "it is being used by another process."
        )
    return None


@dataclass
class _Previous:
    """What the switch replaces, kept to roll back to."""

    version: str
    install_path: str
    source_url: str
    daemon_config: dict[str, Any] | None
    was_running: bool
    service_binary: str = ""
    service_binary_version: str = ""
    service_state: str = "stopped"


class _Docker:
    """The host's ``docker.exe``: the real docker CLI (wcsim/docker_cli.py) against the host's
    Engine API, each run logged in ``<state_dir>/docker-cli/<host>.jsonl`` as container_steps'
    model logs them. Call it without ``host.exclusive()`` held: each API request takes it."""

    def __init__(self, host: Any, socket: str, commands: dict[str, list[str]]) -> None:
        self.host = host
        self.socket = socket
        self.commands = commands
        self.log = Path(host.state_dir) / LOG_DIR / f"{host.name}.jsonl"
        self.binary_for()  # a missing CLI fails the run before anything changes

    def binary_for(self) -> str:
        """The CLI of the docker.exe installed now (``install`` switches it with dockerd.exe).
        DockerCliMissing is not caught: a missing CLI fails the run loudly (issue 18)."""
        with self.host.exclusive():
            record = self.host.engine.record
            version = record.version if record else ""
        return docker_cli.cli_for(version)

    def run(self, name: str, *extra: str) -> dict[str, Any]:
        """``Invoke-NativeCommand`` of docker.exe with ``$commands.<name>`` and ``extra``: rc,
        stdout, stderr."""
        argv = [*self.commands[name], *extra]
        binary = self.binary_for()
        started = time.monotonic()
        done = _docker(self.host, binary, self.socket, argv)
        log_run(self.log, binary, argv, done["rc"], time.monotonic() - started)
        return done


def _text(run: dict[str, Any]) -> str:
    """``($run.stderr + $run.stdout).Trim()`` of the .ps1."""
    return (run["stderr"] + run["stdout"]).strip()


def _start_and_wait(host: Any, docker: _Docker, timeout: int) -> None:
    """``Start-Engine``: a steady state first; ``Start-Service docker`` unless it runs; then
    ``docker version`` (through the CLI) until it answers, the service stops, or the deadline."""
    engine = host.engine
    with host.exclusive():
        try:
            if engine.settle() != "running":
                engine.start_service()
        except EngineError as err:
            raise _start_failure(err) from None
    run = docker.run("server_version")
    if run["rc"] == 0 and run["stdout"].strip():
        return
    with host.exclusive():
        detail = engine.record.last_exit_error
        stopped = engine.record.service_state == "stopped"
    if stopped:
        raise ModuleFailure(
            f"The docker service started but dockerd exited during start-up: {detail or _text(run)}"
        )
    raise ModuleFailure(f"dockerd did not answer within {timeout} s: {_text(run)}")


def _stop_engine(engine: Any, timeout: int) -> None:
    """``Stop-Engine``: a steady state, Stop-Service, then dockerd's process gone."""
    try:
        if engine.settle() == "running":
            engine.stop_service()
    except EngineError as err:
        raise ModuleFailure(err.message) from None
    engine.wait_process_exit()


def _running_containers(docker: _Docker, result: dict[str, Any]) -> list[str]:
    """``Get-RunningContainer``: the CLI's ``docker ps --no-trunc --quiet`` returned raw as
    ``containers.listed``; the ids split at white space, as the .ps1 does, or none when the
    API does not answer (the change goes on; the controller reports ``list_error``)."""
    run = docker.run("list_running")
    result["containers"]["listed"] = run
    return run["stdout"].split() if run["rc"] == 0 else []


def _restore_containers(docker: _Docker, ran: list[str], result: dict[str, Any]) -> None:
    """``Start-RanBefore``: one ``docker start`` of every id that ran, returned raw as
    ``containers.started`` (the controller maps it, plugin_utils/engine_restart.py)."""
    if ran:
        result["containers"]["started"] = docker.run("start_container", *ran)


def _engine_zip(host: Any, download: dict[str, Any]) -> FileState:
    """``Get-EngineZip``: the cached zip when its hash matches, else download, verify, move."""
    path, url, checksum = download["path"], download["url"], download["checksum"]
    cached = host.files.get(path)
    if cached is not None and cached.sha256 == checksum:
        download["reused"] = True
        return cached
    partial = f"{path}.partial"
    try:
        fetched = host.downloads.fetch(url)
    except DownloadError as err:
        host.files.remove(partial)
        raise ModuleFailure(f"Failed to download {url} : {err}") from None
    host.count_download(url)
    host.files.write(partial, FileState(sha256=fetched.sha256, size=fetched.size, source_url=url))
    if fetched.sha256 != checksum:
        host.files.remove(partial)
        raise ModuleFailure(
            f"The checksum for {url} did not match '{checksum}', it was '{fetched.sha256}'"
        )
    host.files.move(partial, path)
    return host.files.get(path)


@register
class ContainerEngine(Model):
    name = "trustbound.wincontainers.container_engine"
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "runtime": {"type": "str", "choices": ["docker"], "default": "docker"},
        "version": {"type": "str", "required": True},
        "url": {"type": "str"},
        "checksum": {"type": "str", "required": True},
        "cache_dir": {"type": "path", "default": DEFAULT_CACHE_DIR},
        "daemon_config": {"type": "dict"},
        "require_hyperv_isolation": {"type": "bool", "default": False},
        "host_info": {"type": "dict"},
        "_steps": {"type": "list", "elements": "str", "choices": STEPS, "default": []},
        "_daemon_config_text": {"type": "str"},
        "start_timeout": {"type": "int", "default": 120},
        # Accepted as the .ps1 does; the fleet's downloads are served alike with or without
        # a proxy (proxies are not modelled).
        "use_proxy": {"type": "bool", "default": True},
        "proxy_url": {"type": "str"},
        "proxy_username": {"type": "str"},
        "proxy_password": {"type": "str", "no_log": True},
        "proxy_use_default_credential": {"type": "bool", "default": False},
        "_engine_host": {"type": "dict", "required": True},
        "lock_timeout": {"type": "int", "default": 300},
        "lock_holder": {"type": "str", "default": "trustbound.wincontainers.container_engine"},
    }
    returns = frozenset(
        {"steps", "engine", "download", "rolled_back", "containers", "lock", "data_root_acl"}
    )
    supports_check_mode = True
    # Runs beside other module runs, as on Windows; the host lock keeps writers apart.
    concurrent = True

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        version, url = params["version"], params["url"]
        checksum = params["checksum"].lower()
        steps = list(params["_steps"] or [])
        if "write_config" in steps and params["_daemon_config_text"] is None:
            raise ModuleFailure("_daemon_config_text is required when _steps contains write_config")
        _check_engine_host(params["_engine_host"])
        cache_dir = params["cache_dir"].rstrip("\\")
        download = {
            "path": f"{cache_dir}\\docker-{version}.zip",
            "url": url,
            "checksum": checksum,
            "reused": False,
        }
        result: dict[str, Any] = {
            "changed": bool(steps),
            "steps": steps,
            "download": download,
            "rolled_back": False,
            "containers": {},
        }
        if not check_mode:
            self._locked_change(
                host, params, steps=steps, version=version, download=download, result=result
            )
        with host.exclusive():
            record = host.engine.record
            result["engine"] = {
                "version": record.version if record else None,
                "service_state": record.service_state if record else "absent",
            }
        return result

    def _locked_change(self, host, params, *, steps, version, download, result) -> None:
        """The change, holding the host lock from before the first change to the end."""
        try:
            token, result["lock"] = host_lock.acquire(
                host, params["lock_timeout"], params["lock_holder"]
            )
        except ModuleFailure as failure:
            # Refused for the lock, the run changed nothing.
            raise ModuleFailure(
                failure.msg, **{**result, **failure.extra, "changed": False}
            ) from None
        try:
            pause = float(host.faults.get("engine_change_seconds") or 0)
            if pause:
                time.sleep(pause)  # outside host.exclusive(): the lock alone keeps writers out
            with engine_socket.serving(host) as socket:
                self._carry_out(
                    host,
                    _Docker(host, socket, params["_engine_host"]["commands"]),
                    steps=steps,
                    version=version,
                    download=download,
                    config_text=params["_daemon_config_text"],
                    timeout=params["start_timeout"],
                    result=result,
                    layers_path=params["_engine_host"]["layers_path"],
                    backups=(
                        params["_engine_host"]["install_backup"],
                        params["_engine_host"]["config_backup"],
                    ),
                )
        except ModuleFailure as failure:
            # FailJson adds failed/msg to the result the module built so far.
            raise ModuleFailure(failure.msg, **{**result, **failure.extra}) from None
        finally:
            with host.exclusive():
                host_lock.release(host, token)

    def _carry_out(
        self,
        host: Any,
        docker: _Docker,
        *,
        steps: list[str],
        version: str,
        download: dict[str, Any],
        config_text: str | None,
        timeout: int,
        result: dict[str, Any],
        layers_path: str,
        backups: tuple[str, str],
    ) -> None:
        engine = host.engine
        stops = bool(STOPPING_STEPS & set(steps))
        with host.exclusive():
            was_running = engine.record is not None and engine.settle() == "running"
        with host.exclusive():
            unpacked_version, previous = self._prepare(
                host, steps=steps, version=version, download=download, was_running=was_running
            )
        # Listed last before the switch (the CLI runs outside host.exclusive(): each Engine
        # API request takes it).
        restore = _running_containers(docker, result) if stops and was_running else []
        try:
            self._switch(
                engine,
                host,
                steps=steps,
                version=unpacked_version,
                download=download,
                config_text=config_text,
                timeout=timeout,
                result=result,
                layers_path=layers_path,
            )
            if "restart" in steps or "start" in steps:
                _start_and_wait(host, docker, timeout)
        except ModuleFailure as failure:
            if previous is None:
                # Nothing switched to roll back (Invoke-Change): the engine that ran is started
                # again, and its containers with it when it answers.
                if was_running:
                    try:
                        _start_and_wait(host, docker, timeout)
                    except ModuleFailure as down:
                        raise ModuleFailure(
                            f"{failure.msg}; the engine did not start again: {down.msg}"
                        ) from None
                    _restore_containers(docker, restore, result)
                raise
            # Copy-Item made these before the switch (Invoke-Change: $hadBinaries, $hadConfig).
            kept = [backups[0]] * ("install" in steps) + [backups[1]] * (
                "write_config" in steps and previous.daemon_config is not None
            )
            self._roll_back(host, docker, previous, timeout, failure, kept=kept)
            result["rolled_back"] = True
            _restore_containers(docker, restore, result)
            with host.exclusive():
                again = engine.running
            raise ModuleFailure(
                f"{failure.msg}; rolled back to docker {previous.version} and the previous "
                "daemon.json" + (", engine running again" if again else ""),
                rolled_back=True,
                containers=result["containers"],
            ) from None
        _restore_containers(docker, restore, result)

    @staticmethod
    def _prepare(host, *, steps, version, download, was_running) -> tuple[str, _Previous | None]:
        """Fetch, verify and unpack (nothing changed yet); what the switch would roll back to."""
        engine = host.engine
        unpacked_version = version
        if "install" in steps:
            # Prepare: fetch, verify, unpack into the module's temp dir. Nothing changed yet.
            zip_file = _engine_zip(host, download)
            unpacked = host.downloads.with_sha256(zip_file.sha256)
            unpacked_version = (unpacked.version if unpacked else "") or version
            if unpacked_version != version:
                # The unpacked dockerd.exe --version is compared with the pin.
                raise ModuleFailure(
                    f"the dockerd.exe in {download['url']} reports version {unpacked_version},"
                    f" not the pinned {version}; nothing was changed"
                )
        record = engine.record
        previous = (
            _Previous(
                version=record.version,
                install_path=record.install_path,
                source_url=record.source_url,
                daemon_config=None if record.daemon_config is None else dict(record.daemon_config),
                was_running=was_running,
                service_binary=record.service_binary,
                service_binary_version=record.service_binary_version,
                service_state="stopped" if was_running else record.service_state,
            )
            if record is not None and {"install", "write_config", "unregister_service"} & set(steps)
            else None
        )
        return unpacked_version, previous

    @staticmethod
    def _switch(
        engine, host, *, steps, version, download, config_text, timeout, result, layers_path
    ):
        """Everything up to the start, under ``host.exclusive()`` (no CLI runs here)."""
        with host.exclusive():
            ContainerEngine._switch_locked(
                engine,
                host,
                steps=steps,
                version=version,
                download=download,
                config_text=config_text,
                timeout=timeout,
                result=result,
                layers_path=layers_path,
            )

    @staticmethod
    def _switch_locked(
        engine, host, *, steps, version, download, config_text, timeout, result, layers_path
    ) -> None:
        if {"install", "restart", "protect_data_root"} & set(steps) and engine.record:
            _stop_engine(engine, timeout)
        if "install" in steps:
            record = engine.record
            install_path = record.install_path if record else "C:\\Program Files\\docker"
            locked = _locked_copy(host, install_path)
            if record is not None and record.process_exiting:
                # Copy-Item over the image of a process that still runs.
                locked = _locked_copy(host, install_path, ["dockerd.exe"])
            if locked is not None:
                raise locked
            engine.install(version=version, source_url=download["url"])
        if "unregister_service" in steps:
            _stop_engine(engine, timeout)
            engine.unregister_service()
            if not engine.service_deleted():
                raise ModuleFailure(
                    f"the docker service is marked for deletion and still exists after {timeout}"
                    " s: a program holds it open (services.msc, Event Viewer); close it and run"
                    " again"
                )
        if "remove_eventlog_source" in steps:
            engine.remove_eventlog_source()
        if "register_service" in steps:
            try:
                engine.register_service()
            except EngineError as err:
                raise ModuleFailure(
                    f"dockerd --register-service failed (rc 1): {err.message}"
                ) from None
        if "protect_data_root" in steps:
            if host.state.images:
                # Their layers are under <data-root>\windowsfilter: Set-Acl would rewrite
                # the ACL of every one (SetNamedSecurityInfo propagates inheritable entries).
                result["data_root_acl"] = {
                    "protected": False,
                    "reason": f"{layers_path} holds image layers",
                }
            else:
                host.state.data_root_sddl = PROTECTED_SDDL
                result["data_root_acl"] = {"protected": True, "reason": ""}
        if "write_config" in steps:
            if host.state.data_root_sddl is None:
                # New-Item ...\docker\config creates the root: ProgramData's inherited ACL.
                host.state.data_root_sddl = INHERITED_SDDL
            engine.write_daemon_config(json.loads(config_text or "{}"))

    @staticmethod
    def _roll_back(host, docker, previous, timeout, failure, *, kept: list[str]) -> None:
        """``Undo-Switch``: every failure in it ends as "rolling back ... failed too"; one before
        the previous engine is back in place keeps the backups and names them."""
        engine = host.engine
        try:
            try:
                with host.exclusive():
                    _stop_engine(engine, timeout)
                    record = engine.record
                    record.version = previous.version
                    record.install_path = previous.install_path
                    record.source_url = previous.source_url
                    record.service_binary = previous.service_binary
                    record.service_binary_version = previous.service_binary_version
                    record.service_state = previous.service_state
                    engine.write_daemon_config(previous.daemon_config)
            except ModuleFailure as stuck:
                where = f"; the previous engine is kept in {' and '.join(kept)}" if kept else ""
                raise ModuleFailure(stuck.msg + where) from None
            if previous.was_running:
                _start_and_wait(host, docker, timeout)
        except ModuleFailure as again:
            raise ModuleFailure(
                f"{failure.msg}; rolling back to docker {previous.version} failed too: {again.msg}",
                rolled_back=False,
            ) from None
