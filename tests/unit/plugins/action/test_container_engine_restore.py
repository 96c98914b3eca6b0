"""container_engine: what an engine stop does to the containers, as the controller sees it.

The module lists the running containers itself once it holds the host lock (the
controller's read may be stale by then); the controller warns in check mode and names the
containers the module could not start again."""

from __future__ import annotations

import copy

import pytest
from test_container_engine_action import FakeHost, ready, run

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_restart


def with_containers(info, *entries):
    info = copy.deepcopy(info)
    info["containers"] = [
        {"id": cid, "name": name, "running": running, "labels": labels}
        for cid, name, running, labels in entries
    ]
    return info


RUNNING = (
    ("a1", "web", True, {"trustbound.wincontainers.owner": "acme"}),
    ("b2", "other-owners", True, {"trustbound.wincontainers.owner": "globex"}),
    ("c3", "by-hand", True, {}),
    ("d4", "stopped-before", False, {}),
)


def test_the_controller_hands_no_stale_container_list_to_the_module():
    info = with_containers(ready(config={"hosts": ["npipe://"]}), *RUNNING)
    _result, host = run(info)
    call = host.engine_calls[0]
    assert call["_steps"] == ["write_config", "restart"]
    assert not any("restore" in key for key in call)


def test_check_mode_warns_that_the_restart_stops_every_container():
    info = with_containers(ready(version="26.1.4"), *RUNNING)
    result, _host = run(info, check_mode=True)
    assert not result.get("failed"), result
    assert any(
        "the engine restart stops every container (web, other-owners, by-hand)" in w
        for w in result["warnings"]
    ), result


def test_containers_that_would_not_start_are_warned_by_name(monkeypatch):
    info = with_containers(ready(config={"hosts": ["npipe://"]}), *RUNNING)

    class Failing(FakeHost):
        def __call__(self, module_name, module_args=None, task_vars=None, **kwargs):
            result = super().__call__(module_name, module_args, task_vars, **kwargs)
            if module_name.endswith("container_engine"):
                # The module's raw runs: docker ps, then one docker start of every id.
                result["containers"] = {
                    "listed": {"rc": 0, "stdout": "a1\nb2\nc3\n", "stderr": ""},
                    "started": {
                        "rc": 1,
                        "stdout": "a1\nb2\n",
                        "stderr": "Error response from daemon: boom\n"
                        "Error: failed to start containers: c3\n",
                    },
                }
            return result

    monkeypatch.setattr("test_container_engine_action.FakeHost", Failing)
    result, _host = run(info)
    assert result["warnings"] == [
        "host 'ws1': container 'by-hand' ran before the engine restart and would not start "
        "again: Error response from daemon: boom"
    ]
    assert result["containers"] == {
        "restored": ["a1", "b2"],
        "not_restarted": [
            {"id": "c3", "name": "by-hand", "error": "Error response from daemon: boom"}
        ],
    }


@pytest.mark.parametrize("timeout", [0, -5, 901, 2**31])
def test_start_timeout_out_of_range_is_refused_before_any_change(timeout):
    result, host = run(ready(config={"hosts": ["npipe://"]}), start_timeout=timeout)
    assert result["failed"] is True
    assert result["rule"] == "start_timeout"
    assert "host 'ws1'" in result["msg"]
    assert host.engine_calls == []


def test_the_name_the_module_reports_wins_over_the_controller_s_read():
    report = {"containers": {"not_restarted": [{"id": "zz", "name": "new", "error": "boom"}]}}
    assert engine_restart.not_restarted_warnings("ws1", [], report) == [
        "host 'ws1': container 'new' ran before the engine restart and would not start again: boom"
    ]


def test_internal_options_cannot_be_set_on_a_task():
    result, _host = run(ready(), _engine_host={"install_path": "D:\\x"})
    assert result["failed"] is True
    assert "_engine_host is internal" in result["msg"]


def test_stops_engine_only_when_running_and_a_stopping_step():
    assert engine_restart.stops_engine(["install"], {"service_state": "running"})
    assert engine_restart.stops_engine(["write_config", "restart"], {"service_state": "running"})
    assert not engine_restart.stops_engine(["start"], {"service_state": "stopped"})
    assert not engine_restart.stops_engine(["install", "start"], {"service_state": "stopped"})


def test_download_proxy_options_reach_the_module_and_unset_ones_do_not():
    info = ready(version="26.1.4")
    _result, host = run(info, proxy_url="http://proxy:3128", proxy_username="u", proxy_password="p")
    call = host.engine_calls[0]
    assert (call["proxy_url"], call["proxy_username"], call["proxy_password"]) == (
        "http://proxy:3128",
        "u",
        "p",
    )
    assert call["use_proxy"] is True
    _result, host = run(ready(version="26.1.4"))
    assert "proxy_url" not in host.engine_calls[0]


def test_a_listing_that_failed_is_warned():
    report = {"containers": {"list_error": "docker ps failed (rc 1): pipe", "not_restarted": []}}
    (warning,) = engine_restart.not_restarted_warnings("ws1", [], report)
    assert "could not be listed before the engine stopped (docker ps failed (rc 1): pipe)" in (
        warning
    )
    assert warning.startswith("host 'ws1'")
