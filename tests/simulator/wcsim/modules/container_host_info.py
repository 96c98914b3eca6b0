"""trustbound.wincontainers.container_host_info (plugins/modules/container_host_info.ps1).

Returns the RAW read the .ps1 returns; the controller maps it to the facts contract
(plugins/plugin_utils/host_read.py, behind the action plugin of the same name). What the
.ps1 reads and where the model takes it from:

- ``property_reads``: registry ``CurrentVersion`` values -> ``state.os``;
  ``Win32_ComputerSystem`` / ``Win32_Processor`` properties -> ``state.machine``, each
  answered with the properties asked for (``$object.$name``: null for one the source lacks);
  a source the model does not know fails the run (not modelled). A VM
  always sees a hypervisor (its parent); on a physical host one runs once Hyper-V is
  installed. While any hypervisor is present, the processors' virtualization flags read
  False;
- ``Get-WindowsFeature`` InstallState -> ``host.windows.feature_state``;
- the reboot-pending registry keys -> ``state.reboot_pending``;
- ``docker.exe``/``dockerd.exe``, ``dockerd --version``, ``Get-Service docker``, the
  service's ``ImagePath``, ``daemon.json``'s bytes, the data root's SDDL ->
  ``host.engine.record`` and ``host.state``;
- the host lock's record, as HostLock.psm1's ``Read-HostLockRecord`` returns it -> the lock
  file (wcsim/host_lock.py ``read_record``);
- every docker read the controller renders (``docker_reads``) is run through the REAL docker
  CLI (wcsim/docker_cli.py) against this host's Engine API (wcsim/engine_api.py), only while
  the engine is installed in ``%ProgramFiles%\\docker`` and its service runs, as the .ps1.

The model runs concurrently (``Model.concurrent``): the Engine API takes the host's lock per
request, and the Windows parts are read under it.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any, ClassVar

from .. import docker_cli, engine_socket, host_lock
from ..engine import _PIPE_NOT_FOUND
from ..state import INSTALLED
from . import Model, ModuleFailure, register

INSTALL_PATH = "C:\\Program Files\\docker"
DATA_ROOT = "C:\\ProgramData\\docker"
ENGINE_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\docker"
CURRENT_VERSION = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
BATCH = 100  # ids per inspect command line, as the .ps1 (CreateProcess: 32767 characters)
# Get-Service's ServiceControllerStatus names, as [string]$service.Status prints them.
_STATUS = {
    "running": "Running",
    "stopped": "Stopped",
    "startpending": "StartPending",
    "stoppending": "StopPending",
    "paused": "Paused",
}


def os_registry(host: Any) -> dict[str, Any]:
    os_state = host.state.os
    major, minor = (int(part) for part in os_state.version.split(".")[:2])
    return {
        "CurrentMajorVersionNumber": major,
        "CurrentMinorVersionNumber": minor,
        "CurrentBuildNumber": str(os_state.build),  # REG_SZ
        "UBR": os_state.revision,
        "ProductName": os_state.product_name,
        "EditionID": os_state.edition_id,
        "InstallationType": os_state.installation_type,
    }


def machine_raw(host: Any) -> dict[str, Any]:
    machine = host.state.machine
    hyperv_running = host.windows.feature_state("Hyper-V") == INSTALLED
    hypervisor_present = machine.is_virtual or hyperv_running
    # While any hypervisor runs (always in a VM, nested or not), Win32_Processor's
    # flags are not what the processor can do: reported False (PowerShell/PowerShell
    # GetComputerInfoCommand.cs GetHyperVisorInfo: "when the HyperV is present, the
    # requirements values are misleading"). Never kinder than Windows.
    flags = machine.virtualization_extensions and not hypervisor_present
    return {
        "Win32_ComputerSystem": [
            {
                "Model": "Virtual Machine" if machine.is_virtual else "PowerEdge R650",
                "Manufacturer": "Microsoft Corporation" if machine.is_virtual else "Dell Inc.",
                "HypervisorPresent": hypervisor_present,
                "TotalPhysicalMemory": machine.memory_mb * 1024 * 1024,
                "NumberOfLogicalProcessors": machine.logical_processors,
            }
        ],
        "Win32_Processor": [
            {
                "VirtualizationFirmwareEnabled": flags,
                "VMMonitorModeExtensions": flags,
                "SecondLevelAddressTranslationExtensions": flags,
            }
        ],
    }


def property_values(host: Any, reads: list[dict[str, Any]]) -> dict[str, Any]:
    """The .ps1's ``property_reads`` loop: every instance of each source, with the
    properties asked for. CIM class names and registry paths are case-insensitive."""
    registry = {CURRENT_VERSION.casefold(): [os_registry(host)]}
    cim = {name.casefold(): found for name, found in machine_raw(host).items()}
    out: dict[str, Any] = {}
    for read in reads:
        found = (cim if read.get("cim") else registry).get(read["source"].casefold())
        if found is None:
            kind = "CIM class" if read.get("cim") else "registry key"
            raise ModuleFailure(f"wcsim: the {kind} {read['source']!r} is not modelled")
        out[read["source"]] = [
            {name: instance.get(name) for name in read["properties"]} for instance in found
        ]
    return out


def _beside(binary: str) -> str:
    return binary.rsplit("\\", 1)[0] + "\\docker.exe"


# What the .ps1 sets only when it finds it: left out of ``engine`` otherwise.
_FOUND_ONLY = (
    "dockerd_version",
    "service_status",
    "service_image_path",
    "docker_cli",
    "daemon_json_base64",
    "data_root_sddl",
)


def engine_raw(host: Any, params: dict[str, Any]) -> dict[str, Any]:
    raw = _engine_values(host, params)
    return {k: v for k, v in raw.items() if v is not None or k not in _FOUND_ONLY}


def _engine_values(host: Any, params: dict[str, Any]) -> dict[str, Any]:
    record = host.engine.record
    ours = record is not None and record.install_path.lower() == INSTALL_PATH.lower()
    config = record.daemon_config if record else None
    data_root = (config or {}).get("data-root") or DATA_ROOT
    return {
        "install_path": INSTALL_PATH,
        "daemon_config_path": record.daemon_config_path if record else None,
        "docker_exe": ours,
        "dockerd_exe": ours,
        # dockerd --version (the controller's argv): "Docker version 27.3.1, build ..."
        "dockerd_version": (
            {"rc": 0, "stdout": f"Docker version {record.version}, build 0000000\n"}
            if ours and params["dockerd_version_argv"] == ["--version"]
            else None
        ),
        "service_status": (
            _STATUS.get(record.service_state, record.service_state.title())
            if record and record.service_state != "absent"
            else None
        ),
        # ImagePath, environment-expanded; a service the model knows runs its dockerd.exe.
        "service_image_path": (
            f'"{record.service_binary}" --run-service'
            if record and record.service_state != "absent" and record.service_binary
            else None
        ),
        # The docker.exe the reads run: ours, else the one beside the service's dockerd.exe
        # (Microsoft's install-docker-ce.ps1 puts both in System32).
        "docker_cli": (
            f"{INSTALL_PATH}\\docker.exe"
            if ours
            else _beside(record.service_binary)
            if record and record.service_state != "absent" and record.service_binary
            else None
        ),
        "eventlog_source": host.state.eventlog_source,
        "daemon_json_base64": (
            base64.b64encode(json.dumps(config).encode()).decode() if config is not None else None
        ),
        "data_root": str(data_root),
        # Get-Acl ... GetSecurityDescriptorSddlForm('Access'); None while absent.
        "data_root_sddl": host.state.data_root_sddl,
    }


def _docker(host: Any, binary: str, socket: str, argv: list[str]) -> dict[str, Any]:
    with host.exclusive():
        listens = host.engine.running and host.engine.listens_on_default_pipe()
    if not listens:
        # docker.exe on Windows dials the default pipe; the API socket here would only show
        # a unix-socket error (wcsim/engine.py _PIPE_NOT_FOUND, the Windows CLI's message).
        return {"rc": 1, "stdout": "", "stderr": _PIPE_NOT_FOUND.format(what=argv[0]) + "\n"}
    started = time.monotonic()
    run = docker_cli.run(binary, socket, argv)
    if getattr(host, "state_dir", None) is not None:
        # The reader's CLI runs, apart from the executor's <host>.jsonl (argv and wall
        # seconds only), for tests/benchmarks/bench_site.py's docker CLI time.
        log = Path(host.state_dir) / "docker-cli" / f"{host.name}.reads.jsonl"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"cli": binary, "argv": argv, "rc": run.returncode,
                                     "seconds": round(time.monotonic() - started, 4)})
                         + "\n")  # fmt: skip
    return {"rc": run.returncode, "stdout": run.stdout, "stderr": run.stderr}


def docker_raw(host: Any, reads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The .ps1's loop: each read in order, ids appended in batches, stop after a failed
    ``stop_unless_ok`` read."""
    with host.exclusive():
        version = host.engine.record.running_version
    try:
        binary = docker_cli.cli_for(version)
    except docker_cli.DockerCliMissing as err:
        # A set-up error of the simulator, never a fall-back to a model (issue 18).
        raise ModuleFailure(f"wcsim: {err}") from None
    out: list[dict[str, Any]] = []
    outputs: list[str] = []
    with engine_socket.serving(host) as socket:
        for read in reads:
            argv = list(read["argv"])
            if read.get("ids_from") is None:
                run = _docker(host, binary, socket, argv)
            else:
                source = outputs[read["ids_from"]]
                ids = list(dict.fromkeys(line for line in source.splitlines() if line.strip()))
                run = {"rc": 0, "stdout": "", "stderr": ""}
                for start in range(0, len(ids), BATCH):
                    part = _docker(host, binary, socket, argv + ids[start : start + BATCH])
                    run = {
                        "rc": part["rc"] or run["rc"],
                        "stdout": run["stdout"] + part["stdout"],
                        "stderr": run["stderr"] + part["stderr"],
                    }
            outputs.append(run["stdout"])
            if not read.get("return_stdout", True):
                run = {**run, "stdout": ""}  # used for the ids only: not returned
            out.append(run)
            if read.get("stop_unless_ok") and run["rc"] != 0:
                break
    return out


