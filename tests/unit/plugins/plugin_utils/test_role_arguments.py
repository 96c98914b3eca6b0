"""Several roles' variables checked against their meta/argument_specs.yml at once."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import role_arguments

BOTH = ("container_host", "container_workloads")


def refusals(task_vars, roles=BOTH):
    """The variables hold no templates: the templar returns them and records each call."""
    templated = []
    templar = SimpleNamespace(template=lambda value: templated.append(value) or value)
    return role_arguments.refusals(templar, task_vars, roles), templated


def test_valid_variables_of_both_roles_pass():
    errors, _templar = refusals(
        {"container_host_hyperv": "auto", "container_workloads_enforcement": "report"}
    )
    assert errors == []


def test_each_refusal_names_its_role_and_variable():
    errors, _templar = refusals(
        {"container_host_runtime": "containerd", "container_workloads_enforcement": "x"}
    )
    assert [e.split(":")[0] for e in errors] == ["role container_host", "role container_workloads"]
    assert "container_host_runtime" in errors[0]
    assert "container_workloads_enforcement" in errors[1]


def test_only_the_variables_the_specs_name_are_templated_once():
    _errors, templated = refusals(
        {"container_workloads_purge": True, "unrelated": "{{ lookup('env', 'X') }}"}
    )
    assert templated == [{"container_workloads_purge": True}]


def test_the_message_names_the_host_and_the_rule():
    msg = role_arguments.refusal_message("ws1", ["role container_workloads: bad"])
    assert msg.startswith("host 'ws1': refused by rule 'role-arguments' before any change")
    assert msg.endswith("Nothing was changed.")


def test_a_role_that_is_not_this_collections_is_refused():
    with pytest.raises(role_arguments.RoleSpecError, match="not a role of this collection"):
        role_arguments.options("geerlingguy.docker")


def test_each_spec_is_the_roles_own_file_and_a_copy():
    host = role_arguments.options("container_host")
    assert "container_host_validate_roles" in host
    assert host["container_host_engine_proxy_password"]["no_log"] is True
    host.clear()
    assert role_arguments.options("container_host")
    assert "container_workloads_purge" in role_arguments.options("container_workloads")
