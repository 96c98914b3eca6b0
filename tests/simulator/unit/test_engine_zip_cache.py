"""The engine zip cache of the container_engine model: download once, verify always.

Mirrors ``Get-EngineZip`` in plugins/modules/container_engine.ps1: reuse
``<cache_dir>\\docker-<version>.zip`` when its SHA-256 is the checksum, else
download to ``<zip>.partial``, verify, move over the cached zip.
"""

from __future__ import annotations

import json
import textwrap

import pytest
from engine_args import ENGINE_HOST

from wcsim.fleet import Fleet, FleetError
from wcsim.host import HostFiles
from wcsim.host_lock import LOCK_PATH
from wcsim.interface import ModuleRun
from wcsim.state import FileState, HostState, host_state_path, load_host_state

ENGINE = "trustbound.wincontainers.container_engine"
URL_27 = "https://download.docker.com/win/static/stable/x86_64/docker-27.3.1.zip"
URL_20 = "https://download.docker.com/win/static/stable/x86_64/docker-20.10.24.zip"
SHA_27 = "1" * 64
SHA_20 = "2" * 64
CACHE = "C:\\ProgramData\\wincontainers\\downloads"
ZIP_27 = f"{CACHE}\\docker-27.3.1.zip"
ZIP_20 = f"{CACHE}\\docker-20.10.24.zip"
CONFIG = {"hosts": ["npipe://"]}
ALL_STEPS = ["install", "register_service", "write_config", "start"]

FLEET = f"""
downloads:
  {URL_27}: {{version: "27.3.1", sha256: "{SHA_27}", size: 1000}}
  {URL_20}: {{version: "20.10.24", sha256: "{SHA_20}", size: 900}}
defaults:
  os_version: "10.0.20348.2340"
  features: [Containers]
hosts:
  fresh: {{}}
  corrupt:
    files:
      '{ZIP_27}': {{content: "half a zip"}}
  cached20:
    files:
      '{ZIP_20}': {{sha256: "{SHA_20}", size: 900}}
"""


@pytest.fixture
def fleet_file(tmp_path):
    path = tmp_path / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    return path


@pytest.fixture
def fleet(fleet_file, tmp_path):
    return Fleet.load(fleet_file, tmp_path / "state")


def install(fleet, host, version="27.3.1", url=URL_27, checksum=SHA_27, *, check_mode=False,
            **extra):  # fmt: skip
    # what the controller plans: a registered engine is upgraded, not registered again
    record = fleet.host(host).engine.record
    steps = ALL_STEPS if record is None else ["install", "write_config", "restart"]
    args = {"version": version, "url": url, "checksum": checksum, "_steps": steps,
            "_daemon_config_text": json.dumps(CONFIG), **extra}  # fmt: skip
    reply = fleet.handle(
        host,
        ModuleRun(module=ENGINE, args={**args, "_engine_host": ENGINE_HOST}, check_mode=check_mode),
    )
    return reply.rc, json.loads(reply.stdout)


def state(fleet, host) -> HostState:
    return fleet.host(host).state


def cache_files(host: HostState) -> dict[str, FileState]:
    """The host's files but the host lock, which every engine change opens (and empties)."""
    return {path: f for path, f in host.files.items() if path != LOCK_PATH}


def remove_engine(fleet, host):
    fleet.host(host).engine.uninstall()


def test_first_install_downloads_once_into_the_cache(fleet):
    rc, result = install(fleet, "fresh")
    assert rc == 0, result
    assert result["download"] == {"path": ZIP_27, "url": URL_27, "checksum": SHA_27,
                                  "reused": False}  # fmt: skip
    host = state(fleet, "fresh")
    assert host.download_count == {URL_27: 1}
    assert cache_files(host) == {ZIP_27: FileState(sha256=SHA_27, size=1000, source_url=URL_27)}
    assert host.files[LOCK_PATH].content == ""  # a normal end empties the lock record
    assert host.engine.version == "27.3.1"


