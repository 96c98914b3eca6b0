"""A plan made from a stale read is not carried out: the executor's preconditions.

The reconcile (plugins/plugin_utils/workload_reconcile.py) runs against a simulated host
through a ``HostIO`` that hands its module runs to the fleet, so container_steps' model runs
the rendered command lines through the real docker CLI. A read taken before another run
replaced a container names an id the host no longer has: the apply answers ``replan``,
nothing of the stale plan is carried out, and the reconcile reads and plans again.
"""

from __future__ import annotations

import copy
import textwrap
from typing import Any

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    host_read,
    workload_reconcile,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2340", user: ContainerUser}}
hosts:
  h1:
    os_version: "10.0.20348.2340"
    features: [Containers, Hyper-V]
    virtualization_extensions: true
    engine: {{version: "27.3.1"}}
    images: [{NANO}]
"""


class SimIO:
    """A ``HostIO`` whose module runs go to the simulated host ``h1``."""

    def __init__(self, sim) -> None:
        self.sim = sim
        self.host = "h1"
        self.task_vars: dict[str, Any] = {"inventory_hostname": "h1"}
        self.check_mode = False
        self.diff = False
        self.warnings: list[str] = []

    def run_module(self, name: str, module_args: dict[str, Any]) -> dict[str, Any]:
        def execute(args: dict[str, Any]) -> dict[str, Any]:
            _rc, reply = self.sim.module("h1", name, args)
            return reply

        # The reader returns raw data, mapped on the controller as its action plugin does.
        if name == workload_reconcile.INFO_MODULE:
            return host_read.read(execute)
        return execute(module_args)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


def options(workloads) -> dict[str, Any]:
    args = {
        name: copy.deepcopy(spec.get("default"))
        for name, spec in workload_reconcile.ARGUMENT_SPEC.items()
    }
    args.update(trust_boundary="acme", owner="inv", workloads=workloads)
    return args


def web(mode: str) -> list[dict[str, Any]]:
    return [{"name": "web", "image": NANO, "command": ["ping", "-t", "localhost"],
             "env": {"MODE": mode}}]  # fmt: skip


def test_a_stale_read_is_planned_again_and_nothing_of_its_plan_runs(make_sim, write_fleet):
    sim = make_sim(write_fleet(textwrap.dedent(FLEET)))
    io = SimIO(sim)
    first = workload_reconcile.reconcile(io, options(web("a")))
    assert not first.get("failed"), first.get("msg")
    stale = io.run_module(workload_reconcile.INFO_MODULE, {})
    # Another run replaces web (a changed setting) after that read.
    other = workload_reconcile.reconcile(io, options(web("b")))
    assert not other.get("failed"), other.get("msg")
    replaced = {c.name: c.id for c in sim.host("h1").state.containers}
    assert replaced["web"] != {c["name"]: c["id"] for c in stale["containers"]}["web"]

    late = workload_reconcile.reconcile(io, options(web("c")), stale)
    assert not late.get("failed"), late.get("msg")
    assert late["plan_attempts"] == 2  # the stale plan answered replan; the fresh one ran
    containers = {c.name: c for c in sim.host("h1").state.containers}
    assert set(containers) == {"web"} and containers["web"].running
    assert "MODE=c" in containers["web"].env
