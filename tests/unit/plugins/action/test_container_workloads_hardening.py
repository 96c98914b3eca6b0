"""The action refuses, before any module changes a host: other owners' containers, host
system mounts and pipes for Hyper-V-bound workloads, held host ports, unreadable options
(issue 13 items 1, 4, 5, 6, 8, 10 and the smaller input defects)."""

from __future__ import annotations

import copy
import json

import pytest
from test_container_workloads_action import NANO, FakeHost, host_info, image_record, run

SECRET = "Tok3n-For-Globex-77"


def foreign(name, owner=None, ports=(), running=True):
    labels = {}
    if owner is not None:
        labels = {
            "trustbound.wincontainers.managed": "true",
            "trustbound.wincontainers.owner": owner,
        }
    return {
        "id": name,
        "name": name,
        "image": NANO,
        "image_id": image_record(NANO)["id"],
        "isolation": "process",
        "user": "ContainerUser",
        "state": "running" if running else "exited",
        "running": running,
        "labels": labels,
        "ports": list(ports),
    }


def assert_untouched(host, before):
    assert host.step_runs == []
    assert host.info["containers"] == before


@pytest.mark.parametrize(
    ("owner", "rule", "named"),
    [
        ("team-b", "container-of-another-owner", "'team-b'"),
        (None, "unmanaged-container", "by hand"),
    ],
)
@pytest.mark.parametrize("state", ["started", "absent"])
def test_a_name_held_by_someone_else_is_refused_before_any_change(owner, rule, named, state):
    host = FakeHost(host_info())
    host.info["containers"].append(foreign("web", owner))
    before = copy.deepcopy(host.info["containers"])
    result = run(host, [{"name": "web", "image": NANO, "state": state}])
    assert result["failed"] and result["rule"] == rule
    assert "workload 'web'" in result["msg"] and named in result["msg"]
    assert "'inv'" in result["msg"]  # this run's owner, named too
    assert_untouched(host, before)


def test_a_foreign_temporary_name_is_refused_too():
    host = FakeHost(host_info())
    host.info["containers"].append(foreign("web-tbwc-new", "team-b"))
    result = run(host, [{"name": "web", "image": NANO}])
    assert result["rule"] == "container-of-another-owner"


def test_adopt_takes_the_container_over():
    host = FakeHost(host_info())
    host.info["containers"].append(foreign("web", "team-b"))
    result = run(host, [{"name": "web", "image": NANO}], adopt=["web"])
    assert not result.get("failed"), result["msg"]
    assert host.find("web")["labels"]["trustbound.wincontainers.owner"] == "inv"


@pytest.mark.parametrize("owner", [None, "", "   ", ["inv"]])
def test_an_empty_owner_is_refused(owner):
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO}], owner=owner)
    assert (
        result["failed"] and "container_workloads_owner must be a non-empty string" in result["msg"]
    )
    assert host.calls == []


def test_a_list_as_trust_boundary_is_refused_not_stringified():
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO}], trust_boundary=["acme"])
    assert result["failed"] and result["rule"] == "bad-field"
    assert "wincontainers_trust_boundary" in result["msg"]
    assert host.step_runs == []


@pytest.mark.parametrize("text", ["yes", "True", "on", "1"])
def test_survey_booleans_read_as_ansible_reads_them(text):
    host = FakeHost(host_info())
    workloads = [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}]
    result = run(host, workloads, allow_container_admin=text)
    assert not result.get("failed"), result["msg"]
    assert host.find("web")["user"] == "ContainerAdministrator"


def test_a_string_false_is_false():
    host = FakeHost(host_info())
    workloads = [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}]
    result = run(host, workloads, allow_container_admin="false")
    assert result["rule"] == "admin-user"


def test_unreadable_boolean_is_refused_naming_the_variable():
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO}], allow_isolation_downgrade="sure")
    assert "wincontainers_allow_isolation_downgrade must be a boolean" in result["msg"]
    assert "sure" not in result["msg"]


def test_workloads_as_json_text():
    host = FakeHost(host_info())
    result = run(host, json.dumps([{"name": "web", "image": NANO}]))
    assert not result.get("failed"), result["msg"]
    assert host.find("web") is not None


def test_a_workload_as_json_text_is_refused_without_quoting_it():
    host = FakeHost(host_info())
    entry = json.dumps({"name": "web", "image": NANO, "secret_env": {"T": SECRET}})
    result = run(host, [entry])
    assert result["rule"] == "workload-not-a-mapping"
    assert SECRET not in json.dumps(result)


UNTRUSTED = {"name": "scan", "image": NANO, "trust_level": "untrusted"}


