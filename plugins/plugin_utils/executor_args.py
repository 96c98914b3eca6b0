# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one boundary between planned container steps and the container_steps executor.

``module_args(steps, ...)`` turns the planner's steps (container_plan.py, patch_steps.py,
the role's pulls and prunes) into the executor's arguments: each step's exact docker
command lines (docker_argv.py), the check that tells the step is already done (``skip_if``),
the poll of ``wait_running`` with its verdicts, what to capture on failure (``diagnose``),
the commands that always run (``finally``), and module-level ``preconditions`` (one
``container inspect`` of the containers the plan touches, expected to print the ids the
read saw). The executor (plugins/modules/container_steps.ps1) only runs those commands.

``read_reply(steps, reply)`` maps the executor's raw per-command outcomes back to the
result shape every consumer reads (``results``: index, action, name, workload, changed,
rc, stderr, rollback, image summary, exit_code; ``failed_step``; ``msg``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import docker_argv

# wait_running: seen running on this many polls in a row, this many seconds apart, within
# the step's timeout (docker's default stop grace period when none is given).
POLL_SUCCESSES = 2
POLL_INTERVAL = 1
# State.Status, not State.Running, which stays true while a restart policy restarts a
# crashing container (moby api/swagger.yaml ContainerState.Status).
POLL_FORMAT = "--format={{.State.Status}}"
RUNNING = "running"
STOPPED = ("exited", "dead")
LOG_LINES = 20
# What a step names when it has no container name: its image.
REPORT_KEYS = ("action", "name", "workload", "image", "container_id")
# A registry password's key among the executor's secrets ("registry:<host>"): a workload's
# secret keys are "<container name>/<variable>", and a container name has no ":".
REGISTRY_KEY = "registry:"
# The config.json of the executor's own client config directory. docker/cli looks for a
# platform credential helper (docker-credential-wincred on Windows, when on PATH) only when
# the config holds no auth (cli/config/config.go LoadDefaultConfigFile: ContainsAuth, which
# counts credsStore, credHelpers and auths entries; credentials.DetectDefaultStore). One
# placeholder entry keeps a login in this file, removed with the run, and out of the
# WinRM user's Credential Manager. The .invalid name never resolves (RFC 2606).
CLIENT_CONFIG = '{"auths": {"trustbound-wincontainers.invalid": {}}}'


def _command(cmd: docker_argv.DockerCommand, *, capture: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"argv": list(cmd.argv)}
    if cmd.env:
        out["env"] = dict(cmd.env)
    if cmd.stdin:
        out["stdin"] = REGISTRY_KEY + cmd.stdin
    if capture:
        out["capture"] = True
    return out


def _argv(*words: str) -> dict[str, Any]:
    return {"argv": list(words)}


def _report(step: Mapping[str, Any]) -> dict[str, Any]:
    return {key: step[key] for key in REPORT_KEYS if step.get(key) not in (None, "")}


def executor_step(
    step: Mapping[str, Any], registry_users: Mapping[str, str], *, rollback: bool = False
) -> dict[str, Any]:
    """One planned step as the executor runs it."""
    planned = {k: v for k, v in step.items() if k not in ("on_failure", "container_id")}
    commands = docker_argv.render_step(planned, registry_users)
    out = _report(step)
    action = step["action"]
    if action == "pull":
        image = step["image"]
        if step.get("registry"):
            login, pull, logout = commands
            out["commands"] = [_command(login), _command(pull)]
            out["finally"] = [_command(logout)]
        else:
            out["commands"] = [_command(c) for c in commands]
        # The pulled image's inspect JSON, mapped here (image_summary).
        out["commands"].append(
            _argv("image", "inspect", "--format={{json .}}", "--", image) | {"capture": True}
        )
    elif action == "create":
        create, *connects = commands
        out["commands"] = [_command(create)]
        for connect in connects:
            # This step created the container: a failed connect removes it, or the next run
            # would take it for the finished one.
            out["commands"].append(
                _command(connect) | {"undo": [_argv("rm", "--force", "--", step["name"])]}
            )
    elif action == "wait_running":
        (inspect,) = commands
        name = step["name"]
        timeout = step.get("timeout")
        out["poll"] = {
            "command": _argv("container", "inspect", POLL_FORMAT, "--", name),
            "success": RUNNING,
            "failure": list(STOPPED),
            "successes": POLL_SUCCESSES,
            "interval": POLL_INTERVAL,
            "timeout": docker_argv.DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout),
        }
        del inspect  # docker_argv's poll reads the whole State; the executor needs one word
        out["diagnose"] = [
            _argv("container", "inspect", "--format={{.State.ExitCode}}", "--", name),
            _argv("logs", f"--tail={LOG_LINES}", "--", name),
        ]
    elif action == "ensure_network":
        found, create = commands
        out["skip_if"] = _command(found)
        out["commands"] = [_command(create)]
    else:
        out["commands"] = [_command(c) for c in commands]
    if not rollback and step.get("on_failure"):
        out["on_failure"] = [
            executor_step(undo, registry_users, rollback=True) for undo in step["on_failure"]
        ]
    return out


