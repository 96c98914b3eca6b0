"""Which decisions only the image's OS version settles (check mode, before the pull)."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.trust_policy import (
    decide,
    isolation_undecided,
)

WS2016 = "10.0.14393.1914"
WS2022 = "10.0.20348.2340"
HOST = {"name": "h", "trust_boundary": "acme", "os_version": WS2022, "hyperv_available": True}
IMAGE = "mcr.microsoft.com/windows/servercore:ltsc2016"


def test_auto_with_an_unknown_image_version_is_undecided():
    decision = decide({"name": "legacy-report", "image": IMAGE}, HOST)
    assert decision.isolation == "process"
    assert isolation_undecided(decision)


def test_the_real_run_decides_hyperv_for_that_image_once_its_version_is_known():
    """What the check run could not know: a 2016 image cannot run process-isolated here."""
    decision = decide({"name": "legacy-report", "image": IMAGE, "image_os_version": WS2016}, HOST)
    assert decision.isolation == "hyperv"
    assert not isolation_undecided(decision)


@pytest.mark.parametrize(
    ("workload", "host"),
    [
        ({"trust_level": "untrusted"}, {}),  # trust decides: Hyper-V whatever the image
        ({"trust_boundary": "other"}, {}),
        ({"isolation": "process"}, {}),  # asked for: refused after the pull if it cannot run
        ({"isolation": "hyperv"}, {}),
        ({}, {"isolation_preference": "hyperv"}),
        ({"image_os_version": WS2022}, {}),  # known
    ],
)
def test_decisions_the_image_version_does_not_change_are_definite(workload, host):
    decision = decide({"name": "wl", "image": IMAGE, **workload}, {**HOST, **host})
    assert not isolation_undecided(decision)
