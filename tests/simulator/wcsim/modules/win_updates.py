"""ansible.windows.win_updates, as its action plugin drives it.

The action plugin (``plugins/action/win_updates.py`` of ansible.windows 3.8)
calls the module with ``_operation: start`` (answer: ``poll_options`` and
``cancel_options``), then ``poll`` until an ``exit`` progress entry arrives
(answer: ``output``, a list of ``{task, result}``), then ``cancel``. It reboots
when the exit entry says ``reboot_required`` (and ``reboot: true``) and runs
another round until nothing is left to install. On a real host the work runs
in a background process that streams progress over a named pipe; the
simulator does the work at ``start`` and hands the recorded progress to
``poll``. The progress entries carry the fields the action plugin reads
(``search_result``, ``download``/``install`` progress, ``*_result``,
``exit``), shaped as ``plugins/modules/win_updates.ps1`` writes them.
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from ..interface import ConnectionDropped
from ..windows import UpdateInstallFailed
from . import Model, ModuleFailure, register

# win_updates.ps1: legacy camel-case names -> WUA category names.
_CATEGORY_NAMES = {
    "CriticalUpdates": "Critical Updates",
    "DefinitionUpdates": "Definition Updates",
    "DeveloperKits": "Developer Kits",
    "FeaturePacks": "Feature Packs",
    "SecurityUpdates": "Security Updates",
    "ServicePacks": "Service Packs",
    "UpdateRollups": "Update Rollups",
}
_SUCCEEDED = 2  # OperationResultCode.Succeeded
_FAILED = 4  # OperationResultCode.Failed
# Install-WindowsUpdate throws this after the install_result entry when an update failed.
_INSTALL_FAILED = "Failed to install all updates - see updates for more information"


def _update_info(update: Any) -> dict[str, Any]:
    """Format-UpdateInfo of win_updates.ps1."""
    return {
        "id": update.id,
        "title": update.title,
        "description": update.title,
        "kb": [update.kb if update.kb.upper().startswith("KB") else f"KB{update.kb}"],
        "type": "Software",
        "deployment_action": "Installation",
        "auto_select_on_websites": not update.browse_only,
        "browse_only": update.browse_only,
        "revision_number": 1,
        "categories": list(update.categories),
        "is_installed": update.status != "available",
        "is_hidden": update.is_hidden,
        "is_present": update.status != "available",
        "reboot_required": update.status == "pending_reboot",
        "impact": "Normal",
        "reboot_behaviour": "CanRequestReboot" if update.reboot_required else "NeverReboots",
        "is_beta": False,
        "is_downloaded": False,
        "is_mandatory": False,
        "is_uninstallable": True,
        "auto_selection": "LetWindowsUpdateDecide",
        "auto_download": "LetWindowsUpdateDecide",
    }


def _matches(target: str, patterns: list[str]) -> bool:
    """Test-InList: any pattern matches (PowerShell -imatch, a regex)."""
    import re

    return not patterns or any(re.search(p, target, re.IGNORECASE) for p in patterns)


class _Progress:
    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def write(self, task: str, result: dict[str, Any]) -> None:
        self.entries.append({"task": task, "result": result})


def _run_update_task(
    host: Any, params: dict[str, Any], check_mode: bool, for_testing: bool
) -> list[dict[str, Any]]:
    """Install-WindowsUpdate of win_updates.ps1: the progress entries a poll reads."""
    progress = _Progress()
    windows = host.windows
    reboot_required = windows.wua_reboot_required()
    exit_result: dict[str, Any] = {
        "changed": False,
        "failed": False,
        "reboot_required": reboot_required,
        "action": None,
        "exception": None,
    }
    if for_testing:
        progress.write("exit", exit_result)
        return progress.entries

    categories = [_CATEGORY_NAMES.get(c, c) for c in params["category_names"] or []]
    accept = params["accept_list"] or []
    reject = params["reject_list"] or []
    all_updates, filtered, selected = [], [], []
    for update in windows.search_updates():
        info = _update_info(update)
        all_updates.append(info)
        cat_match = not categories or any(
            c == "*" or c.lower() in (x.lower() for x in info["categories"]) for c in categories
        )
        target = info["title"] + " ".join(info["kb"])  # "$title + $kb" in the .ps1
        reasons = []
        if not _matches(target, accept):
            reasons.append("accept_list")
        if reject and _matches(target, reject):
            reasons.append("reject_list")
        if info["is_hidden"]:
            reasons.append("hidden")
        if not cat_match:
            reasons.append("category_names")
        if params["skip_optional"] and info["browse_only"]:
            reasons.append("skip_optional")
        if reasons:
            filtered.append({"id": info["id"], "reasons": reasons})
        else:
            selected.append(update)
    progress.write("search_result", {"updates": all_updates, "filtered": filtered})

    state = params["state"].lower()  # PowerShell -eq/-ne ignore case
    if check_mode or state == "searched" or not selected:
        exit_result["changed"] = bool(selected) and state != "searched"
        progress.write("exit", exit_result)
        return progress.entries
    if reboot_required:
        exit_result["failed"] = True
        exit_result["exception"] = {
            "message": "A reboot is required before more updates can be installed",
            "exception": "A reboot is required before more updates can be installed",
        }
        progress.write("exit", exit_result)
        return progress.entries

    total = len(selected)
    for index, update in enumerate(selected, start=1):
        size = 1024 * 1024 * index
        progress.write(
            "download",
            {
                "progress": {
                    "CurrentUpdateId": update.id,
                    "PercentComplete": int(100 * index / total),
                    "CurrentUpdateDownloadPhase": 2,
                    "TotalBytesDownloaded": size,
                    "TotalBytesToDownload": 1024 * 1024 * total,
                    "CurrentUpdateBytesDownloaded": 1024 * 1024,
                    "CurrentUpdateBytesToDownload": 1024 * 1024,
                    "CurrentUpdatePercentComplete": 100,
                },
                "result": {},
            },
        )
    progress.write(
        "download_result",
        {"info": [{"id": u.id, "result_code": _SUCCEEDED, "hresult": 0} for u in selected]},
    )
    exit_result["changed"] = True
    if state == "downloaded":
        progress.write("exit", exit_result)
        return progress.entries

    install_info = []
    failed = False
    for index, update in enumerate(selected, start=1):
        progress.write(
            "install",
            {
                "progress": {
                    "CurrentUpdateId": update.id,
                    "PercentComplete": int(100 * index / total),
                    "CurrentUpdatePercentComplete": 100,
                },
                "result": {},
            },
        )
        try:
            needs_reboot, code, hresult = windows.install_update(update.id), _SUCCEEDED, 0
        except UpdateInstallFailed as err:
            needs_reboot, code, hresult, failed = False, _FAILED, err.hresult, True
        install_info.append(
            {
                "id": update.id,
                "result_code": code,
                "hresult": hresult,
                "reboot_required": needs_reboot,
            }
        )
    progress.write("install_result", {"info": install_info})
    exit_result["reboot_required"] = windows.wua_reboot_required()
    if failed:
        exit_result["failed"] = True
        exit_result["exception"] = {"message": _INSTALL_FAILED, "exception": _INSTALL_FAILED}
    progress.write("exit", exit_result)
    return progress.entries


def _legacy_summary(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``_operation_options.wait`` (async) result of win_updates.ps1."""
    summary: dict[str, Any] = {
        "changed": False,
        "reboot_required": False,
        "rebooted": False,
        "found_update_count": 0,
        "failed_update_count": 0,
        "installed_update_count": 0,
        "updates": {},
        "filtered_updates": {},
    }
    updates: dict[str, dict[str, Any]] = {}
    for entry in entries:
        task, result = entry["task"], entry["result"]
        if task == "search_result":
            reasons = {f["id"]: f["reasons"] for f in result["filtered"]}
            for info in result["updates"]:
                item = {
                    "categories": info["categories"],
                    "id": info["id"],
                    "installed": False,
                    "downloaded": False,
                    "kb": [k.removeprefix("KB") for k in info["kb"]],
                    "title": info["title"],
                }
                if info["id"] in reasons:
                    item["filtered_reasons"] = reasons[info["id"]]
                updates[info["id"]] = item
        elif task in ("download_result", "install_result"):
            key = "downloaded" if task == "download_result" else "installed"
            for info in result["info"]:
                if info["result_code"] == _SUCCEEDED:
                    updates[info["id"]][key] = True
                else:
                    updates[info["id"]]["failure_hresult_code"] = info["hresult"]
        elif task == "exit":
            summary["changed"] = result["changed"]
            summary["reboot_required"] = result["reboot_required"]
            summary["failed"] = result["failed"]
            if result.get("exception"):
                summary["msg"] = result["exception"]["message"]
                summary["exception"] = result["exception"]["exception"]
    for info in updates.values():
        if "filtered_reasons" in info:
            summary["filtered_updates"][info["id"]] = info
            continue
        summary["found_update_count"] += 1
        if "failure_hresult_code" in info:
            summary["failed_update_count"] += 1
        elif info["installed"]:
            summary["installed_update_count"] += 1
        summary["updates"][info["id"]] = info
    return summary


