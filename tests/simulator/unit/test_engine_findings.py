"""container_engine model: the review's findings (issue 18 item 7), each as Windows behaves.

- the data root's ACL is set with the engine stopped, inside the switch, and not where image
  layers are (Set-Acl propagates to every child, learn.microsoft.com "Automatic Propagation of
  Inheritable ACEs");
- a StartPending dockerd accepts no Stop-Service (ControlService:
  ERROR_SERVICE_CANNOT_ACCEPT_CTRL): the rollback waits for a steady state;
- dockerd.exe cannot be replaced until its process has exited;
- a deleted service stays, marked, while a handle keeps it (DeleteService): CreateService
  fails with ERROR_SERVICE_MARKED_FOR_DELETE until it is gone;
- the unpacked dockerd.exe must report the pinned version;
- a host lock another account owns is refused.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from engine_args import ENGINE_HOST

from wcsim.engine import EngineError
from wcsim.fleet import Fleet
from wcsim.host_lock import LOCK_PATH
from wcsim.interface import ModuleRun
from wcsim.state import PROTECTED_SDDL

ENGINE = "trustbound.wincontainers.container_engine"
STEPS = "trustbound.wincontainers.container_steps"
URL_27 = "https://download.docker.com/win/static/stable/x86_64/docker-27.3.1.zip"
SHA_27 = "1" * 64
URL_BAD = "https://mirror.example/docker-27.3.1.zip"
SHA_BAD = "2" * 64
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
INHERITED = "D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIID;0x1200a9;;;BU)"
USER_SID = "S-1-5-21-1004336348-1177238915-682003330-1001"

FLEET = f"""
downloads:
  {URL_27}: {{version: "27.3.1", sha256: "{SHA_27}"}}
  {URL_BAD}: {{version: "27.3.0", sha256: "{SHA_BAD}"}}
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
      - {{name: web, image: {NANO}}}
  empty:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {{version: "26.1.4"}}
  ms:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {{version: "24.0.7", install_path: 'C:\\Windows\\System32'}}
