"""win_updates: ansible.windows' own action plugin driven against the simulated host."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock

import pytest
from ansible.playbook.play_context import PlayContext
from ansible_collections.ansible.windows.plugins.action import win_updates as action_module
from host_fakes import FakeConnection

from wcsim.interface import ModuleRun

UPDATES = "ansible.windows.win_updates"


def run_action(
    sim, host: str, args: dict[str, Any], *, check_mode: bool = False
) -> tuple[dict[str, Any], list]:
    """Run the real win_updates action; its module calls go to the fleet as ModuleRuns."""
    task = MagicMock()
    task.args = dict(args)
    task.check_mode = check_mode
    task.async_val = 0
    task.action = UPDATES
    connection = FakeConnection(sim, host)
    action = action_module.ActionModule(
        task, connection, PlayContext(), MagicMock(), MagicMock(), MagicMock()
    )
    calls = []

    def execute_module(module_name, module_args, task_vars, **kwargs):
        calls.append(module_args["_operation"])
        internal = {"_ansible_module_name": module_name}
        reply = sim.fleet.handle(
            host,
            ModuleRun(module_name, dict(module_args), check_mode=check_mode, internal=internal),
        )
        return json.loads(reply.stdout)

    action._execute_module = execute_module
    return action.run(task_vars={"inventory_hostname": host}), calls


def test_install_with_reboot_applies_updates_and_raises_the_revision(sim, patched_sleep):
    result, calls = run_action(
        sim, "ws2022", {"reboot": True, "category_names": ["SecurityUpdates", "UpdateRollups"]}
    )
    assert result.get("failed") is not True, result
    assert (result["changed"], result["rebooted"], result["reboot_required"]) == (True, True, False)
    assert (
        result["found_update_count"],
        result["installed_update_count"],
        result["failed_update_count"],
    ) == (2, 2, 0)
    assert {u["kb"][0] for u in result["updates"].values()} == {"5035857", "890830"}
    state = sim.host("ws2022").state
    assert state.os.version == "10.0.20348.2402"
    assert {u.status for u in state.updates} == {"installed"}
    assert calls[:3] == ["start", "poll", "cancel"]
    assert state.power.boot_count == 1
    assert state.update_tasks == {}


def test_without_reboot_the_update_waits_and_the_revision_stays(sim, patched_sleep):
    result, _ = run_action(sim, "ws2019-novt", {})
    assert (result["changed"], result["reboot_required"], result["rebooted"]) == (True, True, False)
    assert sim.host("ws2019-novt").state.os.revision == 5458
    assert sim.host("ws2019-novt").windows.reboot_pending
    # A second round before the restart: nothing left to find, still waiting for the reboot.
    result, _ = run_action(sim, "ws2019-novt", {})
    assert (result["changed"], result["reboot_required"], result["found_update_count"]) == (
        False,
        True,
        0,
    )


def test_categories_filter_updates(sim, patched_sleep):
    result, _ = run_action(sim, "ws2022", {"category_names": ["SecurityUpdates"]})
    assert result["found_update_count"] == 1
    assert [u["filtered_reasons"] for u in result["filtered_updates"].values()] == [
        ["category_names"]
    ]
    assert {u.kb: u.status for u in sim.host("ws2022").state.updates} == {
        "KB5035857": "pending_reboot",
        "KB890830": "available",
    }


def test_reject_list_and_accept_list(sim, patched_sleep):
    result, _ = run_action(sim, "ws2022", {"category_names": ["*"], "reject_list": ["KB890830"]})
    assert [u["filtered_reasons"] for u in result["filtered_updates"].values()] == [["reject_list"]]
    result, _ = run_action(
        sim, "ws2022", {"category_names": ["*"], "accept_list": ["nothing-matches"]}
    )
    assert result["found_update_count"] == 0


def test_searched_reports_without_installing(sim, patched_sleep):
    result, _ = run_action(sim, "ws2022", {"state": "searched", "category_names": ["*"]})
    assert (result["changed"], result["found_update_count"], result["installed_update_count"]) == (
        False,
        2,
        0,
    )
    assert {u.status for u in sim.host("ws2022").state.updates} == {"available"}


def test_check_mode_finds_but_changes_nothing(sim, patched_sleep):
    before = sim.host("ws2022").state.snapshot()
    result, _ = run_action(
        sim, "ws2022", {"reboot": True, "category_names": ["*"]}, check_mode=True
    )
    assert (result["changed"], result["found_update_count"], result["installed_update_count"]) == (
        True,
        2,
        0,
    )
    assert sim.host("ws2022").state.snapshot() == before


def test_pending_reboot_blocks_further_installs_until_rebooted(sim, patched_sleep):
    run_action(sim, "ws2022", {"category_names": ["SecurityUpdates"]})
    result, _ = run_action(sim, "ws2022", {"category_names": ["UpdateRollups"]})
    assert result["failed"] is True
    assert result["msg"] == "A reboot is required before more updates can be installed"
    result, _ = run_action(sim, "ws2022", {"category_names": ["UpdateRollups"], "reboot": True})
    assert result.get("failed") is not True, result
    assert sim.host("ws2022").state.os.revision == 2402


def test_poll_of_an_unknown_task_fails_like_the_module(sim):
    rc, result = sim.module(
        "ws2022",
        UPDATES,
        {"_operation": "poll", "_operation_options": {"pipe_name": "Ansible.Windows.WinUpdates-x"}},
    )
    assert (rc, result["msg"]) == (1, "Timed out waiting for server pipe to be available")


@pytest.mark.parametrize("operation", ["start", "test"])
def test_async_wait_returns_the_legacy_summary(sim, operation):
    rc, result = sim.module(
        "ws2022",
        UPDATES,
        {"_operation": operation, "_operation_options": {"wait": True}, "category_names": ["*"]},
    )
    assert rc == 0
    expected = 2 if operation == "start" else 0
    assert (result["found_update_count"], result["installed_update_count"]) == (expected, expected)
