"""container_workloads action: refusals before any change, accurate reports, least exposure."""

from __future__ import annotations

import json

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.workload_reconcile import (
    image_registry,
)
from ansible_collections.trustbound.wincontainers.tests.unit.plugins.action.test_container_workloads_action import (  # noqa: E501
    NANO,
    OLDER,
    PRIVATE,
    FakeHost,
    host_info,
    run,
)

STEPS = "trustbound.wincontainers.container_steps"


@pytest.mark.parametrize("timeout", [0, -5, 2**31])
def test_start_timeout_out_of_range_is_refused_before_any_module_run(timeout):
    # 0 would silently become the module's default, a negative one fails every new container
    # after its start, one past an Int32 fails the module's own argument check.
    host = FakeHost(host_info())
    result = run(host, [{"name": "web", "image": NANO}], start_timeout=timeout)
    assert result["failed"] is True
    assert result["rule"] == "bad-value"
    assert "host 'h1'" in result["msg"] and "start_timeout" in result["msg"]
    assert host.calls == []


def test_more_cpus_than_the_host_has_are_refused_before_any_change():
    info = host_info()
    info["machine"]["logical_processors"] = 4
    host = FakeHost(info)
    result = run(
        host,
        [{"name": "api", "image": NANO}, {"name": "web", "image": NANO, "cpus": 8}],
    )
    assert result["failed"] is True
    assert result["rule"] == "cpus-over-host"
    assert "host 'h1', workload 'web'" in result["msg"]
    assert "8" in result["msg"] and "4" in result["msg"]
    assert host.step_runs == []


def test_cpus_within_the_host_are_accepted_and_unknown_counts_are_not_refused():
    info = host_info()
    info["machine"]["logical_processors"] = 4
    assert not run(FakeHost(info), [{"name": "web", "image": NANO, "cpus": 4}]).get("failed")
    assert not run(FakeHost(host_info()), [{"name": "web", "image": NANO, "cpus": 64}]).get(
        "failed"
    )


def test_registry_passwords_travel_only_with_the_pulls():
    host = FakeHost(host_info(images=()))
    creds = [{"registry": "registry.example.com:5000", "username": "u", "password": "pa55word"}]
    result = run(host, [{"name": "api", "image": PRIVATE}], registry_credentials=creds)
    assert not result.get("failed"), result.get("msg")
    pull_run, apply_run = host.step_runs
    assert pull_run["secrets"] == [
        {"key": "registry:registry.example.com:5000", "value": "pa55word"}
    ]
    assert not [e for e in apply_run.get("secrets") or [] if e["key"].startswith("registry:")]
    assert "pa55word" not in json.dumps(apply_run)


def test_a_refusal_after_a_pull_says_what_was_pulled_and_reports_the_change():
    # The image's OS version is only known once it is pulled: process isolation of an
    # image built for an older build is refused then, after the pull changed the host.
    host = FakeHost(host_info(images=()))
    result = run(host, [{"name": "legacy", "image": OLDER, "isolation": "process"}])
    assert result["failed"] is True
    assert result["rule"] == "process-incompatible"
    assert "Nothing was changed" not in result["msg"]
    assert "No container was changed" in result["msg"]
    assert OLDER in result["msg"]
    assert result["changed"] is True
    assert result["pulled"] == [OLDER]
    assert [s["action"] for run_args in host.step_runs for s in run_args["steps"]] == ["pull"]


def test_pulling_alone_is_a_change():
    # An existing container keeps its image by id when the tag is gone; pulling the tag again
    # changes the host even though no container changes.
    host = FakeHost(host_info())
    run(host, [{"name": "web", "image": NANO}])
    host.info["images"] = []
    result = run(host, [{"name": "web", "image": NANO}])
    assert result["pulled"] == [NANO]
    assert result["steps"] == []
    assert result["changed"] is True


@pytest.mark.parametrize(
    ("ref", "registry"),
    [
        ("index.docker.io/library/nginx", "docker.io"),
        ("docker.io/team/app", "docker.io"),
        ("Registry.Example.com/team/app", "registry.example.com"),
        ("localhost:5000/app", "localhost:5000"),
        ("team/app@sha256:" + "a" * 64, "docker.io"),
    ],
)
def test_image_registry_follows_docker(ref, registry):
    assert image_registry(ref) == registry


def test_a_failed_second_pull_still_reports_the_first_as_a_change():
    host = FakeHost(host_info(images=()))
    original = host._steps

    def second_pull_fails(args):
        reply = original(dict(args, steps=args["steps"][:1]))
        reply["results"].append(
            {"index": 1, "action": "pull", "rc": 1, "stderr": "manifest unknown", "changed": False}
        )
        reply.update(failed=True, failed_step=1, msg="step 1 (pull) failed: manifest unknown")
        return reply

    host._steps = second_pull_fails
    result = run(host, [{"name": "api", "image": PRIVATE}, {"name": "web", "image": NANO}])
    assert result["failed"] is True
    assert "workload 'api'" in result["msg"] and "manifest unknown" in result["msg"]
    assert result["changed"] is True
