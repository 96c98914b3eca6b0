# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which host paths and named pipes a workload may mount, by what trust sends it to.

- The engine's named pipes: never, for any workload (rule ``engine-pipe-mount``): whoever
  talks to the engine controls the host.
- Workloads trust sends to Hyper-V (untrusted, hostile, another trust boundary, downgraded
  or not) get no host system path (rule ``host-system-mount``): a drive root, the Windows
  directory, Program Files, ``ProgramData\\docker`` or the engine's data root, any folder
  holding one of them (``C:\\ProgramData``), administrative shares and device paths; and
  no named pipe unless the workload sets ``allow_named_pipe_mounts`` (rule
  ``named-pipe-mount``). A bind mount of those would hand the container the host the
  Hyper-V boundary was chosen to keep it from.
- Trusted workloads of the host's own boundary share the host's kernel already; they may
  mount any path except the engine's pipes (docs/security.md).

Paths are compared after Win32 normalisation (win_paths.py), so no spelling slips past.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import win_paths

RULE_ENGINE_PIPE = "engine-pipe-mount"
RULE_HOST_SYSTEM = "host-system-mount"
RULE_NAMED_PIPE = "named-pipe-mount"

DEFAULT_DATA_ROOT = "C:\\ProgramData\\docker"
# Below the root of every drive: the system may live on any of them.
_SYSTEM_DIRS = (
    ("windows",),
    ("program files",),
    ("program files (x86)",),
    ("programdata", "docker"),
)


def is_engine_pipe(path: str, engine_pipes: tuple[str, ...]) -> bool:
    """``path`` opens one of the engine's pipes, however it is spelt (a name that starts with
    one counts: the engine may listen on ``docker_engine_<n>`` too)."""
    name = win_paths.pipe_name(path)
    if name is None:
        return False
    return any(name.startswith(pipe.casefold()) for pipe in engine_pipes)


def _protected(data_root: str) -> list[win_paths.WinPath]:
    found = []
    root = win_paths.parse(data_root or DEFAULT_DATA_ROOT)
    if root is not None:
        found.append(root)
    return found


def system_path_reason(source: str, data_root: str = DEFAULT_DATA_ROOT) -> str | None:
    """Why ``source`` is a host system path, or None."""
    path = win_paths.parse(source)
    if path is None or path.kind in (win_paths.UNC, win_paths.PIPE):
        return None
    if path.kind == win_paths.DEVICE:
        return "a device path reaches the host's volumes and devices directly"
    if path.is_root:
        return f"{path.render()} is the root of a drive"
    for parts in _SYSTEM_DIRS:
        system = win_paths.WinPath(win_paths.DRIVE, path.root, parts)
        if path.within(system):
            return f"{path.render()} is in {system.render()}"
        if system.within(path):
            return f"{path.render()} holds {system.render()}"
    for protected in _protected(data_root):
        if path.within(protected) or protected.within(path):
            return f"{path.render()} is or holds the engine's data root {protected.render()}"
    return None


def data_root(daemon_config: Mapping[str, Any] | None) -> str:
    value = (daemon_config or {}).get("data-root")
    return value if isinstance(value, str) and value else DEFAULT_DATA_ROOT


def hyperv_mount_problems(
    sources: list[str], *, allow_named_pipes: bool, data_root_path: str
) -> list[tuple[str, str]]:
    """``(rule, detail)`` for each mount source a workload trust sends to Hyper-V may not use."""
    problems = []
    for source in sources:
        if win_paths.pipe_name(source) is not None:
            if not allow_named_pipes:
                problems.append(
                    (
                        RULE_NAMED_PIPE,
                        f"named pipe {source} reaches a service on the host across the Hyper-V"
                        " boundary; set allow_named_pipe_mounts: true on the workload to accept it",
                    )
                )
            continue
        reason = system_path_reason(source, data_root_path)
        if reason is not None:
            problems.append(
                (
                    RULE_HOST_SYSTEM,
                    f"bind mount {source}: {reason}; a workload that trust sends to Hyper-V"
                    " isolation may not mount host system paths",
                )
            )
    return problems
