# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the engine's data root carries dockerd's protected ACL, judged from its SDDL.

dockerd creates its data root with ``D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)``
(moby ``pkg/system/filesys_windows.go`` ``SddlAdministratorsLocalSystem``,
applied by ``daemon/daemon_windows.go`` ``setupDaemonRoot``), but only when it
creates the directory: a root that already exists (created by an installer
writing ``config\\daemon.json`` first) keeps ProgramData's inherited ACL, which
lets local users read ``containers\\<id>\\config.v2.json`` (every environment
value, secrets included). Windows may store the generic rights split into an
effective and an inherit-only entry, so the check is semantic: the DACL is
protected (no inherited entries) and every entry allows only Administrators
(BA) or SYSTEM (SY).
"""

from __future__ import annotations

import re

PROTECTED_SDDL = "D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)"
DEFAULT_DATA_ROOT = "C:\\ProgramData\\docker"
_ALLOWED_TRUSTEES = frozenset({"BA", "SY", "S-1-5-32-544", "S-1-5-18"})
_DACL = re.compile(r"D:([A-Z]*)((?:\([^)]*\))*)")
_ACE = re.compile(r"\(([^)]*)\)")


def data_root(config: dict | None) -> str:
    """Where dockerd keeps its state: daemon.json ``data-root``, else the default."""
    return str((config or {}).get("data-root") or DEFAULT_DATA_ROOT)


def problems(sddl: str | None) -> list[str]:
    """Why ``sddl`` (the data root's ACL) is not dockerd's protected ACL; [] when it is."""
    if sddl is None:
        return ["the data root does not exist yet"]
    match = _DACL.search(sddl)
    if not match:
        return [f"no DACL in {sddl!r}"]
    flags, aces = match.group(1), _ACE.findall(match.group(2))
    found = []
    if "P" not in flags:
        found.append("the DACL inherits from the parent (not protected)")
    for ace in aces:
        parts = ace.split(";")
        if len(parts) < 6:
            found.append(f"unreadable entry ({ace})")
            continue
        kind, ace_flags, trustee = parts[0], parts[1], parts[5]
        if "ID" in ace_flags:
            found.append(f"inherited entry ({ace})")
        elif kind == "A" and trustee.upper() not in _ALLOWED_TRUSTEES:
            found.append(f"access for {trustee} ({ace})")
    return found
