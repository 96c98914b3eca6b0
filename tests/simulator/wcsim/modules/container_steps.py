"""Model of trustbound.wincontainers.container_steps on a simulated host.

Carries out the same steps as plugins/modules/container_steps.ps1, through
the engine model (``host.engine``), whose refusals carry docker's own
messages. Like the .ps1 it decides nothing: steps run in order, the first
failure stops the run and that step's ``on_failure`` steps run.
"""

from __future__ import annotations

import time
from typing import Any

from .. import host_lock
from ..engine import EngineError
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


def _step_options() -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {
        "action": {"type": "str", "required": True, "choices": list(ACTIONS)},
        "name": {"type": "str"},
        "subnet": {"type": "str"},
        "workload": {"type": "str"},
        "image": {"type": "str"},
        "registry": {"type": "str"},
        "isolation": {"type": "str", "choices": ["process", "hyperv"]},
        "user": {"type": "str"},
        "command": {"type": "list", "elements": "str"},
        "entrypoint": {"type": "str"},
        "env": {"type": "dict"},
        "ports": {"type": "list", "elements": "str"},
        "mounts": {"type": "list", "elements": "str"},
        "networks": {"type": "list", "elements": "str"},
        "restart_policy": {"type": "str"},
        "memory_bytes": {"type": "str"},
        "cpus": {"type": "float"},
        "storage_bytes": {"type": "str"},
        "labels": {"type": "dict"},
        "timeout": {"type": "int"},
        "force": {"type": "bool", "default": False},
        "new_name": {"type": "str"},
    }
    options["on_failure"] = {"type": "list", "elements": "dict", "options": ROLLBACK_OPTIONS}
    return options


# A rollback step: only the actions and fields the planner's rollbacks use.
ROLLBACK_OPTIONS: dict[str, dict[str, Any]] = {
    "action": {"type": "str", "required": True, "choices": ["start", "stop", "remove", "rename"]},
    "name": {"type": "str", "required": True},
    "workload": {"type": "str"},
    "timeout": {"type": "int"},
    "force": {"type": "bool", "default": False},
    "new_name": {"type": "str"},
}


class StepFailed(Exception):
    """A step's non-zero exit: ``stderr`` as the docker CLI prints it."""

    def __init__(self, stderr: str, rc: int = 1, **extra: Any) -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.rc = rc
        self.extra = extra


