# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What makes a run of this collection's playbooks fail before any host is contacted.

Each playbook's first play (playbooks/preflight.yml) runs on the controller and
refuses, with the fix in the message:
- an ansible-core older than the collection supports (meta/runtime.yml), which
  would otherwise fail late with an unrelated module-wrapper error;
- a target that matches no host (a typo in ``wincontainers_target``, an inventory
  without the ``windows`` group, a ``--limit`` outside the target), which
  ansible-playbook reports as a green "skipping: no hosts matched";
- a targeted host that is not reached as a Windows host (its connection is not
  WinRM or PSRP, nor SSH with a PowerShell or cmd shell), which would otherwise
  fail on the host with "module interpreter '/usr/bin/pwsh' was not found".

Only inventory data is read: no host is contacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

MIN_CORE = (2, 19)
# Connections that reach a Windows host's PowerShell: ansible-core's winrm and psrp
# plugins; ssh (and other remote connections) run Windows modules when the shell is
# powershell or cmd (docs.ansible.com, os_guide/windows_ssh.html: ansible_shell_type).
WINDOWS_CONNECTIONS = frozenset({"winrm", "psrp"})
WINDOWS_SHELLS = frozenset({"powershell", "cmd"})
# Groups every inventory has: named in the message only when nothing else exists.
IMPLICIT_GROUPS = ("all", "ungrouped")


def _short(name: Any) -> str:
    """``ansible.builtin.winrm`` -> ``winrm``; anything not a string -> ''."""
    return name.rsplit(".", 1)[-1] if isinstance(name, str) else ""


def core_problem(version: str) -> str | None:
    """The refusal of an ansible-core older than MIN_CORE, or None."""
    numbers = [int(n) for n in re.findall(r"\d+", str(version))[:2]]
    if len(numbers) == 2 and tuple(numbers) >= MIN_CORE:
        return None
    floor = ".".join(map(str, MIN_CORE))
    return (
        f"trustbound.wincontainers requires ansible-core >= {floor}; this controller runs"
        f" ansible-core {version}. Install a supported version (python3 -m pip install"
        f" 'ansible-core>={floor}') or use the collection's execution environment."
        " Nothing was changed."
    )


def no_hosts_problem(target: str, limit: str | None, groups: Iterable[str]) -> str:
    """The refusal of a run whose target (within ``limit``) matches no host."""
    named = sorted(g for g in groups if g not in IMPLICIT_GROUPS)
    known = ", ".join(named) if named else "none besides 'all' and 'ungrouped'"
    within = f" within --limit {limit!r}" if limit else ""
    return (
        f"No host matches the target {target!r}{within} (wincontainers_target, default"
        f" 'windows'). The inventory's groups: {known}. Set -e wincontainers_target=<group"
        " or pattern> or put the container hosts in the group 'windows'."
        " Nothing was changed."
    )


def is_windows(variables: Mapping[str, Any], default_connection: str | None = None) -> bool:
    """Whether a host's variables reach it as a Windows host."""
    connection = _short(variables.get("ansible_connection") or default_connection or "ssh")
    if connection in WINDOWS_CONNECTIONS:
        return True
    # Another remote connection (ssh, community.aws.aws_ssm, ...) runs Windows modules
    # with a Windows shell; the controller's own (local) is never the Windows host.
    return connection != "local" and _short(variables.get("ansible_shell_type")) in WINDOWS_SHELLS


def not_windows_problem(hosts: Sequence[tuple[str, str]]) -> str:
    """The refusal of the (host, connection) pairs that are not Windows hosts."""
    listed = ", ".join(f"`{host}` (connection {connection!r})" for host, connection in hosts)
    subject = "is not a Windows host" if len(hosts) == 1 else "are not Windows hosts"
    return (
        f"{listed} {subject}: set `wincontainers_target` to the group or pattern of your"
        " Windows container hosts (a Windows host is reached over winrm or psrp, or over ssh"
        " with ansible_shell_type powershell). Nothing was changed."
    )


def problems(
    hostvars: Mapping[str, Any],
    target: str,
    matched: Iterable[str],
    groups: Iterable[str],
    core_version: str,
    *,
    limit: str | None = None,
    limited: Iterable[str] | None = None,
    allow_no_hosts: bool = False,
    default_connection: str | None = None,
) -> list[str]:
    """The refusals of this run, most fundamental first; [] when it may go on.

    ``matched`` are the hosts ``target`` matches in the inventory, ``limited`` those the
    run's ``--limit`` matches (None without one).
    """
    core = core_problem(core_version)
    if core:
        return [core]
    hosts = list(dict.fromkeys(matched))
    if limited is not None:
        allowed = set(limited)
        hosts = [host for host in hosts if host in allowed]
    if not hosts:
        if allow_no_hosts:
            return []
        return [no_hosts_problem(target, limit if limited is not None else None, groups)]
    others = []
    for host in hosts:
        variables = _variables(hostvars, host)
        if variables is None:
            continue  # its variables cannot be read here: the host's own tasks will say why
        if not is_windows(variables, default_connection):
            connection = variables.get("ansible_connection") or default_connection or "ssh"
            others.append((host, str(connection)))
    return [not_windows_problem(others)] if others else []


def _variables(hostvars: Mapping[str, Any], host: str) -> Mapping[str, Any] | None:
    """The connection variables of ``host``, templated; None when they cannot be read."""
    try:
        variables = hostvars[host]
        return {
            name: variables[name]
            for name in ("ansible_connection", "ansible_shell_type")
            if name in variables
        }
    except Exception:  # an undefined or broken template: the host's own tasks say so
        return None
