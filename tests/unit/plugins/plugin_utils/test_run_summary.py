"""The run-wide summary of a site run (set_stats for AWX workflows)."""

from __future__ import annotations

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.run_summary import summarise


def workload(name, isolation, action="none"):
    return {"name": name, "action": action, "decision": {"isolation": isolation}}


HOSTVARS = {
    "a": {
        "container_host_plan": {"error": None},
        "container_workloads_result": {
            "changed": True,
            "workloads": [workload("web", "process", "create"), workload("api", "hyperv")],
        },
    },
    "b": {"container_workloads_result": {"changed": False, "workloads": [workload("x", "hyperv")]}},
    "c": {
        "container_host_plan": {"error": "host 'c': secret-ish text", "rule": "hyperv-installable"}
    },
    "d": {
        "container_workloads_result": {
            "failed": True,
            "msg": "pw=hunter2",
            "rule": "hostile-process",
        }
    },
    "e": {"container_workloads_result": {"failed": True, "msg": "engine stopped"}},
    "f": {},
    "g": {"container_workloads_result": {"skipped": True, "changed": False}},
}


def test_every_outcome_is_counted_once():
    summary = summarise(HOSTVARS, ["g", "f", "e", "d", "c", "b", "a", "a"])
    assert summary["hosts"] == 7
    assert summary["converged"] == ["a", "b"]
    assert summary["changed"] == ["a"]
    assert summary["refused"] == {"c": "hyperv-installable", "d": "hostile-process"}
    assert summary["failed"] == ["e", "f"]
    assert summary["skipped"] == ["g"]
    assert summary["workloads"] == {"hyperv": 2, "process": 1, "changed": 1}
    assert summary["schema_version"] == 1


def test_no_message_is_copied():
    text = repr(summarise(HOSTVARS, list(HOSTVARS)))
    assert "hunter2" not in text
    assert "secret-ish" not in text
    assert "engine stopped" not in text


def test_removed_workloads_are_not_counted_as_running():
    hostvars = {
        "a": {
            "container_workloads_result": {
                "changed": True,
                "workloads": [
                    workload("old", "process", "purge"),
                    workload("y", "hyperv", "remove"),
                ],
            }
        }
    }
    assert summarise(hostvars, ["a"])["workloads"] == {"hyperv": 0, "process": 0, "changed": 2}


def test_a_refusal_of_the_provisioning_plan_counts_as_refused_as_registered():
    """The container_host_plan task registers failed, msg and rule (no error key): an
    unknown-key, argument or policy refusal there is made before any change."""
    hostvars = {
        "unknown-key": {
            "container_host_plan": {"failed": True, "msg": "pw=hunter2", "rule": "unknown-key"}
        },
        "arguments": {
            "container_host_plan": {"failed": True, "msg": "x", "rule": "role-arguments"}
        },
        "read": {"container_host_plan": {"failed": True, "msg": "container_host_info failed"}},
        "not-ready": {
            "container_host_plan": {"failed": True, "msg": "x", "rule": "host-ready"},
        },
    }
    summary = summarise(hostvars, list(hostvars))
    assert summary["refused"] == {"unknown-key": "unknown-key", "arguments": "role-arguments"}
    assert summary["failed"] == ["not-ready", "read"]
    assert "hunter2" not in repr(summary)
