"""Today's facts as the engine model states them: the oracle of the differential test.

This is what wcsim/modules/container_host_info.py returned before the reader switched to raw
data (issue 18): the facts contract built straight from the engine model. The differential
test (test_host_read_differential.py) checks that the raw read, run through the real docker
CLI against the simulated Engine API and mapped by plugins/plugin_utils/host_read.py, equals
it on every test fleet.
"""

from __future__ import annotations

from typing import Any

from wcsim import host_lock
from wcsim.engine import EngineError
from wcsim.state import INSTALLED

INSTALL_PATH = "C:\\Program Files\\docker"
DAEMON_CONFIG_PATH = "C:\\ProgramData\\docker\\config\\daemon.json"
DATA_ROOT = "C:\\ProgramData\\docker"


def os_facts(host: Any) -> dict[str, Any]:
    os_state = host.state.os
    return {
        "version": os_state.version,
        "build": os_state.build,
        "revision": os_state.revision,
        "product_name": os_state.product_name,
        "edition_id": os_state.edition_id,
        "installation_type": os_state.installation_type,
    }


def machine_facts(host: Any) -> dict[str, Any]:
    machine = host.state.machine
    hyperv_running = host.windows.feature_state("Hyper-V") == INSTALLED
    hypervisor_present = machine.is_virtual or hyperv_running
    # While any hypervisor runs (always in a VM, nested or not), Win32_Processor's
    # flags are not what the processor can do: reported False (PowerShell/PowerShell
    # GetComputerInfoCommand.cs GetHyperVisorInfo: "when the HyperV is present, the
    # requirements values are misleading"). Never kinder than Windows.
    flags = machine.virtualization_extensions and not hypervisor_present
    return {
        "is_virtual": machine.is_virtual,
        "model": "Virtual Machine" if machine.is_virtual else "PowerEdge R650",
        "manufacturer": "Microsoft Corporation" if machine.is_virtual else "Dell Inc.",
        "hypervisor_present": hypervisor_present,
        "virtualization_firmware_enabled": flags,
        "vm_monitor_mode_extensions": flags,
        "second_level_address_translation": flags,
        "memory_mb": machine.memory_mb,
        "logical_processors": machine.logical_processors,
        # [Environment]::ProcessorCount: one processor group holds at most 64.
        "group_processors": min(machine.logical_processors, 64),
    }


def engine_facts(host: Any) -> dict[str, Any]:
    record = host.engine.record
    data_root = (record.daemon_config or {}).get("data-root") if record else None
    acl = {
        # HKLM\SYSTEM\CurrentControlSet\Services\docker ImagePath (its exe) and the EventLog key
        "service_binary": (record.service_binary or None) if record else None,
        "eventlog_source": host.state.eventlog_source,
        "data_root": str(data_root or DATA_ROOT),
        # Get-Acl ... GetSecurityDescriptorSddlForm('Access'); None while absent.
        "data_root_sddl": host.state.data_root_sddl,
    }
    if record is None:
        return {
            **acl,
            "kind": "none",
            "installed": False,
            "version": None,
            "service_state": "absent",
            "install_path": INSTALL_PATH,
            "daemon_config_path": DAEMON_CONFIG_PATH,
            "daemon_config": {},
            "api_reachable": False,
            "api_error": None,
            "server_version": None,
        }
    # The .ps1 looks for docker.exe/dockerd.exe in %ProgramFiles%\docker only.
    ours = record.install_path.lower() == INSTALL_PATH.lower()
    facts = {
        **acl,
        "kind": record.kind if ours else "none",
        "installed": ours,
        "version": record.version if ours else None,
        "service_state": record.service_state,
        "install_path": INSTALL_PATH,
        "daemon_config_path": record.daemon_config_path,
        "daemon_config": dict(record.daemon_config or {}),
        "api_reachable": False,
        "api_error": None,
        "server_version": None,
    }
    if record.service_state == "running":
        # docker version --format '{{.Server.Version}}' over the default pipe.
        try:
            facts["server_version"] = host.engine.server_version()
            facts["api_reachable"] = True
        except EngineError as err:
            facts["api_error"] = err.stderr
    return facts


def image_facts(host: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": image.id,
            "repo_tags": list(image.repo_tags),
            "repo_digests": list(image.repo_digests),
            "os_version": image.os_version,
            "user": image.user,
        }
        for image in host.engine.images()
    ]


CONFIG_HASH_LABEL = "trustbound.wincontainers.config_hash"


def _shown_labels(labels: dict[str, str]) -> dict[str, str]:
    """As the .ps1 returns them: a config hash of the first label format ("sha256:", unkeyed
    over secret values) is masked; "v2-" hashes are returned as they are."""
    shown = dict(labels)
    value = shown.get(CONFIG_HASH_LABEL)
    if value is not None and not value.startswith("v2-"):
        shown[CONFIG_HASH_LABEL] = "********"
    return shown


def container_facts(host: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": c.id,
            "name": c.name,
            "image": c.image,
            "image_id": c.image_id,
            "isolation": c.isolation,
            "user": c.user,
            "state": c.state,
            "running": c.running,
            "labels": _shown_labels(c.labels),
            "command": list(c.command),
            "entrypoint": list(c.entrypoint),
            # Names only, as the .ps1: values never leave the host.
            "env_names": [entry.split("=", 1)[0] for entry in c.env if entry],
            "ports": list(c.ports),
            "mounts": list(c.mounts),
            "networks": list(c.networks),
            # HostConfig.NetworkMode: the network given at create ("container:<x>" included).
            "network_mode": c.networks[0] if c.networks else "default",
            "devices": list(c.devices),
            # The engine model accepts no --security-opt (gMSA credential specs are not modelled).
            "security_opt": [],
            "restart_policy": c.restart_policy,
            "memory_bytes": c.memory_bytes,
            "cpus": c.cpus,
        }
        for c in host.engine.containers(all=True)
    ]


def read_host(host: Any) -> dict[str, Any]:
    """Everything container_host_info returns, without ``changed``."""
    engine = engine_facts(host)
    running = engine["api_reachable"]
    return {
        "os": os_facts(host),
        "machine": machine_facts(host),
        "features": {name: host.windows.feature_state(name) for name in ("Containers", "Hyper-V")},
        "reboot_pending": host.state.reboot_pending,
        "host_lock": host_lock.record(host),
        "engine": engine,
        "images": image_facts(host) if running else [],
        "containers": container_facts(host) if running else [],
    }
