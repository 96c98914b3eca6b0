"""host_facts: container_host_info output -> the trust policy's host, and Hyper-V capability."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_facts
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.trust_policy import decide

INFO = {
    "os": {"version": "10.0.20348.2340", "build": 20348, "revision": 2340},
    "machine": {
        "is_virtual": True,
        "hypervisor_present": True,
        "virtualization_firmware_enabled": False,
        "vm_monitor_mode_extensions": False,
        "second_level_address_translation": False,
        "memory_mb": 8192,
        "logical_processors": 2,
    },
    "features": {"Containers": "Installed", "Hyper-V": "Available"},
    "reboot_pending": False,
    "engine": {},
    "images": [],
    "containers": [],
}


def info(**changes):
    data = copy.deepcopy(INFO)
    for section, values in changes.items():
        data[section].update(values)
    return data


def test_policy_host_maps_facts_and_inventory():
    hostvars = {
        "wincontainers_trust_boundary": "acme",
        "wincontainers_isolation_preference": "hyperv",
        "wincontainers_allow_container_admin": False,
        "unrelated": 1,
    }
    host = host_facts.policy_host(info(), hostvars, "ws2022")
    assert host == {
        "name": "ws2022",
        "os_version": "10.0.20348.2340",
        "hyperv_available": False,
        "trust_boundary": "acme",
        "isolation_preference": "hyperv",
        "allow_container_admin": False,
    }


@pytest.mark.parametrize(
    ("state", "available"),
    [("Installed", True), ("InstallPending", False), ("Available", False), ("Removed", False)],
)
def test_hyperv_available_only_when_installed(state, available):
    host = host_facts.policy_host(
        info(features={"Hyper-V": state}), {"wincontainers_trust_boundary": "acme"}, "h"
    )
    assert host["hyperv_available"] is available


def test_policy_host_is_what_decide_accepts():
    host = host_facts.policy_host(
        info(features={"Hyper-V": "Installed"}), {"wincontainers_trust_boundary": "acme"}, "h"
    )
    decision = decide(
        {
            "name": "web",
            "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
            "trust_level": "untrusted",
        },
        host,
    )
    assert decision.isolation == "hyperv"


def test_os_build_falls_back_to_the_version_string():
    data = info()
    del data["os"]["build"]
    assert host_facts.os_build(data) == 20348


def test_missing_section_is_a_clear_error():
    with pytest.raises(host_facts.HostFactsError, match="container_host_info"):
        host_facts.policy_host({"features": {}}, {}, "h")


@pytest.mark.parametrize(
    "flags",
    [
        {},
        {"vm_monitor_mode_extensions": True, "second_level_address_translation": True},
        {"vm_monitor_mode_extensions": True},
    ],
)
def test_vm_processor_flags_do_not_decide_windows_does(flags):
    # Inside a VM a hypervisor is always present: the flags are not reliable
    # (PowerShell's Get-ComputerInfo skips them then).
    ok, why = host_facts.hyperv_installable(info(machine=flags))
    assert ok is None
    assert "prerequisite check" in why
    assert "container_host_nested_virtualization" in why


def test_vm_asserted_nested_by_the_inventory_is_installable():
    ok, why = host_facts.hyperv_installable(info(), nested_virtualization=True)
    assert ok is True
    assert "inventory" in why


def test_vm_asserted_not_nested_is_refused_with_the_fix():
    ok, why = host_facts.hyperv_installable(
        info(
            machine={"vm_monitor_mode_extensions": True, "second_level_address_translation": True}
        ),
        nested_virtualization=False,
    )
    assert ok is False
    assert "ExposeVirtualizationExtensions" in why
    assert "MacAddressSpoofing" in why
    assert "4 GB" in why and "2 or more vCPUs" in why


def test_physical_host_without_firmware_support_says_the_firmware_fix():
    ok, why = host_facts.hyperv_installable(
        info(
            machine={
                "is_virtual": False,
                "hypervisor_present": False,
                "vm_monitor_mode_extensions": True,
                "second_level_address_translation": True,
            }
        )
    )
    assert not ok
    assert "firmware" in why and "VT-x" in why


def test_physical_host_with_everything_is_installable():
    ok, _why = host_facts.hyperv_installable(
        info(
            machine={
                "is_virtual": False,
                "hypervisor_present": False,
                "virtualization_firmware_enabled": True,
                "vm_monitor_mode_extensions": True,
                "second_level_address_translation": True,
            }
        )
    )
    assert ok


def test_physical_host_with_running_hypervisor_is_installable():
    # Win32_Processor reads the extensions as False once a hypervisor owns them.
    ok, _why = host_facts.hyperv_installable(info(machine={"is_virtual": False}))
    assert ok


@pytest.mark.parametrize("state", ["Installed", "InstallPending"])
def test_already_installed_hyperv_is_installable(state):
    ok, why = host_facts.hyperv_installable(info(features={"Hyper-V": state}))
    assert ok
    assert state in why
