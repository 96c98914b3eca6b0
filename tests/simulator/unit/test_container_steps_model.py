"""The container_steps model: the planned steps rendered by executor_args.py, run through the
real docker CLI against the host's Engine API; the first failure stops, on_failure runs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    executor_args,
    host_read,
)
from wcsim import docker_cli
from wcsim.modules import container_steps as model_module

STEPS = "trustbound.wincontainers.container_steps"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
PRIVATE = "registry.example.com:5000/team/api:1.0"

FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2340"}}
    mcr.microsoft.com/windows/nanoserver:ltsc2025: {{os_version: "10.0.26100.1000"}}
    {PRIVATE}: {{os_version: "10.0.20348.2340"}}
  credentials:
    registry.example.com:5000: {{username: deploy, password: "pa55-word"}}
hosts:
  h1:
    os_version: "10.0.20348.2340"
    features: [Containers, Hyper-V]
    virtualization_extensions: true
    engine: {{version: "27.3.1"}}
    images: [{NANO}]
    containers:
      - {{name: web, image: {NANO}, ports: ["8080:80/tcp"], user: ContainerUser}}
    faults:
      container_exit_after_start: [{{name: broken, exit_code: 3}}]
"""


@pytest.fixture
def sim(make_sim, write_fleet):
    return make_sim(write_fleet(textwrap.dedent(FLEET)))


def create(name, **fields):
    step = {"action": "create", "name": name, "image": NANO, "isolation": "hyperv",
            "user": "ContainerUser"}  # fmt: skip
    step.update(fields)
    return step


def apply(sim, steps, *, secrets=None, credentials=None, check_mode=False, **options):
    """One container_steps run of planned steps, through the boundary both ways."""
    args = executor_args.module_args(steps, secrets=secrets, credentials=credentials, **options)
    rc, reply = sim.module("h1", STEPS, args, check_mode=check_mode)
    return rc, executor_args.read_reply(steps, reply)


def containers(sim):
    return {c.name: c for c in sim.host("h1").state.containers}


def test_options_match_the_ps1_doc_sidecar():
    import ast

    import yaml

    repo_root = Path(__file__).resolve().parents[3]
    source = (repo_root / "plugins/modules/container_steps.py").read_text()
    doc = next(
        node.value.value
        for node in ast.parse(source).body
        if isinstance(node, ast.Assign) and node.targets[0].id == "DOCUMENTATION"
    )
    documented = yaml.safe_load(doc)["options"]

    def shape(options, doc):
        out = {}
        for name, spec in options.items():
            entry = {}
            for key, value in spec.items():
                if key in ("description", "aliases") or (key == "no_log" and not doc):
                    continue
                if key in ("options", "suboptions"):
                    entry["suboptions"] = shape(value, doc)
                else:
                    entry[key] = value
            out[name] = entry
        return out

    # no_log lives in the argument spec (the .ps1 $spec and the model), not in the doc.
    modelled = shape(model_module.ContainerSteps.options, doc=False)
    documented = shape(documented, doc=True)
    assert documented == modelled


def test_create_start_wait_rename_with_secret_env(sim):
    steps = [
        create("api", env={"MODE": "prod", "TOKEN": {"secret": "api/TOKEN"}},
               labels={"trustbound.wincontainers.managed": "true"}),
        {"action": "start", "name": "api"},
        {"action": "wait_running", "name": "api", "timeout": 5},
        {"action": "rename", "name": "api", "new_name": "api2"},
    ]  # fmt: skip
    rc, result = apply(sim, steps, secrets={"api/TOKEN": "t0ken-value"})
    assert rc == 0, result
    assert result["changed"] is True
    assert [r["action"] for r in result["results"]] == ["create", "start", "wait_running", "rename"]
    assert all(r["rc"] == 0 for r in result["results"])
    api = containers(sim)["api2"]
    assert api.running and api.isolation == "hyperv" and api.user == "ContainerUser"
    assert "TOKEN=t0ken-value" in api.env
    assert "t0ken-value" not in str(result)


