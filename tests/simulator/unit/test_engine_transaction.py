"""container_engine model: an engine change is a transaction (switch, start, verify, roll back)."""

from __future__ import annotations

import json
import textwrap

import host_reads
import pytest
from engine_args import ENGINE_HOST

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_restart
from wcsim.fleet import Fleet
from wcsim.interface import ModuleRun

ENGINE = "trustbound.wincontainers.container_engine"
URL_27 = "https://download.docker.com/win/static/stable/x86_64/docker-27.3.1.zip"
SHA_27 = "1" * 64
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
OLD_CONFIG = {"hosts": ["npipe://"]}

FLEET = f"""
downloads:
  {URL_27}: {{version: "27.3.1", sha256: "{SHA_27}"}}
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2340"}}
hosts:
  h:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {{version: "26.1.4", daemon_config: {{hosts: ["npipe://"]}}}}
    images: [{NANO}]
    containers:
      - {{name: web, image: {NANO}, labels: {{trustbound.wincontainers.owner: acme}}}}
      - {{name: theirs, image: {NANO}, labels: {{trustbound.wincontainers.owner: globex}}}}
      - {{name: by-hand, image: {NANO}}}
      - {{name: always, image: {NANO}, restart_policy: always}}
"""


def load(tmp_path, faults=None):
    text = textwrap.dedent(FLEET)
    if faults:
        text += "    faults: " + json.dumps(faults) + "\n"
    path = tmp_path / "fleet.yml"
    path.write_text(text, encoding="utf-8")
    return Fleet.load(path, tmp_path / "state")


def running_ids(fleet):
    return [c.id for c in fleet.host("h").state.containers if c.running]


def report(fleet, result):
    """``containers`` as the action returns it: the model's raw runs mapped on the controller."""
    names = {c.id: c.name for c in fleet.host("h").state.containers}
    return engine_restart.container_report(result["containers"], names)


def upgrade(fleet, config=None, steps=("install", "restart")):
    steps = list(steps)
    args = {
        "version": "27.3.1",
        "url": URL_27,
        "checksum": SHA_27,
        "_steps": steps,
    }
    if config is not None:
        args["_daemon_config_text"] = json.dumps(config)
        steps.insert(-1, "write_config")
    reply = fleet.handle("h", ModuleRun(module=ENGINE, args={**args, "_engine_host": ENGINE_HOST}))
    return reply.rc, json.loads(reply.stdout)


def test_upgrade_restarts_every_container_that_ran_before(tmp_path):
    fleet = load(tmp_path)
    before = running_ids(fleet)
    rc, result = upgrade(fleet)
    assert rc == 0, result
    assert fleet.host("h").engine.record.version == "27.3.1"
    assert running_ids(fleet) == before  # all four, the hand-started and globex's too
    # One docker start of every id listed (the "always" one runs already: started too).
    assert result["containers"]["listed"]["stdout"].split() == before
    assert result["containers"]["started"]["stdout"].split() == before
    assert sorted(report(fleet, result)["restored"]) == sorted(before)
    assert report(fleet, result)["not_restarted"] == []


def test_asynchronous_start_failure_rolls_back_and_restores_workloads(tmp_path):
    fleet = load(tmp_path, {"engine_start_fails": {"version": "27.3.1"}})
    before = running_ids(fleet)
    rc, result = upgrade(fleet)
    assert rc == 1
    assert result["msg"] == (
        "The docker service started but dockerd exited during start-up: failed to start "
        "daemon: Error initializing network controller: Error creating default network: HNS "
        "failed with error : Unspecified error; rolled back to docker 26.1.4 and the previous "
        "daemon.json, engine running again"
    )
    assert result["rolled_back"] is True
    engine = fleet.host("h").engine
    assert engine.running and engine.record.version == "26.1.4"
    assert running_ids(fleet) == before


def test_locked_docker_exe_rolls_back_before_any_start(tmp_path):
    fleet = load(tmp_path, {"locked_engine_files": ["docker.exe"]})
    before = running_ids(fleet)
    rc, result = upgrade(fleet)
    assert rc == 1
    assert result["msg"].startswith(
        "Failed to replace C:\\Program Files\\docker\\docker.exe: The process cannot access the "
        "file 'C:\\Program Files\\docker\\docker.exe' because it is being used by another process."
    )
    assert "rolled back to docker 26.1.4" in result["msg"]
    engine = fleet.host("h").engine
    assert engine.running and engine.record.version == "26.1.4"
    assert running_ids(fleet) == before


