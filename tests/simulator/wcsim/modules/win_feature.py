"""ansible.windows.win_feature (plugins/modules/win_feature.ps1 of ansible.windows 3.8).

The module calls Install-/Uninstall-WindowsFeature (``-WhatIf`` in check
mode) and maps the result: ``exitcode`` is the stringified ExitCode,
``reboot_required`` is ``RestartNeeded -eq 'Yes'``, ``failed`` is
``-not Success``, ``changed`` is true when FeatureResult has entries.
"""

from __future__ import annotations

from typing import Any, ClassVar

from . import Model, ModuleFailure, register


@register
class WinFeature(Model):
    name = "ansible.windows.win_feature"
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "include_sub_features": {"type": "bool", "default": False},
        "include_management_tools": {"type": "bool", "default": False},
        "name": {"type": "list", "elements": "str", "required": True},
        "source": {"type": "str"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }
    returns = frozenset({"exitcode", "feature_result", "reboot_required", "success"})
    supports_check_mode = True

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        if params["source"]:
            # The simulator models no file system: every source path is missing.
            raise ModuleFailure(
                f"Failed to find source path {params['source']} for feature install",
                exitcode="NoChangeNeeded",
                feature_result=[],
                reboot_required=False,
                success=True,
            )
        if params["state"].lower() == "present":  # PowerShell -eq ignores case
            operation = host.windows.install_features(
                params["name"],
                include_sub_features=params["include_sub_features"],
                include_management_tools=params["include_management_tools"],
                check_mode=check_mode,
            )
        else:
            operation = host.windows.uninstall_features(
                params["name"],
                include_management_tools=params["include_management_tools"],
                check_mode=check_mode,
            )
        feature_result = [
            {
                "id": change.feature.id,
                "display_name": change.feature.display_name,
                "message": [],
                "reboot_required": change.restart_needed,
                "skip_reason": "NotSkipped",
                "success": True,
            }
            for change in operation.feature_result
        ]
        return {
            "changed": bool(feature_result),
            "exitcode": operation.exit_code,
            "feature_result": feature_result,
            "reboot_required": operation.restart_needed == "Yes",
            "success": operation.success,
            "failed": not operation.success,
        }
