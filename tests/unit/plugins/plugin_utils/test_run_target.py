"""The checks every playbook's first play makes before any host is contacted."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.filter.run_target_problems import (
    run_target_problems,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import run_target

WINRM = {"ansible_connection": "winrm"}
GROUPS = {"all": ["a", "b"], "ungrouped": [], "windows": ["a"], "linux": ["b"]}


@pytest.mark.parametrize("version", ["2.18.3", "2.17.0", "2.9.27", "garbage"])
def test_an_old_ansible_core_is_refused_first_with_the_fix(version):
    problems = run_target.problems({"a": {}}, "nomatch", [], GROUPS, version)
    assert len(problems) == 1
    assert "requires ansible-core >= 2.19" in problems[0]
    assert version in problems[0]


@pytest.mark.parametrize("version", ["2.19.0", "2.19.1rc1", "2.21.5", "3.0.0"])
def test_a_supported_ansible_core_passes(version):
    assert run_target.problems({"a": WINRM}, "windows", ["a"], GROUPS, version) == []


def test_a_target_that_matches_no_host_names_it_and_the_groups():
    (problem,) = run_target.problems({}, "windos", [], GROUPS, "2.19.0")
    assert "'windos'" in problem
    assert "groups: linux, windows." in problem
    assert "wincontainers_target" in problem


def test_an_inventory_without_groups_says_so():
    (problem,) = run_target.problems({}, "windows", [], {"all": [], "ungrouped": []}, "2.19.0")
    assert "none besides 'all' and 'ungrouped'" in problem


def test_a_limit_outside_the_target_matches_no_host():
    (problem,) = run_target.problems(
        {"a": WINRM}, "windows", ["a"], GROUPS, "2.19.0", limit="b", limited=["b"]
    )
    assert "No host matches the target 'windows' within --limit 'b'" in problem
    assert (
        run_target.problems(
            {"a": WINRM}, "windows", ["a"], GROUPS, "2.19.0", limit="a", limited=["a"]
        )
        == []
    )


@pytest.mark.parametrize(
    "variables",
    [
        {"ansible_connection": "winrm"},
        {"ansible_connection": "ansible.builtin.psrp"},
        {"ansible_connection": "ssh", "ansible_shell_type": "powershell"},
        {"ansible_shell_type": "cmd"},
        {"ansible_connection": "community.aws.aws_ssm", "ansible_shell_type": "powershell"},
    ],
)
def test_windows_connections(variables):
    assert run_target.is_windows(variables)


@pytest.mark.parametrize(
    "variables",
    [{}, {"ansible_connection": "ssh"}, {"ansible_connection": "local"},
     {"ansible_connection": "local", "ansible_shell_type": "powershell"},
     {"ansible_shell_type": "sh"}],
)  # fmt: skip
def test_other_connections(variables):
    assert not run_target.is_windows(variables)


def test_the_cli_connection_is_the_default():
    assert run_target.is_windows({}, "winrm")
    assert not run_target.is_windows({"ansible_connection": "ssh"}, "winrm")


def test_each_non_windows_host_is_named_with_the_fix():
    hostvars = {"a": WINRM, "b": {"ansible_connection": "ssh"}, "c": {}}
    (problem,) = run_target.problems(hostvars, "all", ["a", "b", "c"], GROUPS, "2.19.0")
    assert "`b` (connection 'ssh'), `c` (connection 'ssh') are not Windows hosts" in problem
    assert "`a`" not in problem
    assert "set `wincontainers_target`" in problem


def test_one_non_windows_host():
    (problem,) = run_target.problems(
        {"linux1": {"ansible_connection": "ssh"}}, "all", ["linux1"], GROUPS, "2.19.0"
    )
    assert problem.startswith("`linux1` (connection 'ssh') is not a Windows host: set")


class Unreadable(dict):
    def __contains__(self, key):
        return True

    def __getitem__(self, key):
        raise RuntimeError("undefined variable")


def test_a_host_whose_variables_cannot_be_read_is_left_to_its_own_tasks():
    assert run_target.problems({"a": Unreadable()}, "windows", ["a"], GROUPS, "2.19.0") == []


def test_the_filter_reads_the_same():
    assert run_target_problems({"a": WINRM}, "windows", ["a"], GROUPS, "2.19.0") == []
    assert run_target_problems({}, "x", [], GROUPS, "2.19.0", limit="", limited=None)


def test_a_slice_without_target_hosts_may_go_on_when_allowed():
    assert run_target.problems({}, "windows", [], GROUPS, "2.19.0", allow_no_hosts=True) == []
    assert run_target_problems({}, "windows", [], GROUPS, "2.19.0", allow_no_hosts=True) == []
    # Not windows is refused all the same.
    (problem,) = run_target.problems(
        {"l": {"ansible_connection": "ssh"}}, "all", ["l"], GROUPS, "2.19.0", allow_no_hosts=True
    )
    assert "is not a Windows host" in problem
