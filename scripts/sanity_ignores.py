# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check (or write) tests/sanity/ignore-<ansible-core version>.txt.

The only entries allowed are one ``plugins/modules/X.ps1 validate-modules!skip``
per PowerShell module: validate-modules runs pwsh to read an Ansible.Basic
``$spec`` and there is no pwsh here (tests/powershell checks the spec against
the docs instead). Any other sanity failure is fixed in the code, never
ignored. Usage: ``sanity_ignores.py [--write] COLLECTION_ROOT VERSION...``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

SKIP = "validate-modules!skip"


def expected_entries(root: Path) -> list[str]:
    """One skip line per .ps1 module under plugins/modules, sorted."""
    modules = sorted((root / "plugins" / "modules").rglob("*.ps1"))
    return [f"{path.relative_to(root).as_posix()} {SKIP}" for path in modules]


def ignore_file(root: Path, version: str) -> Path:
    """The ignore file ansible-test reads for an ansible-core major.minor version."""
    return root / "tests" / "sanity" / f"ignore-{version}.txt"


def problems(root: Path, version: str) -> list[str]:
    """Everything wrong with one ignore file, as sentences naming the file and the line."""
    path = ignore_file(root, version)
    rel = path.relative_to(root).as_posix()
    wanted = expected_entries(root)
    if not path.exists():
        if not wanted:
            return []
        return [f"{rel} is missing; it needs one line per .ps1 module"]

    found: list[str] = []
    errors: list[str] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        target, _sep, rule = line.partition(" ")
        if rule != SKIP or not target.startswith("plugins/modules/") or not target.endswith(".ps1"):
            errors.append(
                f"{rel}:{number}: '{line}' is not allowed: only "
                f"'plugins/modules/<name>.ps1 {SKIP}' lines belong here; fix the sanity "
                "failure in the code instead"
            )
        elif not (root / target).is_file():
            errors.append(f"{rel}:{number}: {target} does not exist; remove this line")
        elif line in found:
            errors.append(f"{rel}:{number}: duplicate line '{line}'")
        found.append(line)

    for entry in wanted:
        if entry not in found:
            module = entry.split(" ", 1)[0]
            errors.append(f"{rel}: {module} has no '{module} {SKIP}' line")
    return errors


def write(root: Path, version: str) -> None:
    """Write the ignore file from the .ps1 modules present."""
    path = ignore_file(root, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = expected_entries(root)
    path.write_text("".join(f"{entry}\n" for entry in entries), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Check every named version's ignore file; with --write, regenerate them first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="regenerate the files")
    parser.add_argument("root", type=Path, help="collection root")
    parser.add_argument("versions", nargs="+", help="ansible-core versions, e.g. 2.21")
    args = parser.parse_args(argv)

    errors: list[str] = []
    for version in args.versions:
        if args.write:
            write(args.root, version)
        errors.extend(problems(args.root, version))

    for error in errors:
        print(f"sanity ignores: {error}", file=sys.stderr)
    if errors:
        print(
            "sanity ignores: run `.venv/bin/python scripts/sanity_ignores.py --write . "
            f"{' '.join(args.versions)}` to regenerate them from the .ps1 modules present",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
