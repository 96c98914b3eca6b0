"""container_engine: the host lock's wait and holder passed to the module; proxy inputs."""

from __future__ import annotations

import copy

import pytest
from test_container_engine_action import BARE, run

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.engine_release import (
    validate_proxy,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal


def test_the_engine_change_carries_the_lock_wait_and_a_holder_naming_the_run():
    result, host = run(copy.deepcopy(BARE), lock_timeout=42)
    assert not result.get("failed"), result
    args = host.engine_calls[0]
    assert args["lock_timeout"] == 42
    assert args["lock_holder"].startswith("trustbound.wincontainers.container_engine (")
    assert " pid " in args["lock_holder"]


def test_the_default_wait_is_five_minutes():
    _result, host = run(copy.deepcopy(BARE))
    assert host.engine_calls[0]["lock_timeout"] == 300


@pytest.mark.parametrize("bad", [-1, 3601])
def test_a_lock_wait_out_of_range_is_refused_before_any_change(bad):
    result, host = run(copy.deepcopy(BARE), lock_timeout=bad)
    assert result["failed"] is True
    assert result["rule"] == "lock_timeout"
    assert "'ws1'" in result["msg"] and "0 to 3600" in result["msg"]
    assert host.engine_calls == []


@pytest.mark.parametrize(
    "url",
    ["http://alice:s3cret@proxy:3128", "http://alice@proxy:3128", "https://:pw@proxy"],
)
def test_credentials_in_the_proxy_url_are_refused_without_quoting_them(url):
    result, host = run(copy.deepcopy(BARE), proxy_url=url)
    assert result["failed"] is True
    assert result["rule"] == "proxy_credentials_in_url"
    assert "s3cret" not in result["msg"] and "alice" not in result["msg"]
    assert host.calls == []  # refused before the host is even read


@pytest.mark.parametrize("url", ["proxy:3128", "ftp://proxy:21", "http://", "http://[::1"])
def test_a_proxy_url_that_is_not_http_with_a_host_is_refused(url):
    with pytest.raises(Refusal) as refused:
        validate_proxy(host="ws1", url=url, username_given=False, password_given=False)
    assert refused.value.rule == "proxy_url"


@pytest.mark.parametrize("url", [None, "", "http://proxy:3128", "https://proxy.corp.example"])
def test_a_plain_proxy_url_passes(url):
    validate_proxy(host="ws1", url=url, username_given=False, password_given=False)


def test_a_proxy_user_without_a_password_is_refused_before_the_host_is_read():
    result, host = run(copy.deepcopy(BARE), proxy_url="http://proxy:3128", proxy_username="al")
    assert result["failed"] is True
    assert result["rule"] == "proxy_credentials_together"
    assert host.calls == []
