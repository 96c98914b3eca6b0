"""Persistent state of one simulated host, and its JSON file.

One file per host: ``<state_dir>/hosts/<name>.json``, rewritten atomically
(temporary file + ``os.replace``) after every request, so a second
``ansible-playbook`` run against a restarted simulator sees what the first
one did. Everything here is plain data; the rules live in ``windows.py`` and
``engine.py``.

Stable API for module models: the dataclasses below (read their fields,
change them only through ``Windows`` / ``Engine`` methods where one exists)
and ``load_host_state``.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .versions import Version, release_name

STATE_FORMAT = 1
_BOOKKEEPING = (
    "module_runs",
    "pull_attempts",
    "update_tasks",
    "update_poll_drops",
    "port",
    "download_count",
)

# Get-WindowsFeature InstallState values the model uses.
# dockerd's ACL for the data root it creates (moby pkg/system/filesys_windows.go).
PROTECTED_SDDL = "D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)"
# What a directory created under C:\ProgramData inherits (illustrative: SYSTEM,
# Administrators, CREATOR OWNER full; Users read and create-folder).
INHERITED_SDDL = (
    "D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)"
    "(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)"
)

INSTALLED = "Installed"
AVAILABLE = "Available"
INSTALL_PENDING = "InstallPending"
UNINSTALL_PENDING = "UninstallPending"
REMOVED = "Removed"


@dataclass
class OsState:
    """``[Environment]::OSVersion`` plus the UBR, edition and installation type."""

    build: int
    revision: int
    major: int = 10
    minor: int = 0
    edition_id: str = "ServerDatacenter"
    installation_type: str = "Server Core"  # or "Server" (Desktop Experience)

    @property
    def version(self) -> str:
        return str(Version(self.major, self.minor, self.build, self.revision))

    @property
    def product_name(self) -> str:
        """The registry ``ProductName``, e.g. ``Windows Server 2022 Datacenter``."""
        edition = self.edition_id.removeprefix("Server")
        return f"{release_name(self.build)} {edition}"


@dataclass
class MachineState:
    """The hardware (or virtual hardware) the host runs on."""

    kind: str = "vm"  # physical | vm
    # VT-x/AMD-V and SLAT visible to this OS: on a VM only when the parent
    # exposes them (Set-VMProcessor -ExposeVirtualizationExtensions $true).
    virtualization_extensions: bool = False
    memory_mb: int = 16384
    logical_processors: int = 4

    @property
    def is_virtual(self) -> bool:
        return self.kind == "vm"


@dataclass
class UpdateState:
    """One Windows update the host can be offered."""

    id: str  # WUA UpdateID (a GUID)
    kb: str  # "KB5034129"
    title: str
    categories: list[str] = field(default_factory=lambda: ["Security Updates"])
    reboot_required: bool = True
    revision: int | None = None  # the OS revision once installed and rebooted
    status: str = "available"  # available | pending_reboot | installed
    is_hidden: bool = False
    browse_only: bool = False
    requires: list[str] = field(default_factory=list)  # KBs installed first (an SSU before a CU)
    fails_hresult: int | None = None  # the install fails with this HRESULT, every time
    rolls_back: bool = False  # undone at the next boot: offered again (an update loop)


@dataclass
class ImageState:
    """One image in the engine's local store (``docker image inspect``)."""

    id: str  # sha256:...
    repo_tags: list[str]
    repo_digests: list[str]
    os_version: str  # "10.0.20348.2340"
    user: str = ""  # Config.User; "" means the base image default
    default_user: str = "ContainerAdministrator"  # who "" runs as


@dataclass
class ContainerState:
    """One container (``docker inspect``), as stored by the engine model."""

    id: str
    name: str  # without the leading "/"
    image: str  # the reference given at create
    image_id: str
    isolation: str  # resolved: process | hyperv
    requested_isolation: str  # as given: "" | default | process | hyperv
    user: str  # Config.User as the container runs ("" = image default)
    state: str = "created"  # created | running | exited
    exit_code: int = 0
    error: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)  # "NAME=value", as given
    ports: list[str] = field(default_factory=list)  # "8080:80/tcp"
    mounts: list[str] = field(default_factory=list)  # "C:\\data:C:\\app\\data:ro"
    networks: list[str] = field(default_factory=lambda: ["nat"])
    devices: list[str] = field(default_factory=list)  # --device class/<GUID> (PathOnHost)
    restart_policy: str = "no"
    memory_bytes: int = 0
    cpus: float = 0
    storage_opt: dict[str, str] = field(default_factory=dict)  # HostConfig.StorageOpt
    manually_stopped: bool = False
    created_at: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def running(self) -> bool:
        return self.state == "running"


