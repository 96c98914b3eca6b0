"""The patch filters: thin wrappers, but their error contract is the role's."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.filter.container_image_pulls import (
    container_image_pulls,
)
from ansible_collections.trustbound.wincontainers.plugins.filter.container_patch_drain import (
    container_patch_drain,
)
from ansible_collections.trustbound.wincontainers.plugins.filter.container_patch_plan import (
    container_patch_plan,
)
from ansible_collections.trustbound.wincontainers.plugins.filter.container_patch_report import (
    container_patch_report,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
INFO = {
    "os": {"version": "10.0.20348.2113", "build": 20348},
    "features": {"Hyper-V": "Installed"},
    "engine": {"service_state": "running"},
    "images": [{"id": "sha256:1", "repo_tags": [NANO], "os_version": "10.0.20348.2113"}],
    "containers": [],
}
HOSTVARS = {"wincontainers_trust_boundary": "acme"}


def test_plan_returns_error_and_rule_instead_of_raising():
    result = container_patch_plan(INFO, {"updates": {}}, [], "h1", HOSTVARS, "sometimes")
    assert result["rule"] == "bad-resolution" and result["patch"] is False
    assert result["error"].startswith("host 'h1'") and result["error"].endswith(
        "Nothing was changed."
    )


def test_plan_reports_a_policy_refusal_with_its_rule():
    admin = [{"name": "web", "image": NANO, "user": "ContainerAdministrator"}]
    result = container_patch_plan(INFO, {"updates": {}}, admin, "h1", HOSTVARS)
    assert result["rule"] == "admin-user" and "workload 'web'" in result["error"]


def test_plan_without_a_host_read_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="container_host_info"):
        container_patch_plan(None, {}, [], "h1")


def test_a_good_plan_has_no_error_and_the_refresh_check_runs_with_pulls():
    result = container_patch_plan(INFO, {"updates": {}}, [{"name": "web", "image": NANO}], "h1",
                                  HOSTVARS, "hold", {}, [])  # fmt: skip
    assert result["error"] is None and result["patch"] is False and result["held"] is False


def test_drain_report_and_pulls_wrap_the_helpers():
    drained = container_patch_drain(INFO, [{"name": "web", "image": NANO}], "h1", {})
    assert drained["steps"] == [] and drained["restore_names"] == ["web"]
    assert "restore_workloads" not in drained  # kept out of facts: secret_env values
    overrides = {"overrides": {"web": {"isolation": "hyperv"}}}
    restored = container_patch_drain(
        INFO, [{"name": "web", "image": NANO}], "h1", overrides, restore=True
    )
    assert restored == [{"name": "web", "image": NANO, "isolation": "hyperv"}]
    report = container_patch_report(
        {"host": "h1", "workloads": []}, drained, None, None, None, 1.25
    )
    assert report["host"] == "h1" and report["patched"] is False
    assert container_image_pulls([{"name": "web", "image": NANO}], "h1") == [
        {"action": "pull", "image": NANO, "workload": "web"}
    ]
