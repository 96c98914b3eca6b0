"""The user guide ships in the collection tarball, and every docs/ reference a plugin or a role
makes points at a shipped file or is a full URL."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GALAXY = Path(sys.executable).parent / "ansible-galaxy"
# A page of this collection's guide, not inside a URL (a full URL is fine wherever it
# points); deeper paths (docker/cli's docs/reference/...) cite other repositories.
REFERENCE = re.compile(r"(?<![/\w.-])docs/[\w-]+\.md")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> set[str]:
    out = tmp_path_factory.mktemp("build")
    subprocess.run(
        [str(GALAXY), "collection", "build", "--output-path", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (tarball,) = out.glob("*.tar.gz")
    with tarfile.open(tarball) as archive:
        return set(archive.getnames())


def test_the_guide_and_its_docsite_files_are_shipped(shipped):
    for name in (
        "docs/docsite/extra-docs.yml",
        "docs/docsite/links.yml",
        "docs/docsite/rst/guide.rst",
        "docs/trust-model.md",
        "docs/audit.md",
        "docs/container_workloads.md",
        "docs/images/audit-report.png",
    ):
        assert name in shipped, name


def _references() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    files = [*REPO.glob("plugins/**/*.py"), *REPO.glob("plugins/**/*.ps1")]
    files += [p for p in REPO.glob("roles/**/*") if p.is_file()]
    files += [REPO / "README.md", *REPO.glob("playbooks/*.yml")]
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for reference in REFERENCE.findall(text):
            found.setdefault(reference.rstrip("."), set()).add(str(path.relative_to(REPO)))
    return found


def test_every_docs_reference_of_a_plugin_or_role_is_shipped(shipped):
    references = _references()
    assert references, "no docs/ reference found: the pattern is wrong"
    missing = {ref: sorted(where) for ref, where in references.items() if ref not in shipped}
    assert not missing, missing
