"""The container_audit action: one read-only module run, host_info reuse, check mode, secrets."""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from unittest.mock import MagicMock

import pytest
from action_harness import make_action

from ansible_collections.trustbound.wincontainers.plugins.action.container_audit import (
    ActionModule,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugin_utils"))
from audit_builders import NANO, info, managed, unmanaged

SECRET = "Tenant-Token-98765"
TENANT = {
    "name": "tenant",
    "image": NANO,
    "trust_boundary": "fabrikam",
    "memory": "1g",
    "cpus": 1,
    "secret_env": {"API_TOKEN": SECRET},
}


class Host:
    """Stands in for _execute_module: answers container_host_info, refuses anything else."""

    def __init__(self, host_info):
        self.host_info = host_info
        self.calls = []

    def __call__(self, module_name, module_args=None, task_vars=None, **_kwargs):
        self.calls.append(module_name)
        assert module_name == "trustbound.wincontainers.container_host_info", module_name
        return copy.deepcopy(self.host_info)


def run(host, check_mode=False, **args):
    action = make_action(ActionModule, {"trust_boundary": "contoso", **args}, check_mode)
    action._execute_module = host
    action._display = MagicMock()
    return action.run(task_vars={"inventory_hostname": "ws2022"})


def exposed_host():
    tenant = managed(TENANT, isolation="process", boundary="fabrikam")
    spy = unmanaged("spy", mounts=["\\\\.\\pipe\\docker_engine:\\\\.\\pipe\\docker_engine"])
    return info(containers=[tenant, spy])


def test_one_module_run_and_findings_sorted_by_severity():
    host = Host(exposed_host())
    result = run(host, workloads=[TENANT])
    assert not result.get("failed"), result
    assert host.calls == ["trustbound.wincontainers.container_host_info"]
    assert result["module_runs"] == 1 and result["changed"] is False
    severities = [f["severity"] for f in result["findings"]]
    assert severities == sorted(severities, key=["critical", "high", "medium", "low"].index)
    ids = {f["id"] for f in result["findings"]}
    assert {"WC-ISO-TRUST", "WC-HOLE-ENGINE-PIPE", "WC-INV-UNMANAGED"} <= ids
    assert result["summary"]["by_severity"]["critical"] >= 2
    assert result["summary"]["findings"] == len(result["findings"])


def test_host_info_given_means_no_module_run():
    host = Host(exposed_host())
    result = run(host, workloads=[TENANT], host_info=exposed_host())
    assert host.calls == [] and result["module_runs"] == 0
    assert result["findings"] == run(Host(exposed_host()), workloads=[TENANT])["findings"]


def test_check_mode_gives_the_same_findings():
    normal = run(Host(exposed_host()), workloads=[TENANT])
    checked = run(Host(exposed_host()), check_mode=True, workloads=[TENANT])
    assert checked["findings"] == normal["findings"]


def test_secret_env_values_never_reach_the_result():
    leaky = dict(TENANT, secret_env={"API_TOKEN": SECRET, "bad name=": SECRET})
    result = run(Host(exposed_host()), workloads=[leaky])
    assert SECRET not in json.dumps(result)
    result = run(Host(exposed_host()), workloads=[TENANT])
    assert SECRET not in json.dumps(result)


def test_a_failed_read_fails_the_host_with_its_name():
    result = run(Host({"failed": True, "msg": "access denied"}), workloads=[])
    assert result["failed"] and "ws2022" in result["msg"] and "access denied" in result["msg"]


@pytest.mark.parametrize("broken", [{"os": {}}, {}])
def test_facts_without_os_fail_clearly(broken):
    result = run(Host({"changed": False, **broken}), workloads=[])
    assert result["failed"] and "os" in result["msg"]


def test_a_skipped_read_is_refused_not_audited_as_a_clean_host():
    host = Host(exposed_host())
    result = run(host, workloads=[TENANT], host_info={"skipped": True, "changed": False})
    assert result["failed"] is True
    assert "failed or skipped" in result["msg"] and "'ws2022'" in result["msg"]
    assert host.calls == []
