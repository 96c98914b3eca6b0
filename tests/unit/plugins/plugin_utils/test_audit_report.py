"""audit_report: the fleet document and its JSON, JUnit XML, SARIF and HTML renderings."""

from __future__ import annotations

import html
import json
import re
from xml.etree import ElementTree

import pytest
from audit_builders import HOSTVARS, NANO, WEB, info, managed, unmanaged

from ansible_collections.trustbound.wincontainers.plugins.action.container_audit import summary
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_findings,
    audit_report,
    audit_rules,
)

SECRET = "Sup3r-Secret-Value"
TENANT = {
    "name": "tenant",
    "image": NANO,
    "trust_boundary": "fabrikam",
    "memory": "1g",
    "cpus": 1,
    "secret_env": {"TOKEN": SECRET},
}


def result_for(host, host_info, workloads):
    audit = audit_rules.audit_host(host_info, HOSTVARS, host, workloads=workloads)
    report = audit.to_dict()
    return {
        "changed": False,
        "findings": audit_findings.sorted_findings(report["findings"]),
        "containers": report["containers"],
        "not_evaluated": report["not_evaluated"],
        "facts": report["facts"],
        "summary": summary(host, audit),
    }


@pytest.fixture
def fleet():
    clean = result_for("clean", info(containers=[managed(WEB)]), [WEB])
    tenant = managed(TENANT, isolation="process", boundary="fabrikam")
    spy = unmanaged("spy<x>", mounts=["\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine"])
    exposed = result_for("exposed", info(containers=[tenant, spy]), [TENANT])
    down = {"failed": True, "unreachable": True, "msg": "connection refused"}
    return audit_report.build_fleet(
        {"exposed": exposed, "clean": clean, "down": down},
        generated_at="2026-12-01T12:00:00Z",
        scope={"target": "windows", "check_mode": False},
    )


def test_fleet_document_schema(fleet):
    assert fleet["schema_version"] == audit_report.SCHEMA_VERSION == 1
    assert [h["name"] for h in fleet["hosts"]] == ["clean", "down", "exposed"]
    summary_ = fleet["summary"]
    assert summary_["hosts_audited"] == 2 and summary_["hosts_failed"] == ["down"]
    assert summary_["findings"] == len(fleet["findings"]) > 0
    assert sum(summary_["by_severity"].values()) == summary_["findings"]
    clean = fleet["hosts"][0]
    assert clean["findings"] == [] and clean["error"] is None
    assert clean["containers"][0]["isolation"] == "process"
    assert fleet["hosts"][1]["error"] == "connection refused"
    assert fleet["findings"][0]["severity"] == "critical"
    assert set(fleet["rules"]) == {f["id"] for f in fleet["findings"]}
    json.loads(audit_report.to_json(fleet))


def test_no_secret_in_any_rendering(fleet):
    for text in (
        audit_report.to_json(fleet),
        audit_report.to_junit(fleet),
        audit_report.to_sarif(fleet),
        audit_report.to_html(fleet),
    ):
        assert SECRET not in text


def test_junit_has_a_testcase_per_host_and_rule_failed_at_the_threshold(fleet):
    root = ElementTree.fromstring(audit_report.to_junit(fleet, threshold="critical"))
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"clean", "down", "exposed"}
    assert len(suites["clean"].findall("testcase")) == len(audit_findings.RULES)
    assert suites["clean"].get("failures") == "0"
    assert suites["down"].find("testcase/error") is not None
    exposed = suites["exposed"]
    failed = [
        c.get("name").split()[0]
        for c in exposed.findall("testcase")
        if c.find("failure") is not None
    ]
    critical = {
        f["id"] for f in fleet["findings"] if f["host"] == "exposed" and f["severity"] == "critical"
    }
    assert set(failed) == critical and "WC-HOLE-ENGINE-PIPE" in failed
    assert int(root.get("failures")) == len(critical)
    # Below the threshold a finding is reported but does not fail.
    medium = next(
        c for c in exposed.findall("testcase") if c.get("name").startswith("WC-INV-UNMANAGED")
    )
    assert medium.find("failure") is None and "spy<x>" in medium.find("system-out").text
    lower = ElementTree.fromstring(audit_report.to_junit(fleet, threshold="low"))
    assert int(lower.get("failures")) > int(root.get("failures"))
    skipped = [c for c in suites["clean"].findall("testcase") if c.find("skipped") is not None]
    assert any(c.get("name").startswith("WC-ENG-DATA-ROOT-ACL") for c in skipped)


def test_fails_respects_the_threshold(fleet):
    assert audit_report.fails(fleet, "none") == []
    assert {f["severity"] for f in audit_report.fails(fleet, "critical")} == {"critical"}
    assert len(audit_report.fails(fleet, "low")) == len(fleet["findings"])
    with pytest.raises(ValueError, match="severity 'urgent'"):
        audit_report.fails(fleet, "urgent")


def test_sarif_2_1_0_shape(fleet):
    document = json.loads(audit_report.to_sarif(fleet))
    assert document["version"] == "2.1.0" and "sarif-2.1.0" in document["$schema"]
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(audit_findings.RULES)
    assert len(run["results"]) == len(fleet["findings"])
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"]
    assert first["level"] == "error"
    assert first["locations"][0]["logicalLocations"][0]["name"].startswith("exposed")
    assert run["invocations"][0]["executionSuccessful"] is False


def test_html_is_self_contained_escaped_and_shows_matrix_counts_and_fixes(fleet):
    page = audit_report.to_html(fleet)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    assert "spy&lt;x&gt;" in page and "spy<x>" not in page
    assert 'id="matrix"' in page and 'id="findings"' in page
    for severity, count in fleet["summary"]["by_severity"].items():
        assert f'id="count-{severity}"><b>{count}</b>' in page
    pipe = next(f for f in fleet["findings"] if f["id"] == "WC-HOLE-ENGINE-PIPE")
    assert html.escape(pipe["fix"]) in page
    assert "2026-12-01T12:00:00Z" in page and "target: windows" in page
    # Colour is never alone: every cell says its status in words.
    assert page.count('class="cell sev-ok"') == page.count('<span class="badge sev-ok">OK</span>')
    assert "@media print" in page
