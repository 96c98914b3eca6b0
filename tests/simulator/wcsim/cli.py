"""``wcsim``: run a simulated fleet of Windows Server container hosts speaking WinRM.

    wcsim serve     --fleet F --state-dir D [--reset]   foreground
    wcsim start     --fleet F --state-dir D [--reset]   background, returns once listening
    wcsim stop      --state-dir D
    wcsim status    --state-dir D
    wcsim inventory --state-dir D [--group G]
    wcsim counters  --state-dir D [--reset]
    wcsim publish   --state-dir D IMAGE OS_VERSION     move a registry tag (fleet file's 'later')
    wcsim docker-env --state-dir D HOST                the DOCKER_HOST line of a host's Engine API

Files in the state directory: ``wcsim.pid``, ``endpoints.json``
({host: {address, port, scheme}}), ``credentials.json`` (mode 0600),
``wcsim.log`` (background runs), ``counters/<host>.json``, ``tls/``,
``engines/<host>.sock`` (each host's Docker Engine API, wcsim/engine_api.py) and the
host layer's state.
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import yaml

from wcsim.counters import CounterStore

PID_FILE = "wcsim.pid"
ENDPOINTS_FILE = "endpoints.json"
CREDENTIALS_FILE = "credentials.json"
LOG_FILE = "wcsim.log"
HOST_STATE_DIR = "hosts"
DEFAULT_GROUP = "windows"


class CliError(Exception):
    """A failure reported to the user as one line, exit code 1."""


# ---------------------------------------------------------------- state files


def _write_json(path: Path, data: Any, mode: int = 0o644) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, sort_keys=True)
        handle.write("\n")
    os.replace(temporary, path)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def read_pid(state_dir: Path) -> int | None:
    try:
        return int((state_dir / PID_FILE).read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return None


def is_wcsim_process(pid: int) -> bool:
    """True while ``pid`` is a live (not zombie) wcsim server process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False
    state = stat.rsplit(")", 1)[-1].split()[0]
    # `python -m wcsim serve ...` or the `wcsim serve ...` console script
    is_wcsim = any(part == b"wcsim" or part.endswith(b"/wcsim") for part in cmdline)
    return state not in ("Z", "X") and is_wcsim and b"serve" in cmdline


def running_pid(state_dir: Path) -> int | None:
    pid = read_pid(state_dir)
    return pid if pid is not None and is_wcsim_process(pid) else None


def read_endpoints(state_dir: Path) -> dict[str, dict[str, Any]]:
    endpoints = _read_json(state_dir / ENDPOINTS_FILE)
    if not endpoints:
        raise CliError(
            f"no {ENDPOINTS_FILE} in {state_dir}: start the fleet first "
            f"(wcsim start --fleet FILE --state-dir {state_dir})"
        )
    return endpoints


