"""Windows rules through Fleet.handle: win_feature, win_reboot's commands, check mode."""

from __future__ import annotations

import pytest
from ansible_collections.ansible.windows.plugins.plugin_utils import _reboot
from host_fakes import FakeConnection

FEATURE = "ansible.windows.win_feature"
# A VM whose parent does not expose the extensions: the hypervisor Windows finds is
# the parent's (MicrosoftDocs/Virtualization-Documentation#193).
HYPERV_REFUSED = (
    "Unhandled exception while executing module: A prerequisite check for the Hyper-V feature "
    "failed.\r\n1. Hyper-V cannot be installed: A hypervisor is already running."
)


def test_containers_install_needs_a_restart(sim):
    rc, result = sim.module("ws2022", FEATURE, {"name": ["Containers"]})
    assert rc == 0
    assert result == {
        "changed": True,
        "exitcode": "SuccessRestartRequired",
        "feature_result": [
            {
                "id": 450,
                "display_name": "Containers",
                "message": [],
                "reboot_required": True,
                "skip_reason": "NotSkipped",
                "success": True,
            }
        ],
        "reboot_required": True,
        "success": True,
        "failed": False,
    }
    windows = sim.host("ws2022").windows
    assert windows.feature_state("Containers") == "InstallPending"
    assert not windows.feature_installed("Containers")
    assert windows.reboot_pending


def test_second_install_before_the_restart_changes_nothing(sim):
    sim.module("ws2022", FEATURE, {"name": ["Containers"]})
    rc, result = sim.module("ws2022", FEATURE, {"name": ["Containers"]})
    assert rc == 0
    assert (result["changed"], result["exitcode"], result["feature_result"]) == (
        False,
        "NoChangeNeeded",
        [],
    )


def test_feature_without_restart_is_installed_at_once(sim):
    rc, result = sim.module("ws2022", FEATURE, {"name": "Telnet-Client"})
    assert (rc, result["exitcode"], result["reboot_required"]) == (0, "Success", False)
    assert sim.host("ws2022").windows.feature_installed("Telnet-Client")


def test_hyperv_with_management_tools(sim):
    rc, result = sim.module(
        "ws2022", FEATURE, {"name": "Hyper-V", "include_management_tools": True}
    )
    assert rc == 0 and result["reboot_required"]
    # Server Core has no GUI tools.
    assert [f["display_name"] for f in result["feature_result"]] == [
        "Hyper-V",
        "Hyper-V Management Tools",
        "Hyper-V Module for Windows PowerShell",
    ]
    assert sim.host("ws2022").windows.feature_state("Hyper-V") == "InstallPending"
    assert sim.host("ws2022").windows.feature_state("RSAT-Hyper-V-Tools") == "Installed"


@pytest.mark.parametrize("host", ["ws2019-novt"])
def test_hyperv_refused_without_virtualization_extensions(sim, host):
    rc, result = sim.module(host, FEATURE, {"name": ["Hyper-V"]})
    assert rc == 1
    assert result["msg"] == HYPERV_REFUSED
    assert sim.host(host).windows.feature_state("Hyper-V") == "Available"


def test_hyperv_refused_on_a_vm_even_in_check_mode(sim):
    rc, result = sim.module("ws2019-novt", FEATURE, {"name": ["Hyper-V"]}, check_mode=True)
    assert (rc, result["msg"]) == (1, HYPERV_REFUSED)


@pytest.mark.parametrize("name", ["Containerz", "Hyper-V-Tools"])  # GUI tools: not on Server Core
def test_unknown_feature_name(sim, name):
    rc, result = sim.module("ws2022", FEATURE, {"name": [name]})
    assert rc == 1
    assert result["msg"] == (
        "Unhandled exception while executing module: ArgumentNotValid: The role, role service, or "
        f"feature name is not valid: '{name}'. The name was not found."
    )


def test_check_mode_reports_the_change_and_changes_nothing(sim):
    before = sim.host("ws2022").state.snapshot()
    rc, result = sim.module("ws2022", FEATURE, {"name": ["Containers", "Hyper-V"]}, check_mode=True)
    assert rc == 0 and result["changed"] and result["reboot_required"]
    assert sim.host("ws2022").state.snapshot() == before


def test_uninstall_waits_for_the_restart(sim):
    rc, result = sim.module("ws2025-ready", FEATURE, {"name": "Containers", "state": "absent"})
    assert (rc, result["changed"], result["exitcode"]) == (0, True, "SuccessRestartRequired")
    assert sim.host("ws2025-ready").windows.feature_state("Containers") == "UninstallPending"
    rc, result = sim.module("ws2022", FEATURE, {"name": "Containers", "state": "absent"})
    assert (rc, result["changed"], result["exitcode"]) == (0, False, "NoChangeNeeded")


def test_source_path_is_never_found(sim):
    rc, result = sim.module("ws2022", FEATURE, {"name": "Containers", "source": "D:\\sources\\sxs"})
    assert rc == 1
    assert result["msg"] == "Failed to find source path D:\\sources\\sxs for feature install"


