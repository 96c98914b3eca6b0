"""A named volume, read back as docker reports it (issue 18).

docker reports a named volume's mount ``Source`` as the volume's folder under the data root
(moby volume/local/local.go), and the simulated Engine API does too. The raw reader maps it
back to the spec (``name:target``): a second deploy changes nothing and the audit raises no
data-root finding for it. Every docker read goes through the real docker CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FLEETS, REPO, WcsimFleet

pytestmark = pytest.mark.slow

AUDIT = REPO / "playbooks" / "audit.yml"
DEPLOY = REPO / "playbooks" / "deploy.yml"
HOST_VARS = FLEETS / "hardening_vars.yml"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
WORKLOADS = [{"name": "vol", "image": NANO, "volumes": ["appdata:C:\\data"]}]


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[WcsimFleet]:
    simulated = WcsimFleet(FLEETS / "hardening.yml", tmp_path / "state")
    simulated.start()
    try:
        yield simulated
    finally:
        simulated.stop()


def test_a_named_volume_deploys_once_and_raises_no_data_root_finding(fleet, run_playbook, tmp_path):
    def play(playbook, **extra):
        return run_playbook(
            playbook, "-i", str(HOST_VARS), extra_vars=extra, inventory=fleet.inventory
        )

    first = play(DEPLOY, wincontainers_workloads=WORKLOADS)
    assert first.rc == 0, first.output
    (vol,) = [c for c in fleet.host_state("shared")["containers"] if c["name"] == "vol"]
    assert vol["mounts"] == ["appdata:C:\\data"]
    again = play(DEPLOY, wincontainers_workloads=WORKLOADS)
    assert again.rc == 0 and again.stats["shared"]["changed"] == 0, again.output

    reports = tmp_path / "reports"
    audit = play(
        AUDIT,
        wincontainers_workloads=WORKLOADS,
        audit_report_dir=str(reports),
        audit_formats=["json"],
    )
    assert audit.rc == 0, audit.output
    findings = json.loads((reports / "latest.json").read_text(encoding="utf-8"))["findings"]
    assert findings  # the shared host breaks other rules: the audit did evaluate it
    assert not [f for f in findings if f["id"] == "WC-HOLE-DATA-ROOT"], findings
