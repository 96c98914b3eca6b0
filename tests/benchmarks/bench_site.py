"""Benchmark: the whole site playbook over a simulated fleet, next to win_ping.

A command, not a test::

    .venv/bin/python tests/benchmarks/bench_site.py [--sizes 30x50,100x50] [--forks 30]
        [--repeat 3]

For each size N hosts x M workloads it starts a fresh simulated fleet of N bare
Windows Server 2022 hosts, then, in the same run:

* ``win_ping``: ``ansible -m ansible.windows.win_ping`` over the whole fleet
  (the floor: one module run per host and ansible's own start-up);
* ``site first``: ``playbooks/site.yml`` on the bare fleet (features, restart,
  engine, then every workload created);
* ``--repeat`` times: ``win_ping`` again, then ``site no change``, the same
  playbook with nothing to change.

First (alone with ``--read-bytes``): the bytes one container_host_info read of a host
with 50 containers returns, the raw read the module returns now (its docker parts run
through the real docker CLI) next to the facts it returned before issue 18 (the oracle of
tests/simulator/unit/test_host_read_differential.py), and the docker CLI's time for it.

Module runs, WinRM commands and bytes in per host come from the simulator's
counters (``wcsim counters``); the ratio is each run's wall time over the
win_ping run made just before it, and the last row is the median ratio of
the no-change runs. "docker CLI (s, summed)" is the simulated hosts' time in the real
docker CLI, apart from the controller's: every CLI run of the run, the executor's
(``<state_dir>/docker-cli/<host>.jsonl``) and the reader's (``<host>.reads.jsonl``), summed
from each line's ``seconds``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
OS_VERSION = "10.0.20348.2849"
ENGINE = "27.3.1"
ENGINE_URL = f"https://download.docker.com/win/static/stable/x86_64/docker-{ENGINE}.zip"
ENGINE_ZIP = "docker 27.3.1 static binaries (simulated)"


def fleet_file(hosts: int) -> dict:
    return {
        "registry": {"images": {NANO: {"os_version": OS_VERSION}}},
        "downloads": {ENGINE_URL: {"version": ENGINE, "content": ENGINE_ZIP}},
        "hosts": {
            f"site{i:03d}": {
                "port": 0,
                "os_version": OS_VERSION,
                "machine": "physical",
                "virtualization_extensions": True,
            }
            for i in range(hosts)
        },
    }


def group_vars(workloads: int, checksum: str) -> dict:
    entries = []
    for j in range(workloads):
        entry = {"name": f"app{j:03d}", "image": NANO, "command": ["ping", "-t", "localhost"]}
        if j % 3 == 1:
            entry["trust_boundary"] = "tenant-b"
        elif j % 3 == 2:
            entry["trust_level"] = "untrusted"
        entries.append(entry)
    return {
        "all": {
            "children": {
                "windows": {
                    "vars": {
                        "wincontainers_trust_boundary": "acme",
                        "wincontainers_workloads": entries,
                        "container_host_engine_checksums": {ENGINE: checksum},
                    }
                }
            }
        }
    }


class SiteFleet:
    def __init__(self, work: Path, hosts: int, workloads: int, pycache: Path | None = None) -> None:
        self.work = work
        self.pycache = pycache
        self.hosts = hosts
        self.workloads = workloads
        self.state = work / "state"
        self.fleet = work / "fleet.yml"
        self.vars = work / "vars.yml"
        self.inventory = self.state / "inventory.yml"
        self.fleet.write_text(yaml.safe_dump(fleet_file(hosts)), encoding="utf-8")

    def wcsim(self, *args: str) -> str:
        # This checkout's simulator (the venv's wcsim script may import another checkout's).
        env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator"))
        done = subprocess.run(
            [sys.executable, "-m", "wcsim", *args], env=env, check=True, capture_output=True,
            text=True,
        )  # fmt: skip
        return done.stdout

    def __enter__(self) -> SiteFleet:
        self.wcsim("start", "--fleet", str(self.fleet), "--state-dir", str(self.state))
        self.wcsim("inventory", "--state-dir", str(self.state), "--output", str(self.inventory))
        checksum = hashlib.sha256(ENGINE_ZIP.encode()).hexdigest()  # the fleet file's content
        self.vars.write_text(yaml.safe_dump(group_vars(self.workloads, checksum)), encoding="utf-8")
        return self

    def __exit__(self, *exc: object) -> None:
        self.wcsim("stop", "--state-dir", str(self.state))

    def measure(self, command: list[str]) -> dict:
        self.wcsim("counters", "--state-dir", str(self.state), "--reset")
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_HOST_KEY_CHECKING="0",
        )
        if self.pycache is not None:
            # What a controller does by default: each worker process imports the
            # collection's Python from cached bytecode instead of compiling it again.
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = str(self.pycache)
        for log in (self.state / "docker-cli").glob("*.jsonl"):
            log.unlink()  # each run's docker CLI time, apart from the controller's
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"{command[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        per_host = list(json.loads(self.wcsim("counters", "--state-dir", str(self.state))).values())
        return {
            "wall": wall,
            "module_runs": _spread([c["module_runs"] for c in per_host]),
            "winrm_commands": _spread([c["winrm_commands"] for c in per_host]),
            "bytes_in": _spread([c["bytes_in"] for c in per_host]),
            "by_module": per_host[0].get("module_runs_by_module", {}),
            "cli_seconds": _cli_seconds(self.state),
        }

    def ping(self, forks: int) -> dict:
        return self.measure(
            [
                str(BIN / "ansible"),
                "-i",
                str(self.inventory),
                "--forks",
                str(forks),
                "-m",
                "ansible.windows.win_ping",
                "windows",
            ]
        )

    def site(self, forks: int) -> dict:
        return self.measure(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(self.inventory),
                "-i",
                str(self.vars),
                "--forks",
                str(forks),
                str(REPO / "playbooks" / "site.yml"),
            ]
        )


def read_bytes(containers: int = 50) -> None:
    """One read of a host with ``containers`` containers: raw bytes now vs facts before."""
    sys.path[:0] = [
        str(REPO / "tests" / "simulator"),
        str(REPO / "tests" / "simulator" / "unit"),
        str(REPO / ".venv" / "collections"),
    ]
    import facts_oracle

    from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_read
    from wcsim.fleet import Fleet
    from wcsim.modules.container_host_info import ContainerHostInfo

    prefix = "trustbound.wincontainers."
    seeded = [
        {
            "name": f"app{j:03d}",
            "image": NANO,
            "command": ["ping", "-t", "localhost"],
            "env": ["API_TOKEN=secret-value-0123456789", "MODE=production"],
            "ports": [f"{8000 + j}:80/tcp"],
            "mounts": [f"C:\\data\\app{j:03d}:C:\\data"],
            "labels": {
                prefix + "managed": "true",
                prefix + "owner": "trustbound.wincontainers",
                prefix + "workload": f"app{j:03d}",
                prefix + "trust_boundary": "acme",
                prefix + "isolation": "process",
                prefix + "config_hash": "v2-" + "0" * 64,
            },
        }
        for j in range(containers)
    ]
    fleet = {
        "registry": {"images": {NANO: {"os_version": OS_VERSION}}},
        "hosts": {
            "big": {
                "os_version": OS_VERSION,
                "features": ["Containers"],
                "engine": {"version": ENGINE, "daemon_config": {"hosts": ["npipe://"]}},
                "images": [NANO],
                "containers": seeded,
            }
        },
    }
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        path = Path(tmp) / "fleet.yml"
        path.write_text(yaml.safe_dump(fleet), encoding="utf-8")
        host = Fleet.load(path, Path(tmp) / "state").host("big")
        started = time.perf_counter()
        raw = ContainerHostInfo().run(host, host_read.module_args(), False, False)
        cli = time.perf_counter() - started
        before = facts_oracle.read_host(host)
    if len(host_read.facts(raw)["containers"]) != containers:
        sys.exit("read-bytes: the raw read did not list every container")
    # As the module's JSON goes over the wire (compact, as wcsim/runner.py and Ansible.Basic).
    old = len(json.dumps({"changed": False, **before}, separators=(",", ":")))
    new = len(json.dumps(raw, separators=(",", ":")))
    print(
        f"container_host_info read of a host with {containers} containers: {new} bytes raw"
        f" (issue 18) vs {old} bytes of facts before = {new / old:.2f}x;"
        f" docker CLI time on the simulated host {cli:.2f} s"
    )


def _cli_seconds(state: Path) -> float:
    """The simulated hosts' docker CLI wall seconds, summed over the runs they logged."""
    total = 0.0
    for log in (state / "docker-cli").glob("*.jsonl"):
        for line in log.read_text(encoding="utf-8").splitlines():
            total += float(json.loads(line).get("seconds") or 0)
    return total


