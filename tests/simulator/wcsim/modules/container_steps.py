"""Model of trustbound.wincontainers.container_steps on a simulated host: the executor.

Does what plugins/modules/container_steps.ps1 does, with the same options: it runs the
docker command lines the controller rendered (plugins/plugin_utils/executor_args.py) and
decides nothing. The host's ``docker.exe`` is the real docker CLI (wcsim/docker_cli.py picks
the binary), run against the host's Docker Engine API (wcsim/engine_api.py), so flag parsing,
request bodies, error output and exit codes are docker/cli's own, and the daemon's rules and
messages those of the engine model. A missing CLI fails the run (``DockerCliMissing``),
never a fall-back to a model.

Each CLI run is logged (argv only, never an environment value or stdin) to
``<state_dir>/docker-cli/<host>.jsonl``, so a test can tell what a host ran.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from .. import docker_cli, engine_api, host_lock
from . import Model, ModuleFailure, register

ACTIONS = [
    "pull",
    "create",
    "start",
    "wait_running",
    "stop",
    "remove",
    "rename",
    "remove_image",
    "ensure_network",
]
# The first argv words the executor runs (container_steps.ps1 $allowed): the subcommands
# plugins/plugin_utils/docker_argv.py and executor_args.py render.
ALLOWED = frozenset(
    {"create", "start", "stop", "rm", "rename", "pull", "login", "logout", "logs",
     "image", "container", "network"}
)  # fmt: skip
# docker/cli's global options (cli/flags/options.go InstallFlags): none may reach the CLI,
# so a step can never point it at another daemon or another client config.
GLOBAL_FLAGS = ("-H", "--host", "--context", "-c", "--config", "-l", "--log-level",
                "-D", "--debug", "--tls")  # fmt: skip
LOG_DIR = "docker-cli"

_ARGV = {"argv": {"type": "list", "elements": "str", "required": True}}
COMMAND_OPTIONS: dict[str, dict[str, Any]] = {
    **_ARGV,
    "env": {"type": "dict"},
    "stdin": {"type": "str"},
    "capture": {"type": "bool", "default": False},
    "undo": {"type": "list", "elements": "dict", "options": dict(_ARGV)},
}
_REPORT = {
    "action": {"type": "str", "required": True, "choices": list(ACTIONS)},
    "name": {"type": "str"},
    "workload": {"type": "str"},
    "image": {"type": "str"},
    "container_id": {"type": "str"},
    "commands": {"type": "list", "elements": "dict", "default": [], "options": COMMAND_OPTIONS},
}
ROLLBACK_OPTIONS: dict[str, dict[str, Any]] = dict(_REPORT)
STEP_OPTIONS: dict[str, dict[str, Any]] = {
    **_REPORT,
    "skip_if": {"type": "dict", "options": COMMAND_OPTIONS},
    "poll": {
        "type": "dict",
        "options": {
            "command": {"type": "dict", "required": True, "options": COMMAND_OPTIONS},
            "success": {"type": "str", "required": True},
            "failure": {"type": "list", "elements": "str", "default": []},
            "successes": {"type": "int", "default": 1},
            "interval": {"type": "int", "default": 1},
            "timeout": {"type": "int", "default": 10},
        },
    },
    "diagnose": {"type": "list", "elements": "dict", "default": [], "options": COMMAND_OPTIONS},
    "finally": {"type": "list", "elements": "dict", "default": [], "options": COMMAND_OPTIONS},
    "on_failure": {"type": "list", "elements": "dict", "options": ROLLBACK_OPTIONS},
}


class Refused(Exception):
    """A command the executor will not run (not an allowed subcommand, a global flag, a
    secret or registry password it was not given)."""


def check_command(command: dict[str, Any], secrets: dict) -> None:
    """container_steps.ps1 ``Assert-Command``: the argv as ``check_argv``, and every secret
    key the command names (its env values, its stdin) given in the module's options."""
    check_argv(command["argv"])
    keys = [
        *(command.get("env") or {}).values(),
        *([command["stdin"]] if command.get("stdin") else []),
    ]
    for key in keys:
        if key not in secrets:
            raise Refused(f"refused: secret '{key}' is referenced by a step but missing from"
                          " the secrets option")  # fmt: skip


