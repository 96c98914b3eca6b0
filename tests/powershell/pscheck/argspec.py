# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Answer validate-modules' argument-spec question for a .ps1 module, without PowerShell.

ansible-test's validate-modules reads an Ansible.Basic module's ``$spec`` by
running ``pwsh ps_argspec.ps1 <manifest>``: the script runs the module with
``[Ansible.Basic.AnsibleModule]::_DebugArgSpec = $true``, and
``AnsibleModule``'s constructor hands the spec back as written (validated,
before any default is filled in) for ``ConvertTo-Json``. Every ``$spec`` of
this collection is a literal hashtable (tests/powershell refuses any other),
so the same JSON comes from parsing the file: this prints it, or fails with
the checker's findings. It answers that one question and nothing else.

Usage: ``python -m pscheck.argspec '<manifest JSON>'`` (the manifest's
``module_path`` names the module).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .compare import spec_shape
from .module_source import read_module


def argspec_json(module_path: Path) -> str:
    """The module's ``$spec`` as ps_argspec.ps1 prints it, or ValueError with the findings."""
    source = read_module(module_path)
    findings = list(source.findings)
    if source.spec is not None:
        findings += spec_shape(source)
    if findings or source.spec is None:
        reasons = "\n".join(str(f) for f in findings) or f"{module_path}: no $spec found"
        raise ValueError(reasons)
    return json.dumps(source.spec, separators=(",", ":"))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m pscheck.argspec '<ps_argspec manifest JSON>'", file=sys.stderr)
        return 2
    try:
        manifest = json.loads(argv[0])
        module_path = Path(manifest["module_path"])
    except (ValueError, KeyError, TypeError) as error:
        print(f"pscheck.argspec: unreadable manifest: {error}", file=sys.stderr)
        return 2
    try:
        print(argspec_json(module_path))
    except ValueError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
