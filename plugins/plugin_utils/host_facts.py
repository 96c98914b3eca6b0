# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that maps ``container_host_info`` output onto the trust policy's host.

``container_host_info`` returns raw facts (see docs/architecture.md, "return
contract"); the trust policy takes a host dict. Both the provisioning role and
the workload deployer go through ``policy_host`` so they agree on what a host
is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import trust_policy

INSTALLED = "Installed"
INSTALL_PENDING = "InstallPending"

NESTED_VIRTUALIZATION_FIX = (
    "on the parent Hyper-V host, with the VM turned off, run "
    "'Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true', enable MAC "
    "address spoofing on its network adapter "
    "('Set-VMNetworkAdapter -VMName <vm> -MacAddressSpoofing On') so containers get a "
    "network, and give the VM 4 GB or more of RAM and 2 or more vCPUs; then start it and "
    "run the play again"
)
FIRMWARE_FIX = (
    "enable the processor's virtualization extensions (Intel VT-x or AMD-V) and second "
    "level address translation (SLAT/EPT/RVI) in the machine's firmware (BIOS/UEFI) "
    "setup, then run the play again"
)


class HostFactsError(ValueError):
    """``container_host_info`` output that lacks what a decision needs."""


def _section(info: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = info.get(key) if isinstance(info, Mapping) else None
    if not isinstance(value, Mapping):
        raise HostFactsError(
            f"container_host_info output has no '{key}' section; run "
            "trustbound.wincontainers.container_host_info and pass its result"
        )
    return value


# The sections of a container_host_info result and their types (its RETURN).
READ_SECTIONS: dict[str, type] = {
    "os": Mapping,
    "features": Mapping,
    "engine": Mapping,
    "images": list,
    "containers": list,
}


def read_problem(info: Any, sections: tuple[str, ...] = ("os", "features", "engine")) -> str | None:
    """Why ``info`` cannot stand for a fresh ``container_host_info`` read, or None.

    A read handed from an earlier task must be a successful read with the ``sections`` its
    user decides on: a skipped or failed task's result, or anything else, is refused rather
    than taken for a host with nothing on it.
    """
    if not isinstance(info, Mapping):
        return "host_info must be the registered result of container_host_info"
    if info.get("failed") or info.get("skipped"):
        return (
            "host_info is a failed or skipped container_host_info result; pass a successful"
            " read, or omit host_info so the host is read again"
        )
    missing = [key for key in sections if not isinstance(info.get(key), READ_SECTIONS[key])]
    if missing:
        return (
            f"host_info has no {', '.join(missing)} section: it must be the registered result"
            " of trustbound.wincontainers.container_host_info"
        )
    return None


def os_version(info: Mapping[str, Any]) -> str:
    version = _section(info, "os").get("version")
    if not isinstance(version, str) or not version:
        raise HostFactsError("container_host_info output has no os.version")
    return version


def os_build(info: Mapping[str, Any]) -> int:
    build = _section(info, "os").get("build")
    if isinstance(build, int) and not isinstance(build, bool):
        return build
    return int(os_version(info).split(".")[2])


def feature_state(info: Mapping[str, Any], feature: str) -> str:
    """``Installed``, ``Available``, ``InstallPending``, ``Removed`` or ``Unknown``."""
    features = info.get("features") if isinstance(info, Mapping) else None
    if not isinstance(features, Mapping):
        return "Unknown"
    return str(features.get(feature) or "Unknown")


def hyperv_available(info: Mapping[str, Any]) -> bool:
    """Hyper-V can run containers now: installed, not waiting for a restart."""
    return feature_state(info, "Hyper-V") == INSTALLED


def policy_host(info: Mapping[str, Any], hostvars: Mapping[str, Any], name: str) -> dict:
    """The trust policy's host dict for this host, from its facts and inventory."""
    return trust_policy.host_from_inventory(
        hostvars, os_version(info), hyperv_available(info), name
    )


def hyperv_installable(
    info: Mapping[str, Any], nested_virtualization: bool | None = None
) -> tuple[bool | None, str]:
    """Whether ``Install-WindowsFeature Hyper-V`` can succeed here (None: Windows decides).

    Once a hypervisor runs, Win32_Processor's virtualization flags are not
    reliable (PowerShell's Get-ComputerInfo skips them then: "when the HyperV
    is present, the requirements values are misleading"), so a physical host
    with ``hypervisor_present`` counts as capable. A VM always sees a
    hypervisor (its parent): its flags say nothing, so unless the inventory
    asserts it (``nested_virtualization``), Windows' own prerequisite check at
    the feature install decides, and the role turns its refusal into the fix.
    """
    state = feature_state(info, "Hyper-V")
    if state in (INSTALLED, INSTALL_PENDING):
        return True, f"the Hyper-V feature is already {state}"
    machine = _section(info, "machine")
    extensions = bool(machine.get("vm_monitor_mode_extensions"))
    slat = bool(machine.get("second_level_address_translation"))
    firmware = bool(machine.get("virtualization_firmware_enabled"))

    if machine.get("is_virtual"):
        if nested_virtualization is True:
            return True, "the inventory asserts nested virtualization for this VM"
        if nested_virtualization is False:
            return False, (
                "this host is a virtual machine and the inventory says its parent does not "
                "expose virtualization extensions (container_host_nested_virtualization: "
                f"false), so Hyper-V cannot be installed in it. Fix: {NESTED_VIRTUALIZATION_FIX}"
            )
        return None, (
            "this host is a virtual machine: its processor flags are not reliable while its "
            "parent's hypervisor runs, so Windows' prerequisite check at the feature install "
            "decides (set container_host_nested_virtualization to say so in the inventory)"
        )

    if machine.get("hypervisor_present"):
        return True, "a hypervisor already runs on this physical host"
    missing = [
        label
        for label, present in (
            ("virtualization extensions (VT-x/AMD-V)", extensions),
            ("virtualization enabled in firmware", firmware),
            ("second level address translation (SLAT)", slat),
        )
        if not present
    ]
    if not missing:
        return True, "the processor has virtualization extensions and SLAT, enabled in firmware"
    return False, (
        f"this physical host lacks {', '.join(missing)}, so Hyper-V cannot be installed. "
        f"Fix: {FIRMWARE_FIX}"
    )
