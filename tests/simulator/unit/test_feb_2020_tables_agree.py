"""The February 2020 baseline is written twice on purpose: the simulator (wcsim/versions.py)
must not import the collection it tests. These tests keep the two copies in agreement, so a
correction to one that misses the other fails here instead of hiding in both."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import windows_versions
from wcsim import versions


@pytest.mark.parametrize(
    "table", ["FEB_2020_BEFORE", "FEB_2020_IMAGE_BASELINE", "FEB_2020_HOST_BASELINE"]
)
def test_both_copies_hold_the_same_table(table):
    assert getattr(versions, table) == getattr(windows_versions, table)


def _revisions(build: int) -> list[int]:
    marks = {
        windows_versions.FEB_2020_BEFORE[build],
        windows_versions.FEB_2020_IMAGE_BASELINE[build],
        windows_versions.FEB_2020_HOST_BASELINE[build],
    }
    return sorted({0, 1, 9999} | {m + d for m in marks for d in (-1, 0, 1)})


@pytest.mark.parametrize("build", sorted(windows_versions.FEB_2020_IMAGE_BASELINE))
def test_both_copies_put_each_pair_on_the_same_side(build):
    revisions = _revisions(build)
    for host_rev in revisions:
        for image_rev in revisions:
            host, image = f"10.0.{build}.{host_rev}", f"10.0.{build}.{image_rev}"
            collection = windows_versions.feb_2020_sides_differ(
                windows_versions.WindowsVersion.parse(host),
                windows_versions.WindowsVersion.parse(image),
            )
            simulator = versions.feb_2020_sides_differ(
                versions.Version.parse(host), versions.Version.parse(image)
            )
            assert collection == simulator, (host, image)
