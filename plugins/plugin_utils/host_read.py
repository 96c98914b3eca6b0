# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""container_host_info's raw read -> the facts contract of docs/architecture.md.

``container_host_info.ps1`` only reads: registry, CIM and feature values, ``daemon.json``'s
bytes, the service's configuration, the data root's SDDL, the host lock's record, and the
stdout of the docker commands the controller renders here (``module_args``). An ``engine``
value the host did not find is left out of the raw read (read here as None). Every meaning
is given here (``facts``), so one module run still answers one read and every consumer
keeps the contract it had.

The docker reads are ``--format=`` Go templates the real docker CLI evaluates on the host
(docker/cli ``templates/templates.go``: ``json``, ``split``; Go ``text/template``:
``printf``, ``index``, variable assignment): each object is projected to the moby JSON keys
the mapping uses, environment entries are cut to their names and a legacy unkeyed config
hash label is masked before anything leaves the host. ``inspect --format`` runs the template
on docker/cli's typed struct first and, when that fails, on the object's raw JSON
(cli/command/inspect/inspector.go ``tryRawInspectFallback``: decoded with ``UseNumber``,
executed with ``missingkey=error``). Every template here reads keys with ``index``, which
fails on a struct, so all of them evaluate against the JSON keys of moby's
``api/swagger.yaml``; ``index`` prints a key the engine leaves out as null. The simulated
hosts run them through docker CLI 28.2.2 and 20.10.24 (test_host_read_differential.py).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_facts,
    engine_host,
)

MODULE = "trustbound.wincontainers.container_host_info"
CONFIG_HASH_LABEL = container_facts.CONFIG_HASH_LABEL
INSTALL_PATH = engine_host.INSTALL_PATH
DAEMON_CONFIG_PATH = "C:\\ProgramData\\docker\\config\\daemon.json"


def _object(*pairs: str, optional: tuple[str, ...] = ()) -> str:
    """A JSON object: the ``optional`` keys (``_opt``, each with its comma) first. Its brace
    is printed by an action where an action follows ("{{{" would not parse)."""
    return ('{{"{"}}' if optional else "{") + "".join(optional) + ",".join(pairs) + "}"


def _opt(path: str) -> str:
    """A key printed only when its value is not empty (null, "", false, [] or {}: what the
    mapping reads as absent), to keep the read small. A number always prints: the raw
    fallback decodes it as a json.Number, a non-empty string."""
    parent, _dot, key = path.rpartition(".")
    return "{{with index " + (parent or ".") + ' "' + key + '"}}"' + key + '":{{json .}},{{end}}'


def _key(name: str, template: str) -> str:
    return f'"{name}":{template}'


def _json(path: str) -> str:
    """``{{json (index PARENT "KEY")}}``: a key the engine leaves out (``omitempty`` in
    moby's types, e.g. a bind mount's ``Name``, an image's ``OsVersion``) prints null, where
    ``.KEY`` fails the template (the raw fallback parses with ``missingkey=error``)."""
    parent, _dot, key = path.rpartition(".")
    return "{{json (index " + (parent or ".") + ' "' + key + '")}}'