def check_argv(argv: list[str]) -> None:
    """The first word an allowed subcommand, and no global flag before the ``--`` that ends
    option parsing."""
    if not argv or argv[0] not in ALLOWED:
        raise Refused(f"refused: '{argv[0] if argv else ''}' is not a docker subcommand this"
                      " executor runs")  # fmt: skip
    for word in argv:
        if word == "--":
            break
        if word in GLOBAL_FLAGS or word.split("=", 1)[0] in GLOBAL_FLAGS:
            raise Refused(f"refused: the global option '{word}' is not allowed")


@register
class ContainerSteps(Model):
    name = "trustbound.wincontainers.container_steps"
    supports_check_mode = True
    # Two module runs against one host run at once on Windows: the host lock, not the
    # simulator, keeps them apart; each Engine API request takes host.exclusive() itself.
    concurrent = True
    options: dict[str, dict[str, Any]] = {  # noqa: RUF012 - read-only registry data
        "steps": {"type": "list", "elements": "dict", "required": True, "options": STEP_OPTIONS},
        "preconditions": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                **_ARGV,
                "rc": {"type": "int", "default": 0},
                "stdout": {"type": "str", "default": ""},
            },
        },
        "secrets": {
            "type": "list",
            "elements": "dict",
            "no_log": True,
            "default": [],
            "options": {
                "key": {"type": "str", "required": True, "no_log": False},
                "value": {"type": "str", "required": True, "no_log": True},
            },
        },
        # Used by the action plugin (executor_args passes each password as a secret); ignored.
        "registry_credentials": {
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "registry": {"type": "str", "required": True},
                "username": {"type": "str", "required": True},
                "password": {"type": "str", "required": True, "no_log": True},
            },
        },
        "lock_timeout": {"type": "int", "default": 0},
        "lock_holder": {"type": "str", "default": "trustbound.wincontainers.container_steps"},
        "replan_after_wait": {"type": "bool", "default": False},
        "lease_id": {"type": "str", "default": ""},
        "lease_seconds": {"type": "int", "default": 0},
        "keep_lease_on_failure": {"type": "bool", "default": False},
        "keep_lease": {"type": "bool", "default": False},
        "client_config": {"type": "str"},
    }
    returns = frozenset({"outcomes", "failed_step", "msg", "lock", "replan", "carried_out"})

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        del diff
        steps = params.get("steps") or []
        secrets = {e["key"]: e["value"] for e in params.get("secrets") or []}
        try:
            for step in steps:
                for command in _commands(step):
                    check_command(command, secrets)
            for check in params.get("preconditions") or []:
                check_command(check, secrets)
        except Refused as refused:
            # Before the lock and any command (in check mode too): nothing on the host changed.
            raise ModuleFailure(str(refused), outcomes=[], failed_step=None) from None
        if check_mode:
            return {
                "changed": bool(steps),
                "outcomes": [],
                "carried_out": False,
                "failed_step": None,
                "msg": f"check mode: {len(steps)} step(s) planned, none carried out",
            }
        with tempfile.TemporaryDirectory(prefix="wcsim-run-config-") as config:
            if params.get("client_config"):
                (Path(config) / "config.json").write_text(params["client_config"], "utf-8")
            return self._apply(host, params, _Runner(host, params, config))

    def _apply(self, host: Any, params: dict[str, Any], runner: _Runner) -> dict[str, Any]:
        steps = params.get("steps") or []
        lease_id = params.get("lease_id") or ""
        holder = params.get("lock_holder") or ""
        try:
            token, lock = host_lock.acquire(host, params.get("lock_timeout") or 0, holder, lease_id)
        except ModuleFailure as failure:
            failure.extra.update(outcomes=[], failed_step=None)
            raise
        # Exit-HostLock on a normal end: the lease this run leaves (none: an empty record).
        lease = {"holder": holder, "lease_id": lease_id, "seconds": params.get("lease_seconds")}
        replan = None
        if params.get("replan_after_wait") and lock["contended"]:
            replan = "another run held the host lock when this one arrived"
        else:
            replan = runner.preconditions(params.get("preconditions") or [])
        if replan:
            # The plan was made from a read the host no longer matches; a lease this run
            # was let in on stays as it was (-KeepLease).
            with host.exclusive():
                host_lock.release(host, token, keep=lock.get("lease"))
            return {
                "changed": False,
                "outcomes": [],
                "failed_step": None,
                "lock": lock,
                "replan": True,
                "msg": f"{replan}; no step carried out, since the plan predates that change",
            }
        try:
            result = runner.steps(steps)
        except ModuleFailure as failure:
            failure.extra.update(lock=lock, replan=False)
            kept = params.get("keep_lease_on_failure") or params.get("keep_lease")
            keep = lock.get("lease") if kept else None
            with host.exclusive():
                # A failed run ends any lease, unless asked to keep the one it was given.
                host_lock.release(host, token, keep=keep)
            raise
        with host.exclusive():
            if params.get("keep_lease"):
                # -KeepLease: the lease this run was let in on stays for the run after it.
                host_lock.release(host, token, keep=lock.get("lease"))
            else:
                host_lock.release(host, token, lease)
        return result | {"lock": lock, "replan": False}


