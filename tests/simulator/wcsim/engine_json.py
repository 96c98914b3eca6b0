"""The engine model's state as the Docker Engine API shows it (JSON bodies of dockerd).

Pure functions from ``wcsim.state`` records to the response bodies moby defines in
``api/swagger.yaml`` (``ContainerInspectResponse``, ``ContainerSummary``, ``ImageInspect``,
``ImageSummary``, ``SystemVersion``, ``SystemInfo``, ``Network``); the keys kept are the
ones those schemas define (``tests/simulator/unit/test_engine_json_schema.py`` checks them
against the schema parts kept under ``tests/simulator/schema/``). The rules stay in
``engine.py``; this file only shapes what the engine model holds.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .engine import parse_restart_policy

if TYPE_CHECKING:
    from .host import Host
    from .state import ContainerState, ImageState

DEFAULT_DATA_ROOT = "C:\\ProgramData\\docker"
ZERO_TIME = "0001-01-01T00:00:00Z"

# The Engine API version each engine line answers (moby api/common.go DefaultVersion at
# v20.10.24, v23.0.6, v24.0.7, v25.0.5, v26.0.0/v26.1.4, v27.0.3/v27.1.2, v27.2.1..v27.5.1,
# v28.0.0). Windows' minimum is 1.24 on every line (v20.10.24 api/common_windows.go
# MinVersion; v27.3.1 api/common.go MinSupportedAPIVersion).
_API_VERSIONS = {
    (20, 10): "1.41",
    (23, 0): "1.42",
    (24, 0): "1.43",
    (25, 0): "1.44",
    (26, 0): "1.45",
    (26, 1): "1.45",
    (27, 0): "1.46",
    (27, 1): "1.46",
    (28, 0): "1.48",
}
MIN_API_VERSION = "1.24"

# A Windows mount spec as the docker CLI passes it in Binds (moby
# volume/mounts/windows_parser.go: a source of a drive path or a volume name, a
# destination drive path, an optional mode).
_MOUNT_RE = re.compile(
    r"^(?:(?P<source>[A-Za-z]:\\[^:]*|[^:\\/]+):)?(?P<destination>[A-Za-z]:(?:\\[^:]*)?)"
    r"(?::(?P<mode>ro|rw))?$"
)


# A named pipe mount (moby volume/mounts/windows_parser.go rxPipe): \\.\pipe\<name> on
# both sides; its MountPoint has Type "npipe".
_PIPE_RE = re.compile(
    r"^(?P<source>\\\\\.\\pipe\\[^:]+):(?P<destination>\\\\\.\\pipe\\[^:]+)"
    r"(?::(?P<mode>ro|rw))?$"
)


def api_version(engine_version: str) -> str:
    """The API version an engine answers (``27.3.1`` -> ``1.47``)."""
    match = re.match(r"^v?(\d+)\.(\d+)", str(engine_version))
    if not match:
        raise ValueError(f"not an engine version: {engine_version!r}")
    major, minor = int(match.group(1)), int(match.group(2))
    if (major, minor) in _API_VERSIONS:
        return _API_VERSIONS[(major, minor)]
    if major == 27:
        return "1.47"  # 27.2 to 27.5
    raise ValueError(f"engine {engine_version}: its API version is not modelled")


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _api_at_least(host: Host, version: str) -> bool:
    """The host's engine answers at least this API version (fields come and go with it)."""
    record = host.state.engine
    running = record.running_version if record else ""
    return version_tuple(api_version(running)) >= version_tuple(version)


def timestamp(seconds: float) -> str:
    """RFC 3339 with nanoseconds, as Go's time.Time marshals; the zero time for 0."""
    if not seconds:
        return ZERO_TIME
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}000Z"


