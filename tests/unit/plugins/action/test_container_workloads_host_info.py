"""The container_workloads ``host_info`` option: a registered read replaces the action's own."""

from __future__ import annotations

import copy

from ansible_collections.trustbound.wincontainers.tests.unit.plugins.action.test_container_workloads_action import (  # noqa: E501
    MIXED,
    NANO,
    FakeHost,
    decisions,
    host_info,
    run,
)

INFO = "trustbound.wincontainers.container_host_info"


def test_given_read_replaces_the_module_run_and_plans_the_same():
    read = host_info()
    own = run(FakeHost(copy.deepcopy(read)), MIXED)
    host = FakeHost(copy.deepcopy(read))
    given = run(host, MIXED, host_info=copy.deepcopy(read))
    assert not given.get("failed"), given.get("msg")
    assert INFO not in [call[0] for call in host.calls]
    assert given["module_runs"] == own["module_runs"] - 1 == 1
    assert decisions(given) == decisions(own)
    assert given["summary"] == own["summary"]


def test_nothing_to_do_with_a_given_read_is_no_module_run():
    host = FakeHost(host_info())
    run(host, MIXED)
    host.calls.clear()
    again = run(host, MIXED, host_info=copy.deepcopy(host.info))
    assert again["changed"] is False
    assert again["module_runs"] == 0 and host.calls == []


def test_the_given_read_is_what_the_plan_uses_not_the_host():
    # The read says the host already has the image: no pull run, although the host lacks it.
    host = FakeHost(host_info(images=()))
    result = run(host, [{"name": "own", "image": NANO}], check_mode=True, host_info=host_info())
    assert result["pulled"] == []
    assert host.calls == []
    assert [w["action"] for w in result["workloads"]] == ["create"]


def test_a_result_that_is_not_a_host_read_is_refused_before_any_module_run():
    host = FakeHost(host_info())
    result = run(host, MIXED, host_info={"changed": False, "os": {}})
    assert result["failed"] is True
    assert result["rule"] == "bad-value"
    assert "'h1'" in result["msg"] and "has no engine, images, containers section" in result["msg"]
    assert "Nothing was changed" in result["msg"]
    assert host.calls == []


def test_a_skipped_read_is_refused():
    host = FakeHost(host_info())
    result = run(host, MIXED, host_info={"skipped": True, "changed": False})
    assert result["failed"] is True and "skipped" in result["msg"]
    assert host.calls == []


def test_a_failed_read_fails_naming_the_host_and_the_message():
    host = FakeHost(host_info())
    result = run(host, MIXED, host_info={"failed": True, "msg": "Access is denied"})
    assert result["failed"] is True
    assert result["msg"] == "host 'h1': container_host_info failed: Access is denied"
    assert host.calls == []


def test_a_given_read_with_the_engine_stopped_fails_like_a_fresh_read():
    host = FakeHost(host_info())
    result = run(host, MIXED, host_info=host_info(engine_state="stopped"))
    assert result["failed"] is True and "engine is not running" in result["msg"]
    assert host.calls == []
