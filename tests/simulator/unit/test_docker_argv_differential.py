"""The rendered argv, run through the real docker CLI against the simulated Engine API,
leaves the same simulated host as today's container_steps model for the same steps.

Two copies of one fleet: on the first, ``wcsim/modules/container_steps.py`` carries the
steps out by name; on the second, ``docker_argv.render_step`` renders them and the docker
CLI the host uses (``wcsim/docker_cli.py``: the 20.10 CLI for a 20.10 engine when the set-up
extracted it, else ``docker`` on PATH) sends them to ``wcsim/engine_api.py``. The hosts'
containers and images must then be equal, and a refused step must fail with the same
daemon message. The CLI's request bodies are checked too (docker/cli's own parsing).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
import textwrap
from typing import Any

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan,
    docker_argv,
    workload_spec,
)
from wcsim import docker_cli, engine_api
from wcsim.engine import EngineError
from wcsim.fleet import Fleet

# Skipped only outside CI: in CI (CI=true) a missing docker CLI fails these tests.
pytestmark = pytest.mark.skipif(
    shutil.which("docker") is None and not os.environ.get("CI"),
    reason="no docker CLI on PATH (the machine image ships one; CI fails without it)",
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
PRIVATE = "registry.woodgrove.example/tenant-api:1.8"
FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2849"}}
    {PRIVATE}: {{os_version: "10.0.20348.2849", user: ContainerUser}}
  credentials:
    registry.woodgrove.example: {{username: puller, password: pull-secret}}
hosts:
  h27:
    os_version: "10.0.20348.2849"
    features: [Containers, Hyper-V]
    engine: {{version: "27.3.1"}}
  h20:
    os_version: "10.0.20348.2849"
    features: [Containers]
    engine: {{version: "20.10.24"}}
"""
SECRETS = {"web/TOKEN": "t0ken value with spaces"}
CREDENTIALS = [
    {"registry": "registry.woodgrove.example", "username": "puller", "password": "pull-secret"}
]
LABELS = {"trustbound.wincontainers.managed": "true", "tier": "a=b"}

STEPS = [
    {"action": "pull", "image": NANO},
    {"action": "pull", "image": PRIVATE, "registry": "registry.woodgrove.example"},
    {
        "action": "create",
        "name": "web",
        "image": NANO,
        "isolation": "hyperv",
        "user": "ContainerUser",
        "entrypoint": "cmd.exe",
        "command": ["/c", "ping", "-t", "localhost"],
        "env": {"MODE": "prod", "TOKEN": {"secret": "web/TOKEN"}},
        "ports": ["8080:80/tcp", "0.0.0.0:8443:443/tcp"],
        "mounts": ["C:\\data:C:\\app:ro", "logs:C:\\logs"],
        "networks": ["nat", "backend"],
        "restart_policy": "on-failure:3",
        "memory_bytes": "536870912",
        "cpus": 1.5,
        "labels": LABELS,
    },
    {"action": "start", "name": "web"},
    {"action": "wait_running", "name": "web", "timeout": 5},
    {
        "action": "create",
        "name": "web-next",
        "image": PRIVATE,
        "isolation": "process",
        "user": "ContainerUser",
        "labels": LABELS,
    },
    {"action": "stop", "name": "web", "timeout": 1},
    {"action": "start", "name": "web-next"},
    {"action": "remove", "name": "web", "force": True},
    {"action": "rename", "name": "web-next", "new_name": "web"},
    {"action": "create", "name": "web", "image": NANO},  # refused: the name is taken
    {"action": "remove_image", "image": PRIVATE},  # refused: a container uses it
    {"action": "create", "name": "bad", "image": NANO, "isolation": "process", "cpus": 64.0},
    {"action": "stop", "name": "web", "timeout": 1},
    {"action": "remove", "name": "web"},
    {"action": "remove_image", "image": PRIVATE},
]


@pytest.fixture
def fleets(tmp_path):
    path = tmp_path / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    model = Fleet.load(path, tmp_path / "model")
    cli = Fleet.load(path, tmp_path / "cli")
    for fleet in (model, cli):
        for name in fleet.names:
            fleet.host(name).state.networks.append("backend")
    apis = engine_api.EngineApis(cli, tmp_path / "cli")
    apis.start()
    yield model, cli, tmp_path / "cli"
    apis.stop()


def by_model(host, step, secrets=SECRETS) -> str:
    try:
        with host.exclusive():
            EngineReference._carry_out(host, step, secrets, CREDENTIALS)
    except StepFailed as failure:
        return failure.stderr
    return ""


def by_cli(binary, docker_host, step, secrets=SECRETS) -> str:
    users = {c["registry"]: c["username"] for c in CREDENTIALS}
    passwords = {c["registry"]: c["password"] for c in CREDENTIALS}
    with tempfile.TemporaryDirectory() as config:  # the step's own client config
        for command in docker_argv.render_step(step, registry_users=users):
            env = {name: secrets[key] for name, key in command.env.items()}
            stdin = passwords[command.stdin] if command.stdin else None
            done = docker_cli.run(
                binary, docker_host, list(command.argv), env=env, stdin=stdin, config=config
            )
            if done.returncode != 0:
                assert done.returncode in (1, 125), done.stderr  # 125: docker create's
                return done.stderr
            if step["action"] == "wait_running":
                return wait_outcome(step, json.loads(done.stdout))
    return ""


