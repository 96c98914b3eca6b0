"""The container_workloads action: module runs, policy wiring, check mode, secrets, failures.

``FakeHost`` stands in for ``_execute_module``: it answers container_host_info
from its state, records every call, and carries out container_steps on that
state the simple way (no docker rules: those are the simulator's job in the
integration tests).
"""

from __future__ import annotations

import copy
import json
from unittest.mock import MagicMock

import executor_fake
import pytest
from action_harness import make_action

from ansible_collections.trustbound.wincontainers.plugins.action.container_workloads import (
    ActionModule,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.workload_reconcile import (
    image_registry,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
CORE = "mcr.microsoft.com/windows/servercore:ltsc2022"
NEWER = "mcr.microsoft.com/windows/nanoserver:ltsc2025"
OLDER = "mcr.microsoft.com/windows/nanoserver:1809"
PRIVATE = "registry.example.com:5000/team/api:1.0"
HOST_VERSION = "10.0.20348.2340"
REGISTRY = {
    NANO: {"os_version": "10.0.20348.2340", "user": "ContainerUser"},
    CORE: {"os_version": "10.0.20348.2340", "user": ""},
    NEWER: {"os_version": "10.0.26100.1000", "user": "ContainerUser"},
    OLDER: {"os_version": "10.0.17763.5000", "user": "ContainerUser"},
    PRIVATE: {"os_version": "10.0.20348.2340", "user": "ContainerUser"},
}


def image_record(ref: str) -> dict:
    return {
        "id": "sha256:" + format(abs(hash(ref)), "x").rjust(64, "0"),
        "repo_tags": [ref],
        "repo_digests": [],
        **REGISTRY[ref],
    }


def host_info(images=(NANO,), hyperv=True, engine_state="running", daemon_config=None) -> dict:
    return {
        "os": {"version": HOST_VERSION, "build": 20348, "revision": 2340},
        "machine": {"is_virtual": True},
        "features": {"Containers": "Installed", "Hyper-V": "Installed" if hyperv else "Available"},
        "reboot_pending": False,
        "engine": {
            "kind": "docker",
            "installed": True,
            "version": "27.3.1",
            "service_state": engine_state,
            "install_path": "C:\\Program Files\\docker",
            "daemon_config": daemon_config or {},
        },
        "images": [image_record(ref) for ref in images],
        "containers": [],
    }


class FakeHost:
    def __init__(self, info, fail_action=None):
        self.info = info
        self.calls: list[tuple[str, dict]] = []
        self.executor_calls: list[dict] = []
        self.fail_action = fail_action  # (action, name) whose step fails

    def __call__(self, module_name, module_args=None, task_vars=None, **_kwargs):
        if module_name.endswith("container_host_info"):
            self.calls.append((module_name, copy.deepcopy(module_args)))
            return copy.deepcopy(self.info)
        assert module_name == "trustbound.wincontainers.container_steps"
        # The executor's arguments, decoded to the planned steps this fake carries out.
        self.executor_calls.append(copy.deepcopy(module_args))
        planned = executor_fake.planned_args(module_args)
        self.calls.append((module_name, copy.deepcopy(planned)))
        return executor_fake.raw_reply(self._steps(planned))

    @property
    def step_runs(self):
        return [args for name, args in self.calls if name.endswith("container_steps")]

    def find(self, name):
        return next((c for c in self.info["containers"] if c["name"] == name), None)

    def _steps(self, args):
        results = []
        for index, step in enumerate(args["steps"]):
            if self.fail_action == (step["action"], step.get("name")):
                results.append(
                    {
                        "index": index,
                        "action": step["action"],
                        "rc": 1,
                        "name": step.get("name"),
                        "stderr": "engine says no",
                        "rollback": False,
                    }
                )
                for undo in step.get("on_failure") or []:
                    self._apply(undo, args)
                    results.append(
                        {
                            "index": index,
                            "action": undo["action"],
                            "rc": 0,
                            "name": undo["name"],
                            "stderr": "",
                            "rollback": True,
                            "changed": True,
                        }
                    )
                return {
                    "failed": True,
                    "changed": True,
                    "results": results,
                    "failed_step": index,
                    "msg": f"step {index} ({step['action']} {step.get('name')}) failed:"
                    " engine says no",
                }
            result = {
                "index": index,
                "action": step["action"],
                "name": step.get("name"),
                "rc": 0,
                "stderr": "",
                "rollback": False,
                "changed": True,
            }
            result.update(self._apply(step, args))
            results.append(result)
        return {"changed": bool(results), "results": results, "failed_step": None, "msg": "ok"}

    def _apply(self, step, args):
        action = step["action"]
        if action == "pull":
            image = image_record(step["image"])
            self.info["images"].append(image)
            return {"image": image}
        if action == "create":
            env_names = sorted(step.get("env") or {})
            for value in (step.get("env") or {}).values():
                if isinstance(value, dict):
                    assert value["secret"] in {entry["key"] for entry in args["secrets"]}
            image = next(i for i in self.info["images"] if step["image"] in i["repo_tags"])
            self.info["containers"].append(
                {
                    "id": step["name"],
                    "name": step["name"],
                    "image": step["image"],
                    "image_id": image["id"],
                    "isolation": step["isolation"],
                    "user": step["user"],
                    "state": "created",
                    "running": False,
                    "labels": dict(step["labels"]),
                    "env_names": env_names,
                    "ports": list(step.get("ports") or []),
                }
            )
        elif action == "start":
            self.find(step["name"]).update(state="running", running=True)
        elif action == "stop":
            self.find(step["name"]).update(state="exited", running=False)
        elif action == "remove":
            self.info["containers"].remove(self.find(step["name"]))
        elif action == "rename":
            self.find(step["name"])["name"] = step["new_name"]
        return {}


def run(host, workloads, check_mode=False, diff=False, **args):
    args = {"workloads": workloads, "trust_boundary": "acme", "owner": "inv", **args}
    action = make_action(ActionModule, args, check_mode, diff)
    action._execute_module = host
    action._display = MagicMock()
    return action.run(task_vars={"inventory_hostname": "h1"})


MIXED = [
    {"name": "own", "image": NANO},
    {"name": "tenant", "image": NANO, "trust_boundary": "partner-a"},
    {"name": "build", "image": NANO, "trust_level": "untrusted"},
]


def decisions(result):
    return {w["name"]: w["decision"]["isolation"] for w in result["workloads"]}


def test_mixed_trust_first_run_then_nothing_to_do_is_one_module_run():
    host = FakeHost(host_info())
    first = run(host, MIXED)
    assert not first.get("failed"), first.get("msg")
    assert first["changed"] is True
    assert first["module_runs"] == 2
    assert decisions(first) == {"own": "process", "tenant": "hyperv", "build": "hyperv"}
    assert first["summary"] == [
        "own: create (process, ContainerUser)",
        "tenant: create (hyperv, ContainerUser)",
        "build: create (hyperv, ContainerUser)",
    ]
    assert list(first["decisions"]) == first["summary"]
    for line, workload in zip(first["summary"], first["workloads"], strict=True):
        assert first["decisions"][line] == workload["decision"]["reasons"] != []
    assert [c["user"] for c in host.info["containers"]] == ["ContainerUser"] * 3
    assert all(s["status"] == "ok" for s in first["steps"])

    host.calls.clear()
    second = run(host, MIXED)
    assert second["changed"] is False
    assert second["module_runs"] == 1
    assert [call[0] for call in host.calls] == ["trustbound.wincontainers.container_host_info"]
    assert second["steps"] == []
    assert {w["action"] for w in second["workloads"]} == {cp.NONE}


def test_no_change_stays_one_module_run_for_many_workloads():
    workloads = [{"name": f"w{i:02d}", "image": NANO} for i in range(50)]
    host = FakeHost(host_info())
    run(host, workloads)
    host.calls.clear()
    again = run(host, workloads)
    assert again["module_runs"] == 1 and len(host.calls) == 1


def test_missing_image_is_pulled_in_its_own_run_before_any_container_change():
    host = FakeHost(host_info(images=()))
    result = run(host, [{"name": "web", "image": NANO}])
    assert result["module_runs"] == 3
    pull_run, apply_run = host.step_runs
    assert [s["action"] for s in pull_run["steps"]] == ["pull"]
    assert "pull" not in [s["action"] for s in apply_run["steps"]]
    assert result["pulled"] == [NANO]
    assert not any(
        "image version unknown" in r for r in result["workloads"][0]["decision"]["reasons"]
    )


def test_check_mode_pulls_nothing_changes_nothing_and_says_image_version_unknown():
    host = FakeHost(host_info(images=()))
    result = run(host, [{"name": "web", "image": NANO}], check_mode=True)
    assert result["module_runs"] == 1
    assert host.step_runs == []
    assert result["changed"] is True
    assert [s["action"] for s in result["steps"]] == ["create", "start", "wait_running"]
    assert {s["status"] for s in result["steps"]} == {"planned"}
    reasons = result["workloads"][0]["decision"]["reasons"]
    assert any(r.startswith("image version unknown") for r in reasons)
    assert host.info["containers"] == []


def test_trust_change_switches_isolation_by_replacement():
    host = FakeHost(host_info())
    run(host, [{"name": "web", "image": NANO}])
    assert host.info["containers"][0]["isolation"] == "process"
    result = run(host, [{"name": "web", "image": NANO, "trust_level": "untrusted"}])
    assert result["workloads"][0]["action"] == cp.REPLACE
    assert "isolation" in result["workloads"][0]["changes"]
    (container,) = host.info["containers"]
    assert (container["name"], container["isolation"]) == ("web", "hyperv")
    assert container["labels"][cp.LABEL_TRUST_LEVEL] == "untrusted"


def test_image_the_host_cannot_run_in_process_isolation_goes_to_hyperv():
    host = FakeHost(host_info(images=(OLDER,)))
    result = run(host, [{"name": "legacy", "image": OLDER}])
    assert decisions(result) == {"legacy": "hyperv"}
    assert "compatibility-requires-hyperv" in result["workloads"][0]["decision"]["rules"]


def test_image_newer_than_the_host_is_refused_before_change():
    host = FakeHost(host_info(images=(NANO, NEWER)))
    result = run(host, [{"name": "web", "image": NANO}, {"name": "new", "image": NEWER}])
    assert result["failed"] is True
    assert result["rule"] == "image-too-new"
    assert "host 'h1'" in result["msg"] and "workload 'new'" in result["msg"]
    assert host.step_runs == []


def test_policy_refusal_fails_before_any_change_naming_host_workload_rule():
    host = FakeHost(host_info(hyperv=False))
    result = run(
        host,
        [
            {"name": "ok", "image": NANO},
            {"name": "tenant", "image": NANO, "trust_boundary": "other"},
        ],
    )
    assert result["failed"] is True
    assert result["rule"] == "hyperv-unavailable"
    assert "host 'h1', workload 'tenant'" in result["msg"]
    assert "Nothing was changed" in result["msg"]
    assert result["module_runs"] == 1 and host.step_runs == []


def test_admin_user_request_is_refused_unless_the_host_allows_it():
    host = FakeHost(host_info())
    refused = run(host, [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}])
    assert refused["rule"] == "admin-user" and host.step_runs == []
    allowed = run(
        host,
        [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}],
        allow_container_admin=True,
    )
    assert not allowed.get("failed")
    assert host.info["containers"][0]["user"] == "ContainerAdministrator"