@register
class ContainerHostInfo(Model):
    name = "trustbound.wincontainers.container_host_info"
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "docker_reads": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "argv": {"type": "list", "elements": "str", "required": True},
                "ids_from": {"type": "int"},
                "stop_unless_ok": {"type": "bool", "default": False},
                "return_stdout": {"type": "bool", "default": True},
            },
        },
        "dockerd_version_argv": {"type": "list", "elements": "str", "default": []},
        "property_reads": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "source": {"type": "str", "required": True},
                "cim": {"type": "bool", "default": False},
                "properties": {"type": "list", "elements": "str", "required": True},
            },
        },
    }
    returns = frozenset(
        {
            "property_values",
            "processor_count",
            "features",
            "reboot_signals",
            "host_lock",
            "engine",
            "docker",
        }
    )
    supports_check_mode = True
    concurrent = True

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        with host.exclusive():
            result: dict[str, Any] = {
                "changed": False,
                "property_values": property_values(host, params["property_reads"]),
                # [Environment]::ProcessorCount: one processor group holds at most 64.
                "processor_count": min(host.state.machine.logical_processors, 64),
                "features": {n: host.windows.feature_state(n) for n in ("Containers", "Hyper-V")},
                "reboot_signals": {
                    "component_based_servicing": bool(host.state.reboot_pending),
                    "windows_update": False,
                    "pending_file_rename": False,
                },
                "host_lock": host_lock.read_record(host),
                "engine": engine_raw(host, params),
            }
            engine = result["engine"]
            reads = bool(engine.get("docker_cli")) and engine.get("service_status") == "Running"
        result["docker"] = docker_raw(host, params["docker_reads"]) if reads else []
        return result
