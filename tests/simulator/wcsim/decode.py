"""Turn one WinRS command (command line + stdin) into a ``ModuleRun`` or a ``RawCommand``.

ansible-core's winrm connection always pipelines. A module run is::

    powershell -NoProfile -NonInteractive -ExecutionPolicy Unrestricted -EncodedCommand <b64>

where the encoded script is ``bootstrap_wrapper.ps1``, with stdin
``json(bootstrap) + "\\n\\0\\0\\0\\0\\n" + json(exec manifest)``. The manifest's
``module_wrapper.ps1`` action names the module script (``params.Script``) and
carries the module arguments in ``params.Variables[complex_args]``.

A raw command (``raw``, ``win_reboot``'s commands) is the same command line
with the script itself encoded and no stdin.

Anything else raises ``UnrecognisedCommand`` whose message says what it was:
the simulator never pretends a command it does not understand succeeded.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import shlex
from typing import Any

from wcsim.interface import ModuleRun, RawCommand

INPUT_SEPARATOR = b"\n\0\0\0\0\n"
_POWERSHELL_EXE = re.compile(r"(?i)^(?:.*[\\/])?(?:powershell|pwsh)(?:\.exe)?$")
_COLLECTION_SCRIPT = re.compile(
    r"^ansible_collections\.(?P<ns>\w+)\.(?P<coll>\w+)\.plugins\.modules\.(?:[\w.]+\.)?(?P<name>\w+)\.ps1$"
)
_BUILTIN_SCRIPT = re.compile(
    r"^ansible\.(?P<kind>modules|legacy)\.(?:[\w.]+\.)?(?P<name>\w+)\.ps1$"
)

# Exec-wrapper actions ansible adds around a module, and why each is refused.
_UNMODELLED_WRAPPERS = {
    "become_wrapper.ps1": "become (runas) around a module",
    "async_wrapper.ps1": "async module execution",
    "async_watchdog.ps1": "async module execution",
    "coverage_wrapper.ps1": "PowerShell code coverage collection",
}
_FILE_TRANSFERS = {
    "winrm_put_file.ps1": "ansible's put_file (a file copied to the host over WinRM, as "
    "win_copy, win_template and script do)",
    "winrm_fetch_file.ps1": "ansible's fetch_file (a file read from the host over WinRM, as "
    "fetch and slurp-like transfers do)",
    "powershell_mkdtemp.ps1": "ansible's remote temporary directory (made before a file "
    "transfer, as script, win_copy and win_template do)",
    "powershell_expand_user.ps1": "ansible's remote home directory expansion (~)",
}


class UnrecognisedCommand(Exception):
    """A command the simulator cannot decode; the message says what it was."""


def decode(command_line: str, stdin: bytes) -> ModuleRun | RawCommand:
    """Decode a WinRS command line (``rsp:Command`` + ``rsp:Arguments``) and its stdin."""
    script = decode_command_line(command_line)
    if not stdin:
        return RawCommand(script=script)
    return decode_exec_input(stdin)


def decode_command_line(command_line: str) -> str:
    """Return the PowerShell script a ``powershell ... -EncodedCommand <b64>`` line runs."""
    try:
        # Windows command line: backslashes are path separators, only double quotes group.
        tokens = [token.strip('"') for token in shlex.split(command_line, posix=False)]
    except ValueError as exc:
        raise UnrecognisedCommand(
            f"wcsim cannot parse the command line {_shorten(command_line)!r}: {exc}"
        ) from exc
    if not tokens or not _POWERSHELL_EXE.match(tokens[0]):
        raise UnrecognisedCommand(
            "wcsim only models PowerShell started with -EncodedCommand; the command line "
            f"{_shorten(command_line)!r} runs something else"
        )
    encoded = None
    for index, token in enumerate(tokens[1:], start=1):
        switch = token.lower()
        if _is_switch(switch, "-encodedarguments", minimum=5) or switch == "-ea":
            raise UnrecognisedCommand(
                "wcsim does not model PowerShell -EncodedArguments (a non-pipelined module run "
                "or a script with arguments)"
            )
        if _is_switch(switch, "-encodedcommand", minimum=4) or switch in ("-e", "-ec"):
            if index + 1 >= len(tokens):
                raise UnrecognisedCommand("the PowerShell command line ends after -EncodedCommand")
            encoded = tokens[index + 1]
        elif switch in ("-command", "-c", "-file", "-f"):
            raise UnrecognisedCommand(
                f"wcsim only models PowerShell -EncodedCommand, not {token}: "
                f"{_shorten(command_line)!r}"
            )
    if encoded is None:
        raise UnrecognisedCommand(
            f"the PowerShell command line has no -EncodedCommand: {_shorten(command_line)!r}"
        )
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-16-le")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise UnrecognisedCommand(
            f"the -EncodedCommand value is not base64 of UTF-16LE text: {exc}"
        ) from exc


def _is_switch(token: str, name: str, *, minimum: int) -> bool:
    """PowerShell accepts any unambiguous prefix of a switch name."""
    return len(token) >= minimum and name.startswith(token)


def decode_exec_input(stdin: bytes) -> ModuleRun:
    """Decode the exec-wrapper input ansible sends on stdin into a ``ModuleRun``."""
    parts = stdin.split(INPUT_SEPARATOR)
    if len(parts) < 2:
        # Its content is not echoed: unknown input may carry secrets.
        raise UnrecognisedCommand(
            f"the command's stdin ({len(stdin)} bytes) is not ansible's exec-wrapper input (no "
            "line of four NUL bytes after the bootstrap JSON)"
        )
    bootstrap = _json(parts[0], "the exec-wrapper bootstrap")
    if not isinstance(bootstrap, dict) or bootstrap.get("name") != "exec_wrapper":
        name = bootstrap.get("name") if isinstance(bootstrap, dict) else type(bootstrap).__name__
        raise UnrecognisedCommand(
            f"the bootstrap on stdin runs {name!r}, not ansible's exec_wrapper; wcsim does not "
            "model it"
        )
    manifest = _json(parts[1], "the exec manifest")
    actions = manifest.get("actions") if isinstance(manifest, dict) else None
    if not isinstance(actions, list) or not actions:
        raise UnrecognisedCommand("the exec manifest on stdin lists no actions")
    names = [action.get("name") if isinstance(action, dict) else None for action in actions]
    for name in names:
        if name in _FILE_TRANSFERS:
            raise UnrecognisedCommand(f"wcsim does not model {_FILE_TRANSFERS[name]}")
        if name in _UNMODELLED_WRAPPERS:
            raise UnrecognisedCommand(
                f"wcsim does not model {_UNMODELLED_WRAPPERS[name]} (exec action {name})"
            )
    if names[-1] != "module_wrapper.ps1" or len(names) != 1:
        raise UnrecognisedCommand(
            f"the exec manifest runs the actions {names}; wcsim only models a single "
            "module_wrapper.ps1 action"
        )
    params = actions[-1].get("params") or {}
    return _module_run(params)


def _module_run(params: dict[str, Any]) -> ModuleRun:
    script_key = params.get("Script")
    if not isinstance(script_key, str):
        raise UnrecognisedCommand("the module_wrapper.ps1 action names no Script")
    variables = params.get("Variables")
    if variables is None:
        raise UnrecognisedCommand(
            f"the exec manifest runs {script_key} as a plain script (ansible.builtin.script); "
            "wcsim does not model scripts"
        )
    module = module_fqcn(script_key)
    complex_args = None
    for variable in variables or []:
        if isinstance(variable, dict) and variable.get("Name") == "complex_args":
            complex_args = variable.get("Value")
    if not isinstance(complex_args, dict):
        raise UnrecognisedCommand(f"the run of {module} carries no complex_args dictionary")
    args = {key: value for key, value in complex_args.items() if not key.startswith("_ansible_")}
    internal = {key: value for key, value in complex_args.items() if key.startswith("_ansible_")}
    return ModuleRun(
        module=module,
        args=args,
        check_mode=bool(internal.get("_ansible_check_mode", False)),
        diff=bool(internal.get("_ansible_diff", False)),
        internal=internal,
    )


def module_fqcn(script_key: str) -> str:
    """``ansible_collections.ns.coll.plugins.modules.x.ps1`` -> ``ns.coll.x``.

    ansible-core's own modules (``ansible.modules.x.ps1``) become ``ansible.builtin.x``;
    modules found next to a playbook or in a role keep ansible's ``ansible.legacy.x``.
    """
    match = _COLLECTION_SCRIPT.match(script_key)
    if match:
        return f"{match['ns']}.{match['coll']}.{match['name']}"
    match = _BUILTIN_SCRIPT.match(script_key)
    if match:
        prefix = "ansible.builtin" if match["kind"] == "modules" else "ansible.legacy"
        return f"{prefix}.{match['name']}"
    raise UnrecognisedCommand(
        f"the module script {script_key!r} is not a PowerShell module of a collection or of "
        "ansible-core; wcsim does not model it"
    )


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnrecognisedCommand(f"{what} on stdin is not JSON: {exc}") from exc


def _shorten(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else f"{text[:limit]}..."
