"""Provisioning reads its inputs as deployment does (issue 13 items 3, 6, 8; issue 12 surveys)."""

from __future__ import annotations

import json

import pytest
from test_provision_plan import HOSTVARS, NANO, make_info, make_settings

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.provision_plan import (
    ProvisionError,
    plan,
)

SECRET = "Hunter2-Secret-99"
UNTRUSTED = [{"name": "scan", "image": NANO, "trust_level": "untrusted"}]


def refused(workloads=(), settings=None, hostvars=None) -> ProvisionError:
    with pytest.raises(ProvisionError) as info:
        plan(make_info(), hostvars or HOSTVARS, "ws2022", workloads, settings or make_settings())
    return info.value


def test_a_typo_in_a_workload_key_refuses_the_host():
    """Today the typo made provisioning drop isolation=hyperv from daemon.json."""
    workloads = [{"name": "scan", "image": NANO, "trust-level": "untrusted"}]
    err = refused(workloads)
    assert err.rule == "unknown-key"
    assert "trust-level" in str(err) and "'ws2022'" in str(err)


def test_workloads_as_json_text_are_parsed_and_decide_hyperv():
    result = plan(make_info(), HOSTVARS, "ws2022", json.dumps(UNTRUSTED), make_settings())
    assert result["hyperv"]["wanted"] is True
    assert result["daemon_config"]["exec-opts"] == ["isolation=hyperv"]


def test_workloads_as_text_that_is_no_list_are_refused_unquoted():
    text = f'{{"name": "web", "image": "{NANO}", "secret_env": {{"T": "{SECRET}"}}}}'
    err = refused(text)
    assert err.rule == "workloads-not-a-list"
    assert "wincontainers_workloads must be a list, got a string" in str(err)
    assert SECRET not in str(err)


def test_a_workload_given_as_a_string_is_refused_without_its_text():
    err = refused([json.dumps({"name": "web", "secret_env": {"T": SECRET}})])
    assert err.rule == "workload-not-a-mapping"
    assert SECRET not in str(err)


@pytest.mark.parametrize(("text", "wanted"), [("yes", True), ("True", True), ("off", False)])
def test_hyperv_setting_reads_ansible_booleans(text, wanted):
    settings = dict(make_settings(), hyperv=text)
    result = plan(make_info(), HOSTVARS, "ws2022", [], settings)
    assert result["hyperv"]["wanted"] is wanted


def test_survey_booleans_on_the_host_are_read_like_deployment():
    hostvars = dict(HOSTVARS, wincontainers_allow_container_admin="yes")
    workloads = [{"name": "wk", "image": NANO, "user": "ContainerAdministrator"}]
    assert plan(make_info(), hostvars, "ws2022", workloads, make_settings())["host"]
    bad = dict(HOSTVARS, wincontainers_allow_isolation_downgrade="maybe")
    err = refused([{"name": "wk", "image": NANO}], hostvars=bad)
    assert "wincontainers_allow_isolation_downgrade must be a boolean" in str(err)
    assert "maybe" not in str(err)


def test_a_list_as_trust_boundary_is_refused():
    err = refused(
        [{"name": "wk", "image": NANO}], hostvars={"wincontainers_trust_boundary": ["acme"]}
    )
    assert err.field == "host.trust_boundary"
    assert "['acme']" not in str(err)


def test_daemon_hosts_and_checksums_as_json_text():
    settings = make_settings(checksum="", checksums=json.dumps({"27.3.1": "d" * 64}))
    settings["daemon"] = {"hosts": json.dumps(["npipe://"])}
    result = plan(make_info(), HOSTVARS, "ws2022", [], settings)
    assert result["engine"]["checksum"] == "d" * 64
    assert result["daemon_config"]["hosts"] == ["npipe://"]


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("daemon", "hosts", "npipe://", "container_host_daemon_hosts must be a list, got a string"),
        (
            "engine",
            "checksums",
            "27.3.1=abc",
            "container_host_engine_checksums must be a mapping, got a string",
        ),
        ("engine", "checksums", ["x"], "container_host_engine_checksums must be a mapping"),
        ("daemon", "log_max_file", 0, "container_host_daemon_log_max_file must be a whole number"),
        (
            "daemon",
            "log_max_file",
            "0",
            "container_host_daemon_log_max_file must be a whole number",
        ),
    ],
)
def test_unreadable_settings_are_refused_naming_the_variable(section, key, value, message):
    settings = make_settings()
    settings[section][key] = value
    err = refused(settings=settings)
    assert message in str(err)
    assert err.rule == "bad-field"


def test_log_max_file_is_kept_not_replaced():
    settings = make_settings()
    settings["daemon"] = {"log_max_file": "5"}
    result = plan(make_info(), HOSTVARS, "ws2022", [], settings)
    assert result["daemon_config"]["log-opts"]["max-file"] == "5"


@pytest.mark.parametrize(("text", "wanted"), [("no", False), ("ON", True), (None, True)])
def test_allow_reboot_is_read_as_a_boolean(text, wanted):
    settings = dict(make_settings(), allow_reboot=text)
    assert plan(make_info(), HOSTVARS, "ws2022", [], settings)["allow_reboot"] is wanted


def test_allow_reboot_that_is_no_boolean_is_refused():
    err = refused(settings=dict(make_settings(), allow_reboot="sometimes"))
    assert "container_host_allow_reboot must be a boolean" in str(err)
