"""The Docker Engine API of each simulated host, on a unix socket: the real docker CLI's server.

``EngineApis(fleet, state_dir)`` serves one socket per host at
``<state_dir>/engines/<host>.sock`` (``socket_path``); ``DOCKER_HOST=unix://<that path>``
points any docker CLI at the host (``wcsim docker-env``). Each request runs against the
host's engine model (``host.engine``, wcsim/engine.py) under the host's lock
(``host.exclusive()``, which also saves the state), so the rules and moby-cited messages
are those the module models use. What this file adds is the wire: paths, query strings and
bodies as moby's ``api/swagger.yaml`` defines them, the HTTP status each error gets (moby
errdefs -> api/server/httpstatus), and the response bodies (``engine_json.py``).

Served (moby api/server/router/...): ``_ping`` (HEAD, GET), ``version``, ``info``,
containers create/json/inspect/start/stop/kill/rename/wait/logs (empty)/delete, images
create (pull)/json/inspect/delete, networks list/inspect/create/connect, ``auth``.

While the host is down or dockerd is not running (or listens elsewhere than the default
pipe), a connection is closed without an answer: on Windows the pipe is gone, and the CLI
fails before any request is served.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import logging
import os
import re
import socketserver
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import engine_json
from .engine import EngineError

if TYPE_CHECKING:
    from .host import Host

LOG = logging.getLogger("wcsim.engine_api")
ENGINES_DIR = "engines"
# sun_path is 108 bytes on Linux, with the terminating NUL.
_MAX_SOCKET_PATH = 107
_VERSIONED = re.compile(r"^/v(?P<version>[0-9]+\.[0-9]+)(?P<rest>/.*)$")

# moby errdefs classes by the daemon's message, as api/server/httpstatus/status.go maps them
# (NotFound 404, InvalidParameter 400, Conflict 409, Unauthorized 401, Forbidden 403,
# System 500). The engine model raises messages, not classes; these patterns name the class
# moby gives the error that message comes from (cited in engine.py).
_STATUS_PATTERNS = (
    (
        404,
        re.compile(
            r"^No such |^network \S+ not found$|^manifest for .* not found|^pull access denied"
        ),
    ),
    (409, re.compile(r"Conflict\.|^conflict: |^cannot remove container|^cannot kill container")),
    (403, re.compile(r"already exists in network")),
    (401, re.compile(r"unauthorized: authentication required$|no basic auth credentials$")),
    (
        400,
        re.compile(
            r"^invalid |^Invalid |^conflicting options|^range of CPUs|^Renaming a container"
            r"|^Error when allocating new name: Invalid|^client version "
        ),
    ),
)


def socket_path(state_dir: str | os.PathLike[str], host: str) -> Path:
    """Where a host's Engine API listens: ``<state_dir>/engines/<host>.sock``, or, when that
    is too long for a unix socket, ``<tmp>/wcsim-<hash of state_dir>/<host>.sock``."""
    root = Path(state_dir).resolve()
    path = root / ENGINES_DIR / f"{host}.sock"
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"wcsim-{digest}" / f"{host}.sock"


def docker_host(state_dir: str | os.PathLike[str], host: str) -> str:
    """The ``DOCKER_HOST`` value for one simulated host."""
    return f"unix://{socket_path(state_dir, host)}"


def status_of(message: str) -> int:
    for status, pattern in _STATUS_PATTERNS:
        if pattern.search(message):
            return status
    return 500


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Drop(Exception):
    """Close the connection without an answer (no daemon listens)."""


def _flag(query: dict[str, list[str]], name: str) -> bool:
    return (query.get(name) or ["0"])[-1].lower() in ("1", "true")


def _one(query: dict[str, list[str]], name: str, default: str = "") -> str:
    return (query.get(name) or [default])[-1]


def _ports_from(config: dict[str, Any], host_config: dict[str, Any]) -> list[str]:
    """PortBindings (and ExposedPorts without a binding) -> ``[ip:]host:container/proto``."""
    ports: list[str] = []
    bindings = host_config.get("PortBindings") or {}
    for key, entries in bindings.items():
        for entry in entries or [{}]:
            ip, host_port = entry.get("HostIp") or "", entry.get("HostPort") or ""
            if not host_port:
                ports.append(key)
            else:
                ports.append(f"{ip}:{host_port}:{key}" if ip else f"{host_port}:{key}")
    return ports


def _restart_from(policy: dict[str, Any] | None) -> str:
    name = (policy or {}).get("Name") or "no"
    count = int((policy or {}).get("MaximumRetryCount") or 0)
    return f"{name}:{count}" if count else name


def _networks_from(host_config: dict[str, Any], networking: dict[str, Any]) -> list[str] | None:
    """NetworkMode first ("default" is nat on Windows: moby daemon/network.go
    DefaultDaemonNetworkMode), then any other EndpointsConfig entries (API >= 1.44 takes
    several at create)."""
    mode = host_config.get("NetworkMode") or "default"
    first = None if mode == "default" else mode
    others = [n for n in (networking.get("EndpointsConfig") or {}) if n not in (mode, first)]
    if first is None and not others:
        return None
    return [first or "nat", *others]


class EngineApi:
    """The request handling of one host's API (no sockets: testable on its own)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    # ----------------------------------------------------------- entry --
    def handle(
        self, method: str, target: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        """One request -> (status, headers, body); raises _Drop when no daemon listens."""
        with self.host.exclusive():
            if not self.host.windows.is_up() or not self.host.engine.running:
                raise _Drop
            if not self.host.engine.listens_on_default_pipe():
                raise _Drop
            record = self.host.engine.record
            api = engine_json.api_version(record.running_version)
            out_headers = {
                # moby api/server/middleware/version.go WrapHandler
                "Server": f"Docker/{record.running_version} (windows)",
                "Api-Version": api,
                "Ostype": "windows",
            }
        split = urlsplit(target)
        path = unquote(split.path)
        query = parse_qs(split.query, keep_blank_values=True)
        match = _VERSIONED.match(path)
        try:
            if match:
                self._check_version(match.group("version"), api)
                path = match.group("rest")
            status, payload = self._route(method, path, query, headers, body)
        except ApiError as err:
            status, payload = err.status, {"message": err.message}
        except EngineError as err:
            status, payload = status_of(err.message), {"message": err.message}
        if isinstance(payload, bytes):
            return status, {**out_headers, "Content-Type": "text/plain; charset=utf-8"}, payload
        if payload is None:
            return status, out_headers, b""
        if isinstance(payload, list) and payload and isinstance(payload[0], bytes):
            data = b"".join(payload)  # a JSON message stream (pull)
        else:
            # Go writes map keys sorted (encoding/json); struct order does not matter to clients.
            data = json.dumps(payload, sort_keys=True).encode() + b"\n"
        return status, {**out_headers, "Content-Type": "application/json"}, data

    @staticmethod
    def _check_version(asked: str, api: str) -> None:
        # moby api/server/middleware/version.go versionUnsupportedError (InvalidParameter)
        wanted = engine_json.version_tuple(asked)
        if wanted < engine_json.version_tuple(engine_json.MIN_API_VERSION):
            raise ApiError(
                400,
                f"client version {asked} is too old. Minimum supported API version is "
                f"{engine_json.MIN_API_VERSION}, please upgrade your client to a newer version",
            )
        if wanted > engine_json.version_tuple(api):
            raise ApiError(
                400, f"client version {asked} is too new. Maximum supported API version is {api}"
            )

    def _route(self, method, path, query, headers, body) -> tuple[int, Any]:
        parts = [p for p in path.split("/") if p]
        if path == "/_ping":
            # moby api/server/router/system/system_routes.go pingHandler
            return 200, (b"" if method == "HEAD" else b"OK")
        if method == "GET" and path == "/version":
            return self._locked(lambda: (200, engine_json.system_version(self.host)))
        if method == "GET" and path == "/info":
            return self._locked(
                lambda: (
                    200,
                    engine_json.system_info(self.host, self.host.engine.default_isolation()),
                )
            )
        if method == "POST" and path == "/auth":
            return self._auth(body)
        if parts[:1] == ["containers"]:
            return self._containers(method, parts[1:], query, body)
        if parts[:1] == ["images"]:
            return self._images(method, path[len("/images") :], query, headers)
        if parts[:1] == ["networks"]:
            return self._networks(method, parts[1:], body)
        raise ApiError(404, "page not found")

    def _locked(self, work) -> tuple[int, Any]:
        with self.host.exclusive():
            return work()

    @staticmethod
    def _json(body: bytes) -> dict[str, Any]:
        try:
            data = json.loads(body or b"{}")
        except ValueError as err:
            raise ApiError(400, f"invalid JSON: {err}") from None
        return data if isinstance(data, dict) else {}

    # ------------------------------------------------------------ auth --
    def _auth(self, body: bytes) -> tuple[int, Any]:
        data = self._json(body)
        registry = str(data.get("serveraddress") or "https://index.docker.io/v1/")
        registry = re.sub(r"^https?://", "", registry).split("/", 1)[0]
        if registry == "index.docker.io":
            registry = "docker.io"
        engine = self.host.engine
        with self.host.exclusive():
            engine.verify_login(
                registry, str(data.get("username") or ""), str(data.get("password") or "")
            )
        return 200, {"Status": "Login Succeeded", "IdentityToken": ""}

    # ------------------------------------------------------ containers --
    def _containers(self, method, parts, query, body) -> tuple[int, Any]:
        engine = self.host.engine
        if method == "POST" and parts == ["create"]:
            return self._create(_one(query, "name"), self._json(body))
        if method == "GET" and parts == ["json"]:
            return self._locked(lambda: (200, self._list(query)))
        if not parts:
            raise ApiError(404, "page not found")
        name = parts[0]
        verb = parts[1] if len(parts) > 1 else ""
        if method == "GET" and verb == "json":
            return self._locked(
                lambda: (200, engine_json.container_inspect(self.host, engine.get(name)))
            )
        if method == "GET" and verb == "logs":
            # The engine model keeps no process output: an empty multiplexed stream (moby
            # api/server/router/container/container_routes.go getContainersLogs; the CLI
            # demultiplexes a non-TTY container's stream with stdcopy).
            return self._locked(lambda: (engine.get(name), (200, b""))[1])
        if method == "DELETE" and not verb:
            self._locked(lambda: (engine.remove(name, force=_flag(query, "force")), None))
            return 204, None
        if method != "POST":
            raise ApiError(404, "page not found")
        if verb == "start":
            self._locked(lambda: (engine.start(name), None))
            return 204, None
        if verb == "stop":
            with self.host.exclusive():
                was_running = engine.get(name).running
                engine.stop(name, timeout=float(_one(query, "t", "10") or 10))
            # moby daemon/stop.go: "container is already stopped" is NotModified (304)
            return (204 if was_running else 304), None
        if verb == "kill":
            self._locked(lambda: (engine.kill(name), None))
            return 204, None
        if verb == "rename":
            self._locked(lambda: (engine.rename(name, _one(query, "name")), None))
            return 204, None
        if verb == "wait":
            return 200, self._wait(name, _one(query, "condition") or "not-running")
        raise ApiError(404, "page not found")

    def _create(self, name: str, data: dict[str, Any]) -> tuple[int, Any]:
        host_config = data.get("HostConfig") or {}
        networking = data.get("NetworkingConfig") or {}
        engine = self.host.engine
        with self.host.exclusive():
            if not name:
                name = "wcsim_" + engine_json.object_id("name", str(self.host.now()))[:12]
            container = engine.create(
                name,
                str(data.get("Image") or ""),
                isolation=str(host_config.get("Isolation") or ""),
                user=str(data.get("User") or ""),
                command=list(data.get("Cmd") or []),
                entrypoint=list(data.get("Entrypoint") or []),
                env=list(data.get("Env") or []),
                ports=_ports_from(data, host_config),
                mounts=list(host_config.get("Binds") or []),
                networks=_networks_from(host_config, networking),
                restart_policy=_restart_from(host_config.get("RestartPolicy")),
                memory_bytes=int(host_config.get("Memory") or 0),
                cpus=int(host_config.get("NanoCpus") or 0) / 1e9,
                storage_opt=dict(host_config.get("StorageOpt") or {}),
                labels=dict(data.get("Labels") or {}),
                devices=[d.get("PathOnHost", "") for d in host_config.get("Devices") or []],
                privileged=bool(host_config.get("Privileged")),
                read_only=bool(host_config.get("ReadonlyRootfs")),
            )
            return 201, {"Id": container.id, "Warnings": []}

    def _list(self, query) -> list[dict[str, Any]]:
        engine = self.host.engine
        filters = json.loads(_one(query, "filters") or "{}")
        found = []
        for container in engine.containers(all=_flag(query, "all")):
            if self._matches(container, filters):
                found.append(engine_json.container_summary(self.host, container))
        return found

    @staticmethod
    def _matches(container, filters: dict[str, Any]) -> bool:
        """``docker ps --filter``: label, name, id, status (moby daemon/list.go)."""

        def values(key: str) -> list[str]:
            raw = filters.get(key) or []
            return list(raw) if isinstance(raw, list) else [k for k, on in raw.items() if on]

        for label in values("label"):
            key, sep, value = label.partition("=")
            if key not in container.labels or (sep and container.labels[key] != value):
                return False
        names = values("name")
        if names and not any(re.search(n, "/" + container.name) for n in names):
            return False
        ids = values("id")
        if ids and not any(container.id.startswith(i) for i in ids):
            return False
        statuses = values("status")
        return not statuses or container.state in statuses

    def _wait(self, name: str, condition: str) -> dict[str, Any]:
        """``POST /containers/{id}/wait``: blocks until the condition holds (moby
        container/state.go Wait); the simulated host's clock moves only by other requests."""
        seen_running = False
        while True:
            with self.host.exclusive():
                container = self.host.engine.find(name)
                if container is None:
                    if condition == "removed" or seen_running:
                        return {"StatusCode": 0, "Error": None}
                    raise ApiError(404, f"No such container: {name}")
                if container.running:
                    seen_running = True
                elif condition == "not-running" or (condition == "next-exit" and seen_running):
                    return {"StatusCode": container.exit_code, "Error": None}
            time.sleep(0.05)

    # ---------------------------------------------------------- images --
    def _images(self, method, rest, query, headers) -> tuple[int, Any]:
        engine = self.host.engine
        if method == "POST" and rest == "/create":
            return self._pull(query, headers)
        if method == "GET" and rest == "/json":
            return self._locked(
                lambda: (
                    200,
                    [engine_json.image_summary(self.host, i) for i in engine.images()],
                )
            )
        if method == "GET" and rest.endswith("/json"):
            ref = rest[1 : -len("/json")]

            def inspect():
                image = engine.image(ref)
                if image is None:
                    raise ApiError(404, f"No such image: {ref}")
                return 200, engine_json.image_inspect(self.host, image)

            return self._locked(inspect)
        if method == "DELETE" and rest:
            ref = rest[1:]

            def remove():
                image = engine.image(ref)
                engine.remove_image(ref)
                return 200, [{"Untagged": t} for t in image.repo_tags] + [{"Deleted": image.id}]

            return self._locked(remove)
        raise ApiError(404, "page not found")

    def _pull(self, query, headers) -> tuple[int, Any]:
        """``POST /images/create?fromImage=&tag=`` (docker/cli sends the full name and the
        tag or digest apart). Errors before any progress come back as the HTTP error (moby
        api/server/router/image/image_routes.go postImagesCreate: ``!output.Flushed()``)."""
        name, tag = _one(query, "fromImage"), _one(query, "tag")
        ref = (
            name if not tag else (f"{name}@{tag}" if tag.startswith("sha256:") else f"{name}:{tag}")
        )
        credentials = None
        auth = headers.get("x-registry-auth")
        if auth:
            with contextlib.suppress(ValueError):
                padded = auth + "=" * (-len(auth) % 4)
                given = json.loads(base64.urlsafe_b64decode(padded))
                if isinstance(given, dict) and given.get("username"):
                    credentials = {
                        "username": str(given["username"]),
                        "password": str(given.get("password") or ""),
                    }
        engine = self.host.engine
        with self.host.exclusive():
            try:
                image, changed = engine.pull(ref, credentials)
            except EngineError as err:
                version = engine_json.version_tuple(engine.record.running_version)
                if status_of(err.message) == 401 and version < (28, 2):
                    # Before docker 28.2 a registry's 401 reached the client as a generic
                    # error, a 500 (docker/cli pull request 6141, which cites moby's fix in
                    # 28.2); the CLI prompts for a login only on a 401 (docker/cli issue 6136).
                    raise ApiError(500, err.message) from None
                raise
        shown = ref.split("/", 1)[1] if ref.startswith("docker.io/") else ref
        shown = shown.removeprefix("library/")
        digest = image.repo_digests[-1].rpartition("@")[2] if image.repo_digests else ""
        lines = [
            {"status": f"Pulling from {name.removeprefix('docker.io/')}", "id": tag or "latest"},
            {"status": f"Digest: {digest}"},
            {
                "status": (
                    f"Status: Downloaded newer image for {shown}"
                    if changed
                    else f"Status: Image is up to date for {shown}"
                )
            },
        ]
        return 200, [json.dumps(line).encode() + b"\r\n" for line in lines]

    # -------------------------------------------------------- networks --
    def _networks(self, method, parts, body) -> tuple[int, Any]:
        engine = self.host.engine
        if method == "GET" and not parts:
            return self._locked(
                lambda: (
                    200,
                    [engine_json.network(self.host, n) for n in self.host.state.networks],
                )
            )
        if method == "POST" and parts == ["create"]:
            data = self._json(body)
            name = str(data.get("Name") or "")

            def create():
                if name in self.host.state.networks:
                    # moby libnetwork/error.go NetworkNameError (Conflict)
                    raise ApiError(409, f"network with name {name} already exists")
                # The engine's rules (one NAT network on Server 2016, a subnet kept with its
                # network and an overlapping one refused), as for docker network create.
                configs = (data.get("IPAM") or {}).get("Config") or []
                subnet = next(
                    (str(c["Subnet"]) for c in configs if isinstance(c, dict) and c.get("Subnet")),
                    None,
                )
                self.host.engine.create_network(
                    name, driver=str(data.get("Driver") or "nat"), subnet=subnet
                )
                return 201, {"Id": engine_json.network(self.host, name)["Id"], "Warning": ""}

            return self._locked(create)
        if not parts:
            raise ApiError(404, "page not found")

        def find() -> str:
            found = engine_json.find_network(self.host, parts[0])
            if found is None:
                raise ApiError(404, f"network {parts[0]} not found")
            return found

        if method == "GET" and len(parts) == 1:
            return self._locked(lambda: (200, engine_json.network(self.host, find())))
        if method == "POST" and parts[1:] == ["connect"]:
            data = self._json(body)
            self._locked(
                lambda: (engine.connect_network(str(data.get("Container") or ""), find()), None)
            )
            return 200, None
        raise ApiError(404, "page not found")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _UnixServer

    def log_message(self, format: str, *args: Any) -> None:
        LOG.debug("%s: " + format, self.server.api.host.name, *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self._read_chunked()
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, out_headers, data = self.server.api.handle(
                self.command, self.path, headers, body
            )
        except _Drop:
            LOG.info(
                "%s: engine API %s %s: no daemon",
                self.server.api.host.name,
                self.command,
                self.path,
            )
            self.close_connection = True
            return
        LOG.info(
            "%s: engine API %s %s -> %d", self.server.api.host.name, self.command, self.path, status
        )
        self.send_response(status)
        for key, value in out_headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD" and status not in (204, 304):
            self.wfile.write(data)

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().strip() or b"0", 16)
            if size == 0:
                self.rfile.readline()
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    do_GET = do_POST = do_DELETE = do_HEAD = do_PUT = _serve


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True

    def __init__(self, path: Path, api: EngineApi) -> None:
        self.api = api
        super().__init__(str(path), _Handler)

    def get_request(self):  # BaseHTTPRequestHandler wants a client address it can print
        request, _ = super().get_request()
        return request, ("local", 0)


class EngineApis:
    """Every host's Engine API socket of one fleet (``start``, ``stop``)."""

    def __init__(self, fleet: Any, state_dir: str | os.PathLike[str]) -> None:
        self.fleet = fleet
        self.state_dir = Path(state_dir)
        self.servers: dict[str, _UnixServer] = {}
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for name in self.fleet.names:
            path = socket_path(self.state_dir, name)
            if len(str(path)) > _MAX_SOCKET_PATH:
                # The WinRM endpoints serve on; only this host's API is missing.
                LOG.warning(
                    "host %s: no Engine API: the socket path %s is longer than %d bytes"
                    " (a unix socket's limit)",
                    name,
                    path,
                    _MAX_SOCKET_PATH,
                )
                continue
            path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
            path.unlink(missing_ok=True)
            server = _UnixServer(path, EngineApi(self.fleet.host(name)))
            self.servers[name] = server
            thread = threading.Thread(
                target=server.serve_forever, name=f"engine-api-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for name, server in self.servers.items():
            server.shutdown()
            server.server_close()
            socket_path(self.state_dir, name).unlink(missing_ok=True)
        for thread in self._threads:
            thread.join(timeout=5)
