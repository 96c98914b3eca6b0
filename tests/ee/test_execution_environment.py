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

import pytest
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
    assert f"galaxy/{tarball}" in names
    assert (context / "_build" / "galaxy" / tarball).is_file()


def _copies(containerfile: str) -> dict[str, str]:
    """COPY destinations in the image -> their source in the build context."""
    copies = {}
    for line in containerfile.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            copies[words[-1].rstrip("/")] = words[-2].rstrip("/")
    return copies


def _in_context(context: Path, copies: dict[str, str], image_path: str) -> Path | None:
    """The context file an image path comes from, through the COPY lines."""
    for dest, source in sorted(copies.items(), key=lambda item: -len(item[0])):
        if image_path == dest or image_path.startswith(dest + "/"):
            return context / source / image_path[len(dest) :].lstrip("/")
    return None


def test_every_path_the_generated_containerfile_uses_exists_in_the_context(tmp_path):
    """What ``ansible-builder build`` would need, checked without a container engine: every
    COPY source is in the context, and every file the galaxy step installs (a requirement of
    type file, resolved from the step's WORKDIR) is copied there."""
    work = tmp_path / "ee"
    work.mkdir()
    shutil.copy(EXAMPLE, work / "execution-environment.yml")
    example = yaml.safe_load(EXAMPLE.read_text())
    for extra in example["additional_build_files"]:
        (work / extra["src"]).write_bytes(b"")
    done = subprocess.run(
        [str(BUILDER), "create", "-f", "execution-environment.yml", "--context", "context"],
        cwd=work,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    context = work / "context"
    text = next(p for p in context.iterdir() if p.name in ("Containerfile", "Dockerfile"))
    containerfile = text.read_text()
    copies = _copies(containerfile)
    for dest, source in copies.items():
        assert (context / source).exists(), f"COPY {source} {dest}: not in the context"
    galaxy_stage = containerfile.split("AS galaxy", 1)[1].split("FROM ", 1)[0]
    (workdir,) = [ln.split()[1] for ln in galaxy_stage.splitlines() if ln.startswith("WORKDIR")]
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    files = [c["name"] for c in requirements["collections"] if c.get("type") == "file"]
    assert files, "the example installs the collection from its tarball"
    for name in files:
        image_path = name if name.startswith("/") else f"{workdir}/{name}"
        source = _in_context(context, copies, image_path)
        assert source is not None and source.is_file(), (
            f"the galaxy step installs {image_path}, which no COPY puts there"
        )


def _engine() -> str | None:
    """podman or docker, when its engine answers (a CLI without a daemon does not count)."""
    for name in ("podman", "docker"):
        path = shutil.which(name)
        if (
            path
            and subprocess.run(
                [path, "info"], capture_output=True, check=False, timeout=30
            ).returncode
            == 0
        ):
            return path
    return None


ENGINE = _engine()


@pytest.mark.skipif(ENGINE is None, reason="needs a running container engine (podman or docker)")
def test_the_example_builds_for_real(tmp_path):
    """Where an engine exists: the collection's tarball and ansible-builder build, as the
    example's comments say (pulls the base image and the collections: needs the network)."""
    work = tmp_path / "examples"
    work.mkdir()
    shutil.copy(EXAMPLE, work / "execution-environment.yml")
    galaxy = Path(sys.executable).parent / "ansible-galaxy"
    subprocess.run(
        [str(galaxy), "collection", "build", "--output-path", str(work), str(REPO)], check=True
    )
    done = subprocess.run(
        [str(BUILDER), "build", "-f", str(work / "execution-environment.yml"),
         "-t", "wincontainers-ee-test:latest", "--container-runtime", Path(ENGINE).name],
        cwd=work, capture_output=True, text=True, check=False, timeout=3600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
