"""The pinned engine zip is downloaded once, verified always (container_host role, end to end).

Each test starts its own ``wcsim`` fleet (fleets/engine_download.yml: hosts
with the Containers feature, so provisioning is the engine step) with the
shared harness (conftest.py: ``WcsimFleet``, ``run_playbook`` with the JSON
callback), runs the real ``ansible-playbook playbooks/provision.yml`` over
WinRM, and reads what the simulated hosts keep: the cached zips
(``files``) and how often each URL was downloaded (``download_count``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FLEETS = Path(__file__).resolve().parent / "fleets"
FLEET_FILE = FLEETS / "engine_download.yml"
HOST_VARS = FLEETS / "engine_download_vars.yml"
PLAYBOOK = REPO / "playbooks" / "provision.yml"
ENGINE_TASK = "Install the pinned engine and write the hardened daemon.json"

URL_27 = "https://download.docker.com/win/static/stable/x86_64/docker-27.3.1.zip"
URL_20 = "https://download.docker.com/win/static/stable/x86_64/docker-20.10.24.zip"
SHA_27 = "7ac2f6b7a2c1b9d1b9b5f0b2a8a6d5b1f3c2e1d0a9b8c7d6e5f4a3b2c1d0e9f8"
SHA_20 = "2f1e0d9c8b7a69584736251403f2e1d0c9b8a79685746352413f2e1d0c9b8a7a"
WRONG = "0" * 61 + "bad"
CACHE = "C:\\ProgramData\\wincontainers\\downloads"
ZIP_27 = f"{CACHE}\\docker-27.3.1.zip"
ZIP_20 = f"{CACHE}\\docker-20.10.24.zip"


class Provisioning:
    """provision.yml runs against this test's fleet, and what its hosts keep."""

    def __init__(self, fleet: Any, run_playbook: Callable[..., Any]) -> None:
        self.fleet = fleet
        self._run_playbook = run_playbook

    def play(self, limit: str, extra: dict[str, Any] | None = None) -> Any:
        return self._run_playbook(
            PLAYBOOK, "-i", str(HOST_VARS), "--limit", limit,
            extra_vars=extra, inventory=self.fleet.inventory,
        )  # fmt: skip

    def state(self, host: str) -> dict[str, Any]:
        return self.fleet.host_state(host)

    def cache(self, host: str) -> dict[str, Any]:
        """The host's files but the host lock, which every engine change opens and empties."""
        files = self.state(host)["files"]
        lock = next((f for p, f in files.items() if p.lower().endswith("host.lock")), None)
        assert lock is None or lock["content"] == "", lock  # a normal end empties the record
        return {p: f for p, f in files.items() if not p.lower().endswith("host.lock")}

    def edit_state(self, host: str, change: Callable[[dict[str, Any]], None]) -> None:
        """Change a host's state file while the fleet is stopped (files, engine, ...)."""
        self.fleet.stop()
        path = self.fleet.state_dir / "hosts" / f"{host}.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")
        self.fleet.start(reset=False)


def engine_result(run: Any, host: str) -> dict[str, Any]:
    """The container_engine task's result for ``host``."""
    for play in run.data.get("plays", []):
        for task in play["tasks"]:
            if task["task"]["name"].endswith(ENGINE_TASK) and host in task["hosts"]:
                return task["hosts"][host]
    raise AssertionError(f"no container_engine result for {host}:\n{run.output}")


@pytest.fixture
def provisioning(sim_fleet, run_playbook, tmp_path: Path) -> Iterator[Provisioning]:
    # The shared harness's fleet driver (conftest.WcsimFleet) on this test's fleet file.
    fleet = type(sim_fleet)(FLEET_FILE, tmp_path / "state")
    fleet.start(reset=True)
    try:
        yield Provisioning(fleet, run_playbook)
    finally:
        fleet.stop()


