"""container_plan: desired vs actual containers -> ordered steps with their rollbacks."""

from __future__ import annotations

import json

from plan_builders import NANO, OWNER, desired
from plan_builders import deployed as running

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp


def plan(desired_list, actual, **kwargs):
    kwargs.setdefault("owner", OWNER)
    return cp.plan(desired_list, actual, **kwargs)


def actions(result: cp.Plan) -> list[tuple[str, str]]:
    return [(step["action"], step["name"]) for step in result.steps]


def test_missing_container_is_created_started_and_checked():
    d = desired()
    result = plan([d], [])
    assert actions(result) == [("create", "web"), ("start", "web"), ("wait_running", "web")]
    create = result.steps[0]
    assert create["isolation"] == "process" and create["user"] == "ContainerUser"
    assert create["labels"][cp.LABEL_MANAGED] == "true"
    assert create["labels"][cp.LABEL_OWNER] == OWNER
    assert create["labels"][cp.LABEL_CONFIG_HASH] == d.config_hash()
    assert result.steps[1]["on_failure"] == [
        {"action": "remove", "name": "web", "workload": "web", "force": True}
    ]
    assert result.workloads[0]["action"] == cp.CREATE
    assert result.changed


def test_stopped_workload_is_only_created():
    result = plan([desired(state="stopped")], [])
    assert actions(result) == [("create", "web")]


def test_matching_container_needs_nothing():
    d = desired()
    result = plan([d], [running(d)])
    assert result.steps == []
    assert result.workloads[0]["action"] == cp.NONE
    assert not result.changed
    assert result.diffs == []


def test_user_name_comparison_ignores_case():
    d = desired()
    assert plan([d], [running(d, user="containeruser")]).steps == []


def test_replacement_without_host_ports_starts_new_before_old_goes():
    d = desired()
    result = plan([d], [running(d, image_id="sha256:" + "b" * 64)])
    temp = "web" + cp.TEMP_SUFFIX
    assert actions(result) == [
        ("create", temp),
        ("start", temp),
        ("wait_running", temp),
        ("stop", "web"),
        ("remove", "web"),
        ("rename", temp),
    ]
    assert result.steps[-1]["new_name"] == "web"
    discard = [{"action": "remove", "name": temp, "workload": "web", "force": True}]
    assert result.steps[1]["on_failure"] == discard
    assert result.steps[2]["on_failure"] == discard
    assert result.workloads[0] == {
        "name": "web",
        "decision": d.decision,
        "action": cp.REPLACE,
        "changes": ["image"],
    }


def test_replacement_with_host_ports_stops_old_first_and_restarts_it_on_failure():
    d = desired(ports=["8080:80"])
    result = plan([d], [running(d, isolation="hyperv")])
    temp = "web" + cp.TEMP_SUFFIX
    assert actions(result) == [
        ("create", temp),
        ("stop", "web"),
        ("start", temp),
        ("wait_running", temp),
        ("remove", "web"),
        ("rename", temp),
    ]
    restore = [
        {"action": "remove", "name": temp, "workload": "web", "force": True},
        {"action": "start", "name": "web", "workload": "web"},
    ]
    assert result.steps[2]["on_failure"] == restore
    assert result.steps[3]["on_failure"] == restore
    assert "isolation" in result.workloads[0]["changes"]


def test_port_holding_order_only_when_the_old_container_runs():
    d = desired(ports=["8080:80"])
    result = plan([d], [running(d, user="Other", state="exited", running=False)])
    temp = "web" + cp.TEMP_SUFFIX
    assert actions(result) == [
        ("create", temp),
        ("start", temp),
        ("wait_running", temp),
        ("remove", "web"),
        ("rename", temp),
    ]


def test_replacement_of_a_stopped_workload_never_starts_it():
    d = desired(state="stopped")
    result = plan([d], [running(d, isolation="hyperv")])
    temp = "web" + cp.TEMP_SUFFIX
    assert actions(result) == [
        ("create", temp),
        ("stop", "web"),
        ("remove", "web"),
        ("rename", temp),
    ]


