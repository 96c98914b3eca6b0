"""Engine pin validation: every rule, and the messages naming host, rule and field."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_release
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.engine_release import (
    EngineReleaseError,
    pin_from_settings,
    validate_pin,
)

SHA = "a" * 64


def pin(**overrides):
    args = {
        "host": "ws2016",
        "runtime": "docker",
        "version": "27.3.1",
        "url": engine_release.default_url("27.3.1"),
        "checksum": SHA,
        "os_build": 20348,
    }
    args.update(overrides)
    return validate_pin(**args)


def test_default_url_is_dockers_static_pattern():
    assert (
        engine_release.default_url("20.10.24")
        == "https://download.docker.com/win/static/stable/x86_64/docker-20.10.24.zip"
    )


def test_valid_pin_is_returned_normalised():
    release = pin(checksum="AB" * 32)
    assert release.version == "27.3.1"
    assert release.checksum == "ab" * 32
    assert release.version_tuple == (27, 3, 1)
    assert release.warnings == ()


@pytest.mark.parametrize("version", ["23.0.0", "24.0.7", "27.3.1", "28.0.1"])
def test_engine_23_and_later_refused_on_server_2016(version):
    with pytest.raises(EngineReleaseError) as err:
        pin(version=version, url=engine_release.default_url(version), os_build=14393)
    exc = err.value
    assert (exc.host, exc.rule, exc.field) == ("ws2016", "engine_min_build", "version")
    message = str(exc)
    assert "ws2016" in message and version in message and "engine_min_build" in message
    # moby's own wording, so the user can match it with what dockerd would log
    assert "Windows build 17763 or higher is required" in message
    assert "20.10" in message


def test_engine_20_10_accepted_on_server_2016_without_warning():
    release = pin(version="20.10.24", url=engine_release.default_url("20.10.24"), os_build=14393)
    assert release.version == "20.10.24"
    assert release.warnings == ()


def test_engine_20_10_on_newer_builds_warns_end_of_life():
    release = pin(version="20.10.24", url=engine_release.default_url("20.10.24"), os_build=17763)
    assert len(release.warnings) == 1
    assert "end of life" in release.warnings[0]


@pytest.mark.parametrize("build", [17763, 20348, 26100])
def test_current_engines_accepted_on_2019_and_later(build):
    assert pin(os_build=build).version == "27.3.1"


@pytest.mark.parametrize(
    ("overrides", "rule", "field"),
    [
        ({"runtime": "containerd"}, "runtime_supported", "runtime"),
        ({"version": "latest"}, "version_format", "version"),
        ({"version": "v27.3.1"}, "version_format", "version"),
        ({"checksum": ""}, "checksum_required", "checksum"),
        ({"checksum": "abc"}, "checksum_format", "checksum"),
        ({"checksum": "g" * 64}, "checksum_format", "checksum"),
        ({"url": "http://download.docker.com/docker-27.3.1.zip"}, "url_https", "url"),
        ({"url": "ftp://x/docker-27.3.1.zip"}, "url_https", "url"),
        ({"url": engine_release.default_url("26.1.0")}, "url_version_mismatch", "url"),
        ({"os_build": 10586}, "windows_min_build", "os_build"),
        ({"os_build": "n/a"}, "os_build_known", "os_build"),
        (
            {"version": "19.03.5", "url": engine_release.default_url("19.03.5")},
            "engine_min_version",
            "version",
        ),
    ],
)
def test_refusals(overrides, rule, field):
    with pytest.raises(EngineReleaseError) as err:
        pin(**overrides)
    assert err.value.rule == rule
    assert err.value.field == field
    assert f"rule {rule}" in str(err.value)
    assert "'ws2016'" in str(err.value)


def test_checksum_required_message_says_how_to_get_one():
    with pytest.raises(EngineReleaseError, match="Get-FileHash") as err:
        pin(checksum="")
    assert "container_host_engine_checksum" in str(err.value)


def test_url_without_version_in_name_is_accepted():
    assert pin(url="https://mirror.example.com/engines/current.zip").url.endswith("current.zip")


def test_pin_from_settings_takes_checksum_from_the_per_version_map():
    release = pin_from_settings(
        {"version": "20.10.24", "url": "", "checksum": "", "checksums": {"20.10.24": SHA}},
        host="h",
        os_build=14393,
    )
    assert release.checksum == SHA
    assert release.url == engine_release.default_url("20.10.24")


def test_pin_from_settings_explicit_checksum_wins():
    other = "b" * 64
    release = pin_from_settings(
        {"version": "27.3.1", "checksum": other, "checksums": {"27.3.1": SHA}},
        host="h",
        os_build=20348,
    )
    assert release.checksum == other


def test_pin_from_settings_without_checksum_refused():
    with pytest.raises(EngineReleaseError) as err:
        pin_from_settings(
            {"version": "27.3.1", "checksums": {"20.10.24": SHA}}, host="h", os_build=20348
        )
    assert err.value.rule == "checksum_required"


def test_support_table_matches_the_rule():
    table = {row["build"]: row["docker"] for row in engine_release.support_table()}
    assert table[14393] == ["20.10"]
    for build in (17763, 20348, 26100):
        assert "23.0+" in table[build]
