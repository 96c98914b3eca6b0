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
# the 1B (1/14/20) and 2B (2/18/20) image revisions per build; a 2019 host on 2B shows
# 17763.1039 (no out-of-band 2B host release). A revision between the two is not placed by
# the page (its docker inspect example shows a Feb 2020 ltsc2019 image as 17763.1039): the
# model does not fail such a container (its own choice; the collection prefers Hyper-V there).
FEB_2020_BEFORE: dict[int, int] = {14393: 3443, 17134: 1246, 17763: 973, 18362: 592, 18363: 592}
FEB_2020_IMAGE_BASELINE: dict[int, int] = {
    14393: 3506,
    17134: 1305,
    17763: 1040,
    18362: 658,
    18363: 658,
}
FEB_2020_HOST_BASELINE: dict[int, int] = {**FEB_2020_IMAGE_BASELINE, 17763: 1039}


def _feb_2020_side(version: Version, after: int) -> bool | None:
    if version.revision >= after:
        return True
    if version.revision <= FEB_2020_BEFORE[version.build]:
        return False
    return None


def feb_2020_sides_differ(host: Version, image: Version) -> bool:
    """Whether a same-build host and image sit on different sides of the February 2020 baseline
    (False when either revision is not placed by the sources)."""
    if host.build != image.build or host.build not in FEB_2020_IMAGE_BASELINE:
        return False
    host_side = _feb_2020_side(host, FEB_2020_HOST_BASELINE[host.build])
    image_side = _feb_2020_side(image, FEB_2020_IMAGE_BASELINE[image.build])
    return None not in (host_side, image_side) and host_side != image_side
