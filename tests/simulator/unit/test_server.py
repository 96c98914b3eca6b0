"""server: real pywinrm over real sockets (HTTP and HTTPS) against a fake host layer."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import winrm
from winrm.exceptions import InvalidCredentialsError, WSManFaultError
from winrm.protocol import Protocol
from wire_fakes import FakeBackend, FakeEndpoint

from wcsim import server as server_module
from wcsim import wsman
from wcsim.counters import CounterStore
from wcsim.decode import INPUT_SEPARATOR
from wcsim.interface import ModuleRun, RawCommand, Reply
from wcsim.server import FleetServer


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend(hosts=[FakeEndpoint("win1"), FakeEndpoint("win2", https=True)])


@pytest.fixture
def fleet(backend, tmp_path) -> Iterator[FleetServer]:
    server = FleetServer(backend, tmp_path, max_workers=4)
    server.start()
    yield server
    server.stop()


def url(fleet: FleetServer, host: str) -> str:
    info = fleet.endpoints()[host]
    return f"{info['scheme']}://{info['address']}:{info['port']}/wsman"


def protocol(fleet: FleetServer, host: str = "win1", password: str = "sim-Passw0rd") -> Protocol:
    return Protocol(
        url(fleet, host),
        transport="basic",
        username="simuser",
        password=password,
        server_cert_validation="ignore",
        read_timeout_sec=10,
        operation_timeout_sec=5,
    )


def encoded(script: str) -> list[str]:
    return ["-NoProfile", "-EncodedCommand", base64.b64encode(script.encode("utf-16-le")).decode()]


def module_input(module_key: str, args: dict) -> bytes:
    """The shape of ansible's exec-wrapper stdin, reduced to what the decoder reads."""
    bootstrap = {"name": "exec_wrapper", "script": "", "params": {}}
    manifest = {
        "scripts": {},
        "actions": [
            {
                "name": "module_wrapper.ps1",
                "params": {
                    "Script": module_key,
                    "Variables": [{"Name": "complex_args", "Value": args, "Scope": "Global"}],
                },
            }
        ],
    }
    return json.dumps(bootstrap).encode() + INPUT_SEPARATOR + json.dumps(manifest).encode()


def run_module(p: Protocol, stdin: bytes, chunk: int = 1000) -> tuple[bytes, bytes, int]:
    shell = p.open_shell(codepage=65001)
    command = p.run_command(shell, "powershell", encoded("bootstrap"), console_mode_stdin=False)
    for start in range(0, len(stdin), chunk):
        p.send_command_input(
            shell, command, stdin[start : start + chunk], end=start + chunk >= len(stdin)
        )
    result = p.get_command_output(shell, command)
    p.cleanup_command(shell, command)
    p.close_shell(shell)
    return result


@pytest.mark.parametrize("host", ["win1", "win2"])
def test_raw_command_round_trip_over_http_and_https(fleet, backend, host):
    session = winrm.Session(
        url(fleet, host),
        auth=("simuser", "sim-Passw0rd"),
        transport="basic",
        server_cert_validation="ignore",
    )

    result = session.run_ps("Get-Date")

    assert (result.status_code, result.std_out, result.std_err) == (0, b"ran: Get-Date\n", b"")
    assert backend.seen == [(host, RawCommand("Get-Date"))]


def test_https_endpoint_presents_the_self_signed_certificate(fleet, tmp_path):
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(url(fleet, "win2"), data=b"", timeout=5)  # validation on: refused
    assert (tmp_path / "tls" / "cert.pem").is_file()


def test_module_run_stdin_in_several_chunks_reaches_the_backend_decoded(fleet, backend):
    args = {"name": "Containers", "padding": "x" * 5000, "_ansible_check_mode": True}
    stdin = module_input(
        "ansible_collections.ansible.windows.plugins.modules.win_feature.ps1", args
    )

    stdout, _, rc = run_module(protocol(fleet), stdin)

    assert rc == 0
    assert json.loads(stdout) == {"changed": False, "module": "ansible.windows.win_feature"}
    [(host, run)] = backend.seen
    assert host == "win1"
    assert run == ModuleRun(
        module="ansible.windows.win_feature",
        args={"name": "Containers", "padding": "x" * 5000},
        check_mode=True,
        internal={"_ansible_check_mode": True},
    )