@dataclass
class EngineState:
    """What is installed of a container engine, and its service."""

    kind: str = "docker"
    version: str = ""
    install_path: str = "C:\\Program Files\\docker"
    service_state: str = "absent"  # running | stopped | absent (not registered)
    service_start_mode: str = "automatic"
    daemon_config_path: str = "C:\\ProgramData\\docker\\config\\daemon.json"
    daemon_config: dict[str, Any] | None = None  # None: no daemon.json on disk
    source_url: str = ""
    logins: dict[str, dict[str, str]] = field(default_factory=dict)  # registry -> creds
    # dockerd's error when it last exited during start-up, as it logs it to the
    # Application event log (source "docker"); "" after a clean start.
    last_exit_error: str = ""
    # The service's ImagePath binary ("" while unregistered) and, when it is not
    # <install_path>\dockerd.exe (an engine installed elsewhere, e.g. by
    # Microsoft's install-docker-ce.ps1 into System32), the version it runs.
    service_binary: str = ""
    service_binary_version: str = ""

    @property
    def own_binary(self) -> str:
        return f"{self.install_path}\\dockerd.exe"

    @property
    def running_version(self) -> str:
        """The version the service starts: ours, or the binary its ImagePath names."""
        if not self.service_binary or self.service_binary.lower() == self.own_binary.lower():
            return self.version
        return self.service_binary_version

    start_blocked: bool = False  # fault engine_fails_after_reboot struck at the last boot
    # dockerd.exe's process still exits after the service reported SERVICE_STOPPED
    # (fault dockerd_exits_late): its image cannot be overwritten until it is gone.
    process_exiting: bool = False
    # sc.exe delete marked the service, a handle still keeps it (fault service_delete_pending)
    marked_for_delete: bool = False


@dataclass
class FileState:
    """One file a module left on the host (today: the engine zips container_engine caches).

    Only what the modules read back: ``Get-FileHash -Algorithm SHA256`` and the length.
    """

    sha256: str  # lower-case hex, as the module compares it
    size: int = 0
    source_url: str = ""  # the URL it was downloaded from ("" when seeded by the fleet file)
    content: str = ""  # text files the modules read back (the host lock's holder record)
    # The owner's SID; "" for Administrators (S-1-5-32-544), as an elevated module creates it.
    owner: str = ""


@dataclass
class PowerState:
    """Where the host is in a reboot, in wall-clock seconds (``time.time()``)."""

    last_boot_time: float = 0.0
    shutdown_at: float | None = None  # a scheduled shutdown (shutdown /r /t N)
    shutdown_message: str = ""
    down_since: float | None = None
    up_at: float | None = None  # None while down: never comes back
    boot_count: int = 0
    autologon_key_present: bool = True  # the key win_reboot's readiness test reads


@dataclass
class HostState:
    """Everything the simulator remembers about one host."""

    name: str
    computer_name: str
    os: OsState
    machine: MachineState
    features: dict[str, str] = field(default_factory=dict)  # name -> InstallState
    engine: EngineState | None = None
    images: list[ImageState] = field(default_factory=list)
    containers: list[ContainerState] = field(default_factory=list)
    networks: list[str] = field(default_factory=lambda: ["nat", "none"])
    # name -> the subnet a user network was created with (--subnet); absent when none given
    network_subnets: dict[str, str] = field(default_factory=dict)
    updates: list[UpdateState] = field(default_factory=list)
    power: PowerState = field(default_factory=PowerState)
    # path (as first written) -> file; look paths up through Host.files (case-insensitive)
    files: dict[str, FileState] = field(default_factory=dict)
    # The engine data root's DACL as SDDL, None while the directory does not exist.
    data_root_sddl: str | None = None
    # HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\docker exists
    eventlog_source: bool = False
    port: int = 0
    # bookkeeping of faults and long-running module tasks
    module_runs: dict[str, int] = field(default_factory=dict)
    pull_attempts: dict[str, int] = field(default_factory=dict)
    update_tasks: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    update_poll_drops: dict[str, int] = field(default_factory=dict)  # task id -> polls dropped
    download_count: dict[str, int] = field(default_factory=dict)  # url -> files fetched
    format: int = STATE_FORMAT

    @property
    def reboot_pending(self) -> bool:
        """A feature or an update waits for a restart (what container_host_info reports)."""
        return any(
            s in (INSTALL_PENDING, UNINSTALL_PENDING) for s in self.features.values()
        ) or any(u.status == "pending_reboot" for u in self.updates)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def snapshot(self) -> dict[str, Any]:
        """The host as Windows would show it: ``to_dict`` without the simulator's bookkeeping.

        Compare two snapshots to check that a check-mode run changed nothing.
        """
        data = self.to_dict()
        for key in _BOOKKEEPING:
            data.pop(key)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HostState:
        data = dict(data)
        if data.get("format") != STATE_FORMAT:
            raise ValueError(f"host state format {data.get('format')!r} is not {STATE_FORMAT}")
        engine = data.pop("engine")
        return cls(
            os=OsState(**data.pop("os")),
            machine=MachineState(**data.pop("machine")),
            engine=EngineState(**engine) if engine is not None else None,
            images=[ImageState(**i) for i in data.pop("images")],
            containers=[ContainerState(**c) for c in data.pop("containers")],
            updates=[UpdateState(**u) for u in data.pop("updates")],
            power=PowerState(**data.pop("power")),
            # absent from state files written before files were modelled
            files={path: FileState(**f) for path, f in (data.pop("files", None) or {}).items()},
            **data,
        )


def host_state_path(state_dir: str | os.PathLike[str], name: str) -> Path:
    return Path(state_dir) / "hosts" / f"{name}.json"


def load_host_state(state_dir: str | os.PathLike[str], name: str) -> HostState:
    """Read one host's persisted state (raises FileNotFoundError when there is none)."""
    with host_state_path(state_dir, name).open(encoding="utf-8") as handle:
        return HostState.from_dict(json.load(handle))


def save_host_state(state_dir: str | os.PathLike[str], state: HostState) -> None:
    """Write one host's state atomically: readers see the old file or the new one."""
    path = host_state_path(state_dir, state.name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{state.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(state.to_dict(), handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
