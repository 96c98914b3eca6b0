"""The built tarball, installed in a clean virtual environment with only what the README
asks for, runs its playbooks by collection name against the example inventory and its
simulated fleet (tests/simulator/fleets/example.yml).

The environment gets ansible-core and requirements.txt (pip), the collection from its
tarball (``ansible-galaxy collection install``), and ansible.windows from the main
environment's ``ansible`` package (Galaxy is not reachable where this is built: README,
Requirements). Nothing from the checkout is on its paths: a file the tarball lacks fails
here. The hosts are simulated (wcsim): no PowerShell runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, WcsimFleet

pytestmark = pytest.mark.slow

CORE = next(
    line.strip()
    for line in (REPO / "requirements-test.txt").read_text(encoding="utf-8").splitlines()
    if line.startswith("ansible-core==")
)
MAIN_SITE = Path(sys.executable).parent.parent / "lib"


def _clean_env() -> dict[str, str]:
    """The environment without ANSIBLE_* and PYTHONPATH: `make integration` exports the
    checkout's collection path, where ansible-galaxy would find the collection installed."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHONPATH"))}


def _run(command, **kwargs):
    kwargs.setdefault("env", _clean_env())
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout[-4000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv, collections path) with the tarball installed."""
    tmp = tmp_path_factory.mktemp("installed")
    _run([str(Path(sys.executable).parent / "ansible-galaxy"), "collection", "build",
          "--output-path", str(tmp), str(REPO)], timeout=300)  # fmt: skip
    (tarball,) = tmp.glob("trustbound-wincontainers-*.tar.gz")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", CORE,
          "-r", str(REPO / "requirements.txt")], timeout=1200)  # fmt: skip
    collections = tmp / "collections"
    _run([str(venv / "bin" / "ansible-galaxy"), "collection", "install", "--no-deps",
          "--force", "-p", str(collections), str(tarball)], timeout=300)  # fmt: skip
    bundled = sorted(MAIN_SITE.glob("python3*/site-packages/ansible_collections"))
    assert bundled, "the main environment has no ansible package (ansible.windows)"
    return venv, f"{collections}{os.pathsep}{bundled[0].parent}"


@pytest.fixture(scope="module")
def example_fleet(tmp_path_factory):
    fleet = WcsimFleet(
        REPO / "tests" / "simulator" / "fleets" / "example.yml",
        tmp_path_factory.mktemp("example") / "state",
    )
    fleet.start(reset=True)
    try:
        yield fleet
    finally:
        fleet.stop()


def _playbook(installed, fleet, name, tmp_path, *args):
    venv, collections = installed
    env = _clean_env()
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections,
        ANSIBLE_CONFIG=str(tmp_path / "none.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
        PATH=f"{venv / 'bin'}{os.pathsep}{env['PATH']}",
    )
    done = subprocess.run(
        [str(venv / "bin" / "ansible-playbook"), "-i", str(fleet.inventory),
         "-i", str(REPO / "inventories" / "example"), name, *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip
    return done, json.loads(done.stdout) if done.stdout.startswith("{") else {}


def test_the_installed_collection_is_the_tarball(installed):
    _venv, collections = installed
    root = Path(collections.split(os.pathsep)[0]) / "ansible_collections" / "trustbound"
    installed_root = root / "wincontainers"
    assert (installed_root / "MANIFEST.json").is_file()
    assert not installed_root.is_symlink()
    assert (installed_root / "docs" / "trust-model.md").is_file()


def test_site_audit_and_deploy_run_by_name(installed, example_fleet, tmp_path):
    site, data = _playbook(installed, example_fleet, "trustbound.wincontainers.site", tmp_path)
    assert site.returncode == 0, site.stdout[-6000:] + site.stderr[-2000:]
    hosts = {"ctr-acme-01.acme.example", "ctr-acme-02.acme.example", "ctr-globex-01.acme.example"}
    assert hosts <= set(data["stats"])
    assert all(data["stats"][h]["failures"] == 0 for h in hosts)
    again, data = _playbook(
        installed, example_fleet, "trustbound.wincontainers.deploy", tmp_path, "--check"
    )
    assert again.returncode == 0, again.stdout[-6000:]
    assert all(data["stats"][h]["changed"] == 0 for h in hosts), data["stats"]
    audit, _data = _playbook(installed, example_fleet, "trustbound.wincontainers.audit", tmp_path)
    assert audit.returncode == 0, audit.stdout[-6000:]
    document = json.loads((tmp_path / "reports" / "latest.json").read_text(encoding="utf-8"))
    assert document["summary"]["hosts_audited"] == 3


def test_refresh_and_patch_run_by_name_after_the_site(installed, example_fleet, tmp_path):
    hosts = {"ctr-acme-01.acme.example", "ctr-acme-02.acme.example", "ctr-globex-01.acme.example"}
    site, _data = _playbook(installed, example_fleet, "trustbound.wincontainers.site", tmp_path)
    assert site.returncode == 0, site.stdout[-6000:] + site.stderr[-2000:]
    for name in ("trustbound.wincontainers.refresh_images", "trustbound.wincontainers.patch"):
        done, data = _playbook(installed, example_fleet, name, tmp_path)
        assert done.returncode == 0, name + done.stdout[-6000:] + done.stderr[-2000:]
        assert hosts <= set(data["stats"]), name
        assert all(data["stats"][h]["failures"] == 0 for h in hosts), (name, data["stats"])