# One comma-separated JSON sequence from a range: {{$c}} is empty before the first item.
_ENV_NAMES = (
    '[{{$c := ""}}{{range .Config.Env}}{{$c}}{{json (index (split . "=") 0)}}{{$c = ","}}{{end}}]'
)
# A config hash whose first three characters are not "v2-" covers secret values unkeyed
# (container_plan.py): masked on the host. printf "%.3s" never fails on a short value.
_LABELS = (
    '{ {{- $c := ""}}{{range $k, $v := .Config.Labels}}{{$c}}{{json $k}}:'
    f'{{{{if and (eq $k "{CONFIG_HASH_LABEL}") (ne (printf "%.3s" $v) "v2-")}}}}'
    f'"{container_facts.MASK}"{{{{else}}}}{{{{json $v}}}}{{{{end}}}}{{{{$c = ","}}}}{{{{end}}}}}}'
)
_NETWORK_NAMES = (
    '{ {{- $c := ""}}{{range $k, $v := .NetworkSettings.Networks}}{{$c}}{{json $k}}:{}'
    '{{$c = ","}}{{end}}}'
)
_MOUNTS = (
    '[{{$c := ""}}{{range .Mounts}}{{$c}}'
    + _object(
        _key("Type", _json(".Type")),
        _key("Source", _json(".Source")),
        _key("Destination", _json(".Destination")),
        _key("RW", _json(".RW")),
        optional=(_opt(".Name"),),
    )
    + '{{$c = ","}}{{end}}]'
)
CONTAINER_TEMPLATE = _object(
    _key("Id", _json(".Id")),
    _key("Name", _json(".Name")),
    _key("Image", _json(".Image")),
    _key(
        "Config",
        _object(
            _key("Image", _json(".Config.Image")),
            _key("Env", _ENV_NAMES),
            _key("Labels", _LABELS),
            optional=tuple(_opt(f".Config.{k}") for k in ("User", "Cmd", "Entrypoint")),
        ),
    ),
    _key(
        "State",
        _object(_key("Status", _json(".State.Status")), _key("Running", _json(".State.Running"))),
    ),
    _key(
        "HostConfig",
        _object(
            _key("NetworkMode", _json(".HostConfig.NetworkMode")),
            _key("RestartPolicy", _json(".HostConfig.RestartPolicy")),
            optional=tuple(
                _opt(f".HostConfig.{name}")
                for name in (
                    "Isolation",
                    "PortBindings",
                    "Devices",
                    "SecurityOpt",
                    "Memory",
                    "NanoCpus",
                    "StorageOpt",
                )
            ),
        ),
    ),
    _key("Mounts", _MOUNTS),
    _key("NetworkSettings", _object(_key("Networks", _NETWORK_NAMES))),
)
IMAGE_TEMPLATE = _object(
    _key("Id", _json(".Id")),
    _key("Config", _object(_key("User", _json(".Config.User")))),
    optional=tuple(_opt(f".{k}") for k in ("RepoTags", "RepoDigests", "OsVersion")),
)
NETWORK_TEMPLATE = _object(
    _key("Id", _json(".Id")),
    _key("Name", _json(".Name")),
    _key("Driver", _json(".Driver")),
    _key("IPAM", _object(_key("Config", _json(".IPAM.Config")))),
)

# The reads, in order; "ids_from" appends the ids an earlier read printed (one per line).
VERSION, INFO, CONTAINER_IDS, CONTAINERS, IMAGE_IDS, IMAGES, NETWORK_IDS, NETWORKS = range(8)
DOCKER_READS: list[dict[str, Any]] = [
    # Exit code 0 only when the API answers: nothing else is read otherwise.
    {"argv": ["version", "--format={{json .Server.Version}}"], "stop_unless_ok": True},
    {"argv": ["info", "--format={{json .Isolation}}"]},
    {"argv": ["container", "ls", "--all", "--quiet", "--no-trunc"], "return_stdout": False},
    {"argv": ["container", "inspect", f"--format={CONTAINER_TEMPLATE}"], "ids_from": CONTAINER_IDS},
    {"argv": ["image", "ls", "--quiet", "--no-trunc"], "return_stdout": False},
    {"argv": ["image", "inspect", f"--format={IMAGE_TEMPLATE}"], "ids_from": IMAGE_IDS},
    {"argv": ["network", "ls", "--quiet", "--no-trunc"], "return_stdout": False},
    {"argv": ["network", "inspect", f"--format={NETWORK_TEMPLATE}"], "ids_from": NETWORK_IDS},
]
DOCKERD_VERSION_ARGV = engine_host.COMMANDS["dockerd_version"]

