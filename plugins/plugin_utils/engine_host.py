# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What container_engine.ps1 needs to know about a host's engine, decided on the controller.

The module keeps the transaction (it measures the host under the host lock), but no path,
ACL, service name or command line is written in PowerShell: the action renders them here
and passes them as the internal option ``_engine_host``. Each value names its source.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    data_root_acl,
)

# Where the collection installs docker (the static zip's docker\ folder, as Microsoft's
# install-docker-ce.ps1 and docs.docker.com "Install server and client binaries on Windows").
INSTALL_PATH = "C:\\Program Files\\docker"
# dockerd --register-service names the service "docker" (moby cmd/dockerd/service_windows.go
# flServiceName default) and its EventLog source the same (eventlog.Install).
SERVICE_NAME = "docker"
SERVICE_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\docker"
EVENTLOG_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\docker"
# The download cache: only Administrators and SYSTEM may write there (dockerd runs as
# LocalSystem; ProgramData's inherited ACL lets local users create files).
CACHE_SDDL = "D:P(A;OICI;FA;;;BA)(A;OICI;FA;;;SY)"
# The machine PATH, read raw (REG_EXPAND_SZ) and extended with INSTALL_PATH.
ENVIRONMENT_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment"
# moby daemon/graphdriver/windows: the windowsfilter driver keeps layers in
# <data-root>\windowsfilter.
LAYERS_FOLDER = "windowsfilter"

# Command lines, as argv lists (Argv-ToString quotes each element; no shell).
COMMANDS: dict[str, list[str]] = {
    # dockerd.exe --version prints "Docker version 27.3.1, build ..." (moby cmd/dockerd);
    # the module reads the version with VERSION_PATTERN.
    "dockerd_version": ["--version"],
    "register_service": ["--register-service"],
    # sc.exe delete marks the service for deletion (DeleteService, winsvc.h).
    "unregister_service": ["sc.exe", "delete", SERVICE_NAME],
    # The rollback points a re-registered service back at its old binary; the ImagePath
    # read before the change is appended after binPath= (sc.exe takes "option= value").
    "service_config": ["sc.exe", "config", SERVICE_NAME, "start=", "auto", "binPath="],
    "service_create": ["sc.exe", "create", SERVICE_NAME, "start=", "auto", "binPath="],
    # docker.exe arguments: every running container's full id, one a line (docker/cli
    # v20.10.24 and v28.2.2 cli/command/formatter: --quiet is DefaultQuietFormat "{{.ID}}",
    # ContainerContext.ID truncates unless --no-trunc).
    "list_running": ["ps", "--no-trunc", "--quiet"],
    # The API answers: the server's version, empty or an error otherwise.
    "server_version": ["version", "--format", "{{.Server.Version}}"],
    # The listed ids are appended: one run starts them all (engine_restart.container_report).
    "start_container": ["start"],
}


# The version in dockerd --version's output (its first group), as host_read reads it.
VERSION_PATTERN = r"version ([^,\s]+)"


def module_option(desired_config: dict[str, Any] | None) -> dict[str, Any]:
    """The ``_engine_host`` option container_engine.ps1 reads its constants from."""
    root = data_root_acl.data_root(desired_config)
    config = daemon_config.DAEMON_CONFIG_PATH
    return {
        "install_path": INSTALL_PATH,
        "dockerd": f"{INSTALL_PATH}\\dockerd.exe",
        # Get-Process names a process by its image's name without .exe.
        "dockerd_process": "dockerd",
        "docker": f"{INSTALL_PATH}\\docker.exe",
        # The binaries and daemon.json the switch replaces, kept until the new engine answers,
        # and the new daemon.json, written before the engine stops.
        "install_backup": f"{INSTALL_PATH}.previous",
        "config_path": config,
        "config_backup": f"{config}.previous",
        "config_staged": f"{config}.new",
        "environment_key": ENVIRONMENT_KEY,
        "version_pattern": VERSION_PATTERN,
        "data_root": root,
        "layers_path": f"{root.rstrip(chr(92))}\\{LAYERS_FOLDER}",
        "data_root_sddl": data_root_acl.PROTECTED_SDDL,
        "cache_sddl": CACHE_SDDL,
        "service_name": SERVICE_NAME,
        "service_key": SERVICE_KEY,
        "eventlog_key": EVENTLOG_KEY,
        "commands": {name: list(argv) for name, argv in COMMANDS.items()},
    }
