"""The data root's ACL is judged semantically against dockerd's protected ACL."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.action.container_engine import plan_steps
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    daemon_config,
    engine_steps,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.data_root_acl import (
    PROTECTED_SDDL,
    data_root,
    problems,
)

INHERITED = (
    "D:AI(A;OICIID;FA;;;SY)(A;OICIID;FA;;;BA)(A;OICIIOID;GA;;;CO)"
    "(A;OICIID;0x1200a9;;;BU)(A;CIID;DCLCRPCR;;;BU)"
)
# How Windows may store dockerd's ACL: generic rights split into effective + inherit-only.
SPLIT = "D:P(A;;FA;;;BA)(A;OICIIO;GA;;;BA)(A;;FA;;;SY)(A;OICIIO;GA;;;SY)"


@pytest.mark.parametrize("sddl", [PROTECTED_SDDL, SPLIT, "D:P(A;OICI;FA;;;S-1-5-32-544)"])
def test_dockerds_acl_in_any_stored_form_passes(sddl):
    assert problems(sddl) == []


def test_inherited_programdata_acl_is_flagged():
    found = problems(INHERITED)
    assert "the DACL inherits from the parent (not protected)" in found
    assert any("BU" in p for p in found)


def test_protected_but_with_users_is_flagged():
    assert problems("D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)(A;OICI;0x1200a9;;;BU)") == [
        "access for BU (A;OICI;0x1200a9;;;BU)"
    ]


def test_missing_root_and_garbage():
    assert problems(None) == ["the data root does not exist yet"]
    assert problems("O:BA") == ["no DACL in 'O:BA'"]


def test_data_root_follows_daemon_json():
    assert data_root({}) == "C:\\ProgramData\\docker"
    assert data_root({"data-root": "D:\\docker"}) == "D:\\docker"


CONFIG = daemon_config.build({}, host="h", multi_tenant=False, engine_version="27.3.1")


def engine(sddl, **more):
    return {"installed": True, "version": "27.3.1", "service_state": "running",
            "daemon_config": CONFIG, "data_root_sddl": sddl, **more}  # fmt: skip


def test_inherited_root_is_protected_with_the_engine_stopped():
    # Set-Acl with dockerd down, inside the transaction: a running engine restarts for it.
    assert plan_steps(engine(INHERITED), "27.3.1", CONFIG) == ["protect_data_root", "restart"]
    stopped = engine(INHERITED, service_state="stopped")
    assert plan_steps(stopped, "27.3.1", CONFIG) == ["protect_data_root", "start"]


def test_protected_root_plans_nothing():
    assert plan_steps(engine(SPLIT), "27.3.1", CONFIG) == []


def test_protection_comes_before_daemon_json():
    bare = engine(None, service_state="absent", installed=False, daemon_config={})
    steps = plan_steps(bare, "27.3.1", CONFIG)
    assert steps.index("protect_data_root") < steps.index("write_config")


def test_no_acl_fact_no_step():
    facts = engine(INHERITED)
    del facts["data_root_sddl"]
    assert plan_steps(facts, "27.3.1", CONFIG) == []


SYSTEM32 = "C:\\Windows\\System32\\dockerd.exe"


def test_service_running_a_binary_elsewhere_is_registered_again():
    # Microsoft's install-docker-ce.ps1: binaries and service in System32, ours absent
    facts = engine(PROTECTED_SDDL, installed=False, version=None, service_binary=SYSTEM32,
                   eventlog_source=True, install_path="C:\\Program Files\\docker")  # fmt: skip
    assert plan_steps(facts, "27.3.1", CONFIG) == [
        "install",
        "unregister_service",
        "remove_eventlog_source",
        "register_service",
        "start",
    ]


def test_leftover_eventlog_source_is_removed_before_registering():
    facts = engine(PROTECTED_SDDL, installed=True, service_state="absent", eventlog_source=True)
    assert plan_steps(facts, "27.3.1", CONFIG) == [
        "remove_eventlog_source",
        "register_service",
        "start",
    ]


def test_our_own_service_binary_is_left_alone():
    facts = engine(PROTECTED_SDDL, service_binary="c:\\program files\\docker\\dockerd.exe",
                   eventlog_source=True)  # fmt: skip
    assert plan_steps(facts, "27.3.1", CONFIG) == []


def test_image_layers_keep_the_acl_and_the_task_says_why():
    facts = engine(INHERITED)
    assert plan_steps(facts, "27.3.1", CONFIG, layers=True) == []
    assert engine_steps.acl_left(facts, True)
    assert not engine_steps.acl_left(facts, False)
    assert not engine_steps.acl_left(engine(PROTECTED_SDDL), True)
    warning = engine_steps.acl_warning("h1", facts)
    assert warning.startswith("host 'h1': the engine's data root keeps an ACL other than")
    assert "the DACL inherits from the parent (not protected)" in warning
    assert engine_steps.has_layers({"images": [{"id": "sha256:1"}]})
    assert not engine_steps.has_layers({"images": []})
