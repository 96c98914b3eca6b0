"""Lets the action tests' fake hosts keep carrying out planned steps.

The controller now sends container_steps the executor's arguments (command lines rendered by
plugins/plugin_utils/executor_args.py) and reads raw outcomes back. A fake host that acts on
planned steps gets them decoded from those command lines (``planned_args``, the inverse of
docker_argv.py for the flags it renders) and its reply, in the result shape consumers read,
encoded as the executor's outcomes (``raw_reply``). The boundary's own mapping is tested in
tests/unit/plugins/plugin_utils/test_executor_args.py.
"""

from __future__ import annotations

import json
from typing import Any

_LISTS = {"--publish": "ports", "--volume": "mounts"}
_SCALARS = {
    "--isolation": "isolation",
    "--user": "user",
    "--entrypoint": "entrypoint",
    "--restart": "restart_policy",
    "--memory": "memory_bytes",
}


def _after_dashes(argv: list[str]) -> list[str]:
    return argv[argv.index("--") + 1 :] if "--" in argv else []


def _create(step: dict[str, Any], commands: list[dict[str, Any]]) -> None:
    create = commands[0]
    argv = create["argv"]
    env_keys = create.get("env") or {}
    for word in argv[1 : argv.index("--")]:
        flag, _, value = word.partition("=")
        if flag in _SCALARS:
            step[_SCALARS[flag]] = value
        elif flag in _LISTS:
            step.setdefault(_LISTS[flag], []).append(value)
        elif flag == "--network":
            step["networks"] = [value]
        elif flag == "--cpus":
            step["cpus"] = float(value)
        elif flag == "--label":
            key, _, val = value.partition("=")
            step.setdefault("labels", {})[key] = val
        elif flag == "--env":
            name, has_value, val = value.partition("=")
            entry: Any = val if has_value else {"secret": env_keys[name]}
            step.setdefault("env", {})[name] = entry
    step["image"], *command = _after_dashes(argv)
    if command:
        step["command"] = command
    for connect in commands[1:]:
        step["networks"].append(_after_dashes(connect["argv"])[0])


def planned_step(executor_step: dict[str, Any]) -> dict[str, Any]:
    step = {k: executor_step[k] for k in ("action", "name", "workload", "image")
            if executor_step.get(k) is not None}  # fmt: skip
    commands = executor_step.get("commands") or []
    action = step["action"]
    if action == "pull" and commands and commands[0]["argv"][0] == "login":
        step["registry"] = _after_dashes(commands[0]["argv"])[0]
    elif action == "create":
        _create(step, commands)
    elif action == "stop":
        step["timeout"] = int(next(w for w in commands[0]["argv"] if w.startswith("-t="))[3:])
    elif action == "remove" and "--force" in commands[0]["argv"]:
        step["force"] = True
    elif action == "rename":
        step["new_name"] = _after_dashes(commands[0]["argv"])[1]
    elif action == "wait_running":
        step["timeout"] = executor_step["poll"]["timeout"]
    elif action == "ensure_network":
        subnet = next(w for w in commands[0]["argv"] if w.startswith("--subnet="))
        step["subnet"] = subnet.partition("=")[2]
    if executor_step.get("on_failure"):
        step["on_failure"] = [planned_step(undo) for undo in executor_step["on_failure"]]
    return step


def planned_args(args: dict[str, Any]) -> dict[str, Any]:
    """container_steps' executor arguments with the steps decoded to planned steps."""
    planned = dict(args)
    planned["steps"] = [planned_step(step) for step in args.get("steps") or []]
    planned.setdefault("secrets", [])
    planned.setdefault("registry_credentials", [])
    return planned


def _image_json(image: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Id": image.get("id"),
            "RepoTags": image.get("repo_tags") or [],
            "RepoDigests": image.get("repo_digests") or [],
            "OsVersion": image.get("os_version") or "",
            "Config": {"User": image.get("user") or ""},
        }
    )


def _outcome(result: dict[str, Any]) -> dict[str, Any]:
    failed = result.get("rc") not in (0, None)
    command = {"rc": result.get("rc") or 0, "stderr": result.get("stderr") or ""}
    outcome: dict[str, Any] = {"index": result["index"], "failed": failed, "commands": [command]}
    if result.get("image"):
        outcome["commands"].append({"rc": 0, "stderr": "", "stdout": _image_json(result["image"])})
    if result.get("action") == "wait_running":
        outcome["commands"] = []
        outcome["poll"] = {"rc": command["rc"], "stderr": command["stderr"], "stdout": ""}
        if "exit_code" in result:
            outcome["poll"] = {"rc": 0, "stderr": "", "stdout": "exited"}
            outcome["diagnose"] = [{"rc": 0, "stderr": "", "stdout": str(result["exit_code"])}]
    return outcome


def raw_reply(reply: dict[str, Any]) -> dict[str, Any]:
    """A reply in the consumers' shape, as the executor returns it (``outcomes``)."""
    raw = {k: v for k, v in reply.items() if k != "results"}
    outcomes = []
    positions: dict[int, int] = {}
    for result in reply.get("results") or []:
        outcome = _outcome(result)
        if result.get("rollback"):
            position = positions.get(result["index"], 0)
            positions[result["index"]] = position + 1
            outcome.update(rollback=True, position=position)
        outcomes.append(outcome)
    raw["outcomes"] = outcomes
    return raw
