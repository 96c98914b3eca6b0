"""The container_steps action: a task's planned steps go through the executor boundary."""

from __future__ import annotations

from unittest.mock import MagicMock

from action_harness import make_action

from ansible_collections.trustbound.wincontainers.plugins.action.container_steps import (
    ActionModule,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
CREDENTIALS = [{"registry": "registry.example.com", "username": "u", "password": "pa55"}]


def run(args, reply):
    calls = []

    def execute(module_name, module_args=None, task_vars=None, **_kwargs):
        calls.append((module_name, module_args))
        return reply

    action = make_action(ActionModule, args, False, False)
    action._execute_module = execute
    action._display = MagicMock()
    return action.run(task_vars={"inventory_hostname": "h1"}), calls


def test_planned_steps_are_rendered_and_the_outcomes_mapped():
    steps = [{"action": "pull", "image": "registry.example.com/app:1",
              "registry": "registry.example.com"}]  # fmt: skip
    inspect = {"rc": 0, "stderr": "", "stdout": '{"Id": "sha256:1", "OsVersion": "10.0.1"}'}
    ran = [{"rc": 0, "stderr": ""}, {"rc": 0, "stderr": ""}, inspect]
    outcome = {"index": 0, "failed": False, "commands": ran}
    result, calls = run(
        {"steps": steps, "registry_credentials": CREDENTIALS, "lock_timeout": 5},
        {"changed": True, "outcomes": [outcome], "failed_step": None},
    )
    ((name, sent),) = calls
    assert name == "trustbound.wincontainers.container_steps"
    assert sent["lock_timeout"] == 5
    assert [c["argv"][0] for c in sent["steps"][0]["commands"]] == ["login", "pull", "image"]
    assert "pa55" not in str(sent["steps"])
    (mapped,) = result["results"]
    assert mapped["image"]["id"] == "sha256:1" and mapped["name"] == steps[0]["image"]
    assert "outcomes" not in result


def test_docker_path_is_refused_before_any_module_run():
    result, calls = run({"steps": [{"action": "pull", "image": NANO}], "docker_path": "x"}, {})
    assert result["failed"] is True and "docker_path" in result["msg"]
    assert calls == []


def test_rendered_steps_pass_through_unchanged():
    steps = [{"action": "start", "name": "web", "commands": [{"argv": ["start", "--", "web"]}]}]
    reply = {"changed": True, "outcomes": [{"index": 0, "failed": False, "commands": []}]}
    result, calls = run({"steps": steps}, reply)
    assert calls[0][1] == {"steps": steps}
    assert result["outcomes"] == reply["outcomes"]


def test_every_executor_lease_option_passes_through():
    steps = [{"action": "start", "name": "web"}]
    reply = {"changed": True, "outcomes": [{"index": 0, "failed": False, "commands": []}]}
    lease = {"lease_id": "patch/1", "keep_lease": True, "keep_lease_on_failure": True}
    result, calls = run({"steps": steps, **lease}, reply)
    assert not result.get("failed"), result.get("msg")
    ((_name, sent),) = calls
    assert {key: sent[key] for key in lease} == lease
