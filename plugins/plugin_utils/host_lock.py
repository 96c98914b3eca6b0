# -*- coding: utf-8 -*-
# Copyright: (c) 2026, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's side of the host lock (one writer per host).

The lock itself is taken on the host by ``module_utils/HostLock.psm1``, for the whole run
of every module that changes the host (``container_steps``, ``container_engine``). Here:
the wait every action passes it, checked, and the holder record that names this run.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal

LOCK_PATH = "C:\\ProgramData\\trustbound.wincontainers\\host.lock"
RULE = "lock_timeout"
# The wait happens inside one module run, like the step timeouts (workload_spec).
MAX_WAIT_SECONDS = 3600


def wait_seconds(value: Any, host: str | None, variable: str) -> int:
    """``value`` (or its digits, as surveys send it) as the seconds to wait for the lock;
    refused outside 0..MAX_WAIT_SECONDS."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_WAIT_SECONDS:
        raise Refusal.of(
            host,
            RULE,
            variable,
            "the host lock wait",
            f"a whole number of seconds from 0 to {MAX_WAIT_SECONDS} is needed, got"
            f" {type(value).__name__} {value!r}. Nothing was changed.",
        )
    return value


def holder(writer: str, task_vars: dict[str, Any], detail: str = "") -> str:
    """Who writes, for the lock record: the module, ``detail``, controller, process, AWX job."""
    job = task_vars.get("awx_job_id") or task_vars.get("tower_job_id")
    where = f"{socket.gethostname()} pid {os.getpid()}" + (f", AWX job {job}" if job else "")
    return f"{writer} ({detail + ', ' if detail else ''}{where})"