def test_large_output_is_split_over_receives_within_the_envelope_size(fleet, backend):
    big_out, big_err = "o" * 300_000, "e" * 50_000
    backend.responder = lambda host, request: Reply(rc=7, stdout=big_out, stderr=big_err)
    p = protocol(fleet)
    shell = p.open_shell()
    command = p.run_command(shell, "powershell", encoded("Write-Output big"))

    pieces = []
    done = False
    while not done:
        out, err, rc, done = p.get_command_output_raw(shell, command)
        pieces.append((out, err, rc, done))

    assert len(pieces) >= 3  # 350 kB of output does not fit one 150 kB envelope
    assert b"".join(out for out, *_ in pieces).decode() == big_out
    assert b"".join(err for _, err, *_ in pieces).decode() == big_err
    assert [rc for *_, rc, _ in pieces] == [-1] * (len(pieces) - 1) + [7]


def test_wrong_password_is_401(fleet, backend, tmp_path):
    with pytest.raises(InvalidCredentialsError):
        protocol(fleet, password="wrong").open_shell()

    assert CounterStore(tmp_path).read("win1")["auth_failures"] == 1
    assert backend.seen == []


def test_refuse_auth_fault_rejects_even_the_right_password(fleet, backend):
    backend.faults["win1"] = {"refuse_auth": True}

    with pytest.raises(InvalidCredentialsError):
        protocol(fleet).open_shell()
    protocol(fleet, "win2").open_shell()  # other hosts are unaffected


def test_a_host_that_is_down_drops_the_connection_and_forgets_its_shells(fleet, backend):
    p = protocol(fleet)
    shell = p.open_shell()
    backend.down.add("win1")

    with pytest.raises(requests.exceptions.ConnectionError):
        p.run_command(shell, "powershell", encoded("hostname"))

    backend.down.clear()
    with pytest.raises(WSManFaultError) as caught:  # the reboot lost the shell
        protocol(fleet).run_command(shell, "powershell", encoded("hostname"))
    assert caught.value.wsman_fault_code == wsman.FAULT_INVALID_SELECTORS
    assert "shell was not found" in caught.value.reason


def test_host_unreachable_from_the_backend_drops_the_receive(fleet, backend, tmp_path):
    p = protocol(fleet)
    shell = p.open_shell()
    command = p.run_command(shell, "powershell", encoded("Restart-Computer"))
    backend.down.add("win1")  # handle() raises HostUnreachable, is_reachable() says no too
    backend.is_reachable = lambda host: True  # only handle() knows the host went down

    with pytest.raises(requests.exceptions.ConnectionError):
        p.get_command_output(shell, command)
    assert CounterStore(tmp_path).read("win1")["dropped_connections"] == 1


def test_receive_timeouts_fault_is_retried_by_pywinrm(fleet, backend, tmp_path):
    backend.faults["win1"] = {"receive_timeouts": 3}
    p = protocol(fleet)
    shell = p.open_shell()
    command = p.run_command(shell, "powershell", encoded("hostname"))

    assert p.get_command_output(shell, command) == (b"ran: hostname\n", b"", 0)
    assert CounterStore(tmp_path).read("win1")["receive_timeouts"] == 3


def test_drop_connection_at_command_n_drops_only_that_command(fleet, backend):
    backend.faults["win1"] = {"drop_connection_at_command": 2}
    p = protocol(fleet)
    shell = p.open_shell()

    p.run_command(shell, "powershell", encoded("one"))
    with pytest.raises(requests.exceptions.ConnectionError):
        p.run_command(shell, "powershell", encoded("two"))
    p = protocol(fleet)
    p.run_command(shell, "powershell", encoded("three"))


def test_unknown_wire_fault_names_fail_loudly(fleet, backend):
    backend.faults["win1"] = {"drop_connection_at_comand": 1}

    with pytest.raises(WSManFaultError) as caught:
        protocol(fleet).open_shell()
    assert "unknown wire faults ['drop_connection_at_comand']" in caught.value.reason


def test_unrecognised_command_fails_with_the_decoders_message(fleet, backend, tmp_path):
    p = protocol(fleet)
    shell = p.open_shell()
    command = p.run_command(shell, "ipconfig", ["/all"])

    stdout, stderr, rc = p.get_command_output(shell, command)

    assert rc == 1
    result = json.loads(stdout)
    assert result["failed"] is True
    assert result["msg"].startswith("wcsim simulated host win1: ")
    assert "'ipconfig /all' runs something else" in result["msg"]
    assert b"runs something else" in stderr
    assert backend.seen == []
    assert CounterStore(tmp_path).read("win1")["unrecognised_commands"] == 1


def test_a_host_model_bug_reaches_the_client(fleet, backend):
    def broken(host, request):
        raise KeyError("features")

    backend.responder = broken
    stdout, _, rc = run_module(protocol(fleet), module_input("ansible.modules.x.ps1", {}))

    assert rc == 1
    assert "host model raised KeyError: 'features'" in json.loads(stdout)["msg"]


