# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check that no tests/sanity/ignore-<ansible-core version>.txt ignores anything.

validate-modules used to need one ``validate-modules!skip`` per .ps1 module,
because it runs pwsh to read an Ansible.Basic ``$spec``; scripts/run-sanity now
answers that question with the parsed ``$spec`` (scripts/pwsh-argspec), so
every sanity test runs on every file and a failure is fixed in the code, never
ignored (ansible-lint's ``sanity[cannot-ignore]`` and Automation Hub agree).
Usage: ``sanity_ignores.py COLLECTION_ROOT VERSION...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def ignore_file(root: Path, version: str) -> Path:
    """The ignore file ansible-test reads for an ansible-core major.minor version."""
    return root / "tests" / "sanity" / f"ignore-{version}.txt"


def problems(root: Path, version: str) -> list[str]:
    """Each entry of one version's ignore file, as a sentence naming the file and the line."""
    path = ignore_file(root, version)
    if not path.exists():
        return []
    rel = path.relative_to(root).as_posix()
    return [
        f"{rel}:{number}: '{line.strip()}' ignores a sanity failure; fix it in the code instead"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="collection root")
    parser.add_argument("versions", nargs="+", help="ansible-core versions, e.g. 2.21")
    args = parser.parse_args(argv)
    errors = [error for version in args.versions for error in problems(args.root, version)]
    for error in errors:
        print(f"sanity ignores: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
