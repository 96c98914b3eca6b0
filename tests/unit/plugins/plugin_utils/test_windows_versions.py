"""Windows version parsing and Microsoft's image/host compatibility matrix."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.windows_versions import (
    HYPERV,
    KNOWN_BUILDS,
    LTSC_BUILDS,
    PROCESS,
    VersionFormatError,
    WindowsVersion,
    check_compatibility,
)

WS2016 = "10.0.14393.1914"
WS2019 = "10.0.17763.5458"
WS2022 = "10.0.20348.2340"
WS2025 = "10.0.26100.2894"


class TestWindowsVersion:
    def test_parses_four_parts(self):
        version = WindowsVersion.parse("10.0.20348.2340")
        assert (version.major, version.minor, version.build, version.revision) == (
            10,
            0,
            20348,
            2340,
        )
        assert str(version) == "10.0.20348.2340"
        assert version.release == "Windows Server 2022"
        assert version.is_ltsc

    def test_orders_numerically_not_lexically(self):
        assert WindowsVersion.parse("10.0.17763.999") < WindowsVersion.parse("10.0.17763.1000")
        assert WindowsVersion.parse("10.0.9999.0") < WindowsVersion.parse("10.0.14393.0")
        assert WindowsVersion.parse("10.0.20348.1") == WindowsVersion.parse("10.0.20348.1")

    def test_unknown_build_has_no_release(self):
        version = WindowsVersion.parse("10.0.25398.1")
        assert version.release is None
        assert not version.is_ltsc
        assert "unknown build" in version.describe()

    def test_sac_build_is_known_but_not_ltsc(self):
        version = WindowsVersion.parse("10.0.18363.1556")
        assert version.release == "Windows Server, version 1909"
        assert not version.is_ltsc

    def test_ltsc_table(self):
        assert LTSC_BUILDS == {
            14393: "Windows Server 2016",
            17763: "Windows Server 2019",
            20348: "Windows Server 2022",
            26100: "Windows Server 2025",
        }

    @pytest.mark.parametrize(
        "text",
        [
            "10.0.20348",
            "10.0.20348.1.2",
            "10.0.20348.x",
            " 10.0.20348.1",
            "10.0.20348.1\n",
            "10.0.020348.1",
            "6.3.9600.1",
            "11.0.20348.1",
            "",
            "ltsc2022",
            "10.0.-1.1",
        ],
    )
    def test_rejects_malformed(self, text):
        with pytest.raises(VersionFormatError):
            WindowsVersion.parse(text)

    @pytest.mark.parametrize("value", [None, 10.0, 20348, ["10.0.20348.1"]])
    def test_rejects_non_strings(self, value):
        with pytest.raises(VersionFormatError, match="expected a string"):
            WindowsVersion.parse(value)

    def test_version_format_error_is_a_value_error(self):
        assert issubclass(VersionFormatError, ValueError)


# Microsoft's Windows Server host table, one row per (host, image): (hyperv, process).
MICROSOFT_SERVER_MATRIX = {
    (26100, 26100): (True, True),
    (26100, 20348): (True, True),
    (26100, 17763): (True, False),
    (26100, 14393): (True, False),
    (20348, 20348): (True, True),
    (20348, 17763): (True, False),
    (20348, 14393): (True, False),
    (20348, 26100): (False, False),
    (17763, 26100): (False, False),
    (17763, 20348): (False, False),
    (17763, 17763): (True, True),
    (17763, 14393): (True, False),
    (14393, 20348): (False, False),
    (14393, 17763): (False, False),
    (14393, 14393): (True, True),
}


@pytest.mark.parametrize(("builds", "expected"), sorted(MICROSOFT_SERVER_MATRIX.items()))
def test_microsoft_server_matrix(builds, expected):
    host_build, image_build = builds
    host = f"10.0.{host_build}.100"
    image = f"10.0.{image_build}.100"
    hyperv = check_compatibility(host, image, HYPERV)
    process = check_compatibility(host, image, PROCESS)
    assert (hyperv.can_run, process.can_run) == expected
    assert hyperv.reason
    assert process.reason


def test_image_newer_than_host_runs_nowhere():
    for isolation in (PROCESS, HYPERV):
        result = check_compatibility(WS2019, WS2022, isolation)
        assert not result.can_run
        assert result.rule == "image-newer-than-host"
        assert "newer than host" in result.reason


def test_same_build_same_revision_process():
    result = check_compatibility(WS2022, WS2022, PROCESS)
    assert result.can_run
    assert result.rule == "same-build"
    assert not result.prefer_hyperv


def test_older_image_revision_is_fine_from_2019_on():
    # Both after the February 2020 baseline (an image before it cannot run: see below).
    result = check_compatibility("10.0.17763.5458", "10.0.17763.4000", PROCESS)
    assert result.can_run
    assert result.rule == "same-build"
    assert not result.prefer_hyperv


def test_newer_image_revision_runs_but_prefers_hyperv():
    result = check_compatibility("10.0.20348.2340", "10.0.20348.2402", PROCESS)
    assert result.can_run
    assert result.rule == "same-build-newer-image-revision"
    assert result.prefer_hyperv
    assert "0xc0370106" in result.reason


def test_newer_image_revision_under_hyperv_is_plain_same_build():
    result = check_compatibility("10.0.20348.2340", "10.0.20348.2402", HYPERV)
    assert result.can_run
    assert result.rule == "same-build"
    assert not result.prefer_hyperv


@pytest.mark.parametrize("image", ["10.0.14393.1944", "10.0.14393.1770"])
def test_server_2016_process_needs_the_same_revision(image):
    result = check_compatibility("10.0.14393.1914", image, PROCESS)
    assert not result.can_run
    assert result.rule == "revision-mismatch-2016"


def test_server_2016_hyperv_ignores_revision():
    assert check_compatibility("10.0.14393.1914", "10.0.14393.1944", HYPERV).can_run


def test_server_2016_same_revision_runs_under_process():
    assert check_compatibility(WS2016, WS2016, PROCESS).rule == "same-build"


def test_server_2025_runs_2022_images_under_process():
    result = check_compatibility(WS2025, WS2022, PROCESS)
    assert result.can_run
    assert result.rule == "ltsc2022-on-ltsc2025"


def test_cross_build_exception_is_one_way():
    assert not check_compatibility(WS2025, WS2019, PROCESS).can_run
    assert check_compatibility(WS2025, WS2019, PROCESS).rule == "build-mismatch"


def test_older_sac_image_runs_under_hyperv_only():
    assert check_compatibility(WS2022, "10.0.19042.1", HYPERV).rule == "older-known-build"
    assert not check_compatibility(WS2022, "10.0.19042.1", PROCESS).can_run


def test_unknown_older_image_build_is_refused_by_hyperv():
    result = check_compatibility(WS2022, "10.0.19999.1", HYPERV)
    assert not result.can_run
    assert result.rule == "unknown-older-build"
    assert 19999 not in KNOWN_BUILDS


def test_unknown_host_build_runs_its_own_build_under_process():
    """A semi-annual/annual host build (Server 23H2 is 25398): exact build match only."""
    assert check_compatibility("10.0.25398.1", "10.0.25398.1", PROCESS).can_run
    assert not check_compatibility("10.0.25398.1", WS2022, PROCESS).can_run
    assert check_compatibility("10.0.25398.1", WS2022, HYPERV).can_run


def test_accepts_parsed_versions():
    host = WindowsVersion.parse(WS2022)
    assert check_compatibility(host, host, PROCESS).can_run


def test_rejects_unknown_isolation():
    with pytest.raises(ValueError, match="isolation must be one of"):
        check_compatibility(WS2022, WS2022, "default")


def test_rejects_malformed_versions():
    with pytest.raises(VersionFormatError):
        check_compatibility("2022", WS2022, PROCESS)
    with pytest.raises(VersionFormatError):
        check_compatibility(WS2022, "10.0.20348", PROCESS)


@pytest.mark.parametrize(
    ("host", "image", "runs"),
    [
        # Microsoft's update-containers.md table: 1B = 17763.973, 2B = 17763.1040 (host 1039).
        ("10.0.17763.5458", "10.0.17763.973", False),  # after-2B host, 1B image
        ("10.0.17763.973", "10.0.17763.1040", False),  # 1B host, 2B image
        ("10.0.17763.1039", "10.0.17763.973", False),  # 2B host, 1B image
        ("10.0.17763.1039", "10.0.17763.1040", True),  # 2B host, 2B image
        ("10.0.17763.973", "10.0.17763.900", True),  # both before
        ("10.0.17763.5458", "10.0.17763.1040", True),  # both after
    ],
)
def test_feb_2020_baseline_splits_process_isolation(host, image, runs):
    result = check_compatibility(host, image, "process")
    assert result.can_run is runs
    if not runs:
        assert result.rule == "feb-2020-baseline-mismatch"
        assert "February 2020" in result.reason


@pytest.mark.parametrize(
    ("host", "image"),
    [
        # update-containers.md's docker inspect example: a Feb 2020 ltsc2019 image as 1039.
        ("10.0.17763.5458", "10.0.17763.1039"),
        ("10.0.17763.1039", "10.0.17763.1039"),
        # A host between the 1B and 2B image revisions: the page does not place it.
        ("10.0.18362.657", "10.0.18362.658"),
        ("10.0.17134.1304", "10.0.17134.1305"),
        ("10.0.17763.1012", "10.0.17763.973"),
    ],
)
def test_feb_2020_revisions_the_sources_do_not_settle_prefer_hyperv_not_refused(host, image):
    result = check_compatibility(host, image, "process")
    assert (result.can_run, result.rule, result.prefer_hyperv) == (
        True,
        "feb-2020-baseline-unknown",
        True,
    )
    assert check_compatibility(host, image, "hyperv").can_run


@pytest.mark.parametrize(
    ("host", "image", "runs"),
    [
        # The page's table, per build: 1B and 2B image revisions.
        ("10.0.18362.658", "10.0.18362.592", False),
        ("10.0.18363.592", "10.0.18363.658", False),
        ("10.0.17134.1305", "10.0.17134.1246", False),
        ("10.0.18362.719", "10.0.18362.658", True),
    ],
)
def test_feb_2020_baseline_per_build_follows_the_pages_table(host, image, runs):
    assert check_compatibility(host, image, "process").can_run is runs


def test_feb_2020_baseline_does_not_touch_hyperv_or_later_builds():
    assert check_compatibility("10.0.17763.5458", "10.0.17763.973", "hyperv").can_run
    # Server 2022 shipped after the baseline: every revision is on the same side.
    assert check_compatibility("10.0.20348.2340", "10.0.20348.1", "process").rule == "same-build"