def test_secret_values_are_masked_in_the_invocation(sim):
    steps = [create("api", env={"TOKEN": {"secret": "api/TOKEN"}})]
    args = executor_args.module_args(steps, secrets={"api/TOKEN": "t0ken-value"})
    rc, result = sim.module(
        "h1",
        STEPS,
        args,
        internal={"_ansible_inject_invocation": True},
    )
    assert rc == 0, result
    assert "invocation" in result
    assert "t0ken-value" not in json.dumps(result)
    assert result["invocation"]["module_args"]["secrets"][0]["key"] == "api/TOKEN"


def test_first_failure_stops_and_runs_its_on_failure_steps(sim):
    steps = [
        create("web-new", ports=["8080:80/tcp"]),
        {"action": "start", "name": "web-new",
         "on_failure": [{"action": "remove", "name": "web-new", "force": True}]},
        {"action": "remove", "name": "web"},
    ]  # fmt: skip
    rc, result = apply(sim, steps)
    assert rc == 1
    assert result["failed_step"] == 1
    assert "The specified port already exists" in result["msg"]
    assert [(r["action"], r["rollback"]) for r in result["results"]] == [
        ("create", False), ("start", False), ("remove", True),
    ]  # fmt: skip
    assert set(containers(sim)) == {"web"}
    assert containers(sim)["web"].running


def test_wait_running_fails_with_exit_code_when_the_container_exits(sim):
    steps = [
        create("broken"),
        {"action": "start", "name": "broken"},
        {"action": "wait_running", "name": "broken", "timeout": 5,
         "on_failure": [{"action": "remove", "name": "broken", "force": True}]},
    ]  # fmt: skip
    rc, result = apply(sim, steps)
    assert rc == 1 and result["failed_step"] == 2
    assert "exited with code 3 right after start" in result["msg"]
    assert result["results"][2]["exit_code"] == 3
    assert "broken" not in containers(sim)


def test_pull_with_login_then_logout_and_image_summary(sim):
    creds = [{"registry": "registry.example.com:5000", "username": "deploy",
              "password": "pa55-word"}]  # fmt: skip
    steps = [{"action": "pull", "image": PRIVATE, "registry": "registry.example.com:5000"}]
    rc, result = apply(sim, steps, credentials=creds)
    assert rc == 0, result
    image = result["results"][0]["image"]
    assert image["os_version"] == "10.0.20348.2340"
    assert sim.host("h1").state.engine.logins == {}
    assert "pa55-word" not in str(result)


def test_pull_without_credentials_gets_the_registry_error(sim):
    rc, result = apply(sim, [{"action": "pull", "image": PRIVATE}])
    assert rc == 1
    assert "no basic auth credentials" in result["msg"]


def test_pull_of_a_newer_image_is_refused_by_the_engine(sim):
    steps = [{"action": "pull", "image": "mcr.microsoft.com/windows/nanoserver:ltsc2025"}]
    rc, result = apply(sim, steps)
    assert rc == 1
    assert "-based image is incompatible with a" in result["msg"]


def test_check_mode_changes_nothing(sim):
    steps = [create("api"), {"action": "start", "name": "api"}]
    rc, result = apply(sim, steps, check_mode=True)
    assert rc == 0
    assert result["changed"] is True
    assert [r["rc"] for r in result["results"]] == [None, None]
    assert "api" not in containers(sim)


def test_unknown_step_field_is_refused_by_the_argument_spec(sim):
    rc, result = sim.module("h1", STEPS, {"steps": [{"action": "create", "name": "x", "bogus": 1}]})
    assert rc == 1
    assert "bogus" in result["msg"]


