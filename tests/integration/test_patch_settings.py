"""The patch and the refresh follow the deployment's settings, and refuse what they cannot
finish before anything changes (issue 19, items 3 and 5).

Each test starts its own simulated fleet (fleets/container_updates.yml), deploys with
playbooks/deploy.yml and runs playbooks/patch.yml or playbooks/refresh_images.yml over real
WinRM against simulated hosts (no Windows, no PowerShell).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_container_updates import (
    DEPLOY,
    FLEETS,
    HOST_VARS,
    NANO,
    PATCH,
    Fleet,
    Run,
    changed,
    reports,
)

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
REFRESH = REPO / "playbooks" / "refresh_images.yml"
OWNER = {"container_workloads_owner": "example-inventory"}


@pytest.fixture(scope="module")
def runner(tmp_path_factory):
    """ansible-playbook with the JSON callback and the run summary (custom stats) shown."""
    tmp = tmp_path_factory.mktemp("settings-run")
    config = tmp / "ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        ANSIBLE_SHOW_CUSTOM_STATS="1",
        ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-local"),
        ANSIBLE_CONFIG=str(config),
    )

    def run(playbook, *args, extra_vars=None, inventory=None, callback="ansible.posix.json"):
        command = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inventory),
                   str(playbook), *args]  # fmt: skip
        if extra_vars:
            command += ["-e", json.dumps(extra_vars)]
        done = subprocess.run(command, env=dict(env, ANSIBLE_STDOUT_CALLBACK=callback), cwd=tmp,
                              capture_output=True, text=True, timeout=600, check=False)  # fmt: skip
        return Run(done)

    return run


@pytest.fixture
def fleet(tmp_path, runner):
    simulated = Fleet(FLEETS / "container_updates.yml", tmp_path / "state", runner)
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def deploy(fleet: Fleet, extra: dict | None = None, host: str = "ws2022") -> None:
    done = fleet.play(DEPLOY, "--limit", host, extra=extra)
    assert done.rc == 0, done.output


def running(fleet: Fleet, host: str = "ws2022") -> dict[str, str]:
    return {name: c["state"] for name, c in fleet.containers(host).items() if name != "byhand"}


def test_patch_restores_the_workloads_of_the_deployment_owner(fleet):
    deploy(fleet, OWNER)
    run = fleet.play(PATCH, "--limit", "ws2022", extra=OWNER)
    assert run.rc == 0, run.output
    assert fleet.state("ws2022")["os"]["revision"] == 2227
    assert running(fleet) == {"web": "running", "tenant": "running", "build": "running"}
    report = reports(run)["ws2022"]
    assert report["patched"] and report["rebooted"]


def test_refresh_replaces_the_workloads_of_the_deployment_owner(fleet):
    deploy(fleet, OWNER)
    before = fleet.containers("ws2022")
    fleet.wcsim("publish", "--state-dir", str(fleet.state_dir), NANO, "10.0.20348.2227")
    run = fleet.play(REFRESH, "--limit", "ws2022", extra=OWNER)
    assert run.rc == 0, run.output
    after = fleet.containers("ws2022")
    for name in ("web", "tenant"):
        assert after[name]["image_id"] != before[name]["image_id"], name
        assert after[name]["state"] == "running", name
    assert changed(run)["ws2022"] > 0


def test_a_restore_that_would_be_refused_is_refused_before_the_drain(fleet):
    deploy(fleet, OWNER)
    before = fleet.state_hash("ws2022")
    run = fleet.play(
        PATCH, "--limit", "ws2022", extra={**OWNER, "container_updates_owner": "someone-else"}
    )
    assert run.rc != 0
    assert "rule 'container-of-another-owner'" in run.stdout, run.output
    assert "set container_updates_owner" in run.stdout
    assert "Nothing was changed." in run.stdout
    assert fleet.state_hash("ws2022") == before
    assert running(fleet) == {"web": "running", "tenant": "running", "build": "running"}


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("container_updates_start_timeout", 0),
        ("container_updates_reboot_timeout", -1),
        ("container_updates_ready_retries", -1),
        ("container_updates_lease_id", "job\nrm -rf"),
        ("container_updates_resume_lease", "a;b"),
        ("container_updates_lease_seconds", 0),
    ],
)
def test_a_bad_setting_is_refused_before_any_change_naming_it(fleet, variable, value):
    deploy(fleet)
    before = fleet.state_hash("ws2022")
    fleet.reset_counters()
    run = fleet.play(PATCH, "--limit", "ws2022", extra={variable: value})
    assert run.rc != 0
    assert f"rule bad-setting, {variable})" in run.stdout, run.output
    assert "Nothing was changed." in run.stdout
    assert fleet.state_hash("ws2022") == before
    assert fleet.module_runs().get("ws2022", {}) == {}  # refused before the host is read
    assert running(fleet) == {"web": "running", "tenant": "running", "build": "running"}


def test_a_known_revision_of_another_build_is_refused_before_the_drain(fleet):
    deploy(fleet)
    before = fleet.state_hash("ws2022")
    run = fleet.play(
        PATCH,
        "--limit",
        "ws2022",
        extra={"container_updates_known_revisions": {"KB5034129": "17763.2227"}},
    )
    assert run.rc != 0
    assert "rule 'bad-known-revision'" in run.stdout, run.output
    assert "container_updates_known_revisions['KB5034129']" in run.stdout
    assert fleet.state_hash("ws2022") == before


def test_no_task_result_shows_a_secret_value_at_any_verbosity(fleet):
    secret = "s3cr3t-Value-9f1c"
    workloads = [
        {
            "name": "web",
            "image": NANO,
            "command": ["ping", "-t", "localhost"],
            "secret_env": {"API_TOKEN": secret},
        }
    ]
    key = {"container_workloads_config_hash_key": "hash-Key-77ab"}
    deploy(fleet, {"wincontainers_workloads": workloads, **key})
    run = fleet.play(PATCH, "-vvv", "--limit", "ws2022",
                     extra={"wincontainers_workloads": workloads, **key})  # fmt: skip
    assert run.rc == 0, run.output
    assert fleet.state("ws2022")["os"]["revision"] == 2227
    assert fleet.containers("ws2022")["web"]["state"] == "running"
    assert secret not in run.stdout + run.stderr
    assert "hash-Key-77ab" not in run.stdout + run.stderr


def summary(run, key: str = "wincontainers_patch") -> dict:
    return run.data.get("global_custom_stats", {}).get(key, {})


def test_a_held_host_is_a_warning_and_counted_in_the_run_summary(fleet, runner):
    deploy(fleet, host="h16-hold")
    run = fleet.play(PATCH, "--limit", "h16-hold,current")
    assert run.rc == 0, run.output
    published = summary(run)
    assert set(published["held"]) == {"h16-hold"}, published
    assert published["held"]["h16-hold"]["rules"] == ["patch-breaks-workload"]
    assert set(published["unchanged"]) == {"current"}
    assert published["patched"] == {} and published["failed"] == {}
    # The job output as AWX shows it (the default callback): a real warning.
    shown = runner(PATCH, "-i", str(HOST_VARS), "--limit", "h16-hold", inventory=fleet.inventory,
                   callback="default")  # fmt: skip
    assert shown.rc == 0, shown.output
    assert "[WARNING]: HELD, not patched: host 'h16-hold', workload 'app'" in shown.output


def test_the_run_summary_is_published_when_every_host_failed(fleet):
    # Both hosts in one batch: the rollout stops after a failed batch.
    extra = {"container_updates_start_timeout": 0, "container_updates_serial": [2]}
    run = fleet.play(PATCH, "--limit", "ws2022,current", extra=extra)
    assert run.rc != 0
    published = summary(run)
    assert set(published.get("failed", {})) == {"ws2022", "current"}, run.output
    assert published["patched"] == {} and published["held"] == {}


def test_a_patched_host_is_counted(fleet):
    deploy(fleet)
    fleet.reset_counters()
    run = fleet.play(PATCH, "--limit", "ws2022")
    assert run.rc == 0, run.output
    runs = fleet.module_runs()["ws2022"]
    print("module runs of a patched host:", runs)
    # The read, the readiness read (the engine answers at the first poll), the read after.
    assert runs["trustbound.wincontainers.container_host_info"] <= 3, runs
    assert summary(run)["patched"] == {"ws2022": {"rules": [], "detail": "10.0.20348.2227"}}


PULL_ONLY = [
    {
        "name": "Pull the moved tag as a refresh that failed after its pull left it",
        "hosts": "ws2022",
        "gather_facts": False,
        "tasks": [
            {"trustbound.wincontainers.container_host_info": {}, "register": "read"},
            {
                "trustbound.wincontainers.container_steps": {
                    "steps": [{"action": "pull", "image": NANO}],
                }
            },
        ],
    }
]


def test_refresh_by_collection_name_converges_after_a_failed_refresh(fleet, tmp_path):
    deploy(fleet)
    before = fleet.containers("ws2022")
    fleet.wcsim("publish", "--state-dir", str(fleet.state_dir), NANO, "10.0.20348.2227")
    plays = tmp_path / "pull.yml"
    plays.write_text(json.dumps(PULL_ONLY), encoding="utf-8")
    pulled = fleet.play(plays)
    assert pulled.rc == 0, pulled.output
    name = "trustbound.wincontainers.refresh_images"
    check = fleet.play(name, "--limit", "ws2022", "--check")
    assert check.rc == 0, check.output
    assert "'would_replace': ['web', 'tenant']" in check.stdout.replace('"', "'") or (
        '"would_replace": [\n' in check.stdout and '"tenant"' in check.stdout
    ), check.output
    assert fleet.containers("ws2022")["web"]["image_id"] == before["web"]["image_id"]
    run = fleet.play(name, "--limit", "ws2022")
    assert run.rc == 0, run.output
    after = fleet.containers("ws2022")
    for workload in ("web", "tenant"):
        assert after[workload]["image_id"] != before[workload]["image_id"], workload
        assert after[workload]["state"] == "running", workload
    assert after["build"]["id"] == before["build"]["id"]
    assert set(summary(run, "wincontainers_refresh")["refreshed"]) == {"ws2022"}
    again = fleet.play(name, "--limit", "ws2022")
    assert changed(again) == {"ws2022": 0}, again.output
    assert set(summary(again, "wincontainers_refresh")["unchanged"]) == {"ws2022"}


def test_a_host_left_waiting_for_its_restart_is_restarted_by_the_next_patch(tmp_path, runner):
    # A connection dropped during the install: the update is in, waiting for its restart,
    # and Windows Update's search no longer lists it.
    canary = Fleet(FLEETS / "container_updates_canary.yml", tmp_path / "state", runner)
    canary.start()
    try:
        deployed = canary.play(DEPLOY, "--limit", "dropped")
        assert deployed.rc == 0, deployed.output
        first = canary.play(PATCH, "--limit", "dropped")
        assert first.rc != 0
        assert canary.state("dropped")["os"]["revision"] == 2113
        assert {u["status"] for u in canary.state("dropped")["updates"]} == {"pending_reboot"}
        again = canary.play(PATCH, "--limit", "dropped")
        assert again.rc == 0, again.output
        assert canary.state("dropped")["os"]["revision"] == 2227
        assert canary.containers("dropped")["web"]["state"] == "running"
        report = reports(again)["dropped"]
        assert report["patched"] and report["rebooted"] and report["restart_pending"]
        assert summary(again)["patched"] == {"dropped": {"rules": [], "detail": "10.0.20348.2227"}}
    finally:
        canary.stop()


def test_a_workload_that_does_not_start_again_does_not_keep_the_others_down(fleet, tmp_path):
    deploy(fleet)
    # From the patch on, the container 'web' exits as soon as it starts (the simulator's
    # container_exit_after_start fault): same hosts, same state, the fleet file adds the fault.
    config = yaml.safe_load(fleet.fleet_file.read_text(encoding="utf-8"))
    config["hosts"]["ws2022"]["faults"] = {"container_exit_after_start": [{"name": "web"}]}
    faulty = tmp_path / "faulty.yml"
    faulty.write_text(yaml.safe_dump(config), encoding="utf-8")
    fleet.stop()
    fleet.wcsim("start", "--fleet", str(faulty), "--state-dir", str(fleet.state_dir))
    run = fleet.play(PATCH, "--limit", "ws2022")
    assert run.rc != 0
    assert fleet.state("ws2022")["os"]["revision"] == 2227
    containers = fleet.containers("ws2022")
    assert containers["tenant"]["state"] == "running", run.output
    assert containers["build"]["state"] == "running"
    assert containers["web"]["state"] == "exited"
    assert "not brought to their state: 'web'" in run.stdout
    files = fleet.state("ws2022")["files"]
    lock = next((f["content"] for k, f in files.items() if k.lower().endswith("host.lock")), "")
    assert "lease_id" not in (json.loads(lock) if lock else {}), "the lease was ended"
    assert set(summary(run)["failed"]) == {"ws2022"}


def test_refresh_refuses_a_process_workload_whose_tag_moved_past_the_host(fleet):
    workloads = {"wincontainers_workloads": [{"name": "web", "image": NANO,
                                              "isolation": "process"}]}  # fmt: skip
    deploy(fleet, workloads)
    before = fleet.containers("ws2022")["web"]
    fleet.wcsim("publish", "--state-dir", str(fleet.state_dir), NANO, "10.0.20348.2227")
    run = fleet.play(REFRESH, "--limit", "ws2022", extra=workloads)
    assert run.rc != 0
    assert "refused by rule 'newer-image-revision-under-process'" in run.stdout, run.output
    assert "No container was changed" in run.stdout or "Nothing was changed" in run.stdout
    after = fleet.containers("ws2022")["web"]
    assert (after["id"], after["state"]) == (before["id"], "running")
    assert set(summary(run, "wincontainers_refresh")["failed"]) == {"ws2022"}


def test_refresh_refuses_a_workload_the_policy_refuses_today_before_any_pull(fleet):
    deploy(fleet)
    fleet.reset_counters()
    admin = {"wincontainers_workloads": [{"name": "web", "image": NANO,
                                          "user": "ContainerAdministrator"}]}  # fmt: skip
    run = fleet.play(REFRESH, "--limit", "ws2022", extra=admin)
    assert run.rc != 0
    assert "admin" in run.stdout and "Nothing was changed." in run.stdout, run.output
    assert fleet.module_runs()["ws2022"] == {"trustbound.wincontainers.container_host_info": 1}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_a_host_that_does_not_answer(fleet: Fleet, tmp_path: Path) -> Path:
    """The fleet's inventory plus 'gone': a Windows host whose WinRM port refuses connections."""
    inventory = yaml.safe_load(fleet.inventory.read_text(encoding="utf-8"))
    hosts = inventory["all"]["children"]["windows"]["hosts"]
    hosts["gone"] = dict(hosts["current"], ansible_port=closed_port())
    path = tmp_path / "with-gone.yml"
    path.write_text(yaml.safe_dump(inventory), encoding="utf-8")
    return path