def accepts_connections(address: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- fleet loading


def load_fleet(fleet_file: Path, state_dir: Path, *, reset: bool) -> Any:
    """Load the host layer's fleet; ``reset`` starts again from the fleet file."""
    from wcsim.fleet import Fleet  # the host layer

    if not fleet_file.is_file():
        raise CliError(f"fleet file {fleet_file} does not exist")
    state_dir.mkdir(parents=True, exist_ok=True)
    if reset:
        from wcsim import published

        published.reset(state_dir)
    load = Fleet.load
    if "reset" in inspect.signature(load).parameters:
        return load(fleet_file, state_dir, reset=reset)
    if reset:
        shutil.rmtree(state_dir / HOST_STATE_DIR, ignore_errors=True)
    return load(fleet_file, state_dir)


# ---------------------------------------------------------------- commands


def cmd_serve(args: argparse.Namespace) -> int:
    from wcsim.server import FleetServer

    state_dir = Path(args.state_dir).resolve()
    other = running_pid(state_dir)
    if other is not None and other != os.getpid():
        raise CliError(f"a wcsim fleet already runs on {state_dir} (pid {other})")
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        fleet = load_fleet(Path(args.fleet).resolve(), state_dir, reset=args.reset)
    except (ValueError, OSError, yaml.YAMLError) as exc:  # FleetError is a ValueError
        raise CliError(f"cannot load the fleet {args.fleet}: {exc}") from exc
    counters = CounterStore(state_dir)
    if args.reset:
        counters.reset()
    previous = {} if args.reset else (_read_json(state_dir / ENDPOINTS_FILE) or {})
    server = FleetServer(
        fleet,
        state_dir,
        ports={name: info.get("port", 0) for name, info in previous.items()},
        max_workers=args.max_workers,
    )
    try:
        server.bind()
    except OSError as exc:
        raise CliError(str(exc)) from exc
    engine_apis = _engine_apis(fleet, state_dir)
    counters.reset([name for name in server.servers if not counters.path(name).exists()])

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server.start()
    _write_json(state_dir / CREDENTIALS_FILE, server.credentials(), mode=0o600)
    _write_json(state_dir / ENDPOINTS_FILE, server.endpoints())
    (state_dir / PID_FILE).write_text(f"{os.getpid()}\n", encoding="utf-8")
    for name, info in server.endpoints().items():
        logging.getLogger("wcsim").info(
            "host %s listens on %s://%s:%d/wsman",
            name,
            info["scheme"],
            info["address"],
            info["port"],
        )
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
        if engine_apis is not None:
            engine_apis.stop()
        if read_pid(state_dir) == os.getpid():
            (state_dir / PID_FILE).unlink(missing_ok=True)
    return 0


def _engine_apis(fleet: Any, state_dir: Path) -> Any:
    """Each host's Docker Engine API on its unix socket (a host layer without one: None)."""
    if not hasattr(fleet, "host"):
        return None
    from wcsim.engine_api import EngineApis

    apis = EngineApis(fleet, state_dir)
    try:
        apis.start()
    except OSError as exc:
        apis.stop()
        raise CliError(str(exc)) from exc
    return apis


def cmd_start(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    state_dir.mkdir(parents=True, exist_ok=True)
    pid = running_pid(state_dir)
    if pid is not None:
        raise CliError(f"a wcsim fleet already runs on {state_dir} (pid {pid}); wcsim stop first")
    (state_dir / PID_FILE).unlink(missing_ok=True)
    command = [
        sys.executable,
        "-m",
        "wcsim",
        "serve",
        "--fleet",
        str(Path(args.fleet).resolve()),
        "--state-dir",
        str(state_dir),
        "--log-level",
        args.log_level,
        "--max-workers",
        str(args.max_workers),
    ]
    if args.reset:
        command.append("--reset")
    log_path = state_dir / LOG_FILE
    with open(log_path, "ab") as log, open(os.devnull, "rb") as devnull:
        child = subprocess.Popen(
            command, stdin=devnull, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise CliError(
                f"wcsim serve exited with code {child.returncode} before listening:\n"
                + _tail(log_path)
            )
        if read_pid(state_dir) == child.pid:
            endpoints = read_endpoints(state_dir)
            if all(accepts_connections(e["address"], e["port"]) for e in endpoints.values()):
                for name, info in sorted(endpoints.items()):
                    print(f"{name}: {info['scheme']}://{info['address']}:{info['port']}/wsman")
                print(f"wcsim fleet running (pid {child.pid}), state in {state_dir}")
                return 0
        time.sleep(0.05)
    _terminate(child.pid, timeout=5)
    raise CliError(f"wcsim serve did not listen within {args.timeout}s:\n" + _tail(log_path))


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no log)"


def _terminate(pid: int, timeout: float) -> bool:
    """SIGTERM, wait up to ``timeout``, then SIGKILL; True once the process is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_wcsim_process(pid):
            return True
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if not is_wcsim_process(pid):
            return True
        time.sleep(0.05)
    return False


def cmd_stop(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid = running_pid(state_dir)
    if pid is None:
        (state_dir / PID_FILE).unlink(missing_ok=True)
        print(f"no wcsim fleet runs on {state_dir}")
        return 0
    if not _terminate(pid, timeout=args.timeout):
        raise CliError(f"wcsim process {pid} did not exit, even after SIGKILL")
    (state_dir / PID_FILE).unlink(missing_ok=True)
    print(f"wcsim fleet stopped (pid {pid})")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    state_dir = Path(args.state_dir).resolve()
    pid = running_pid(state_dir)
    if pid is None:
        print(f"stopped: no wcsim fleet runs on {state_dir}")
        return 3
    print(f"running: pid {pid}, state in {state_dir}")
    counters = CounterStore(state_dir)
    for name, info in sorted(read_endpoints(state_dir).items()):
        listening = accepts_connections(info["address"], info["port"])
        runs = counters.read(name)["module_runs"]
        print(
            f"  {name}: {info['scheme']}://{info['address']}:{info['port']}/wsman "
            f"{'listening' if listening else 'NOT LISTENING'}, {runs} module runs"
        )
    return 0


def build_inventory(state_dir: Path, group: str) -> dict[str, Any]:
    endpoints = read_endpoints(state_dir)
    credentials = _read_json(state_dir / CREDENTIALS_FILE) or {}
    hosts = {}
    for name, info in sorted(endpoints.items()):
        creds = credentials.get(name)
        if not creds:
            raise CliError(f"no credentials for host {name} in {state_dir / CREDENTIALS_FILE}")
        hosts[name] = {
            "ansible_host": info["address"],
            "ansible_port": info["port"],
            "ansible_connection": "winrm",
            "ansible_winrm_transport": "basic",
            "ansible_winrm_scheme": info["scheme"],
            "ansible_winrm_server_cert_validation": "ignore",
            "ansible_user": creds["username"],
            "ansible_password": creds["password"],
        }
    return {"all": {"children": {group: {"hosts": hosts}}}}


def cmd_inventory(args: argparse.Namespace) -> int:
    inventory = build_inventory(Path(args.state_dir).resolve(), args.group)
    text = (
        "---\n# Simulated hosts (wcsim): Basic auth is for the simulator only; real hosts use\n"
        "# Kerberos, NTLM or CredSSP over HTTPS with vaulted credentials.\n"
        + yaml.safe_dump(inventory, sort_keys=False, default_flow_style=False)
    )
    if args.output:
        descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0


def cmd_counters(args: argparse.Namespace) -> int:
    store = CounterStore(Path(args.state_dir).resolve())
    hosts = args.host or None
    if args.reset:
        store.reset(hosts)
    data = {host: store.read(host) for host in hosts} if hosts else store.read_all()
    print(json.dumps(data, indent=2, sort_keys=True))
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from wcsim import published
    from wcsim.host import normalize_image_ref

    state_dir = Path(args.state_dir).resolve()
    try:
        published.publish(state_dir, normalize_image_ref(args.image), args.os_version)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    print(f"{args.image} now names the image of {args.os_version}")
    return 0


def cmd_docker_env(args: argparse.Namespace) -> int:
    from wcsim.engine_api import docker_host, socket_path

    state_dir = Path(args.state_dir).resolve()
    hosts = read_endpoints(state_dir)
    if args.host not in hosts:
        known = ", ".join(sorted(hosts)) or "none"
        raise CliError(f"no host {args.host!r} in the fleet on {state_dir} (hosts: {known})")
    if running_pid(state_dir) is None or not socket_path(state_dir, args.host).is_socket():
        raise CliError(f"the fleet on {state_dir} is not running (wcsim start first)")
    print(f"DOCKER_HOST={docker_host(state_dir, args.host)}")
    return 0


# ---------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wcsim",
        description="A simulated fleet of Windows Server container hosts speaking WinRM. "
        "It is a simulator: no PowerShell runs, modules are modelled in Python.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def fleet_command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--fleet", required=True, help="fleet file (YAML)")
        sub.add_argument("--state-dir", required=True)
        sub.add_argument(
            "--reset", action="store_true", help="start from the fleet file, not the saved state"
        )
        sub.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
        sub.add_argument("--max-workers", type=int, default=16, help="worker threads per host")
        return sub

    fleet_command("serve", "run the fleet in the foreground").set_defaults(func=cmd_serve)
    start = fleet_command("start", "run the fleet in the background")
    start.add_argument("--timeout", type=float, default=30, help="seconds to wait for listening")
    start.set_defaults(func=cmd_start)

    stop = commands.add_parser("stop", help="stop the background fleet")
    stop.add_argument("--state-dir", required=True)
    stop.add_argument("--timeout", type=float, default=15)
    stop.set_defaults(func=cmd_stop)

    status = commands.add_parser("status", help="is the fleet running, where does it listen")
    status.add_argument("--state-dir", required=True)
    status.set_defaults(func=cmd_status)

    inventory = commands.add_parser("inventory", help="print an Ansible YAML inventory")
    inventory.add_argument("--state-dir", required=True)
    inventory.add_argument("--group", default=DEFAULT_GROUP)
    inventory.add_argument("--output", help="write to this file (mode 0600) instead of stdout")
    inventory.set_defaults(func=cmd_inventory)

    counters = commands.add_parser("counters", help="print (and reset) the traffic counters")
    counters.add_argument("--state-dir", required=True)
    counters.add_argument("--host", action="append", help="only this host (repeatable)")
    counters.add_argument("--reset", action="store_true")
    counters.set_defaults(func=cmd_counters)

    publish = commands.add_parser("publish", help="move a registry tag to a later revision")
    publish.add_argument("--state-dir", required=True)
    publish.add_argument("image", help="the tag, as in the fleet file's registry")
    publish.add_argument("os_version", help="one of the image's 'later' revisions")
    publish.set_defaults(func=cmd_publish)

    docker_env = commands.add_parser(
        "docker-env", help="print the DOCKER_HOST line of one host's Docker Engine API"
    )
    docker_env.add_argument("--state-dir", required=True)
    docker_env.add_argument("host")
    docker_env.set_defaults(func=cmd_docker_env)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"wcsim {args.command}: {exc}", file=sys.stderr)
        return 1