@register
class ContainerSteps(Model):
    name = "trustbound.wincontainers.container_steps"
    supports_check_mode = True
    # Two module runs against one host run at once on Windows: the host lock, not the
    # simulator, keeps them apart.
    concurrent = True
    options: dict[str, dict[str, Any]] = {  # noqa: RUF012 - read-only registry data
        "steps": {
            "type": "list",
            "elements": "dict",
            "required": True,
            "options": _step_options(),
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
        "docker_path": {"type": "str", "default": "docker.exe"},
        "lock_timeout": {"type": "int", "default": 0},
        "lock_holder": {"type": "str", "default": "trustbound.wincontainers.container_steps"},
        "replan_after_wait": {"type": "bool", "default": False},
        "lease_id": {"type": "str", "default": ""},
        "lease_seconds": {"type": "int", "default": 0},
    }
    returns = frozenset({"results", "failed_step", "msg", "lock", "replan"})

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        del diff
        steps = params.get("steps") or []
        secrets = {entry["key"]: entry["value"] for entry in params.get("secrets") or []}
        credentials = params.get("registry_credentials") or []
        results: list[dict[str, Any]] = []
        if check_mode:
            for index, step in enumerate(steps):
                results.append(
                    self._result(step, index, rc=None, stderr="", rollback=False)
                    | {"changed": step["action"] != "wait_running"}
                )
            return {
                "changed": bool(steps),
                "results": results,
                "failed_step": None,
                "msg": f"check mode: {len(steps)} step(s) planned, none carried out",
            }

        lease_id = params.get("lease_id") or ""
        holder = params.get("lock_holder") or ""
        try:
            token, lock = host_lock.acquire(host, params.get("lock_timeout") or 0, holder, lease_id)
        except ModuleFailure as failure:
            failure.extra.update(results=[], failed_step=None)
            raise
        # Exit-HostLock on a normal end: the lease this run leaves (none: an empty record).
        lease = {"holder": holder, "lease_id": lease_id, "seconds": params.get("lease_seconds")}
        if params.get("replan_after_wait") and lock["contended"]:
            # The plan was made from a read taken before the other run's change; a lease this
            # run was let in on stays as it was (-KeepLease).
            with host.exclusive():
                host_lock.release(host, token, keep=lock.get("lease"))
            return {
                "changed": False,
                "results": [],
                "failed_step": None,
                "lock": lock,
                "replan": True,
                "msg": "another run held the host lock when this one arrived; no step carried"
                " out, since the plan predates that run's change",
            }
        try:
            result = self._run_steps(host, steps, secrets, credentials)
        except ModuleFailure as failure:
            failure.extra.update(lock=lock, replan=False)
            with host.exclusive():
                host_lock.release(host, token)  # a failed run ends any lease
            raise
        with host.exclusive():
            host_lock.release(host, token, lease)
        return result | {"lock": lock, "replan": False}

    def _run_steps(self, host, steps, secrets, credentials) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        changed = False
        pause = float(host.faults.get("step_seconds") or 0)
        for index, step in enumerate(steps):
            if pause:
                time.sleep(pause)  # a docker command takes time; the other run may act meanwhile
            try:
                with host.exclusive():
                    extra = self._carry_out(host, step, secrets, credentials)
            except StepFailed as failure:
                results.append(
                    self._result(step, index, rc=failure.rc, stderr=failure.stderr, rollback=False)
                    | failure.extra
                )
                for undo in step.get("on_failure") or []:
                    try:
                        with host.exclusive():
                            self._carry_out(host, undo, secrets, credentials)
                        results.append(self._result(undo, index, rc=0, stderr="", rollback=True))
                        changed = True
                    except StepFailed as undo_failure:
                        results.append(
                            self._result(
                                undo,
                                index,
                                rc=undo_failure.rc,
                                stderr=undo_failure.stderr,
                                rollback=True,
                            )
                        )
                raise ModuleFailure(
                    f"step {index} ({step['action']} {step.get('name') or step.get('image')})"
                    f" failed: {failure.stderr.strip()}",
                    changed=changed,
                    results=results,
                    failed_step=index,
                ) from None
            results.append(self._result(step, index, rc=0, stderr="", rollback=False) | extra)
            if step["action"] != "wait_running":
                changed = True
        return {
            "changed": changed,
            "results": results,
            "failed_step": None,
            "msg": f"{len(steps)} step(s) carried out",
        }

    @staticmethod
    def _result(step: dict[str, Any], index: int, *, rc: int | None, stderr: str, rollback: bool):
        return {
            "index": index,
            "action": step["action"],
            "name": step.get("name") or step.get("image"),
            "workload": step.get("workload"),
            "changed": rc == 0 and step["action"] != "wait_running",
            "rc": rc,
            "stderr": stderr,
            "rollback": rollback,
        }

    def _carry_out(
        self,
        host: Any,
        step: dict[str, Any],
        secrets: dict[str, Any],
        credentials: list[dict[str, Any]],
    ) -> dict[str, Any]:
        engine = host.engine
        action = step["action"]
        try:
            if action == "pull":
                return self._pull(engine, step, credentials)
            if action == "create":
                engine.create(
                    step["name"],
                    step["image"],
                    isolation=step.get("isolation") or "",
                    user=step.get("user"),
                    command=step.get("command") or [],
                    entrypoint=[step["entrypoint"]] if step.get("entrypoint") else [],
                    env=self._env(step.get("env") or {}, secrets),
                    ports=step.get("ports") or [],
                    mounts=step.get("mounts") or [],
                    networks=step.get("networks") or None,
                    restart_policy=step.get("restart_policy") or "no",
                    memory_bytes=int(step.get("memory_bytes") or 0),
                    cpus=step.get("cpus") or 0,
                    # container_steps.ps1: --storage-opt size=<bytes>
                    storage_opt=(
                        {"size": step["storage_bytes"]} if step.get("storage_bytes") else None
                    ),
                    labels=step.get("labels") or {},
                )
            elif action == "start":
                engine.start(step["name"])
            elif action == "wait_running":
                return self._wait_running(engine, step)
            elif action == "stop":
                engine.stop(
                    step["name"], timeout=10 if step.get("timeout") is None else step["timeout"]
                )
            elif action == "remove":
                engine.remove(step["name"], force=bool(step.get("force")))
            elif action == "rename":
                engine.rename(step["name"], step["new_name"])
            elif action == "remove_image":
                engine.remove_image(step["image"])
            elif action == "ensure_network" and step["name"] not in engine.networks():
                # container_steps.ps1: docker network inspect, then create when missing.
                engine.create_network(step["name"], driver="nat", subnet=step.get("subnet"))
        except EngineError as error:
            raise StepFailed(error.stderr) from None
        return {}

    @staticmethod
    def _env(env: dict[str, Any], secrets: dict[str, Any]) -> list[str]:
        entries = []
        for name, value in env.items():
            text = value
            if isinstance(value, dict):
                key = value.get("secret")
                if key not in secrets:
                    raise StepFailed(
                        f"secret '{key}' is referenced by a step but missing from the secrets"
                        " option"
                    )
                text = secrets[key]
            entries.append(f"{name}={text}")
        return entries

    @staticmethod
    def _pull(
        engine: Any, step: dict[str, Any], credentials: list[dict[str, Any]]
    ) -> dict[str, Any]:
        registry = step.get("registry")
        login = None
        if registry:
            login = next((c for c in credentials if c.get("registry") == registry), None)
            if login is None:
                raise StepFailed(f"no registry credentials for '{registry}'")
            engine.login(registry, login["username"], login["password"])
        try:
            image, _changed = engine.pull(step["image"])
        finally:
            if login is not None and engine.record is not None:
                # docker logout: the engine model has no method for it; forget the login.
                engine.record.logins.pop(registry, None)
        return {
            "image": {
                "id": image.id,
                "repo_tags": list(image.repo_tags),
                "repo_digests": list(image.repo_digests),
                "os_version": image.os_version,
                "user": image.user,
            }
        }

    @staticmethod
    def _wait_running(engine: Any, step: dict[str, Any]) -> dict[str, Any]:
        # The simulated clock does not move while a step runs: one inspect tells it all.
        data = engine.inspect(step["name"])
        if data["running"]:
            return {}
        if data["state"] == "exited":
            raise StepFailed(
                f"container '{step['name']}' exited with code {data['exit_code']} right after"
                f" start; last log lines: {data.get('error') or '(no output)'}",
                exit_code=data["exit_code"],
            )
        timeout = 10 if step.get("timeout") is None else step["timeout"]
        raise StepFailed(
            f"container '{step['name']}' is not running after {timeout} seconds"
            f" (status {data['state']})"
        )