def wait_outcome(step, state: dict) -> str:
    """The executor's verdict on one poll (the model's texts; the simulated clock stands)."""
    if state["Status"] == "running":
        return ""
    if state["Status"] == "exited":
        return (
            f"container '{step['name']}' exited with code {state['ExitCode']} right after"
            f" start; last log lines: {state['Error'] or '(no output)'}"
        )
    return (
        f"container '{step['name']}' is not running after {step['timeout']} seconds"
        f" (status {state['Status']})"
    )


def daemon_message(stderr: str) -> str:
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    # Container ids differ between the two copies (they hash the clock).
    return re.sub(r"\b[0-9a-f]{12}(?:[0-9a-f]{52})?\b", "<id>", first).removeprefix(
        "Error response from daemon: "
    )


def difference(got: dict, expected: dict) -> list:
    pairs = zip(got["containers"], expected["containers"], strict=False)
    return [(k, a[k], b[k]) for a, b in pairs for k in a if a[k] != b.get(k)] or [got, expected]


def comparable(host) -> dict:
    containers = []
    for container in host.state.containers:
        data = dataclasses.asdict(container)
        for key in ("id", "created_at", "started_at", "finished_at"):
            data.pop(key)
        data["error"] = re.sub(r"\b[0-9a-f]{64}\b", "<id>", data["error"])
        # PortBindings is a map, and docker/cli collects -v binds from a map
        # (cli/command/container/opts.go parse, copts.volumes.GetMap()): no order is kept.
        data["ports"] = sorted(data["ports"])
        data["mounts"] = sorted(data["mounts"])
        # The 20.10.24 CLI sent Env in varying order here (seen in this test); the order of
        # environment variables means nothing to a process.
        data["env"] = sorted(data["env"])
        containers.append(data)
    images = [dataclasses.asdict(i) for i in host.state.images]
    return {"containers": containers, "images": images}


@pytest.mark.parametrize("host", ["h27", "h20"])
def test_rendered_argv_through_the_docker_cli_equals_the_model(fleets, host):
    model, cli, state_dir = fleets
    binary = docker_cli.cli_for(cli.host(host).state.engine.version)
    docker_host = engine_api.docker_host(state_dir, host)
    refused = 0
    for index, step in enumerate(STEPS):
        expected = by_model(model.host(host), step)
        got = by_cli(binary, docker_host, step)
        assert daemon_message(got) == daemon_message(expected), f"step {index} {step['action']}"
        refused += bool(expected)
        got_state, expected_state = comparable(cli.host(host)), comparable(model.host(host))
        assert got_state == expected_state, (
            f"after step {index}: {difference(got_state, expected_state)}"
        )
    # the refusals above were met, by both; h20 has no Hyper-V: its hyperv web never starts
    assert refused == {"h27": 3, "h20": 5}[host]
    assert comparable(cli.host(host))["images"] and not cli.host(host).state.containers