def test_an_unreachable_host_is_counted_in_the_run_summary(fleet, tmp_path):
    inventory = with_a_host_that_does_not_answer(fleet, tmp_path)
    extra = {"container_updates_serial": [2]}
    run = fleet._run(PATCH, "-i", str(HOST_VARS), "--limit", "gone,current", extra_vars=extra,
                     inventory=inventory)  # fmt: skip
    assert run.rc != 0
    published = summary(run)
    assert set(published.get("unreachable", {})) == {"gone"}, run.output
    assert set(published["unchanged"]) == {"current"}
    assert published["failed"] == {} and published["patched"] == {}
    assert "host 'gone' does not answer" in run.stdout


def test_the_run_summary_is_published_when_every_host_is_unreachable(fleet, tmp_path):
    inventory = with_a_host_that_does_not_answer(fleet, tmp_path)
    run = fleet._run(PATCH, "-i", str(HOST_VARS), "--limit", "gone", inventory=inventory)
    assert run.rc != 0
    assert set(summary(run).get("unreachable", {})) == {"gone"}, run.output


def test_a_failed_install_restores_with_the_plans_hyperv_override(fleet, tmp_path):
    # h16-hyperv: the patch moves 'app' to Hyper-V isolation (resolution hyperv). Its restart
    # takes longer than container_updates_reboot_timeout, so win_updates fails after the drain;
    # the rescue waits for the engine and restores with the plan's override.
    deploy(fleet, host="h16-hyperv")
    assert fleet.containers("h16-hyperv")["app"]["isolation"] == "process"
    config = yaml.safe_load(fleet.fleet_file.read_text(encoding="utf-8"))
    config["hosts"]["h16-hyperv"] = dict(config["hosts"]["h16-hyperv"] or {})
    config["hosts"]["h16-hyperv"]["faults"] = {"reboot_seconds": 12}
    faulty = tmp_path / "faulty.yml"
    faulty.write_text(yaml.safe_dump(config), encoding="utf-8")
    fleet.stop()
    fleet.wcsim("start", "--fleet", str(faulty), "--state-dir", str(fleet.state_dir))
    run = fleet.play(PATCH, "--limit", "h16-hyperv", extra={"container_updates_reboot_timeout": 2})
    assert run.rc != 0
    assert "host 'h16-hyperv': the patch failed at 'Install the updates" in run.stdout, run.output
    assert "Workloads brought back: yes" in run.stdout, run.output
    assert fleet.state("h16-hyperv")["os"]["revision"] == 6614
    app = fleet.containers("h16-hyperv")["app"]
    assert (app["state"], app["isolation"]) == ("running", "hyperv"), run.output
    files = fleet.state("h16-hyperv")["files"]
    lock = next((f["content"] for k, f in files.items() if k.lower().endswith("host.lock")), "")
    assert "lease_id" not in (json.loads(lock) if lock else {}), "the lease was ended"
    assert set(summary(run)["failed"]) == {"h16-hyperv"}
