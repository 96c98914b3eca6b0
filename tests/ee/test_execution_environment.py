"""The execution-environment metadata, read by ansible-builder itself (no image is built here).

- ``ansible-builder introspect`` over a collections path holding only this
  collection must list every Python and system dependency of
  meta/ee-requirements.txt and meta/ee-bindep.txt: that is what a build
  installs.
- ``ansible-builder create`` on examples/execution-environment.yml must write
  a build context whose Containerfile and galaxy requirements name the
  collection, ansible.windows, the ansible-core pin and the runner.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BUILDER = Path(sys.executable).parent / "ansible-builder"
EXAMPLE = REPO / "examples" / "execution-environment.yml"


def entries(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_meta_names_the_dependency_files():
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 1
    assert meta["dependencies"] == {
        "python": "meta/ee-requirements.txt",
        "system": "meta/ee-bindep.txt",
    }
    python = entries(REPO / "meta" / "ee-requirements.txt")
    assert any(p.startswith("pywinrm[kerberos,credssp]") for p in python)
    assert any(p.startswith("pypsrp[kerberos,credssp]") for p in python)
    system = entries(REPO / "meta" / "ee-bindep.txt")
    assert "krb5-workstation [platform:rpm]" in system
    assert "krb5-user [platform:dpkg]" in system


def test_builder_introspection_finds_every_dependency(tmp_path):
    collections = tmp_path / "collections" / "ansible_collections" / "trustbound"
    collections.mkdir(parents=True)
    (collections / "wincontainers").symlink_to(REPO, target_is_directory=True)
    done = subprocess.run(
        [str(BUILDER), "introspect", "--sanitize", str(tmp_path / "collections")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = yaml.safe_load(done.stdout.split("\n", 1)[1])
    python = [line.split("  #")[0] for line in found["python"]]
    system = [line.split("  #")[0] for line in found["system"]]
    assert python == entries(REPO / "meta" / "ee-requirements.txt")
    assert system == entries(REPO / "meta" / "ee-bindep.txt")
    assert all("from collection trustbound.wincontainers" in line for line in found["python"])


def test_builder_creates_the_example_context(tmp_path):
    work = tmp_path / "ee"
    work.mkdir()
    shutil.copy(EXAMPLE, work / "execution-environment.yml")
    example = yaml.safe_load(EXAMPLE.read_text())
    tarball = example["additional_build_files"][0]["src"]
    (work / tarball).write_bytes(b"")  # stands in for the built collection
    done = subprocess.run(
        [str(BUILDER), "create", "-f", "execution-environment.yml", "--context", "context"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    context = work / "context"
    containerfile = next(p for p in context.iterdir() if p.name in ("Containerfile", "Dockerfile"))
    text = containerfile.read_text()
    assert "quay.io/centos/centos:stream9" in text
    assert "ansible-core>=2.19,<2.22" in text
    assert "ansible-runner" in text
    assert "introspect" in text  # the collection's own EE metadata is read at build time
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    names = [c["name"] for c in requirements["collections"]]
    assert "ansible.windows" in names
    assert tarball in names
    assert (context / "_build" / "galaxy" / tarball).is_file()
