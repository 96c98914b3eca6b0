# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an engine restart does to the host's containers, decided on the controller.

Stopping dockerd stops every container; at its next start dockerd restarts
only ``always`` containers and ``unless-stopped`` ones not stopped by hand
(moby ``daemon.restore``). So before a step that stops the engine, the
module lists the id of every container that runs (every owner's, hand-started
ones too) once it holds the host lock, since another writer may have replaced
containers after the controller's read, and after the engine is back starts
them all with one ``docker start``. It returns both runs raw; ``container_report``
maps them to the ones running again and the ones that would not start, each with
docker's error. The controller's read gives the check mode warning and the names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_steps

# Steps of container_engine after which the engine has been stopped.
STOPPING_STEPS = frozenset({"install", "restart", "unregister_service", "protect_data_root"})


def stops_engine(steps: Sequence[str], engine: Mapping[str, Any]) -> bool:
    """True when carrying out ``steps`` stops an engine that runs now."""
    return engine_steps.service_up(engine.get("service_state")) and bool(
        STOPPING_STEPS & set(steps)
    )


def running_containers(info: Mapping[str, Any]) -> list[dict[str, str]]:
    """``[{id, name}]`` of every running container in container_host_info's result."""
    return [
        {"id": str(c["id"]), "name": str(c.get("name") or c["id"])}
        for c in info.get("containers") or []
        if isinstance(c, Mapping) and c.get("id") and c.get("running")
    ]


def container_names(info: Mapping[str, Any]) -> dict[str, str]:
    """Id to name of every container in container_host_info's result, running or not."""
    return {
        str(c["id"]): str(c.get("name") or c["id"])
        for c in info.get("containers") or []
        if isinstance(c, Mapping) and c.get("id")
    }


# docker/cli cli/command/container/start.go startContainersWithoutAttachments ends a start
# where any container failed with this error, printed to stderr (exit 1): "Error: failed to
# start containers: a, b" in v20.10.24 and v28.2.2; docker/cli's main branch drops "Error: ".
_START_SUMMARY = re.compile(r"^(Error: )?failed to start containers: ")


def _text(run: Mapping[str, Any]) -> str:
    return (str(run.get("stderr") or "") + str(run.get("stdout") or "")).strip()


NOT_BROUGHT_BACK = (
    "the engine change failed before it could be started again; check whether it runs"
)


def container_report(raw: Any, names: Mapping[str, str]) -> dict[str, Any]:
    """``containers`` of the result from the module's raw runs.

    ``raw.listed`` is ``docker ps --no-trunc --quiet`` (one full id a line), ``raw.started``
    the ``docker start <id> ...`` of those ids (100 a run) after the engine is back (absent
    when the engine could not be brought back: then every listed container is reported).
    The start prints each id it started to stdout and each failure's error to stderr, in
    the order of the ids, then the summary line (docker/cli
    startContainersWithoutAttachments); a container that runs already counts as started
    (moby's 304, a success for the client). Returns ``restored`` (ids), ``not_restarted``
    (``id``, ``name``, ``error``) and, when the listing failed, ``list_error``."""
    raw = raw if isinstance(raw, Mapping) else {}
    report: dict[str, Any] = {"restored": [], "not_restarted": []}
    listed, started = raw.get("listed"), raw.get("started")
    if isinstance(listed, Mapping) and listed.get("rc") != 0:
        report["list_error"] = f"docker ps failed (rc {listed.get('rc')}): {_text(listed)}"
        return report
    if not isinstance(listed, Mapping):
        return report
    ran = str(listed.get("stdout") or "").split()
    if not isinstance(started, Mapping):
        # Listed, and the change failed before the engine answered again: none was started.
        report["not_restarted"] = [
            {"id": cid, "name": names.get(cid, cid), "error": NOT_BROUGHT_BACK} for cid in ran
        ]
        return report
    done = set(str(started.get("stdout") or "").split())
    failed = [cid for cid in ran if cid not in done]
    errors = [
        line.strip()
        for line in str(started.get("stderr") or "").splitlines()
        if line.strip() and not _START_SUMMARY.match(line.strip())
    ]
    if len(errors) != len(failed):
        # Not one error line per failed id: each gets the whole output.
        errors = [_text(started) or "no error given"] * len(failed)
    report["restored"] = [cid for cid in ran if cid in done]
    report["not_restarted"] = [
        {"id": cid, "name": names.get(cid, cid), "error": error}
        for cid, error in zip(failed, errors, strict=True)
    ]
    return report


def check_mode_warning(host: str | None, running: Sequence[Mapping[str, str]]) -> str:
    names = ", ".join(c["name"] for c in running) or "none run now"
    return (
        f"host {host!r}: the engine restart stops every container ({names}); the engine "
        "change starts each of them again afterwards and reports any that would not start"
    )


def not_restarted_warnings(
    host: str | None, running: Sequence[Mapping[str, str]], module_result: Mapping[str, Any]
) -> list[str]:
    """One warning per container that ran before the restart and would not start again."""
    names = {c["id"]: c["name"] for c in running}
    report = module_result.get("containers") or {}
    warnings = []
    if report.get("list_error"):
        warnings.append(
            f"host {host!r}: the running containers could not be listed before the engine"
            f" stopped ({report['list_error']}); those without a restart policy that ran stay"
            " stopped"
        )
    for entry in report.get("not_restarted") or []:
        cid = str(entry.get("id", ""))
        name = entry.get("name") or names.get(cid, cid)
        warnings.append(
            f"host {host!r}: container {name!r} ran before the engine restart and "
            f"would not start again: {entry.get('error') or 'no error given'}"
        )
    return warnings
