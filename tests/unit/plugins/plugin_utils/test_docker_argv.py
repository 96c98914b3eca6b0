"""docker_argv: each container step rendered to exact docker command lines."""

from __future__ import annotations

import pytest
from plan_builders import NANO, OWNER, desired

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import docker_argv as da


def argvs(step, **kwargs):
    return [list(command.argv) for command in da.render_step(step, **kwargs)]


def test_create_renders_every_field_as_one_flag_word_and_data_after_the_end_of_options():
    step = {
        "action": "create",
        "name": "web",
        "image": NANO,
        "isolation": "hyperv",
        "user": "ContainerUser",
        "entrypoint": "cmd.exe",
        "command": ["/c", "--rm", "ping -t localhost"],
        "env": {"MODE": "prod", "TOKEN": {"secret": "web/TOKEN"}},
        "ports": ["8080:80/tcp", "0.0.0.0:8443:443/tcp"],
        "mounts": ["C:\\data:C:\\app:ro", "logs:C:\\logs"],
        "networks": ["nat", "backend", "frontend"],
        "restart_policy": "on-failure:3",
        "memory_bytes": "536870912",
        "cpus": 1.5,
        "labels": {"a": "b=c", "tier": "web"},
    }
    commands = da.render_step(step)
    assert list(commands[0].argv) == [
        "create",
        "--name=web",
        "--pull=never",
        "--isolation=hyperv",
        "--user=ContainerUser",
        "--entrypoint=cmd.exe",
        "--env=MODE=prod",
        "--env=TOKEN",
        "--publish=8080:80/tcp",
        "--publish=0.0.0.0:8443:443/tcp",
        "--volume=C:\\data:C:\\app:ro",
        "--volume=logs:C:\\logs",
        "--network=nat",
        "--restart=on-failure:3",
        "--memory=536870912",
        "--cpus=1.5",
        "--label=a=b=c",
        "--label=tier=web",
        "--",
        NANO,
        "/c",
        "--rm",
        "ping -t localhost",
    ]
    # The secret's value is not in any word; the executor puts it in the CLI's environment.
    assert commands[0].env == {"TOKEN": "web/TOKEN"}
    assert [list(c.argv) for c in commands[1:]] == [
        ["network", "connect", "--", "backend", "web"],
        ["network", "connect", "--", "frontend", "web"],
    ]


def test_create_leaves_out_what_is_unset():
    step = {"action": "create", "name": "web", "image": NANO, "user": "", "memory_bytes": "0"}
    step.update(cpus=0, networks=[], env={}, labels={}, restart_policy="")
    assert argvs(step) == [["create", "--name=web", "--pull=never", "--", NANO]]


def test_data_that_looks_like_a_flag_stays_inside_its_flag_word():
    step = {
        "action": "create",
        "name": "web",
        "image": NANO,
        "env": {"X": "--privileged"},
        "labels": {"--privileged": "true"},
        "user": "-u root",
    }
    argv = argvs(step)[0]
    assert "--privileged" not in argv
    assert "--env=X=--privileged" in argv and "--label=--privileged=true" in argv
    assert "--user=-u root" in argv


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"action": "start", "name": "web"}, [["start", "--", "web"]]),
        ({"action": "stop", "name": "web", "timeout": 30}, [["stop", "-t=30", "--", "web"]]),
        ({"action": "stop", "name": "web"}, [["stop", "-t=10", "--", "web"]]),
        ({"action": "remove", "name": "web", "force": True}, [["rm", "--force", "--", "web"]]),
        ({"action": "remove", "name": "web"}, [["rm", "--", "web"]]),
        (
            {"action": "rename", "name": "web-next", "new_name": "web"},
            [["rename", "--", "web-next", "web"]],
        ),
        ({"action": "remove_image", "image": NANO}, [["image", "rm", "--", NANO]]),
        ({"action": "pull", "image": NANO}, [["pull", "--", NANO]]),
        (
            {"action": "wait_running", "name": "web", "timeout": 5},
            [["container", "inspect", "--format={{json .State}}", "--", "web"]],
        ),
    ],
)
def test_each_step_kind(step, expected):
    assert argvs(step) == expected


def test_a_registry_pull_logs_in_through_stdin_and_out_again():
    step = {"action": "pull", "image": "registry.example/app:1", "registry": "registry.example"}
    commands = da.render_step(step, registry_users={"registry.example": "puller"})
    assert [list(c.argv) for c in commands] == [
        ["login", "--username=puller", "--password-stdin", "--", "registry.example"],
        ["pull", "--", "registry.example/app:1"],
        ["logout", "--", "registry.example"],
    ]
    assert commands[0].stdin == "registry.example"
    with pytest.raises(ValueError, match=r"no registry credentials for 'registry\.example'"):
        da.render_step(step)


@pytest.mark.parametrize(
    "step",
    [
        {"action": "create", "image": NANO},
        {"action": "start"},
        {"action": "rename", "name": "a"},
        {"action": "remove_image"},
        {"action": "explode", "name": "a"},
    ],
)
def test_an_incomplete_or_unknown_step_is_refused(step):
    with pytest.raises(ValueError, match=r"needs '|unknown step action"):
        da.render_step(step)


def test_every_step_the_planner_makes_renders_and_every_create_field_has_a_row():
    d = desired(env={"A": "1"}, secret_env={"TOKEN": "s3cr3t"}, networks=["nat", "backend"])
    result = cp.plan([d], [], owner=OWNER)
    assert {s["action"] for s in result.steps} >= {"create", "start", "wait_running"}
    rendered = [da.render_step(s) for s in result.steps]
    create_keys = set(result.steps[0]) - {"action", "name", "workload", "image", "command"}
    assert create_keys <= {key for key, _ in da.CREATE_FIELDS}
    words = [w for commands in rendered for c in commands for w in c.argv]
    assert "s3cr3t" not in " ".join(words)
    assert any(list(c.argv[:2]) == ["network", "connect"] for c in rendered[0])


def test_create_never_pulls_and_refuses_a_field_without_a_flag():
    step = {"action": "create", "name": "web", "image": "img", "isolation": "hyperv"}
    (command,) = da.render_step(step)
    assert "--pull=never" in command.argv[: command.argv.index("--")]
    with pytest.raises(ValueError, match="create step keys without a docker flag: shm_size"):
        da.render_step({**step, "shm_size": "64m"})


@pytest.mark.parametrize("name", ["DOCKER_HOST", "docker_config", "PATH", "HTTPS_PROXY"])
def test_a_secret_the_cli_reads_itself_is_refused(name):
    step = {"action": "create", "name": "web", "image": "img", "env": {name: {"secret": "k"}}}
    with pytest.raises(ValueError, match="one the docker CLI reads"):
        da.render_step(step)


def test_ensure_network_inspects_then_creates_on_its_subnet():
    inspect, create = da.render_step(
        {"action": "ensure_network", "name": "tbwc-x-untrusted", "subnet": "172.30.7.0/24"}
    )
    assert inspect.argv == ("network", "inspect", "--", "tbwc-x-untrusted")
    assert create.argv == (
        "network", "create", "--driver=nat", "--subnet=172.30.7.0/24", "--", "tbwc-x-untrusted",
    )  # fmt: skip
