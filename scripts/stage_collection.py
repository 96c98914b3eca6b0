# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Copy the files the collection ships from the working tree to another directory.

"Ships" means what ``ansible-galaxy collection build`` would put in the
artifact: every file git knows or would add (tracked and untracked, so
uncommitted work is tested; git-ignored files such as .venv and .tmp are not),
minus galaxy.yml ``build_ignore`` and ansible-galaxy's own ignores. galaxy.yml
itself is kept because ansible-test reads it.
Usage: ``stage_collection.py SOURCE_ROOT DEST``.
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
from pathlib import Path, PurePosixPath

import yaml

# ansible-galaxy ignores these in every build (ansible/galaxy/collection/__init__.py).
GALAXY_IGNORES = ("MANIFEST.json", "FILES.json", ".git", "*.pyc", "*.retry", "tests/output")
GALAXY_IGNORED_DIRS = frozenset(("CVS", ".bzr", ".hg", ".git", ".svn", "__pycache__", ".tox"))


def working_tree_files(root: Path) -> list[str]:
    """Tracked and untracked, not ignored, files that exist on disk."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return sorted(path for path in listing.split("\0") if path and (root / path).exists())


def is_ignored(path: str, patterns: list[str]) -> bool:
    """True when the file or one of its parent directories matches an ignore pattern."""
    parts = PurePosixPath(path).parts
    for depth in range(1, len(parts) + 1):
        prefix = "/".join(parts[:depth])
        if depth < len(parts) and parts[depth - 1] in GALAXY_IGNORED_DIRS:
            return True
        if any(fnmatch.fnmatch(prefix, pattern) for pattern in patterns):
            return True
    return False


def shipped_files(root: Path) -> list[str]:
    """The working tree files the collection artifact would contain, plus galaxy.yml."""
    galaxy = yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8"))
    patterns = [*GALAXY_IGNORES, *(galaxy.get("build_ignore") or [])]
    files = [path for path in working_tree_files(root) if not is_ignored(path, patterns)]
    return sorted({*files, "galaxy.yml"})


def main(argv: list[str] | None = None) -> int:
    """Copy the shipped files of SOURCE_ROOT into DEST (which must not exist yet)."""
    source, dest = (Path(arg) for arg in (argv if argv is not None else sys.argv[1:]))
    for path in shipped_files(source):
        target = dest / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / path, target, follow_symlinks=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
