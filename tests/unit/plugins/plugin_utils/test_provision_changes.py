"""What provisioning would still change, and the readiness message made from it."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    provision_changes,
)

CONFIG = daemon_config.build({}, host="h", multi_tenant=False, engine_version="27.3.1")
PLAN = {
    "features": ["Containers", "Hyper-V"],
    "engine": {"version": "27.3.1"},
    "daemon_config": CONFIG,
}


def read(containers="Installed", hyperv="Installed", **engine):
    return {
        "features": {"Containers": containers, "Hyper-V": hyperv},
        "engine": {
            "installed": True,
            "version": "27.3.1",
            "service_state": "running",
            "daemon_config": dict(CONFIG),
            **engine,
        },
    }


def test_a_matching_host_needs_nothing():
    assert provision_changes.pending(read(), PLAN) == {
        "features": [],
        "restart_pending": False,
        "engine_steps": [],
        "needed": False,
    }


def test_each_difference_alone_makes_a_change():
    assert provision_changes.pending(read(hyperv="Available"), PLAN)["features"] == ["Hyper-V"]
    assert provision_changes.pending(read(hyperv="InstallPending"), PLAN)["restart_pending"]
    assert provision_changes.pending(read(version="26.1.4"), PLAN)["engine_steps"] == [
        "install",
        "restart",
    ]
    for info in (read(hyperv="Available"), read(hyperv="InstallPending"), read(version="1")):
        assert provision_changes.pending(info, PLAN)["needed"] is True


def test_hyperv_not_in_the_plan_is_not_wanted():
    plan = dict(PLAN, features=["Containers"])
    assert provision_changes.pending(read(hyperv="Available"), plan)["needed"] is False


def test_not_ready_names_the_host_and_everything_left():
    info = read(containers="InstallPending", hyperv="Available", service_state="stopped")
    msg = provision_changes.not_ready("ws1", info, provision_changes.pending(info, PLAN))
    assert msg.startswith("host 'ws1' is not a ready container host after provisioning")
    assert "rule 'host-ready'" in msg
    assert "features not installed: Hyper-V" in msg
    assert "a feature install still waits for a restart" in msg
    assert "engine steps still needed: start" in msg
    assert "engine 27.3.1 stopped" in msg
