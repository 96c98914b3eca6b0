"""decode: command lines and stdin exactly as ansible-core 2.21 builds them.

The payloads come from ansible-core's own builders (module_manifest,
_powershell._script), so a change in how ansible ships modules shows up
here rather than as a puzzling integration failure.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import ansible
import pytest
from ansible._internal._powershell import _script
from ansible.executor.powershell import module_manifest
from hypothesis import given
from hypothesis import strategies as st

from wcsim.decode import UnrecognisedCommand, decode, decode_command_line, module_fqcn
from wcsim.interface import ModuleRun, RawCommand

# Found by path, not imported: importing ansible_collections.* here clashes with the
# collection loader when other test directories run in the same session.
WINDOWS_MODULES = (
    Path(ansible.__file__).parent.parent
    / "ansible_collections"
    / "ansible"
    / "windows"
    / "plugins"
    / "modules"
)


def bootstrap_command_line() -> str:
    """The command line ansible runs every pipelined PowerShell module with."""
    wrapper = module_manifest._get_powershell_script("bootstrap_wrapper.ps1").decode()
    return " ".join(_script.get_pwsh_encoded_cmdline(wrapper, override_execution_policy=True))


def module_stdin(module: str, args: dict, *, fqn: str | None = None) -> bytes:
    """The stdin ansible sends for one run of an ansible.windows module."""
    path = WINDOWS_MODULES / f"{module}.ps1"
    return module_manifest._create_powershell_wrapper(
        name=fqn or f"ansible_collections.ansible.windows.plugins.modules.{module}",
        module_data=path.read_bytes(),
        module_path=str(path),
        module_args=args,
        environment={},
        async_timeout=0,
        become_plugin=None,
        substyle="powershell",
        task_vars={},
        profile="legacy",
    )


def test_a_module_run_decodes_to_its_fqcn_arguments_and_modes():
    stdin = module_stdin(
        "win_feature",
        {
            "name": ["Containers"],
            "state": "present",
            "_ansible_check_mode": True,
            "_ansible_diff": True,
            "_ansible_module_name": "ansible.windows.win_feature",
        },
    )

    run = decode(bootstrap_command_line(), stdin)

    assert run == ModuleRun(
        module="ansible.windows.win_feature",
        args={"name": ["Containers"], "state": "present"},
        check_mode=True,
        diff=True,
        internal={
            "_ansible_check_mode": True,
            "_ansible_diff": True,
            "_ansible_module_name": "ansible.windows.win_feature",
        },
    )


def test_modes_default_to_off_when_ansible_leaves_them_out():
    run = decode(bootstrap_command_line(), module_stdin("win_ping", {"data": "pong"}))

    assert (run.module, run.args, run.check_mode, run.diff) == (
        "ansible.windows.win_ping",
        {"data": "pong"},
        False,
        False,
    )


def test_command_split_between_command_and_arguments_is_joined_by_the_caller():
    # pywinrm sends rsp:Command "powershell" and the rest as rsp:Arguments; the
    # wire layer joins them with spaces before decoding.
    parts = bootstrap_command_line().split(" ")
    joined = " ".join([parts[0], " ".join(parts[1:])])

    assert isinstance(decode(joined, module_stdin("win_ping", {})), ModuleRun)


def test_a_raw_command_is_its_script():
    script = "Get-Date; 'caf\u00e9' | Out-String"
    line = " ".join(_script.get_pwsh_encoded_cmdline(script, override_execution_policy=True))

    assert decode(line, b"") == RawCommand(script=script)


def test_win_reboot_command_line_spelling_is_a_raw_command():
    # ansible.windows plugin_utils/_reboot.py spells the executable "PowerShell".
    script = "(Get-CimInstance -ClassName Win32_OperatingSystem).LastBootUpTime.ToFileTime()"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    line = (
        "PowerShell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted "
        f"-EncodedCommand {encoded}"
    )

    assert decode(line, b"") == RawCommand(script=script)


@given(st.text(min_size=1))
def test_any_script_survives_the_encoded_command_round_trip(script):
    line = " ".join(_script.get_pwsh_encoded_cmdline(script, override_execution_policy=True))

    assert decode_command_line(line) == script


@pytest.mark.parametrize(
    ("script_key", "fqcn"),
    [
        (
            "ansible_collections.ansible.windows.plugins.modules.win_ping.ps1",
            "ansible.windows.win_ping",
        ),
        (
            "ansible_collections.trustbound.wincontainers.plugins.modules.container_steps.ps1",
            "trustbound.wincontainers.container_steps",
        ),
        ("ansible_collections.ns.coll.plugins.modules.sub.dir.thing.ps1", "ns.coll.thing"),
        ("ansible.modules.async_status.ps1", "ansible.builtin.async_status"),
        ("ansible.legacy.my_role_module.ps1", "ansible.legacy.my_role_module"),
    ],
)
def test_module_script_keys_map_to_fqcns(script_key, fqcn):
    assert module_fqcn(script_key) == fqcn


def test_a_module_script_of_unknown_origin_is_refused():
    with pytest.raises(UnrecognisedCommand, match="not a PowerShell module"):
        module_fqcn("somewhere.else.thing.cs")


def test_put_file_is_refused_by_name():
    script, stdin = module_manifest._bootstrap_powershell_script(
        "winrm_put_file.ps1", {"Path": "C:\\temp\\x.txt"}, has_input=True
    )
    line = " ".join(_script.get_pwsh_encoded_cmdline(script, override_execution_policy=True))

    with pytest.raises(UnrecognisedCommand, match=r"does not model ansible's put_file"):
        decode(line, stdin + base64.b64encode(b"file data") + b"\r\n")


def test_fetch_file_is_refused_by_name():
    script, stdin = module_manifest._bootstrap_powershell_script(
        "winrm_fetch_file.ps1", {"Path": "C:\\x", "BufferSize": 512, "Offset": 0}
    )
    line = " ".join(_script.get_pwsh_encoded_cmdline(script, override_execution_policy=True))

    with pytest.raises(UnrecognisedCommand, match=r"does not model ansible's fetch_file"):
        decode(line, stdin)


def test_remote_temp_directory_is_refused_by_name():
    script, stdin = module_manifest._bootstrap_powershell_script(
        "powershell_mkdtemp.ps1", {"Directory": "C:\\temp", "Name": "ansible-tmp-1"}
    )
    line = " ".join(_script.get_pwsh_encoded_cmdline(script, override_execution_policy=True))

    with pytest.raises(
        UnrecognisedCommand, match=r"does not model ansible's remote temporary directory"
    ):
        decode(line, stdin)


def _with_extra_action(stdin: bytes, action: dict) -> bytes:
    bootstrap, manifest = stdin.split(b"\n\0\0\0\0\n")
    data = json.loads(manifest)
    data["actions"].insert(0, action)
    return bootstrap + b"\n\0\0\0\0\n" + json.dumps(data).encode()


@pytest.mark.parametrize(
    ("wrapper", "words"),
    [
        ("become_wrapper.ps1", "become"),
        ("async_wrapper.ps1", "async"),
        ("coverage_wrapper.ps1", "coverage"),
        ("mystery.ps1", "only models a single module_wrapper.ps1"),
    ],
)
def test_wrappers_around_a_module_are_refused_by_name(wrapper, words):
    stdin = _with_extra_action(module_stdin("win_ping", {}), {"name": wrapper, "params": {}})

    with pytest.raises(UnrecognisedCommand, match=words):
        decode(bootstrap_command_line(), stdin)


def test_a_script_run_through_the_exec_wrapper_is_refused():
    bootstrap, manifest = module_stdin("win_ping", {}).split(b"\n\0\0\0\0\n")
    data = json.loads(manifest)
    del data["actions"][-1]["params"]["Variables"]

    with pytest.raises(UnrecognisedCommand, match=r"ansible.builtin.script"):
        decode(bootstrap_command_line(), bootstrap + b"\n\0\0\0\0\n" + json.dumps(data).encode())


def test_a_bootstrap_that_is_not_the_exec_wrapper_is_refused():
    stdin = json.dumps({"name": "something_else", "script": "", "params": {}}).encode()

    with pytest.raises(UnrecognisedCommand, match="'something_else'"):
        decode(bootstrap_command_line(), stdin + b"\n\0\0\0\0\n{}")


def test_stdin_without_the_separator_is_refused_without_echoing_it():
    with pytest.raises(UnrecognisedCommand, match="no line of four NUL bytes") as caught:
        decode(bootstrap_command_line(), b"password=hunter2")

    assert "hunter2" not in str(caught.value)
    assert "(16 bytes)" in str(caught.value)


def test_manifest_that_is_not_json_is_refused():
    with pytest.raises(UnrecognisedCommand, match="exec manifest on stdin is not JSON"):
        decode(bootstrap_command_line(), b'{"name": "exec_wrapper"}\n\0\0\0\0\n{not json')


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("ipconfig /all", "runs something else"),
        ("cmd.exe /c dir", "runs something else"),
        ("powershell -NoProfile -Command Get-Date", "not -Command"),
        ("powershell -NoProfile", "no -EncodedCommand"),
        ("powershell -EncodedCommand", "ends after -EncodedCommand"),
        ("powershell -EncodedCommand !!notbase64!!", "not base64"),
        ("powershell -EncodedCommand QQA= -EncodedArguments QQA=", "EncodedArguments"),
        ('powershell "unbalanced', "cannot parse"),
    ],
)
def test_command_lines_other_than_encoded_powershell_are_refused(line, words):
    with pytest.raises(UnrecognisedCommand, match=words):
        decode(line, b"")


@pytest.mark.parametrize(
    "executable",
    [
        "powershell",
        "PowerShell",
        "powershell.exe",
        r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
        "pwsh",
    ],
)
def test_powershell_spellings_and_switch_abbreviations(executable):
    encoded = base64.b64encode("hostname".encode("utf-16-le")).decode()

    assert decode(f"{executable} -enc {encoded}", b"") == RawCommand("hostname")
    assert decode(f"{executable} -e {encoded}", b"") == RawCommand("hostname")
