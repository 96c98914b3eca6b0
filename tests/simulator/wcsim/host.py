"""What a module model gets as ``host``: one host's state plus the fleet's shared resources.

``Host`` is the stable entry point for module models (``wcsim/modules/*.py``)::

    host.name, host.state          # HostState (see state.py)
    host.windows                   # Windows rules: features, reboots, updates (windows.py)
    host.engine                    # Docker engine rules (engine.py)
    host.registry                  # images the simulated registry serves
    host.downloads                 # URLs the host can download (engine zips)
    host.files                     # the files modules left on the host (HostFiles)
    host.faults                    # this host's fault settings (docs/simulator-host-model.md)
    host.now()                     # the fleet's clock (wall seconds)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import published
from .state import FileState, HostState
from .versions import Version

if TYPE_CHECKING:
    from .engine import Engine
    from .windows import Windows


def split_image_ref(ref: str) -> tuple[str, str, str]:
    """``registry, repository, tag`` of an image reference (docker's defaults applied)."""
    name, _, digest = ref.partition("@")
    tag = ""
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    if not tag and not digest:
        tag = "latest"
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "docker.io", name if rest else f"library/{name}"
    return registry, repository, tag or digest


def normalize_image_ref(ref: str) -> str:
    """The full ``registry/repository:tag`` form used as the key of images."""
    registry, repository, tag = split_image_ref(ref)
    sep = "@" if tag.startswith("sha256:") else ":"
    return f"{registry}/{repository}{sep}{tag}"


def default_user_for(repository: str) -> tuple[str, str]:
    """``(Config.User, the account "" runs as)`` for a Windows base image.

    Nano Server images set ``USER ContainerUser``; Server Core, Server and
    Windows images leave it empty, which runs as ContainerAdministrator
    (Microsoft's container docs; see /work/shared/notes/windows-containers.md).
    """
    if "nanoserver" in repository:
        return "ContainerUser", "ContainerUser"
    return "", "ContainerAdministrator"


@dataclass(frozen=True)
class RegistryImage:
    """An image the fleet's simulated registry can serve."""

    ref: str  # normalized registry/repository:tag
    os_version: str
    user: str
    default_user: str
    digest: str
    later: tuple[str, ...] = ()  # revisions the tag may move to (wcsim publish)

    def at(self, os_version: str) -> RegistryImage:
        """The image this tag names once moved to ``os_version`` (its own digest)."""
        if os_version == self.os_version:
            return self
        digest = "sha256:" + hashlib.sha256(f"{self.ref}@{os_version}".encode()).hexdigest()
        return RegistryImage(self.ref, os_version, self.user, self.default_user, digest, self.later)

    @property
    def registry(self) -> str:
        return split_image_ref(self.ref)[0]

    @property
    def repository(self) -> str:
        return split_image_ref(self.ref)[1]

    @property
    def build(self) -> int:
        return Version.parse(self.os_version).build


@dataclass
class FleetRegistry:
    """The fleet file's ``registry:`` section."""

    images: dict[str, RegistryImage] = field(default_factory=dict)
    credentials: dict[str, dict[str, str]] = field(default_factory=dict)  # registry -> creds
    state_dir: Path | None = None  # where wcsim publish records moved tags

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> FleetRegistry:
        config = config or {}
        unknown = set(config) - {"images", "credentials"}
        if unknown:
            raise ValueError(f"registry: unknown keys {sorted(unknown)} (images, credentials)")
        images = {}
        for ref, raw_spec in (config.get("images") or {}).items():
            spec = raw_spec or {}
            key = normalize_image_ref(ref)
            _, repository, _ = split_image_ref(key)
            user, default_user = default_user_for(repository)
            if "os_version" not in spec:
                raise ValueError(f"registry image {ref}: os_version is required")
            Version.parse(spec["os_version"])
            later = tuple(str(v) for v in spec.get("later") or ())
            for version in later:
                if Version.parse(version).build != Version.parse(spec["os_version"]).build:
                    raise ValueError(
                        f"registry image {ref}: later revision {version} is another build than"
                        f" {spec['os_version']} (a tag moves within its build)"
                    )
            digest = spec.get("digest") or "sha256:" + hashlib.sha256(key.encode()).hexdigest()
            images[key] = RegistryImage(
                ref=key,
                os_version=str(spec["os_version"]),
                user=spec.get("user", user),
                default_user=spec.get("default_user", default_user),
                digest=digest,
                later=later,
            )
        credentials = {}
        for registry, creds in (config.get("credentials") or {}).items():
            if not isinstance(creds, dict) or set(creds) != {"username", "password"}:
                raise ValueError(f"registry credentials for {registry}: need username and password")
            credentials[registry] = {
                "username": str(creds["username"]),
                "password": str(creds["password"]),
            }
        return cls(images=images, credentials=credentials)

    def get(self, ref: str) -> RegistryImage | None:
        """The image a tag names now: the fleet file's, or where ``wcsim publish`` moved it."""
        key = normalize_image_ref(ref)
        image = self.images.get(key)
        if image is None or self.state_dir is None:
            return image
        moved = published.read(self.state_dir).get(key)
        return image.at(moved) if moved else image

    def every_revision(self) -> list[RegistryImage]:
        """Every image the registry holds: a moved tag's older manifests stay pullable by digest."""
        return [i.at(v) for i in self.images.values() for v in (i.os_version, *i.later)]

    def catalogue(self) -> dict[str, list[str]]:
        return {ref: [i.os_version, *i.later] for ref, i in self.images.items()}

    def has_repository(self, registry: str, repository: str) -> bool:
        return any(
            i.registry == registry and i.repository == repository for i in self.images.values()
        )


_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_WINDOWS_PATH = re.compile(r"^[A-Za-z]:\\")


def _sha256_and_size(where: str, spec: dict[str, Any]) -> tuple[str, int]:
    """A fleet file entry's ``sha256`` (and ``size``), or those of its ``content`` text."""
    if "sha256" in spec:
        sha256 = str(spec["sha256"]).lower()
        if not _SHA256.match(sha256):
            raise ValueError(f"{where}: sha256 {spec['sha256']!r} is not 64 hex digits")
        return sha256, int(spec.get("size", 0))
    if "content" in spec:
        content = str(spec["content"]).encode()
        return hashlib.sha256(content).hexdigest(), len(content)
    raise ValueError(f"{where}: give sha256 or content")


@dataclass(frozen=True)
class Download:
    """A file the simulated hosts can download (e.g. a docker static zip)."""

    url: str
    version: str
    sha256: str
    size: int


class DownloadError(Exception):
    """What Invoke-WebRequest reports when the URL is not served."""


@dataclass
class FleetDownloads:
    """The fleet file's ``downloads:`` section: ``url -> {version, sha256 | content}``."""

    files: dict[str, Download] = field(default_factory=dict)

    @classmethod
    def from_config(cls, config: dict[str, Any] | None) -> FleetDownloads:
        files = {}
        for url, raw_spec in (config or {}).items():
            spec = raw_spec or {}
            sha256, size = _sha256_and_size(f"download {url}", spec)
            files[url] = Download(
                url=url, version=str(spec.get("version", "")), sha256=sha256, size=size
            )
        return cls(files=files)

    def get(self, url: str) -> Download | None:
        """The download served at ``url``, or None."""
        return self.files.get(url)

    def with_sha256(self, sha256: str) -> Download | None:
        """The download whose content has this SHA-256 (what a cached file holds), or None."""
        return next((d for d in self.files.values() if d.sha256 == sha256), None)

    def fetch(self, url: str) -> Download:
        """Like ``get`` but fails the way Invoke-WebRequest does for an unknown URL."""
        download = self.get(url)
        if download is None:
            raise DownloadError("The remote server returned an error: (404) Not Found.")
        return download


def files_from_config(config: dict[str, Any] | None) -> dict[str, FileState]:
    """The fleet file's per-host ``files:``: ``path -> {sha256, size?} | {content}``.

    Seeds files the host already has, e.g. a corrupt engine zip in the cache.
    """
    files: dict[str, FileState] = {}
    for path, raw_spec in (config or {}).items():
        spec = raw_spec or {}
        where = f"file {path}"
        unknown = set(spec) - {"sha256", "size", "content", "owner"}
        if unknown:
            raise ValueError(
                f"{where}: unknown keys {sorted(unknown)} (sha256, size, content, owner)"
            )
        if not _WINDOWS_PATH.match(str(path)):
            raise ValueError(f"{where}: not an absolute Windows path (C:\\...)")
        if str(path).casefold() in {p.casefold() for p in files}:
            raise ValueError(f"{where}: given twice (Windows paths ignore case)")
        sha256, size = _sha256_and_size(where, spec)
        files[str(path)] = FileState(
            sha256=sha256,
            size=size,
            content=str(spec.get("content", "")),
            owner=str(spec.get("owner", "")),
        )
    return files


class HostFiles:
    """The host's files (``HostState.files``) with Windows' case-insensitive paths.

    Only the operations the modules' PowerShell uses: ``Test-Path``, ``Get-FileHash``
    (``get``), a download's ``-OutFile`` (``write``), ``Remove-Item``, ``Move-Item -Force``.
    """

    def __init__(self, state: HostState) -> None:
        self._files = state.files

    def _key(self, path: str) -> str | None:
        wanted = path.casefold()
        return next((p for p in self._files if p.casefold() == wanted), None)

    def get(self, path: str) -> FileState | None:
        key = self._key(path)
        return None if key is None else self._files[key]

    def exists(self, path: str) -> bool:
        return self._key(path) is not None

    def write(self, path: str, file: FileState) -> None:
        self.remove(path)
        self._files[path] = file

    def remove(self, path: str) -> None:
        key = self._key(path)
        if key is not None:
            del self._files[key]

    def move(self, source: str, destination: str) -> None:
        """``Move-Item -Force``: replaces ``destination``; ``source`` must exist."""
        key = self._key(source)
        if key is None:
            raise FileNotFoundError(source)
        self.write(destination, self._files.pop(key))


@dataclass
class HostConfig:
    """Per-host settings from the fleet file that are configuration, not state."""

    name: str
    port: int
    https: bool
    username: str
    password: str
    faults: dict[str, Any] = field(default_factory=dict)


class Host:
    """One simulated host as a module model sees it (see the module docstring)."""

    def __init__(
        self,
        config: HostConfig,
        state: HostState,
        registry: FleetRegistry,
        downloads: FleetDownloads,
        clock: Callable[[], float],
    ) -> None:
        self.config = config
        self.state = state
        self.registry = registry
        self.downloads = downloads
        self._clock = clock
        # Open exclusive handles on host files (path, case-folded -> holder token). Not
        # persisted: a process's handles close when it ends, as do a simulator's on restart.
        self.open_handles: dict[str, str] = {}
        # Held around each change by models that run concurrently (Model.concurrent): the
        # fleet replaces it with the host's lock; a serialised run already holds it.
        self.exclusive: Callable[[], AbstractContextManager[None]] = nullcontext
        # The fleet's state directory (set by the fleet): where the host's Engine API socket
        # (wcsim/engine_api.py socket_path) and its docker CLI log live.
        self.state_dir: Path | None = None

    @property
    def name(self) -> str:
        return self.state.name

    @property
    def faults(self) -> dict[str, Any]:
        return self.config.faults

    @property
    def files(self) -> HostFiles:
        return HostFiles(self.state)

    def count_download(self, url: str) -> None:
        """Record one file fetched from ``url`` (``HostState.download_count``)."""
        counts = self.state.download_count
        counts[url] = counts.get(url, 0) + 1

    def now(self) -> float:
        return self._clock()

    @property
    def windows(self) -> Windows:
        from .windows import Windows

        return Windows(self)

    @property
    def engine(self) -> Engine:
        from .engine import Engine

        return Engine(self)
