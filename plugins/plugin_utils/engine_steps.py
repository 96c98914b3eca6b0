# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ordered steps that bring a host's engine (container_host_info's ``engine``) to the
pin and the daemon.json: what the container_engine action carries out, and what the
container_host_plan action asks to know whether provisioning has anything to change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    data_root_acl,
)

# Get-Service's Status, lower-cased (ServiceControllerStatus). A service that is up, going
# up, paused or about to pause or continue has a dockerd process: a change stops it first.
# dockerd accepts no pause (moby cmd/dockerd/service_windows.go Execute: Accepts is Stop,
# Shutdown and ParamChange), so paused is mapped for completeness. StartPending is also what
# the SCM shows while it restarts dockerd after a failed start (registerService's failure
# actions). A stop in progress ends stopped.
UP_STATES = frozenset({"running", "startpending", "continuepending", "pausepending", "paused"})


def service_up(state: str | None) -> bool:
    """The docker service has (or is about to have) a dockerd process."""
    return (state or "absent") in UP_STATES


def has_layers(info: Mapping[str, Any]) -> bool:
    """The host has images: their layers are under ``<data-root>\\windowsfilter``."""
    return bool(info.get("images"))


def acl_left(engine: Mapping[str, Any], layers: bool) -> bool:
    """The data root's ACL is not dockerd's, and image layers keep it from being set: Set-Acl
    on a folder propagates its inheritable entries to every child (learn.microsoft.com,
    "Automatic Propagation of Inheritable ACEs"), the layers' ACLs included."""
    sddl_known = "data_root_sddl" in engine
    return layers and sddl_known and bool(data_root_acl.problems(engine["data_root_sddl"]))


def acl_warning(host: str | None, engine: Mapping[str, Any]) -> str:
    return (
        f"host {host!r}: the engine's data root keeps an ACL other than dockerd's"
        f" ({'; '.join(data_root_acl.problems(engine.get('data_root_sddl')))}): image layers"
        " are under it, and setting its ACL would rewrite theirs. Set it by hand with the"
        " engine stopped, or remove the images and run again"
    )


def plan_steps(
    engine: dict[str, Any], version: str, desired_config: dict[str, Any], *, layers: bool = False
) -> list[str]:
    """The ordered steps that bring ``engine`` (container_host_info's) to the pin and config;
    ``layers``: the host has images (``has_layers``), so the data root's ACL is left."""
    steps: list[str] = []
    installed = engine.get("version") if engine.get("installed") else None
    if installed != version:
        steps.append("install")
    state = engine.get("service_state") or "absent"
    elsewhere = service_runs_another_binary(engine)
    if elsewhere:
        # e.g. Microsoft's install-docker-ce.ps1 registered %windir%\System32\dockerd.exe
        steps.append("unregister_service")
    if state == "absent" or elsewhere:
        if engine.get("eventlog_source") and (state == "absent" or elsewhere):
            # dockerd --register-service fails on a leftover source (x/sys eventlog.Install)
            steps.append("remove_eventlog_source")
        steps.append("register_service")
    # dockerd's protected ACL on its data root before daemon.json (under it) is written;
    # only when container_host_info reported the root's ACL. The module sets it with the
    # engine stopped (a restart when it runs), and not where image layers are.
    protect = (
        not layers
        and "data_root_sddl" in engine
        and bool(data_root_acl.problems(engine["data_root_sddl"]))
    )
    if protect:
        steps.append("protect_data_root")
    config_changed = daemon_config.differs(engine.get("daemon_config"), desired_config)
    if config_changed:
        steps.append("write_config")
    if service_up(state) and not elsewhere:
        if "install" in steps or config_changed or protect:
            steps.append("restart")
        elif state != "running":
            # Going up (or paused): the module waits for a steady state and the API.
            steps.append("start")
    else:
        steps.append("start")
    return steps


def service_runs_another_binary(engine: dict[str, Any]) -> bool:
    """The registered service starts a dockerd.exe other than the one the collection manages."""
    binary = engine.get("service_binary")
    if not binary or (engine.get("service_state") or "absent") == "absent":
        return False
    path = engine.get("install_path") or "C:\\Program Files\\docker"
    return str(binary).rstrip().lower() != f"{path}\\dockerd.exe".lower()