@pytest.mark.parametrize(
    "argv",
    [
        ["system", "prune", "--force"],  # not a subcommand the controller renders
        ["--host=tcp://evil:2375", "ps"],  # a global option first
        ["start", "-H", "tcp://evil:2375", "--", "web"],
        ["start", "--config=C:\\elsewhere", "--", "web"],
        ["container", "--context=other", "inspect", "--", "web"],
    ],
)
def test_the_executor_refuses_commands_outside_its_allow_list(sim, argv):
    step = {"action": "start", "name": "web", "commands": [{"argv": argv}]}
    before = sim.host("h1").state.engine.running_version
    rc, result = sim.module("h1", STEPS, {"steps": [step]})
    assert rc == 1
    assert result["msg"].startswith("refused: ")
    assert result["outcomes"] == []
    assert sim.host("h1").state.engine.running_version == before
    assert not cli_log(sim)  # refused before any command ran


def test_a_word_after_the_double_dash_is_data_not_an_option(sim):
    step = {"action": "start", "name": "-H", "commands": [{"argv": ["start", "--", "-H"]}]}
    rc, result = sim.module("h1", STEPS, {"steps": [step]})
    assert rc == 1
    assert "No such container: -H" in result["outcomes"][0]["commands"][0]["stderr"]


def test_a_host_that_no_longer_matches_the_read_answers_replan_with_nothing_done(sim):
    web = containers(sim)["web"]
    steps = [{"action": "stop", "name": "web", "timeout": 1}, {"action": "remove", "name": "web"}]
    stale = [{"name": "web", "id": "0" * 64}]  # the read saw another container named web
    rc, result = apply(sim, steps, containers=stale)
    assert rc == 0, result
    assert result["replan"] is True and result["results"] == []
    assert "no longer matches the read" in result["msg"]
    assert containers(sim)["web"].running
    # The same steps against the read's real id are carried out.
    rc, result = apply(sim, steps, containers=[{"name": "web", "id": web.id}])
    assert rc == 0, result
    assert result["replan"] is False
    assert "web" not in containers(sim)


def test_commands_go_through_the_docker_cli_and_are_logged_per_host(sim):
    rc, result = apply(sim, [{"action": "stop", "name": "web", "timeout": 1}])
    assert rc == 0, result
    runs = cli_log(sim)
    assert [r["argv"] for r in runs] == [["stop", "-t=1", "--", "web"]]
    assert runs[0]["cli"] == docker_cli.cli_for("27.3.1")


def test_a_missing_docker_cli_fails_the_run_instead_of_falling_back(sim, monkeypatch, tmp_path):
    monkeypatch.setenv(docker_cli.ENV_VAR, str(tmp_path / "no-such-docker"))
    with pytest.raises(docker_cli.DockerCliMissing, match="no executable docker CLI"):
        apply(sim, [{"action": "stop", "name": "web", "timeout": 1}])
    assert containers(sim)["web"].running


def test_a_failed_run_keeps_its_lease_when_asked(sim):
    lease = "patch-1"
    rc, _ = apply(sim, [], lease_id=lease, lease_seconds=3600)
    assert rc == 0
    rc, _ = apply(sim, [{"action": "start", "name": "nope"}], lease_id=lease,
                  keep_lease_on_failure=True)  # fmt: skip
    assert rc == 1
    assert (read(sim).get("host_lock") or {}).get("lease_id") == lease, read(sim)["host_lock"]
    rc, _ = apply(sim, [{"action": "start", "name": "nope"}], lease_id=lease)
    assert not (read(sim).get("host_lock") or {}).get("lease_id")


def test_keep_lease_leaves_the_lease_after_a_successful_run_too(sim):
    lease = "patch-2"
    rc, _ = apply(sim, [], lease_id=lease, lease_seconds=3600)
    assert rc == 0
    rc, _ = apply(sim, [], lease_id=lease, keep_lease=True)
    assert rc == 0
    assert (read(sim).get("host_lock") or {}).get("lease_id") == lease
    # Without it, a normal end with no lease_seconds ends the lease.
    rc, _ = apply(sim, [], lease_id=lease)
    assert rc == 0 and not (read(sim).get("host_lock") or {}).get("lease_id")


def read(sim):
    """The host's facts, read and mapped as the container_host_info action does."""
    return host_read.read(lambda args: sim.module("h1", host_read.MODULE, args)[1])