def test_each_difference_triggers_replacement():
    d = desired()
    cases = {
        "image": {"image_id": "sha256:" + "0" * 64},
        "isolation": {"isolation": "hyperv"},
        "user": {"user": "NT AUTHORITY\\NETWORK SERVICE"},
    }
    for change, fields in cases.items():
        result = plan([d], [running(d, **fields)])
        assert result.workloads[0]["action"] == cp.REPLACE, change
        assert change in result.workloads[0]["changes"]


def test_config_change_is_seen_through_the_hash_label():
    old = desired(env={"MODE": "a"})
    new = desired(env={"MODE": "b"})
    result = plan([new], [running(old)])
    assert result.workloads[0]["action"] == cp.REPLACE
    assert f"label {cp.LABEL_CONFIG_HASH}" in result.workloads[0]["changes"]


def test_secret_value_change_changes_the_hash_and_never_shows():
    old = desired(secret_env={"TOKEN": "old-secret-value"})
    new = desired(secret_env={"TOKEN": "new-secret-value"})
    assert old.config_hash() != new.config_hash()
    result = plan([new], [running(old)])
    assert result.workloads[0]["action"] == cp.REPLACE
    assert result.secrets == {"web/TOKEN": "new-secret-value"}
    create = result.steps[0]
    assert create["env"]["TOKEN"] == {"secret": "web/TOKEN"}
    shown = json.dumps([cp.masked_steps(result.steps), result.diffs, result.workloads])
    assert "secret-value" not in shown
    assert cp.masked_steps(result.steps)[0]["env"]["TOKEN"] == "********"


def test_trust_level_change_relabels_through_replacement():
    d = desired()
    old = running(d)
    old["labels"][cp.LABEL_TRUST_LEVEL] = "untrusted"
    assert plan([d], [old]).workloads[0]["action"] == cp.REPLACE


def test_extra_labels_from_the_image_are_not_a_difference():
    d = desired(labels={"team": "web"})
    assert plan([d], [running(d)]).steps == []


def test_unknown_image_id_compares_the_reference():
    d = desired(image_id=None)
    assert plan([d], [running(d, image_id="sha256:whatever")]).steps == []
    other = plan([d], [running(d, image="mcr.microsoft.com/windows/nanoserver:1809")])
    assert other.workloads[0]["changes"] == ["image"]


def test_stopped_container_is_started_and_running_one_stopped():
    d = desired()
    result = plan([d], [running(d, state="exited", running=False)])
    assert actions(result) == [("start", "web"), ("wait_running", "web")]
    assert result.workloads[0]["action"] == cp.START
    s = desired(state="stopped", stop_timeout=25)
    result = plan([s], [running(s)])
    assert result.steps == [
        {"action": "stop", "name": "web", "workload": "web", "timeout": 25},
    ]
    assert plan([s], [running(s, state="exited", running=False)]).steps == []


def test_absent_removes_and_is_a_noop_when_gone():
    d = desired(state="absent")
    result = plan([d], [running(d)])
    assert actions(result) == [("stop", "web"), ("remove", "web")]
    assert result.steps[1]["force"] is True
    assert result.workloads[0]["action"] == cp.REMOVE
    assert plan([d], []).steps == []


def test_purge_removes_only_managed_containers_of_this_owner():
    keep = desired(name="web")
    gone = desired(name="old")
    foreign = desired(name="theirs")
    unmanaged = {"name": "manual", "state": "running", "running": True, "labels": {}, "user": ""}
    other_owner = running(foreign)
    other_owner["labels"][cp.LABEL_OWNER] = "someone-else"
    actual = [running(keep), running(gone), other_owner, unmanaged]
    result = plan([keep], actual, purge=True)
    assert actions(result) == [("stop", "old"), ("remove", "old")]
    assert [w["action"] for w in result.workloads] == [cp.PURGE, cp.NONE]
    assert plan([keep], actual, purge=False).steps == []


def test_removals_come_before_workload_steps():
    keep = desired(name="web")
    gone = desired(name="old")
    result = plan([keep], [running(gone)], purge=True)
    assert actions(result)[:2] == [("stop", "old"), ("remove", "old")]
    assert actions(result)[2] == ("create", "web")


def test_admin_container_is_replaced_when_enforcing():
    d = desired()
    admin = running(d, user="ContainerAdministrator")
    result = plan([d], [admin])
    assert result.workloads[0]["action"] == cp.REPLACE
    assert result.workloads[0]["changes"][0].startswith("runs as administrator account")
    assert result.steps[0]["user"] == "ContainerUser"
    assert result.noncompliant == []