def test_reinstall_reuses_the_cached_zip_without_downloading(fleet):
    install(fleet, "fresh")
    remove_engine(fleet, "fresh")
    rc, result = install(fleet, "fresh")
    assert rc == 0, result
    assert result["download"]["reused"] is True
    assert state(fleet, "fresh").download_count == {URL_27: 1}
    assert result["engine"] == {"version": "27.3.1", "service_state": "running"}


def test_a_pin_change_and_back_downloads_each_zip_once(fleet):
    install(fleet, "fresh")
    rc, result = install(fleet, "fresh", "20.10.24", URL_20, SHA_20)
    assert rc == 0 and result["download"]["reused"] is False, result
    rc, result = install(fleet, "fresh")
    assert rc == 0 and result["download"]["reused"] is True, result
    assert result["engine"]["version"] == "27.3.1"
    host = state(fleet, "fresh")
    assert host.download_count == {URL_27: 1, URL_20: 1}
    assert set(cache_files(host)) == {ZIP_27, ZIP_20}


def test_a_corrupt_cached_zip_is_downloaded_again_and_replaced(fleet):
    corrupt = state(fleet, "corrupt").files[ZIP_27]
    assert corrupt.sha256 != SHA_27 and corrupt.size == len("half a zip")
    rc, result = install(fleet, "corrupt")
    assert rc == 0, result
    assert result["download"]["reused"] is False
    host = state(fleet, "corrupt")
    assert host.download_count == {URL_27: 1}
    assert cache_files(host) == {ZIP_27: FileState(sha256=SHA_27, size=1000, source_url=URL_27)}


def test_a_cached_zip_unpacks_the_engine_it_holds(fleet):
    rc, result = install(fleet, "cached20", "20.10.24", URL_20, SHA_20)
    assert rc == 0, result
    assert result["download"]["reused"] is True
    assert state(fleet, "cached20").download_count == {}
    assert result["engine"]["version"] == "20.10.24"


def test_checksum_mismatch_fails_discards_the_download_and_installs_nothing(fleet):
    wrong = "f" * 64
    rc, result = install(fleet, "fresh", checksum=wrong)
    assert rc == 1
    assert result["msg"] == f"The checksum for {URL_27} did not match '{wrong}', it was '{SHA_27}'"
    # FailJson keeps what the module put in its result before failing
    assert result["steps"] == ALL_STEPS
    assert result["download"] == {"path": ZIP_27, "url": URL_27, "checksum": wrong,
                                  "reused": False}  # fmt: skip
    host = state(fleet, "fresh")
    assert host.engine is None
    assert cache_files(host) == {}  # neither the zip nor the .partial
    assert host.download_count == {URL_27: 1}  # it was downloaded, then discarded


def test_checksum_mismatch_leaves_an_older_cached_file_as_it_was(fleet):
    before = state(fleet, "corrupt").files[ZIP_27]
    rc, result = install(fleet, "corrupt", checksum="f" * 64)
    assert rc == 1 and "did not match" in result["msg"]
    host = state(fleet, "corrupt")
    assert cache_files(host) == {ZIP_27: before}
    assert host.engine is None


def test_an_unserved_url_fails_like_invoke_webrequest_and_counts_nothing(fleet):
    url = "https://download.docker.com/win/static/stable/x86_64/docker-99.0.0.zip"
    rc, result = install(fleet, "fresh", "99.0.0", url, SHA_27)
    assert rc == 1
    assert result["msg"] == (
        f"Failed to download {url} : The remote server returned an error: (404) Not Found."
    )
    assert state(fleet, "fresh").download_count == {}
    assert cache_files(state(fleet, "fresh")) == {}


def test_a_stale_partial_file_is_overwritten_by_the_next_download(fleet):
    HostFiles(state(fleet, "fresh")).write(f"{ZIP_27}.partial", FileState(sha256="0" * 64))
    rc, result = install(fleet, "fresh")
    assert rc == 0, result
    assert set(cache_files(state(fleet, "fresh"))) == {ZIP_27}


