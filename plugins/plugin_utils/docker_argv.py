# -*- coding: utf-8 -*-
# Copyright: (c) 2025, trustbound.wincontainers maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each container step (container_plan.py) as the exact docker command lines that carry it out.

``render_step(step)`` returns the ``DockerCommand`` list a host runs for one step, in order.
The rules, so data can never become a flag and secrets never reach a command line:

- every option is one ``--flag=value`` word (docker/cli parses it with spf13/pflag, which
  takes everything after the first ``=`` as the value, leading ``-`` included);
- positional data (container, image and network names) comes after ``--``, which ends
  option parsing (pflag), so a name starting with ``-`` is a name; ``docker create`` stops
  parsing options at the image anyway (docker/cli cli/command/container/create.go
  ``flags.SetInterspersed(false)``), so the command words after it are the container's;
- a secret environment variable is rendered by name only (``--env=NAME``): docker/cli then
  copies its value from the CLI's own environment (opts/env.go ``ValidateEnv``), which the
  executor fills from ``DockerCommand.env``; a registry password goes through stdin
  (``docker login --password-stdin``).

The create flags come from one table (``CREATE_FIELDS``): one row per container field, so a
new field is one row here (and its reading and comparing, as the direction in
docs/architecture.md says). ``executor_args.py`` turns these commands into the arguments of
the container_steps executor (plugins/modules/container_steps.ps1), which builds no command
line of its own; checked against the real docker CLI and the simulator's Engine API in
tests/simulator/unit/test_docker_argv_differential.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.workload_spec import (
    cli_env_name,
)

# docker stop's default grace period (docker/cli cli/command/container/stop.go: none given,
# the daemon's 10 s for Windows containers); the planner's steps carry their own.
DEFAULT_STOP_TIMEOUT = 10


