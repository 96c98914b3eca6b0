"""Real ansible-playbook over real WinRM (pywinrm) against the simulated fleet.

What is under test is the simulator's wire layer as ansible-core drives it:
module runs, raw commands, win_reboot, check mode, refused credentials,
unmodelled commands and the traffic counters. The hosts are simulated: no
PowerShell runs, the module results come from the simulator's models.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

WINDOWS = "ansible.windows"


def play(hosts: str, *tasks: dict, **keywords) -> list[dict]:
    return [
        {
            "name": "simulated fleet",
            "hosts": hosts,
            "gather_facts": False,
            **keywords,
            "tasks": list(tasks),
        }
    ]


def test_win_ping_over_http_and_https(run_playbook, sim_fleet):
    run = run_playbook(play("plain,tls", {"name": "ping", f"{WINDOWS}.win_ping": {"data": "sim"}}))

    assert run.rc == 0, run.output
    assert {host: result["ping"] for host, result in run.task("ping").items()} == {
        "plain": "sim",
        "tls": "sim",
    }
    assert {info["scheme"] for info in sim_fleet.endpoints().values()} == {"http", "https"}


def test_raw_command(run_playbook):
    run = run_playbook(play("plain", {"name": "hostname", "ansible.builtin.raw": "hostname"}))

    assert run.rc == 0, run.output
    result = run.task("hostname")["plain"]
    assert result["rc"] == 0
    assert result["stdout"].strip() == "PLAIN"  # the computer name the fleet gave the host


def test_feature_install_then_reboot_then_installed(run_playbook, sim_fleet):
    assert sim_fleet.host_state("installer")["features"].get("Containers") != "Installed"
    feature = {f"{WINDOWS}.win_feature": {"name": "Containers", "state": "present"}}

    run = run_playbook(
        play(
            "installer",
            {"name": "install", **feature, "register": "install"},
            {
                "name": "reboot",
                f"{WINDOWS}.win_reboot": {"reboot_timeout": 60, "pre_reboot_delay": 0},
                "when": "install.reboot_required",
            },
            {"name": "again", **feature},
        )
    )

    assert run.rc == 0, run.output
    install = run.task("install")["installer"]
    assert (install["changed"], install["reboot_required"]) == (True, True)
    assert run.task("reboot")["installer"]["rebooted"] is True
    again = run.task("again")["installer"]
    assert (again["changed"], again["reboot_required"]) == (False, False)
    assert sim_fleet.host_state("installer")["features"]["Containers"] == "Installed"


def test_check_mode_leaves_the_host_unchanged(run_playbook, sim_fleet):
    before = sim_fleet.host_state("checker")
    feature = {f"{WINDOWS}.win_feature": {"name": "Containers"}}

    run = run_playbook(
        play("checker", {"name": "first", **feature}, {"name": "second", **feature}), "--check"
    )

    assert run.rc == 0, run.output
    # Both runs would install: the first one in check mode did not.
    assert run.task("first")["checker"]["changed"] is True
    assert run.task("second")["checker"]["changed"] is True
    after = sim_fleet.host_state("checker")
    assert after["features"] == before["features"]
    assert after["power"] == before["power"]


def test_wrong_password_is_unreachable_with_an_auth_error(run_playbook, sim_fleet):
    before = sim_fleet.counters("plain")["auth_failures"]

    run = run_playbook(
        play("plain", {"name": "ping", f"{WINDOWS}.win_ping": {}}),
        extra_vars={"ansible_password": "not-the-password"},
    )

    assert run.rc == 4, run.output  # 4: a host was unreachable
    result = run.task("ping")["plain"]
    assert result["unreachable"] is True
    assert "the specified credentials were rejected by the server" in result["msg"]
    assert sim_fleet.counters("plain")["auth_failures"] > before


def test_unmodelled_module_fails_loudly(run_playbook):
    run = run_playbook(
        play(
            "plain", {"name": "shell", f"{WINDOWS}.win_shell": "Get-Process", "ignore_errors": True}
        )
    )

    result = run.task("shell")["plain"]
    assert result["failed"] is True
    assert "ansible.windows.win_shell is not modelled by the simulator" in result["msg"]


def test_file_transfer_the_decoder_does_not_model_fails_with_its_message(run_playbook, tmp_path):
    script = tmp_path / "hello.ps1"
    script.write_text("Write-Output 'hello'\n", encoding="utf-8")

    run = run_playbook(
        play(
            "plain",
            {"name": "script", "ansible.builtin.script": str(script), "ignore_errors": True},
        )
    )

    # ansible makes a remote temporary directory first: the decoder refuses that by name.
    result = run.task("script")["plain"]
    assert result["unreachable"] is True
    assert (
        "wcsim simulated host plain: wcsim does not model ansible's remote temporary directory"
        in (result["msg"])
    )


def test_receive_timeouts_are_retried_by_the_client(run_playbook, sim_fleet):
    run = run_playbook(play("slow", {"name": "ping", f"{WINDOWS}.win_ping": {}}))

    assert run.rc == 0, run.output
    assert run.task("ping")["slow"]["ping"] == "pong"
    assert sim_fleet.counters("slow")["receive_timeouts"] == 2


def test_counters_reflect_the_run(run_playbook, sim_fleet):
    before = sim_fleet.counters("plain")

    run = run_playbook(
        play(
            "plain",
            {"name": "ping", f"{WINDOWS}.win_ping": {}},
            {"name": "ping again", f"{WINDOWS}.win_ping": {}},
            {"name": "raw", "ansible.builtin.raw": "hostname"},
        )
    )

    assert run.rc == 0, run.output
    after = sim_fleet.counters("plain")
    delta = {key: after[key] - before[key] for key in after if isinstance(after[key], int)}
    pings = "ansible.windows.win_ping"
    assert (
        after["module_runs_by_module"][pings] - before["module_runs_by_module"].get(pings, 0) == 2
    )
    assert delta["module_runs"] == 2
    assert delta["raw_commands"] == 1
    assert delta["winrm_commands"] == 3
    # Per command: Command, Send (module runs), Receive, Signal; per task: Create, Delete.
    assert delta["http_requests"] >= 3 * 2 + 2 * 1 + 3
    assert delta["bytes_in"] > 0
    assert delta["bytes_out"] > 0
