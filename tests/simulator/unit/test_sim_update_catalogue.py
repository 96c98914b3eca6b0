"""The Windows Update catalogue's harder cases, driven by ansible.windows' own win_updates action:
a servicing stack update that must come first, a failing update, an update loop, a connection
dropped while polling, an engine that does not start after the reboot."""

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleConnectionFailure
from test_sim_win_updates import run_action

from wcsim.interface import ConnectionDropped, ModuleRun

CU = "2024-01 Cumulative Update for Windows Server 2016 for x64-based Systems (KB5034119)"
SSU = "2024-01 Servicing Stack Update for Windows Server 2016 for x64-based Systems (KB5034232)"


def fleet(updates: str, faults: str = "{}") -> str:
    return f"""
registry:
  images:
    mcr.microsoft.com/windows/servercore:ltsc2016: {{os_version: 10.0.14393.6452}}
hosts:
  h16:
    os_version: 10.0.14393.6452
    features: [Containers]
    engine: {{version: "20.10.24"}}
    images: [mcr.microsoft.com/windows/servercore:ltsc2016]
    containers:
      - {{name: app, image: mcr.microsoft.com/windows/servercore:ltsc2016,
         restart_policy: always}}
    faults: {faults}
    pending_updates:
{updates}
"""


SSU_AND_CU = f"""
      - {{kb: KB5034232, title: "{SSU}", categories: [Security Updates], reboot_required: false}}
      - {{kb: KB5034119, title: "{CU}", categories: [Updates], revision: 6614,
         requires: [KB5034232]}}
"""
ALL = {"category_names": ["*"]}


def test_the_cumulative_update_is_offered_only_once_its_servicing_stack_is_in(
    make_sim, write_fleet, patched_sleep
):
    sim = make_sim(write_fleet(fleet(SSU_AND_CU)))
    searched, _ = run_action(sim, "h16", {**ALL, "state": "searched"})
    assert [u["title"] for u in searched["updates"].values()] == [SSU]
    result, _ = run_action(sim, "h16", {**ALL, "reboot": True})
    assert result.get("failed") is not True, result
    assert result["installed_update_count"] == 2
    assert sim.host("h16").state.os.version == "10.0.14393.6614"


def test_the_2016_cumulative_update_lives_in_updates_and_the_defaults_miss_it(
    make_sim, write_fleet, patched_sleep
):
    sim = make_sim(write_fleet(fleet(SSU_AND_CU)))
    run_action(sim, "h16", {**ALL, "accept_list": ["KB5034232"]})
    defaults, _ = run_action(sim, "h16", {"state": "searched"})
    assert defaults["found_update_count"] == 0
    assert next(iter(defaults["filtered_updates"].values()))["filtered_reasons"] == [
        "category_names"
    ]


def test_a_failing_update_fails_the_task_with_its_hresult(make_sim, write_fleet, patched_sleep):
    updates = f"""
      - {{kb: KB5034119, title: "{CU}", categories: [Updates], revision: 6614,
         fails_hresult: "0x80070643"}}
"""
    sim = make_sim(write_fleet(fleet(updates)))
    result, _ = run_action(sim, "h16", ALL)
    assert result["failed"] is True
    assert result["msg"].startswith("Failed to install all updates")
    assert result["failed_update_count"] == 1
    (info,) = result["updates"].values()
    assert info["failure_hresult_code"] == 0x80070643  # the action reports it unsigned
    assert sim.host("h16").state.os.revision == 6452


def test_an_update_rolled_back_at_every_boot_is_reported_as_a_loop(
    make_sim, write_fleet, patched_sleep
):
    updates = f"""
      - {{kb: KB5034119, title: "{CU}", categories: [Updates], revision: 6614, rolls_back: true}}
"""
    sim = make_sim(write_fleet(fleet(updates)))
    result, _ = run_action(sim, "h16", {**ALL, "reboot": True})
    assert result["failed"] is True
    assert "An update loop was detected" in result["msg"]
    assert sim.host("h16").state.os.revision == 6452


def test_containers_stay_stopped_after_the_update_reboot(make_sim, write_fleet, patched_sleep):
    sim = make_sim(write_fleet(fleet(SSU_AND_CU)))
    run_action(sim, "h16", {**ALL, "reboot": True})
    (app,) = sim.host("h16").state.containers
    assert app.state == "exited"  # restart_policy always, yet not back (moby/moby 27544)
    assert sim.host("h16").engine.running


def test_engine_that_does_not_start_after_the_reboot(make_sim, write_fleet, patched_sleep):
    sim = make_sim(write_fleet(fleet(SSU_AND_CU, "{engine_fails_after_reboot: true}")))
    engine = sim.host("h16").engine
    engine.restart_service()  # before any reboot the fault does nothing
    assert engine.running
    run_action(sim, "h16", {**ALL, "reboot": True})
    assert not engine.running
    # dockerd reports SERVICE_RUNNING before NewDaemon sets up HNS (moby
    # cmd/dockerd/daemon.go preNotifyReady): Start-Service returns, then the
    # service stops and only the event log has the reason.
    engine.start_service()
    assert not engine.running
    assert engine.record.last_exit_error == (
        "failed to start daemon: Error initializing network controller: Error creating default"
        " network: hnsCall failed in Win32: Element not found. (0x490)"
    )


def test_a_dropped_poll_is_retried_by_the_action(make_sim, write_fleet, patched_sleep):
    sim = make_sim(write_fleet(fleet(SSU_AND_CU, "{updates_poll_drops: 1}")))
    handle = sim.fleet.handle

    def wire(host, request):
        try:
            return handle(host, request)
        except ConnectionDropped as exc:  # what the winrm plugin sees of a dropped connection
            raise AnsibleConnectionFailure(str(exc)) from None

    sim.fleet.handle = wire
    result, calls = run_action(sim, "h16", {**ALL, "reboot": True})
    assert result.get("failed") is not True, result
    assert calls.count("poll") > calls.count("start")
    assert sim.host("h16").state.os.revision == 6614


def test_two_drops_in_a_row_fail_the_task(make_sim, write_fleet, patched_sleep):
    sim = make_sim(write_fleet(fleet(SSU_AND_CU, "{updates_poll_drops: 2}")))
    start = json.loads(
        sim.fleet.handle(
            "h16", ModuleRun("ansible.windows.win_updates", {"category_names": ["*"]})
        ).stdout
    )
    poll = {"_operation": "poll", "_operation_options": start["poll_options"]}
    for _ in range(2):
        with pytest.raises(ConnectionDropped):
            sim.fleet.handle("h16", ModuleRun("ansible.windows.win_updates", dict(poll)))
    answer = json.loads(
        sim.fleet.handle("h16", ModuleRun("ansible.windows.win_updates", dict(poll))).stdout
    )
    assert answer["output"][-1]["task"] == "exit"
