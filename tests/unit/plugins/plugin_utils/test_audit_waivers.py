"""Audit waivers: accepted risks applied by the report, shown as waived in every format,
counted apart, and reported again once expired."""

from __future__ import annotations

import datetime
import json
from xml.etree import ElementTree

import pytest
from ansible.errors import AnsibleFilterError
from audit_builders import HOSTVARS, info, unmanaged

from ansible_collections.trustbound.wincontainers.plugins.action.container_audit import summary
from ansible_collections.trustbound.wincontainers.plugins.filter.audit_report import audit_report
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_report as audit_report_writers,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    audit_rules,
    audit_waivers,
)

NOW = "2026-12-01T12:00:00Z"
WAIVER = {
    "rule": "WC-INV-UNMANAGED",
    "host": "ws2016-*",
    "reason": "vendor agent, replaced in Q2",
    "expires": "2027-06-30",
    "accepted_by": "j.doe (CISO)",
}


def _result(host):
    audit = audit_rules.audit_host(
        info(containers=[unmanaged("agent")]), HOSTVARS, host, workloads=[]
    )
    report = audit.to_dict()
    return {
        "findings": report["findings"],
        "containers": report["containers"],
        "not_evaluated": report["not_evaluated"],
        "facts": report["facts"],
        "summary": summary(host, audit),
    }


HOSTS = {"ws2016-erp": {"r": _result("ws2016-erp")}, "ws2022-edge": {"r": _result("ws2022-edge")}}


def build(waivers, **kwargs):
    return audit_report(
        HOSTS, list(HOSTS), NOW, result_var="r", waivers=waivers, fail_on="medium", **kwargs
    )


def test_a_waiver_marks_the_findings_it_covers_and_they_leave_the_counts():
    plain = build([])
    report = build([WAIVER])
    fleet = report["fleet"]
    waived = [f for f in fleet["findings"] if f.get("waived")]
    assert {f["host"] for f in waived} == {"ws2016-erp"}
    assert {f["id"] for f in waived} == {"WC-INV-UNMANAGED"}
    assert waived[0]["waived"]["accepted_by"] == "j.doe (CISO)"
    # never dropped: the same findings are listed, the counts move to "waived"
    assert len(fleet["findings"]) == len(plain["fleet"]["findings"])
    assert fleet["summary"]["findings"] == plain["fleet"]["summary"]["findings"] - len(waived)
    assert fleet["summary"]["waived"] == len(waived)
    assert fleet["summary"]["by_severity"]["medium"] == (
        plain["fleet"]["summary"]["by_severity"]["medium"] - len(waived)
    )
    hosts = {h["name"]: h for h in fleet["hosts"]}
    assert hosts["ws2016-erp"]["waived"] == len(waived)
    assert all(
        f["host"] != "ws2016-erp" or f["id"] != "WC-INV-UNMANAGED" for f in report["failing"]
    )
    assert fleet["waivers"][0]["status"] == "applied"


def test_every_format_shows_the_waived_finding():
    report = build([WAIVER])
    document = json.loads(report["json"])
    assert any(f.get("waived") for f in document["findings"])
    sarif = json.loads(report["sarif"])
    suppressed = [r for r in sarif["runs"][0]["results"] if r.get("suppressions")]
    assert suppressed and all(r["ruleId"] == "WC-INV-UNMANAGED" for r in suppressed)
    assert suppressed[0]["suppressions"][0]["status"] == "accepted"
    assert "vendor agent" in suppressed[0]["suppressions"][0]["justification"]
    junit = ElementTree.fromstring(report["junit"])
    case = junit.find(
        "testsuite[@name='ws2016-erp']/testcase[@name='WC-INV-UNMANAGED"
        " Container started outside the collection']"
    )
    assert case.find("skipped").get("message").startswith("waived: vendor agent")
    assert "WAIVED" in case.find("system-out").text
    assert 'data-waived="yes"' in report["html"]
    assert ">WAIVED</span>" in report["html"]
    assert 'id="count-waived"><b>' in report["html"]


