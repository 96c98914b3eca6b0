"""playbooks/audit.yml on a host whose engine is stopped, waivers, and inputs as AWX sends them.

The stopped engine's containers cannot be listed: the audit reports the engine's state as
one finding and the inventory's workloads as not evaluated, never as drifted or missing.
``audit_formats`` given as text ("json,html", an AWX survey's text field) writes those two
reports; an unknown format fails the run naming it. A waiver accepts the HIGH finding a
Server 2016 host's Docker 20.10 gets, so ``audit_fail_on: high`` passes while the waiver
is in force and fails again once it expired; the console shows the counts. The hosts
are simulated (wcsim): no PowerShell runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from conftest import FLEETS, REPO, WcsimFleet

pytestmark = pytest.mark.slow

AUDIT = REPO / "playbooks" / "audit.yml"
HOST_VARS = FLEETS / "audit_inputs_vars.yml"
AUDIT_TASK = "Audit the host's containers, engine and patch level against its inventory"


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> Iterator[WcsimFleet]:
    simulated = WcsimFleet(FLEETS / "audit_inputs.yml", tmp_path_factory.mktemp("down"))
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
    run = audit(
        run_playbook,
        fleet,
        "--limit",
        "stopped,up",
        extra={"audit_fail_on": "high", "audit_formats": "json"},
    )
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
    assert AUDIT_TASK not in run.task_names  # refused before any host was contacted


WAIVER = {
    "rule": "WC-ENG-UNSUPPORTED",
    "host": "leg*",
    "reason": "Server 2016 needs Docker 20.10; the host moves to 2022 in Q3",
    "expires": "2099-12-31",
    "accepted_by": "j.doe (CISO)",
}


def _legacy(run_playbook, fleet, waivers):
    extra = {"audit_fail_on": "high", "audit_formats": ["json", "sarif"]}
    if waivers is not None:
        extra["wincontainers_audit_waivers"] = waivers
    return audit(run_playbook, fleet, "--limit", "legacy", extra=extra)


def _console(run):
    (result,) = run.task(
        "Show the findings per severity (waived ones apart) and where the report is"
    ).values()
    return result["msg"]


def test_without_a_waiver_the_2016_engine_fails_the_job(fleet, run_playbook):
    run = _legacy(run_playbook, fleet, None)
    assert run.rc != 0
    assert "WC-ENG-UNSUPPORTED" in run.output
    assert "high 1," in _console(run)


def test_a_waiver_in_force_accepts_it_and_every_report_shows_it_waived(
    fleet, run_playbook, tmp_path
):
    run = _legacy(run_playbook, fleet, [WAIVER])
    assert run.rc == 0, run.output
    console = _console(run)
    assert "high 0," in console and "waived 1;" in console and "expired waivers 0;" in console
    document = json.loads((tmp_path / "reports" / "latest.json").read_text(encoding="utf-8"))
    (finding,) = [f for f in document["findings"] if f["id"] == "WC-ENG-UNSUPPORTED"]
    assert finding["waived"]["accepted_by"] == "j.doe (CISO)"
    assert document["summary"]["waived"] == 1
    sarif = json.loads((tmp_path / "reports" / "latest.sarif").read_text(encoding="utf-8"))
    (result,) = [r for r in sarif["runs"][0]["results"] if r["ruleId"] == "WC-ENG-UNSUPPORTED"]
    assert result["suppressions"][0]["status"] == "accepted"


def test_an_expired_waiver_fails_the_job_again(fleet, run_playbook):
    run = _legacy(run_playbook, fleet, [dict(WAIVER, expires="2020-01-31")])
    assert run.rc != 0
    console = _console(run)
    assert "high 1," in console and "waived 0;" in console and "expired waivers 1;" in console


def test_an_invalid_waiver_fails_naming_it(fleet, run_playbook, tmp_path):
    run = _legacy(run_playbook, fleet, [dict(WAIVER, rule="WC-ENG-OLD")])
    assert run.rc != 0
    assert "audit_waivers[0]: rule 'WC-ENG-OLD' is not an audit rule" in run.output
    assert not (tmp_path / "reports").exists()
    assert AUDIT_TASK not in run.task_names  # refused before any host was contacted