@dataclass(frozen=True)
class DockerCommand:
    """One docker CLI run: ``docker <argv>``.

    ``env`` maps environment variable names the CLI must see to the secret keys (of the
    module's ``secrets`` option) holding their values; ``stdin`` names the registry whose
    password (``registry_credentials``) is written to the CLI's stdin."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: str | None = None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)  # 1.5, 0.25: Go's ParseFloat reads Python's shortest repr
    return str(value)


def _flag(flag: str, value: Any) -> str:
    return f"{flag}={_text(value)}"


def _scalar(flag: str) -> Callable[[Any], list[str]]:
    def render(value: Any) -> list[str]:
        return [] if value in (None, "", 0, "0", 0.0) else [_flag(flag, value)]

    return render


def _each(flag: str) -> Callable[[Any], list[str]]:
    def render(values: Any) -> list[str]:
        return [_flag(flag, v) for v in values or [] if v not in (None, "")]

    return render


def _pairs(flag: str) -> Callable[[Any], list[str]]:
    def render(values: Any) -> list[str]:
        return [_flag(flag, f"{key}={val}") for key, val in (values or {}).items()]

    return render


def _first(flag: str) -> Callable[[Any], list[str]]:
    def render(values: Any) -> list[str]:
        chosen = [v for v in values or [] if v]
        return [_flag(flag, chosen[0])] if chosen else []

    return render


def _env(values: Any) -> list[str]:
    words = []
    for name, value in (values or {}).items():
        if isinstance(value, Mapping):
            words.append(_flag("--env", name))  # the value comes from the CLI's environment
        else:
            words.append(_flag("--env", f"{name}={value}"))
    return words


# One row per container field of a create step: (step key, docker create flag words).
# docker/cli cli/command/container/opts.go names the flags.
CREATE_FIELDS: tuple[tuple[str, Callable[[Any], list[str]]], ...] = (
    ("isolation", _scalar("--isolation")),
    ("user", _scalar("--user")),
    ("entrypoint", _scalar("--entrypoint")),
    ("env", _env),
    ("ports", _each("--publish")),
    ("mounts", _each("--volume")),
    ("networks", _first("--network")),  # the others: docker network connect, after create
    ("restart_policy", _scalar("--restart")),
    ("memory_bytes", _scalar("--memory")),  # bytes: docker's RAMInBytes takes a bare number
    ("cpus", _scalar("--cpus")),
    ("storage_bytes", lambda v: _scalar("--storage-opt")(f"size={v}" if _scalar("")(v) else v)),
    ("labels", _pairs("--label")),
)


def secret_env(step: Mapping[str, Any]) -> dict[str, str]:
    """``{variable: secret key}`` of a create step's secret environment values.

    The executor puts these into the docker CLI's own environment, so a name the CLI or
    Windows reads itself (DOCKER_HOST, PATH, ...) would redirect the CLI: refused here as
    the workload check refuses it (workload_spec ``cli_env_name``)."""
    secrets = {
        name: str(value["secret"])
        for name, value in (step.get("env") or {}).items()
        if isinstance(value, Mapping)
    }
    for name in secrets:
        if cli_env_name(name):
            raise ValueError(f"secret environment variable {name!r} is one the docker CLI reads")
    return secrets


def _require(step: Mapping[str, Any], key: str) -> str:
    value = step.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"a {step.get('action')} step needs '{key}' (got {value!r})")
    return value


# Keys of a create step that are not create flags: the step itself, positional data, and
# what the executor or the report uses.
CREATE_OTHER_KEYS = frozenset({"action", "name", "workload", "image", "command", "registry"})


def create_argv(step: Mapping[str, Any]) -> tuple[str, ...]:
    unknown = set(step) - CREATE_OTHER_KEYS - {row[0] for row in CREATE_FIELDS}
    if unknown:
        # A new planner field without its row here would vanish from the command line.
        raise ValueError(f"create step keys without a docker flag: {', '.join(sorted(unknown))}")
    # --pull=never: the plan's pull step (with its credentials) fetches images; docker
    # create would otherwise pull a missing image itself (docker/cli create.go, PullImage
    # "missing"), unplanned and without credentials. Accepted by the 20.10 and 28 CLIs.
    words = ["create", _flag("--name", _require(step, "name")), "--pull=never"]
    for key, render in CREATE_FIELDS:
        words += render(step.get(key))
    words += ["--", _require(step, "image")]
    words += [str(word) for word in step.get("command") or [] if word is not None]
    return tuple(words)


def _create(step: Mapping[str, Any]) -> list[DockerCommand]:
    name = _require(step, "name")
    commands = [DockerCommand(create_argv(step), env=secret_env(step))]
    for network in [n for n in step.get("networks") or [] if n][1:]:
        commands.append(DockerCommand(("network", "connect", "--", network, name)))
    return commands


def _pull(step: Mapping[str, Any], registry_users: Mapping[str, str]) -> list[DockerCommand]:
    image = _require(step, "image")
    registry = step.get("registry")
    if not registry:
        return [DockerCommand(("pull", "--", image))]
    if registry not in registry_users:
        raise ValueError(f"no registry credentials for '{registry}'")
    # The executor runs these three with a client config directory of the run's own
    # (DOCKER_CONFIG), so the login never reaches the profile and ends with the run. The
    # password goes through stdin (``stdin`` names the registry whose password it is).
    return [
        DockerCommand(
            (
                "login",
                _flag("--username", registry_users[registry]),
                "--password-stdin",
                "--",
                registry,
            ),
            stdin=registry,
        ),
        DockerCommand(("pull", "--", image)),
        DockerCommand(("logout", "--", registry)),
    ]


def _stop(step: Mapping[str, Any]) -> list[DockerCommand]:
    timeout = step.get("timeout")
    seconds = DEFAULT_STOP_TIMEOUT if timeout is None else int(timeout)
    # -t: "--time" is deprecated from docker 28 on, "--timeout" unknown before it.
    return [DockerCommand(("stop", f"-t={seconds}", "--", _require(step, "name")))]


def _remove(step: Mapping[str, Any]) -> list[DockerCommand]:
    force = ["--force"] if step.get("force") else []
    return [DockerCommand(("rm", *force, "--", _require(step, "name")))]


def _wait_running(step: Mapping[str, Any]) -> list[DockerCommand]:
    # The poll the executor repeats until the timeout (State.Status, not State.Running,
    # which stays true while a restart policy restarts a crashing container).
    return [
        DockerCommand(
            ("container", "inspect", "--format={{json .State}}", "--", _require(step, "name"))
        )
    ]


def _ensure_network(step: Mapping[str, Any]) -> list[DockerCommand]:
    # The executor runs the create only when the inspect fails (the network is missing:
    # user NAT networks do not survive a reboot on Server 2019 and later).
    name = _require(step, "name")
    return [
        DockerCommand(("network", "inspect", "--", name)),
        DockerCommand(
            (
                "network",
                "create",
                "--driver=nat",
                _flag("--subnet", _require(step, "subnet")),
                "--",
                name,
            )
        ),
    ]


_RENDERERS: dict[str, Callable[[Mapping[str, Any]], list[DockerCommand]]] = {
    "create": _create,
    "start": lambda s: [DockerCommand(("start", "--", _require(s, "name")))],
    "wait_running": _wait_running,
    "stop": _stop,
    "remove": _remove,
    "rename": lambda s: [
        DockerCommand(("rename", "--", _require(s, "name"), _require(s, "new_name")))
    ],
    "remove_image": lambda s: [DockerCommand(("image", "rm", "--", _require(s, "image")))],
    "ensure_network": _ensure_network,
}


ACTIONS = ("pull", *_RENDERERS)


def render_step(
    step: Mapping[str, Any], registry_users: Mapping[str, str] | None = None
) -> list[DockerCommand]:
    """The docker command lines of one step, in the order the executor runs them.

    ``registry_users`` maps a registry to the user name of its credentials (the module's
    ``registry_credentials``), for a pull step that names a registry."""
    action = step.get("action")
    if action == "pull":
        return _pull(step, registry_users or {})
    if action not in _RENDERERS:
        raise ValueError(f"unknown step action {action!r} (one of {', '.join(ACTIONS)})")
    return _RENDERERS[action](step)
