"""One WS-Management (WinRS) endpoint per simulated host, on 127.0.0.1.

``HostService`` keeps a host's shells and commands and walks them through
Create -> Command -> Send -> Receive -> Signal -> Delete, asking the
``FleetBackend`` for the reply of each command. ``EndpointServer`` is the
threaded (bounded) HTTP(S) server in front of it: Basic authentication,
``POST /wsman`` only, and connections dropped without a reply while the host
is down, as a rebooting Windows host does.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import json
import logging
import socket
import ssl
import struct
import threading
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

from wcsim import wsman
from wcsim.counters import CounterStore
from wcsim.decode import UnrecognisedCommand, decode
from wcsim.interface import (
    ConnectionDropped,
    FleetBackend,
    HostEndpoint,
    HostUnreachable,
    ModuleRun,
    Reply,
)
from wcsim.tls import server_context

LOG = logging.getLogger("wcsim.server")
LISTEN_ADDRESS = "127.0.0.1"
DEFAULT_MAX_WORKERS = 16
IDLE_TIMEOUT_SECONDS = 120  # HTTP.sys keeps an idle connection this long
MAX_BODY_BYTES = 16 * 1024 * 1024  # clients send at most MaxEnvelopeSize (150 kB by default)

# Wire faults a host can be configured with (FleetBackend.wire_faults).
FAULT_DROP_AT_COMMAND = "drop_connection_at_command"  # int: the Nth Command is dropped
FAULT_RECEIVE_TIMEOUTS = "receive_timeouts"  # int: the first N Receives time out
FAULT_REFUSE_AUTH = "refuse_auth"  # bool: every request gets 401
KNOWN_WIRE_FAULTS = frozenset({FAULT_DROP_AT_COMMAND, FAULT_RECEIVE_TIMEOUTS, FAULT_REFUSE_AUTH})


class DropConnection(Exception):
    """Close the client's connection without any reply."""


@dataclass
class _Command:
    command_line: str
    stdin: bytearray = field(default_factory=bytearray)
    stdin_closed: bool = False
    reply: Reply | None = None
    stdout_sent: int = 0
    stderr_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class _Shell:
    commands: dict[str, _Command] = field(default_factory=dict)


