"""WS-Management SOAP messages of the WinRS shell, as pywinrm and ansible-core send them.

``parse_request`` reads one request envelope into a ``WsmanRequest``; the
``render_*`` functions build the reply envelopes. Only the shell resource
(``.../windows/shell/cmd``) and its six operations are understood: anything
else is a ``WsmanError`` that the server answers as a SOAP fault.
"""

from __future__ import annotations

import base64
import binascii
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

SHELL_RESOURCE_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
_SHELL_NS = NS["rsp"]
_TRANSFER_NS = NS["x"]

# Action URI -> short name. Create and Delete are WS-Transfer, the rest WinRS.
ACTIONS = {
    f"{_TRANSFER_NS}/Create": "Create",
    f"{_TRANSFER_NS}/Delete": "Delete",
    f"{_SHELL_NS}/Command": "Command",
    f"{_SHELL_NS}/Send": "Send",
    f"{_SHELL_NS}/Receive": "Receive",
    f"{_SHELL_NS}/Signal": "Signal",
}
_RESPONSE_ACTIONS = {
    "Create": f"{_TRANSFER_NS}/CreateResponse",
    "Delete": f"{_TRANSFER_NS}/DeleteResponse",
    "Command": f"{_SHELL_NS}/CommandResponse",
    "Send": f"{_SHELL_NS}/SendResponse",
    "Receive": f"{_SHELL_NS}/ReceiveResponse",
    "Signal": f"{_SHELL_NS}/SignalResponse",
}
COMMAND_STATE_DONE = f"{_SHELL_NS}/CommandState/Done"
COMMAND_STATE_RUNNING = f"{_SHELL_NS}/CommandState/Running"

# WSManFault codes (Windows error numbers as the WinRM service reports them).
FAULT_OPERATION_TIMEOUT = 2150858793  # ERROR_WSMAN_OPERATION_TIMEDOUT: the client retries Receive
FAULT_INVALID_SELECTORS = 2150858843  # unknown ShellId / CommandId
FAULT_ACTION_NOT_SUPPORTED = 2150858801  # ERROR_WSMAN_ACTION_NOT_SUPPORTED
FAULT_SCHEMA_VALIDATION = 2150858817  # ERROR_WSMAN_SCHEMA_VALIDATION_ERROR

DEFAULT_MAX_ENVELOPE_SIZE = 153600


class WsmanError(Exception):
    """A request the service rejects with a SOAP fault."""

    def __init__(self, message: str, *, code: int, subcode: str = "w:InvalidParameter") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode


@dataclass(frozen=True)
class StdinChunk:
    data: bytes
    end: bool


@dataclass(frozen=True)
class WsmanRequest:
    """One decoded request. Fields not used by an action keep their defaults."""

    action: str  # Create | Delete | Command | Send | Receive | Signal
    message_id: str
    shell_id: str | None = None
    max_envelope_size: int = DEFAULT_MAX_ENVELOPE_SIZE
    options: dict[str, str] = field(default_factory=dict)  # w:OptionSet
    command: str = ""  # Command: rsp:Command
    arguments: tuple[str, ...] = ()  # Command: every rsp:Arguments
    command_id: str | None = None  # Send / Receive / Signal
    stdin: tuple[StdinChunk, ...] = ()  # Send
    signal_code: str = ""  # Signal

    @property
    def command_line(self) -> str:
        """The command line WinRS would run: command and arguments joined by spaces."""
        return " ".join((self.command, *self.arguments)).strip()


