"""Benchmark: module runs per host of playbooks/patch.yml, and each workload's downtime.

A command, not a test::

    .venv/bin/python tests/benchmarks/bench_updates.py [--hosts 4] [--workloads 3]

It starts a simulated fleet of N Windows Server 2022 hosts (provisioned, a
cumulative update pending on every host but the last), deploys M workloads per
host with playbooks/deploy.yml, then runs playbooks/patch.yml twice:

* the patch run: per host, module runs, the workloads' downtime in seconds
  (from the role's report: drain to verified restore, wall clock,
  where a reboot takes 3 s) and in steps (module runs made while the workloads
  were stopped: drain, the win_updates install rounds, the readiness read and
  the restore);
* the second run, with nothing left to install: module runs per host.

Counts come from the simulator's counters; no Windows host is involved.
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
CU = {
    "kb": "KB5034129",
    "title": "2024-01 Cumulative Update for Microsoft server operating system version 21H2"
    " for x64-based Systems (KB5034129)",
    "categories": ["Security Updates"],
    "revision": 2227,
}
# Module runs before the drain (the read, the search: start, poll, cancel) and after the
# restore (the read for the report): not downtime.
RUNS_BEFORE_DRAIN = 4
RUNS_AFTER_RESTORE = 1


def fleet_file(hosts: int) -> dict:
    return {
        "registry": {"images": {NANO: {"os_version": "10.0.20348.2113"}}},
        "defaults": {
            "os_version": "10.0.20348.2113",
            "features": ["Containers", "Hyper-V"],
            "virtualization_extensions": True,
            "engine": {"version": "27.3.1"},
        },
        "hosts": {
            f"h{i:02d}": {"pending_updates": [CU]} if i < hosts - 1 else {} for i in range(hosts)
        },
    }


def host_vars(workloads: int) -> dict:
    entries = [
        {"name": f"w{i:02d}", "image": NANO, "command": ["ping", "-t", "localhost"]}
        | ({"trust_level": "untrusted"} if i % 2 else {})
        for i in range(workloads)
    ]
    return {
        "all": {
            "vars": {
                "wincontainers_trust_boundary": "acme",
                "wincontainers_workloads": entries,
                "container_updates_known_revisions": {"KB5034129": 2227},
                "container_updates_ready_delay": 1,
            }
        }
    }


class Fleet:
    def __init__(self, work: Path, hosts: int, workloads: int) -> None:
        self.state = work / "state"
        self.fleet = work / "fleet.yml"
        self.vars = work / "vars.yml"
        self.inventory = self.state / "inventory.yml"
        self.fleet.write_text(yaml.safe_dump(fleet_file(hosts)), encoding="utf-8")
        self.vars.write_text(yaml.safe_dump(host_vars(workloads)), encoding="utf-8")
        self.work = work

    def wcsim(self, *args: str) -> str:
        return subprocess.run(
            [str(BIN / "wcsim"), *args], check=True, capture_output=True, text=True
        ).stdout

    def __enter__(self) -> Fleet:
        self.wcsim("start", "--fleet", str(self.fleet), "--state-dir", str(self.state), "--reset")
        self.wcsim("inventory", "--state-dir", str(self.state), "--output", str(self.inventory))
        return self

    def __exit__(self, *exc: object) -> None:
        self.wcsim("stop", "--state-dir", str(self.state))

    def run(self, playbook: str) -> tuple[dict, dict]:
        self.wcsim("counters", "--state-dir", str(self.state), "--reset")
        config = self.work / "ansible.cfg"
        config.write_text("[defaults]\n", encoding="utf-8")
        env = dict(
            os.environ,
            ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
            ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
            ANSIBLE_CONFIG=str(config),
            ANSIBLE_HOST_KEY_CHECKING="False",
        )
        command = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), "-i",
                   str(self.vars), str(REPO / "playbooks" / playbook)]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{playbook} failed:\n{done.stdout[-4000:]}\n{done.stderr}")
        counters = json.loads(self.wcsim("counters", "--state-dir", str(self.state)))
        return counters, json.loads(done.stdout)


def reports(data: dict) -> dict[str, dict]:
    found = {}
    for play in data.get("plays", []):
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                if "container_updates_report" in result:
                    found[host] = result["container_updates_report"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--workloads", type=int, default=3)
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.platform()}, {os.cpu_count()} CPUs, "
          f"{args.hosts} simulated hosts x {args.workloads} workloads")  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as work,
        Fleet(Path(work), args.hosts, args.workloads) as fleet,
    ):
        fleet.run("deploy.yml")
        started = time.monotonic()
        counters, data = fleet.run("patch.yml")
        patch_seconds = time.monotonic() - started
        found = reports(data)
        print("\n## Patch run (one cumulative update, one reboot)\n")
        print("| host | patched | module runs | host reads | downtime steps | downtime s"
              " (wall clock) | by module |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for host in sorted(counters):
            runs = counters[host]["module_runs"]
            report = found.get(host, {})
            patched = bool(report.get("patched"))
            steps = runs - RUNS_BEFORE_DRAIN - RUNS_AFTER_RESTORE if patched else 0
            down = sorted({w["down_seconds"] for w in report.get("workloads", [])})
            by_module = counters[host]["module_runs_by_module"]
            reads = by_module.get("trustbound.wincontainers.container_host_info", 0)
            print(f"| {host} | {patched} | {runs} | {reads} (target: at most 3) | {steps} | {down}"
                  f" | {json.dumps(by_module)} |")  # fmt: skip
        print(f"\nwall time of the patch run: {patch_seconds:.1f} s (a simulated reboot: 3 s)")
        started = time.monotonic()
        counters, _ = fleet.run("patch.yml")
        print("\n## Second run, nothing to install (target: at most 4 module runs per host)\n")
        print("| host | module runs | by module |")
        print("|---|---|---|")
        for host in sorted(counters):
            by_module = counters[host]["module_runs_by_module"]
            print(f"| {host} | {counters[host]['module_runs']} | {json.dumps(by_module)} |")
        print(f"\nwall time of the second run: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
