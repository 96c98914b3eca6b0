"""validate_role_arguments: several roles' meta/argument_specs.yml checked in one task."""

from __future__ import annotations

import pytest
from action_harness import make_action

from ansible_collections.trustbound.wincontainers.plugins.action.validate_role_arguments import (
    ActionModule,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import role_specs


class PassThroughTemplar:
    """The variables here hold no templates: templating returns them as they are."""

    def __init__(self):
        self.templated = []

    def template(self, value):
        self.templated.append(value)
        return value


def run(task_vars, roles=("container_host", "container_workloads")):
    templar = PassThroughTemplar()
    action = make_action(ActionModule, {"roles": list(roles)}, templar=templar)
    return action.run(task_vars={"inventory_hostname": "ws1", **task_vars}), templar


def test_valid_inputs_of_both_roles_pass():
    result, _templar = run(
        {
            "container_host_hyperv": "auto",
            "container_workloads_enforcement": "report",
            "wincontainers_workloads": [],
        }
    )
    assert not result.get("failed"), result
    assert result["roles"] == ["container_host", "container_workloads"]
    assert result["changed"] is False


def test_a_bad_input_of_the_later_role_is_refused_naming_host_role_and_variable():
    result, _templar = run(
        {"container_host_hyperv": "auto", "container_workloads_enforcement": "enforcee"}
    )
    assert result["failed"] is True
    assert result["rule"] == "role-arguments"
    assert result["msg"].startswith("host 'ws1': refused by rule 'role-arguments' before any role")
    assert "role container_workloads:" in result["msg"]
    assert "container_workloads_enforcement" in result["msg"]
    assert len(result["argument_errors"]) == 1


def test_errors_of_every_role_are_listed():
    result, _templar = run(
        {"container_host_runtime": "containerd", "container_workloads_enforcement": "x"}
    )
    assert [e.split(":")[0] for e in result["argument_errors"]] == [
        "role container_host",
        "role container_workloads",
    ]


def test_variables_the_roles_do_not_read_are_not_templated():
    _result, templar = run(
        {"container_workloads_purge": True, "unrelated_secret": "{{ lookup('env', 'X') }}"}
    )
    (templated,) = templar.templated
    assert "unrelated_secret" not in templated
    assert templated == {"container_workloads_purge": True}


def test_a_role_that_is_not_this_collections_is_refused():
    with pytest.raises(role_specs.RoleSpecError, match="not a role of this collection"):
        role_specs.options("geerlingguy.docker")


def test_each_spec_is_the_roles_own_file():
    host = role_specs.options("container_host")
    assert "container_host_engine_checksum" in host
    assert "container_workloads_purge" in role_specs.options("container_workloads")
    assert host["container_host_engine_proxy_password"]["no_log"] is True