# The registry key and CIM classes the host reads for the os and machine facts, with the
# properties mapped below: Get-ItemProperty of a key, Get-CimInstance of a class (every
# instance: Win32_Processor has one per socket).
CURRENT_VERSION = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
COMPUTER_SYSTEM, PROCESSOR = "Win32_ComputerSystem", "Win32_Processor"
PROPERTY_READS: list[dict[str, Any]] = [
    {
        "source": CURRENT_VERSION,
        "cim": False,
        "properties": [
            "CurrentMajorVersionNumber",
            "CurrentMinorVersionNumber",
            "CurrentBuildNumber",
            "UBR",
            "ProductName",
            "EditionID",
            "InstallationType",
        ],
    },
    {
        "source": COMPUTER_SYSTEM,
        "cim": True,
        "properties": [
            "Model",
            "Manufacturer",
            "HypervisorPresent",
            "TotalPhysicalMemory",
            "NumberOfLogicalProcessors",
        ],
    },
    {
        "source": PROCESSOR,
        "cim": True,
        "properties": [
            "VirtualizationFirmwareEnabled",
            "VMMonitorModeExtensions",
            "SecondLevelAddressTranslationExtensions",
        ],
    },
]


class HostReadError(Exception):
    """The raw read cannot be mapped (a docker list failed although the API answered)."""


def module_args() -> dict[str, Any]:
    """container_host_info's arguments: what the host runs, rendered here."""
    return {
        "docker_reads": [
            {"ids_from": None, "stop_unless_ok": False, "return_stdout": True, **read}
            for read in DOCKER_READS
        ],
        "dockerd_version_argv": list(DOCKERD_VERSION_ARGV),
        "property_reads": [
            {**read, "properties": list(read["properties"])} for read in PROPERTY_READS
        ],
    }


# ------------------------------------------------------------------ Windows parts --
# Hypervisor vendors' model strings; a physical machine reports its own model.
_VIRTUAL = re.compile(
    "Virtual Machine|VMware|VirtualBox|KVM|QEMU|Xen|HVM domU|Google Compute Engine|Amazon EC2"
    "|Nutanix|AHV|OpenStack|oVirt|RHEV|Parallels|BHYVE",
    re.IGNORECASE,
)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def os_facts(registry: Mapping[str, Any]) -> dict[str, Any]:
    """``HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion`` values."""
    build, ubr = _int(registry.get("CurrentBuildNumber")), _int(registry.get("UBR"))
    major, minor = (
        registry.get("CurrentMajorVersionNumber"),
        registry.get("CurrentMinorVersionNumber"),
    )
    return {
        "version": f"{major}.{minor}.{build}.{ubr}",
        "build": build,
        "revision": ubr,
        "product_name": registry.get("ProductName"),
        "edition_id": registry.get("EditionID"),
        "installation_type": registry.get("InstallationType"),
    }


def instances(raw: Mapping[str, Any], source: str) -> list[Mapping[str, Any]]:
    """The instances ``property_reads`` returned for ``source`` (a key has one)."""
    found = (raw.get("property_values") or {}).get(source) or []
    return [item for item in found if isinstance(item, Mapping)]


def machine_facts(raw: Mapping[str, Any]) -> dict[str, Any]:
    """``Win32_ComputerSystem`` and every ``Win32_Processor`` (one per socket: a capability
    counts only when every socket has it)."""
    system = next(iter(instances(raw, COMPUTER_SYSTEM)), {})
    cpus = instances(raw, PROCESSOR)
    model, maker = str(system.get("Model") or ""), str(system.get("Manufacturer") or "")

    def every(flag: str) -> bool:
        return all(bool(cpu.get(flag)) for cpu in cpus)

    return {
        "is_virtual": bool(_VIRTUAL.search(f"{model} {maker}")),
        "model": model,
        "manufacturer": maker,
        "hypervisor_present": bool(system.get("HypervisorPresent")),
        "virtualization_firmware_enabled": every("VirtualizationFirmwareEnabled"),
        "vm_monitor_mode_extensions": every("VMMonitorModeExtensions"),
        "second_level_address_translation": every("SecondLevelAddressTranslationExtensions"),
        # [int64](bytes / 1MB) in PowerShell rounds half to even, as round() does.
        "memory_mb": round(_int(system.get("TotalPhysicalMemory")) / (1024 * 1024)),
        "logical_processors": _int(system.get("NumberOfLogicalProcessors")),
        # [Environment]::ProcessorCount: the process's processor group (at most 64).
        "group_processors": _int(raw.get("processor_count")),
    }


