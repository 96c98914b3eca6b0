"""Raw PowerShell scripts the simulated host recognises; anything else fails loudly.

A raw command (``raw``, and what ansible.windows' win_reboot runs through
``connection.exec_command``) is a script, not a module: the simulator
matches it against the patterns below. An unknown script answers rc 1 and
``wcsim: unmodelled raw command: <first line>``; it never pretends to work.

win_reboot (``plugins/plugin_utils/_reboot.py`` of ansible.windows 3.8)
appends ``; If (-not $?) { ... exit $LASTEXITCODE ... }`` to each command;
that suffix is removed before matching.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from .host import Host
from .interface import RawCommand, Reply

_RC_SUFFIX = re.compile(
    r"[;\r\n]\s*If \(-not \$\?\) \{ If \(Get-Variable LASTEXITCODE -ErrorAction SilentlyContinue\) "
    r"\{ exit \$LASTEXITCODE \} Else \{ exit 1 \} \}\s*$",
    re.IGNORECASE,
)
_STRICT_PREFIX = re.compile(r"^Set-StrictMode -Version Latest\s*", re.IGNORECASE)
_AUTOLOGON_KEY = r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon\AutoLogonChecked"
_NL = "\r\n"

Handler = Callable[[Host, re.Match[str]], Reply]


@dataclass(frozen=True)
class RawCommandModel:
    name: str
    pattern: re.Pattern[str]
    handler: Handler


RAW_COMMANDS: list[RawCommandModel] = []


def raw_command(
    name: str, pattern: str, flags: int = re.IGNORECASE
) -> Callable[[Handler], Handler]:
    """Register a handler for scripts that fully match ``pattern`` (after normalisation)."""

    def decorate(handler: Handler) -> Handler:
        RAW_COMMANDS.append(RawCommandModel(name, re.compile(pattern, flags), handler))
        return handler

    return decorate


def normalise(script: str) -> str:
    script = script.strip()
    script = _RC_SUFFIX.sub("", script).strip()
    return _STRICT_PREFIX.sub("", script).strip()


def run_raw(host: Host, request: RawCommand) -> Reply:
    """Answer a raw script, or fail loudly when no model recognises it."""
    script = normalise(request.script)
    for model in RAW_COMMANDS:
        match = model.pattern.fullmatch(script)
        if match:
            return model.handler(host, match)
    first = next((line.strip() for line in script.splitlines() if line.strip()), "")
    return Reply(rc=1, stdout="", stderr=f"wcsim: unmodelled raw command: {first}")


def _out(*lines: str) -> Reply:
    return Reply(rc=0, stdout="".join(f"{line}{_NL}" for line in lines))


# --------------------------------------------------------------- win_reboot --
@raw_command(
    "boot time",
    r"\(Get-CimInstance -ClassName Win32_OperatingSystem -Property LastBootUpTime\)"
    r"\.LastBootUpTime\.ToFileTime\(\)",
)
def _boot_time(host: Host, match: re.Match[str]) -> Reply:
    return _out(str(host.windows.boot_filetime))


@raw_command(
    "win_reboot shutdown script",
    r"\$ErrorActionPreference = 'Continue'\s+if \(\$(?P<remove>True|False)\) \{.*?\}\s+"
    r"\$stdout = \$null\s+\$stderr = \. \{ C:\\Windows\\System32\\shutdown\.exe "
    r"/r /t (?P<delay>\d+) "
    r"/c (?P<msg>'(?:[^']|'')*') \| Set-Variable stdout \} 2>&1 \| ForEach-Object ToString\s+.*"
    r"ConvertTo-Json -Compress -InputObject @\{.*\}",
    re.IGNORECASE | re.DOTALL,
)
def _reboot_script(host: Host, match: re.Match[str]) -> Reply:
    if match["remove"].lower() == "true":
        host.windows.remove_autologon_key()
    message = match["msg"][1:-1].replace("''", "'")
    rc, stderr = host.windows.schedule_shutdown(int(match["delay"]), message)
    return _out(json.dumps({"rc": rc, "stdout": "", "stderr": stderr}, separators=(",", ":")))


@raw_command(
    "shutdown /r", r"(?:C:\\Windows\\System32\\)?shutdown(?:\.exe)? /r /t (?P<delay>\d+)(?: /f)?"
)
def _shutdown(host: Host, match: re.Match[str]) -> Reply:
    rc, stderr = host.windows.schedule_shutdown(int(match["delay"]))
    return Reply(rc=rc, stdout="", stderr=stderr)


@raw_command("Restart-Computer", r"Restart-Computer(?: -Force)?")
def _restart_computer(host: Host, match: re.Match[str]) -> Reply:
    rc, stderr = host.windows.schedule_shutdown(0)
    return Reply(rc=rc, stdout="", stderr=stderr)


@raw_command("shutdown /a", r"(?:C:\\Windows\\System32\\)?shutdown(?:\.exe)? /a")
def _abort(host: Host, match: re.Match[str]) -> Reply:
    rc, stderr = host.windows.abort_shutdown()
    return Reply(rc=rc, stdout="", stderr=stderr)


@raw_command(
    "win_reboot readiness test",
    r"Get-Item -LiteralPath '"
    + re.escape(_AUTOLOGON_KEY)
    + r"' -ErrorAction Stop; '(?P<marker>[^']*)'",
)
def _readiness(host: Host, match: re.Match[str]) -> Reply:
    if not host.state.power.autologon_key_present:
        return Reply(
            rc=1,
            stdout="",
            stderr=f"Get-Item : Cannot find path '{_AUTOLOGON_KEY}' because it does not exist.",
        )
    return _out(
        "",
        "",
        r"    Hive: HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Winlogon",
        "",
        "",
        "Name                           Property",
        "----                           --------",
        "AutoLogonChecked",
        "",
        "",
        match["marker"],
    )


@raw_command(
    "win_updates CBS servicing test",
    r"try \{\s*\$propParams = @\{\s*LiteralPath = "
    r"'HKLM:\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
    r"\\Component Based Servicing\\Interface'.*",
    re.IGNORECASE | re.DOTALL,
)
def _cbs_idle(host: Host, match: re.Match[str]) -> Reply:
    return Reply(rc=0, stdout="")  # ServicingInProgress absent: CBS is idle


# --------------------------------------------------------- trivial queries --
@raw_command("hostname", r"hostname(?:\.exe)?")
def _hostname(host: Host, match: re.Match[str]) -> Reply:
    return _out(host.state.computer_name)


@raw_command("computer name", r"\$env:COMPUTERNAME")
def _computername(host: Host, match: re.Match[str]) -> Reply:
    return _out(host.state.computer_name.upper())


@raw_command("whoami", r"whoami(?:\.exe)?")
def _whoami(host: Host, match: re.Match[str]) -> Reply:
    return _out(f"{host.state.computer_name.lower()}\\{host.config.username.lower()}")


@raw_command("OSVersion.Version", r"\[(?:System\.)?Environment\]::OSVersion\.Version")
def _os_version_table(host: Host, match: re.Match[str]) -> Reply:
    os_ = host.state.os
    # [Environment]::OSVersion carries no UBR: its Revision is 0 on Windows 10/Server 2016+.
    values = [str(os_.major), str(os_.minor), str(os_.build), "0"]
    headers = ["Major", "Minor", "Build", "Revision"]
    widths = [max(len(h), len(v)) for h, v in zip(headers, values, strict=True)]

    def row(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return _out("", row(headers), row(["-" * len(h) for h in headers]), row(values), "", "")


@raw_command(
    "OSVersion.Version.ToString()",
    r"\[(?:System\.)?Environment\]::OSVersion\.Version\.ToString\(\)",
)
def _os_version_string(host: Host, match: re.Match[str]) -> Reply:
    os_ = host.state.os
    return _out(f"{os_.major}.{os_.minor}.{os_.build}.0")


@raw_command(
    "UBR",
    r"\(Get-ItemProperty -Path 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\)\.UBR"
    r"|\(Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'\)\.UBR",
)
def _ubr(host: Host, match: re.Match[str]) -> Reply:
    return _out(str(host.state.os.revision))


_LITERAL = r"(?:'(?:[^']|'')*'|\"[^\"$`]*\"|[A-Za-z0-9_.,:/\\+=@-]+)"


def _literal_value(token: str) -> str:
    if token.startswith("'"):
        return token[1:-1].replace("''", "'")
    if token.startswith('"'):
        return token[1:-1]
    return token


@raw_command("echo / Write-Output", rf"(?:echo|Write-Output)(?P<args>(?:\s+{_LITERAL})+)")
def _echo(host: Host, match: re.Match[str]) -> Reply:
    tokens = re.findall(_LITERAL, match["args"])
    return _out(*(_literal_value(t) for t in tokens))


@raw_command("string literal", r"(?P<token>'(?:[^']|'')*'|\"[^\"$`]*\")")
def _literal(host: Host, match: re.Match[str]) -> Reply:
    return _out(_literal_value(match["token"]))


@raw_command("exit", r"exit (?P<rc>\d+)")
def _exit(host: Host, match: re.Match[str]) -> Reply:
    return Reply(rc=int(match["rc"]), stdout="")