def test_admin_container_is_reported_not_touched_in_report_mode():
    d = desired()
    other = desired(name="api")
    admin = running(d, user="User Manager\\ContainerAdministrator")
    result = plan([d, other], [admin], enforcement=cp.REPORT)
    assert [w["action"] for w in result.workloads] == [cp.REPORTED, cp.CREATE]
    assert all(step["workload"] == "api" for step in result.steps)
    assert result.noncompliant == [
        {
            "name": "web",
            "user": "User Manager\\ContainerAdministrator",
            "managed": True,
            "reason": result.noncompliant[0]["reason"],
        }
    ]


def test_admin_allowed_host_keeps_admin_container():
    d = desired(user="ContainerAdministrator")
    result = plan([d], [running(d)], allow_admin=True)
    assert result.steps == [] and result.noncompliant == []


def test_unmanaged_admin_container_outside_the_inventory_is_reported():
    stray = {"name": "stray", "state": "running", "running": True, "labels": {}, "user": "SYSTEM"}
    result = plan([], [stray])
    assert result.steps == []
    assert [f["name"] for f in result.noncompliant] == ["stray"]
    assert plan([], [stray], allow_admin=True).noncompliant == []


def test_unmanaged_container_with_the_workload_name_is_adopted_by_replacement():
    d = desired()
    manual = running(d, labels={})
    result = plan([d], [manual])
    assert result.workloads[0]["action"] == cp.REPLACE


def test_leftover_temporary_container_is_removed_first():
    d = desired()
    leftover = running(d, name="web" + cp.TEMP_SUFFIX)
    result = plan([d], [running(d), leftover])
    assert actions(result) == [("remove", "web" + cp.TEMP_SUFFIX)]
    assert result.steps[0]["force"] is True


def test_entrypoint_words_go_before_the_command():
    d = desired(entrypoint=["powershell.exe", "-NoProfile"], command=["-Command", "x"])
    create = plan([d], []).steps[0]
    assert create["entrypoint"] == "powershell.exe"
    assert create["command"] == ["-NoProfile", "-Command", "x"]


def test_diff_shows_before_and_after_without_env_values():
    old = desired(env={"MODE": "plain-value"}, secret_env={"TOKEN": "hush-hush"})
    new = desired(isolation="hyperv", env={"MODE": "plain-value"}, secret_env={"TOKEN": "x" * 8})
    result = plan([new], [running(old, env_names=["MODE", "TOKEN"])])
    (diff,) = result.diffs
    assert diff["before"]["isolation"] == "process"
    assert diff["after"]["isolation"] == "hyperv"
    assert diff["after"]["env_names"] == ["MODE", "TOKEN"]
    text = json.dumps(diff)
    assert "plain-value" not in text and "hush-hush" not in text and "x" * 8 not in text


def test_find_image_by_tag_digest_and_familiar_forms():
    images = [
        {"id": "sha256:1", "repo_tags": ["nginx:latest"], "repo_digests": []},
        {"id": "sha256:2", "repo_tags": [NANO], "repo_digests": [f"{NANO[:-9]}@sha256:{'d' * 64}"]},
    ]
    assert cp.find_image(images, "nginx")["id"] == "sha256:1"
    assert cp.find_image(images, "docker.io/library/nginx:latest")["id"] == "sha256:1"
    assert cp.find_image(images, NANO)["id"] == "sha256:2"
    assert cp.find_image(images, f"{NANO[:-9]}@sha256:{'d' * 64}")["id"] == "sha256:2"
    assert cp.find_image(images, "nginx:1.25") is None


def test_effective_user_resolves_image_defaults():
    images = [
        {"id": "sha256:core", "user": ""},
        {"id": "sha256:nano", "user": "ContainerUser"},
    ]
    containers = [
        {"name": "a", "image_id": "sha256:core", "user": ""},
        {"name": "b", "image_id": "sha256:nano", "user": ""},
        {"name": "c", "image_id": "sha256:core", "user": "ContainerUser"},
    ]
    users = [c["user"] for c in cp.with_effective_users(containers, images)]
    assert users == ["ContainerAdministrator", "ContainerUser", "ContainerUser"]
