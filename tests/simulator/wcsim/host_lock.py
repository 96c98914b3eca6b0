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

``acquire`` is ``Enter-HostLock`` of plugins/module_utils/HostLock.psm1, which both
container_steps and container_engine call before their first change.

Open handles live in ``Host.open_handles`` (not persisted: they end with the process, and
with the simulator); the file's text in ``HostState.files`` (persisted).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
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


# Enter-HostLock retries once a second; the model polls faster (wall clock), which only
# changes how often it looks, not when it gives up.
_POLL_SECONDS = 0.1


def acquire(host: Any, timeout: int, holder: str) -> tuple[str, dict[str, Any]]:
    """``Enter-HostLock``: open the lock exclusively, retrying for ``timeout`` seconds.

    Returns (token, the module's ``lock`` result); a wait that ends raises the module's
    failure with the holder's record. Callers hold no host lock (``host.exclusive()``)."""
    from .modules import ModuleFailure  # the models import this module

    token = uuid.uuid4().hex
    started = time.monotonic()
    contended = False
    while True:
        with host.exclusive():
            try:
                stale = open_exclusive(host, token)
            except LockBusy as busy:
                record = busy.record
                contended = True
            else:
                since = datetime.fromtimestamp(host.now(), UTC)
                write_record(
                    host,
                    {
                        "holder": holder,
                        "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "pid": 4000 + int(token[:4], 16) % 4000,
                    },
                )
                return token, {
                    "path": LOCK_PATH,
                    "waited_seconds": int(time.monotonic() - started),
                    "contended": contended,
                    "taken_over": stale or None,
                }
        waited = time.monotonic() - started
        if waited >= timeout:
            raise ModuleFailure(
                f"the host lock {LOCK_PATH} is held by {record.get('holder') or '(unknown)'}"
                f" since {record.get('since') or '?'} (pid {record.get('pid', '?')}); waited"
                f" {timeout} seconds for it: another run is changing this host. Nothing was"
                " changed; run again when it is done",
                lock={"path": LOCK_PATH, "waited_seconds": int(waited), "holder": record},
            )
        time.sleep(_POLL_SECONDS)