# ------------------------------------------------------------------ reboots --
def reboot(sim, host, **kwargs):
    return _reboot.reboot_host("ansible.windows.win_reboot", FakeConnection(sim, host), **kwargs)


def test_win_reboot_completes_pending_features_and_changes_boot_time(sim, patched_sleep):
    sim.module("ws2022", FEATURE, {"name": ["Containers", "Hyper-V"]})
    windows = sim.host("ws2022").windows
    boot_before = windows.boot_filetime
    result = reboot(sim, "ws2022")
    assert result["failed"] is False and result["rebooted"] is True
    assert windows.boot_filetime > boot_before
    assert windows.feature_state("Containers") == "Installed"
    assert windows.feature_state("Hyper-V") == "Installed"
    assert not windows.reboot_pending
    assert sim.host("ws2022").state.power.boot_count == 1


def test_host_is_unreachable_while_it_reboots(sim, clock):
    from wcsim.interface import HostUnreachable

    rc, _, _ = sim.raw("ws2022", "shutdown /r /t 2")
    assert rc == 0
    assert sim.fleet.is_reachable("ws2022")
    clock.sleep(2)
    assert not sim.fleet.is_reachable("ws2022")
    with pytest.raises(HostUnreachable):
        sim.module("ws2022", "ansible.windows.win_ping")
    clock.sleep(3)  # default reboot_seconds
    assert sim.fleet.is_reachable("ws2022")
    assert sim.module("ws2022", "ansible.windows.win_ping")[0] == 0


def test_second_shutdown_is_refused_with_1190_and_win_reboot_aborts_it(sim, patched_sleep):
    sim.raw("ws2022", "shutdown /r /t 600")
    connection = FakeConnection(sim, "ws2022")
    result = _reboot.reboot_host("ansible.windows.win_reboot", connection)
    assert result["failed"] is False
    assert any("shutdown.exe /a" in s for s in connection.scripts)
    rc, _, err = sim.raw("ws2022", "shutdown /a")
    assert (rc, err) == (
        1116,
        "Unable to abort the system shutdown because no shutdown was in progress.(1116)",
    )


def test_slow_reboot_fault(sim, patched_sleep, make_sim, write_fleet):
    fleet_file = write_fleet(
        "hosts:\n  slow:\n    os_version: 10.0.20348.1\n    faults: {reboot_seconds: 40}\n"
    )
    slow = make_sim(fleet_file, state="slow")
    start = patched_sleep.now
    result = reboot(slow, "slow")
    assert result["failed"] is False
    assert patched_sleep.now - start >= 40


def test_reboot_that_never_returns_times_out(make_sim, patched_sleep):
    stuck = make_sim("faults.yml")
    result = reboot(stuck, "never-back", reboot_timeout=60)
    assert result["failed"] is True
    assert "Timed out waiting for last boot time check" in result["msg"]
    assert not stuck.fleet.is_reachable("never-back")


def test_stuck_host_boots_when_the_fault_is_removed_from_the_fleet(make_sim, write_fleet, clock):
    text = "hosts:\n  h:\n    os_version: 10.0.20348.1\n    faults: {reboot_never_returns: true}\n"
    first = make_sim(write_fleet(text), state="stuck")
    first.raw("h", "Restart-Computer -Force")
    clock.sleep(1)
    assert not first.fleet.is_reachable("h")
    fixed = make_sim(
        write_fleet(text.replace("reboot_never_returns: true", "reboot_seconds: 1")), state="stuck"
    )
    assert fixed.fleet.is_reachable("h")


def test_running_containers_stop_at_shutdown_and_stay_stopped_after_the_boot(sim, clock):
    sim.raw("ws2025-ready", "shutdown /r /t 0")
    clock.sleep(0.5)
    assert not sim.fleet.is_reachable("ws2025-ready")
    web = sim.host("ws2025-ready").state.containers[0]
    assert (web.state, web.exit_code) == ("exited", 1073807364)
    clock.sleep(5)
    assert sim.fleet.is_reachable("ws2025-ready")
    # unless-stopped, yet not restarted after a host reboot (moby/moby 27544, 39623)
    assert web.state == "exited"
    engine = sim.host("ws2025-ready").engine
    assert engine.running
    engine.restart_service()  # a service restart does apply the policy (27544)
    assert web.state == "running"


def test_reboot_message_with_quotes_and_separators_is_parsed(sim, patched_sleep):
    result = reboot(sim, "ws2022", msg="role: it's time; restart", pre_reboot_delay=0)
    assert result["failed"] is False
    assert sim.host("ws2022").state.power.boot_count == 1


def test_unmodelled_test_command_fails_the_reboot_loudly(sim, patched_sleep):
    result = reboot(sim, "ws2022", test_command="Get-Service WinRM", reboot_timeout=30)
    assert result["failed"] is True
    assert "Timed out waiting for post-reboot test command" in result["msg"]
