"""An engine that does not answer is one finding; its containers are not evaluated, and
the inventory's workloads are not reported as drifted or missing."""

from __future__ import annotations

import copy

import pytest
from audit_builders import HOSTVARS, NANO, WEB, info

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import audit_rules

API = {"name": "api", "image": NANO, "memory": "512m", "cpus": 1}


def _down(**engine):
    read = info(images=[], containers=[])
    read["engine"].update(engine)
    return read


DOWN = {
    "stopped": {"service_state": "stopped", "api_reachable": False},
    "api": {
        "service_state": "running",
        "api_reachable": False,
        "api_error": "error during connect: open //./pipe/docker_engine: file not found",
    },
    "daemon_json": {"service_state": "stopped", "api_reachable": False, "daemon_config": None},
}


@pytest.mark.parametrize("case", sorted(DOWN))
def test_one_engine_finding_and_no_drift(case):
    audit = audit_rules.audit_host(_down(**DOWN[case]), HOSTVARS, "ws2022", workloads=[WEB, API])
    ids = [f.id for f in audit.findings]
    assert "WC-INV-DRIFT" not in ids
    assert ids.count("WC-ENG-DOWN") == 1
    (finding,) = [f.to_dict() for f in audit.findings if f.to_dict()["id"] == "WC-ENG-DOWN"]
    assert finding["severity"] == "medium"
    assert finding["evidence"]["workloads_not_evaluated"] == ["web", "api"]
    skipped = {entry["id"]: entry["reason"] for entry in audit.not_evaluated}
    assert "web, api" in skipped["WC-INV-DRIFT"]
    assert "not evaluated" in skipped["containers"]


def test_the_detail_says_why():
    def detail(**engine):
        audit = audit_rules.audit_host(_down(**engine), HOSTVARS, "ws2022", workloads=[WEB])
        return next(f.to_dict()["detail"] for f in audit.findings if f.id == "WC-ENG-DOWN")

    assert "the engine service is stopped" in detail(**DOWN["stopped"])
    assert "file not found" in detail(**DOWN["api"])
    assert "daemon.json cannot be parsed" in detail(**DOWN["daemon_json"])


def test_a_running_engine_with_an_unparsable_daemon_json_is_still_evaluated():
    """The engine read its file before it broke: its containers are listed and audited, and
    the finding warns that the next start fails."""
    read = info(containers=[])
    read["engine"].update(daemon_config=None, api_reachable=True)
    audit = audit_rules.audit_host(read, HOSTVARS, "ws2022", workloads=[WEB])
    found = {f.to_dict()["id"]: f.to_dict() for f in audit.findings}
    assert "next engine start fails" in found["WC-ENG-DOWN"]["detail"]
    assert found["WC-ENG-DOWN"]["evidence"]["workloads_not_evaluated"] == []
    assert found["WC-INV-DRIFT"]["evidence"]["differences"] == ["no such container"]


def test_a_running_engine_that_answers_has_no_engine_finding():
    read = copy.deepcopy(info())
    read["engine"]["api_reachable"] = True
    audit = audit_rules.audit_host(read, HOSTVARS, "ws2022", workloads=[])
    assert all(f.to_dict()["id"] != "WC-ENG-DOWN" for f in audit.findings)
    assert all(entry["id"] != "containers" for entry in audit.not_evaluated)
