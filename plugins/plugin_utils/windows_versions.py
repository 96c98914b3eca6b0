# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Windows versions and Microsoft's container image/host compatibility matrix.

Source of every rule here: Microsoft, "Windows container version
compatibility",
https://learn.microsoft.com/en-us/virtualization/windowscontainers/deploy-containers/version-compatibility
(MicrosoftDocs/Virtualization-Documentation,
virtualization/windowscontainers/deploy-containers/version-compatibility.md).
The collection targets Windows Server hosts; the client (Windows 10/11)
tables are not modelled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PROCESS = "process"
HYPERV = "hyperv"
ISOLATIONS = (PROCESS, HYPERV)

# Compatibility.rule for an image whose build is newer than the host's (any isolation).
IMAGE_NEWER_THAN_HOST = "image-newer-than-host"

# Long-Term Servicing Channel releases: the builds the collection supports as hosts.
LTSC_BUILDS: dict[int, str] = {
    14393: "Windows Server 2016",
    17763: "Windows Server 2019",
    20348: "Windows Server 2022",
    26100: "Windows Server 2025",
}

# Semi-Annual Channel releases that shipped container base images (all out of
# support now). They appear in the Server 1903..20H2 tabs of earlier revisions
# of Microsoft's compatibility page. Known so that Hyper-V isolation can run
# them on a newer host; any other build is "unknown" and Hyper-V refuses it.
SAC_BUILDS: dict[int, str] = {
    16299: "Windows Server, version 1709",
    17134: "Windows Server, version 1803",
    18362: "Windows Server, version 1903",
    18363: "Windows Server, version 1909",
    19041: "Windows Server, version 2004",
    19042: "Windows Server, version 20H2",
}

KNOWN_BUILDS: dict[int, str] = {**LTSC_BUILDS, **SAC_BUILDS}

# Microsoft's one cross-build exception for Server hosts: a Server 2025 host
# runs Server 2022 images under process isolation.
PROCESS_CROSS_BUILD: frozenset[tuple[int, int]] = frozenset({(26100, 20348)})

# Server 2016 is the one release whose revisions must match under process isolation.
REVISION_LOCKED_BUILD = 14393

# Microsoft, "Update Windows Server containers" (MicrosoftDocs/Virtualization-Documentation,
# virtualization/windowscontainers/deploy-containers/update-containers.md, "Host and container
# version compatibility"): the February 2020 security update ("2B") changed an interface
# between user and kernel mode, and "any combination of hosts and containers on different
# sides of the new baseline won't work" under process isolation (Hyper-V is not affected).
# What the page settles, per build (its table of base image versions):
#   build  1B image (1/14/20)  2B image (2/18/20)
#   14393  3443                3506
#   17134  1246                1305
#   17763  973                 1040
#   18362  592                 658
#   18363  592                 658
# and a Windows Server 2019 host on 2B shows 17763.1039 (its note: no out-of-band 2B release
# for the host, only for containers). Its own `docker inspect` example shows a Feb 2020
# ltsc2019 image as 10.0.17763.1039 while `ver` in it shows 1040, so an image revision
# between 1B and 2B (17763.974-1039) is not settled. Side by revision: at most the 1B
# revision is before; at least the 2B revision (host: 17763.1039) is after; anything between
# is unknown, and an unknown side prefers Hyper-V isolation instead of refusing.
FEB_2020_BEFORE: dict[int, int] = {14393: 3443, 17134: 1246, 17763: 973, 18362: 592, 18363: 592}
FEB_2020_IMAGE_BASELINE: dict[int, int] = {
    14393: 3506,
    17134: 1305,
    17763: 1040,
    18362: 658,
    18363: 658,
}
FEB_2020_HOST_BASELINE: dict[int, int] = {**FEB_2020_IMAGE_BASELINE, 17763: 1039}
FEB_2020_RULE = "feb-2020-baseline-mismatch"
FEB_2020_UNKNOWN_RULE = "feb-2020-baseline-unknown"


def feb_2020_side(version: WindowsVersion, *, host: bool) -> bool | None:
    """True after the February 2020 baseline, False before, None when the sources do not
    settle the revision (or the build is not one the baseline splits: then also None)."""
    if version.build not in FEB_2020_IMAGE_BASELINE:
        return None
    after = (FEB_2020_HOST_BASELINE if host else FEB_2020_IMAGE_BASELINE)[version.build]
    if version.revision >= after:
        return True
    if version.revision <= FEB_2020_BEFORE[version.build]:
        return False
    return None