def feature_facts(features: Mapping[str, Any] | None) -> dict[str, str]:
    """``Get-WindowsFeature`` InstallState; Unknown where it is missing (not a Server)."""
    found = {str(k): str(v) for k, v in (features or {}).items()}
    return {name: found.get(name, "Unknown") for name in ("Containers", "Hyper-V")}


def host_lock_fact(lock: Any) -> dict[str, Any] | None:
    """The lock record as HostLock.psm1's ``Read-HostLockRecord`` returns it (its JSON, ``{}``
    when free, the holder named unreadable when the text is no JSON); None when free. JSON
    that is not an object is unreadable too."""
    if not lock:
        return None
    return dict(lock) if isinstance(lock, Mapping) else {"holder": "(unreadable lock record)"}


def daemon_config(encoded: str | None) -> dict[str, Any] | None:
    """``daemon.json`` bytes (base64) -> its object; ``{}`` when absent, None when dockerd
    could not read it: a UTF-8 byte order mark (dockerd 20.10 rejects it, the controller
    rewrites the file), bad JSON, or JSON that is not an object."""
    if encoded is None:
        return {}
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        return None
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return parsed if isinstance(parsed, dict) else None


def service_binary(image_path: str | None) -> str | None:
    """The executable of a service ``ImagePath`` (already environment-expanded on the
    host): the quoted first word, else the first word."""
    if not image_path:
        return None
    match = re.match(r'^\s*"([^"]+)"', image_path) or re.match(r"^\s*(\S+)", image_path)
    return match.group(1) if match else None


def _dockerd_version(run: Mapping[str, Any] | None) -> str | None:
    """``dockerd --version``: "Docker version 27.3.1, build 41ca978"."""
    if not run or run.get("rc") != 0:
        return None
    match = re.search(engine_host.VERSION_PATTERN, str(run.get("stdout") or ""))
    return match.group(1) if match else None


# ------------------------------------------------------------------- docker parts --
def _lines(run: Mapping[str, Any] | None) -> list[str]:
    return [line.strip() for line in str((run or {}).get("stdout") or "").splitlines() if line]


def _objects(run: Mapping[str, Any] | None, what: str) -> list[dict[str, Any]]:
    """One JSON object a line. ``inspect`` prints what still exists and fails for what was
    removed since the listing (that one is gone); no output at all with a failure is one."""
    if run is None:
        return []
    lines = _lines(run)
    if not lines and run.get("rc") not in (0, None):
        raise HostReadError(
            f"docker {what} inspect failed (rc {run.get('rc')}): "
            f"{str(run.get('stderr') or '').strip()}"
        )
    try:
        return [json.loads(line) for line in lines]
    except ValueError as err:
        raise HostReadError(f"docker {what} inspect printed no JSON: {err}") from None


def _require_ok(run: Mapping[str, Any] | None, what: str) -> None:
    if run is not None and run.get("rc") != 0:
        raise HostReadError(
            f"docker {what} failed (rc {run.get('rc')}) although the docker service runs: "
            f"{str(run.get('stderr') or '').strip()}"
        )


def image_fact(inspect: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": inspect.get("Id"),
        "repo_tags": [t for t in inspect.get("RepoTags") or [] if t is not None],
        "repo_digests": [d for d in inspect.get("RepoDigests") or [] if d is not None],
        "os_version": str(inspect.get("OsVersion") or ""),
        "user": str((inspect.get("Config") or {}).get("User") or ""),
    }


def network_fact(inspect: Mapping[str, Any]) -> dict[str, Any]:
    ipam = (inspect.get("IPAM") or {}).get("Config") or []
    return {
        "name": inspect.get("Name"),
        "id": inspect.get("Id"),
        "driver": inspect.get("Driver"),
        "subnets": [str(c.get("Subnet")) for c in ipam if isinstance(c, dict) and c.get("Subnet")],
    }


