"""Which docker CLI binary plays a simulated host's ``docker.exe``, and running it.

- ``WCSIM_DOCKER_CLI`` (a path) names the binary for every host; a path that is not an
  executable file is an error (``DockerCliMissing``), never a fall-back to another CLI.
- Otherwise a host whose engine is 20.10 gets the 20.10 CLI that ``scripts/ensure-docker-cli``
  extracts from Debian's docker.io package into ``<venv>/docker-cli/20.10/docker``, when
  it is there;
- else ``docker`` on ``PATH`` (docker CLI 28.2.2 on the project's machine image).

``run`` calls the binary with ``DOCKER_HOST`` set to the host's Engine API socket
(wcsim/engine_api.py) and a client config directory of its own, so the caller's
``~/.docker`` never takes part.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ENV_VAR = "WCSIM_DOCKER_CLI"
CLI_2010 = Path("docker-cli") / "20.10" / "docker"


class DockerCliMissing(Exception):
    """No usable docker CLI binary; the message says which and why."""


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def cli_2010(prefix: str | os.PathLike[str] | None = None) -> Path | None:
    """The 20.10 CLI the set-up extracted, or None."""
    path = Path(prefix or sys.prefix) / CLI_2010
    return path if _executable(path) else None


def cli_for(engine_version: str, prefix: str | os.PathLike[str] | None = None) -> str:
    """The docker CLI binary for a host whose engine is ``engine_version``."""
    named = os.environ.get(ENV_VAR)
    if named:
        path = Path(named)
        if not _executable(path):
            raise DockerCliMissing(
                f"{ENV_VAR}={named}: no executable docker CLI there (unset {ENV_VAR} to use"
                " the set-up's CLIs)"
            )
        return str(path)
    if str(engine_version).startswith("20.10."):
        found = cli_2010(prefix)
        if found is not None:
            return str(found)
    on_path = shutil.which("docker")
    if on_path is None:
        raise DockerCliMissing(f"no 'docker' on PATH and {ENV_VAR} is not set")
    return on_path


def run(
    binary: str,
    docker_host: str,
    argv: list[str],
    *,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    config: str | os.PathLike[str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """``binary argv...`` against ``docker_host``; ``env`` adds variables (secret values the
    argv names with ``--env=NAME``) to a minimal environment. ``config`` is the client config
    directory (a login's record: share one across a step's login, pull and logout); without
    it, a new empty one. Stdin is closed when not given, so the CLI never prompts."""
    with tempfile.TemporaryDirectory(prefix="wcsim-docker-config-") as own:
        directory = str(config or own)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": directory,
            "DOCKER_HOST": docker_host,
            "DOCKER_CONFIG": directory,
            **(env or {}),
        }
        return subprocess.run(
            [binary, *argv],
            env=environment,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