def test_bad_input_fails_with_no_module_run():
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO, "colour": "blue"}])
    assert result["failed"] is True and result["rule"] == "unknown-key"
    assert "host 'h1', workload 'web'" in result["msg"]
    assert result["module_runs"] == 0 and host.calls == []


def test_engine_pipe_from_daemon_config_is_refused_before_change():
    info = host_info(daemon_config={"hosts": ["npipe:////./pipe/corp_engine"]})
    host = FakeHost(info)
    result = run(
        host,
        [
            {
                "name": "web",
                "image": NANO,
                "volumes": ["\\\\.\\pipe\\corp_engine:\\\\.\\pipe\\corp_engine"],
            }
        ],
    )
    assert result["rule"] == "engine-pipe-mount" and host.step_runs == []


def test_container_network_under_hyperv_is_refused():
    host = FakeHost(host_info())
    result = run(
        host,
        [
            {"name": "web", "image": NANO, "trust_level": "untrusted"},
            {
                "name": "side",
                "image": NANO,
                "trust_level": "untrusted",
                "networks": ["container:web"],
            },
        ],
    )
    assert result["rule"] == "container-network-under-hyperv"
    assert host.step_runs == []


def test_an_engine_the_collection_did_not_install_is_refused_before_any_step():
    info = host_info()
    info["engine"].update(
        installed=False, kind="none", service_binary="C:\\Windows\\System32\\dockerd.exe"
    )
    host = FakeHost(info)
    for check_mode in (False, True):
        result = run(host, [{"name": "web", "image": NANO}], check_mode=check_mode)
        assert result["failed"] is True, result
        assert "C:\\Windows\\System32\\dockerd.exe" in result["msg"]
        assert "rule engine-not-provisioned" in result["msg"]
        assert "C:\\Program Files\\docker\\docker.exe" in result["msg"]
    assert host.step_runs == []