def test_an_expired_waiver_is_a_finding_again_shown_beside_it():
    expired = dict(WAIVER, expires="2026-11-30")
    plain = build([])
    report = build([expired])
    fleet = report["fleet"]
    assert fleet["summary"]["waived"] == 0
    assert fleet["summary"]["findings"] == plain["fleet"]["summary"]["findings"]
    again = [f for f in fleet["findings"] if f.get("waiver_expired")]
    assert again and again[0]["waiver_expired"]["expires"] == "2026-11-30"
    assert fleet["waivers"][0]["status"] == "expired"
    assert "Waiver expired" in report["junit"]
    assert "WAIVER EXPIRED" in report["html"]
    assert any(f in report["failing"] for f in again)


def test_the_expiry_date_itself_is_still_in_force():
    assert build([dict(WAIVER, expires="2026-12-01")])["fleet"]["summary"]["waived"] >= 1


def test_a_container_glob_narrows_a_waiver():
    other = dict(WAIVER, container="sql*")
    assert build([other])["fleet"]["summary"]["waived"] == 0
    assert build([dict(WAIVER, container="ag?nt")])["fleet"]["summary"]["waived"] >= 1
    assert build([dict(WAIVER, host="*")])["fleet"]["waivers"][0]["status"] == "applied"


def test_yaml_dates_and_json_text_are_read():
    (waiver,) = audit_waivers.read(json.dumps([WAIVER]))
    assert waiver.expires == datetime.date(2027, 6, 30)
    (dated,) = audit_waivers.read([dict(WAIVER, expires=datetime.date(2027, 6, 30))])
    assert dated.expires == waiver.expires
    assert audit_waivers.read(None) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"rule": "WC-NOPE"},
            r"wincontainers_audit_waivers\[0\]: rule 'WC-NOPE' is not an audit rule",
        ),
        (
            {"expires": "next year"},
            r"wincontainers_audit_waivers\[0\]: expires must be a date YYYY-MM-DD",
        ),
        ({"reason": ""}, r"wincontainers_audit_waivers\[0\]: reason must be a non-empty string"),
        (
            {"accepted_by": None},
            r"wincontainers_audit_waivers\[0\]: accepted_by must be a non-empty string",
        ),
        ({"expires": "20270630"}, r"expires must be a date YYYY-MM-DD"),
        ({"expires": "2027-W26-3"}, r"expires must be a date YYYY-MM-DD"),
        (
            {"expires": datetime.datetime(2027, 6, 30, 23, tzinfo=datetime.UTC)},
            r"expires must be a date YYYY-MM-DD",
        ),
        ({"hosts": "x"}, r"wincontainers_audit_waivers\[0\]: unknown key\(s\) hosts"),
    ],
)
def test_an_invalid_waiver_is_refused_naming_its_index_and_field(change, message):
    with pytest.raises(ValueError, match=message):
        audit_waivers.read([{**WAIVER, **change}])
    with pytest.raises(AnsibleFilterError, match=message):
        build([{**WAIVER, **change}])


def test_a_missing_field_is_refused():
    incomplete = {k: v for k, v in WAIVER.items() if k != "accepted_by"}
    with pytest.raises(ValueError, match="accepted_by must be a non-empty string, got null"):
        audit_waivers.read([incomplete])


def test_junit_keeps_a_waived_finding_beside_a_blocking_one_of_the_same_rule():
    hosts = {
        "ws2016-erp": {
            "r": {
                **_result("ws2016-erp"),
                **_two_unmanaged("ws2016-erp"),
            }
        }
    }
    report = audit_report(
        hosts,
        list(hosts),
        NOW,
        result_var="r",
        waivers=[dict(WAIVER, container="agent")],
        fail_on="medium",
    )
    junit = ElementTree.fromstring(audit_report_writers.to_junit(report["fleet"], "medium"))
    case = next(c for c in junit.iter("testcase") if c.get("name").startswith("WC-INV-UNMANAGED"))
    assert "other" in case.find("failure").text
    kept = case.find("system-out").text
    assert "agent" in kept and "other" in kept


def _two_unmanaged(host):
    audit = audit_rules.audit_host(
        info(containers=[unmanaged("agent"), unmanaged("other")]), HOSTVARS, host, workloads=[]
    )
    report = audit.to_dict()
    return {
        "findings": report["findings"],
        "containers": report["containers"],
        "not_evaluated": report["not_evaluated"],
        "summary": summary(host, audit),
    }
