"""Provisioning refuses, before any change, what the engine task would refuse after the
features were installed: the download proxy and the host lock's wait."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import provision_plan


@pytest.mark.parametrize(
    "settings, rule, variable",
    [
        ({"lock_timeout": -1}, "lock_timeout", "container_host_lock_timeout"),
        ({"lock_timeout": "soon"}, "lock_timeout", "container_host_lock_timeout"),
        ({"proxy": {"url": "http://bob:pw@proxy:8080"}}, "proxy_credentials_in_url", "proxy_url"),
        ({"proxy": {"url": "proxy:8080"}}, "proxy_url", "proxy_url"),
        (
            {"proxy": {"url": "http://proxy:8080", "username_given": True}},
            "proxy_credentials_together",
            "proxy_password",
        ),
        ({"proxy": {"password_given": True}}, "proxy_credentials_together", "proxy_username"),
    ],
)
def test_engine_access_refusals_name_host_rule_and_field(settings, rule, variable):
    with pytest.raises(provision_plan.ProvisionError) as refused:
        provision_plan.check_engine_access(settings, "ws1")
    assert refused.value.rule == rule
    assert "'ws1'" in str(refused.value)
    assert variable in str(refused.value)
    assert "pw@" not in str(refused.value) and "bob" not in str(refused.value)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"lock_timeout": "300"},  # an AWX survey's text
        {"lock_timeout": 0, "proxy": {"url": ""}},
        {
            "proxy": {
                "url": "http://proxy:8080",
                "username_given": True,
                "password_given": True,
            }
        },
    ],
)
def test_accepted_engine_access(settings):
    provision_plan.check_engine_access(settings, "ws1")