def test_first_provisioning_downloads_once_and_a_rerun_downloads_nothing(provisioning):
    first = provisioning.play("fresh,corrupt")
    assert first.rc == 0, first.output
    for host in ("fresh", "corrupt"):
        download = engine_result(first, host)["download"]
        assert download == {"path": ZIP_27, "url": URL_27, "checksum": SHA_27, "reused": False}
        state = provisioning.state(host)
        assert state["download_count"] == {URL_27: 1}, host
        assert state["files"][ZIP_27]["sha256"] == SHA_27, host  # the corrupt zip replaced
        assert list(provisioning.cache(host)) == [ZIP_27], host  # no .partial left behind
        assert state["engine"]["version"] == "27.3.1"
        assert state["engine"]["service_state"] == "running"

    second = provisioning.play("fresh,corrupt")
    assert second.rc == 0, second.output
    assert second.stats["fresh"]["changed"] == 0 and second.stats["corrupt"]["changed"] == 0
    for host in ("fresh", "corrupt"):
        assert provisioning.state(host)["download_count"] == {URL_27: 1}, host


def test_reinstalls_reuse_the_cache_and_a_corrupt_cache_is_downloaded_again(provisioning):
    assert provisioning.play("fresh").rc == 0

    # Another pin and back: the 20.10 zip is downloaded, the 27.3 one comes from the cache.
    other = provisioning.play("fresh", {"container_host_engine_version": "20.10.24"})
    assert other.rc == 0, other.output
    assert engine_result(other, "fresh")["download"]["reused"] is False
    assert provisioning.state("fresh")["engine"]["version"] == "20.10.24"
    back = provisioning.play("fresh")
    assert back.rc == 0, back.output
    assert engine_result(back, "fresh")["download"]["reused"] is True
    state = provisioning.state("fresh")
    assert state["engine"]["version"] == "27.3.1"
    assert state["download_count"] == {URL_27: 1, URL_20: 1}
    assert {path: f["sha256"] for path, f in provisioning.cache("fresh").items()} == {
        ZIP_27: SHA_27,
        ZIP_20: SHA_20,
    }

    # The engine removed (binaries, service, daemon.json): reinstalled from the cache.
    provisioning.edit_state("fresh", lambda data: data.update(engine=None))
    removed = provisioning.play("fresh")
    assert removed.rc == 0, removed.output
    assert engine_result(removed, "fresh")["download"]["reused"] is True
    state = provisioning.state("fresh")
    assert state["engine"]["service_state"] == "running"
    assert state["download_count"] == {URL_27: 1, URL_20: 1}

    # The cached zip corrupted on disk, the engine removed: downloaded again, verified.
    def corrupt(data: dict[str, Any]) -> None:
        data["files"][ZIP_27].update(sha256="e" * 64, size=512)
        data["engine"] = None

    provisioning.edit_state("fresh", corrupt)
    again = provisioning.play("fresh")
    assert again.rc == 0, again.output
    assert engine_result(again, "fresh")["download"]["reused"] is False
    state = provisioning.state("fresh")
    assert state["download_count"] == {URL_27: 2, URL_20: 1}
    assert state["files"][ZIP_27]["sha256"] == SHA_27
    assert state["engine"]["version"] == "27.3.1"


def test_checksum_mismatch_fails_before_anything_is_installed(provisioning):
    before = provisioning.state("mismatch")
    play = provisioning.play("mismatch")
    assert play.rc != 0
    assert play.stats["mismatch"]["failures"] == 1, play.output
    result = engine_result(play, "mismatch")
    assert result["failed"] is True
    assert result["msg"] == (
        f"The checksum for {URL_27} did not match '{WRONG}', it was '{SHA_27}'"
    )
    state = provisioning.state("mismatch")
    assert state["engine"] is None  # nothing unpacked, no service, no daemon.json
    assert provisioning.cache("mismatch") == {}  # the download was discarded
    assert state["download_count"] == {URL_27: 1}
    for key in ("features", "images", "containers", "power"):
        assert state[key] == before[key], key

    # With the right checksum the next run downloads again and converges.
    fixed = provisioning.play("mismatch", {"container_host_engine_checksums": {"27.3.1": SHA_27}})
    assert fixed.rc == 0, fixed.output
    state = provisioning.state("mismatch")
    assert state["download_count"] == {URL_27: 2}
    assert state["engine"]["service_state"] == "running"
