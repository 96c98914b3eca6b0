"""Windows rules of a simulated host: features, reboots, Windows Update.

Every message here is the one Windows prints; where it came from is noted
next to it and in docs/simulator-host-model.md.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .state import (
    AVAILABLE,
    INSTALL_PENDING,
    INSTALLED,
    UNINSTALL_PENDING,
    ContainerState,
)

if TYPE_CHECKING:
    from .host import Host

# Seconds between 1601-01-01 (FILETIME epoch) and 1970-01-01.
_FILETIME_EPOCH_OFFSET = 11644473600

# Exit code docker reports for a Windows container killed by a host shutdown
# (0x40010004, DBG_TERMINATE_PROCESS).
SHUTDOWN_EXIT_CODE = 1073807364

DEFAULT_REBOOT_SECONDS = 3.0


class UnhandledError(Exception):
    """A terminating PowerShell error the module does not catch.

    The exec wrapper turns it into ``{"failed": true, "msg": "Unhandled
    exception while executing module: <message>"}`` with rc 1
    (ansible-core ``executor/powershell/module_wrapper.ps1``).
    """


@dataclass(frozen=True)
class FeatureInfo:
    """One entry of Get-WindowsFeature."""

    name: str
    display_name: str
    id: int  # illustrative: the model does not rely on real feature ids
    restart_needed: bool
    management_tools: tuple[str, ...] = ()
    needs_virtualization: bool = False
    server_core: bool = True  # False: GUI-only, not offered on Server Core


FEATURES: dict[str, FeatureInfo] = {
    f.name.lower(): f
    for f in (
        FeatureInfo("Containers", "Containers", 450, restart_needed=True),
        FeatureInfo(
            "Hyper-V",
            "Hyper-V",
            20,
            restart_needed=True,
            management_tools=("RSAT-Hyper-V-Tools", "Hyper-V-Tools", "Hyper-V-PowerShell"),
            needs_virtualization=True,
        ),
        FeatureInfo("RSAT-Hyper-V-Tools", "Hyper-V Management Tools", 463, restart_needed=False),
        FeatureInfo("Hyper-V-Tools", "Hyper-V GUI Management Tools", 40, False, server_core=False),
        FeatureInfo("Hyper-V-PowerShell", "Hyper-V Module for Windows PowerShell", 41, False),
        FeatureInfo("Windows-Defender", "Microsoft Defender Antivirus", 1000, restart_needed=True),
        FeatureInfo("Web-Server", "Web Server (IIS)", 2, restart_needed=False),
        FeatureInfo("NET-Framework-45-Core", ".NET Framework 4.8", 418, restart_needed=False),
        FeatureInfo("Telnet-Client", "Telnet Client", 44, restart_needed=False),
        FeatureInfo("PowerShellRoot", "Windows PowerShell", 417, restart_needed=False),
    )
}


@dataclass
class FeatureChange:
    """One FeatureResult entry of Install-/Uninstall-WindowsFeature."""

    feature: FeatureInfo
    restart_needed: bool


@dataclass
class FeatureOperation:
    """The result of Install-/Uninstall-WindowsFeature (Success, RestartNeeded, ExitCode, ...)."""

    success: bool
    restart_needed: str  # "Yes" | "No"
    exit_code: str  # Success | NoChangeNeeded | SuccessRestartRequired
    feature_result: list[FeatureChange]


def feature_info(name: str) -> FeatureInfo:
    """The catalogue entry for ``name`` (case-insensitive), or the ServerManager error."""
    try:
        return FEATURES[name.lower()]
    except KeyError:
        # Install-WindowsFeature -Name <unknown> (ServerManager, terminating error)
        raise UnhandledError(
            f"ArgumentNotValid: The role, role service, or feature name is not valid: '{name}'. "
            "The name was not found."
        ) from None


def filetime(epoch_seconds: float) -> int:
    """``DateTime.ToFileTime()``: 100 ns intervals since 1601-01-01 UTC."""
    return int((epoch_seconds + _FILETIME_EPOCH_OFFSET) * 10_000_000)


class Windows:
    """The Windows rules, bound to one host. Obtain it as ``host.windows``."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.state = host.state

    # ----------------------------------------------------------- features --
    def feature_state(self, name: str) -> str:
        """Get-WindowsFeature InstallState (Installed, Available, InstallPending, ...)."""
        info = feature_info(name)
        return self.state.features.get(info.name, AVAILABLE)

    def feature_states(self) -> dict[str, str]:
        """InstallState of every feature in the catalogue and every one the host lists."""
        states = {f.name: AVAILABLE for f in FEATURES.values() if self._offered(f)}
        states.update(self.state.features)
        return states

    def feature_installed(self, name: str) -> bool:
        """Installed and active (not waiting for a restart)."""
        return self.state.features.get(feature_info(name).name) == INSTALLED

    def _offered(self, info: FeatureInfo) -> bool:
        return info.server_core or self.state.os.installation_type != "Server Core"

    def _hyperv_prerequisite(self) -> None:
        """ServerManager's prerequisite check, before Install-WindowsFeature changes anything.

        FullyQualifiedErrorId Alteration_PrerequisiteCheck_Failed. In a VM whose parent
        does not expose the extensions the hypervisor is the parent's
        (MicrosoftDocs/Virtualization-Documentation#193, a VM on ESXi); on a physical
        host without VT-x/SLAT, dsccommunity/HyperVDsc#184.
        """
        machine = self.state.machine
        if machine.is_virtual and not machine.virtualization_extensions:
            raise UnhandledError(
                "A prerequisite check for the Hyper-V feature failed.\r\n"
                "1. Hyper-V cannot be installed: A hypervisor is already running."
            )
        if not machine.virtualization_extensions:
            raise UnhandledError(
                "A prerequisite check for the Hyper-V feature failed.\r\n"
                "1. Hyper-V cannot be installed: The processor does not have required "
                "virtualization capabilities."
            )

    def install_features(
        self,
        names: list[str],
        *,
        include_sub_features: bool = False,
        include_management_tools: bool = False,
        check_mode: bool = False,
    ) -> FeatureOperation:
        """Install-WindowsFeature. Restart-needing features stay InstallPending until a reboot."""
        del include_sub_features  # the catalogue has no sub-features
        wanted: list[FeatureInfo] = []
        for name in names:
            info = feature_info(name)
            if not self._offered(info):
                # Server Core does not list GUI-only features at all.
                raise UnhandledError(
                    f"ArgumentNotValid: The role, role service, or feature name is not valid: "
                    f"'{name}'. The name was not found."
                )
            wanted.append(info)
            if include_management_tools:
                wanted.extend(feature_info(tool) for tool in info.management_tools)
        todo = []
        for info in wanted:
            if not self._offered(info) or info in todo:
                continue
            if self.state.features.get(info.name) in (INSTALLED, INSTALL_PENDING):
                continue
            if info.needs_virtualization:
                self._hyperv_prerequisite()
            todo.append(info)
        return self._apply(todo, INSTALL_PENDING, INSTALLED, check_mode)

    def uninstall_features(
        self, names: list[str], *, include_management_tools: bool = False, check_mode: bool = False
    ) -> FeatureOperation:
        """Uninstall-WindowsFeature; restart-needing features wait as UninstallPending."""
        wanted: list[FeatureInfo] = []
        for name in names:
            info = feature_info(name)
            wanted.append(info)
            if include_management_tools:
                wanted.extend(feature_info(tool) for tool in info.management_tools)
        todo = []
        for info in wanted:
            if info not in todo and self.state.features.get(info.name) in (
                INSTALLED,
                INSTALL_PENDING,
            ):
                todo.append(info)
        return self._apply(todo, UNINSTALL_PENDING, AVAILABLE, check_mode)

    def _apply(
        self, todo: list[FeatureInfo], pending: str, done: str, check_mode: bool
    ) -> FeatureOperation:
        if not todo:
            return FeatureOperation(True, "No", "NoChangeNeeded", [])
        changes = []
        for info in todo:
            current = self.state.features.get(info.name, AVAILABLE)
            # Undoing a change that waits for the restart needs no restart.
            undo = (pending == UNINSTALL_PENDING and current == INSTALL_PENDING) or (
                pending == INSTALL_PENDING and current == UNINSTALL_PENDING
            )
            restart = info.restart_needed and not undo
            changes.append(FeatureChange(info, restart))
            if not check_mode:
                self.state.features[info.name] = pending if restart else done
        restart_needed = any(c.restart_needed for c in changes)
        exit_code = "SuccessRestartRequired" if restart_needed else "Success"
        return FeatureOperation(True, "Yes" if restart_needed else "No", exit_code, changes)

    # ------------------------------------------------------------ reboots --
    @property
    def reboot_pending(self) -> bool:
        return self.state.reboot_pending

    @property
    def boot_filetime(self) -> int:
        """``LastBootUpTime.ToFileTime()`` as win_reboot reads it."""
        return filetime(self.state.power.last_boot_time)

    def is_up(self) -> bool:
        """Advance the reboot timeline to now and say whether the host answers."""
        self.advance()
        return self.state.power.down_since is None

    def schedule_shutdown(self, delay: float, message: str = "") -> tuple[int, str]:
        """``shutdown.exe /r /t <delay> /c <message>``: ``(rc, stderr)``."""
        power = self.state.power
        if power.shutdown_at is not None:
            # shutdown.exe when a shutdown is already scheduled (ERROR_SHUTDOWN_IS_SCHEDULED),
            # handled by ansible.windows plugin_utils/_reboot.py (rc 1190).
            return (
                1190,
                f"{self.state.computer_name}: A system shutdown has already been scheduled.(1190)",
            )
        power.shutdown_at = self.host.now() + max(0.0, float(delay))
        power.shutdown_message = message
        return 0, ""

    def abort_shutdown(self) -> tuple[int, str]:
        """``shutdown.exe /a``: ``(rc, stderr)``."""
        power = self.state.power
        if power.shutdown_at is None:
            # ERROR_NO_SHUTDOWN_IN_PROGRESS
            return (
                1116,
                "Unable to abort the system shutdown because no shutdown was in progress.(1116)",
            )
        power.shutdown_at = None
        power.shutdown_message = ""
        return 0, ""

    def remove_autologon_key(self) -> None:
        """win_reboot deletes ``...\\Winlogon\\AutoLogonChecked``; LogonUI recreates it at boot."""
        self.state.power.autologon_key_present = False

    def advance(self) -> None:
        """Carry out what the clock says has happened: a scheduled shutdown, the end of a boot."""
        power = self.state.power
        now = self.host.now()
        if power.shutdown_at is not None and now >= power.shutdown_at:
            self._go_down(power.shutdown_at)
        if power.down_since is not None and power.up_at is not None and now >= power.up_at:
            self._boot(power.up_at)

    def _reboot_seconds(self) -> float | None:
        if self.host.faults.get("reboot_never_returns"):
            return None
        return float(self.host.faults.get("reboot_seconds", DEFAULT_REBOOT_SECONDS))

    def _go_down(self, when: float) -> None:
        power = self.state.power
        power.shutdown_at = None
        power.shutdown_message = ""
        power.down_since = when
        seconds = self._reboot_seconds()
        power.up_at = None if seconds is None else when + seconds
        for container in self.state.containers:
            if container.running:
                _stop_container(container, SHUTDOWN_EXIT_CODE, when)
        self.state.update_tasks.clear()

    def _boot(self, when: float) -> None:
        power = self.state.power
        power.down_since = None
        power.up_at = None
        power.last_boot_time = when
        power.boot_count += 1
        power.autologon_key_present = True
        for name, state in list(self.state.features.items()):
            if state == INSTALL_PENDING:
                self.state.features[name] = INSTALLED
            elif state == UNINSTALL_PENDING:
                self.state.features[name] = AVAILABLE
        for update in self.state.updates:
            if update.status == "pending_reboot":
                if update.rolls_back:
                    # Rolled back during the boot: offered again, which win_updates reports
                    # as an update loop (ansible.windows action/win_updates.py _run_sync).
                    update.status = "available"
                else:
                    self._apply_update(update)
        self.host.engine.on_boot()

    def power_on_if_stuck(self) -> None:
        """Finish a never-ending reboot once the fault is gone (used when a fleet is reloaded)."""
        power = self.state.power
        if (
            power.down_since is not None
            and power.up_at is None
            and self._reboot_seconds() is not None
        ):
            power.up_at = self.host.now()
            self.advance()

    # ------------------------------------------------------------ updates --
    def wua_reboot_required(self) -> bool:
        """``Microsoft.Update.SystemInfo.RebootRequired``: an update waits for a restart."""
        return any(u.status == "pending_reboot" for u in self.state.updates)

    def search_updates(self) -> list[Any]:
        """WUA search ``IsInstalled = 0``: updates whose prerequisites are installed.

        An update whose prerequisite (``requires``, e.g. the servicing stack
        update a 2016 cumulative update needs) is not installed is not
        applicable, so the search does not offer it until a later round.
        """
        installed = {u.kb.upper() for u in self.state.updates if u.status == "installed"}
        return [
            u
            for u in self.state.updates
            if u.status == "available" and all(r.upper() in installed for r in u.requires)
        ]

    def install_update(self, update_id: str) -> bool:
        """Install one update; returns whether it needs a restart to complete.

        Raises UpdateInstallFailed with the update's HRESULT when it fails.
        """
        update = next(u for u in self.state.updates if u.id == update_id)
        if update.fails_hresult is not None:
            raise UpdateInstallFailed(update.fails_hresult)
        if update.reboot_required:
            update.status = "pending_reboot"
            return True
        self._apply_update(update)
        return False

    def _apply_update(self, update: Any) -> None:
        update.status = "installed"
        if update.revision is not None and update.revision > self.state.os.revision:
            self.state.os.revision = update.revision


class UpdateInstallFailed(Exception):
    """IUpdateInstaller reported OperationResultCode Failed (4) for one update."""

    def __init__(self, hresult: int) -> None:
        super().__init__(f"update failed with HRESULT {hresult}")
        self.hresult = hresult


def update_id_for(kb: str) -> str:
    """A stable WUA UpdateID for a KB, so state files and fleet files agree."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"wcsim:update:{kb.upper()}"))


def _stop_container(container: ContainerState, exit_code: int, when: float) -> None:
    container.state = "exited"
    container.exit_code = exit_code
    container.finished_at = when