def object_id(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def data_root(host: Host) -> str:
    record = host.state.engine
    return str(
        ((record.daemon_config or {}) if record else {}).get("data-root") or DEFAULT_DATA_ROOT
    )


def split_mount(spec: str) -> dict[str, Any]:
    """``C:\\data:C:\\app:ro`` -> source, destination, mode (``{}`` when it does not parse)."""
    pipe = _PIPE_RE.match(spec)
    if pipe:
        return pipe.groupdict()
    match = _MOUNT_RE.match(spec)
    return match.groupdict() if match else {}


def mount_point(host: Host, spec: str) -> dict[str, Any]:
    """One ``MountPoint``: a bind shows its folder, a named volume the folder dockerd keeps
    it in under the data root (moby volume/local/local.go ``<root>\\volumes\\<name>\\_data``),
    an anonymous one a generated name."""
    parts = split_mount(spec)
    destination = parts.get("destination") or spec
    source = parts.get("source") or ""
    mode = parts.get("mode") or ""
    point: dict[str, Any] = {
        "Type": "bind",
        "Source": source,
        "Destination": destination,
        "Mode": mode,
        "RW": mode != "ro",
        "Propagation": "",
    }
    if re.match(r"^[A-Za-z]:\\", source):
        return point
    if _PIPE_RE.match(spec):
        point["Type"] = "npipe"
        return point
    name = source or object_id("volume", host.name, spec)
    point.update(
        Type="volume",
        Name=name,
        Source=f"{data_root(host)}\\volumes\\{name}\\_data",
        Driver="local",
    )
    return point


def _port_key(spec: str) -> tuple[str, str, str]:
    """``[ip:]host:container/proto`` -> (container/proto, host ip, host port)."""
    mapping, _, proto = str(spec).partition("/")
    parts = mapping.split(":")
    container = f"{parts[-1]}/{proto or 'tcp'}"
    if len(parts) == 3:
        return container, parts[0], parts[1]
    if len(parts) == 2:
        return container, "", parts[0]
    return container, "", ""


def port_bindings(ports: list[str]) -> dict[str, list[dict[str, str]]]:
    bindings: dict[str, list[dict[str, str]]] = {}
    for spec in ports:
        container, ip, host_port = _port_key(spec)
        bindings.setdefault(container, []).append({"HostIp": ip, "HostPort": host_port})
    return bindings


def _network_id(name: str) -> str:
    return object_id("network", name)


def _endpoint(host: Host, container: ContainerState, network: str) -> dict[str, Any]:
    endpoint: dict[str, Any] = {
        "IPAMConfig": None,
        "Links": None,
        "Aliases": None,
        "MacAddress": "",
        "NetworkID": _network_id(network),
        "EndpointID": object_id("endpoint", container.id, network) if container.running else "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DriverOpts": None,
    }
    if _api_at_least(host, "1.44"):
        endpoint["DNSNames"] = None  # new in API 1.44 (moby docs/api/version-history.md)
    return endpoint


def _state(container: ContainerState) -> dict[str, Any]:
    return {
        "Status": container.state,
        "Running": container.running,
        "Paused": False,
        "Restarting": False,
        "OOMKilled": False,
        "Dead": False,
        "Pid": 4000 + int(container.id[:4], 16) % 4000 if container.running else 0,
        "ExitCode": container.exit_code,
        "Error": container.error,
        "StartedAt": timestamp(container.started_at),
        "FinishedAt": timestamp(container.finished_at),
    }


def _restart_policy(policy: str) -> dict[str, Any]:
    name, retries = parse_restart_policy(policy)
    return {"Name": name, "MaximumRetryCount": retries}


def container_inspect(host: Host, container: ContainerState) -> dict[str, Any]:
    """``GET /containers/{id}/json`` (``ContainerInspectResponse``)."""
    words = container.entrypoint + container.command
    networks = [n for n in container.networks if not n.startswith("container:")]
    exposed = {key: {} for key in port_bindings(container.ports)}
    root = data_root(host)
    return {
        "Id": container.id,
        "Created": timestamp(container.created_at),
        "Path": words[0] if words else "c:\\windows\\system32\\cmd.exe",
        "Args": words[1:],
        "State": _state(container),
        "Image": container.image_id,
        "ResolvConfPath": "",
        "HostnamePath": "",
        "HostsPath": "",
        "LogPath": f"{root}\\containers\\{container.id}\\{container.id}-json.log",
        "Name": f"/{container.name}",
        "RestartCount": 0,
        "Driver": "windowsfilter",
        "Platform": "windows",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "ExecIDs": None,
        "HostConfig": {
            "Binds": list(container.mounts) or None,
            "NetworkMode": container.networks[0] if container.networks else "nat",
            "PortBindings": port_bindings(container.ports),
            "RestartPolicy": _restart_policy(container.restart_policy),
            "AutoRemove": False,
            "Isolation": container.isolation,
            "Memory": container.memory_bytes,
            "NanoCpus": round(container.cpus * 1e9),
            # moby api/types/container/hostconfig.go: StorageOpt map, omitempty.
            **({"StorageOpt": dict(container.storage_opt)} if container.storage_opt else {}),
            "Privileged": False,
            "ReadonlyRootfs": False,
            # moby api/types/container/hostconfig.go: no omitempty, null when not given.
            "SecurityOpt": None,
            "Devices": [
                {"PathOnHost": d, "PathInContainer": "", "CgroupPermissions": ""}
                for d in container.devices
            ],
        },
        "GraphDriver": {
            "Name": "windowsfilter",
            "Data": {"dir": f"{root}\\windowsfilter\\{container.id}"},
        },
        "Mounts": [mount_point(host, spec) for spec in container.mounts],
        "Config": {
            "Hostname": container.id[:12],
            "Domainname": "",
            "User": container.user,
            "AttachStdin": False,
            "AttachStdout": False,
            "AttachStderr": False,
            "ExposedPorts": exposed or None,
            "Tty": False,
            "OpenStdin": False,
            "StdinOnce": False,
            "Env": list(container.env) or None,
            "Cmd": list(container.command) or None,
            "Image": container.image,
            "Volumes": None,
            "WorkingDir": "",
            "Entrypoint": list(container.entrypoint) or None,
            "OnBuild": None,
            "Labels": dict(container.labels),
        },
        "NetworkSettings": {
            "Bridge": "",
            "SandboxID": "",
            "SandboxKey": "",
            "Ports": {
                key: [b for b in value if b["HostPort"]] or None
                for key, value in port_bindings(container.ports).items()
            }
            if container.running
            else {},
            "HairpinMode": False,
            "LinkLocalIPv6Address": "",
            "LinkLocalIPv6PrefixLen": 0,
            "SecondaryIPAddresses": None,
            "SecondaryIPv6Addresses": None,
            "EndpointID": "",
            "Gateway": "",
            "GlobalIPv6Address": "",
            "GlobalIPv6PrefixLen": 0,
            "IPAddress": "",
            "IPPrefixLen": 0,
            "IPv6Gateway": "",
            "MacAddress": "",
            "Networks": {n: _endpoint(host, container, n) for n in networks},
        },
    }


def _status_text(host: Host, container: ContainerState) -> str:
    """``docker ps``' STATUS column (moby container/state.go ``String``), to the minute."""
    if container.running:
        return f"Up {_ago(host.now() - container.started_at)}"
    if container.state == "exited":
        return f"Exited ({container.exit_code}) {_ago(host.now() - container.finished_at)} ago"
    return "Created"


def _ago(seconds: float) -> str:
    """go-units ``HumanDuration`` (github.com/docker/go-units duration.go), up to days."""
    seconds = max(int(seconds), 0)
    if seconds < 1:
        return "Less than a second"
    if seconds == 1:
        return "1 second"
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    if minutes == 1:
        return "About a minute"
    if minutes < 60:
        return f"{minutes} minutes"
    hours = round(seconds / 3600)
    if hours == 1:
        return "About an hour"
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


def container_summary(host: Host, container: ContainerState) -> dict[str, Any]:
    """One entry of ``GET /containers/json`` (``ContainerSummary``)."""
    words = container.entrypoint + container.command
    ports = []
    for key, bindings in port_bindings(container.ports).items():
        private, _, proto = key.partition("/")
        for binding in bindings:
            entry: dict[str, Any] = {"PrivatePort": int(private), "Type": proto}
            if binding["HostPort"] and container.running:
                entry.update(IP=binding["HostIp"] or "0.0.0.0", PublicPort=int(binding["HostPort"]))
            ports.append(entry)
    return {
        "Id": container.id,
        "Names": [f"/{container.name}"],
        "Image": container.image,
        "ImageID": container.image_id,
        "Command": " ".join(words) or "c:\\windows\\system32\\cmd.exe",
        "Created": int(container.created_at),
        "Ports": ports,
        "Labels": dict(container.labels),
        "State": container.state,
        "Status": _status_text(host, container),
        "HostConfig": {"NetworkMode": container.networks[0] if container.networks else "nat"},
        "NetworkSettings": {
            "Networks": {
                n: _endpoint(host, container, n)
                for n in container.networks
                if not n.startswith("container:")
            }
        },
        "Mounts": [mount_point(host, spec) for spec in container.mounts],
    }


def image_inspect(host: Host, image: ImageState) -> dict[str, Any]:
    """``GET /images/{name}/json`` (``ImageInspect``)."""
    root = data_root(host)
    inspect = {
        "Id": image.id,
        "RepoTags": list(image.repo_tags),
        "RepoDigests": list(image.repo_digests),
        "Parent": "",
        "Comment": "",
        "Created": ZERO_TIME,
        "DockerVersion": "",
        "Author": "",
        "Config": {
            "User": image.user,
            "Env": None,
            "Cmd": ["c:\\windows\\system32\\cmd.exe"],
            "Labels": None,
        },
        "Architecture": "amd64",
        "Os": "windows",
        "OsVersion": image.os_version,
        "Size": 0,
        "GraphDriver": {
            "Name": "windowsfilter",
            "Data": {"dir": f"{root}\\windowsfilter\\{image.id[7:]}"},
        },
        "RootFS": {"Type": "layers", "Layers": [image.id]},
        "Metadata": {"LastTagTime": ZERO_TIME},
    }
    # moby docs/api/version-history.md: VirtualSize omitted from API 1.44, Container (the
    # container an image was committed from) gone from 1.45. Shaped by the engine's API
    # version here; dockerd shapes some fields by the version a request asks for.
    if not _api_at_least(host, "1.44"):
        inspect["VirtualSize"] = 0
    if not _api_at_least(host, "1.45"):
        inspect["Container"] = ""
    return inspect


def image_summary(host: Host, image: ImageState) -> dict[str, Any]:
    """One entry of ``GET /images/json`` (``ImageSummary``)."""
    summary: dict[str, Any] = {
        "Id": image.id,
        "ParentId": "",
        "RepoTags": list(image.repo_tags),
        "RepoDigests": list(image.repo_digests),
        "Created": 0,
        "Size": 0,
        "SharedSize": -1,
        "Labels": {},
        "Containers": sum(1 for c in host.state.containers if c.image_id == image.id),
    }
    if not _api_at_least(host, "1.44"):
        summary["VirtualSize"] = 0  # removed in API 1.44
    return summary


def _kernel(host: Host) -> str:
    os_state = host.state.os
    return f"{os_state.major}.{os_state.minor} {os_state.build} ({os_state.build}.1.amd64fre)"


def system_version(host: Host) -> dict[str, Any]:
    """``GET /version`` (``SystemVersion``)."""
    version = host.state.engine.running_version
    api = api_version(version)
    details = {
        "ApiVersion": api,
        "Arch": "amd64",
        "BuildTime": ZERO_TIME,
        "Experimental": "false",
        "GitCommit": "wcsim",
        "GoVersion": "go1.22",
        "KernelVersion": _kernel(host),
        "MinAPIVersion": MIN_API_VERSION,
        "Os": "windows",
    }
    return {
        "Platform": {"Name": "Docker Engine - Community"},
        "Components": [{"Name": "Engine", "Version": version, "Details": details}],
        "Version": version,
        "ApiVersion": api,
        "MinAPIVersion": MIN_API_VERSION,
        "GitCommit": "wcsim",
        "GoVersion": "go1.22",
        "Os": "windows",
        "Arch": "amd64",
        "KernelVersion": _kernel(host),
        "BuildTime": ZERO_TIME,
    }


def system_info(host: Host, default_isolation: str) -> dict[str, Any]:
    """``GET /info`` (``SystemInfo``), the fields a Windows daemon fills."""
    state = host.state
    containers = state.containers
    return {
        "ID": object_id("daemon", host.name),
        "Containers": len(containers),
        "ContainersRunning": sum(1 for c in containers if c.running),
        "ContainersPaused": 0,
        "ContainersStopped": sum(1 for c in containers if not c.running),
        "Images": len(state.images),
        "Driver": "windowsfilter",
        "DriverStatus": [],
        "DockerRootDir": data_root(host),
        "Plugins": {
            "Volume": ["local"],
            "Network": [
                "ics",
                "internal",
                "l2bridge",
                "l2tunnel",
                "nat",
                "null",
                "overlay",
                "private",
                "transparent",
            ],
            "Authorization": None,
            "Log": [
                "awslogs",
                "etwlogs",
                "fluentd",
                "gcplogs",
                "gelf",
                "json-file",
                "local",
                "splunk",
                "syslog",
            ],
        },
        "MemoryLimit": False,
        "SwapLimit": False,
        "CpuCfsPeriod": False,
        "CpuCfsQuota": False,
        "CPUShares": False,
        "CPUSet": False,
        "PidsLimit": False,
        "IPv4Forwarding": True,
        "Debug": False,
        "NFd": -1,
        "OomKillDisable": False,
        "NGoroutines": 30,
        "SystemTime": timestamp(host.now()),
        "LoggingDriver": "json-file",
        "CgroupDriver": "",  # set only by moby daemon/info_unix.go; no omitempty
        "NEventsListener": 0,
        "KernelVersion": _kernel(host),
        "OperatingSystem": state.os.product_name,
        "OSVersion": state.os.version,
        "OSType": "windows",
        "Architecture": "x86_64",
        "NCPU": state.machine.logical_processors,
        "MemTotal": state.machine.memory_mb * 1024 * 1024,
        "IndexServerAddress": "https://index.docker.io/v1/",
        "RegistryConfig": None,
        "GenericResources": None,
        "HttpProxy": "",
        "HttpsProxy": "",
        "NoProxy": "",
        "Name": state.computer_name,
        "Labels": [],
        "ExperimentalBuild": False,
        "ServerVersion": state.engine.running_version,
        "Runtimes": {},
        "DefaultRuntime": "",
        "LiveRestoreEnabled": False,
        "Isolation": default_isolation,
        "InitBinary": "",
        "SecurityOptions": [],
        "Warnings": None,
    }


def network(host: Host, name: str) -> dict[str, Any]:
    """``GET /networks/{id}`` (``Network``): nat is the NAT network dockerd creates on
    Windows, none the null driver's (moby daemon/daemon_windows.go initNetworkController)."""
    driver = {"nat": "nat", "none": "null"}.get(name, "nat")
    return {
        "Name": name,
        "Id": _network_id(name),
        "Created": ZERO_TIME,
        "Scope": "local",
        "Driver": driver,
        "EnableIPv6": False,
        "IPAM": {
            "Driver": "windows",
            "Options": None,
            "Config": (
                [{"Subnet": host.state.network_subnets[name]}]
                if name in host.state.network_subnets
                else []
            ),
        },
        "Internal": False,
        "Attachable": False,
        "Ingress": False,
        "Containers": {
            c.id: {
                "Name": c.name,
                "EndpointID": "",
                "MacAddress": "",
                "IPv4Address": "",
                "IPv6Address": "",
            }
            for c in host.state.containers
            if name in c.networks and c.running
        },
        "Options": {},
        "Labels": {},
    }


def find_network(host: Host, name_or_id: str) -> str | None:
    for name in host.state.networks:
        if name == name_or_id or (
            len(name_or_id) >= 1 and _network_id(name).startswith(name_or_id)
        ):
            return name
    return None