def _commands(step: dict[str, Any]) -> list[dict[str, Any]]:
    commands = list(step.get("commands") or [])
    for command in list(commands):
        commands += command.get("undo") or []
    for key in ("diagnose", "finally"):
        commands += step.get(key) or []
    if step.get("skip_if"):
        commands.append(step["skip_if"])
    if step.get("poll"):
        commands.append(step["poll"]["command"])
    for undo in step.get("on_failure") or []:
        commands += _commands(undo)
    return commands


def log_run(log: Path, binary: str, argv: list[str], rc: int, seconds: float) -> None:
    """One line of ``<state_dir>/docker-cli/<host>.jsonl``: which CLI ran which argv, and the
    run's wall time, which tests/benchmarks/bench_site.py sums apart from the controller's."""
    log.parent.mkdir(parents=True, exist_ok=True)
    line = {"cli": binary, "argv": list(argv), "rc": rc, "seconds": round(seconds, 4)}
    with log.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


class _Runner:
    """Runs one module run's commands through the host's docker CLI."""

    def __init__(self, host: Any, params: dict[str, Any], config: str) -> None:
        self.host = host
        self.secrets = {e["key"]: e["value"] for e in params.get("secrets") or []}
        # DockerCliMissing is not caught: a missing CLI fails the run loudly.
        self.binary = docker_cli.cli_for(host.state.engine.version)
        state_dir = getattr(host, "state_dir", None)
        if state_dir is None:
            raise ModuleFailure(f"host {host.name}: the simulator serves no Engine API here")
        self.docker_host = engine_api.docker_host(state_dir, host.name)
        self.log = Path(state_dir) / LOG_DIR / f"{host.name}.jsonl"
        # The run's own client config directory (container_steps.ps1 sets DOCKER_CONFIG to one
        # in the module's Tmpdir for every command): a login lasts the run, no longer.
        self.config = config

    def run(self, command: dict[str, Any]) -> dict[str, Any]:
        # Every key and registry was checked before the lock (check_command).
        env = {variable: self.secrets[key] for variable, key in (command.get("env") or {}).items()}
        stdin = self.secrets[command["stdin"]] if command.get("stdin") else None
        pause = float(self.host.faults.get("step_seconds") or 0)
        if pause:
            time.sleep(pause)  # a docker command takes time; the other run may act meanwhile
        started = time.monotonic()
        try:
            done = docker_cli.run(
                self.binary,
                self.docker_host,
                list(command["argv"]),
                env=env,
                stdin=stdin,
                config=self.config,
            )
        except subprocess.TimeoutExpired:
            # A CLI that waits (e.g. prompting for a login) fails the step, named.
            return {"rc": 1, "stderr": f"docker {command['argv'][0]} did not finish in time"}
        log_run(self.log, self.binary, command["argv"], done.returncode, time.monotonic() - started)
        outcome: dict[str, Any] = {"rc": done.returncode, "stderr": done.stderr}
        if command.get("capture"):
            outcome["stdout"] = done.stdout
        return outcome

    def preconditions(self, checks: list[dict[str, Any]]) -> str | None:
        for check in checks:
            done = self.run(dict(check, capture=True))
            stdout = done.get("stdout", "").replace("\r", "").strip()
            if done["rc"] != check.get("rc", 0) or stdout != (check.get("stdout") or "").strip():
                return f"the host no longer matches the read: {' '.join(check['argv'])}"
        return None

    def poll(self, poll: dict[str, Any]) -> dict[str, Any]:
        # The engine model's clock stands while a step runs (a started container is running,
        # or has exited at once: faults container_exit_after_start), so the model does not
        # sleep the interval; the .ps1 does (Start-Sleep).
        seen, polls = 0, 0
        limit = max(1, int(poll["timeout"]) // max(1, int(poll["interval"])))
        while True:
            done = self.run(dict(poll["command"], capture=True))
            polls += 1
            if done["rc"] != 0:
                return done | {"failed": True}
            status = done["stdout"].strip()
            seen = seen + 1 if status == poll["success"] else 0
            if seen >= poll["successes"]:
                return done | {"failed": False}
            if status in (poll.get("failure") or []) or polls > limit:
                return done | {"failed": True}

    def step(self, step: dict[str, Any], index: int, **marks: Any) -> dict[str, Any]:
        outcome: dict[str, Any] = {"index": index, **marks, "commands": [], "failed": False}
        try:
            if step.get("skip_if") and self.run(step["skip_if"])["rc"] == 0:
                outcome["skipped"] = True
                return outcome
            for command in step.get("commands") or []:
                done = self.run(command)
                outcome["commands"].append(done)
                if done["rc"] != 0:
                    outcome["failed"] = True
                    for undo in command.get("undo") or []:
                        self.run(undo)
                    break
            if not outcome["failed"] and step.get("poll"):
                polled = self.poll(step["poll"])
                outcome["failed"] = polled.pop("failed")
                outcome["poll"] = polled
            if outcome["failed"]:
                outcome["diagnose"] = [
                    self.run(dict(c, capture=True)) for c in step.get("diagnose") or []
                ]
        finally:
            for command in step.get("finally") or []:
                self.run(command)
        return outcome

    def steps(self, steps: list[dict[str, Any]]) -> dict[str, Any]:
        outcomes: list[dict[str, Any]] = []
        changed = False
        for index, step in enumerate(steps):
            outcome = self.step(step, index)
            outcomes.append(outcome)
            if not outcome["failed"]:
                changed = changed or (bool(step.get("commands")) and not outcome.get("skipped"))
                continue
            for position, undo in enumerate(step.get("on_failure") or []):
                done = self.step(undo, index, rollback=True, position=position)
                outcomes.append(done)
                changed = changed or not done["failed"]
            raise ModuleFailure(
                f"step {index} ({step['action']} {step.get('name') or step.get('image')}) failed",
                changed=changed,
                outcomes=outcomes,
                failed_step=index,
            )
        return {
            "changed": changed,
            "outcomes": outcomes,
            "failed_step": None,
            "msg": f"{len(steps)} step(s) carried out",
        }
