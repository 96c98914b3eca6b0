"""The host lock container_steps holds while it changes a host: one writer per host.

What plugins/modules/container_steps.ps1 does on Windows, modelled:

- the lock is the file ``C:\\ProgramData\\trustbound.wincontainers\\host.lock`` opened with
  ``[IO.File]::Open(path, OpenOrCreate, ReadWrite, FileShare.Read)``: while one process holds
  that handle, a second open for writing fails with a sharing violation (.NET
  ``IOException``, Win32 ERROR_SHARING_VIOLATION), but the file can still be read;
- the holder writes a record (``{"holder", "since", "pid"}``) into it, and empties it before
  closing the handle on a normal end;
- when the holder's process dies, Windows closes its handles: the file opens again, and a
  record left in it names the writer that did not finish (a stale lock, taken over safely:
  no guess about whether a process still lives).

Open handles live in ``Host.open_handles`` (not persisted: they end with the process, and
with the simulator); the file's text in ``HostState.files`` (persisted).
"""

from __future__ import annotations

import json
from typing import Any

from .state import FileState

LOCK_PATH = "C:\\ProgramData\\trustbound.wincontainers\\host.lock"


class LockBusy(Exception):
    """The open failed with a sharing violation; ``record`` is what the file says."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(
            "The process cannot access the file because it is being used by another process."
        )
        self.record = record


def _record(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if text else {}
    except ValueError:
        return {"holder": "(unreadable lock record)", "since": "?"}
    return data if isinstance(data, dict) else {}


def open_exclusive(host: Any, token: str) -> dict[str, Any]:
    """Take the lock for ``token``; returns the record a dead holder left ({} if none)."""
    key = LOCK_PATH.casefold()
    existing = host.files.get(LOCK_PATH)
    text = existing.content if existing else ""
    if key in host.open_handles:
        raise LockBusy(_record(text))
    host.open_handles[key] = token
    return _record(text)


def write_record(host: Any, record: dict[str, Any]) -> None:
    text = json.dumps(record, sort_keys=True)
    host.files.write(LOCK_PATH, FileState(sha256="", size=len(text), content=text))


def release(host: Any, token: str) -> None:
    """Empty the record, then close the handle (a normal end)."""
    if host.open_handles.get(LOCK_PATH.casefold()) != token:
        return
    host.files.write(LOCK_PATH, FileState(sha256="", size=0, content=""))
    del host.open_handles[LOCK_PATH.casefold()]


def abandon(host: Any, token: str) -> None:
    """The process died: Windows closes the handle, the record stays."""
    if host.open_handles.get(LOCK_PATH.casefold()) == token:
        del host.open_handles[LOCK_PATH.casefold()]