def test_engine_not_running_fails_clearly():
    result = run(FakeHost(host_info(engine_state="stopped")), [{"name": "web", "image": NANO}])
    assert result["failed"] is True and "engine is not running" in result["msg"]


def test_check_mode_on_a_host_whose_engine_is_stopped_skips_it():
    info = host_info(engine_state="stopped")
    info["engine"]["installed"] = True
    host = FakeHost(info)
    result = run(host, [{"name": "web", "image": NANO}], check_mode=True)
    assert result["skipped"] is True and "not running" in result["msg"]
    assert host.step_runs == []


def test_check_mode_on_a_host_not_yet_provisioned_plans_on_trust_alone():
    info = host_info(images=(), engine_state="absent", hyperv=False)
    info["engine"]["installed"] = False
    host = FakeHost(info)
    workloads = [
        {"name": "web", "image": NANO},
        {"name": "partner", "image": NANO, "trust_boundary": "fabrikam"},
    ]
    result = run(host, workloads, check_mode=True)
    assert result.get("failed") is not True and result.get("skipped") is not True, result
    assert "no running container engine yet" in result["msg"]
    assert "decided on trust alone" in result["msg"]
    decided = {w["name"]: (w["action"], w["decision"]["isolation"]) for w in result["workloads"]}
    # web's isolation depends on its image's OS version, unknown until the pull: said so
    assert decided == {"web": ("create", "undecided"), "partner": ("create", "hyperv")}
    assert result["summary"] == [
        "web: create (process or Hyper-V, decided after the pull: image version unknown,"
        " ContainerUser)",
        "partner: create (hyperv, ContainerUser)",
    ]
    assert result["changed"] is True
    assert result["module_runs"] == 1
    assert host.step_runs == []


