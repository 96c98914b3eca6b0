"""Every playbook refuses, before any host is contacted, a run that cannot work.

A target that matches no host (a typo, an inventory without the group ``windows``)
is a red run naming the pattern and the inventory's groups, not a green "skipping: no
hosts matched"; a targeted host that is not a Windows host is named with the fix. And
the site run publishes its summary (set_stats) even when every host is refused.
The hosts are simulated (wcsim): no PowerShell runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = ["site", "audit", "deploy", "provision", "patch", "refresh_images", "refresh-images"]


def _playbook(name: str) -> Path:
    found = REPO / "playbooks" / f"{name}.yml"
    assert found.is_file(), f"playbook {name} not found"
    return found


@pytest.mark.parametrize("name", PLAYBOOKS)
def test_a_target_that_matches_no_host_fails_naming_it_and_the_groups(
    name, sim_fleet, run_playbook
):
    before = sim_fleet.counters("plain")["module_runs"]
    run = run_playbook(_playbook(name), extra_vars={"wincontainers_target": "windos"})
    assert run.rc != 0, run.output
    assert "No host matches the target 'windos'" in run.output
    assert "The inventory's groups: windows." in run.output
    assert sim_fleet.counters("plain")["module_runs"] == before
    assert "plain" not in run.stats, "a host was contacted"


def test_an_inventory_without_the_windows_group_fails(sim_fleet, run_playbook, tmp_path):
    inventory = yaml.safe_load(sim_fleet.inventory.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["windows"]["hosts"]
    regrouped = tmp_path / "regrouped.yml"
    regrouped.write_text(
        yaml.safe_dump({"all": {"children": {"containerhosts": {"hosts": hosts}}}}),
        encoding="utf-8",
    )
    run = run_playbook(_playbook("audit"), inventory=regrouped)
    assert run.rc != 0, run.output
    assert "No host matches the target 'windows'" in run.output
    assert "The inventory's groups: containerhosts." in run.output
    assert not (tmp_path / "reports").exists()


def test_a_limit_outside_the_target_fails(run_playbook):
    run = run_playbook(
        _playbook("deploy"), "--limit", "plain", extra_vars={"wincontainers_target": "tls"}
    )
    assert run.rc != 0, run.output
    assert "No host matches the target 'tls' within --limit 'plain'" in run.output


def test_a_limit_from_a_retry_file_is_the_run_s_limit(run_playbook, tmp_path):
    retry = tmp_path / "site.retry"
    retry.write_text("plain\n", encoding="utf-8")
    run = run_playbook(REPO / "playbooks" / "preflight.yml", "--limit", f"@{retry}")
    assert run.rc == 0, run.output
    assert "No host matches" not in run.output
    assert "Refuse an old ansible-core" in run.output, "the check was skipped"


def test_a_slice_without_target_hosts_may_pass_when_allowed(run_playbook):
    allowed = {"wincontainers_target": "windos", "wincontainers_allow_no_hosts": True}
    run = run_playbook(REPO / "playbooks" / "preflight.yml", extra_vars=allowed)
    assert run.rc == 0, run.output
    refused = run_playbook(
        REPO / "playbooks" / "preflight.yml", extra_vars={"wincontainers_target": "windos"}
    )
    assert refused.rc != 0 and "No host matches the target 'windos'" in refused.output


def test_a_linux_host_in_the_target_is_named_before_any_host_is_contacted(
    sim_fleet, run_playbook, tmp_path
):
    inventory = yaml.safe_load(sim_fleet.inventory.read_text(encoding="utf-8"))
    plain = inventory["all"]["children"]["windows"]["hosts"]["plain"]
    mixed = tmp_path / "mixed.yml"
    mixed.write_text(
        yaml.safe_dump(
            {
                "all": {
                    "children": {
                        "windows": {
                            "hosts": {
                                "plain": plain,
                                # would fail on the host with "module interpreter
                                # '/usr/bin/pwsh' was not found" if it were contacted
                                "linux1": {"ansible_host": "192.0.2.1", "ansible_port": 9},
                            }
                        }
                    }
                }
            }
        ),
        encoding="utf-8",
    )
    before = sim_fleet.counters("plain")["module_runs"]
    run = run_playbook(_playbook("site"), inventory=mixed)
    assert run.rc != 0, run.output
    assert "`linux1` (connection 'ssh') is not a Windows host: set `wincontainers_target`" in (
        run.output
    )
    assert "`plain`" not in run.output
    assert sim_fleet.counters("plain")["module_runs"] == before


def test_the_site_summary_is_published_when_every_host_is_refused(
    sim_fleet, run_playbook, monkeypatch
):
    monkeypatch.setenv("ANSIBLE_SHOW_CUSTOM_STATS", "1")  # the json callback shows set_stats
    before = sim_fleet.host_state("plain")
    run = run_playbook(
        _playbook("site"),
        extra_vars={
            "wincontainers_target": "plain",
            "wincontainers_workloads": [
                {
                    "name": "web",
                    "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
                    "trust": "trusted",
                    "colour": "blue",
                },
            ],
        },
    )
    assert run.rc != 0, run.output
    assert run.stats["plain"]["failures"] == 1
    summary = run.data["global_custom_stats"]["wincontainers_site"]
    assert summary["hosts"] == 1
    assert summary["refused"] == {"plain": "unknown-key"}, summary
    assert summary["failed"] == [] and summary["converged"] == []
    after = sim_fleet.host_state("plain")
    assert after.pop("module_runs") != before.pop("module_runs")  # read, then refused
    assert after == before