def test_counters_follow_the_exchange(fleet, tmp_path):
    p = protocol(fleet)
    stdin = module_input("ansible_collections.ansible.windows.plugins.modules.win_ping.ps1", {})
    run_module(p, stdin, chunk=len(stdin))  # Create, Command, Send, Receive, Signal, Delete
    winrm.Session(url(fleet, "win1"), auth=("simuser", "sim-Passw0rd"), transport="basic").run_ps(
        "x"
    )

    counters = CounterStore(tmp_path).read("win1")

    assert counters["http_requests"] == 6 + 5
    assert counters["winrm_commands"] == 2
    assert counters["module_runs"] == 1
    assert counters["module_runs_by_module"] == {"ansible.windows.win_ping": 1}
    assert counters["raw_commands"] == 1
    assert counters["bytes_in"] > len(stdin)
    assert counters["bytes_out"] > 0
    assert CounterStore(tmp_path).read("win2")["http_requests"] == 0


def test_counters_reset_by_another_process_while_serving(fleet, tmp_path):
    session = winrm.Session(url(fleet, "win1"), auth=("simuser", "sim-Passw0rd"), transport="basic")
    session.run_ps("x")
    CounterStore(tmp_path).reset()  # what `wcsim counters --reset` does from outside

    session.run_ps("y")

    counters = CounterStore(tmp_path).read("win1")
    assert (counters["raw_commands"], counters["http_requests"]) == (1, 5)


def test_only_post_wsman_with_soap_content_is_served(fleet):
    auth = ("simuser", "sim-Passw0rd")
    base = url(fleet, "win1")

    assert (
        requests.post(base.replace("/wsman", "/other"), auth=auth, data=b"x", timeout=5).status_code
        == 404
    )
    wrong_type = requests.post(
        base, auth=auth, data=b"x", headers={"Content-Type": "text/xml"}, timeout=5
    )
    assert wrong_type.status_code == 415


def test_an_oversized_body_is_refused_before_it_is_read(fleet, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_BODY_BYTES", 1000)
    response = requests.post(
        url(fleet, "win1"),
        auth=("simuser", "sim-Passw0rd"),
        data=b"x" * 1001,
        headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
        timeout=10,
    )

    assert response.status_code == 413


def test_malformed_soap_is_a_fault_not_a_crash(fleet):
    response = requests.post(
        url(fleet, "win1"),
        auth=("simuser", "sim-Passw0rd"),
        data=b"<nope",
        headers={"Content-Type": "application/soap+xml;charset=UTF-8"},
        timeout=5,
    )

    assert response.status_code == 500
    assert 'Code="2150858817"' in response.text


def test_concurrent_clients_beyond_the_worker_bound_are_all_served(fleet, backend):
    gate = threading.Event()

    def slow(host, request):
        gate.wait(5)
        return Reply(rc=0, stdout=request.script)

    backend.responder = slow

    def one(index: int) -> bytes:
        session = winrm.Session(
            url(fleet, "win1"), auth=("simuser", "sim-Passw0rd"), transport="basic"
        )
        return session.run_ps(f"job {index}").std_out

    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(one, index) for index in range(8)]  # 4 workers serve 8 clients
        gate.set()
        results = sorted(future.result(timeout=30) for future in futures)

    assert results == sorted(f"job {index}".encode() for index in range(8))


def test_ports_are_reported_to_the_backend_and_preferred_ports_reused(backend, tmp_path):
    first = FleetServer(backend, tmp_path)
    first.bind()
    ports = {name: info["port"] for name, info in first.endpoints().items()}
    first.stop()

    second = FleetServer(backend, tmp_path, ports=ports)
    second.bind()
    try:
        assert {name: info["port"] for name, info in second.endpoints().items()} == ports
        assert backend.bound_ports == ports
    finally:
        second.stop()


def test_a_fixed_port_that_is_taken_is_an_error_naming_the_host(backend, tmp_path):
    first = FleetServer(backend, tmp_path)
    first.bind()
    try:
        taken = first.endpoints()["win1"]["port"]
        clash = FakeBackend(hosts=[FakeEndpoint("win9", port=taken)])
        with pytest.raises(
            OSError, match=f"host win9: port {taken} from the fleet file is not free"
        ):
            FleetServer(clash, tmp_path).bind()
    finally:
        first.stop()


def test_send_after_end_of_stdin_is_refused(fleet):
    p = protocol(fleet)
    shell = p.open_shell()
    command = p.run_command(shell, "powershell", encoded("x"), console_mode_stdin=False)
    p.send_command_input(shell, command, b"a", end=True)

    with pytest.raises(WSManFaultError, match="already closed"):
        p.send_command_input(shell, command, b"b", end=True)