def test_check_mode_names_a_definite_isolation_when_the_image_is_on_the_host():
    result = run(FakeHost(host_info()), [{"name": "web", "image": NANO}], check_mode=True)
    assert result["summary"] == ["web: create (process, ContainerUser)"]


def test_check_mode_with_an_image_not_pulled_yet_says_the_isolation_is_undecided():
    result = run(FakeHost(host_info(images=())), [{"name": "web", "image": NANO}], check_mode=True)
    assert result["summary"] == [
        "web: create (process or Hyper-V, decided after the pull: image version unknown,"
        " ContainerUser)"
    ]
    (workload,) = result["workloads"]
    assert workload["decision"]["isolation"] == "undecided"
    # The steps and --diff say it too, not the isolation the pull may change.
    result = run(FakeHost(host_info(images=())), [{"name": "web", "image": NANO}],
                 check_mode=True, diff=True)  # fmt: skip
    (create,) = [s for s in result["steps"] if s["action"] == "create"]
    assert create["isolation"] == "undecided"
    (diff,) = result["diff"]
    assert diff["after"]["isolation"] == "undecided"
    assert diff["after"]["isolation_note"].startswith("process or Hyper-V, decided after the pull")


def test_check_mode_on_a_host_not_yet_provisioned_refuses_what_the_policy_refuses():
    info = host_info(images=(), engine_state="absent")
    info["engine"]["installed"] = False
    host = FakeHost(info)
    hostile = {"name": "evil", "image": NANO, "trust_level": "hostile", "isolation": "process"}
    result = run(host, [hostile], check_mode=True)
    assert result["failed"] is True
    assert "'evil'" in result["msg"] and result.get("rule")
    assert host.step_runs == []