def _q(prefix: str, local: str) -> str:
    return f"{{{NS[prefix]}}}{local}"


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def parse_request(body: bytes) -> WsmanRequest:
    """Parse one SOAP request envelope; raise ``WsmanError`` when it is not a WinRS request."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise WsmanError(
            f"the request is not well-formed XML: {exc}", code=FAULT_SCHEMA_VALIDATION
        ) from exc
    if root.tag != _q("s", "Envelope"):
        raise WsmanError(
            f"the request is not a SOAP 1.2 envelope (root element {root.tag})",
            code=FAULT_SCHEMA_VALIDATION,
        )
    header = root.find("s:Header", NS)
    body_element = root.find("s:Body", NS)
    if header is None or body_element is None:
        raise WsmanError("the envelope has no Header or no Body", code=FAULT_SCHEMA_VALIDATION)

    message_id = _text(header.find("a:MessageID", NS))
    action_uri = _text(header.find("a:Action", NS))
    resource_uri = _text(header.find("w:ResourceURI", NS))
    if not message_id:
        raise WsmanError("the request has no a:MessageID", code=FAULT_SCHEMA_VALIDATION)
    action = ACTIONS.get(action_uri)
    if action is None:
        raise WsmanError(
            f"the action {action_uri or '(none)'!r} is not supported by this WinRS endpoint",
            code=FAULT_ACTION_NOT_SUPPORTED,
            subcode="a:ActionNotSupported",
        )
    if resource_uri != SHELL_RESOURCE_URI:
        raise WsmanError(
            f"the resource URI {resource_uri or '(none)'!r} is not the WinRS cmd shell",
            code=FAULT_ACTION_NOT_SUPPORTED,
            subcode="w:DestinationUnreachable",
        )

    shell_id = None
    for selector in header.iterfind("w:SelectorSet/w:Selector", NS):
        if selector.get("Name") == "ShellId":
            shell_id = _text(selector)
    options = {
        option.get("Name", ""): _text(option)
        for option in header.iterfind("w:OptionSet/w:Option", NS)
    }
    max_envelope_size = _parse_int(
        _text(header.find("w:MaxEnvelopeSize", NS)), DEFAULT_MAX_ENVELOPE_SIZE
    )
    if action != "Create" and not shell_id:
        raise WsmanError(
            f"the {action} request names no ShellId selector",
            code=FAULT_INVALID_SELECTORS,
            subcode="w:InvalidSelectors",
        )
    common = {
        "action": action,
        "message_id": message_id,
        "shell_id": shell_id,
        "max_envelope_size": max_envelope_size,
        "options": options,
    }
    if action == "Command":
        return _parse_command(body_element, common)
    if action == "Send":
        return _parse_send(body_element, common)
    if action == "Receive":
        desired = body_element.find("rsp:Receive/rsp:DesiredStream", NS)
        return WsmanRequest(**common, command_id=_required_command_id(desired, "Receive"))
    if action == "Signal":
        signal = body_element.find("rsp:Signal", NS)
        return WsmanRequest(
            **common,
            command_id=_required_command_id(signal, "Signal"),
            signal_code=_text(signal.find("rsp:Code", NS)) if signal is not None else "",
        )
    return WsmanRequest(**common)


def _parse_int(value: str, default: int) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def _required_command_id(element: ET.Element | None, action: str) -> str:
    command_id = element.get("CommandId") if element is not None else None
    if not command_id:
        raise WsmanError(
            f"the {action} request names no CommandId",
            code=FAULT_INVALID_SELECTORS,
            subcode="w:InvalidSelectors",
        )
    return command_id


def _parse_command(body: ET.Element, common: dict) -> WsmanRequest:
    command_line = body.find("rsp:CommandLine", NS)
    if command_line is None:
        raise WsmanError("the Command request has no rsp:CommandLine", code=FAULT_SCHEMA_VALIDATION)
    command = _text(command_line.find("rsp:Command", NS))
    arguments = tuple(_text(argument) for argument in command_line.iterfind("rsp:Arguments", NS))
    if not command:
        raise WsmanError(
            "the Command request has an empty rsp:Command", code=FAULT_SCHEMA_VALIDATION
        )
    return WsmanRequest(**common, command=command, arguments=arguments)


def _parse_send(body: ET.Element, common: dict) -> WsmanRequest:
    streams = body.findall("rsp:Send/rsp:Stream", NS)
    if not streams:
        raise WsmanError("the Send request carries no rsp:Stream", code=FAULT_SCHEMA_VALIDATION)
    command_ids = {stream.get("CommandId") for stream in streams}
    if len(command_ids) != 1 or None in command_ids:
        raise WsmanError(
            "the Send request's streams must name exactly one CommandId",
            code=FAULT_INVALID_SELECTORS,
            subcode="w:InvalidSelectors",
        )
    chunks = []
    for stream in streams:
        if stream.get("Name") != "stdin":
            raise WsmanError(
                f"the Send request writes to stream {stream.get('Name')!r}; only stdin is open",
                code=FAULT_SCHEMA_VALIDATION,
            )
        try:
            data = base64.b64decode(_text(stream), validate=True)
        except binascii.Error as exc:
            raise WsmanError(
                f"the Send request's stdin is not valid base64: {exc}", code=FAULT_SCHEMA_VALIDATION
            ) from exc
        chunks.append(StdinChunk(data=data, end=stream.get("End", "").lower() == "true"))
    return WsmanRequest(**common, command_id=command_ids.pop(), stdin=tuple(chunks))


def new_id() -> str:
    """A WinRS-style identifier (upper-case GUID)."""
    return str(uuid.uuid4()).upper()


def _envelope(action_uri: str, relates_to: str) -> tuple[ET.Element, ET.Element]:
    envelope = ET.Element(
        _q("s", "Envelope"), {"{http://www.w3.org/XML/1998/namespace}lang": "en-US"}
    )
    header = ET.SubElement(envelope, _q("s", "Header"))
    ET.SubElement(header, _q("a", "Action")).text = action_uri
    ET.SubElement(header, _q("a", "MessageID")).text = f"uuid:{new_id()}"
    ET.SubElement(header, _q("a", "To")).text = ANONYMOUS
    ET.SubElement(header, _q("a", "RelatesTo")).text = relates_to
    body = ET.SubElement(envelope, _q("s", "Body"))
    return envelope, body


def _serialise(envelope: ET.Element) -> bytes:
    return ET.tostring(envelope, encoding="utf-8", xml_declaration=True)


def render_create(request: WsmanRequest, shell_id: str, address: str) -> bytes:
    envelope, body = _envelope(_RESPONSE_ACTIONS["Create"], request.message_id)
    created = ET.SubElement(body, _q("x", "ResourceCreated"))
    ET.SubElement(created, _q("a", "Address")).text = address
    reference = ET.SubElement(created, _q("a", "ReferenceParameters"))
    ET.SubElement(reference, _q("w", "ResourceURI")).text = SHELL_RESOURCE_URI
    selectors = ET.SubElement(reference, _q("w", "SelectorSet"))
    ET.SubElement(selectors, _q("w", "Selector"), {"Name": "ShellId"}).text = shell_id
    return _serialise(envelope)


def render_command(request: WsmanRequest, command_id: str) -> bytes:
    envelope, body = _envelope(_RESPONSE_ACTIONS["Command"], request.message_id)
    response = ET.SubElement(body, _q("rsp", "CommandResponse"))
    ET.SubElement(response, _q("rsp", "CommandId")).text = command_id
    return _serialise(envelope)


def render_empty(request: WsmanRequest) -> bytes:
    """The reply to Send, Signal and Delete: the action's response, related to the request."""
    envelope, body = _envelope(_RESPONSE_ACTIONS[request.action], request.message_id)
    if request.action == "Send":
        ET.SubElement(body, _q("rsp", "SendResponse"))
    elif request.action == "Signal":
        ET.SubElement(body, _q("rsp", "SignalResponse"))
    return _serialise(envelope)


