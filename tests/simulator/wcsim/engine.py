"""Docker engine rules of a simulated Windows host.

``Engine`` (obtain it as ``host.engine``) is the Python API the models of the
collection's own modules use: install record and service, images, pulls and
containers. Every refusal raises ``EngineError`` carrying docker's own text;
the source of each text is cited next to it (moby = github.com/moby/moby at
b985e23, hcsshim errors as docker prints them, quoted in public issues) and
listed in docs/simulator-host-model.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .daemon_flags import unknown_directives
from .host import normalize_image_ref, split_image_ref
from .state import INSTALLED, PROTECTED_SDDL, ContainerState, EngineState, ImageState
from .versions import (
    Version,
    feb_2020_sides_differ,
    hyperv_isolation_supported,
    process_isolation_supported,
)
from .windows import SHUTDOWN_EXIT_CODE

if TYPE_CHECKING:
    from .host import Host

# Exit code a Windows container shows after `docker stop` of its console
# process (0xC000013A, STATUS_CONTROL_C_EXIT). Illustrative.
STOP_EXIT_CODE = 3221225786
# moby daemon/errors.go: exitUnknown = 128, set when a start fails.
START_FAILED_EXIT_CODE = 128

# Accounts every Windows base image has (Microsoft container docs).
BUILTIN_USERS = frozenset(
    u.lower()
    for u in (
        "ContainerAdministrator",
        "ContainerUser",
        "NT AUTHORITY\\SYSTEM",
        "NT AUTHORITY\\NETWORK SERVICE",
        "NT AUTHORITY\\LOCAL SERVICE",
    )
)

_NAME_RE = re.compile(r"^/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$")
_RESTART_POLICIES = ("no", "always", "on-failure", "unless-stopped")
_PIPE_NOT_FOUND = (
    # docker CLI when dockerd is not running (client side, no daemon prefix).
    "error during connect: this error may indicate that the docker daemon is not running: "
    'Get "http://%2F%2F.%2Fpipe%2Fdocker_engine/v1.47/{what}": '
    "open //./pipe/docker_engine: The system cannot find the file specified."
)


class EngineError(Exception):
    """A refusal with docker's text.

    ``message`` is the daemon's (or dockerd's) own message; ``stderr`` is what
    the docker CLI prints: ``Error response from daemon: <message>`` (plus a
    trailer such as ``Error: failed to start containers: web``) for daemon
    errors, the bare message for client-side ones.
    """

    def __init__(self, message: str, *, daemon: bool = True, trailer: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.daemon = daemon
        self.trailer = trailer

    @property
    def stderr(self) -> str:
        text = f"Error response from daemon: {self.message}" if self.daemon else self.message
        return f"{text}\n{self.trailer}" if self.trailer else text


def familiar_ref(ref: str) -> str:
    """docker's short form: ``nginx:latest``, ``mcr.microsoft.com/windows/nanoserver:ltsc2022``."""
    registry, repository, tag = split_image_ref(ref)
    name = familiar_name(ref)
    del registry, repository
    return f"{name}@{tag}" if tag.startswith("sha256:") else f"{name}:{tag}"


def familiar_name(ref: str) -> str:
    registry, repository, _ = split_image_ref(ref)
    if registry == "docker.io":
        return repository.removeprefix("library/")
    return f"{registry}/{repository}"


