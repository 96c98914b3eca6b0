"""trustbound.wincontainers.container_engine (plugins/modules/container_engine.ps1).

Carries out the steps the action plugin planned (``_steps``), as the .ps1
does: ``install`` downloads the zip from the fleet's ``downloads:`` section
(``host.downloads``; an unknown URL fails as Invoke-WebRequest does),
verifies its SHA-256 with win_get_url's failure text, stops a running
engine and unpacks the binaries; ``register_service`` is
``dockerd --register-service``; ``write_config`` writes the given JSON;
``start``/``restart`` go through the engine's start-up checks in
``wcsim/engine.py`` (no Containers feature: "failed to load vmcompute.dll,
..."; 23.0+ on build 14393: "... (Windows build 17763 or higher is
required)"), reported as the .ps1 reports a failed ``Start-Service``: with
dockerd's event-log message.

The simulator has no file system, so the download cache is not modelled:
every ``install`` step downloads (``download.reused`` is always false).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from ..engine import EngineError
from ..host import DownloadError
from . import Model, ModuleFailure, register

STEPS = ["install", "register_service", "write_config", "start", "restart"]
DEFAULT_CACHE_DIR = "C:\\ProgramData\\wincontainers\\downloads"


def _start_failure(error: EngineError) -> ModuleFailure:
    message = error.message
    if not message.startswith("unable to configure"):
        # moby daemon/command/daemon.go wraps NewDaemon's error (checkSystem included).
        message = f"failed to start daemon: {message}"
    return ModuleFailure(f"The docker service failed to start: {message}")


@register
class ContainerEngine(Model):
    name = "trustbound.wincontainers.container_engine"
    options: ClassVar[dict[str, dict[str, Any]]] = {
        "runtime": {"type": "str", "choices": ["docker"], "default": "docker"},
        "version": {"type": "str", "required": True},
        "url": {"type": "str"},
        "checksum": {"type": "str", "required": True},
        "cache_dir": {"type": "path", "default": DEFAULT_CACHE_DIR},
        "daemon_config": {"type": "dict"},
        "require_hyperv_isolation": {"type": "bool", "default": False},
        "_steps": {"type": "list", "elements": "str", "choices": STEPS, "default": []},
        "_daemon_config_text": {"type": "str"},
    }
    returns = frozenset({"steps", "engine", "download"})
    supports_check_mode = True

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        version, url = params["version"], params["url"]
        checksum = params["checksum"].lower()
        steps = list(params["_steps"] or [])
        if not url:
            raise ModuleFailure(
                "url is required (the container_engine action plugin supplies the default)"
            )
        if "write_config" in steps and params["_daemon_config_text"] is None:
            raise ModuleFailure("_daemon_config_text is required when _steps contains write_config")
        cache_dir = params["cache_dir"].rstrip("\\")
        result: dict[str, Any] = {
            "changed": bool(steps),
            "steps": steps,
            "download": {
                "path": f"{cache_dir}\\docker-{version}.zip",
                "url": url,
                "checksum": checksum,
                "reused": False,
            },
        }
        if not check_mode:
            self._carry_out(
                host,
                steps=steps,
                version=version,
                url=url,
                checksum=checksum,
                config_text=params["_daemon_config_text"],
            )
        record = host.engine.record
        result["engine"] = {
            "version": record.version if record else None,
            "service_state": record.service_state if record else "absent",
        }
        return result

    def _carry_out(
        self,
        host: Any,
        *,
        steps: list[str],
        version: str,
        url: str,
        checksum: str,
        config_text: str | None,
    ) -> None:
        engine = host.engine
        if "install" in steps:
            try:
                download = host.downloads.fetch(url)
            except DownloadError as err:
                raise ModuleFailure(f"Failed to download {url} : {err}") from None
            if download.sha256 != checksum:
                raise ModuleFailure(
                    f"The checksum for {url} did not match '{checksum}', it was '{download.sha256}'"
                )
            if engine.running:
                engine.stop_service()
            engine.install(version=download.version or version, source_url=url)
        if "register_service" in steps:
            engine.register_service()
        if "write_config" in steps:
            engine.write_daemon_config(json.loads(config_text or "{}"))
        try:
            if "restart" in steps:
                engine.restart_service()
            elif "start" in steps:
                engine.start_service()
        except EngineError as err:
            raise _start_failure(err) from None