class HostService:
    """The WinRS service of one simulated host."""

    def __init__(
        self,
        name: str,
        backend: FleetBackend,
        counters: CounterStore,
        address: str = "",
    ) -> None:
        self.name = name
        self.backend = backend
        self.counters = counters
        self.address = address
        self._shells: dict[str, _Shell] = {}
        self._lock = threading.Lock()
        self._commands_seen = 0  # since the service started, for drop_connection_at_command
        self._receive_faults_sent = 0

    def wire_faults(self) -> dict[str, Any]:
        faults = dict(self.backend.wire_faults(self.name) or {})
        unknown = set(faults) - KNOWN_WIRE_FAULTS
        if unknown:
            raise ValueError(
                f"host {self.name}: unknown wire faults {sorted(unknown)}; "
                f"known: {sorted(KNOWN_WIRE_FAULTS)}"
            )
        return faults

    def host_down(self) -> None:
        """The host went down: like a reboot, every shell and command is gone."""
        with self._lock:
            self._shells.clear()

    def handle(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        """Answer one request.

        Raises ``wsman.WsmanError``, ``_OperationTimeout`` or ``DropConnection``.
        """
        handler = getattr(self, f"_on_{request.action.lower()}")
        return handler(request, tally)

    def _shell(self, request: wsman.WsmanRequest) -> _Shell:
        shell = self._shells.get(request.shell_id or "")
        if shell is None:
            raise wsman.WsmanError(
                f"The request for the Windows Remote Shell with ShellId {request.shell_id} failed "
                "because the shell was not found on the server.",
                code=wsman.FAULT_INVALID_SELECTORS,
                subcode="w:InvalidSelectors",
            )
        return shell

    def _command(self, request: wsman.WsmanRequest) -> _Command:
        with self._lock:
            command = self._shell(request).commands.get(request.command_id or "")
        if command is None:
            raise wsman.WsmanError(
                f"The command with CommandId {request.command_id} was not found in shell "
                f"{request.shell_id}.",
                code=wsman.FAULT_INVALID_SELECTORS,
                subcode="w:InvalidSelectors",
            )
        return command

    def _on_create(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        shell_id = wsman.new_id()
        with self._lock:
            self._shells[shell_id] = _Shell()
        return wsman.render_create(request, shell_id, self.address)

    def _on_delete(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        with self._lock:
            self._shell(request)
            del self._shells[request.shell_id]
        return wsman.render_empty(request)

    def _on_command(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        with self._lock:
            shell = self._shell(request)
            self._commands_seen += 1
            seen = self._commands_seen
        tally["winrm_commands"] += 1
        if seen == self.wire_faults().get(FAULT_DROP_AT_COMMAND):
            LOG.info("host %s: wire fault: dropping the connection at command %d", self.name, seen)
            raise DropConnection()
        command_id = wsman.new_id()
        with self._lock:
            shell.commands[command_id] = _Command(command_line=request.command_line)
        return wsman.render_command(request, command_id)

    def _on_send(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        command = self._command(request)
        with command.lock:
            if command.stdin_closed or command.reply is not None:
                raise wsman.WsmanError(
                    f"The stdin of command {request.command_id} is already closed.",
                    code=wsman.FAULT_SCHEMA_VALIDATION,
                )
            for chunk in request.stdin:
                command.stdin.extend(chunk.data)
                command.stdin_closed = command.stdin_closed or chunk.end
        return wsman.render_empty(request)

    def _on_receive(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        command = self._command(request)
        timeouts = int(self.wire_faults().get(FAULT_RECEIVE_TIMEOUTS) or 0)
        with self._lock:
            fault = self._receive_faults_sent < timeouts
            if fault:
                self._receive_faults_sent += 1
        if fault:
            tally["receive_timeouts"] += 1
            raise _OperationTimeout()
        with command.lock:
            if command.reply is None:
                command.reply = self._run(command, tally)
            return self._next_output(request, command)

    def _on_signal(self, request: wsman.WsmanRequest, tally: Counter) -> bytes:
        with self._lock:
            shell = self._shell(request)
            shell.commands.pop(request.command_id or "", None)
        return wsman.render_empty(request)

    def _run(self, command: _Command, tally: Counter) -> Reply:
        """Decode the command and ask the host for its reply (runs once per command)."""
        try:
            decoded = decode(command.command_line, bytes(command.stdin))
        except UnrecognisedCommand as exc:
            tally["unrecognised_commands"] += 1
            LOG.warning("host %s: unrecognised command: %s", self.name, exc)
            return failure_reply(self.name, str(exc))
        if isinstance(decoded, ModuleRun):
            tally["module_runs"] += 1
            tally["module:" + decoded.module] += 1
            what = f"module {decoded.module} (check_mode={decoded.check_mode})"
        else:
            tally["raw_commands"] += 1
            what = "raw command"
        try:
            reply = self.backend.handle(self.name, decoded)
        except HostUnreachable:
            LOG.info("host %s: down while running a %s: dropping the connection", self.name, what)
            self.host_down()
            raise DropConnection() from None
        except ConnectionDropped:
            LOG.info("host %s: fault: connection dropped during a %s", self.name, what)
            raise DropConnection() from None
        except Exception as exc:  # a bug in a host model must reach the client, loudly
            LOG.error(
                "host %s: the host model failed on %s:\n%s", self.name, what, traceback.format_exc()
            )
            return failure_reply(
                self.name, f"the simulator's host model raised {type(exc).__name__}: {exc}"
            )
        LOG.info("host %s: %s -> rc %d", self.name, what, reply.rc)
        return reply

    def _next_output(self, request: wsman.WsmanRequest, command: _Command) -> bytes:
        """Send as much output as fits one envelope; the last piece carries the exit code."""
        reply = command.reply
        assert reply is not None
        stdout = reply.stdout.encode("utf-8")
        stderr = reply.stderr.encode("utf-8")
        budget = request.max_envelope_size - wsman.receive_overhead(request)
        room = max(budget // 4 * 3, 3)  # raw bytes whose base64 fits the budget
        out = stdout[command.stdout_sent : command.stdout_sent + room]
        room -= len(out)
        err = stderr[command.stderr_sent : command.stderr_sent + room] if room > 0 else b""
        command.stdout_sent += len(out)
        command.stderr_sent += len(err)
        finished = command.stdout_sent >= len(stdout) and command.stderr_sent >= len(stderr)
        return wsman.render_receive(request, out, err, exit_code=reply.rc if finished else None)


class _TooLarge(Exception):
    """The request body is larger than any WinRM client sends."""


class _OperationTimeout(Exception):
    """Answer the request with the WS-Management OperationTimeout fault."""


def failure_reply(host: str, message: str) -> Reply:
    """How the simulator says no: a failed module result naming the host, exit code 1."""
    text = f"wcsim simulated host {host}: {message}"
    return Reply(rc=1, stdout=json.dumps({"failed": True, "msg": text}), stderr=text)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    # One buffered write per reply (flushed by BaseHTTPRequestHandler) and no Nagle:
    # headers and body sent apart meet the client's delayed ACK, 40 ms per request.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: EndpointServer

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("host %s: %s", self.server.service.name, format % args)

    def do_POST(self) -> None:
        service = self.server.service
        tally: Counter = Counter(http_requests=1)
        try:
            body = self._read_body()
            tally["bytes_in"] += len(body)
            status, reply, headers = self._answer(service, body, tally)
        except _TooLarge as exc:
            status, headers, reply = 413, {}, b""
            LOG.warning("host %s: refused a %d-byte request body", service.name, exc.args[0])
        except DropConnection:
            tally["dropped_connections"] += 1
            _record(service, tally)
            self._drop()
            return
        except Exception as exc:  # a simulator bug: answer it as a fault rather than hang up
            LOG.exception("host %s: internal error", service.name)
            status, headers = 500, {}
            reply = wsman.render_fault(
                None,
                f"wcsim internal error: {type(exc).__name__}: {exc}",
                code=wsman.FAULT_SCHEMA_VALIDATION,
                machine=service.name,
            )
        tally["bytes_out"] += len(reply)
        _record(service, tally)
        self._write(status, reply, headers)

    def _answer(self, service: HostService, body: bytes, tally: Counter) -> tuple[int, bytes, dict]:
        if not service.backend.is_reachable(service.name):
            service.host_down()
            raise DropConnection()
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            return 404, b"", {}
        if service.wire_faults().get(FAULT_REFUSE_AUTH) or not self._authenticated():
            tally["auth_failures"] += 1
            return 401, b"", {"WWW-Authenticate": 'Basic realm="WSMAN"'}
        content_type = self.headers.get("Content-Type", "")
        if not content_type.lower().startswith("application/soap+xml"):
            return 415, b"", {}
        request = None
        try:
            request = wsman.parse_request(body)
            return 200, service.handle(request, tally), {}
        except _OperationTimeout:
            return 500, wsman.render_operation_timeout(request.message_id, service.name), {}
        except wsman.WsmanError as exc:
            LOG.warning("host %s: fault: %s", service.name, exc.message)
            message_id = request.message_id if request is not None else None
            fault = wsman.render_fault(
                message_id, exc.message, code=exc.code, subcode=exc.subcode, machine=service.name
            )
            return 500, fault, {}

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.close_connection = True
            raise _TooLarge(length)
        return self.rfile.read(length)

    def _authenticated(self) -> bool:
        endpoint = self.server.endpoint
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(value.strip()).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return hmac.compare_digest(
            user.encode(), endpoint.username.encode()
        ) and hmac.compare_digest(password.encode(), endpoint.password.encode())

    def _write(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        if body:
            self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Reset the connection (RST, no reply), as a host that went down does."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def _record(service: HostService, tally: Counter) -> None:
    """Persist one exchange's counts (``module:<fqcn>`` keys count a module's runs)."""
    modules = [key.removeprefix("module:") for key in tally if key.startswith("module:")]
    counts = {key: value for key, value in tally.items() if not key.startswith("module:")}
    service.counters.add(service.name, module=modules[0] if modules else None, **counts)


class EndpointServer(HTTPServer):
    """The HTTP(S) listener of one host: a bounded pool of worker threads."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self,
        endpoint: HostEndpoint,
        service: HostService,
        *,
        port: int,
        ssl_context: ssl.SSLContext | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self.endpoint = endpoint
        self.service = service
        self.ssl_context = ssl_context
        self._slots = threading.BoundedSemaphore(max_workers)
        self._pool = ThreadPoolExecutor(
            max_workers=max_workers, thread_name_prefix=f"wcsim-{endpoint.name}"
        )
        self._closing = threading.Event()
        self._serving = threading.Event()
        super().__init__((LISTEN_ADDRESS, port), _Handler)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    def process_request(self, request: socket.socket, client_address: Any) -> None:
        # Blocks the accept loop while every worker is busy: further clients wait in the backlog.
        while not self._slots.acquire(timeout=0.5):
            if self._closing.is_set():
                self.shutdown_request(request)
                return
        self._pool.submit(self._work, request, client_address)

    def _work(self, request: socket.socket, client_address: Any) -> None:
        connection = request
        try:
            if self.ssl_context is not None:
                request.settimeout(10)
                connection = self.ssl_context.wrap_socket(request, server_side=True)
            self.finish_request(connection, client_address)
        except (ssl.SSLError, ConnectionError, TimeoutError) as exc:
            LOG.debug(
                "host %s: connection from %s ended: %s", self.endpoint.name, client_address, exc
            )
        except Exception:
            LOG.exception("host %s: error serving %s", self.endpoint.name, client_address)
        finally:
            self.shutdown_request(connection)
            self._slots.release()

    def start_serving(self) -> threading.Thread:
        self._serving.set()
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"wcsim-serve-{self.endpoint.name}",
            daemon=True,
        )
        thread.start()
        return thread

    def close(self) -> None:
        self._closing.set()
        if self._serving.is_set():
            self.shutdown()  # waits for serve_forever to return: only when it was started
        self.server_close()
        self._pool.shutdown(wait=False, cancel_futures=True)


class FleetServer:
    """Every host's endpoint of one fleet, each served by its own thread."""

    def __init__(
        self,
        backend: FleetBackend,
        state_dir: Path | str,
        *,
        ports: dict[str, int] | None = None,
        max_workers: int = DEFAULT_MAX_WORKERS,
    ) -> None:
        self.backend = backend
        self.state_dir = Path(state_dir)
        self.counters = CounterStore(self.state_dir)
        self.servers: dict[str, EndpointServer] = {}
        self._threads: list[threading.Thread] = []
        self._ports = ports or {}
        self._max_workers = max_workers

    def bind(self) -> None:
        """Bind every endpoint (port 0 or a taken preferred port -> a free one)."""
        context = None
        for endpoint in self.backend.endpoints():
            if endpoint.https and context is None:
                context = server_context(self.state_dir)
            service = HostService(endpoint.name, self.backend, self.counters)
            server = self._bind_one(endpoint, service, context if endpoint.https else None)
            service.address = f"{server.scheme}://{LISTEN_ADDRESS}:{server.port}/wsman"
            self.servers[endpoint.name] = server
            set_port = getattr(self.backend, "set_port", None)
            if callable(set_port):  # the host layer records the port it got
                set_port(endpoint.name, server.port)

    def _bind_one(
        self, endpoint: HostEndpoint, service: HostService, context: ssl.SSLContext | None
    ) -> EndpointServer:
        candidates = [port for port in (endpoint.port, self._ports.get(endpoint.name)) if port]
        for port in [*candidates, 0]:
            try:
                return EndpointServer(
                    endpoint, service, port=port, ssl_context=context, max_workers=self._max_workers
                )
            except OSError as exc:
                if port == endpoint.port and endpoint.port:
                    raise OSError(
                        f"host {endpoint.name}: port {port} from the fleet file is not free: {exc}"
                    ) from exc
        raise AssertionError("binding port 0 cannot fail silently")

    def start(self) -> None:
        if not self.servers:
            self.bind()
        self._threads = [server.start_serving() for server in self.servers.values()]

    def endpoints(self) -> dict[str, dict[str, Any]]:
        return {
            name: {"address": LISTEN_ADDRESS, "port": server.port, "scheme": server.scheme}
            for name, server in self.servers.items()
        }

    def credentials(self) -> dict[str, dict[str, str]]:
        return {
            name: {"username": server.endpoint.username, "password": server.endpoint.password}
            for name, server in self.servers.items()
        }

    def stop(self) -> None:
        closers = [threading.Thread(target=server.close) for server in self.servers.values()]
        for closer in closers:
            closer.start()
        for closer in closers:
            closer.join()
        for thread in self._threads:
            thread.join(timeout=5)
