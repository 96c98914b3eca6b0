# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows paths compared the way Win32 resolves them, so spelling cannot hide a path.

Microsoft, "File path formats on Windows systems" (learn.microsoft.com, .NET
docs, "Path normalization"): ``/`` is a separator like ``\\``, runs of
separators collapse, ``.`` and ``..`` segments are resolved, trailing periods
and spaces are trimmed, ``\\\\.\\`` and ``\\\\?\\`` are device prefixes
(``\\\\?\\C:\\x`` is ``C:\\x``, ``\\\\?\\UNC\\srv\\share`` is ``\\\\srv\\share``), and names
ignore case. ``\\\\?\\`` paths skip normalisation on Windows; they are normalised
here all the same, so a path refused in one spelling is refused in every one
(a refusal that is too wide is safe, one that is too narrow is not).
Named pipes are ``\\\\.\\pipe\\<name>``, ``\\\\?\\pipe\\<name>`` or, over SMB,
``\\\\<server>\\pipe\\<name>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DRIVE = "drive"
UNC = "unc"
PIPE = "pipe"
DEVICE = "device"

_DRIVE_RE = re.compile(r"([a-zA-Z]):")


@dataclass(frozen=True)
class WinPath:
    """``kind`` and ``parts`` (case-folded); ``root`` is the drive letter, the
    ``server\\share`` of a UNC path, or the device name."""

    kind: str
    root: str
    parts: tuple[str, ...]

    @property
    def is_root(self) -> bool:
        return not self.parts

    def within(self, other: WinPath) -> bool:
        """This path is ``other`` or below it."""
        return (
            self.kind == other.kind
            and self.root == other.root
            and self.parts[: len(other.parts)] == other.parts
        )

    def render(self) -> str:
        if self.kind == DRIVE:
            return f"{self.root.upper()}:\\" + "\\".join(self.parts)
        if self.kind == PIPE:
            return "\\\\.\\pipe\\" + "\\".join(self.parts)
        return "\\\\" + "\\".join((self.root, *self.parts))


def _segments(text: str) -> list[str]:
    resolved: list[str] = []
    for raw in text.split("\\"):
        segment = raw.rstrip(". ") if raw not in (".", "..") else raw
        if raw == "..":
            if resolved:
                resolved.pop()
        elif raw in ("", ".") or not segment:
            continue
        else:
            resolved.append(segment.casefold())
    return resolved


def parse(path: str) -> WinPath | None:
    """The normalised form of a Windows path, or None for a relative path or volume name."""
    text = path.replace("/", "\\")
    if text.startswith("\\\\"):
        body = text[2:].lstrip("\\")
        device = False
        if body[:2] in ("?\\", ".\\"):
            device = True
            body = body[2:]
        segments = _segments(body)
        if not segments:
            return None
        head = segments[0]
        if device and _DRIVE_RE.fullmatch(head):
            return WinPath(DRIVE, head[0], tuple(segments[1:]))
        if device and head == "unc":
            segments = segments[1:]
            if not segments:
                return None
            head = segments[0]
        elif device and head != "pipe":
            return WinPath(DEVICE, head, tuple(segments[1:]))
        if head == "pipe" and device:
            return WinPath(PIPE, "", tuple(segments[1:]))
        # \\server\share\...: \\server\pipe\name is a named pipe on that server.
        if len(segments) >= 2 and segments[1] == "pipe":
            return WinPath(PIPE, "", tuple(segments[2:]))
        if len(segments) >= 2:
            share = segments[1]
            if re.fullmatch(r"[a-z]\$", share):  # administrative share: the whole drive
                return WinPath(DRIVE, share[0], tuple(segments[2:]))
            if share == "admin$":  # the Windows directory
                return WinPath(DRIVE, "c", ("windows", *segments[2:]))
            return WinPath(UNC, f"{head}\\{share}", tuple(segments[2:]))
        return WinPath(UNC, head, ())
    match = _DRIVE_RE.match(text)
    if match and (len(text) == 2 or text[2] == "\\"):
        return WinPath(DRIVE, match[1].casefold(), tuple(_segments(text[2:])))
    return None


def pipe_name(path: str) -> str | None:
    """The named pipe a path opens (case-folded), or None when it is no pipe path."""
    parsed = parse(path)
    if parsed is None or parsed.kind != PIPE:
        return None
    return "\\".join(parsed.parts)