def test_config_dockerd_refuses_is_rolled_back_to_the_previous_file(tmp_path):
    fleet = load(tmp_path)
    before = running_ids(fleet)
    rc, result = upgrade(fleet, config={"hosts": ["npipe://"], "bogus-key": 1}, steps=["restart"])
    assert rc == 1
    assert (
        "the following directives don't match any configuration option: bogus-key"
        in (result["msg"])
    )
    assert "rolled back to docker 26.1.4 and the previous daemon.json" in result["msg"]
    engine = fleet.host("h").engine
    assert engine.record.daemon_config == OLD_CONFIG
    assert engine.running
    assert running_ids(fleet) == before


def test_container_that_cannot_start_again_is_reported(tmp_path):
    fleet = load(tmp_path)
    host = fleet.host("h")
    # the image of by-hand goes away while it runs: it cannot start again
    victim = next(c for c in host.state.containers if c.name == "by-hand")
    victim.image_id = "sha256:" + "0" * 64
    rc, result = upgrade(fleet)
    assert rc == 0, result
    error = f"Error response from daemon: No such image: {NANO}"
    assert report(fleet, result)["not_restarted"] == [
        {"id": victim.id, "name": "by-hand", "error": error}
    ]
    assert result["containers"]["started"]["stderr"].endswith(
        f"Error: failed to start containers: {victim.id}\n"
    )


@pytest.mark.parametrize("steps", [["install", "restart"]])
def test_fresh_failure_without_previous_engine_is_not_rolled_back(tmp_path, steps):
    del steps
    fleet = load(tmp_path, {"engine_start_fails": {"version": "27.3.1"}})
    host = fleet.host("h")
    host.engine.uninstall()
    host.state.containers.clear()
    args = {"version": "27.3.1", "url": URL_27, "checksum": SHA_27,
            "_steps": ["install", "register_service", "start"]}  # fmt: skip
    reply = fleet.handle("h", ModuleRun(module=ENGINE, args={**args, "_engine_host": ENGINE_HOST}))
    result = json.loads(reply.stdout)
    assert reply.rc == 1
    assert "rolled back" not in result["msg"]
    assert result["rolled_back"] is False


@pytest.mark.parametrize("times", [1, None])
def test_a_failure_with_nothing_to_roll_back_starts_the_engine_and_its_containers_again(
    tmp_path, times
):
    # A restart alone (daemon.json unchanged, e.g. after protect_data_root) has no previous
    # engine to go back to: the engine that ran is started again, with its containers.
    fault = {"version": "26.1.4"} | ({"times": times} if times else {})
    fleet = load(tmp_path)
    fleet.host("h").faults["engine_start_fails"] = fault  # after seeding
    before = running_ids(fleet)
    args = {"version": "26.1.4", "url": URL_27, "checksum": SHA_27, "_steps": ["restart"]}
    reply = fleet.handle("h", ModuleRun(module=ENGINE, args={**args, "_engine_host": ENGINE_HOST}))
    result = json.loads(reply.stdout)
    assert reply.rc == 1 and result["rolled_back"] is False, result
    assert "dockerd exited during start-up" in result["msg"]
    mapped = report(fleet, result)
    if times:  # the second start works: everything that ran runs again
        assert fleet.host("h").engine.running
        assert running_ids(fleet) == before
        assert sorted(mapped["restored"]) == sorted(before) and mapped["not_restarted"] == []
    else:  # the engine stays down: every container that ran is reported, none forgotten
        assert not fleet.host("h").engine.running
        assert "; the engine did not start again: " in result["msg"]
        assert [e["id"] for e in mapped["not_restarted"]] == before
        assert {e["error"] for e in mapped["not_restarted"]} == {engine_restart.NOT_BROUGHT_BACK}


BARE = f"""
downloads:
  {URL_27}: {{version: "27.3.1", sha256: "{SHA_27}"}}
hosts:
  bare: {{os_version: "10.0.20348.2340", features: [Containers]}}
"""