def feb_2020_sides_differ(host: WindowsVersion, image: WindowsVersion) -> bool:
    """Whether host and image (same build) are known to sit on different sides of the
    February 2020 baseline."""
    if host.build != image.build or host.build not in FEB_2020_IMAGE_BASELINE:
        return False
    host_side = feb_2020_side(host, host=True)
    image_side = feb_2020_side(image, host=False)
    return host_side is not None and image_side is not None and host_side != image_side


def feb_2020_unsettled(host: WindowsVersion, image: WindowsVersion) -> bool:
    """Whether, for a same build the baseline splits, host or image has a revision the
    sources do not place."""
    return (
        host.build == image.build
        and host.build in FEB_2020_IMAGE_BASELINE
        and None in (feb_2020_side(host, host=True), feb_2020_side(image, host=False))
    )


_VERSION_RE = re.compile(
    r"(0|[1-9][0-9]{0,4})\.(0|[1-9][0-9]{0,4})\.([1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})"
)


class VersionFormatError(ValueError):
    """A string is not a Windows version of the form ``10.0.BUILD.REVISION``."""


@dataclass(frozen=True, order=True)
class WindowsVersion:
    """``major.minor.build.revision``, ordered numerically."""

    major: int
    minor: int
    build: int
    revision: int

    @classmethod
    def parse(cls, text: object) -> WindowsVersion:
        """Parse ``"10.0.BUILD.REVISION"`` (what ``docker image inspect`` reports as OsVersion).

        Only NT 10.0 versions are accepted: every Windows release that runs
        containers (Server 2016 and later) reports 10.0.
        """
        if isinstance(text, WindowsVersion):
            return text
        if not isinstance(text, str):
            raise VersionFormatError(
                f"expected a string like '10.0.20348.2340', got {type(text).__name__}"
            )
        match = _VERSION_RE.fullmatch(text)
        if match is None:
            raise VersionFormatError(
                f"{text!r} is not a Windows version of the form '10.0.BUILD.REVISION'"
                " (for example '10.0.20348.2340')"
            )
        major, minor, build, revision = (int(part) for part in match.groups())
        if (major, minor) != (10, 0):
            raise VersionFormatError(
                f"{text!r} is not a Windows 10.0 version: Windows containers need"
                " Windows Server 2016 (10.0.14393) or later"
            )
        return cls(major, minor, build, revision)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.build}.{self.revision}"

    @property
    def release(self) -> str | None:
        """The release name for a known build, else None."""
        return KNOWN_BUILDS.get(self.build)

    @property
    def is_ltsc(self) -> bool:
        return self.build in LTSC_BUILDS

    def describe(self) -> str:
        """``10.0.20348.2340 (Windows Server 2022)`` or ``10.0.25398.1 (unknown build)``."""
        return f"{self} ({self.release or 'unknown build'})"


@dataclass(frozen=True)
class Compatibility:
    """Whether an image runs on a host under one isolation, and Microsoft's rule for it.

    ``rule`` is a short id (see ``check_compatibility``). ``prefer_hyperv`` is
    True when process isolation is allowed by the matrix but the image's patch
    level is newer than the host's: such containers have failed to start
    (HCS 0xc0370106) while running under Hyper-V isolation.
    """

    can_run: bool
    rule: str
    reason: str
    prefer_hyperv: bool = False


