"""The role's plan: features, Hyper-V need (trust policy), engine pin, daemon.json, reboot."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.provision_plan import (
    ProvisionError,
    feature_failure,
    plan,
    reboot,
)

SHA = "c" * 64
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def make_info(
    build=20348, virtual=True, extensions=True, hyperv="Available", containers="Available"
):
    return {
        "os": {"version": f"10.0.{build}.100", "build": build, "revision": 100},
        "machine": {
            "is_virtual": virtual,
            "hypervisor_present": virtual,
            "virtualization_firmware_enabled": extensions,
            "vm_monitor_mode_extensions": extensions,
            "second_level_address_translation": extensions,
            "memory_mb": 8192,
            "logical_processors": 4,
        },
        "features": {"Containers": containers, "Hyper-V": hyperv},
        "reboot_pending": False,
        "engine": {"kind": "none", "installed": False, "service_state": "absent"},
        "images": [],
        "containers": [],
    }


def make_settings(**engine):
    settings = {
        "hyperv": "auto",
        "engine": {"runtime": "docker", "version": "27.3.1", "url": "", "checksum": SHA},
        "daemon": {},
    }
    settings["engine"].update(engine)
    return settings


HOSTVARS = {"wincontainers_trust_boundary": "acme"}


def test_bare_host_without_workloads_gets_containers_only():
    result = plan(make_info(), HOSTVARS, "ws2022", [], make_settings())
    assert result["features"] == ["Containers"]
    assert result["hyperv"]["wanted"] is False
    assert result["multi_tenant"] is False
    assert "exec-opts" not in result["daemon_config"]
    assert result["engine"]["url"].endswith("docker-27.3.1.zip")


def test_trusted_same_boundary_workload_needs_no_hyperv():
    result = plan(
        make_info(), HOSTVARS, "ws2022", [{"name": "web", "image": NANO}], make_settings()
    )
    assert result["features"] == ["Containers"]


def test_untrusted_workload_wants_hyperv_and_hyperv_default_isolation():
    workloads = [
        {"name": "web", "image": NANO},
        {"name": "scan", "image": NANO, "trust_level": "untrusted"},
    ]
    result = plan(make_info(), HOSTVARS, "ws2022", workloads, make_settings())
    assert result["features"] == ["Containers", "Hyper-V"]
    assert result["multi_tenant"] is True
    assert result["daemon_config"]["exec-opts"] == ["isolation=hyperv"]
    assert any("scan" in r for r in result["hyperv"]["reasons"])


def test_other_boundary_workload_makes_the_host_multi_tenant():
    workloads = [{"name": "partner", "image": NANO, "trust_boundary": "globex"}]
    result = plan(make_info(), HOSTVARS, "ws2022", workloads, make_settings())
    assert result["multi_tenant"] is True
    assert "Hyper-V" in result["features"]


def test_trusted_workload_asking_for_hyperv_wants_hyperv_but_not_multi_tenant():
    workloads = [{"name": "web", "image": NANO, "isolation": "hyperv"}]
    result = plan(make_info(), HOSTVARS, "ws2022", workloads, make_settings())
    assert result["features"] == ["Containers", "Hyper-V"]
    assert result["multi_tenant"] is False
    assert "exec-opts" not in result["daemon_config"]


def test_host_preference_hyperv_wants_hyperv():
    hostvars = dict(HOSTVARS, wincontainers_isolation_preference="hyperv")
    result = plan(
        make_info(), hostvars, "ws2022", [{"name": "web", "image": NANO}], make_settings()
    )
    assert "Hyper-V" in result["features"]


def test_workload_the_policy_refuses_falls_back_to_its_trust_fields():
    workloads = [
        {"name": "admin", "image": NANO, "user": "ContainerAdministrator", "trust_level": "hostile"}
    ]
    result = plan(make_info(), HOSTVARS, "ws2022", workloads, make_settings())
    assert "Hyper-V" in result["features"]
    assert any("admin" in w for w in result["warnings"])


def test_missing_host_trust_boundary_with_workloads_is_refused():
    with pytest.raises(ProvisionError) as err:
        plan(make_info(), {}, "ws2022", [{"name": "web", "image": NANO}], make_settings())
    assert "trust_boundary" in str(err.value)
    assert err.value.host == "ws2022"


def test_vm_needing_hyperv_is_planned_and_windows_decides():
    workloads = [{"name": "scan", "image": NANO, "trust_level": "untrusted"}]
    result = plan(
        make_info(build=17763, extensions=False), HOSTVARS, "ws2019", workloads, make_settings()
    )
    assert result["features"] == ["Containers", "Hyper-V"]
    assert result["hyperv"]["installable"] is None
    assert "prerequisite check" in result["hyperv"]["installable_reason"]


def test_vm_asserted_not_nested_needing_hyperv_refused_with_fix_and_host():
    workloads = [{"name": "scan", "image": NANO, "trust_level": "untrusted"}]
    settings = dict(make_settings(), nested_virtualization="false")
    with pytest.raises(ProvisionError) as err:
        plan(make_info(build=17763, extensions=False), HOSTVARS, "ws2019", workloads, settings)
    message = str(err.value)
    assert err.value.rule == "hyperv-installable"
    assert "'ws2019'" in message
    assert "rule 'hyperv-installable'" in message
    assert "Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true" in message
    assert "scan" in message
    assert "Nothing was changed" in message


def test_nested_virtualization_must_be_a_boolean():
    settings = dict(make_settings(), nested_virtualization="maybe")
    with pytest.raises(ProvisionError) as err:
        plan(make_info(), HOSTVARS, "ws2019", [], settings)
    assert err.value.field == "container_host_nested_virtualization"


PREREQ = (
    "Unhandled exception while executing module: A prerequisite check for the Hyper-V feature "
    "failed.\r\n1. Hyper-V cannot be installed: A hypervisor is already running."
)


def test_windows_prerequisite_refusal_becomes_the_nested_virtualization_fix():
    workloads = [{"name": "scan", "image": NANO, "trust_level": "untrusted"}]
    info = make_info(build=17763, extensions=False)
    planned = plan(info, HOSTVARS, "ws2019", workloads, make_settings())
    message = feature_failure({"failed": True, "msg": PREREQ}, info, "ws2019", planned)
    assert message.startswith("host 'ws2019': Hyper-V is needed (workload scan")
    assert "Windows refused to install it (rule 'hyperv-installable')" in message
    assert "1. Hyper-V cannot be installed: A hypervisor is already running." in message
    assert "-ExposeVirtualizationExtensions $true" in message
    assert message.endswith("Nothing was changed on the host.")


def test_other_feature_failures_are_named_plainly():
    info = make_info()
    planned = plan(info, HOSTVARS, "ws2019", [], make_settings())
    message = feature_failure({"msg": "Failed to find source path"}, info, "ws2019", planned)
    assert message == "host 'ws2019': installing Containers failed: Failed to find source path"


def test_hyperv_false_never_installs_but_warns():
    workloads = [{"name": "scan", "image": NANO, "trust_level": "untrusted"}]
    settings = dict(make_settings(), hyperv=False)
    result = plan(make_info(extensions=False), HOSTVARS, "ws2019", workloads, settings)
    assert result["features"] == ["Containers"]
    assert any("container_host_hyperv is false" in w for w in result["warnings"])


@pytest.mark.parametrize("value", [True, "true", "yes"])
def test_hyperv_true_always_installs(value):
    result = plan(make_info(), HOSTVARS, "ws2022", [], dict(make_settings(), hyperv=value))
    assert result["features"] == ["Containers", "Hyper-V"]


def test_bad_hyperv_mode_refused():
    with pytest.raises(ProvisionError) as err:
        plan(make_info(), HOSTVARS, "ws2022", [], dict(make_settings(), hyperv="maybe"))
    assert err.value.field == "container_host_hyperv"
    assert "host 'ws2022': refused by rule 'bad-field'" in str(err.value)


def test_engine_23_pin_on_2016_refused_before_any_change():
    with pytest.raises(ProvisionError) as err:
        plan(make_info(build=14393), HOSTVARS, "ws2016", [], make_settings())
    assert err.value.rule == "engine_min_build"
    assert "ws2016" in str(err.value) and "27.3.1" in str(err.value)


def test_engine_20_10_pin_on_2016_accepted():
    result = plan(make_info(build=14393), HOSTVARS, "ws2016", [], make_settings(version="20.10.24"))
    assert result["engine"]["version"] == "20.10.24"


def test_insecure_daemon_setting_refused():
    settings = make_settings()
    settings["daemon"] = {"hosts": ["tcp://0.0.0.0:2375"]}
    with pytest.raises(ProvisionError) as err:
        plan(make_info(), HOSTVARS, "ws2022", [], settings)
    assert err.value.rule == "listener"


def test_missing_facts_refused():
    with pytest.raises(ProvisionError) as err:
        plan({}, HOSTVARS, "ws2022", [], make_settings())
    assert err.value.rule == "host-facts"
    assert "host 'ws2022'" in str(err.value) and "rule 'host-facts'" in str(err.value)


def test_reboot_when_feature_install_requires_it():
    info = make_info()
    decision = reboot([{"changed": True, "reboot_required": True}], info, ["Containers"])
    assert decision["required"] is True
    assert "Containers" in decision["reasons"][0]


def test_no_reboot_when_nothing_needs_it_even_if_one_is_pending():
    info = make_info(containers="Installed")
    info["reboot_pending"] = True
    decision = reboot([{"changed": False, "reboot_required": False}], info, ["Containers"])
    assert decision == {"required": False, "reasons": []}


def test_reboot_when_a_needed_feature_is_still_install_pending():
    info = make_info(containers="InstallPending")
    info["reboot_pending"] = True
    decision = reboot([{"changed": False, "reboot_required": False}], info, ["Containers"])
    assert decision["required"] is True
    assert any("InstallPending" in r for r in decision["reasons"])
    assert any("already pending" in r for r in decision["reasons"])


def test_skipped_feature_results_are_ignored():
    info = copy.deepcopy(make_info(containers="Installed"))
    assert (
        reboot([{"skipped": True, "reboot_required": True}], info, ["Containers"])["required"]
        is False
    )


@pytest.mark.parametrize(
    "containers, hyperv, workloads, missing, pending",
    [
        ("Available", "Available", [], ["Containers"], False),
        ("Installed", "Available", [], [], False),
        ("InstallPending", "Available", [], [], True),
        (
            "Installed",
            "Available",
            [{"name": "untrusted-app", "image": NANO, "trust_level": "untrusted"}],
            ["Hyper-V"],
            False,
        ),
        (
            "Installed",
            "InstallPending",
            [{"name": "untrusted-app", "image": NANO, "trust_level": "untrusted"}],
            [],
            True,
        ),
        (
            "Installed",
            "Installed",
            [{"name": "untrusted-app", "image": NANO, "trust_level": "untrusted"}],
            [],
            False,
        ),
    ],
)
def test_missing_features_and_restart_pending(containers, hyperv, workloads, missing, pending):
    info = make_info(containers=containers, hyperv=hyperv)
    result = plan(info, HOSTVARS, "ws2022", workloads, make_settings())
    assert result["missing_features"] == missing
    assert result["restart_pending"] is pending
