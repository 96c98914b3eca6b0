"""Benchmark: module runs, WinRM commands and wall time of container_workloads.

A command, not a test::

    .venv/bin/python tests/benchmarks/bench_workloads.py [--sizes 10x1,10x50] [--forks 10]

For each size N hosts x M workloads it starts a simulated fleet (hosts already
provisioned), then measures two ways of deploying the same workloads, each on
a fresh fleet:

* ``batched``: the collection's way, one container_workloads task per host
  (the role: one container_host_info run, one container_steps run).
* ``per-workload``: the way typical roles do it, one task per workload in a
  loop (here a loop of container_workloads calls with one workload each).

Each is run twice: a first run (creates every container) and a no-change run.
Module runs and WinRM commands per host come from the simulator's counters.
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

BATCHED_PLAY = """\
- name: Deploy (batched, the collection's role)
  hosts: windows
  gather_facts: false
  roles:
    - role: trustbound.wincontainers.container_workloads
"""

PER_WORKLOAD_PLAY = """\
- name: Deploy (one task per workload, as typical roles do)
  hosts: windows
  gather_facts: false
  tasks:
    - name: Deploy one workload
      trustbound.wincontainers.container_workloads:
        workloads: ["{{ item }}"]
        trust_boundary: "{{ wincontainers_trust_boundary }}"
      loop: "{{ wincontainers_workloads }}"
      loop_control:
        label: "{{ item.name }}"
"""


def fleet_file(hosts: int) -> dict:
    return {
        "registry": {"images": {NANO: {"os_version": "10.0.20348.2340"}}},
        "hosts": {
            f"bench{i:02d}": {
                "os_version": "10.0.20348.2340",
                "virtualization_extensions": True,
                "features": ["Containers", "Hyper-V"],
                "engine": {"version": "27.3.1"},
                "images": [NANO],
            }
            for i in range(hosts)
        },
    }


def host_vars(workloads: int) -> dict:
    entries = []
    for j in range(workloads):
        entry = {
            "name": f"app{j:03d}",
            "image": NANO,
            "command": ["ping", "-t", "localhost"],
            "env": {"INDEX": str(j)},
        }
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
                    }
                }
            }
        }
    }


class Fleet:
    def __init__(self, work: Path, hosts: int, workloads: int) -> None:
        self.work = work
        self.state = work / "state"
        self.fleet = work / "fleet.yml"
        self.vars = work / "vars.yml"
        self.inventory = self.state / "inventory.yml"
        self.fleet.write_text(yaml.safe_dump(fleet_file(hosts)), encoding="utf-8")
        self.vars.write_text(yaml.safe_dump(host_vars(workloads)), encoding="utf-8")

    def wcsim(self, *args: str) -> str:
        done = subprocess.run(
            [str(BIN / "wcsim"), *args], check=True, capture_output=True, text=True
        )
        return done.stdout

    def __enter__(self) -> Fleet:
        self.wcsim("start", "--fleet", str(self.fleet), "--state-dir", str(self.state))
        self.wcsim("inventory", "--state-dir", str(self.state), "--output", str(self.inventory))
        return self

    def __exit__(self, *exc: object) -> None:
        self.wcsim("stop", "--state-dir", str(self.state))

    def run(self, playbook: Path, forks: int) -> dict:
        self.wcsim("counters", "--state-dir", str(self.state), "--reset")
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="0",
        )
        command = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), "-i", str(self.vars),
                   "--forks", str(forks), str(playbook)]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"ansible-playbook failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        counters = json.loads(self.wcsim("counters", "--state-dir", str(self.state)))
        per_host = list(counters.values())
        return {
            "wall": wall,
            "module_runs": _spread([c["module_runs"] for c in per_host]),
            "winrm_commands": _spread([c["winrm_commands"] for c in per_host]),
        }


def _spread(values: list[int]) -> str:
    low, high = min(values), max(values)
    return str(low) if low == high else f"{low}-{high}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10x1,10x50", help="NxM list, e.g. 10x1,10x50")
    parser.add_argument("--forks", type=int, default=10)
    args = parser.parse_args()

    print(f"# {time.strftime('%Y-%m-%d')}, {platform.platform()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, forks {args.forks}")  # fmt: skip
    header = ("hosts x workloads", "approach", "run", "module runs/host", "WinRM commands/host",
              "wall time (s)")  # fmt: skip
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    with tempfile.TemporaryDirectory(prefix="bench-workloads-") as tmp:
        for size in args.sizes.split(","):
            hosts, workloads = (int(x) for x in size.lower().split("x"))
            for approach, play_text in (
                ("batched", BATCHED_PLAY),
                ("per-workload", PER_WORKLOAD_PLAY),
            ):
                work = Path(tmp) / f"{size}-{approach}"
                work.mkdir()
                playbook = work / "play.yml"
                playbook.write_text(play_text, encoding="utf-8")
                with Fleet(work, hosts, workloads) as fleet:
                    for run in ("first", "no change"):
                        figures = fleet.run(playbook, args.forks)
                        cells = (f"{hosts} x {workloads}", approach, run, figures["module_runs"],
                                 figures["winrm_commands"], f"{figures['wall']:.1f}")  # fmt: skip
                        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
