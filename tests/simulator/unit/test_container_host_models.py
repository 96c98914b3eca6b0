"""Models of container_host_info and container_engine, driven through Fleet.handle."""

from __future__ import annotations

import json
import textwrap

import host_reads
import pytest
from engine_args import ENGINE_HOST

from wcsim.fleet import Fleet
from wcsim.interface import ModuleRun

INFO = "trustbound.wincontainers.container_host_info"
ENGINE = "trustbound.wincontainers.container_engine"
URL_27 = "https://download.docker.com/win/static/stable/x86_64/docker-27.3.1.zip"
URL_20 = "https://download.docker.com/win/static/stable/x86_64/docker-20.10.24.zip"
SHA_27 = "1" * 64
SHA_20 = "2" * 64
CONFIG = {"hosts": ["npipe://"], "log-driver": "json-file",
          "log-opts": {"max-size": "10m", "max-file": "3"}}  # fmt: skip
ALL_STEPS = ["install", "register_service", "write_config", "start"]

FLEET = f"""
downloads:
  {URL_27}: {{version: "27.3.1", sha256: "{SHA_27}"}}
  {URL_20}: {{version: "20.10.24", sha256: "{SHA_20}"}}
registry:
  images:
    mcr.microsoft.com/windows/nanoserver:ltsc2022: {{os_version: "10.0.20348.2340"}}
hosts:
  bare2022: {{os_version: "10.0.20348.2340"}}
  ready2022:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {{version: "27.3.1", daemon_config: {{hosts: ["npipe://"]}}}}
    images: [mcr.microsoft.com/windows/nanoserver:ltsc2022]
    containers:
      - name: web
        image: mcr.microsoft.com/windows/nanoserver:ltsc2022
        env: ["API_TOKEN=s3cret", "MODE=prod"]
        ports: ["8080:80/tcp"]
  ws2016: {{os_version: "10.0.14393.6709", features: [Containers]}}
  physical: {{os_version: "10.0.17763.5458", machine: physical}}
"""


@pytest.fixture
def fleet(tmp_path):
    path = tmp_path / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    return Fleet.load(path, tmp_path / "state")


def call(fleet, host, module, args=None, check_mode=False):
    if module == INFO and args is None:
        return host_reads.read(fleet, host, check_mode)
    reply = fleet.handle(host, ModuleRun(module=module, args=args or {}, check_mode=check_mode))
    return reply.rc, json.loads(reply.stdout)


def engine_args(version="27.3.1", url=URL_27, checksum=SHA_27, steps=None, config=CONFIG):
    args = {"version": version, "url": url, "checksum": checksum,
            "_steps": ALL_STEPS if steps is None else steps}  # fmt: skip
    args["_engine_host"] = ENGINE_HOST
    if "write_config" in args["_steps"]:
        args["_daemon_config_text"] = json.dumps(config)
    return args


def test_info_of_a_bare_host(fleet):
    rc, info = call(fleet, "bare2022", INFO)
    assert rc == 0
    assert info["os"] == {
        "version": "10.0.20348.2340", "build": 20348, "revision": 2340,
        "product_name": "Windows Server 2022 Datacenter", "edition_id": "ServerDatacenter",
        "installation_type": "Server Core",
    }  # fmt: skip
    assert info["features"] == {"Containers": "Available", "Hyper-V": "Available"}
    assert info["engine"]["installed"] is False and info["engine"]["kind"] == "none"
    assert info["engine"]["daemon_config"] == {}
    assert info["images"] == [] and info["containers"] == []
    assert info["machine"]["is_virtual"] is True
    assert info["machine"]["vm_monitor_mode_extensions"] is False
    assert info["changed"] is False


def test_info_of_a_ready_host_lists_images_and_containers_without_env_values(fleet):
    _rc, info = call(fleet, "ready2022", INFO)
    assert info["engine"]["version"] == "27.3.1"
    assert info["engine"]["service_state"] == "running"
    assert info["engine"]["daemon_config"] == {"hosts": ["npipe://"]}
    assert info["images"][0]["os_version"] == "10.0.20348.2340"
    (web,) = info["containers"]
    assert web["name"] == "web" and web["running"] is True
    assert web["env_names"] == ["API_TOKEN", "MODE"]
    assert "s3cret" not in json.dumps(info)
    assert web["ports"] == ["8080:80/tcp"]


def test_info_of_a_physical_host(fleet):
    _rc, info = call(fleet, "physical", INFO)
    machine = info["machine"]
    assert machine["is_virtual"] is False
    assert machine["hypervisor_present"] is False
    assert machine["vm_monitor_mode_extensions"] is True


def test_engine_install_on_a_host_with_containers(fleet):
    fleet.host("bare2022").state.features["Containers"] = "Installed"
    rc, result = call(fleet, "bare2022", ENGINE, engine_args())
    assert rc == 0, result
    assert result["steps"] == ALL_STEPS
    assert result["engine"] == {"version": "27.3.1", "service_state": "running"}
    _rc, info = call(fleet, "bare2022", INFO)
    assert info["engine"]["daemon_config"] == CONFIG


def host_state(fleet, name):
    state = fleet.host(name).state.to_dict()
    state.pop("module_runs")  # the simulator's own bookkeeping
    return state


def test_engine_check_mode_changes_nothing(fleet):
    before = host_state(fleet, "bare2022")
    rc, result = call(fleet, "bare2022", ENGINE, engine_args(), check_mode=True)
    assert rc == 0 and result["changed"] is True
    assert host_state(fleet, "bare2022") == before