def test_the_cli_request_bodies_are_docker_clis_own(fleets, monkeypatch):
    _, _, state_dir = fleets
    seen = []
    handle = engine_api.EngineApi.handle

    def recording(self, method, target, headers, body):
        seen.append((method, target, body))
        return handle(self, method, target, headers, body)

    monkeypatch.setattr(engine_api.EngineApi, "handle", recording)
    binary = docker_cli.cli_for("27.3.1")
    docker_host = engine_api.docker_host(state_dir, "h27")
    assert by_cli(binary, docker_host, STEPS[0]) == ""
    assert by_cli(binary, docker_host, STEPS[2]) == ""
    create = next(b for m, t, b in seen if m == "POST" and "/containers/create" in t)
    target = next(t for m, t, b in seen if m == "POST" and "/containers/create" in t)
    assert target.startswith("/v1.47/containers/create?name=web")
    body = json.loads(create)
    host_config = body["HostConfig"]
    assert sorted(host_config["Binds"]) == ["C:\\data:C:\\app:ro", "logs:C:\\logs"]
    assert host_config["Isolation"] == "hyperv"
    assert host_config["Memory"] == 536870912
    assert host_config["NanoCpus"] == 1500000000
    assert host_config["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host_config["NetworkMode"] == "nat"
    assert host_config["PortBindings"]["443/tcp"] == [{"HostIp": "0.0.0.0", "HostPort": "8443"}]
    assert body["User"] == "ContainerUser"
    assert body["Entrypoint"] == ["cmd.exe"]
    assert body["Cmd"] == ["/c", "ping", "-t", "localhost"]
    # --env=TOKEN took the value from the CLI's environment: it is in the body, not the argv.
    assert sorted(body["Env"]) == ["MODE=prod", "TOKEN=t0ken value with spaces"]
    connect = next(b for m, t, b in seen if t.endswith("/networks/backend/connect"))
    assert json.loads(connect)["Container"] == "web"


def test_a_misspelled_flag_fails_in_the_cli_before_any_request_is_served(fleets, monkeypatch):
    _, _, state_dir = fleets
    seen = []
    monkeypatch.setattr(engine_api.EngineApi, "_route", lambda self, *a: seen.append(a[:2]))
    done = docker_cli.run(
        docker_cli.cli_for("27.3.1"),
        engine_api.docker_host(state_dir, "h27"),
        ["create", "--isolaton=hyperv", "--", NANO],
    )
    assert done.returncode == 125 and "unknown flag: --isolaton" in done.stderr
    # docker 28 pings the daemon first (negotiating the API version); nothing else is sent.
    assert [path for _, path in seen] in ([], ["/_ping"])


def test_a_newer_api_version_than_the_engine_s_is_refused_as_dockerd_does(fleets):
    _, _, state_dir = fleets
    done = docker_cli.run(
        docker_cli.cli_for("27.3.1"),
        engine_api.docker_host(state_dir, "h20"),
        ["ps"],
        env={"DOCKER_API_VERSION": "1.47"},
    )
    assert done.returncode == 1
    assert "client version 1.47 is too new. Maximum supported API version is 1.41" in done.stderr


def planned_steps(host: str) -> tuple[list[dict], dict[str, str]]:
    """What container_plan itself plans for a new workload (create, start, wait_running)."""
    entry = {
        "name": "api",
        "image": NANO,
        "env": {"MODE": "prod"},
        "secret_env": {"TOKEN": "planned secret"},
        "ports": ["8080:80"],
        "mounts": ["C:\\data:C:\\app:ro"],
        "networks": ["nat", "backend"],
        "restart_policy": "unless-stopped",
        "memory": "1g",
        "cpus": 0.5,
        "labels": {"tier": "api"},
    }
    spec = workload_spec.normalise_workloads([entry], host=host)[0]
    desired = container_plan.Desired(
        spec=spec,
        isolation="process",
        user="ContainerUser",
        trust_boundary="acme",
        trust_level="trusted",
        decision={"isolation": "process", "user": "ContainerUser", "reasons": [], "rules": []},
        hash_key=container_plan.host_hash_key("test-key", host),
    )
    plan = container_plan.plan([desired], [], owner="inv")
    return [{"action": "pull", "image": NANO}, *plan.steps], plan.secrets


def test_the_planner_s_own_steps_through_the_cli_equal_the_model(fleets):
    model, cli, state_dir = fleets
    steps, secrets = planned_steps("h27")
    assert [s["action"] for s in steps] == ["pull", "create", "start", "wait_running"]
    binary = docker_cli.cli_for("27.3.1")
    docker_host = engine_api.docker_host(state_dir, "h27")
    for step in steps:
        assert by_model(model.host("h27"), step, secrets) == ""
        assert by_cli(binary, docker_host, step, secrets) == ""
    assert comparable(cli.host("h27")) == comparable(model.host("h27"))
    made = cli.host("h27").engine.get("api")
    assert "TOKEN=planned secret" in made.env and made.networks == ["nat", "backend"]
    assert made.memory_bytes == 1024**3 and made.cpus == 0.5
    assert made.labels[container_plan.LABEL_CONFIG_HASH].startswith("v2-hmac-sha256:")


# The engine model called by name: what wcsim/modules/container_steps.py did before it ran
# the docker CLI (kept here as the reference the rendered argv must match).
class StepFailed(Exception):
    """A step's non-zero exit: ``stderr`` as the docker CLI prints it."""

    def __init__(self, stderr: str, rc: int = 1, **extra: Any) -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.rc = rc
        self.extra = extra


class EngineReference:
    @staticmethod
    def _carry_out(
        host: Any,
        step: dict[str, Any],
        secrets: dict[str, Any],
        credentials: list[dict[str, Any]],
    ) -> dict[str, Any]:
        engine = host.engine
        action = step["action"]
        try:
            if action == "pull":
                return EngineReference._pull(engine, step, credentials)
            if action == "create":
                engine.create(
                    step["name"],
                    step["image"],
                    isolation=step.get("isolation") or "",
                    user=step.get("user"),
                    command=step.get("command") or [],
                    entrypoint=[step["entrypoint"]] if step.get("entrypoint") else [],
                    env=EngineReference._env(step.get("env") or {}, secrets),
                    ports=step.get("ports") or [],
                    mounts=step.get("mounts") or [],
                    networks=step.get("networks") or None,
                    restart_policy=step.get("restart_policy") or "no",
                    memory_bytes=int(step.get("memory_bytes") or 0),
                    cpus=step.get("cpus") or 0,
                    labels=step.get("labels") or {},
                )
            elif action == "start":
                engine.start(step["name"])
            elif action == "wait_running":
                return EngineReference._wait_running(engine, step)
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