def test_secret_env_values_go_only_to_the_no_log_option_and_never_come_back():
    secret = "Tr0ub4dor&3-value"
    host = FakeHost(host_info(), fail_action=("wait_running", "web"))
    result = run(host, [{"name": "web", "image": NANO, "secret_env": {"TOKEN": secret}}], diff=True)
    (apply_run,) = host.step_runs
    assert apply_run["secrets"] == [{"key": "web/TOKEN", "value": secret}]
    assert secret not in json.dumps(apply_run["steps"])
    assert secret not in json.dumps(result)


def test_engine_message_echoing_a_secret_is_masked():
    secret = "very-secret-password"
    host = FakeHost(host_info())
    original = host._steps

    def leaky(args):
        reply = original(args)
        # The engine's message reaches msg through the failed step's stderr.
        reply["results"][0].update(rc=1, stderr=f"login with {secret} refused")
        reply.update(failed=True, failed_step=0, msg="step 0 failed")
        return reply

    host._steps = leaky
    result = run(host, [{"name": "web", "image": NANO, "secret_env": {"P": secret}}])
    assert result["failed"] is True
    assert secret not in json.dumps(result)
    assert "********" in result["msg"]


def test_failed_step_reports_engine_message_rollback_and_workload():
    host = FakeHost(host_info())
    run(host, [{"name": "web", "image": NANO, "ports": ["8080:80"]}])
    host.fail_action = ("wait_running", "web" + cp.TEMP_SUFFIX)
    result = run(
        host, [{"name": "web", "image": NANO, "ports": ["8080:80"], "trust_level": "untrusted"}]
    )
    assert result["failed"] is True
    assert "host 'h1', workload 'web'" in result["msg"]
    assert "engine says no" in result["msg"]
    assert "rolled back: remove web-tbwc-new, start web" in result["msg"]
    # An untrusted workload gets its own network first (network_plan).
    assert result["steps"][0]["action"] == "ensure_network"
    statuses = [s["status"] for s in result["steps"]]
    assert statuses == ["ok", "ok", "ok", "ok", "failed", "not run", "not run"]
    (container,) = host.info["containers"]
    assert (container["name"], container["running"], container["isolation"]) == (
        "web",
        True,
        "process",
    )
    assert result["workloads"][0]["failed"] is True


