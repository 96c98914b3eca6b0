"""The role's two filters: plan (with refusals as an error, not an exception) and reboot."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.filter.container_host_plan import (
    FilterModule as PlanFilters,
)
from ansible_collections.trustbound.wincontainers.plugins.filter.container_host_reboot import (
    FilterModule as RebootFilters,
)

plan_filter = PlanFilters().filters()["container_host_plan"]
reboot_filter = RebootFilters().filters()["container_host_reboot"]

INFO = {
    "os": {"version": "10.0.14393.6709", "build": 14393, "revision": 6709},
    "machine": {
        "is_virtual": True,
        "hypervisor_present": True,
        "vm_monitor_mode_extensions": False,
        "second_level_address_translation": False,
    },
    "features": {"Containers": "Available", "Hyper-V": "Available"},
    "reboot_pending": False,
}
SETTINGS = {
    "hyperv": "auto",
    "daemon": {},
    "engine": {"runtime": "docker", "version": "20.10.24", "checksum": "e" * 64},
}


def test_plan_filter_returns_the_plan_with_no_error():
    result = plan_filter(INFO, {"wincontainers_trust_boundary": "acme"}, "ws2016", [], SETTINGS)
    assert result["error"] is None
    assert result["features"] == ["Containers"]


def test_plan_filter_turns_a_refusal_into_error_and_rule():
    settings = dict(SETTINGS, engine=dict(SETTINGS["engine"], version="27.3.1"))
    result = plan_filter(INFO, {}, "ws2016", [], settings)
    assert result["rule"] == "engine_min_build"
    assert "ws2016" in result["error"]


def test_plan_filter_rejects_non_dict_input():
    with pytest.raises(AnsibleFilterError):
        plan_filter("nope", {}, "h", [], SETTINGS)


def test_reboot_filter():
    decision = reboot_filter([{"reboot_required": True}], INFO, ["Containers"])
    assert decision["required"] is True
    assert reboot_filter([], INFO, ["Containers"])["required"] is False
