"""The executor boundary (executor_args.py): planned steps -> container_steps' arguments, and
its raw outcomes -> the result shape consumers read."""

from __future__ import annotations

import json

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import executor_args

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
PRIVATE = "registry.example.com:5000/team/api:1.0"
SECRET = "t0ken value"
PASSWORD = "pa55-word"
CREDENTIALS = [
    {"registry": "registry.example.com:5000", "username": "deploy", "password": PASSWORD}
]
CREATE = {
    "action": "create",
    "name": "api",
    "workload": "api",
    "image": NANO,
    "isolation": "hyperv",
    "user": "ContainerUser",
    "env": {"MODE": "prod", "TOKEN": {"secret": "api/TOKEN"}},
    "networks": ["nat", "backend"],
    "on_failure": [{"action": "remove", "name": "api", "force": True}],
}
WAIT = {"action": "wait_running", "name": "api", "workload": "api", "timeout": 7}


def argvs(step):
    return [c["argv"] for c in step.get("commands") or []]


def test_secrets_and_passwords_never_reach_an_argv():
    steps = [{"action": "pull", "image": PRIVATE, "registry": "registry.example.com:5000"}, CREATE]
    args = executor_args.module_args(steps, secrets={"api/TOKEN": SECRET}, credentials=CREDENTIALS)
    words = json.dumps([s.get("commands") for s in args["steps"]])
    assert SECRET not in words and PASSWORD not in words
    pull, create = args["steps"]
    login = pull["commands"][0]
    assert login["argv"][0] == "login" and login["stdin"] == "registry:registry.example.com:5000"
    assert "private_config" not in pull  # every run has its own client config (the .ps1)
    assert [c["argv"][0] for c in pull["finally"]] == ["logout"]
    assert create["commands"][0]["env"] == {"TOKEN": "api/TOKEN"}
    assert "--env=TOKEN" in create["commands"][0]["argv"]
    assert args["secrets"] == [
        {"key": "api/TOKEN", "value": SECRET},
        {"key": "registry:registry.example.com:5000", "value": PASSWORD},
    ]
    assert "registry_credentials" not in args  # the password is one of the secrets
    # The second network: connected after create; a failed connect removes what it made.
    assert create["commands"][1]["argv"][:2] == ["network", "connect"]
    assert create["commands"][1]["undo"] == [{"argv": ["rm", "--force", "--", "api"]}]
    assert argvs(create["on_failure"][0]) == [["rm", "--force", "--", "api"]]


def test_wait_running_is_a_controller_given_poll():
    (step,) = executor_args.module_args([WAIT])["steps"]
    assert "commands" not in step or step["commands"] == []
    assert step["poll"] == {
        "command": {"argv": ["container", "inspect", "--format={{.State.Status}}", "--", "api"]},
        "success": "running",
        "failure": ["exited", "dead"],
        "successes": 2,
        "interval": 1,
        "timeout": 7,
    }
    assert [c["argv"][0] for c in step["diagnose"]] == ["container", "logs"]


def test_ensure_network_skips_when_the_inspect_succeeds():
    (step,) = executor_args.module_args(
        [{"action": "ensure_network", "name": "backend", "subnet": "172.30.0.0/24"}]
    )["steps"]
    assert step["skip_if"]["argv"] == ["network", "inspect", "--", "backend"]
    assert argvs(step) == [
        ["network", "create", "--driver=nat", "--subnet=172.30.0.0/24", "--", "backend"]
    ]


def test_a_network_that_was_there_is_not_a_change():
    steps = [{"action": "ensure_network", "name": "backend", "subnet": "172.30.0.0/24"}]
    found = {"index": 0, "failed": False, "skipped": True, "commands": []}
    out = executor_args.read_reply(steps, {"changed": False, "outcomes": [found]})
    assert out["results"][0]["changed"] is False and out["changed"] is False
    made = {"index": 0, "failed": False, "commands": [{"rc": 0, "stderr": ""}]}
    assert executor_args.read_reply(steps, {"outcomes": [made]})["changed"] is True


def test_preconditions_name_the_read_ids_and_absent_names():
    steps = [
        {"action": "stop", "name": "web"},
        {"action": "rename", "name": "web-next", "new_name": "web"},
        {"action": "pull", "image": NANO},
    ]
    containers = [{"name": "web", "id": "a" * 64}, {"name": "other", "id": "b" * 64}]
    args = executor_args.module_args(steps, containers=containers)
    assert args["preconditions"] == [
        {
            "argv": ["container", "inspect", "--format={{.Id}}", "--", "web", "web-next"],
            "rc": 1,  # web-next is absent: the CLI exits 1 and prints the found id
            "stdout": "a" * 64,
        }
    ]
    assert args["steps"][0]["container_id"] == "a" * 64
    assert executor_args.module_args(steps)  # no read given: no preconditions key
    assert "preconditions" not in executor_args.module_args(steps)


