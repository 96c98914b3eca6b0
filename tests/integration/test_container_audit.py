"""playbooks/audit.yml against a simulated fleet that breaks every audit rule, plus one clean host.

The fleet (fleets/audit.yml, inventory fleets/audit_vars.yml) is started in a temporary
state directory; the clean host's workload is deployed with playbooks/deploy.yml first so
its container is one the collection manages. The simulated hosts run no PowerShell: each
module run is answered by the simulator's model of the module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from conftest import FLEETS, REPO, WcsimFleet

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import audit_findings
from wcsim.state import load_host_state

pytestmark = pytest.mark.slow

AUDIT = REPO / "playbooks" / "audit.yml"
DEPLOY = REPO / "playbooks" / "deploy.yml"
HOST_VARS = FLEETS / "audit_vars.yml"
HOSTS = ("accepted", "clean", "exposed", "legacy2016", "patching", "tampered")
SECRET = "Audit-Secret-Token-4242"
INFO = "trustbound.wincontainers.container_host_info"
# Rules the default run cannot evaluate on a simulated host: the data root's ACL is not a
# container_host_info fact yet, and pending updates need audit_search_updates.
NOT_IN_DEFAULT_RUN = {"WC-ENG-DATA-ROOT-ACL", "WC-PATCH-UPDATES-PENDING"}
# Every engine of this fleet answers: the stopped engine is tested in test_audit_inputs.py.
NOT_IN_DEFAULT_RUN |= {"WC-ENG-DOWN"}


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[WcsimFleet]:
    simulated = WcsimFleet(FLEETS / "audit.yml", tmp_path / "state")
    simulated.start(reset=True)
    try:
        yield simulated
    finally:
        simulated.stop()


def state_hash(fleet: WcsimFleet) -> str:
    snapshots = {h: load_host_state(fleet.state_dir, h).snapshot() for h in HOSTS}
    return hashlib.sha256(json.dumps(snapshots, sort_keys=True).encode()).hexdigest()


def play(run_playbook, fleet, playbook, *args, extra=None):
    return run_playbook(
        playbook, "-i", str(HOST_VARS), *args, extra_vars=extra, inventory=fleet.inventory
    )


def reports(tmp_path: Path) -> Path:
    return tmp_path / "reports"


def latest(tmp_path: Path) -> dict:
    return json.loads((reports(tmp_path) / "latest.json").read_text(encoding="utf-8"))


def comparable(document: dict) -> list[dict]:
    return document["findings"]


def test_every_rule_fires_clean_host_has_none_one_module_run_and_nothing_changes(
    fleet, run_playbook, tmp_path, monkeypatch
):
    monkeypatch.setenv("ANSIBLE_SHOW_CUSTOM_STATS", "1")  # the json callback prints set_stats
    deployed = play(run_playbook, fleet, DEPLOY, "--limit", "clean")
    assert deployed.rc == 0, deployed.output
    fleet.wcsim("counters", "--state-dir", str(fleet.state_dir), "--reset")
    before = state_hash(fleet)

    normal = play(run_playbook, fleet, AUDIT)
    assert normal.rc == 0, normal.output
    assert state_hash(fleet) == before
    for host in HOSTS:
        assert fleet.counters(host)["module_runs_by_module"] == {INFO: 1}, host

    document = latest(tmp_path)
    assert document["schema_version"] == 1
    assert document["summary"]["hosts_audited"] == len(HOSTS)
    by_host = {h["name"]: h for h in document["hosts"]}
    assert by_host["clean"]["findings"] == []
    assert by_host["clean"]["containers"][0]["managed"] is True
    fired = {f["id"] for f in document["findings"]}
    catalogue = set(audit_findings.RULES)
    assert fired == catalogue - NOT_IN_DEFAULT_RUN
    where = {(f["id"], f["host"], f["container"]) for f in document["findings"]}
    assert ("WC-HOLE-ENGINE-PIPE", "exposed", "spy") in where
    assert ("WC-ISO-TRUST", "tampered", "partner") in where
    assert ("WC-PATCH-2016-REVISION", "legacy2016", "report") in where
    assert ("WC-USER-ADMIN", "exposed", "admin") in where

    names = sorted(p.name for p in reports(tmp_path).iterdir())
    for latest_name in ("latest.json", "latest.junit.xml", "latest.sarif", "latest.html"):
        assert latest_name in names
    assert len([n for n in names if n.startswith("audit-")]) == 4
    for path in reports(tmp_path).iterdir():
        assert SECRET not in path.read_text(encoding="utf-8"), path
    assert SECRET not in normal.output

    stats = normal.data.get("global_custom_stats", {}).get("wincontainers_audit")
    assert stats is not None, normal.output
    assert stats["hosts_audited"] == len(HOSTS)
    assert stats["by_severity"] == document["summary"]["by_severity"]
    assert stats["report_dir"] == str(reports(tmp_path))

    fleet.wcsim("counters", "--state-dir", str(fleet.state_dir), "--reset")
    checked = play(run_playbook, fleet, AUDIT, "--check")
    assert checked.rc == 0, checked.output
    assert state_hash(fleet) == before
    assert comparable(latest(tmp_path)) == comparable(document)
    assert latest(tmp_path)["scope"]["check_mode"] is True
    for host in HOSTS:
        assert fleet.counters(host)["module_runs_by_module"] == {INFO: 1}, host


def test_update_search_and_fail_on_fail_the_job_after_writing_the_report(
    fleet, run_playbook, tmp_path
):
    before = state_hash(fleet)
    run = play(
        run_playbook,
        fleet,
        AUDIT,
        "--limit",
        "patching,clean",
        extra={"audit_search_updates": True, "audit_fail_on": "high"},
    )
    assert run.rc != 0, run.output
    assert state_hash(fleet) == before
    document = latest(tmp_path)
    updates = [f for f in document["findings"] if f["id"] == "WC-PATCH-UPDATES-PENDING"]
    assert [f["host"] for f in updates] == ["patching"]
    assert updates[0]["evidence"]["updates"][0].startswith("KB5041160")
    assert {h["name"] for h in document["hosts"]} == {"patching", "clean"}
    assert "at or above 'high'" in run.output and "WC-PATCH-UPDATES-PENDING" in run.output


def test_junit_report_fails_testcases_at_the_threshold(fleet, run_playbook, tmp_path):
    run = play(run_playbook, fleet, AUDIT, "--limit", "exposed", extra={"audit_formats": ["junit"]})
    assert run.rc == 0, run.output
    root = ElementTree.parse(reports(tmp_path) / "latest.junit.xml").getroot()
    (suite,) = root.findall("testsuite")
    failed = {c.get("name").split()[0] for c in suite if c.find("failure") is not None}
    assert {"WC-HOLE-ENGINE-PIPE", "WC-ENG-TCP-NO-TLS", "WC-USER-ADMIN"} <= failed
    assert "WC-INV-UNMANAGED" not in failed  # medium, below the default threshold (high)
    assert not (reports(tmp_path) / "latest.html").exists()
