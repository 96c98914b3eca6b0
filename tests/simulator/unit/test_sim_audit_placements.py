"""What the audit fleet needs the simulator to place: devices (with moby's rules), hand-started
containers with any mounts, and updates waiting for their restart."""

from __future__ import annotations

import textwrap

import pytest
from host_reads import facts_of as read_host

from wcsim.engine import EngineError
from wcsim.fleet import FleetError

NANO22 = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
CORE16 = "mcr.microsoft.com/windows/servercore:ltsc2016"
DEVICE = "class/5B45201D-F2F2-4F3B-85BB-30FF1F953599"
PIPE = "\\\\.\\pipe\\docker_engine"

FLEET = f"""
registry:
  images:
    {NANO22}: {{os_version: 10.0.20348.2340}}
    {CORE16}: {{os_version: 10.0.14393.6709}}
hosts:
  h22:
    os_version: 10.0.20348.2340
    machine: physical
    features: [Containers, Hyper-V]
    engine: {{version: 27.3.1, daemon_config: {{hosts: ["npipe://", "tcp://0.0.0.0:2375"]}}}}
    images: [{NANO22}]
    containers:
      - {{name: gpu, image: {NANO22}, isolation: process, devices: [{DEVICE}]}}
      - {{name: spy, image: {NANO22}, isolation: process, mounts: ['{PIPE}:{PIPE}']}}
      - {{name: side, image: {NANO22}, isolation: process, networks: ["container:spy"]}}
  h16:
    os_version: 10.0.14393.6709
    machine: physical
    features: [Containers]
    engine: {{version: 20.10.24}}
    images: [{CORE16}]
    pending_updates:
      - {{kb: KB5041773, revision: 7259, status: pending_reboot}}
      - {{kb: KB5042000}}
"""


@pytest.fixture
def sim(make_sim, write_fleet):
    return make_sim(write_fleet(textwrap.dedent(FLEET)))


def test_placed_containers_are_reported_with_devices_mounts_and_network_mode(sim):
    facts = read_host(sim.host("h22"))
    containers = {c["name"]: c for c in facts["containers"]}
    assert containers["gpu"]["devices"] == [DEVICE] and containers["gpu"]["running"]
    assert containers["spy"]["mounts"] == [f"{PIPE}:{PIPE}"]
    assert containers["side"]["network_mode"] == "container:spy"
    assert containers["spy"]["network_mode"] == "nat"
    assert containers["gpu"]["security_opt"] == []
    assert facts["engine"]["daemon_config"]["hosts"][1] == "tcp://0.0.0.0:2375"


def test_devices_are_refused_under_hyperv_and_below_build_17763(sim):
    engine = sim.host("h22").engine
    engine.create("gpu-hv", NANO22, isolation="hyperv", devices=[DEVICE])
    with pytest.raises(EngineError, match="device assignment is not supported for HyperV"):
        engine.start("gpu-hv")
    old = sim.host("h16").engine
    old.create("gpu16", CORE16, isolation="process", devices=[DEVICE], user="ContainerUser")
    with pytest.raises(EngineError, match=r"requires Windows builds RS5 \(17763\+\) or later"):
        old.start("gpu16")


def test_an_update_waiting_for_its_restart_makes_the_host_report_reboot_pending(sim):
    facts = read_host(sim.host("h16"))
    assert facts["reboot_pending"] is True
    statuses = {u.kb: u.status for u in sim.host("h16").state.updates}
    assert statuses == {"KB5041773": "pending_reboot", "KB5042000": "available"}


def test_an_unknown_update_status_is_refused(make_sim, write_fleet):
    fleet = textwrap.dedent(
        """
        hosts:
          h:
            os_version: 10.0.20348.2340
            pending_updates: [{kb: KB1, status: downloaded}]
        """
    )
    with pytest.raises(FleetError, match="status 'downloaded': available or pending_reboot"):
        make_sim(write_fleet(fleet))
