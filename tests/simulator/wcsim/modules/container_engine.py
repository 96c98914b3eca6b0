"""trustbound.wincontainers.container_engine (plugins/modules/container_engine.ps1).

Carries out the steps the action plugin planned (``_steps``), as the .ps1
does: ``install`` gets the zip (``Get-EngineZip``), stops a running engine
and unpacks the binaries; ``register_service`` is
``dockerd --register-service``; ``write_config`` writes the given JSON;
``start``/``restart`` go through the engine's start-up checks in
``wcsim/engine.py`` (no Containers feature: "failed to load vmcompute.dll,
..."; 23.0+ on build 14393: "... (Windows build 17763 or higher is
required)"), reported as the .ps1 reports a failed ``Start-Service``: with
dockerd's event-log message.

The zip, like ``Get-EngineZip``: ``<cache_dir>\\docker-<version>.zip`` in the
host's files (``host.files``) is reused when its SHA-256 is the checksum
(``download.reused: true``, nothing fetched). Otherwise the URL is fetched
from the fleet's ``downloads:`` (``host.downloads``; an unknown URL fails as
Invoke-WebRequest does) into ``<zip>.partial`` and counted
(``HostState.download_count``); a SHA-256 other than the checksum removes the
partial file and fails with win_get_url's text, leaving the cache and the
engine as they were; a match moves it over the cached zip. The unpacked
engine's version is that of the fleet download with the zip's SHA-256. The
staging directory the .ps1 unpacks into and removes is not modelled.

Failures after the module set its result keep ``steps``, ``download`` and
``changed`` in the answer, as Ansible.Basic's ``FailJson`` does.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from ..engine import EngineError
from ..host import DownloadError
from ..state import FileState
from . import Model, ModuleFailure, register

STEPS = ["install", "register_service", "write_config", "start", "restart"]
DEFAULT_CACHE_DIR = "C:\\ProgramData\\wincontainers\\downloads"


def _start_failure(error: EngineError) -> ModuleFailure:
    message = error.message
    if not message.startswith("unable to configure"):
        # moby daemon/command/daemon.go wraps NewDaemon's error (checkSystem included).
        message = f"failed to start daemon: {message}"
    return ModuleFailure(f"The docker service failed to start: {message}")


def _engine_zip(host: Any, download: dict[str, Any]) -> FileState:
    """``Get-EngineZip``: the cached zip when its hash matches, else download, verify, move."""
    path, url, checksum = download["path"], download["url"], download["checksum"]
    cached = host.files.get(path)
    if cached is not None and cached.sha256 == checksum:
        download["reused"] = True
        return cached
    partial = f"{path}.partial"
    try:
        fetched = host.downloads.fetch(url)
    except DownloadError as err:
        host.files.remove(partial)
        raise ModuleFailure(f"Failed to download {url} : {err}") from None
    host.count_download(url)
    host.files.write(partial, FileState(sha256=fetched.sha256, size=fetched.size, source_url=url))
    if fetched.sha256 != checksum:
        host.files.remove(partial)
        raise ModuleFailure(
            f"The checksum for {url} did not match '{checksum}', it was '{fetched.sha256}'"
        )
    host.files.move(partial, path)
    return host.files.get(path)


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
        "host_info": {"type": "dict"},
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
        download = {
            "path": f"{cache_dir}\\docker-{version}.zip",
            "url": url,
            "checksum": checksum,
            "reused": False,
        }
        result: dict[str, Any] = {"changed": bool(steps), "steps": steps, "download": download}
        if not check_mode:
            try:
                self._carry_out(
                    host,
                    steps=steps,
                    version=version,
                    download=download,
                    config_text=params["_daemon_config_text"],
                )
            except ModuleFailure as failure:
                # FailJson adds failed/msg to the result the module built so far.
                raise ModuleFailure(failure.msg, **{**result, **failure.extra}) from None
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
        download: dict[str, Any],
        config_text: str | None,
    ) -> None:
        engine = host.engine
        if "install" in steps:
            zip_file = _engine_zip(host, download)
            # Expand-Archive unpacks what the zip holds: the fleet download with its hash.
            unpacked = host.downloads.with_sha256(zip_file.sha256)
            if engine.running:
                engine.stop_service()
            engine.install(
                version=(unpacked.version if unpacked else "") or version,
                source_url=download["url"],
            )
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