def _spread(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="30x50", help="NxM list, e.g. 5x10,30x50,100x50")
    parser.add_argument("--forks", type=int, default=30)
    parser.add_argument(
        "--repeat", type=int, default=3, help="no-change runs, each after its own win_ping"
    )
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE as the environment has it (every worker compiles"
        " the collection's Python again)",
    )
    parser.add_argument("--verbose", action="store_true", help="module runs by module too")
    parser.add_argument(
        "--read-bytes", action="store_true", help="only the bytes of one read, raw vs before"
    )
    args = parser.parse_args()
    read_bytes()
    if args.read_bytes:
        return

    print(
        f"# {time.strftime('%Y-%m-%d')}, {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, forks {args.forks}, bytecode cache "
        f"{'as the environment has it' if args.no_bytecode_cache else 'on'}"
    )
    header = (
        "hosts x workloads",
        "run",
        "module runs/host",
        "WinRM commands/host",
        "bytes in/host",
        "wall time (s)",
        "docker CLI (s, summed)",
        "x win_ping",
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-site-") as tmp:
        for size in args.sizes.split(","):
            hosts, workloads = (int(x) for x in size.lower().split("x"))
            work = Path(tmp) / size
            work.mkdir()
            pycache = None if args.no_bytecode_cache else Path(tmp) / "pycache"
            with SiteFleet(work, hosts, workloads, pycache) as fleet:
                # win_ping right before each site run, so a ratio compares runs made under
                # the same load (a shared machine's speed drifts by tens of percent).
                if pycache is not None:
                    fleet.ping(args.forks)  # fills the bytecode cache; not reported
                ping = fleet.ping(args.forks)
                rows = [("win_ping", ping, ping), ("site first", fleet.site(args.forks), ping)]
                ratios = []
                for _ in range(args.repeat):
                    ping = fleet.ping(args.forks)
                    site = fleet.site(args.forks)
                    rows += [("win_ping", ping, ping), ("site no change", site, ping)]
                    ratios.append(site["wall"] / ping["wall"])
                for run, figures, floor in rows:
                    cells = (
                        f"{hosts} x {workloads}",
                        run,
                        figures["module_runs"],
                        figures["winrm_commands"],
                        figures["bytes_in"],
                        f"{figures['wall']:.1f}",
                        f"{figures['cli_seconds']:.1f}",
                        f"{figures['wall'] / floor['wall']:.2f}",
                    )
                    print("| " + " | ".join(cells) + " |", flush=True)
                    if args.verbose:
                        print(f"|   | modules: {json.dumps(figures['by_module'])} |", flush=True)
                print(
                    f"| {hosts} x {workloads} | site no change, median of {len(ratios)} |"
                    f"  |  |  |  |  | {statistics.median(ratios):.2f} |",
                    flush=True,
                )


if __name__ == "__main__":
    main()