def render_receive(
    request: WsmanRequest,
    stdout: bytes,
    stderr: bytes,
    *,
    exit_code: int | None,
) -> bytes:
    """A ReceiveResponse; ``exit_code`` None means the command is still running."""
    envelope, body = _envelope(_RESPONSE_ACTIONS["Receive"], request.message_id)
    response = ET.SubElement(body, _q("rsp", "ReceiveResponse"))
    command_id = request.command_id or ""
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        attributes = {"Name": name, "CommandId": command_id}
        if exit_code is not None:
            attributes["End"] = "true"
        stream = ET.SubElement(response, _q("rsp", "Stream"), attributes)
        if data:
            stream.text = base64.b64encode(data).decode("ascii")
    state = COMMAND_STATE_RUNNING if exit_code is None else COMMAND_STATE_DONE
    command_state = ET.SubElement(
        response, _q("rsp", "CommandState"), {"CommandId": command_id, "State": state}
    )
    if exit_code is not None:
        ET.SubElement(command_state, _q("rsp", "ExitCode")).text = str(exit_code)
    return _serialise(envelope)


def receive_overhead(request: WsmanRequest) -> int:
    """Bytes a ReceiveResponse takes besides its base64 stream text."""
    # Non-empty streams (an empty one renders as a shorter self-closing tag), minus their text.
    one_quantum = b"123"
    rendered = render_receive(request, one_quantum, one_quantum, exit_code=2**31 - 1)
    return len(rendered) - 2 * len(base64.b64encode(one_quantum))


def render_fault(
    message_id: str | None,
    message: str,
    *,
    code: int,
    subcode: str = "w:InvalidParameter",
    machine: str = "localhost",
) -> bytes:
    envelope, body = _envelope(
        FAULT_ACTION, message_id or "uuid:00000000-0000-0000-0000-000000000000"
    )
    fault = ET.SubElement(body, _q("s", "Fault"))
    fault_code = ET.SubElement(fault, _q("s", "Code"))
    ET.SubElement(fault_code, _q("s", "Value")).text = "s:Receiver"
    sub = ET.SubElement(fault_code, _q("s", "Subcode"))
    ET.SubElement(sub, _q("s", "Value")).text = subcode
    reason = ET.SubElement(fault, _q("s", "Reason"))
    ET.SubElement(
        reason, _q("s", "Text"), {"{http://www.w3.org/XML/1998/namespace}lang": "en-US"}
    ).text = message
    detail = ET.SubElement(fault, _q("s", "Detail"))
    wsman_fault = ET.SubElement(
        detail, _q("f", "WSManFault"), {"Code": str(code), "Machine": machine}
    )
    ET.SubElement(wsman_fault, _q("f", "Message")).text = message
    return _serialise(envelope)


def render_operation_timeout(message_id: str, machine: str = "localhost") -> bytes:
    return render_fault(
        message_id,
        "The WS-Management service cannot complete the operation within the time specified in "
        "OperationTimeout.",
        code=FAULT_OPERATION_TIMEOUT,
        subcode="w:TimedOut",
        machine=machine,
    )