def test_check_mode_neither_downloads_nor_reuses(fleet):
    before = state(fleet, "cached20").to_dict()
    rc, result = install(fleet, "cached20", "20.10.24", URL_20, SHA_20, check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert result["download"]["reused"] is False  # the .ps1 skips Get-EngineZip in check mode
    after = state(fleet, "cached20").to_dict()
    after.pop("module_runs"), before.pop("module_runs")
    assert after == before


def test_cache_paths_compare_without_case_and_follow_cache_dir(fleet):
    install(fleet, "fresh")
    remove_engine(fleet, "fresh")
    rc, result = install(fleet, "fresh", cache_dir=CACHE.upper() + "\\")
    assert rc == 0 and result["download"]["reused"] is True, result
    assert result["download"]["path"] == f"{CACHE.upper()}\\docker-27.3.1.zip"
    rc, result = install(fleet, "fresh", cache_dir="D:\\engine-zips")
    assert rc == 0 and result["download"]["reused"] is False, result
    assert "D:\\engine-zips\\docker-27.3.1.zip" in state(fleet, "fresh").files
    assert state(fleet, "fresh").download_count == {URL_27: 2}


def test_files_and_download_count_persist_across_a_reload(fleet, fleet_file, tmp_path):
    install(fleet, "fresh")
    reloaded = Fleet.load(fleet_file, tmp_path / "state")
    host = reloaded.host("fresh").state
    assert host.download_count == {URL_27: 1}
    assert host.files[ZIP_27].sha256 == SHA_27
    remove_engine(reloaded, "fresh")
    rc, result = install(reloaded, "fresh")
    assert rc == 0 and result["download"]["reused"] is True


def test_a_state_file_without_files_or_download_count_still_loads(fleet, tmp_path):
    path = host_state_path(tmp_path / "state", "fresh")
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["files"], data["download_count"]
    path.write_text(json.dumps(data), encoding="utf-8")
    host = load_host_state(tmp_path / "state", "fresh")
    assert cache_files(host) == {} and host.download_count == {}


def test_snapshot_keeps_files_and_drops_the_download_count(fleet):
    install(fleet, "fresh")
    snapshot = state(fleet, "fresh").snapshot()
    assert ZIP_27 in snapshot["files"]
    assert "download_count" not in snapshot


def test_host_files_replace_on_move_and_ignore_case(fleet):
    host = state(fleet, "fresh")
    files = HostFiles(host)
    files.write("C:\\A\\x.zip", FileState(sha256="a" * 64))
    files.write("c:\\a\\y.zip", FileState(sha256="b" * 64))
    files.move("C:\\A\\Y.ZIP", "c:\\a\\X.zip")
    assert host.files == {"c:\\a\\X.zip": FileState(sha256="b" * 64)}
    assert files.exists("C:\\A\\X.ZIP") and not files.exists("C:\\A\\y.zip")
    with pytest.raises(FileNotFoundError):
        files.move("C:\\A\\missing.zip", "C:\\A\\x.zip")


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        ({"sha256": "xyz"}, "sha256 'xyz' is not 64 hex digits"),
        ({"size": 3}, "give sha256 or content"),
        ({"content": "x", "mode": "ro"}, "unknown keys ['mode']"),
    ],
)
def test_bad_fleet_files_are_refused_naming_the_host(tmp_path, entry, error):
    path = tmp_path / "fleet.yml"
    config = {"hosts": {"h1": {"os_version": "10.0.20348.2340", "files": {ZIP_27: entry}}}}
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(FleetError, match="host h1: file ") as caught:
        Fleet.load(path, tmp_path / "state")
    assert error in str(caught.value)


def test_relative_fleet_file_paths_are_refused(tmp_path):
    path = tmp_path / "fleet.yml"
    config = {"hosts": {"h1": {"os_version": "10.0.20348.2340",
                               "files": {"downloads\\docker.zip": {"content": "x"}}}}}  # fmt: skip
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(FleetError, match=r"not an absolute Windows path"):
        Fleet.load(path, tmp_path / "state")
