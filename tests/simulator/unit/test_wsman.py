"""wsman: requests as pywinrm and ansible-core build them, replies as pywinrm reads them.

No network: pywinrm's ``Protocol.send_message`` is replaced by a function
that parses the request with ``wsman.parse_request`` and answers with the
``wsman.render_*`` reply, so both directions are checked against the real
client code.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

import pytest
from ansible.plugins.connection.winrm import Connection as AnsibleWinrm
from winrm.exceptions import WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError
from winrm.protocol import Protocol

from wcsim import wsman


class Loopback:
    """Stands in for the transport: every request is parsed, the reply rendered."""

    def __init__(self, protocol: Protocol) -> None:
        self.requests: list[wsman.WsmanRequest] = []
        self.replies: list = []  # callables request -> bytes, used in order
        protocol.send_message = self.send

    def send(self, message: str) -> bytes:
        request = wsman.parse_request(message.encode("utf-8"))
        self.requests.append(request)
        return self.replies.pop(0)(request)


@pytest.fixture
def loop() -> tuple[Protocol, Loopback]:
    protocol = Protocol(
        "http://127.0.0.1:5985/wsman", transport="basic", username="u", password="p"
    )
    return protocol, Loopback(protocol)


def test_create_reply_gives_pywinrm_the_shell_id(loop):
    protocol, loopback = loop
    loopback.replies.append(lambda r: wsman.render_create(r, "SHELL-1", "http://x/wsman"))

    assert protocol.open_shell(codepage=65001) == "SHELL-1"
    request = loopback.requests[0]
    assert request.action == "Create"
    assert request.shell_id is None
    assert request.options["WINRS_CODEPAGE"] == "65001"
    assert request.message_id.startswith("uuid:")


def test_command_joins_command_and_arguments_and_pywinrm_reads_the_command_id(loop):
    protocol, loopback = loop
    loopback.replies.append(lambda r: wsman.render_command(r, "CMD-7"))

    command_id = protocol.run_command(
        "SHELL-1", "powershell", ["-NoProfile", "-EncodedCommand", "QQA="]
    )

    assert command_id == "CMD-7"
    request = loopback.requests[0]
    assert (request.action, request.shell_id) == ("Command", "SHELL-1")
    assert request.command == "powershell"
    assert request.command_line == "powershell -NoProfile -EncodedCommand QQA="


def test_send_from_pywinrm_carries_stdin_and_end_flag(loop):
    protocol, loopback = loop
    loopback.replies += [wsman.render_empty, wsman.render_empty]

    protocol.send_command_input("SHELL-1", "CMD-7", b"first\n", end=False)
    protocol.send_command_input("SHELL-1", "CMD-7", b"\0last", end=True)

    first, last = loopback.requests
    assert first.command_id == "CMD-7"
    assert first.stdin == (wsman.StdinChunk(b"first\n", end=False),)
    assert last.stdin == (wsman.StdinChunk(b"\0last", end=True),)


def test_send_as_ansible_builds_it_without_end_attribute_is_not_the_end(loop):
    protocol, loopback = loop
    loopback.replies += [wsman.render_empty, wsman.render_empty]

    AnsibleWinrm._winrm_send_input(None, protocol, "SHELL-1", "CMD-7", b"chunk", eof=False)
    AnsibleWinrm._winrm_send_input(None, protocol, "SHELL-1", "CMD-7", b"tail", eof=True)

    assert [r.stdin for r in loopback.requests] == [
        (wsman.StdinChunk(b"chunk", end=False),),
        (wsman.StdinChunk(b"tail", end=True),),
    ]


def test_receive_running_then_done_as_pywinrm_reads_it(loop):
    protocol, loopback = loop
    loopback.replies += [
        lambda r: wsman.render_receive(r, b"part one ", b"", exit_code=None),
        lambda r: wsman.render_receive(r, b"part two", "warning \u00e9".encode(), exit_code=0),
    ]

    stdout, stderr, rc, done = protocol.get_command_output_raw("SHELL-1", "CMD-7")
    assert (stdout, stderr, rc, done) == (b"part one ", b"", -1, False)
    stdout, stderr, rc, done = protocol.get_command_output_raw("SHELL-1", "CMD-7")
    assert (stdout, stderr.decode(), rc, done) == (b"part two", "warning \u00e9", 0, True)
    assert loopback.requests[0].command_id == "CMD-7"


def test_receive_exit_code_reaches_ansibles_own_reader(loop):
    protocol, loopback = loop
    loopback.replies.append(lambda r: wsman.render_receive(r, b"{}", b"boom", exit_code=3))

    result = AnsibleWinrm._winrm_get_raw_command_output(None, protocol, "SHELL-1", "CMD-7")

    assert result == (b"{}", b"boom", 3, True)


def test_signal_and_delete_replies_relate_to_the_request(loop):
    protocol, loopback = loop
    loopback.replies += [wsman.render_empty, wsman.render_empty]

    protocol.cleanup_command("SHELL-1", "CMD-7")  # asserts RelatesTo == its MessageID
    protocol.close_shell("SHELL-1", close_session=False)

    signal, delete = loopback.requests
    assert signal.action == "Signal"
    assert signal.command_id == "CMD-7"
    assert signal.signal_code.endswith("/signal/terminate")
    assert delete.action == "Delete"
    assert delete.shell_id == "SHELL-1"


def test_a_reply_relating_to_another_message_fails_pywinrm(loop):
    protocol, loopback = loop
    loopback.replies.append(
        lambda r: wsman.render_empty(
            wsman.WsmanRequest(
                action="Signal", message_id="uuid:00000000-0000-0000-0000-000000000001"
            )
        )
    )

    with pytest.raises(AssertionError):
        protocol.cleanup_command("SHELL-1", "CMD-7")


def _as_transport_error(body: bytes):
    def raise_it(message: str) -> bytes:
        raise WinRMTransportError("http", 500, body.decode())

    return raise_it


def test_operation_timeout_fault_is_what_pywinrm_retries():
    protocol = Protocol(
        "http://127.0.0.1:5985/wsman", transport="basic", username="u", password="p"
    )
    fault = wsman.render_operation_timeout("uuid:1", machine="win1")
    protocol.transport.send_message = _as_transport_error(fault)

    with pytest.raises(WinRMOperationTimeoutError):
        protocol.send_message("<x/>")


def test_other_faults_reach_pywinrm_with_code_and_reason():
    protocol = Protocol(
        "http://127.0.0.1:5985/wsman", transport="basic", username="u", password="p"
    )
    fault = wsman.render_fault(
        "uuid:1",
        "shell not found",
        code=wsman.FAULT_INVALID_SELECTORS,
        subcode="w:InvalidSelectors",
    )
    protocol.transport.send_message = _as_transport_error(fault)

    with pytest.raises(WSManFaultError) as caught:
        protocol.send_message("<x/>")

    assert caught.value.wsman_fault_code == wsman.FAULT_INVALID_SELECTORS
    assert caught.value.reason == "shell not found"
    assert caught.value.fault_subcode == "w:InvalidSelectors"


def test_reply_namespaces_are_the_soap_and_shell_ones():
    request = wsman.WsmanRequest(action="Receive", message_id="uuid:1", command_id="C")
    root = ET.fromstring(wsman.render_receive(request, b"a", b"", exit_code=0))

    assert root.tag == "{http://www.w3.org/2003/05/soap-envelope}Envelope"
    streams = root.findall(".//rsp:Stream", wsman.NS)
    assert [s.get("Name") for s in streams] == ["stdout", "stderr"]
    assert base64.b64decode(streams[0].text) == b"a"
    state = root.find(".//rsp:CommandState", wsman.NS)
    assert state.get("State") == wsman.COMMAND_STATE_DONE
    assert root.find(".//a:RelatesTo", wsman.NS).text == "uuid:1"


def _envelope(
    action: str, resource: str = wsman.SHELL_RESOURCE_URI, body: str = "", selector: bool = True
):
    selectors = (
        '<w:SelectorSet><w:Selector Name="ShellId">S</w:Selector></w:SelectorSet>'
        if selector
        else ""
    )
    return (
        f'<s:Envelope xmlns:s="{wsman.NS["s"]}" xmlns:a="{wsman.NS["a"]}" '
        f'xmlns:w="{wsman.NS["w"]}" '
        f'xmlns:rsp="{wsman.NS["rsp"]}"><s:Header><a:MessageID>uuid:1</a:MessageID>'
        f"<a:Action>{action}</a:Action><w:ResourceURI>{resource}</w:ResourceURI>{selectors}"
        f"</s:Header><s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


SEND = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
RECEIVE = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (b"not xml", wsman.FAULT_SCHEMA_VALIDATION, "not well-formed"),
        (b"<Envelope/>", wsman.FAULT_SCHEMA_VALIDATION, "not a SOAP 1.2 envelope"),
        (
            _envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"),
            wsman.FAULT_ACTION_NOT_SUPPORTED,
            "Enumerate",
        ),
        (
            _envelope(
                SEND, resource="http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
            ),
            wsman.FAULT_ACTION_NOT_SUPPORTED,
            "not the WinRS cmd shell",
        ),
        (_envelope(RECEIVE, selector=False), wsman.FAULT_INVALID_SELECTORS, "no ShellId"),
        (_envelope(RECEIVE, body="<rsp:Receive/>"), wsman.FAULT_INVALID_SELECTORS, "no CommandId"),
        (
            _envelope(
                SEND,
                body='<rsp:Send><rsp:Stream Name="stdin" CommandId="C">@@@</rsp:Stream></rsp:Send>',
            ),
            wsman.FAULT_SCHEMA_VALIDATION,
            "not valid base64",
        ),
        (
            _envelope(
                SEND,
                body='<rsp:Send><rsp:Stream Name="pr" CommandId="C">QQ==</rsp:Stream></rsp:Send>',
            ),
            wsman.FAULT_SCHEMA_VALIDATION,
            "only stdin",
        ),
    ],
)
def test_requests_outside_winrs_are_refused_with_a_fault(body, code, words):
    with pytest.raises(wsman.WsmanError) as caught:
        wsman.parse_request(body)

    assert caught.value.code == code
    assert words in caught.value.message


def test_receive_overhead_leaves_room_for_the_streams():
    request = wsman.WsmanRequest(action="Receive", message_id="uuid:1", command_id="C" * 36)
    overhead = wsman.receive_overhead(request)
    payload = b"x" * 3000

    rendered = wsman.render_receive(request, payload, b"", exit_code=0)

    assert len(rendered) <= overhead + len(base64.b64encode(payload))