def _docker_facts(runs: list[Any]) -> dict[str, Any]:
    def run(index: int) -> Mapping[str, Any] | None:
        return runs[index] if index < len(runs) else None

    version = run(VERSION)
    out: dict[str, Any] = {
        "api_reachable": False,
        "api_error": None,
        "server_version": None,
        "images": [],
        "containers": [],
        "networks": [],
    }
    if version is None:
        return out
    text = str(version.get("stdout") or "").strip()
    server = None
    if version.get("rc") == 0 and text:
        try:
            server = json.loads(text)
        except ValueError:
            server = None
    if not server:
        # The service can run while the API does not answer on the default pipe (a
        # daemon.json "hosts" without npipe://, dockerd still starting): a fact.
        out["api_error"] = (str(version.get("stderr") or "") + text).strip()
        return out
    out["api_reachable"] = True
    out["server_version"] = str(server)
    for index, what in ((INFO, "info"), (CONTAINER_IDS, "container ls"), (IMAGE_IDS, "image ls")):
        _require_ok(run(index), what)
    isolation = ""
    if run(INFO) is not None:
        isolation = str(json.loads(str(run(INFO).get("stdout") or '""').strip() or '""') or "")
    out["containers"] = [
        container_facts.container_fact(c, isolation) for c in _objects(run(CONTAINERS), "container")
    ]
    out["images"] = [image_fact(i) for i in _objects(run(IMAGES), "image")]
    if run(NETWORK_IDS) is not None:
        _require_ok(run(NETWORK_IDS), "network ls")
        out["networks"] = [network_fact(n) for n in _objects(run(NETWORKS), "network")]
    return out


def facts(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The whole facts contract from one raw read (raises HostReadError)."""
    engine_raw = raw.get("engine") or {}
    installed = bool(engine_raw.get("docker_exe")) and bool(engine_raw.get("dockerd_exe"))
    status = engine_raw.get("service_status")
    config = daemon_config(engine_raw.get("daemon_json_base64"))
    docker = _docker_facts(list(raw.get("docker") or []))
    engine = {
        "kind": "docker" if installed else "none",
        "installed": installed,
        "version": _dockerd_version(engine_raw.get("dockerd_version")) if installed else None,
        "service_state": str(status).lower() if status else "absent",
        "install_path": engine_raw.get("install_path") or INSTALL_PATH,
        "daemon_config_path": engine_raw.get("daemon_config_path") or DAEMON_CONFIG_PATH,
        "daemon_config": config,
        "service_binary": service_binary(engine_raw.get("service_image_path")) if status else None,
        "eventlog_source": bool(engine_raw.get("eventlog_source")),
        "data_root": engine_raw.get("data_root"),
        "data_root_sddl": engine_raw.get("data_root_sddl"),
        "api_reachable": docker["api_reachable"],
        "api_error": docker["api_error"],
        "server_version": docker["server_version"],
    }
    signals = raw.get("reboot_signals") or {}
    return {
        "os": os_facts(next(iter(instances(raw, CURRENT_VERSION)), {})),
        "machine": machine_facts(raw),
        "features": feature_facts(raw.get("features")),
        "reboot_pending": any(bool(v) for v in signals.values()),
        "host_lock": host_lock_fact(raw.get("host_lock")),
        "engine": engine,
        "images": docker["images"],
        "containers": docker["containers"],
        "networks": docker["networks"],
    }


# Keys of a module result that are not the raw read and stay in the task result (its
# "invocation" would repeat the rendered templates).
_RESULT_KEYS = ("warnings", "deprecations")


def read(execute: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
    """Run container_host_info once (``execute(module_args)``) and map its raw result; a
    failed or skipped run, or one that cannot be mapped, comes back failed with its message."""
    result = execute(module_args())
    if result.get("failed") or result.get("skipped") or result.get("unreachable"):
        return result
    try:
        mapped = facts(result)
    except HostReadError as err:
        return {"changed": False, "failed": True, "msg": str(err)}
    kept = {key: result[key] for key in _RESULT_KEYS if key in result}
    return {**kept, "changed": False, **mapped}