def cli_log(sim):
    path = sim.state_dir / model_module.LOG_DIR / "h1.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_refused_command_is_refused_in_check_mode_too(sim):
    step = {"action": "start", "name": "web", "commands": [{"argv": ["-H=tcp://x", "ps"]}]}
    rc, result = sim.module("h1", STEPS, {"steps": [step]}, check_mode=True)
    assert rc == 1 and result["msg"].startswith("refused: ")


@pytest.mark.parametrize(
    ("command", "refusal"),
    [
        ({"argv": ["create", "--env=TOKEN", "--", NANO], "env": {"TOKEN": "api/TOKEN"}},
         "secret 'api/TOKEN' is referenced by a step but missing"),
        ({"argv": ["login", "--password-stdin", "--", "r.example"], "stdin": "r.example"},
         "secret 'r.example' is referenced by a step but missing"),
    ],
)  # fmt: skip
def test_a_secret_or_password_not_given_is_refused_before_anything_runs(sim, command, refusal):
    first = {"action": "stop", "name": "web", "commands": [{"argv": ["stop", "--", "web"]}]}
    steps = [first, {"action": "create", "name": "api", "commands": [command]}]
    for check_mode in (True, False):
        rc, result = sim.module("h1", STEPS, {"steps": steps}, check_mode=check_mode)
        assert rc == 1 and result["msg"].startswith(f"refused: {refusal}"), result
    assert not cli_log(sim)  # not even the first step's command ran


def test_every_command_of_a_run_shares_one_client_config_of_its_own(sim, monkeypatch):
    configs = []
    real = docker_cli.run

    def spy(*args, **kwargs):
        configs.append(kwargs.get("config"))
        return real(*args, **kwargs)

    monkeypatch.setattr(docker_cli, "run", spy)
    rc, result = apply(sim, [{"action": "stop", "name": "web"}, {"action": "start", "name": "web"}])
    assert rc == 0, result
    assert len(configs) >= 2 and configs[0] and len(set(configs)) == 1, configs
    assert not Path(configs[0]).exists()  # removed with the run


def test_a_login_is_stored_in_the_run_config_file_by_the_real_cli(sim, monkeypatch):
    stored = []
    real = docker_cli.run

    def spy(binary, docker_host, argv, **kwargs):
        done = real(binary, docker_host, argv, **kwargs)
        if argv[0] == "login":
            stored.append(json.loads((Path(kwargs["config"]) / "config.json").read_text()))
        return done

    monkeypatch.setattr(docker_cli, "run", spy)
    creds = [{"registry": "registry.example.com:5000", "username": "deploy",
              "password": "pa55-word"}]  # fmt: skip
    steps = [{"action": "pull", "image": PRIVATE, "registry": "registry.example.com:5000"}]
    rc, result = apply(sim, steps, credentials=creds)
    assert rc == 0, result
    (config,) = stored
    assert "registry.example.com:5000" in config["auths"]  # the file, not a helper's store
    assert "trustbound-wincontainers.invalid" in config["auths"]


def test_a_2010_engine_host_runs_the_2010_cli_when_the_set_up_has_it(make_sim, write_fleet):
    old = make_sim(
        write_fleet(
            textwrap.dedent(f"""
            registry:
              images:
                {NANO}: {{os_version: "10.0.17763.5000"}}
            hosts:
              h1:
                os_version: "10.0.17763.5000"
                features: [Containers]
                engine: {{version: "20.10.24"}}
            """),
            name="old.yml",
        ),
        state="old",
    )
    rc, result = apply(old, [{"action": "ensure_network", "name": "nat2", "subnet": "10.9.0.0/24"}])
    assert rc == 0, result
    runs = cli_log(old)
    assert [r["argv"][:2] for r in runs] == [["network", "inspect"], ["network", "create"]]
    expected = docker_cli.cli_2010() or docker_cli.cli_for("27.3.1")
    assert {r["cli"] for r in runs} == {str(expected)}
