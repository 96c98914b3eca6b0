"""Benchmark: validation of many workloads with fixed host ports (the conflict check).

A command, not a test::

    .venv/bin/python tests/benchmarks/bench_port_conflicts.py [--sizes 1000,10000,20000]

Prints the time ``normalise_workloads`` takes per size; the host-port conflict check is one
pass keyed by (port, protocol), so the time grows linearly (issue 13 measured 18 s for
10,000 workloads with the pairwise check it replaces).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ansible.plugins.loader import init_plugin_loader

COLLECTIONS = Path(__file__).resolve().parents[2] / ".venv" / "collections"
sys.path.insert(0, str(COLLECTIONS))
init_plugin_loader([str(COLLECTIONS)])

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (  # noqa: E402
    workload_spec,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def entries(count: int) -> list[dict]:
    return [
        {
            "name": f"w{i}",
            "image": NANO,
            "ports": [f"{1024 + i % 60000}:80", f"10.0.0.{i % 250 + 1}:{i % 60000 + 1}:81/udp"],
        }
        for i in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,20000")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    for size in sizes:
        workloads = entries(size)
        start = time.perf_counter()
        try:
            workload_spec.normalise_workloads(workloads)
            conflicts = 0
        except workload_spec.WorkloadSpecError as exc:
            conflicts = len(exc.errors)
        elapsed = time.perf_counter() - start
        print(f"{size:>6} workloads, {2 * size} ports: {elapsed:.3f} s ({conflicts} conflicts)")


if __name__ == "__main__":
    main()