def _drop_poll_if_faulted(host: Any, task_id: str) -> None:
    """Fault ``updates_poll_drops: N``: the first N polls of an installing task drop the connection.

    A driver or network update can drop WinRM mid-install (ansible.windows
    issues 190, 264, 668); the update task runs on in its own process, and the
    action plugin retries a poll once on a connection failure
    (``_execute_win_updates`` with ``retry_on_failure``).
    """
    drops = int(host.faults.get("updates_poll_drops", 0) or 0)
    seen = host.state.update_poll_drops.get(task_id, 0)
    if seen < drops:
        host.state.update_poll_drops[task_id] = seen + 1
        raise ConnectionDropped(f"{host.state.name}: connection dropped while polling updates")


@register
class WinUpdates(Model):
    name = "ansible.windows.win_updates"
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "accept_list": {"type": "list", "elements": "str"},
        "category_names": {
            "type": "list",
            "elements": "str",
            "default": ["CriticalUpdates", "SecurityUpdates", "UpdateRollups"],
        },
        "log_path": {"type": "path"},
        "reject_list": {"type": "list", "elements": "str"},
        "server_selection": {
            "type": "str",
            "choices": ["default", "managed_server", "windows_update"],
            "default": "default",
        },
        "state": {
            "type": "str",
            "choices": ["installed", "searched", "downloaded"],
            "default": "installed",
        },
        "skip_optional": {"type": "bool", "default": False},
        "reboot": {"type": "bool", "default": False},
        "reboot_timeout": {"type": "int", "default": 1200},
        "maximum_retries_on_failed_updates": {"type": "int", "default": 1},
        "_operation": {
            "type": "str",
            "choices": ["start", "cancel", "poll", "test"],
            "default": "start",
        },
        "_operation_options": {"type": "dict"},
    }
    returns = frozenset(
        {
            "output",
            "cancel_options",
            "poll_options",
            "reboot_required",
            "rebooted",
            "found_update_count",
            "failed_update_count",
            "installed_update_count",
            "updates",
            "filtered_updates",
        }
    )
    supports_check_mode = True

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        operation = params["_operation"].lower()
        options = params["_operation_options"] or {}
        tasks = host.state.update_tasks
        if operation == "cancel":
            task_id = str(options.get("cancel_id", "")).rsplit("WinUpdates-", 1)[-1]
            tasks.pop(task_id, None)
            return {"changed": False}
        if operation == "poll":
            task_id = str(options.get("pipe_name", "")).rsplit("WinUpdates-", 1)[-1]
            if task_id not in tasks:
                # Receive-ProgressOutput when no update task serves the pipe.
                raise ModuleFailure("Timed out waiting for server pipe to be available")
            if any(entry["task"] == "install" for entry in tasks[task_id]):
                _drop_poll_if_faulted(host, task_id)
            return {"changed": False, "output": tasks[task_id]}
        entries = _run_update_task(host, params, check_mode, for_testing=operation == "test")
        if options.get("wait"):
            return _legacy_summary(entries)
        task_id = str(uuid.uuid4())
        tasks[task_id] = entries
        return {
            "changed": False,
            "cancel_options": {
                "cancel_id": f"Global\\Ansible.Windows.WinUpdates-{task_id}",
                "task_pid": 4242,
            },
            "poll_options": {"pipe_name": f"Ansible.Windows.WinUpdates-{task_id}"},
        }
