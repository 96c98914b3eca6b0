# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validation of a container engine pin (runtime, version, URL, checksum) for one host.

Every rule here runs on the controller before anything on the host changes.
Sources for the rules:

- Docker Engine 23.0 and later refuse to start below Windows build 17763:
  moby ``daemon/daemon_windows.go`` ``checkSystem()`` returns
  "this version of Windows does not support the docker daemon (Windows build
  17763 or higher is required)" (``osversion.RS5`` is 17763).
- Below 14393 no Docker engine runs Windows containers at all.
- Docker publishes Windows static binaries as
  ``https://download.docker.com/win/static/stable/x86_64/docker-<version>.zip``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlparse

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.refusal import Refusal

# The runtimes the role and the container_engine module know. containerd
# (with nerdctl) is the next entry: the module and the action are keyed by it.
RUNTIMES = ("docker",)

DOCKER_URL_PATTERN = "https://download.docker.com/win/static/stable/x86_64/docker-{version}.zip"

WINDOWS_MIN_BUILD = 14393  # Windows Server 2016
DOCKER_23_MIN_BUILD = 17763  # Windows Server 2019 / 1809 (moby osversion.RS5)
DOCKER_OLDEST_SUPPORTED = (20, 10)
DOCKER_ENGINE_REFUSAL = (
    "this version of Windows does not support the docker daemon "
    "(Windows build 17763 or higher is required)"
)

_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_ZIP_NAME = re.compile(r"docker-(\d+\.\d+\.\d+)\.zip$")


class EngineReleaseError(Refusal):
    """An engine pin that must not reach the host."""


@dataclass(frozen=True)
class EngineRelease:
    runtime: str
    version: str
    url: str
    checksum: str
    warnings: tuple[str, ...] = field(default=())

    @property
    def version_tuple(self) -> tuple[int, int, int]:
        return parse_version(self.version)

    def as_dict(self) -> dict:
        return {
            "runtime": self.runtime,
            "version": self.version,
            "url": self.url,
            "checksum": self.checksum,
        }


def parse_version(text: str) -> tuple[int, int, int]:
    """``"27.3.1"`` -> ``(27, 3, 1)``; ValueError for anything else."""
    match = _VERSION.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not a version like 27.3.1")
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def default_url(version: str) -> str:
    return DOCKER_URL_PATTERN.format(version=version)


def _fail(host: str | None, rule: str, fieldname: str, text: str) -> EngineReleaseError:
    return EngineReleaseError.of(host, rule, fieldname, "engine pin", text)