def _sha(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _host_port_bindings(ports: list[str]) -> list[tuple[str, str, str]]:
    """``(host_ip, host_port, proto)`` for each published port with a fixed host port."""
    bindings = []
    for spec in ports:
        mapping, _, proto = str(spec).partition("/")
        if mapping.startswith("["):  # [v6]:host:container
            address, _, rest = mapping[1:].partition("]:")
            host_port = rest.partition(":")[0]
            if host_port:
                bindings.append((address, host_port, proto or "tcp"))
            continue
        parts = mapping.split(":")
        if len(parts) == 3:
            ip, host_port = parts[0], parts[1]
        elif len(parts) == 2:
            ip, host_port = "0.0.0.0", parts[0]
        else:
            continue  # container port only: an ephemeral host port
        if host_port:
            bindings.append((ip or "0.0.0.0", host_port, proto or "tcp"))
    return bindings


def _ports_clash(a: tuple[str, str, str], b: tuple[str, str, str]) -> bool:
    return a[1] == b[1] and a[2] == b[2] and (a[0] == b[0] or "0.0.0.0" in (a[0], b[0]))


def parse_restart_policy(policy: str) -> tuple[str, int]:
    """``"on-failure:3"`` -> ``("on-failure", 3)``, validated as moby's ValidateRestartPolicy."""
    name, _, count = str(policy or "no").partition(":")
    try:
        retries = int(count) if count else 0
    except ValueError:
        # docker/cli opts/parse.go ParseRestartPolicy
        raise EngineError("maximum retry count must be an integer", daemon=False) from None
    if retries < 0:
        # moby api/types/container/hostconfig.go ValidateRestartPolicy; on-failure:0 is
        # accepted (integration-cli docker_cli_restart_test.go TestRestartPolicyOnFailure).
        raise EngineError(
            "invalid restart policy: maximum retry count cannot be negative"
            if name == "on-failure"
            else "invalid restart policy: maximum retry count can only be used with"
            " 'on-failure' and cannot be negative"
        )
    if name not in _RESTART_POLICIES:
        # moby api/types/container/hostconfig.go ValidateRestartPolicy
        raise EngineError(
            f"invalid restart policy: unknown policy '{name}'; use one of 'no', 'always', "
            "'on-failure', or 'unless-stopped'"
        )
    if name != "on-failure" and retries:
        raise EngineError(
            "invalid restart policy: maximum retry count can only be used with 'on-failure'"
        )
    return name, retries


_GO_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def go_ram_in_bytes(text: str) -> int:
    """go-units RAMInBytes (moby vendor/github.com/docker/go-units/size.go parseSize), with
    its error messages; raises ValueError."""
    sep = max(text.rfind(c) for c in "0123456789. ")
    if sep == -1:
        raise ValueError(f"invalid size: '{text}'")
    num, suffix = (
        (text[: sep + 1], text[sep + 1 :]) if text[sep] != " " else (text[:sep], text[sep + 1 :])
    )
    if not _GO_FLOAT_RE.fullmatch(num):
        raise ValueError(f'strconv.ParseFloat: parsing "{num}": invalid syntax')
    size = float(num)
    if size < 0:
        raise ValueError(f"invalid size: '{text}'")
    suffix = suffix.lower()
    if not suffix or suffix == "b":
        return int(size)
    if (
        len(suffix) > 3
        or suffix[0] not in "kmgtp"
        or (len(suffix) == 2 and suffix[1] != "b")
        or (len(suffix) == 3 and suffix[1:] != "ib")
    ):
        raise ValueError(f"invalid suffix: '{suffix}'")
    return int(size * 1024 ** ("kmgtp".index(suffix[0]) + 1))


def _check_storage_opt(storage_opt: dict[str, str]) -> None:
    """HostConfig.StorageOpt as the windowsfilter graph driver reads it (moby
    daemon/graphdriver/windows/windows.go parseStorageOpt): only ``size`` (any case) is read,
    other keys are ignored; the size goes through go-units RAMInBytes, whose error the driver
    wraps in "failed to parse storage options" (CreateReadWrite, returned as it is by
    daemon/create.go). The size only grows the scratch disk (hcsshim ExpandScratchSize, "at
    least size bytes"): a small one is accepted and changes nothing."""
    for key, value in storage_opt.items():
        if str(key).lower() == "size":
            try:
                go_ram_in_bytes(str(value))
            except ValueError as exc:
                raise EngineError(f"failed to parse storage options: {exc}") from None


def stored_restart_policy(policy: str) -> str:
    """The policy as ``docker inspect`` shows it: MaximumRetryCount 0 is plain ``on-failure``."""
    name, retries = parse_restart_policy(policy)
    return f"{name}:{retries}" if retries else name


# moby libnetwork/drivers/windows/windows.go ConvertPortBindings (vendored from 19.03 on, so in
# every engine the simulator runs): only an unspecified host IP passes.
_UNSPECIFIED_HOST_IPS = ("", "0.0.0.0", "::")


class Engine:
    """Docker on one simulated host. Obtain it as ``host.engine``."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.state = host.state

    # ---------------------------------------------------- install record --
    @property
    def record(self) -> EngineState | None:
        """The install record, or None when no engine is installed."""
        return self.state.engine

    @property
    def running(self) -> bool:
        return self.record is not None and self.record.service_state == "running"

    def install(
        self,
        *,
        version: str,
        kind: str = "docker",
        install_path: str = "C:\\Program Files\\docker",
        source_url: str = "",
    ) -> EngineState:
        """Unpack the engine binaries (keeps an existing service registration and daemon.json)."""
        if kind != "docker":
            raise ValueError(f"engine kind {kind!r} is not modelled (docker only)")
        engine_major(version)
        record = self.state.engine
        if record is None:
            record = EngineState(kind=kind, version=version, install_path=install_path)
            self.state.engine = record
        if record.service_binary.lower() == record.own_binary.lower() and (
            install_path.lower() != record.install_path.lower()
        ):
            # The service keeps running the binary it names; ours goes elsewhere.
            record.service_binary_version = record.version
        record.version = version
        record.install_path = install_path
        record.source_url = source_url
        return record

    def uninstall(self) -> None:
        """``dockerd --unregister-service`` (service and EventLog source), then the binaries go.

        Images and containers stay on disk.
        """
        if self.running:
            self.stop_service()
        self.state.engine = None
        self.state.eventlog_source = False

    def register_service(self) -> None:
        """``dockerd --register-service`` (moby cmd/dockerd/service_windows.go registerService).

        ``mgr.CreateService`` first ("The specified service already exists." when it
        does), then ``eventlog.Install``, which fails on a leftover EventLog source
        (golang.org/x/sys windows/svc/eventlog install.go) after the service was
        created: dockerd exits 1 and the service stays registered.
        """
        record = self._require_record()
        if record.marked_for_delete:
            # CreateService: ERROR_SERVICE_MARKED_FOR_DELETE (1072) while a handle keeps the
            # deleted service (learn.microsoft.com winsvc DeleteService, CreateService).
            raise EngineError("The specified service has been marked for deletion.", daemon=False)
        if record.service_state != "absent":
            raise EngineError("The specified service already exists.", daemon=False)
        record.service_state = "stopped"
        record.service_start_mode = "automatic"
        record.service_binary = record.own_binary
        record.service_binary_version = ""
        if self.state.eventlog_source:
            raise EngineError(
                "SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\docker "
                "registry key already exists",
                daemon=False,
            )
        self.state.eventlog_source = True

    def unregister_service(self) -> None:
        """``sc.exe delete docker`` on a stopped service (the EventLog source stays).

        DeleteService only marks the service; it goes once every handle to it is closed
        (learn.microsoft.com winsvc DeleteService). Fault ``service_delete_pending``: a
        program (services.msc, Event Viewer) holds one, so the service is still there,
        marked, until ``service_deleted`` finds it gone.
        """
        record = self._require_record()
        if self.running:
            self.stop_service()
        record.service_binary = ""
        record.service_binary_version = ""
        if self.host.faults.get("service_delete_pending"):
            record.marked_for_delete = True
            record.service_state = "stopped"
            return
        record.service_state = "absent"

    def service_deleted(self) -> bool:
        """``Get-Service`` polled until the deleted service is gone: the handle that kept it
        closes (the fault models a program closed meanwhile, not one held for ever)."""
        record = self._require_record()
        if record.marked_for_delete:
            record.marked_for_delete = False
            record.service_state = "absent"
        return record.service_state == "absent"

    def settle(self) -> str:
        """Wait for a steady service state, as the module's ``Wait-SteadyService`` does: a
        StartPending dockerd ends its start (fault ``engine_start_pending``: a slow one that
        still comes up), a StopPending one stops."""
        record = self._require_record()
        if record.service_state == "startpending":
            record.service_state = "running"
        elif record.service_state == "stoppending":
            record.service_state = "stopped"
        return record.service_state

    def wait_process_exit(self) -> None:
        """``Process.WaitForExit`` on dockerd.exe after the service stopped."""
        self._require_record().process_exiting = False

    def remove_eventlog_source(self) -> None:
        """``Remove-Item HKLM:\\...\\EventLog\\Application\\docker``."""
        self.state.eventlog_source = False

    def write_daemon_config(self, config: dict[str, Any] | None) -> None:
        """Write (or with None, delete) daemon.json; dockerd reads it at its next start."""
        self._require_record().daemon_config = None if config is None else dict(config)

    def start_service(self, *, restart_by_policy: bool = True) -> None:
        """``Start-Service docker``, as dockerd runs as a service.

        dockerd loads daemon.json before it tells the service manager it runs,
        so a config error fails ``Start-Service`` itself (raised here). It
        reports SERVICE_RUNNING before ``NewDaemon`` (moby cmd/dockerd/daemon.go
        ``preNotifyReady``, daemon_windows.go), so ``checkSystem`` and the
        network set-up fail after ``Start-Service`` returned: the service then
        stops, the error goes to the event log (``record.last_exit_error``,
        "failed to start daemon: ..."), and only the API says so (the pipe is gone).
        Restart policies apply after a service start, not after a boot (see
        windows.py); ``restart_by_policy=False`` is the boot's own start.
        """
        record = self._require_record()
        if record.service_state == "absent":
            # Start-Service on a service that is not registered (PowerShell).
            raise EngineError("Cannot find any service with service name 'docker'.", daemon=False)
        if record.service_state == "running":
            return
        try:
            self._check_daemon_config(record)
        except EngineError as err:
            record.last_exit_error = err.message
            raise
        try:
            if record.start_blocked:
                # Fault engine_fails_after_reboot: HNS not ready at boot (docker/for-win 4600).
                raise EngineError(ENGINE_BOOT_FAILURE, daemon=False)
            self._check_system(record)
            self._start_failure_fault(record)
        except EngineError as err:
            # moby cmd/dockerd/daemon.go: errors.Wrap(err, "failed to start daemon")
            record.last_exit_error = f"failed to start daemon: {err.message}"
            record.service_state = "stopped"
            return
        pending = self.host.faults.get("engine_start_pending")
        if (
            pending
            and str(pending.get("version", record.running_version)) == record.running_version
        ):
            # moby cmd/dockerd/service_windows.go Execute reports StartPending (Accepts 0)
            # until the daemon initialised: a slow start is still pending when the module's
            # wait for the API ends.
            record.service_state = "startpending"
            return
        record.last_exit_error = ""
        if self.state.data_root_sddl is None:
            # moby daemon/daemon_windows.go setupDaemonRoot: MkdirAllWithACL, only when absent.
            self.state.data_root_sddl = PROTECTED_SDDL
        record.service_state = "running"
        if restart_by_policy:
            self._restart_by_policy()

    def server_version(self) -> str:
        """``docker version --format '{{.Server.Version}}'``: the API answers, or the pipe error."""
        self._require_running("version")
        return self.record.running_version

    def _start_failure_fault(self, record: EngineState) -> None:
        """Fault ``engine_start_fails``: dockerd of that version fails in NewDaemon (only the
        first ``times`` starts, when given)."""
        rule = self.host.faults.get("engine_start_fails")
        running = record.running_version
        if not rule or str(rule.get("version", running)) != running:
            return
        if "times" in rule:
            if int(rule["times"]) <= 0:
                return
            rule["times"] = int(rule["times"]) - 1
        # HNS failure as dockerd logs it, e.g. moby/moby#34018, docker/for-win#5328.
        raise EngineError(
            rule.get(
                "message",
                "Error initializing network controller: Error creating default network: "
                "HNS failed with error : Unspecified error",
            ),
            daemon=False,
        )

    def stop_service(self) -> None:
        """``Stop-Service docker``: running containers stop with the daemon.

        A service in a pending state accepts no control: ControlService fails with
        ERROR_SERVICE_CANNOT_ACCEPT_CTRL (learn.microsoft.com winsvc ControlService), which
        Stop-Service reports as below (its ServiceCommandException text)."""
        record = self._require_record()
        if record.service_state.endswith("pending"):
            raise EngineError(
                "Service 'Docker Engine (docker)' cannot be stopped due to the following error:"
                " Cannot stop docker service on computer '.'.",
                daemon=False,
            )
        if record.service_state != "running":
            return
        now = self.host.now()
        for container in self.state.containers:
            if container.running:
                container.state = "exited"
                container.exit_code = SHUTDOWN_EXIT_CODE
                container.finished_at = now
        record.service_state = "stopped"
        # The SCM shows SERVICE_STOPPED when dockerd reports it, before its process exits.
        record.process_exiting = bool(self.host.faults.get("dockerd_exits_late"))

    def restart_service(self) -> None:
        self.stop_service()
        self.start_service()

    def on_boot(self) -> None:
        """Called when the host finishes booting: an automatic service tries to start."""
        record = self.record
        if record is None or record.service_state == "absent":
            return
        record.service_state = "stopped"
        record.start_blocked = bool(self.host.faults.get("engine_fails_after_reboot"))
        # "NAT networks created on Windows Server 2019 (or above) are no longer persisted
        # after reboot" (Microsoft, container-networking/network-drivers-topologies.md).
        lost = []
        if self.state.os.build >= 17763:
            lost = [n for n in self.state.networks if n not in _BUILTIN_NETWORKS]
            self.state.networks = [n for n in self.state.networks if n in _BUILTIN_NETWORKS]
        if record.service_start_mode == "automatic":
            try:
                # After a host reboot restart policies do not bring Windows containers back
                # (moby/moby 27544, 39623; docker/for-win 4902), while a service restart
                # does (27544): they stay exited until the collection starts them.
                self.start_service(restart_by_policy=False)
            except EngineError:
                record.service_state = "stopped"
        self._user_nat_networks_after_boot(lost)
        self.state.network_subnets = {
            n: s for n, s in self.state.network_subnets.items() if n in self.state.networks
        }

    def _user_nat_networks_after_boot(self, lost: list[str]) -> None:
        """dockerd 20.10.18 and 23.0 on re-create, at start, the custom NAT networks HNS lost
        (moby daemon/daemon_windows.go initNetworkController, "non-default nat networks should
        be re-created if missing from HNS", 2daa6bb6b3 / 67c36d5d6e); older engines, or an
        engine that did not start, leave them gone."""
        record = self.record
        if not lost or record is None or record.service_state != "running":
            return
        if _recreates_nat_networks(record.running_version):
            self.state.networks += [n for n in lost if n not in self.state.networks]

    def networks(self) -> list[str]:
        """``docker network ls`` names."""
        self._require_running("networks")
        return list(self.state.networks)

    def create_network(self, name: str, *, driver: str = "nat", subnet: str | None = None) -> None:
        """``docker network create --driver=nat --subnet=...``; the subnet is kept with the
        network (``docker network inspect`` IPAM.Config) until the network is gone."""
        self._require_running("networks/create")
        if name in self.state.networks:
            # moby libnetwork/error.go NetworkNameError
            raise EngineError(f"network with name {name} already exists")
        if driver == "nat" and self.state.os.build <= 14393 and "nat" in self.state.networks:
            # Server 2016 (14393) and older have one NAT network: multiple NAT networks need
            # the Windows 10 Creators Update (1703, build 15063) or later (Microsoft,
            # container-networking/network-drivers-topologies.md), so builds from 15063 on
            # (1709 = 16299, 1803 = 17134) create more; a second fails on 14393 as
            # moby/moby#29207, #39078.
            raise EngineError("HNS failed with error : Unspecified error")
        if subnet:
            wanted = ipaddress.ip_network(subnet, strict=False)
            for other, taken in self.state.network_subnets.items():
                if other in self.state.networks and wanted.overlaps(
                    ipaddress.ip_network(taken, strict=False)
                ):
                    # WinNAT has one internal prefix per NAT and refuses a prefix another
                    # uses; the message is the one HNS gave for a NAT network whose --subnet
                    # clashed (docker/for-win#1384, #726). That an overlap with another
                    # network's subnet gives it is the model's own reading.
                    raise EngineError("HNS failed with error : The object already exists.")
            self.state.network_subnets[name] = str(wanted)
        self.state.networks.append(name)

    def default_isolation(self) -> str:
        """The daemon's default: ``exec-opts: ["isolation=hyperv"]`` else process on Server.

        moby daemon/daemon_windows.go setDefaultIsolation.
        """
        for opt in (self.record.daemon_config or {}).get("exec-opts", []) if self.record else []:
            key, _, value = str(opt).partition("=")
            if key.strip().lower() == "isolation" and value.strip().lower() in (
                "hyperv",
                "process",
            ):
                return value.strip().lower()
        return "process"

    def _require_record(self) -> EngineState:
        if self.state.engine is None:
            # What PowerShell says when docker.exe is not on the PATH.
            raise EngineError(
                "The term 'docker' is not recognized as the name of a cmdlet, function, script "
                "file, or operable program. Check the spelling of the name, or if a path was "
                "included, verify that the path is correct and try again.",
                daemon=False,
            )
        return self.state.engine

    def _check_system(self, record: EngineState) -> None:
        # moby daemon/daemon_windows.go checkSystem (engines 23.0 and later).
        if engine_major(record.running_version) >= 23 and self.state.os.build < 17763:
            raise EngineError(
                "this version of Windows does not support the docker daemon "
                "(Windows build 17763 or higher is required)",
                daemon=False,
            )
        if self.state.features.get("Containers") != INSTALLED:
            raise EngineError(
                "failed to load vmcompute.dll, ensure that the Containers feature is installed",
                daemon=False,
            )

    def _check_daemon_config(self, record: EngineState) -> None:
        config = record.daemon_config or {}
        unknown = unknown_directives(config, engine_major(record.running_version))
        if unknown:
            # moby daemon/config/config.go findConfigurationConflicts, per version
            # (wcsim/daemon_flags.py); cmd/dockerd/daemon.go loadDaemonCliConfig wraps it.
            raise EngineError(
                f"unable to configure the Docker daemon with file {record.daemon_config_path}: "
                "the following directives don't match any configuration option: "
                + ", ".join(unknown),
                daemon=False,
            )
        for opt in config.get("exec-opts", []):
            key, _, value = str(opt).partition("=")
            if key.strip().lower() == "isolation" and value.strip().lower() not in (
                "default",
                "process",
                "hyperv",
            ):
                # moby daemon/daemon_windows.go setDefaultIsolation
                raise EngineError(f"invalid exec-opt value for 'isolation':'{value}'", daemon=False)

    def listens_on_default_pipe(self) -> bool:
        """dockerd listens where daemon.json ``hosts`` says; absent means the default pipe.

        moby opts/hosts.go: ``npipe://`` alone is DefaultNamedPipe (//./pipe/docker_engine).
        """
        record = self.record
        hosts = (record.daemon_config or {}).get("hosts") if record else None
        if not hosts:
            return True
        for entry in hosts:
            scheme, sep, address = str(entry).partition("://")
            if (
                sep
                and scheme.lower() == "npipe"
                and address.lower() in ("", "//./pipe/docker_engine")
            ):
                return True
        return False

    def _require_running(self, what: str) -> EngineState:
        """The docker CLI without -H reaches only the default pipe."""
        record = self._require_record()
        if record.service_state != "running" or not self.listens_on_default_pipe():
            raise EngineError(_PIPE_NOT_FOUND.format(what=what), daemon=False)
        return record

    # ------------------------------------------------------------- images --
    def images(self) -> list[ImageState]:
        return list(self.state.images)

    def image(self, ref_or_id: str) -> ImageState | None:
        """Find an image by reference (tag or digest) or by id (full or ``sha256:`` prefix)."""
        if ref_or_id.startswith("sha256:") or re.fullmatch(r"[0-9a-f]{12,64}", ref_or_id):
            wanted = ref_or_id if ref_or_id.startswith("sha256:") else f"sha256:{ref_or_id}"
            for image in self.state.images:
                if image.id.startswith(wanted):
                    return image
        key = normalize_image_ref(ref_or_id)
        for image in self.state.images:
            if key in (normalize_image_ref(t) for t in image.repo_tags + image.repo_digests):
                return image
        return None

    def login(self, registry: str, username: str, password: str) -> None:
        """``docker login``: remember credentials for a registry."""
        self.verify_login(registry, username, password)
        self._require_record().logins[registry] = {"username": username, "password": password}

    def verify_login(self, registry: str, username: str, password: str) -> None:
        """What the registry answers to a login (``POST /auth``); remembers nothing."""
        creds = self.host.registry.credentials.get(registry)
        if creds is not None and creds != {"username": username, "password": password}:
            # Registry answer to a wrong password (docker login).
            raise EngineError(
                f'Get "https://{registry}/v2/": unauthorized: authentication required'
            )

    def pull(
        self, ref: str, credentials: dict[str, str] | None = None, *, apply_faults: bool = True
    ) -> tuple[ImageState, bool]:
        """``docker pull``: returns the image and whether anything changed."""
        self._require_running("images/create")
        registry, repository, tag = split_image_ref(ref)
        if apply_faults:
            self._pull_fault(ref, registry)
        served = self._served(ref)
        if served is None:
            if self.host.registry.has_repository(registry, repository):
                # moby daemon/internal/distribution/errors.go notFoundError (manifest unknown)
                raise EngineError(
                    f"manifest for {familiar_ref(ref)} not found: "
                    "manifest unknown: manifest unknown"
                )
            # moby daemon/internal/distribution/errors.go notFoundError (denied)
            raise EngineError(
                f"pull access denied for {familiar_name(ref)}, repository does not exist or may "
                "require 'docker login': denied: requested access to the resource is denied"
            )
        self._check_auth(registry, repository, tag, credentials)
        image_build = Version.parse(served.os_version)
        host = Version(self.state.os.major, self.state.os.minor, self.state.os.build)
        if image_build.build > host.build:
            # moby daemon/internal/distribution/pull_v2_windows.go checkImageCompatibility
            raise EngineError(
                f"a Windows version {image_build.base}-based image is incompatible with a "
                f"{host.base} host"
            )
        tag_ref = familiar_ref(served.ref)
        digest_ref = f"{familiar_name(served.ref)}@{served.digest}"
        image_id = "sha256:" + _sha(served.ref, served.os_version, served.digest)
        existing = next((i for i in self.state.images if i.id == image_id), None)
        if existing is not None and tag_ref in existing.repo_tags:
            return existing, False
        for other in self.state.images:  # the tag moves to the new image
            if tag_ref in other.repo_tags:
                other.repo_tags.remove(tag_ref)
        if existing is None:
            existing = ImageState(
                id=image_id,
                repo_tags=[],
                repo_digests=[],
                os_version=served.os_version,
                user=served.user,
                default_user=served.default_user,
            )
            self.state.images.append(existing)
        existing.repo_tags.append(tag_ref)
        if digest_ref not in existing.repo_digests:
            existing.repo_digests.append(digest_ref)
        return existing, True

    def _served(self, ref: str) -> Any:
        _, _, tag = split_image_ref(ref)
        if tag.startswith("sha256:"):
            name = familiar_name(ref)
            return next(
                (
                    i
                    for i in self.host.registry.every_revision()
                    if i.digest == tag and familiar_name(i.ref) == name
                ),
                None,
            )
        return self.host.registry.get(ref)

    def _pull_fault(self, ref: str, registry: str) -> None:
        failures = self.host.faults.get("pull_failures") or {}
        key = normalize_image_ref(ref)
        limit = None
        for pattern, count in failures.items():
            if pattern == "*" or normalize_image_ref(pattern) == key:
                limit = int(count)
        if limit is None:
            return
        attempts = self.state.pull_attempts.get(key, 0) + 1
        self.state.pull_attempts[key] = attempts
        if limit < 0 or attempts <= limit:
            # Go net/http client timeout as docker prints it for an unreachable registry.
            raise EngineError(
                f'Get "https://{registry}/v2/": net/http: request canceled while waiting for '
                "connection (Client.Timeout exceeded while awaiting headers)"
            )

    def _check_auth(
        self, registry: str, repository: str, tag: str, credentials: dict[str, str] | None
    ) -> None:
        required = self.host.registry.credentials.get(registry)
        if required is None:
            return
        given = credentials or self._require_record().logins.get(registry)
        url = f"https://{registry}/v2/{repository}/manifests/{tag}"
        if not given:
            # containerd remotes/docker/authorizer.go / moby distribution errors
            raise EngineError(f'Head "{url}": no basic auth credentials')
        if {"username": given.get("username"), "password": given.get("password")} != required:
            raise EngineError(f'Head "{url}": unauthorized: authentication required')

    def remove_image(self, ref: str) -> None:
        """``docker rmi``: refuses while a container uses the image."""
        self._require_running("images")
        image = self.image(ref)
        if image is None:
            raise EngineError(f"No such image: {ref}")  # moby daemon/errors.go objNotFoundError
        user = next((c for c in self.state.containers if c.image_id == image.id), None)
        by_id = ref.startswith("sha256:") or re.fullmatch(r"[0-9a-f]{12,64}", ref) is not None
        if user is not None and by_id:
            # moby daemon/image_delete.go checkImageDeleteConflict, as docker prints it
            forced = "cannot be forced" if user.running else "must be forced"
            state = "running" if user.running else "stopped"
            raise EngineError(
                f"conflict: unable to delete {image.id[7:19]} ({forced}) - image is being used"
                f" by {state} container {user.id[:12]}"
            )
        if user is not None:
            # moby daemon/image_delete.go (conflict with a container using the image)
            raise EngineError(
                f'conflict: unable to remove repository reference "{ref}" (must force) - '
                f"container {user.id[:12]} is using its referenced image {image.id[7:19]}"
            )
        self.state.images.remove(image)

    # --------------------------------------------------------- containers --
    def containers(self, all: bool = True) -> list[ContainerState]:
        self._require_running("containers/json")
        return [c for c in self.state.containers if all or c.running]

    def find(self, name_or_id: str) -> ContainerState | None:
        """The container named (with or without ``/``) or whose id starts with ``name_or_id``."""
        name = name_or_id.lstrip("/")
        for container in self.state.containers:
            if container.name == name:
                return container
        if len(name_or_id) >= 1:
            matches = [c for c in self.state.containers if c.id.startswith(name_or_id)]
            if len(matches) == 1:
                return matches[0]
        return None

    def get(self, name_or_id: str) -> ContainerState:
        container = self.find(name_or_id)
        if container is None:
            raise EngineError(f"No such container: {name_or_id}")  # moby daemon/errors.go
        return container

    def inspect(self, name_or_id: str) -> dict[str, Any]:
        """The container as a plain dict (the ``ContainerState`` fields plus ``running``)."""
        self._require_running(f"containers/{name_or_id}/json")
        data = asdict(self.get(name_or_id))
        data["running"] = data["state"] == "running"
        return data

    def create(
        self,
        name: str,
        image: str,
        *,
        isolation: str = "",
        user: str | None = None,
        command: list[str] | None = None,
        entrypoint: list[str] | None = None,
        env: list[str] | None = None,
        ports: list[str] | None = None,
        mounts: list[str] | None = None,
        networks: list[str] | None = None,
        restart_policy: str = "no",
        memory_bytes: int = 0,
        cpus: float = 0,
        labels: dict[str, str] | None = None,
        devices: list[str] | None = None,
        storage_opt: dict[str, str] | None = None,
        privileged: bool = False,
        read_only: bool = False,
    ) -> ContainerState:
        """``docker create``: the daemon's create-time validation, then a ``created`` container."""
        self._require_running("containers/create")
        if not _NAME_RE.match(name):
            # moby daemon/names.go reserveName
            raise EngineError(
                f"Invalid container name ({name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )
        name = name.lstrip("/")
        requested = str(isolation or "")
        if requested.lower() not in ("", "default", "process", "hyperv"):
            # moby daemon/internal/runconfig/hostconfig_windows.go validateIsolation
            raise EngineError(
                f"invalid isolation ({requested}): "
                "Windows supports 'default', 'process', or 'hyperv'"
            )
        resolved = (
            requested.lower()
            if requested.lower() in ("process", "hyperv")
            else self.default_isolation()
        )
        if privileged:
            # moby hostconfig_windows.go validatePrivileged
            raise EngineError(
                "invalid option: privileged mode is not supported for Windows containers"
            )
        if read_only:
            # moby hostconfig_windows.go validateReadonlyRootfs
            raise EngineError(
                "invalid option: read-only mode is not supported for Windows containers"
            )
        nets = list(networks or ["nat"])
        ports = list(ports or [])
        self._check_networks(nets, ports, resolved)
        restart_policy = stored_restart_policy(restart_policy)
        if cpus and not 0 < float(cpus) <= self.state.machine.logical_processors:
            n = self.state.machine.logical_processors
            # moby daemon/daemon_windows.go verifyPlatformContainerResources
            raise EngineError(
                f"range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available"
            )
        image_state = self.image(image)
        if image_state is None:
            raise EngineError(f"No such image: {image}")  # moby daemon/errors.go
        clash = self.find(name)
        if clash is not None and clash.name == name:
            # moby daemon/errors.go nameConflictError
            raise EngineError(
                f'Conflict. The container name "/{name}" is already in use by container '
                f'"{clash.id}". You have to remove (or rename) that container to be able to reuse '
                "that name."
            )
        # moby daemon/create.go: the container's RW layer is made after its name is reserved.
        _check_storage_opt(storage_opt or {})
        now = self.host.now()
        container = ContainerState(
            id=_sha("container", self.host.name, name, str(now), str(len(self.state.containers))),
            name=name,
            image=image,
            image_id=image_state.id,
            isolation=resolved,
            requested_isolation=requested,
            user="" if user is None else str(user),
            labels=dict(labels or {}),
            command=list(command or []),
            entrypoint=list(entrypoint or []),
            env=list(env or []),
            ports=ports,
            mounts=list(mounts or []),
            networks=nets,
            devices=[str(d) for d in devices or []],
            restart_policy=str(restart_policy or "no"),
            memory_bytes=int(memory_bytes or 0),
            cpus=float(cpus or 0),
            storage_opt={str(k): str(v) for k, v in (storage_opt or {}).items()},
            created_at=now,
        )
        self.state.containers.append(container)
        return container

    def _check_networks(self, networks: list[str], ports: list[str], isolation: str) -> None:
        for network in networks:
            if network.startswith("container:") or network == "container":
                target = network.partition(":")[2]
                if not target:
                    # moby daemon/internal/runconfig/hostconfig.go validateNetContainerMode
                    raise EngineError(
                        "invalid network mode: invalid container format container:<name|id>"
                    )
                if ports:
                    raise EngineError(
                        "conflicting options: port publishing and the container type network mode"
                    )
                if isolation == "hyperv":
                    # moby hostconfig_windows.go validateNetMode (the simulator applies it to
                    # the resolved isolation, moby to the requested one)
                    raise EngineError(
                        "invalid network-mode: using the network stack of another container is not "
                        "supported while using Hyper-V Containers"
                    )
                self.get(target)
            elif network not in self.state.networks:
                raise EngineError(f"network {network} not found")  # moby libnetwork/error.go

    def start(self, name_or_id: str, *, apply_faults: bool = True) -> ContainerState:
        """``docker start``: HCS-level checks, then running (or exited at once under a fault)."""
        self._require_running(f"containers/{name_or_id}/start")
        container = self.get(name_or_id)
        if container.running:
            return container
        trailer = f"Error: failed to start containers: {name_or_id}"
        try:
            self._check_start(container)
        except EngineError as err:
            container.state = "exited" if container.started_at else container.state
            container.exit_code = START_FAILED_EXIT_CODE
            container.error = err.message
            err.trailer = trailer
            raise
        now = self.host.now()
        container.state = "running"
        container.exit_code = 0
        container.error = ""
        container.started_at = now
        container.manually_stopped = False
        exit_code = self._exit_after_start_fault(container) if apply_faults else None
        if exit_code is None and self._feb_2020_mismatch(container):
            # update-containers.md: host and image on different sides of the February 2020
            # baseline "won't work" under process isolation; Microsoft documents no message
            # or exit code, so the model's process fails at once with exit code 1.
            exit_code = 1
        if exit_code is not None:
            container.state = "exited"
            container.exit_code = exit_code
            container.finished_at = now
        return container

    def _check_start(self, container: ContainerState) -> None:
        image = next((i for i in self.state.images if i.id == container.image_id), None)
        if image is None:
            raise EngineError(f"No such image: {container.image}")
        host_os = self.state.os
        image_v = Version.parse(image.os_version)
        cid = container.id
        if container.isolation == "hyperv" and self.state.features.get("Hyper-V") != INSTALLED:
            # HCS_E_HYPERV_NOT_INSTALLED 0xc0370102, e.g. moby/moby#40792
            raise EngineError(
                f"hcsshim::CreateComputeSystem {cid}: The virtual machine could not be started "
                "because a required feature is not installed."
            )
        if container.isolation == "process":
            mismatch = not process_isolation_supported(host_os.build, image_v.build) or (
                host_os.build == 14393 and image_v.revision != host_os.revision
            )
        else:
            mismatch = not hyperv_isolation_supported(host_os.build, image_v.build)
        if mismatch:
            # HCS 0xc0370101 as docker prints it, e.g. microsoft/dotnet-framework-docker#1265
            raise EngineError(
                f"hcsshim::CreateComputeSystem {cid}: The container operating system does not "
                "match the host operating system."
            )
        if (
            container.isolation == "process"
            and image_v.build == host_os.build
            and image_v.revision > host_os.revision
        ):
            # HCS 0xc0370106 (ErrVmcomputeUnexpectedExit), e.g. docker/for-win#14287
            raise EngineError(
                f"container {cid} encountered an error during hcs::System::Start: failure in a "
                "Windows system call: The virtual machine or container exited unexpectedly. "
                "(0xc0370106)"
            )
        if container.devices:
            # moby daemon/oci_windows.go createSpecWindowsFields (device assignment)
            if container.isolation == "hyperv":
                raise EngineError("device assignment is not supported for HyperV containers")
            if host_os.build < 17763:
                raise EngineError("device assignment requires Windows builds RS5 (17763+) or later")
        run_as = container.user or image.user or image.default_user
        if run_as.lower() not in BUILTIN_USERS:
            cmd = (
                " ".join(container.entrypoint + container.command)
                or "c:\\windows\\system32\\cmd.exe"
            )
            # ERROR_LOGON_FAILURE 0x52e, e.g. microsoft/Windows-Containers#490
            raise EngineError(
                f"container {cid} encountered an error during hcs::System::CreateProcess: {cmd}: "
                "failure in a Windows system call: The user name or password is incorrect. (0x52e)"
            )
        for network in container.networks:
            if not network.startswith("container:") and network not in self.state.networks:
                # moby daemon/network.go FindNetwork, libnetwork/error.go ErrNoSuchNetwork
                raise EngineError(f"network {network} not found")
            if network.startswith("container:"):
                target = self.get(network.partition(":")[2])
                if not target.running:
                    # moby daemon/container_operations.go getNetworkedContainer
                    raise EngineError(
                        "cannot join network namespace of a non running container: container "
                        f"{target.name} is {target.state}"
                    )
        mine = _host_port_bindings(container.ports)
        for ip, _port, _proto in mine:
            if ip not in _UNSPECIFIED_HOST_IPS:
                network = next((n for n in container.networks if n != "none"), "nat")
                # The endpoint is made at start: moby libnetwork/network.go CreateEndpoint
                # wraps the driver's error ("failed to create endpoint %s on network %s").
                raise EngineError(
                    f"failed to create endpoint {container.name} on network {network}: "
                    "Windows does not support host IP addresses in NAT settings"
                )
        for other in self.state.containers:
            if other is container or not other.running:
                continue
            for binding in _host_port_bindings(other.ports):
                if any(_ports_clash(binding, b) for b in mine):
                    # HNS port conflict as docker on Windows prints it (moby
                    # integration-cli/docker_cli_run_test.go lists this text for Windows).
                    raise EngineError(
                        f"failed to create endpoint {container.name} on network nat: HNS failed "
                        "with error : The specified port already exists."
                    )

    def _feb_2020_mismatch(self, container: ContainerState) -> bool:
        if container.isolation != "process":
            return False
        image = next((i for i in self.state.images if i.id == container.image_id), None)
        return image is not None and feb_2020_sides_differ(
            self.state.os, Version.parse(image.os_version)
        )

    def _exit_after_start_fault(self, container: ContainerState) -> int | None:
        for rule in self.host.faults.get("container_exit_after_start") or []:
            by_name = rule.get("name") == container.name
            by_image = "image" in rule and normalize_image_ref(
                rule["image"]
            ) == normalize_image_ref(container.image)
            if by_name or by_image:
                return int(rule.get("exit_code", 1))
        return None

    def stop(self, name_or_id: str, timeout: float | None = None) -> ContainerState:
        """``docker stop``: stopping a stopped container is not an error."""
        del timeout
        self._require_running(f"containers/{name_or_id}/stop")
        container = self.get(name_or_id)
        if container.running:
            container.state = "exited"
            container.exit_code = STOP_EXIT_CODE
            container.finished_at = self.host.now()
        container.manually_stopped = True
        return container

    def remove(self, name_or_id: str, force: bool = False) -> None:
        """``docker rm``: a running container needs ``force``."""
        self._require_running(f"containers/{name_or_id}")
        container = self.get(name_or_id)
        if container.running and not force:
            # moby daemon/delete.go ContainerRm + cleanupContainer
            raise EngineError(
                f'cannot remove container "{name_or_id}": container is running: stop the container '
                "before removing or force remove"
            )
        self.state.containers.remove(container)

    def rename(self, name_or_id: str, new_name: str) -> ContainerState:
        """``docker rename``."""
        self._require_running(f"containers/{name_or_id}/rename")
        container = self.get(name_or_id)
        new = new_name.lstrip("/")
        if new == container.name:
            # moby daemon/rename.go
            raise EngineError("Renaming a container with the same name as its current name")
        if not _NAME_RE.match(new_name):
            raise EngineError(
                f"Error when allocating new name: Invalid container name ({new_name}), only "
                "[a-zA-Z0-9][a-zA-Z0-9_.-] are allowed"
            )
        clash = self.find(new)
        if clash is not None and clash.name == new:
            raise EngineError(
                f'Error when allocating new name: Conflict. The container name "/{new}" is already '
                f'in use by container "{clash.id}". You have to remove (or rename) that container '
                "to be able to reuse that name."
            )
        container.name = new
        return container

    def kill(self, name_or_id: str) -> ContainerState:
        """``docker kill``: only a running container (moby daemon/kill.go ContainerKill
        errNotRunning, wrapped "cannot kill container: <name>" by the API router); it counts
        as stopped by hand (killWithSignal sets HasBeenManuallyStopped)."""
        self._require_running(f"containers/{name_or_id}/kill")
        container = self.get(name_or_id)
        if not container.running:
            raise EngineError(
                f"cannot kill container: {name_or_id}: container {container.id} is not running"
            )
        container.state = "exited"
        container.exit_code = 1  # illustrative: a terminated Windows process's code
        container.finished_at = self.host.now()
        container.manually_stopped = True
        return container

    def connect_network(self, name_or_id: str, network: str) -> ContainerState:
        """``docker network connect``: the network must exist (moby libnetwork/error.go
        ErrNoSuchNetwork), and an endpoint name is unique in it (libnetwork/network.go)."""
        self._require_running(f"networks/{network}/connect")
        container = self.get(name_or_id)
        if network not in self.state.networks:
            raise EngineError(f"network {network} not found")
        if network in container.networks:
            raise EngineError(
                f"endpoint with name {container.name} already exists in network {network}"
            )
        container.networks.append(network)
        return container

    def _restart_by_policy(self) -> None:
        """What dockerd does at start-up (moby daemon.restore): always, unless-stopped restart."""
        for container in self.state.containers:
            policy, _ = parse_restart_policy(container.restart_policy)
            wanted = policy == "always" or (
                policy == "unless-stopped" and not container.manually_stopped
            )
            if wanted and not container.running:
                with contextlib.suppress(EngineError):  # stays exited, error recorded
                    self.start(container.name)


ENGINE_BOOT_FAILURE = (
    "Error initializing network controller: Error creating default"
    " network: hnsCall failed in Win32: Element not found. (0x490)"
)


_BUILTIN_NETWORKS = ("nat", "none")


def _recreates_nat_networks(version: str) -> bool:
    parts = [int(p) for p in re.findall(r"\d+", version)[:3]] + [0, 0, 0]
    major, minor, patch = parts[:3]
    return major >= 23 or ((major, minor) == (20, 10) and patch >= 18)


def engine_major(version: str) -> int:
    """The major version of an engine version string (``"27.3.1"`` -> 27)."""
    match = re.match(r"^v?(\d+)\.", str(version))
    if not match:
        raise ValueError(f"not an engine version: {version!r}")
    return int(match.group(1))