@pytest.mark.parametrize(
    "source",
    [
        "C:\\",
        "c:/",
        "C:\\Windows",
        "C:\\windows\\System32\\config",
        "C:\\Program Files\\docker",
        "C:\\ProgramData",
        "C:\\ProgramData\\docker\\containers",
        "\\\\?\\C:\\Windows",
        "\\\\.\\C:\\Windows\\..\\Windows",
        "C:\\data\\..\\Windows",
        "\\\\localhost\\C$",
        "\\\\127.0.0.1\\c$\\Windows\\System32",
        "\\\\srv\\ADMIN$",
        "D:\\",
    ],
)
def test_host_system_paths_are_refused_for_hyperv_bound_workloads(source):
    host = FakeHost(host_info())
    result = run(host, [dict(UNTRUSTED, volumes=[{"source": source, "target": "C:\\host"}])])
    assert result["failed"] and result["rule"] == "host-system-mount", result["msg"]
    assert host.step_runs == []


def test_the_configured_data_root_is_refused_too():
    host = FakeHost(host_info(daemon_config={"data-root": "E:\\docker-data"}))
    workload = dict(UNTRUSTED, volumes=[{"source": "e:\\Docker-Data\\x", "target": "C:\\x"}])
    assert run(host, [workload])["rule"] == "host-system-mount"


def test_trusted_workloads_may_mount_system_paths_and_data_paths_pass_for_all():
    host = FakeHost(host_info())
    trusted = {"name": "web", "image": NANO, "volumes": ["C:\\Windows\\Logs:C:\\logs:ro"]}
    data = dict(UNTRUSTED, volumes=["C:\\data\\scan:C:\\data"])
    result = run(host, [trusted, data])
    assert not result.get("failed"), result["msg"]


@pytest.mark.parametrize(
    "pipe",
    [
        "\\\\.\\pipe\\docker_engine",
        "\\\\.\\pipe\\.\\docker_engine",
        "\\\\.\\pipe\\\\docker_engine",
        "\\\\?\\pipe\\docker_engine",
        "//./pipe/DOCKER_ENGINE",
        "\\\\localhost\\pipe\\docker_engine",
        "\\\\.\\pipe\\x\\..\\docker_engine",
        "\\\\.\\pipe\\docker_engine. ",
    ],
)
def test_every_spelling_of_the_engine_pipe_is_refused(pipe):
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO, "volumes": [f"{pipe}:\\\\.\\pipe\\e"]}])
    assert result["failed"] and result["rule"] == "engine-pipe-mount", result["msg"]


def test_named_pipes_need_explicit_allowance_under_hyperv():
    host = FakeHost(host_info())
    pipe = {"source": "\\\\.\\pipe\\telemetry", "target": "\\\\.\\pipe\\telemetry"}
    assert run(host, [dict(UNTRUSTED, volumes=[pipe])])["rule"] == "named-pipe-mount"
    allowed = dict(UNTRUSTED, volumes=[pipe], allow_named_pipe_mounts="yes")
    result = run(host, [allowed])
    assert not result.get("failed"), result["msg"]


def test_a_host_port_held_by_another_owner_is_refused_before_any_change():
    host = FakeHost(host_info())
    host.info["containers"].append(foreign("other", "team-b", ports=["8080:80/tcp"]))
    before = copy.deepcopy(host.info["containers"])
    result = run(host, [{"name": "web", "image": NANO, "ports": ["8080:80"]}])
    assert result["rule"] == "host-port-held" and "'other'" in result["msg"]
    assert_untouched(host, before)


def test_a_port_of_a_stopped_foreign_container_is_free():
    host = FakeHost(host_info())
    host.info["containers"].append(foreign("other", "team-b", ports=["8080:80/tcp"], running=False))
    assert not run(host, [{"name": "web", "image": NANO, "ports": ["8080:80"]}]).get("failed")


def test_a_failed_pull_names_its_workload_and_image():
    host = FakeHost(host_info(images=()))
    host.fail_action = ("pull", None)
    result = run(host, [{"name": "web", "image": NANO}])
    assert result["failed"]
    assert "workload 'web': pulling image " + NANO in result["msg"]
    assert "'?'" not in result["msg"]


def test_a_refused_workload_list_never_shows_a_secret_env_value():
    # The second entry is refused (unknown key) after the first one's secret was read: no
    # refusal message, whatever it quotes, may show a raw secret_env value.
    host = FakeHost(host_info())
    workloads = [
        {"name": "ok", "image": NANO, "secret_env": {"TOKEN": "s3cr3t-token-value"}},
        {"name": "s3cr3t-token-value", "image": NANO, "trust-boundary": "x"},
    ]
    result = run(host, workloads)
    assert result["failed"] is True
    assert "s3cr3t-token-value" not in json.dumps(result)
    assert host.calls == []