def test_admin_container_replaced_when_enforcing_reported_when_not():
    host = FakeHost(host_info(images=(NANO, CORE)))
    host.info["containers"].append(
        {
            "id": "x",
            "name": "legacy",
            "image": CORE,
            "image_id": image_record(CORE)["id"],
            "isolation": "process",
            "user": "",
            "state": "running",
            "running": True,
            "labels": {},
        }
    )
    workloads = [{"name": "legacy", "image": CORE}, {"name": "web", "image": NANO}]
    refused = run(copy.deepcopy(host), workloads)
    assert refused["rule"] == "unmanaged-container"
    assert len(host.calls) == 0 or all("container_steps" not in c[0] for c in host.calls)
    reported = run(copy.deepcopy(host), workloads, enforcement="report", adopt=["legacy"])
    assert reported["failed"] is True
    assert "'legacy'" in reported["msg"] and "admin-user" in reported["msg"]
    assert [w["action"] for w in reported["workloads"]] == [cp.REPORTED, cp.CREATE]
    assert reported["noncompliant"][0]["user"] == "ContainerAdministrator"

    enforced = run(host, workloads, adopt=["legacy"])
    assert not enforced.get("failed")
    assert enforced["workloads"][0]["action"] == cp.REPLACE
    legacy = host.find("legacy")
    assert legacy["user"] == "ContainerUser" and legacy["running"]


def test_purge_removes_managed_leftovers_only():
    host = FakeHost(host_info())
    run(host, [{"name": "app", "image": NANO}, {"name": "old", "image": NANO}])
    host.info["containers"].append(
        {
            "name": "manual",
            "labels": {},
            "state": "running",
            "running": True,
            "user": "ContainerUser",
        }
    )
    result = run(host, [{"name": "app", "image": NANO}], purge=True)
    assert [w["action"] for w in result["workloads"]] == [cp.PURGE, cp.NONE]
    assert sorted(c["name"] for c in host.info["containers"]) == ["app", "manual"]


def test_registry_credentials_are_attached_to_pulls_of_their_registry():
    host = FakeHost(host_info(images=()))
    creds = [{"registry": "registry.example.com:5000", "username": "u", "password": "pa55word"}]
    result = run(
        host,
        [{"name": "api", "image": PRIVATE}, {"name": "web", "image": NANO}],
        registry_credentials=creds,
    )
    pull_run = host.step_runs[0]
    pulls = {s["image"]: s.get("registry") for s in pull_run["steps"]}
    assert pulls == {PRIVATE: "registry.example.com:5000", NANO: None}
    assert {"key": "registry:registry.example.com:5000", "value": "pa55word"} in pull_run["secrets"]
    assert "pa55word" not in json.dumps(result)


def test_diff_mode_returns_before_and_after_per_changed_workload():
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO}], diff=True, check_mode=True)
    (diff,) = result["diff"]
    assert diff["before"] == {"state": "absent"}
    assert diff["after"]["isolation"] == "process"


def test_image_registry():
    assert image_registry(PRIVATE) == "registry.example.com:5000"
    assert image_registry("nginx") == "docker.io"
    assert image_registry("library/nginx") == "docker.io"
    assert image_registry("localhost/x") == "localhost"


@pytest.mark.parametrize("pref", ["process", "hyperv"])
def test_host_trust_options_reach_the_policy(pref):
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO}], isolation_preference=pref)
    assert decisions(result) == {"web": pref}


def test_keep_going_reconciles_the_other_workloads_after_one_fails():
    host = FakeHost(host_info())
    workloads = [{"name": name, "image": NANO} for name in ("web", "api", "db")]
    run(host, workloads)
    for name in ("web", "api", "db"):
        host.find(name).update(state="exited", running=False)  # drained
    host.fail_action = ("start", "web")
    stopped_at_first = run(host, workloads)
    assert stopped_at_first["failed"] is True
    assert [host.find(n)["running"] for n in ("web", "api", "db")] == [False, False, False]
    result = run(host, workloads, keep_going=True)
    assert result["failed"] is True and result["changed"] is True
    assert [host.find(n)["running"] for n in ("web", "api", "db")] == [False, True, True]
    assert [entry["name"] for entry in result["not_reconciled"]] == ["web"]
    assert "engine says no" in result["not_reconciled"][0]["msg"]
    assert "not brought to their state: 'web'" in result["msg"] and "(2 of 3)" in result["msg"]
    host.fail_action = None
    healed = run(host, workloads, keep_going=True)
    assert not healed.get("failed") and healed["not_reconciled"] == []
    assert host.find("web")["running"] is True