def touched_names(steps: Iterable[Mapping[str, Any]]) -> list[str]:
    """Container names the steps act on, first seen first."""
    names: list[str] = []
    for step in steps:
        if step.get("action") in ("pull", "remove_image", "ensure_network"):
            continue
        for key in ("name", "new_name"):
            value = step.get(key)
            if value and value not in names:
                names.append(value)
    return names


def preconditions(
    steps: Iterable[Mapping[str, Any]], containers: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One inspect of every container the steps touch, expected to print the ids the read
    saw (a name the read did not see: absent, and the CLI exits 1 for it; docker/cli
    cli/command/inspect/inspector.go ``Inspect`` prints the found ones and returns status 1
    when any reference is missing)."""
    names = touched_names(steps)
    if not names:
        return []
    seen = {c.get("name"): c.get("id") for c in containers}
    ids = [seen[n] for n in names if seen.get(n)]
    return [
        {
            "argv": ["container", "inspect", "--format={{.Id}}", "--", *names],
            "rc": 0 if len(ids) == len(names) else 1,
            "stdout": "\n".join(ids),
        }
    ]


def module_args(
    steps: Iterable[Mapping[str, Any]],
    *,
    secrets: Mapping[str, str] | None = None,
    credentials: Iterable[Mapping[str, Any]] | None = None,
    containers: Iterable[Mapping[str, Any]] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """container_steps' arguments for planned ``steps``.

    ``secrets`` maps secret keys (container_plan.secret_key) to values, ``credentials`` are
    the registry credentials (registry, username, password; each password goes to the
    executor's secrets under ``registry:<registry>``, the key its login's stdin names),
    ``containers`` the read's containers (name, id) the plan came from: given, the executor
    checks them first and answers ``replan`` when the host no longer matches. ``options`` pass
    through (lock_timeout, lock_holder, lease_id, lease_seconds, replan_after_wait,
    keep_lease_on_failure, keep_lease)."""
    steps = list(steps)
    credentials = list(credentials or [])
    users = {c["registry"]: c["username"] for c in credentials}
    ids = {c.get("name"): c.get("id") for c in containers or []}
    rendered = []
    for step in steps:
        entry = executor_step(step, users)
        if ids.get(step.get("name")) and step.get("action") not in ("pull", "remove_image"):
            entry["container_id"] = ids[step["name"]]
        rendered.append(entry)
    args: dict[str, Any] = {"steps": rendered, "client_config": CLIENT_CONFIG, **options}
    values = dict(secrets or {})
    values.update({REGISTRY_KEY + c["registry"]: c["password"] for c in credentials})
    if values:
        args["secrets"] = [{"key": k, "value": v} for k, v in sorted(values.items())]
    if containers is not None:
        args["preconditions"] = preconditions(steps, containers)
    return args


def image_summary(stdout: str) -> dict[str, Any] | None:
    """The image fields consumers read, from ``docker image inspect --format={{json .}}``
    (moby api/swagger.yaml ImageInspect: Id, RepoTags, RepoDigests, OsVersion, Config.User)."""
    try:
        data = json.loads(stdout)
    except (TypeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {
        "id": data.get("Id"),
        "repo_tags": [t for t in data.get("RepoTags") or [] if t is not None],
        "repo_digests": [d for d in data.get("RepoDigests") or [] if d is not None],
        "os_version": str(data.get("OsVersion") or ""),
        "user": str((data.get("Config") or {}).get("User") or ""),
    }


def _name(step: Mapping[str, Any]) -> Any:
    return step.get("name") or step.get("image")


def _failed_command(outcome: Mapping[str, Any]) -> Mapping[str, Any]:
    ran = outcome.get("commands") or []
    return next((c for c in ran if c.get("rc") not in (0, None)), ran[-1] if ran else {})


def _wait_message(step: Mapping[str, Any], outcome: Mapping[str, Any]) -> tuple[str, Any]:
    poll = outcome.get("poll") or {}
    name = step.get("name")
    if poll.get("rc") not in (0, None):
        return str(poll.get("stderr") or ""), None
    status = str(poll.get("stdout") or "").strip()
    if status in STOPPED:
        diagnose = outcome.get("diagnose") or []
        code_text = str((diagnose[0] if diagnose else {}).get("stdout") or "").strip()
        exit_code: Any = int(code_text) if code_text.lstrip("-").isdigit() else code_text
        logs = diagnose[1] if len(diagnose) > 1 else {}
        lines = (str(logs.get("stdout") or "") + str(logs.get("stderr") or "")).strip()
        return (
            f"container '{name}' exited with code {exit_code} right after start; last log"
            f" lines: {lines or '(no output)'}",
            exit_code,
        )
    timeout = step.get("timeout")
    seconds = docker_argv.DEFAULT_STOP_TIMEOUT if timeout is None else timeout
    return f"container '{name}' is not running after {seconds} seconds (status {status})", None


def _result(
    step: Mapping[str, Any], index: int, outcome: Mapping[str, Any], rollback: bool
) -> dict[str, Any]:
    failed = bool(outcome.get("failed"))
    exit_code = None
    if not failed:
        rc, stderr = 0, ""
    elif step.get("action") == "wait_running" and outcome.get("poll"):
        rc = 1
        stderr, exit_code = _wait_message(step, outcome)
    else:
        bad = _failed_command(outcome)
        rc = bad.get("rc") if bad.get("rc") not in (0, None) else 1
        stderr = str(bad.get("stderr") or outcome.get("stderr") or "")
    result = {
        "index": index,
        "action": step.get("action"),
        "name": _name(step),
        "workload": step.get("workload"),
        "changed": rc == 0 and step.get("action") != "wait_running" and not outcome.get("skipped"),
        "rc": rc,
        "stderr": stderr,
        "rollback": rollback,
    }
    if step.get("action") == "pull" and not failed:
        captured = [c for c in outcome.get("commands") or [] if "stdout" in c]
        if captured:
            result["image"] = image_summary(captured[-1]["stdout"])
    if exit_code is not None:
        result["exit_code"] = exit_code
    return result


def read_reply(steps: list[Mapping[str, Any]], reply: Mapping[str, Any]) -> dict[str, Any]:
    """The executor's reply with ``results``, ``failed_step``, ``changed`` and (on a failed
    step) ``msg`` in the shape consumers read; ``outcomes`` (raw) is dropped."""
    out = {k: v for k, v in reply.items() if k != "outcomes"}
    if reply.get("carried_out") is False:  # check mode
        out["results"] = [
            _result(s, i, {}, False) | {"rc": None, "changed": s.get("action") != "wait_running"}
            for i, s in enumerate(steps)
        ]
        out["changed"] = bool(steps)
        out.setdefault("failed_step", None)
        return out
    results = []
    for outcome in reply.get("outcomes") or []:
        index = outcome.get("index")
        if not isinstance(index, int) or not 0 <= index < len(steps):
            continue
        step = steps[index]
        if outcome.get("rollback"):
            undo = step.get("on_failure") or []
            position = outcome.get("position", 0)
            if position < len(undo):
                results.append(_result(undo[position], index, outcome, True))
        else:
            results.append(_result(step, index, outcome, False))
    out["results"] = results
    out.setdefault("failed_step", None)
    if reply.get("outcomes") is not None:
        out["changed"] = any(r["changed"] for r in results)
    failed = out.get("failed_step")
    if reply.get("failed") and isinstance(failed, int) and 0 <= failed < len(steps):
        first = next((r for r in results if r["index"] == failed and not r["rollback"]), None)
        if first is not None:
            out["msg"] = (
                f"step {failed} ({first['action']} {first['name']}) failed:"
                f" {str(first['stderr']).strip()}"
            )
    return out


MODULE = "trustbound.wincontainers.container_steps"


def run_steps(run_module: Any, steps: Iterable[Mapping[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """``run_module(name, args)`` of container_steps for planned ``steps`` (``kwargs`` as
    ``module_args`` takes them); the reply in the shape consumers read."""
    steps = list(steps)
    return read_reply(steps, run_module(MODULE, module_args(steps, **kwargs)))
