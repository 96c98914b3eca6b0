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

A lease (``HostLock.psm1``'s ``-LeaseId``/``-LeaseSeconds``) carries the lock across
module runs and restarts: the holder ends with a record holding ``lease_id`` and
``lease_until`` instead of an empty one; until ``lease_until`` (the host's clock) a run
with another lease id finds the lock busy, one with the same id takes it.

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
# Protect-HostLockFolder: the folder and the lock file must be owned by Administrators or
# SYSTEM (or the module's own account; the model's modules run as an administrator whose
# objects are owned by Administrators, FileState.owner ""). ProgramData lets every local user
# create files and folders, so a user could create host.lock first and hold it open.
OWNER_SIDS = frozenset({"", "S-1-5-32-544", "S-1-5-18"})
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the .psm1's 'yyyy-MM-ddTHH:mm:ssZ'


class LockBusy(Exception):
    """The open failed with a sharing violation; ``record`` is what the file says."""

    def __init__(self, record: dict[str, Any]) -> None:
        super().__init__(
            "The process cannot access the file because it is being used by another process."
        )
        self.record = record


def read_record(host: Any) -> Any:
    """``Read-HostLockRecord``: the record's JSON as it parses, {} when there is none (no file,
    or an empty one), the holder named as unreadable when it is not JSON. Windows lets its
    handle (Read access, FileShare.ReadWrite) open beside a writer's (ReadWrite access,
    FileShare.Read), the writer's own included, so the writer reads what it took over this way
    too ("Creating and Opening Files":
    https://learn.microsoft.com/windows/win32/fileio/creating-and-opening-files)."""
    existing = host.files.get(LOCK_PATH)
    text = existing.content if existing else ""
    try:
        return json.loads(text) if text else {}
    except ValueError:
        return {"holder": "(unreadable lock record)"}


def _record(host: Any) -> dict[str, Any]:
    data = read_record(host)
    return data if isinstance(data, dict) else {}


def record(host: Any) -> dict[str, Any] | None:
    """container_host_info's ``host_lock`` fact: the record, or None when it is empty."""
    return _record(host) or None


def open_exclusive(host: Any, token: str) -> dict[str, Any]:
    """Take the lock for ``token``; returns the record a dead holder left ({} if none)."""
    key = LOCK_PATH.casefold()
    if key in host.open_handles:
        raise LockBusy(_record(host))
    host.open_handles[key] = token
    return _record(host)


def write_record(host: Any, record: dict[str, Any] | None) -> None:
    text = json.dumps(record, sort_keys=True) if record else ""
    existing = host.files.get(LOCK_PATH)
    owner = existing.owner if existing else ""  # writing keeps the file's owner
    host.files.write(LOCK_PATH, FileState(sha256="", size=len(text), content=text, owner=owner))


def _stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime(TIME_FORMAT)


def foreign_lease(host: Any, record: dict[str, Any], lease_id: str) -> bool:
    """``Test-ForeignLease``: a lease of another id that has not ended; a ``lease_until`` not
    in the record's format is no lease (TryParseExact fails)."""
    if not record.get("lease_id") or not record.get("lease_until"):
        return False
    if lease_id and record["lease_id"] == lease_id:
        return False
    try:
        until = datetime.strptime(str(record["lease_until"]), TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return False
    return until.timestamp() > host.now()


def pid(token: str) -> int:
    """The simulated process id of the module run holding ``token``."""
    return 4000 + int(token[:4], 16) % 4000


def release(
    host: Any,
    token: str,
    lease: dict[str, Any] | None = None,
    keep: dict[str, Any] | None = None,
) -> None:
    """``Exit-HostLock``: empty the record, or leave ``lease`` ({holder, lease_id, seconds}:
    this run's record since now, with the lease), or put back ``keep`` (the own lease the lock
    carried, ``-KeepLease``); then close. Safe to call twice: a closed handle is left alone."""
    if host.open_handles.get(LOCK_PATH.casefold()) != token:
        return
    record = None
    if keep:
        record = keep
    elif lease and lease.get("lease_id") and lease.get("seconds", 0) > 0:
        now = host.now()
        record = {
            "holder": lease.get("holder") or "",
            "since": _stamp(now),
            "pid": pid(token),
            "lease_id": lease["lease_id"],
            "lease_until": _stamp(now + lease["seconds"]),
        }
    write_record(host, record)
    del host.open_handles[LOCK_PATH.casefold()]


def abandon(host: Any, token: str) -> None:
    """The process died: Windows closes the handle, the record stays."""
    if host.open_handles.get(LOCK_PATH.casefold()) == token:
        del host.open_handles[LOCK_PATH.casefold()]


# Enter-HostLock retries once a second; the model polls faster (wall clock), which only
# changes how often it looks, not when it gives up.
_POLL_SECONDS = 0.1


def acquire(host: Any, timeout: int, holder: str, lease_id: str = "") -> tuple[str, dict[str, Any]]:
    """``Enter-HostLock``: open the lock exclusively, retrying for ``timeout`` seconds while
    another process holds it or another lease id's lease runs.

    Returns (token, the module's ``lock`` result); a wait that ends raises the module's
    failure with the holder's record. Callers hold no host lock (``host.exclusive()``)."""
    from .modules import ModuleFailure  # the models import this module

    with host.exclusive():
        existing = host.files.get(LOCK_PATH)
        if existing is not None and existing.owner not in OWNER_SIDS:
            raise ModuleFailure(
                f"the host lock {LOCK_PATH} is owned by {existing.owner}, not by Administrators"
                " or SYSTEM: another account created it and could keep every run from changing"
                f" this host. Nothing was changed; remove {LOCK_PATH} as an administrator and"
                " run again"
            )
    token = uuid.uuid4().hex
    started = time.monotonic()
    contended = False
    while True:
        with host.exclusive():
            try:
                found = open_exclusive(host, token)
            except LockBusy as busy:
                record = busy.record
            else:
                if not foreign_lease(host, found, lease_id):
                    own = bool(lease_id) and found.get("lease_id") == lease_id
                    held = {
                        "holder": holder,
                        "since": _stamp(host.now()),
                        "pid": pid(token),
                    }
                    if own:  # if this process dies, the lease is still on record
                        held.update(lease_id=found["lease_id"], lease_until=found["lease_until"])
                    write_record(host, held)
                    return token, {
                        "path": LOCK_PATH,
                        "waited_seconds": int(time.monotonic() - started),
                        "contended": contended,
                        "taken_over": None if own else (found or None),
                        "lease": found if own else None,
                    }
                del host.open_handles[LOCK_PATH.casefold()]  # closed again: not ours to take
                record = found
            contended = True
        waited = time.monotonic() - started
        if waited >= timeout:
            who, since = record.get("holder") or "(unknown)", record.get("since") or "?"
            lock = {"path": LOCK_PATH, "waited_seconds": int(waited), "holder": record}
            if record.get("lease_until"):
                until = record["lease_until"]
                raise ModuleFailure(
                    f"the host lock {LOCK_PATH} is leased to {who} since {since} until"
                    f" {until} (lease {record.get('lease_id')}): that run changes this host"
                    f" across module runs and restarts; waited {timeout} seconds for it."
                    " Nothing was changed; run again when it is done (the lease ends by itself"
                    f" at {until})",
                    lock=lock,
                )
            raise ModuleFailure(
                f"the host lock {LOCK_PATH} is held by {who} since {since} (pid"
                f" {record.get('pid', '?')}); waited {timeout} seconds for it: another run is"
                " changing this host. Nothing was changed; run again when it is done",
                lock=lock,
            )
        time.sleep(_POLL_SECONDS)