def validate_pin(
    *,
    host: str | None,
    runtime: str,
    version: str,
    url: str,
    checksum: str,
    os_build: int,
) -> EngineRelease:
    """Return the validated pin or raise EngineReleaseError naming host, rule and field."""
    if runtime not in RUNTIMES:
        raise _fail(
            host,
            "runtime_supported",
            "runtime",
            f"runtime {runtime!r} is not one of {', '.join(RUNTIMES)}",
        )
    try:
        numbers = parse_version(version)
    except ValueError as exc:
        raise _fail(host, "version_format", "version", str(exc)) from None
    version = str(version).strip()

    if not checksum:
        raise _fail(
            host,
            "checksum_required",
            "checksum",
            f"no SHA-256 checksum for docker-{version}.zip. Download the zip once from a "
            "trusted network, compute its SHA-256 (sha256sum or Get-FileHash) and set "
            "container_host_engine_checksum (or container_host_engine_checksums"
            f"['{version}']); the host verifies every download against it",
        )
    if not _SHA256.match(str(checksum)):
        raise _fail(
            host,
            "checksum_format",
            "checksum",
            f"{checksum!r} is not a SHA-256 checksum (64 hexadecimal characters)",
        )

    parsed = urlparse(str(url))
    if "@" in parsed.netloc:
        hidden = parsed._replace(netloc="********@" + parsed.netloc.rpartition("@")[2]).geturl()
        raise _fail(
            host,
            "url_credentials",
            "url",
            f"{hidden!r} carries credentials; they would travel in module arguments and show in"
            " results and download errors. Use a URL the host can reach without them",
        )
    if parsed.scheme != "https" or not parsed.netloc:
        raise _fail(
            host,
            "url_https",
            "url",
            f"{url!r} is not an https:// URL; the engine binaries must come over TLS",
        )
    named = _ZIP_NAME.search(parsed.path)
    if named and parse_version(named.group(1)) != numbers:
        raise _fail(
            host,
            "url_version_mismatch",
            "url",
            f"{url!r} holds docker {named.group(1)}, but the pinned version is {version}",
        )

    try:
        build = int(os_build)
    except (TypeError, ValueError):
        raise _fail(host, "os_build_known", "os_build", f"unknown OS build {os_build!r}") from None
    if build < WINDOWS_MIN_BUILD:
        raise _fail(
            host,
            "windows_min_build",
            "os_build",
            f"build {build} is older than Windows Server 2016 (build {WINDOWS_MIN_BUILD}); "
            "no Docker engine runs Windows containers there",
        )
    if numbers[:2] < DOCKER_OLDEST_SUPPORTED:
        raise _fail(
            host,
            "engine_min_version",
            "version",
            f"docker {version} is older than 20.10, the oldest engine line this collection "
            "supports (no security fixes)",
        )
    if numbers[0] >= 23 and build < DOCKER_23_MIN_BUILD:
        raise _fail(
            host,
            "engine_min_build",
            "version",
            f"docker {version} cannot run on build {build} (Windows Server 2016): Docker "
            f"Engine 23.0 and later refuse to start below build {DOCKER_23_MIN_BUILD} "
            f'("{DOCKER_ENGINE_REFUSAL}"). Pin a 20.10 engine for this host '
            "(container_host_engine_version: 20.10.24, with its checksum)",
        )

    warnings: list[str] = []
    if numbers[0] == 20 and build >= DOCKER_23_MIN_BUILD:
        warnings.append(
            f"{host or 'this host'}: docker {version} is end of life; build {build} "
            "runs current engines, pin one"
        )
    return EngineRelease(
        runtime=runtime,
        version=version,
        url=str(url),
        checksum=str(checksum).lower(),
        warnings=tuple(warnings),
    )


def pin_from_settings(settings: Mapping, *, host: str | None, os_build: int) -> EngineRelease:
    """Validate the role's engine variables (already reduced to one mapping).

    ``settings``: ``runtime``, ``version``, ``url`` (empty -> Docker's URL
    pattern), ``checksum`` (empty -> ``checksums[version]``), ``checksums``.
    """
    version = str(settings.get("version") or "")
    checksum = settings.get("checksum") or ""
    if not checksum:
        checksum = (settings.get("checksums") or {}).get(version, "")
    return validate_pin(
        host=host,
        runtime=str(settings.get("runtime") or "docker"),
        version=version,
        url=str(settings.get("url") or default_url(version)),
        checksum=str(checksum),
        os_build=os_build,
    )


def validate_proxy(
    *, host: str | None, url: str | None, username_given: bool, password_given: bool
) -> None:
    """The engine download's proxy settings; nothing is quoted (a URL may hold a password)."""

    def refuse(rule: str, fieldname: str, text: str) -> EngineReleaseError:
        return EngineReleaseError.of(host, rule, fieldname, "the engine download proxy", text)

    if username_given != password_given:
        raise refuse(
            "proxy_credentials_together",
            "proxy_username" if password_given else "proxy_password",
            "container_host_engine_proxy_username and container_host_engine_proxy_password"
            " are given together or not at all",
        )
    if not url:
        return
    try:
        parts = urlparse(str(url))
        hostname = parts.hostname
    except ValueError:
        parts, hostname = None, None
    if parts is not None and "@" in parts.netloc:
        raise refuse(
            "proxy_credentials_in_url",
            "proxy_url",
            "a user name or password in the proxy URL would be shown in logs and job events;"
            " give them as container_host_engine_proxy_username and"
            " container_host_engine_proxy_password",
        )
    if parts is None or parts.scheme not in ("http", "https") or not hostname:
        raise refuse(
            "proxy_url", "proxy_url", "an http:// or https:// URL with a host name is needed"
        )


def support_table() -> list[dict]:
    """The engine/OS support table the docs show, from the same constants."""
    rows = []
    for name, build in (
        ("Windows Server 2016", 14393),
        ("Windows Server 2019", 17763),
        ("Windows Server 2022", 20348),
        ("Windows Server 2025", 26100),
    ):
        lines = ["20.10"] if build < DOCKER_23_MIN_BUILD else ["20.10 (end of life)", "23.0+"]
        rows.append({"os": name, "build": build, "docker": lines})
    return rows