def bare_install(tmp_path, steps):
    path = tmp_path / "bare.yml"
    path.write_text(textwrap.dedent(BARE), encoding="utf-8")
    fleet = Fleet.load(path, tmp_path / "bare-state")
    args = {"version": "27.3.1", "url": URL_27, "checksum": SHA_27, "_steps": steps,
            "_daemon_config_text": json.dumps(OLD_CONFIG)}  # fmt: skip
    reply = fleet.handle(
        "bare", ModuleRun(module=ENGINE, args={**args, "_engine_host": ENGINE_HOST})
    )
    assert reply.rc == 0, reply.stdout
    return fleet.host("bare").state.data_root_sddl


def test_daemon_json_written_first_leaves_the_inherited_acl(tmp_path):
    # dockerd applies its ACL only when it creates the root (setupDaemonRoot).
    sddl = bare_install(tmp_path, ["install", "register_service", "write_config", "start"])
    assert sddl.startswith("D:AI(") and ";;;BU)" in sddl


def test_protected_data_root_before_daemon_json_keeps_dockerds_acl(tmp_path):
    steps = ["install", "register_service", "protect_data_root", "write_config", "start"]
    assert bare_install(tmp_path, steps) == "D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)"


MS_SCRIPT = f"""
downloads:
  {URL_27}: {{version: "27.3.1", sha256: "{SHA_27}"}}
hosts:
  mshost:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {{version: "24.0.7", install_path: 'C:\\Windows\\System32'}}
  leftover:
    os_version: "10.0.20348.2340"
    features: [Containers]
    eventlog_source: true
"""
INFO = "trustbound.wincontainers.container_host_info"


def ms_fleet(tmp_path):
    path = tmp_path / "ms.yml"
    path.write_text(textwrap.dedent(MS_SCRIPT), encoding="utf-8")
    return Fleet.load(path, tmp_path / "ms-state")


def engine_info(fleet, host):
    return host_reads.read(fleet, host)[1]["engine"]


def run_steps(fleet, host, steps):
    args = {
        "version": "27.3.1",
        "url": URL_27,
        "checksum": SHA_27,
        "_steps": steps,
    }
    reply = fleet.handle(host, ModuleRun(module=ENGINE, args={**args, "_engine_host": ENGINE_HOST}))
    return reply.rc, json.loads(reply.stdout)


def test_engine_installed_by_microsofts_script_is_reported_as_it_runs(tmp_path):
    facts = engine_info(ms_fleet(tmp_path), "mshost")
    assert facts["installed"] is False and facts["version"] is None  # not in Program Files
    assert facts["service_state"] == "running"
    assert facts["service_binary"] == "C:\\Windows\\System32\\dockerd.exe"
    assert facts["server_version"] == "24.0.7"


def test_installing_ours_without_registering_again_keeps_running_the_old_binary(tmp_path):
    fleet = ms_fleet(tmp_path)
    rc, result = run_steps(fleet, "mshost", ["install", "restart"])
    assert rc == 0, result
    assert engine_info(fleet, "mshost")["server_version"] == "24.0.7"  # as Windows would
    # sc.exe delete leaves the EventLog source: registering again needs it gone
    rc, result = run_steps(fleet, "mshost", ["unregister_service", "register_service", "start"])
    assert rc == 1 and "registry key already exists" in result["msg"], result
    assert result["rolled_back"] is True
    assert engine_info(fleet, "mshost")["service_binary"] == "C:\\Windows\\System32\\dockerd.exe"
    steps = ["unregister_service", "remove_eventlog_source", "register_service", "start"]
    rc, result = run_steps(fleet, "mshost", steps)
    assert rc == 0, result
    facts = engine_info(fleet, "mshost")
    assert facts["server_version"] == "27.3.1"
    assert facts["service_binary"] == "C:\\Program Files\\docker\\dockerd.exe"


def test_leftover_eventlog_source_fails_register_service_as_dockerd_does(tmp_path):
    fleet = ms_fleet(tmp_path)
    rc, result = run_steps(fleet, "leftover", ["install", "register_service", "start"])
    assert rc == 1
    assert result["msg"] == (
        "dockerd --register-service failed (rc 1): SYSTEM\\CurrentControlSet\\Services\\EventLog"
        "\\Application\\docker registry key already exists"
    )
    # CreateService ran before eventlog.Install: the service exists now
    assert fleet.host("leftover").engine.record.service_state == "stopped"
