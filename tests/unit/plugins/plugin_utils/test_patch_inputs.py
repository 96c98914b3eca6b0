"""Every container_updates_* setting checked before the patch changes anything."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_inputs
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal

GOOD = {
    "container_updates_start_timeout": "10",
    "container_updates_reboot_timeout": 1200,
    "container_updates_ready_retries": 30,
    "container_updates_ready_delay": 0,
    "container_updates_lock_timeout": "300",
    "container_updates_lease_seconds": 14400,
    "container_updates_lease_id": "trustbound.wincontainers.container_updates/4711",
    "container_updates_resume_lease": "",
    "container_updates_resolution": "hold",
    "container_updates_known_revisions": '{"KB5034129": "20348.2227"}',
    "container_updates_accept_list": ["KB5034129"],
    "container_updates_reject_list": "[]",
    "container_updates_categories": None,
    "container_updates_owner": " example-inventory ",
    "container_updates_adopt": [],
    "container_updates_registry_credentials": [
        {"registry": "r.example", "username": "u", "password": "pw-Value-1"}
    ],
}


def test_good_settings_are_read_as_surveys_send_them():
    checked = patch_inputs.check(GOOD, "h1")
    assert checked["container_updates_start_timeout"] == 10
    assert checked["container_updates_lock_timeout"] == 300
    assert checked["container_updates_known_revisions"] == {"KB5034129": "20348.2227"}
    assert checked["container_updates_reject_list"] == []
    assert checked["container_updates_owner"] == "example-inventory"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("container_updates_start_timeout", 0),
        ("container_updates_start_timeout", 3601),
        ("container_updates_reboot_timeout", -1),
        ("container_updates_ready_retries", -1),
        ("container_updates_ready_retries", True),
        ("container_updates_ready_delay", "soon"),
        ("container_updates_lease_seconds", 0),
        ("container_updates_lock_timeout", 3601),
        ("container_updates_lease_id", "job\nid"),
        ("container_updates_lease_id", "a b"),
        ("container_updates_resume_lease", "$(whoami)"),
        ("container_updates_lease_id", ["x"]),
        ("container_updates_resolution", "later"),
        ("container_updates_known_revisions", ["KB1"]),
        ("container_updates_accept_list", "KB1"),
        ("container_updates_reject_list", [""]),
        ("container_updates_categories", [1]),
        ("container_updates_owner", ""),
        ("container_updates_adopt", [None]),
        ("container_updates_registry_credentials", [{"registry": "r", "username": "u"}]),
    ],
)
def test_a_bad_setting_is_refused_naming_the_variable_and_no_value(variable, value):
    with pytest.raises(Refusal) as refused:
        patch_inputs.check(dict(GOOD, **{variable: value}), "h1")
    message = str(refused.value)
    assert message.startswith("host 'h1':") and variable in message
    assert "Nothing was changed." in message
    assert "pw-Value-1" not in message
    if isinstance(value, str) and len(value) > 2:
        assert value not in message