def test_results_map_back_to_todays_shape():
    steps = [{"action": "pull", "image": NANO, "workload": "api"}, CREATE, WAIT]
    image = {"Id": "sha256:1", "RepoTags": [NANO], "RepoDigests": None, "OsVersion": "10.0.1",
             "Config": {"User": "ContainerUser"}}  # fmt: skip
    reply = {
        "failed": True,
        "changed": True,
        "failed_step": 2,
        "msg": "step 2 (wait_running api) failed",
        "outcomes": [
            {"index": 0, "failed": False, "commands": [
                {"rc": 0, "stderr": ""}, {"rc": 0, "stderr": "", "stdout": json.dumps(image)}]},
            {"index": 1, "failed": False, "commands": [{"rc": 0, "stderr": ""}] * 2},
            {"index": 2, "failed": True, "commands": [],
             "poll": {"rc": 0, "stderr": "", "stdout": "exited\n"},
             "diagnose": [{"rc": 0, "stderr": "", "stdout": "3\n"},
                          {"rc": 0, "stderr": "boom", "stdout": "line\n"}]},
            {"index": 2, "rollback": True, "position": 0, "failed": False,
             "commands": [{"rc": 0, "stderr": ""}]},
        ],
    }  # fmt: skip
    steps[2] = dict(WAIT, on_failure=[{"action": "remove", "name": "api", "force": True}])
    out = executor_args.read_reply(steps, reply)
    assert "outcomes" not in out
    pull, create, wait, undo = out["results"]
    assert pull["image"] == {"id": "sha256:1", "repo_tags": [NANO], "repo_digests": [],
                             "os_version": "10.0.1", "user": "ContainerUser"}  # fmt: skip
    assert (pull["name"], pull["changed"], pull["rc"]) == (NANO, True, 0)
    assert (create["name"], create["workload"], create["changed"]) == ("api", "api", True)
    assert wait["rc"] == 1 and wait["exit_code"] == 3 and wait["changed"] is False
    assert wait["stderr"] == (
        "container 'api' exited with code 3 right after start; last log lines: line\nboom"
    )
    assert undo == {"index": 2, "action": "remove", "name": "api", "workload": None,
                    "changed": True, "rc": 0, "stderr": "", "rollback": True}  # fmt: skip
    assert out["msg"].startswith("step 2 (wait_running api) failed: container 'api' exited")


def test_a_failed_command_gives_its_rc_and_stderr():
    steps = [{"action": "start", "name": "api"}]
    failed = {"rc": 1, "stderr": "Error: No such container: api\n"}
    outcome = {"index": 0, "failed": True, "commands": [failed]}
    reply = {"failed": True, "failed_step": 0, "outcomes": [outcome]}
    (result,) = executor_args.read_reply(steps, reply)["results"]
    assert (result["rc"], result["changed"]) == (1, False)
    assert executor_args.read_reply(steps, reply)["msg"] == (
        "step 0 (start api) failed: Error: No such container: api"
    )


def test_timeout_message_names_the_last_status():
    poll = {"rc": 0, "stderr": "", "stdout": "restarting"}
    reply = {
        "failed": True,
        "failed_step": 0,
        "outcomes": [{"index": 0, "failed": True, "poll": poll}],
    }
    (result,) = executor_args.read_reply([WAIT], reply)["results"]
    assert result["stderr"] == "container 'api' is not running after 7 seconds (status restarting)"


def test_check_mode_reports_every_step_planned():
    out = executor_args.read_reply([CREATE, WAIT], {"changed": True, "carried_out": False})
    assert [(r["rc"], r["changed"]) for r in out["results"]] == [(None, True), (None, False)]


def test_a_secret_named_like_a_cli_variable_is_refused_before_any_run():
    step = dict(CREATE, env={"DOCKER_HOST": {"secret": "k"}})
    with pytest.raises(ValueError, match="DOCKER_HOST"):
        executor_args.module_args([step], secrets={"k": "v"})


def test_the_run_client_config_holds_an_auth_entry_so_no_credential_helper_is_detected():
    args = executor_args.module_args([WAIT])
    config = json.loads(args["client_config"])
    # docker/cli detects a platform helper only for a config without auth (ContainsAuth)
    assert config["auths"] and not config.get("credsStore") and not config.get("credHelpers")
    assert all(name.endswith(".invalid") for name in config["auths"])