def test_a_newer_image_revision_under_process_is_refused_before_any_change_when_asked():
    host = FakeHost(host_info())
    host.info["images"][0]["os_version"] = "10.0.20348.2400"  # the tag moved past the host
    workloads = [{"name": "web", "image": NANO, "isolation": "process"}]
    result = run(host, workloads, refuse_newer_revision_under_process=True)
    assert result["failed"] is True and result["rule"] == "newer-image-revision-under-process"
    assert "revision 2400, newer than the host's 2340" in result["msg"]
    assert host.step_runs == []
    # Hyper-V (the policy's choice for an auto workload) is not refused.
    auto = run(host, [{"name": "web", "image": NANO}], refuse_newer_revision_under_process=True)
    assert not auto.get("failed"), auto


def test_end_lease_ends_the_lease_however_the_task_ends():
    host = FakeHost(host_info())
    workloads = [{"name": "web", "image": NANO}]
    run(host, workloads)
    host.calls.clear()
    # Nothing to change: no apply ran, an empty run with the lease id ends it.
    same = run(host, workloads, lease_id="patch/1", end_lease=True)
    assert same["lease_ended"] is True and not same.get("failed")
    assert [a["steps"] for a in host.step_runs] == [[]]
    assert host.step_runs[0]["lease_id"] == "patch/1"
    # Refused before any change: the lease is ended all the same.
    host.calls.clear()
    refused = run(host, [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}],
                  lease_id="patch/1", end_lease=True)  # fmt: skip
    assert refused["failed"] is True and refused["lease_ended"] is True
    assert [a["steps"] for a in host.step_runs] == [[]]
    # Without end_lease nothing is run for the lease.
    host.calls.clear()
    run(host, workloads, lease_id="patch/1")
    assert host.step_runs == []


def test_keep_going_sets_a_refused_workload_aside_and_restores_the_others():
    host = FakeHost(host_info())
    workloads = [{"name": name, "image": NANO} for name in ("web", "api")]
    run(host, workloads)
    for name in ("web", "api"):
        host.find(name).update(state="exited", running=False)  # drained
    refused_web = [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}, workloads[1]]
    stopped = run(host, refused_web)
    assert stopped["failed"] is True and host.find("api")["running"] is False
    result = run(host, refused_web, keep_going=True)
    assert result["failed"] is True, result
    assert [entry["name"] for entry in result["not_reconciled"]] == ["web"]
    assert "Nothing was changed for it" in result["not_reconciled"][0]["msg"]
    assert host.find("api")["running"] is True and host.find("web")["running"] is False
    assert "every other workload was reconciled (1 of 2)" in result["msg"]
    # A refusal naming no listed workload still ends the task.
    with_bad_option = run(host, workloads, keep_going=True, start_timeout=0)
    assert with_bad_option["failed"] is True and "not_reconciled" not in with_bad_option


def test_an_apply_that_ends_the_lease_itself_keeps_it_when_a_step_fails():
    host = FakeHost(host_info())
    workloads = [{"name": "web", "image": NANO}]
    # The reconcile ends the lease at its end (end_lease): every apply keeps it on failure,
    # so a keep-going restore's next apply still holds the host.
    run(host, workloads, lease_id="patch/1", end_lease=True)
    applies = [a for a in host.step_runs if a["steps"]]
    assert applies and all(a.get("keep_lease_on_failure") is True for a in applies)
    # Without end_lease a failed apply ends the lease, as before.
    host.calls.clear()
    run(host, [{"name": "api", "image": NANO}], lease_id="patch/1")
    applies = [a for a in host.step_runs if a["steps"]]
    assert applies and all("keep_lease_on_failure" not in a for a in applies)
