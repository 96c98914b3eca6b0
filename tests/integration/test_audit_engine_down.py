"""playbooks/audit.yml on a host whose engine is stopped, and the audit's inputs as AWX sends them.

The stopped engine's containers cannot be listed: the audit reports the engine's state as
one finding and the inventory's workloads as not evaluated, never as drifted or missing.
``audit_formats`` given as text ("json,html", an AWX survey's text field) writes those two
reports; an unknown format fails the run naming it. The hosts are simulated (wcsim): no
PowerShell runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import FLEETS, REPO, WcsimFleet

pytestmark = pytest.mark.slow

AUDIT = REPO / "playbooks" / "audit.yml"
HOST_VARS = FLEETS / "audit_engine_down_vars.yml"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[WcsimFleet]:
    simulated = WcsimFleet(FLEETS / "audit_engine_down.yml", tmp_path_factory.mktemp("down"))
    simulated.start(reset=True)
    try:
        yield simulated
    finally:
        simulated.stop()


def audit(run_playbook, fleet, *args, extra=None):
    return run_playbook(
        AUDIT, "-i", str(HOST_VARS), *args, extra_vars=extra, inventory=fleet.inventory
    )


def test_a_stopped_engine_is_one_finding_and_its_workloads_are_not_evaluated(
    fleet, run_playbook, tmp_path
):
    run = audit(run_playbook, fleet, extra={"audit_fail_on": "high", "audit_formats": "json"})
    assert run.rc == 0, run.output
    document = json.loads((tmp_path / "reports" / "latest.json").read_text(encoding="utf-8"))
    hosts = {host["name"]: host for host in document["hosts"]}
    stopped = hosts["stopped"]
    ids = [finding["id"] for finding in stopped["findings"]]
    assert ids.count("WC-ENG-DOWN") == 1, ids
    assert "WC-INV-DRIFT" not in ids
    assert stopped["facts"]["engine_state"] == "stopped"
    not_evaluated = {entry["id"]: entry["reason"] for entry in stopped["not_evaluated"]}
    assert "(web, api) are not evaluated" in not_evaluated["WC-INV-DRIFT"]
    assert "containers" in not_evaluated
    # The running host's missing workloads are drift: the engine answered.
    up = [(f["id"], f["container"]) for f in hosts["up"]["findings"]]
    assert ("WC-INV-DRIFT", "web") in up and ("WC-INV-DRIFT", "api") in up
    assert all(f["id"] != "WC-ENG-DOWN" for f in hosts["up"]["findings"])
    assert sorted(p.name for p in (tmp_path / "reports").iterdir())[-1] == "latest.json"


def test_formats_given_as_text_write_those_reports(fleet, run_playbook, tmp_path):
    run = audit(run_playbook, fleet, "--limit", "up", extra={"audit_formats": "json,html"})
    assert run.rc == 0, run.output
    written = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert [name for name in written if name.startswith("latest")] == [
        "latest.html",
        "latest.json",
    ]
    assert len(written) == 4


def test_an_unknown_format_fails_naming_it(fleet, run_playbook, tmp_path):
    run = audit(run_playbook, fleet, "--limit", "up", extra={"audit_formats": ["json", "pdf"]})
    assert run.rc != 0
    assert "unknown format(s) 'pdf'; known formats: json, junit, sarif, html" in run.output
    assert not (tmp_path / "reports").exists()
