"""Windows version arithmetic and the image/host compatibility table, the simulator's own copy.

The simulator must not import the collection's ``windows_versions``: it is an
independent model the collection is tested against. Sources:
Microsoft's "Windows container version compatibility" page
(MicrosoftDocs/Virtualization-Documentation,
``virtualization/windowscontainers/deploy-containers/version-compatibility.md``)
and the host/isolation matrix in /work/shared/notes/windows-containers.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# build -> (release name, ltsc tag)
SERVER_RELEASES: dict[int, tuple[str, str]] = {
    14393: ("Windows Server 2016", "ltsc2016"),
    17763: ("Windows Server 2019", "ltsc2019"),
    20348: ("Windows Server 2022", "ltsc2022"),
    26100: ("Windows Server 2025", "ltsc2025"),
}

# Hyper-V isolation runs an image of any build up to the host's own; process
# isolation only the host's build. Server 2025 is the exception: Microsoft
# lists Server 2022 images as supported under process isolation on it.
_PROCESS_ISOLATION_EXTRA: dict[int, frozenset[int]] = {26100: frozenset({20348})}

_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?$")


@dataclass(frozen=True, order=True)
class Version:
    """A Windows version ``major.minor.build.revision``."""

    major: int
    minor: int
    build: int
    revision: int = 0

    @classmethod
    def parse(cls, text: str) -> Version:
        match = _VERSION_RE.match(str(text).strip())
        if not match:
            raise ValueError(f"not a Windows version (10.0.BUILD.REVISION): {text!r}")
        major, minor, build, revision = match.groups()
        return cls(int(major), int(minor), int(build), int(revision or 0))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.build}.{self.revision}"

    @property
    def base(self) -> str:
        """``major.minor.build``, the form docker prints for a host."""
        return f"{self.major}.{self.minor}.{self.build}"


def release_name(build: int) -> str:
    """``Windows Server 2022`` for 20348; raises for a build the model does not know."""
    try:
        return SERVER_RELEASES[build][0]
    except KeyError:
        known = ", ".join(str(b) for b in SERVER_RELEASES)
        raise ValueError(f"unknown Windows Server build {build} (known: {known})") from None


def process_isolation_supported(host_build: int, image_build: int) -> bool:
    """Microsoft's matrix for process isolation (build numbers only)."""
    return image_build == host_build or image_build in _PROCESS_ISOLATION_EXTRA.get(
        host_build, frozenset()
    )


def hyperv_isolation_supported(host_build: int, image_build: int) -> bool:
    """Microsoft's matrix for Hyper-V isolation: any image not newer than the host."""
    return image_build <= host_build


# Microsoft, "Update Windows Server containers" (update-containers.md, "Host and container
# version compatibility"): after the February 2020 security update ("2B"), host and image on
# different sides of the baseline do not work under process isolation. The page's table gives
# the 2B image revision per build (17763.1040, 14393.3506); a 2019 host on 2B shows 17763.1039.
FEB_2020_IMAGE_BASELINE: dict[int, int] = {14393: 3506, 17763: 1040}
FEB_2020_HOST_BASELINE: dict[int, int] = {14393: 3506, 17763: 1039}


def feb_2020_sides_differ(host: Version, image: Version) -> bool:
    """Whether a same-build host and image sit on different sides of the February 2020 baseline."""
    if host.build != image.build or host.build not in FEB_2020_IMAGE_BASELINE:
        return False
    host_after = host.revision >= FEB_2020_HOST_BASELINE[host.build]
    return host_after != (image.revision >= FEB_2020_IMAGE_BASELINE[image.build])
