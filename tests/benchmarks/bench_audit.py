"""Benchmark: module runs per host, WinRM commands and wall time of playbooks/audit.yml.

A command, not a test::

    .venv/bin/python tests/benchmarks/bench_audit.py [--hosts 30] [--containers 5] [--forks 10]

Starts a simulated fleet of N Windows Server 2022 hosts, each with M containers started
by hand (unmanaged, process isolation, no limits, one mapping the engine pipe) and a
multi-tenant inventory, runs the audit once, and prints the module runs per host (from
the simulator's counters), the findings and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
PIPE = "\\\\.\\pipe\\docker_engine"


def fleet_file(hosts: int, containers: int) -> dict:
    placed = [
        {"name": f"byhand{j:02d}", "image": NANO, "isolation": "process"} for j in range(containers)
    ]
    if placed:
        placed[0]["mounts"] = [f"{PIPE}:{PIPE}"]
    return {
        "registry": {"images": {NANO: {"os_version": "10.0.20348.2340"}}},
        "hosts": {
            f"audit{i:02d}": {
                "os_version": "10.0.20348.2340",
                "virtualization_extensions": True,
                "features": ["Containers", "Hyper-V"],
                "engine": {"version": "27.3.1"},
                "images": [NANO],
                "containers": placed,
            }
            for i in range(hosts)
        },
    }


def host_vars() -> dict:
    return {
        "all": {
            "children": {
                "windows": {
                    "vars": {
                        "wincontainers_trust_boundary": "contoso",
                        "wincontainers_workloads": [
                            {"name": "partner", "image": NANO, "trust_boundary": "fabrikam"}
                        ],
                    }
                }
            }
        }
    }


def wcsim(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "wcsim", *args], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=30)
    parser.add_argument("--containers", type=int, default=5)
    parser.add_argument("--forks", type=int, default=10)
    options = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator"))
    with tempfile.TemporaryDirectory(prefix="bench-audit-") as tmp:
        work = Path(tmp)
        fleet = work / "fleet.yml"
        fleet.write_text(yaml.safe_dump(fleet_file(options.hosts, options.containers)))
        variables = work / "vars.yml"
        variables.write_text(yaml.safe_dump(host_vars()))
        state = work / "state"
        inventory = work / "inventory.yml"
        wcsim(env, "start", "--fleet", str(fleet), "--state-dir", str(state), "--reset")
        try:
            wcsim(env, "inventory", "--state-dir", str(state), "--output", str(inventory))
            wcsim(env, "counters", "--state-dir", str(state), "--reset")
            ansible_env = dict(
                os.environ,
                ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
                ANSIBLE_FORKS=str(options.forks),
                ANSIBLE_HOST_KEY_CHECKING="False",
                ANSIBLE_NOCOLOR="1",
            )
            started = time.monotonic()
            done = subprocess.run(
                [
                    str(BIN / "ansible-playbook"),
                    "-i",
                    str(inventory),
                    "-i",
                    str(variables),
                    str(REPO / "playbooks" / "audit.yml"),
                ],
                cwd=work,
                env=ansible_env,
                capture_output=True,
                text=True,
                check=False,
            )
            wall = time.monotonic() - started
            if done.returncode != 0:
                print(done.stdout[-4000:], done.stderr[-4000:], file=sys.stderr)
                return 1
            counters = json.loads(wcsim(env, "counters", "--state-dir", str(state)))
        finally:
            wcsim(env, "stop", "--state-dir", str(state))
        report = json.loads((work / "reports" / "latest.json").read_text())
    runs = [c["module_runs"] for c in counters.values()]
    commands = [c["winrm_commands"] for c in counters.values()]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cpu(s), forks {options.forks}")
    print(
        f"audit of {options.hosts} hosts x {options.containers} containers:"
        f" module runs per host min {min(runs)} max {max(runs)},"
        f" WinRM commands per host max {max(commands)},"
        f" findings {report['summary']['findings']} {report['summary']['by_severity']},"
        f" wall {wall:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