"""


def load(tmp_path, faults=None, host_extra=""):
    text = textwrap.dedent(FLEET)
    for name, value in (faults or {}).items():
        text = text.replace(f"  {name}:\n", f"  {name}:\n    faults: {json.dumps(value)}\n", 1)
    text += host_extra
    path = tmp_path / "fleet.yml"
    path.write_text(text, encoding="utf-8")
    return Fleet.load(path, tmp_path / "state")


def run(fleet, host, steps, url=URL_27, checksum=SHA_27, **more):
    args = {"version": "27.3.1", "url": url, "checksum": checksum, "_steps": steps,
            "_engine_host": ENGINE_HOST, **more}  # fmt: skip
    reply = fleet.handle(host, ModuleRun(module=ENGINE, args=args))
    return reply.rc, json.loads(reply.stdout)


def running_ids(fleet, host="h"):
    return [c.id for c in fleet.host(host).state.containers if c.running]


# ------------------------------------------------------------- data root ACL --
def test_acl_is_not_reset_where_image_layers_are(tmp_path):
    fleet = load(tmp_path)
    fleet.host("h").state.data_root_sddl = INHERITED
    before = running_ids(fleet)
    rc, result = run(fleet, "h", ["protect_data_root", "restart"])
    assert rc == 0, result
    assert result["data_root_acl"] == {
        "protected": False,
        "reason": "C:\\ProgramData\\docker\\windowsfilter holds image layers",
    }
    assert fleet.host("h").state.data_root_sddl == INHERITED
    assert running_ids(fleet) == before  # the restart for it started them again


def test_acl_is_set_with_the_engine_stopped_where_no_layers_are(tmp_path):
    fleet = load(tmp_path)
    host = fleet.host("empty")
    host.state.data_root_sddl = INHERITED
    rc, result = run(fleet, "empty", ["protect_data_root", "restart"])
    assert rc == 0, result
    assert result["data_root_acl"] == {"protected": True, "reason": ""}
    assert host.state.data_root_sddl == PROTECTED_SDDL
    assert host.engine.running


def test_a_switch_failing_before_the_acl_step_leaves_the_acl(tmp_path):
    # Protect-DataRoot runs inside the switch, after the binaries: a failed copy rolls back
    # before it (it ran before the transaction, unguarded, until issue 18).
    fleet = load(tmp_path, {"empty": {"locked_engine_files": ["docker.exe"]}})
    host = fleet.host("empty")
    host.state.data_root_sddl = INHERITED
    rc, result = run(fleet, "empty", ["install", "protect_data_root", "restart"])
    assert rc == 1 and "rolled back to docker 26.1.4" in result["msg"], result
    assert host.state.data_root_sddl == INHERITED
    assert "data_root_acl" not in result


# ----------------------------------------------------- StartPending rollback --
def test_stop_service_on_a_start_pending_dockerd_fails_as_windows_does(tmp_path):
    fleet = load(tmp_path)
    fleet.host("h").faults["engine_start_pending"] = {"version": "26.1.4"}  # after seeding
    engine = fleet.host("h").engine
    engine.stop_service()
    engine.start_service()
    assert engine.record.service_state == "startpending"
    with pytest.raises(EngineError) as raised:
        engine.stop_service()
    assert raised.value.message == (
        "Service 'Docker Engine (docker)' cannot be stopped due to the following error: "
        "Cannot stop docker service on computer '.'."
    )
    assert engine.settle() == "running"


def test_rollback_waits_for_a_start_pending_dockerd_before_stopping_it(tmp_path):
    fleet = load(tmp_path, {"h": {"engine_start_pending": {"version": "27.3.1"}}})
    before = running_ids(fleet)
    rc, result = run(fleet, "h", ["install", "restart"], start_timeout=5)
    assert rc == 1
    assert result["msg"].startswith("dockerd did not answer within 5 s: ")
    assert result["msg"].endswith(
        "; rolled back to docker 26.1.4 and the previous daemon.json, engine running again"
    )
    engine = fleet.host("h").engine
    assert engine.running and engine.record.version == "26.1.4"
    assert running_ids(fleet) == before


def test_a_change_arriving_during_a_start_pending_waits_for_it(tmp_path):
    fleet = load(tmp_path)
    fleet.host("h").faults["engine_start_pending"] = {"version": "26.1.4"}  # after seeding
    engine = fleet.host("h").engine
    engine.stop_service()
    engine.start_service()  # e.g. the SCM's recovery restart after a crash
    rc, result = run(fleet, "h", ["install", "restart"])
    assert rc == 0, result
    assert engine.running and engine.record.version == "27.3.1"


# ------------------------------------------------------------ dockerd's exit --
def test_dockerd_image_is_replaced_only_after_its_process_exited(tmp_path):
    fleet = load(tmp_path, {"h": {"dockerd_exits_late": True}})
    engine = fleet.host("h").engine
    engine.stop_service()
    assert engine.record.process_exiting  # SERVICE_STOPPED, the process still there
    engine.wait_process_exit()
    assert not engine.record.process_exiting
    engine.start_service()
    rc, result = run(fleet, "h", ["install", "restart"])
    assert rc == 0, result
    assert engine.record.version == "27.3.1"


# ------------------------------------------------------- deleted service gone --
def test_register_on_a_service_marked_for_deletion_fails_with_1072(tmp_path):
    fleet = load(tmp_path, {"ms": {"service_delete_pending": True}})
    engine = fleet.host("ms").engine
    engine.unregister_service()
    assert engine.record.service_state == "stopped" and engine.record.marked_for_delete
    with pytest.raises(EngineError) as raised:
        engine.register_service()
    assert raised.value.message == "The specified service has been marked for deletion."


def test_the_module_polls_until_the_deleted_service_is_gone(tmp_path):
    fleet = load(tmp_path, {"ms": {"service_delete_pending": True}})
    steps = ["install", "unregister_service", "remove_eventlog_source", "register_service",
             "start"]  # fmt: skip
    rc, result = run(fleet, "ms", steps)
    assert rc == 0, result
    record = fleet.host("ms").engine.record
    assert record.service_binary == "C:\\Program Files\\docker\\dockerd.exe"
    assert record.running_version == "27.3.1"


# ------------------------------------------------------ staged version check --
def test_an_unpacked_dockerd_of_another_version_changes_nothing(tmp_path):
    fleet = load(tmp_path)
    before = running_ids(fleet)
    rc, result = run(fleet, "h", ["install", "restart"], url=URL_BAD, checksum=SHA_BAD)
    assert rc == 1
    assert result["msg"] == (
        f"the dockerd.exe in {URL_BAD} reports version 27.3.0, not the pinned 27.3.1;"
        " nothing was changed"
    )
    engine = fleet.host("h").engine
    assert engine.running and engine.record.version == "26.1.4"
    assert running_ids(fleet) == before


# ----------------------------------------------------------- host lock owner --
def test_a_lock_file_another_account_owns_is_refused_before_any_change(tmp_path):
    # A local user created host.lock first (ProgramData lets every user create files) and
    # holds it open: every writer waited for it until issue 18.
    extra = f"    files:\n      '{LOCK_PATH}': {{content: '', owner: '{USER_SID}'}}\n"
    fleet = load(tmp_path, host_extra=extra)  # the last host in FLEET: ms
    rc, result = run(fleet, "ms", ["restart"])
    assert rc == 1
    assert result["msg"] == (
        f"the host lock {LOCK_PATH} is owned by {USER_SID}, not by Administrators or SYSTEM:"
        " another account created it and could keep every run from changing this host. Nothing"
        f" was changed; remove {LOCK_PATH} as an administrator and run again"
    )
    assert result["changed"] is False
    assert fleet.host("ms").engine.record.version == "24.0.7"
    # container_steps takes the same lock (HostLock.psm1): refused alike
    reply = fleet.handle("ms", ModuleRun(module=STEPS, args={"steps": [], "lock_timeout": 0}))
    assert reply.rc == 1 and f"is owned by {USER_SID}" in json.loads(reply.stdout)["msg"]


# ------------------------------------------------------------ _engine_host --
def test_a_command_line_the_model_does_not_know_is_refused(tmp_path):
    fleet = load(tmp_path)
    engine_host = json.loads(json.dumps(ENGINE_HOST))
    engine_host["commands"]["list_running"] = ["ps", "-q"]
    args = {"version": "27.3.1", "url": URL_27, "checksum": SHA_27, "_steps": ["restart"],
            "_engine_host": engine_host}  # fmt: skip
    reply = fleet.handle("h", ModuleRun(module=ENGINE, args=args))
    assert reply.rc == 1
    assert "wcsim models _engine_host.commands.list_running" in json.loads(reply.stdout)["msg"]
