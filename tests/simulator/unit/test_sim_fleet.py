"""Fleet file loading, persistence across loads, endpoints and wire faults."""

from __future__ import annotations

import json
import threading

import pytest

from wcsim.fleet import Fleet, FleetError
from wcsim.interface import ModuleRun
from wcsim.state import host_state_path, load_host_state


def test_fleet_file_gives_each_host_its_initial_state(sim):
    ws2016 = sim.host("ws2016").state
    assert ws2016.os.version == "10.0.14393.6709"
    assert ws2016.os.product_name == "Windows Server 2016 Datacenter"
    assert ws2016.machine.kind == "physical"
    assert ws2016.engine is None
    ready = sim.host("ws2025-ready").state
    assert ready.features == {"Containers": "Installed", "Hyper-V": "Installed"}
    assert ready.engine.service_state == "running"
    assert [c.name for c in ready.containers] == ["web"]
    assert ready.containers[0].isolation == "hyperv"  # daemon exec-opts isolation=hyperv
    assert ready.containers[0].running


def test_state_is_written_per_host_and_readable(sim):
    for name in sim.fleet.names:
        assert host_state_path(sim.state_dir, name).is_file()
    state = load_host_state(sim.state_dir, "ws2022")
    assert state.os.build == 20348
    assert [u.kb for u in state.updates] == ["KB5035857", "KB890830"]


def test_second_load_resumes_what_the_first_fleet_did(sim):
    rc, result = sim.module("ws2022", "ansible.windows.win_feature", {"name": ["Containers"]})
    assert rc == 0 and result["changed"]
    assert load_host_state(sim.state_dir, "ws2022").features == {"Containers": "InstallPending"}
    second = sim.reload()
    assert second.host("ws2022").state.features == {"Containers": "InstallPending"}
    rc, result = sim.module("ws2022", "ansible.windows.win_feature", {"name": ["Containers"]})
    assert rc == 0 and not result["changed"]


def test_credentials_ports_and_faults_come_from_the_fleet_file_every_time(sim, write_fleet):
    endpoints = {e.name: e for e in sim.fleet.endpoints()}
    assert endpoints["ws2022"].username == "Administrator"
    assert endpoints["ws2022"].password == "wcsim-Passw0rd!"
    assert endpoints["ws2022"].port == 0 and not endpoints["ws2022"].https
    sim.fleet.set_port("ws2022", 55985)
    assert {e.name: e.port for e in sim.fleet.endpoints()}["ws2022"] == 55985
    assert load_host_state(sim.state_dir, "ws2022").port == 55985


def test_wire_faults_returns_only_the_wire_keys(make_sim):
    fleet = make_sim("faults.yml").fleet
    assert fleet.wire_faults("flaky") == {"drop_connection_at_command": 5}
    assert fleet.wire_faults("never-back") == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hosts: {}\n", "no hosts"),
        (
            "hosts:\n  a: {os_version: 10.0.20348.1, colour: blue}\n",
            "host a: unknown keys ['colour']",
        ),
        ("hosts:\n  a: {os_version: 10.0.19045.1}\n", "build 19045 is not a known Server build"),
        ("hosts:\n  a: {}\n", "host a: os_version is required"),
        (
            "hosts:\n  a: {os_version: 10.0.20348.1, features: [Contaners]}\n",
            "not valid: 'Contaners'",
        ),
        (
            "hosts:\n  a: {os_version: 10.0.20348.1, faults: {explode: true}}\n",
            "host a: unknown faults ['explode']",
        ),
        (
            "hosts:\n  a: {os_version: 10.0.20348.1, features: [Containers],"
            " engine: {version: 27.3.1}, images: [nope:1]}\n",
            "image nope:1 is not in the fleet registry",
        ),
        (
            "hosts:\n  a: {os_version: 10.0.20348.1,"
            " engine: {version: 27.3.1, service: running}}\n",
            "failed to load vmcompute.dll, ensure that the Containers feature is installed",
        ),
        (
            "registry: {images: {x:1: {}}}\nhosts:\n  a: {os_version: 10.0.20348.1}\n",
            "os_version is required",
        ),
        ("oops: 1\nhosts:\n  a: {os_version: 10.0.20348.1}\n", "unknown top-level keys ['oops']"),
    ],
)
def test_bad_fleet_files_are_refused_with_the_host_and_key(write_fleet, tmp_path, text, message):
    path = write_fleet(text)
    with pytest.raises(FleetError) as err:
        Fleet.load(path, tmp_path / "state")
    assert message in str(err.value)


def test_defaults_apply_to_every_host(write_fleet, tmp_path):
    path = write_fleet(
        "defaults: {username: ops, password: pw, https: true, memory_mb: 4096}\n"
        "hosts:\n  a: {os_version: 10.0.17763.1}\n"
        "  b: {os_version: 10.0.26100.1, memory_mb: 8192}\n"
    )
    fleet = Fleet.load(path, tmp_path / "state")
    assert {(e.name, e.username, e.password, e.https) for e in fleet.endpoints()} == {
        ("a", "ops", "pw", True),
        ("b", "ops", "pw", True),
    }
    assert fleet.host("a").state.machine.memory_mb == 4096
    assert fleet.host("b").state.machine.memory_mb == 8192


def test_unknown_host_is_a_clear_error(sim):
    with pytest.raises(KeyError, match="no host 'nope' in the fleet"):
        sim.fleet.handle("nope", ModuleRun("ansible.windows.win_ping", {}))


def test_state_file_is_valid_json_after_concurrent_requests(sim):
    errors = []

    def ping():
        try:
            for _ in range(20):
                rc, _ = sim.module("ws2022", "ansible.windows.win_ping")
                assert rc == 0
        except Exception as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=ping) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    data = json.loads(host_state_path(sim.state_dir, "ws2022").read_text())
    assert data["module_runs"]["ansible.windows.win_ping"] == 80