def test_engine_without_containers_feature_fails_with_dockerds_message(fleet):
    rc, result = call(fleet, "bare2022", ENGINE, engine_args())
    assert rc == 1
    # dockerd reports the service running before NewDaemon's checkSystem fails.
    assert result["msg"] == (
        "The docker service started but dockerd exited during start-up: failed to start "
        "daemon: failed to load vmcompute.dll, ensure that the Containers feature is installed"
    )


def test_engine_23_on_2016_refuses_to_start(fleet):
    rc, result = call(fleet, "ws2016", ENGINE, engine_args())
    assert rc == 1
    assert "(Windows build 17763 or higher is required)" in result["msg"]
    assert fleet.host("ws2016").state.engine.service_state == "stopped"


def test_engine_20_10_runs_on_2016(fleet):
    rc, result = call(fleet, "ws2016", ENGINE, engine_args("20.10.24", URL_20, SHA_20))
    assert rc == 0, result
    assert result["engine"] == {"version": "20.10.24", "service_state": "running"}


def test_checksum_mismatch_fails_like_win_get_url_and_installs_nothing(fleet):
    rc, result = call(fleet, "ws2016", ENGINE, engine_args("20.10.24", URL_20, SHA_27))
    assert rc == 1
    assert result["msg"] == (
        f"The checksum for {URL_20} did not match '{SHA_27}', it was '{SHA_20}'"
    )
    assert fleet.host("ws2016").state.engine is None


def test_unknown_url_fails_like_invoke_webrequest(fleet):
    url = "https://download.docker.com/win/static/stable/x86_64/docker-99.0.0.zip"
    rc, result = call(fleet, "ws2016", ENGINE, engine_args("99.0.0", url, SHA_27))
    assert rc == 1
    assert "(404) Not Found" in result["msg"]


def test_restart_applies_a_new_config(fleet):
    rc, _result = call(fleet, "ready2022", ENGINE,
                       engine_args(steps=["write_config", "restart"]))  # fmt: skip
    assert rc == 0
    assert fleet.host("ready2022").state.engine.daemon_config == CONFIG
    assert fleet.host("ready2022").state.engine.service_state == "running"


def test_unknown_daemon_key_stops_the_engine_with_dockerds_message(fleet):
    args = engine_args(steps=["write_config", "restart"], config={"bogus": 1})
    rc, result = call(fleet, "ready2022", ENGINE, args)
    assert rc == 1
    assert "the following directives don't match any configuration option: bogus" in result["msg"]


def test_write_config_without_text_is_refused(fleet):
    args = engine_args(steps=["write_config"])
    del args["_daemon_config_text"]
    rc, result = call(fleet, "ready2022", ENGINE, args)
    assert rc == 1 and "_daemon_config_text is required" in result["msg"]


def test_raw_read_leaves_out_what_the_host_did_not_find_and_reads_the_lock_record(fleet):
    """The .ps1's raw shape: ``engine`` sets dockerd_version, service_status, docker_cli, ...
    only when found; ``host_lock`` is HostLock.psm1's Read-HostLockRecord ({} when free)."""
    from wcsim import host_lock
    from wcsim.state import FileState

    raw_args = {"docker_reads": [], "dockerd_version_argv": ["--version"]}
    reply = fleet.handle("bare2022", ModuleRun(module=INFO, args=raw_args, check_mode=True))
    raw = json.loads(reply.stdout)
    assert raw["host_lock"] == {}
    for key in ("dockerd_version", "service_status", "docker_cli", "daemon_json_base64"):
        assert key not in raw["engine"], raw["engine"]
    assert raw["engine"]["docker_exe"] is False
    reply = fleet.handle("ready2022", ModuleRun(module=INFO, args=raw_args, check_mode=True))
    engine = json.loads(reply.stdout)["engine"]
    assert engine["service_status"] == "Running" and engine["docker_cli"].endswith("docker.exe")

    host = fleet.host("bare2022")
    for text, expected in (
        ('{"holder": "x", "pid": 4}', {"holder": "x", "pid": 4}),
        ("{torn", {"holder": "(unreadable lock record)"}),
        ("", {}),
    ):
        host.files.write(host_lock.LOCK_PATH, FileState(sha256="", size=len(text), content=text))
        reply = fleet.handle("bare2022", ModuleRun(module=INFO, args=raw_args, check_mode=True))
        assert json.loads(reply.stdout)["host_lock"] == expected


def test_property_reads_answer_the_properties_asked_for_and_refuse_an_unmodelled_source(fleet):
    reads = [
        {"source": "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "cim": False,
         "properties": ["UBR", "NoSuchValue"]},
        {"source": "win32_processor", "cim": True, "properties": ["VMMonitorModeExtensions"]},
    ]  # fmt: skip
    args = {"docker_reads": [], "property_reads": reads}
    reply = fleet.handle("physical", ModuleRun(module=INFO, args=args, check_mode=True))
    values = json.loads(reply.stdout)["property_values"]
    assert values[reads[0]["source"]] == [{"UBR": 5458, "NoSuchValue": None}]
    assert values["win32_processor"] == [{"VMMonitorModeExtensions": True}]
    # Win32_Processor is a CIM class, not a registry key: not read as one.
    args = {"property_reads": [{**reads[1], "cim": False}]}
    reply = fleet.handle("physical", ModuleRun(module=INFO, args=args, check_mode=True))
    assert reply.rc != 0 and "not modelled" in json.loads(reply.stdout)["msg"]