def check_compatibility(
    host_version: WindowsVersion | str,
    image_version: WindowsVersion | str,
    isolation: str,
) -> Compatibility:
    """Apply Microsoft's Server host matrix to one image, host and isolation.

    Rules (ids):

    * ``image-newer-than-host``: image build > host build runs in no isolation.
    * process isolation:
      ``same-build`` (builds equal; on Server 2016 revisions equal too),
      ``same-build-newer-image-revision`` (allowed from 1809 on, ``prefer_hyperv``),
      ``ltsc2022-on-ltsc2025`` (the one cross-build exception),
      ``revision-mismatch-2016``, ``feb-2020-baseline-mismatch`` (host and image on
      different sides of the February 2020 security update) and ``build-mismatch``
      (cannot run); ``feb-2020-baseline-unknown`` (a revision the sources do not place
      on either side of that baseline: allowed, ``prefer_hyperv``).
    * Hyper-V isolation:
      ``same-build``, ``older-known-build`` (an older LTSC or SAC build),
      ``unknown-older-build`` (cannot run: not in Microsoft's matrix).
    """
    host = WindowsVersion.parse(host_version)
    image = WindowsVersion.parse(image_version)
    if isolation not in ISOLATIONS:
        raise ValueError(f"isolation must be one of {', '.join(ISOLATIONS)}, got {isolation!r}")

    if image.build > host.build:
        return Compatibility(
            False,
            IMAGE_NEWER_THAN_HOST,
            f"image {image.describe()} is newer than host {host.describe()}: an image built"
            " on a newer Windows build runs on the newer host build only, in either isolation",
        )
    if isolation == PROCESS:
        return _process_compatibility(host, image)
    return _hyperv_compatibility(host, image)


def _process_compatibility(host: WindowsVersion, image: WindowsVersion) -> Compatibility:
    if image.build == host.build:
        if host.build == REVISION_LOCKED_BUILD and image.revision != host.revision:
            return Compatibility(
                False,
                "revision-mismatch-2016",
                f"image {image} and host {host} differ in revision: Windows Server 2016"
                " containers do not run under process isolation unless the revisions match",
            )
        if feb_2020_sides_differ(host, image):
            return Compatibility(
                False,
                FEB_2020_RULE,
                f"image {image} and host {host} are on different sides of the February 2020"
                f" security update baseline (image revision {FEB_2020_IMAGE_BASELINE[image.build]},"
                f" host revision {FEB_2020_HOST_BASELINE[host.build]}): Microsoft's"
                " update-containers.md says such process-isolated containers do not work;"
                " update the older side or use Hyper-V isolation",
            )
        if feb_2020_unsettled(host, image):
            return Compatibility(
                True,
                FEB_2020_UNKNOWN_RULE,
                f"image {image} and host {host}: Microsoft's update-containers.md does not"
                " settle which side of the February 2020 security update baseline"
                f" {'the host' if feb_2020_side(host, host=True) is None else 'the image'}"
                " is on (revisions between the January and February 2020 releases), and"
                " process-isolated containers across it do not work; Hyper-V isolation is"
                " preferred",
                prefer_hyperv=True,
            )
        if image.revision > host.revision:
            return Compatibility(
                True,
                "same-build-newer-image-revision",
                f"image revision {image.revision} is newer than host revision {host.revision}"
                f" (build {host.build}): allowed from Windows Server 2019 on, but such"
                " containers have failed to start under process isolation (0xc0370106);"
                " patch the host or use Hyper-V isolation",
                prefer_hyperv=True,
            )
        return Compatibility(
            True,
            "same-build",
            f"image {image.describe()} has the host's build {host.build}:"
            " process isolation shares the host kernel, which needs the same build",
        )
    if (host.build, image.build) in PROCESS_CROSS_BUILD:
        return Compatibility(
            True,
            "ltsc2022-on-ltsc2025",
            f"image {image.describe()} on host {host.describe()}: Microsoft's matrix lets a"
            " Windows Server 2025 host run Windows Server 2022 images under process isolation",
        )
    return Compatibility(
        False,
        "build-mismatch",
        f"image {image.describe()} does not match host {host.describe()}: process isolation"
        " is blocked when the image build differs from the host build"
        " (0xc0370101, 'The container operating system does not match the host operating"
        " system')",
    )


def _hyperv_compatibility(host: WindowsVersion, image: WindowsVersion) -> Compatibility:
    if image.build == host.build:
        return Compatibility(
            True,
            "same-build",
            f"image {image.describe()} has the host's build: Hyper-V isolation runs it"
            " in its own utility VM",
        )
    if image.build in KNOWN_BUILDS:
        return Compatibility(
            True,
            "older-known-build",
            f"image {image.describe()} is older than host {host.describe()}: Hyper-V isolation"
            " runs older Windows Server images with their own kernel",
        )
    return Compatibility(
        False,
        "unknown-older-build",
        f"image build {image.build} is not a Windows Server release in Microsoft's"
        f" compatibility matrix; Hyper-V isolation on host {host.describe()} is only"
        " relied on for the same build or a known older LTSC/SAC build",
    )
