"""container_engine decides on a read handed to it (host_info) instead of reading again."""

from __future__ import annotations

import copy

import pytest
from test_container_engine_action import BARE, ready, run


def info_calls(host):
    return [name for name, _args in host.calls if name.endswith("container_host_info")]


def test_a_handed_read_replaces_the_module_run():
    result, host = run(ready(), host_info=ready())
    assert not result.get("failed"), result
    assert info_calls(host) == []
    assert host.calls == []
    assert result["changed"] is False


def test_the_plan_follows_the_handed_read_not_the_host():
    # The handed read says the engine is missing: the plan installs it, whatever
    # the host would have answered, so a caller must only hand over a fresh read.
    result, host = run(ready(), host_info=copy.deepcopy(BARE))
    assert info_calls(host) == []
    assert host.engine_calls[0]["_steps"][0] == "install"
    assert result["changed"] is True


def test_without_a_handed_read_the_host_is_read():
    _result, host = run(ready())
    assert info_calls(host) == ["trustbound.wincontainers.container_host_info"]


@pytest.mark.parametrize(
    "bad, words",
    [
        ({"skipped": True, "changed": False}, "failed or skipped"),
        ({"failed": True, "msg": "WinRM"}, "failed or skipped"),
        ({"os": {}, "features": {}}, "no engine section"),
        ({"changed": False}, "no os, features, engine section"),
    ],
)
def test_a_result_that_is_not_a_successful_read_is_refused(bad, words):
    result, host = run(ready(), host_info=bad)
    assert result["failed"] is True
    assert words in result["msg"]
    assert "'ws1'" in result["msg"]
    assert host.calls == []
