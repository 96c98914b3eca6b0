"""Raw commands, the module registry, unmodelled requests and module failure injection."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pytest

from wcsim import modules
from wcsim.ansible_basic import SpecError
from wcsim.interface import ModuleRun
from wcsim.modules import Model, register


# -------------------------------------------------------------- raw scripts --
@pytest.mark.parametrize(
    ("script", "stdout"),
    [
        ("hostname", "WS2022\r\n"),
        ("$env:COMPUTERNAME", "WS2022\r\n"),
        ("whoami", "ws2022\\administrator\r\n"),
        ("echo hello world", "hello\r\nworld\r\n"),
        ("Write-Output 'it''s here'", "it's here\r\n"),
        ('"plain"', "plain\r\n"),
        ("[Environment]::OSVersion.Version.ToString()", "10.0.20348.0\r\n"),
        (
            "(Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion').UBR",
            "2340\r\n",
        ),
    ],
)
def test_recognised_raw_scripts(sim, script, stdout):
    assert sim.raw("ws2022", script) == (0, stdout, "")


def test_os_version_table_like_powershell(sim):
    rc, out, _ = sim.raw("ws2022", "[Environment]::OSVersion.Version")
    assert rc == 0
    assert out.split("\r\n")[1:4] == [
        "Major  Minor  Build  Revision",
        "-----  -----  -----  --------",
        "10     0      20348  0",
    ]


def test_exit_code_is_passed_through(sim):
    assert sim.raw("ws2022", "exit 3")[0] == 3


@pytest.mark.parametrize(
    "script",
    [
        "Get-Process",
        "echo $env:PATH",
        "hostname; Remove-Item C:\\ -Recurse",
        "Get-Service docker\nStart-Service docker",
    ],
)
def test_unmodelled_raw_scripts_fail_loudly(sim, script):
    rc, out, err = sim.raw("ws2022", script)
    assert (rc, out) == (1, "")
    assert err == f"wcsim: unmodelled raw command: {script.splitlines()[0]}"


def test_win_reboot_suffix_is_ignored_when_matching(sim):
    script = (
        "hostname; If (-not $?) { If (Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue) "
        "{ exit $LASTEXITCODE } Else { exit 1 } }"
    )
    assert sim.raw("ws2022", script) == (0, "WS2022\r\n", "")


# ---------------------------------------------------------- module registry --
def test_registry_has_the_ansible_windows_models():
    registry = modules.load_all()
    for fqcn in (
        "ansible.windows.win_ping",
        "ansible.windows.win_feature",
        "ansible.windows.win_updates",
    ):
        assert registry[fqcn].name == fqcn


@pytest.mark.parametrize(
    "name", ["win_ping", "ansible.builtin.win_ping", "ansible.legacy.win_ping"]
)
def test_short_and_builtin_names_resolve_like_ansible_core(name):
    modules.load_all()
    assert modules.resolve(name) == "ansible.windows.win_ping"
    assert modules.get(name) is modules.REGISTRY["ansible.windows.win_ping"]


def test_unknown_module_fails_loudly(sim):
    reply = sim.fleet.handle(
        "ws2022", ModuleRun("community.windows.win_firewall_rule", {"name": "x"})
    )
    assert reply.rc == 1
    assert json.loads(reply.stdout) == {
        "failed": True,
        "msg": "wcsim: module community.windows.win_firewall_rule is not modelled by the simulator",
    }


def test_win_ping(sim):
    assert sim.module("ws2022", "ansible.windows.win_ping") == (
        0,
        {"changed": False, "ping": "pong"},
    )
    assert sim.module("ws2022", "ansible.windows.win_ping", {"data": "hi"})[1]["ping"] == "hi"
    rc, result = sim.module("ws2022", "ansible.windows.win_ping", {"data": "crash"})
    assert (rc, result["msg"]) == (1, "Unhandled exception while executing module: boom")


def test_module_failure_injection_fails_the_nth_run(make_sim):
    flaky = make_sim("faults.yml")
    outcomes = [flaky.module("flaky", "ansible.windows.win_ping")[0] for _ in range(3)]
    assert outcomes == [0, 1, 0]
    flaky.reload()  # the counter is state: it survives a restart of the simulator
    assert flaky.host("flaky").state.module_runs["ansible.windows.win_ping"] == 3


def test_injected_failure_message(make_sim):
    flaky = make_sim("faults.yml")
    flaky.module("flaky", "ansible.windows.win_ping")
    rc, result = flaky.module("flaky", "ansible.windows.win_ping")
    assert (rc, result["msg"]) == (1, "wcsim: injected failure of ansible.windows.win_ping (run 2)")


class _Leaky(Model):
    name = "wcsim.test.leaky"
    options: ClassVar[dict[str, dict[str, Any]]] = {"x": {"type": "str"}}
    returns = frozenset({"declared"})
    supports_check_mode = False

    def run(self, host, params, check_mode, diff):
        return {"changed": True, "declared": 1, "surprise": 2}


def test_model_returning_undeclared_keys_fails_loudly(sim):
    register(_Leaky)
    try:
        rc, result = sim.module("ws2022", "wcsim.test.leaky")
        assert (rc, result["msg"]) == (
            1,
            "wcsim: model wcsim.test.leaky returned undeclared keys: surprise",
        )
        rc, result = sim.module("ws2022", "wcsim.test.leaky", check_mode=True)
        assert (rc, result) == (
            0,
            {
                "changed": False,
                "skipped": True,
                "msg": "remote module (leaky) does not support check mode",
            },
        )
    finally:
        modules.REGISTRY.pop("wcsim.test.leaky")


def test_register_refuses_a_bad_spec_or_name():
    class BadSpec(Model):
        name = "wcsim.test.bad"
        options: ClassVar[dict[str, dict[str, Any]]] = {"x": {"type": "str", "requried": True}}

    class BadName(Model):
        name = "bad"

    with pytest.raises(SpecError):
        register(BadSpec)
    with pytest.raises(ValueError, match="FQCN"):
        register(BadName)
    assert "wcsim.test.bad" not in modules.REGISTRY
