"""The host's networks as container_host_info reports them, and NAT networks a fleet seeds."""

from __future__ import annotations

import textwrap

import pytest
from host_reads import facts_of as read_host

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"

FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: 10.0.20348.2340}}
hosts:
  h22:
    os_version: 10.0.20348.2340
    features: [Containers, Hyper-V]
    engine: {{version: 20.10.17}}
    images: [{NANO}]
    networks:
      - {{name: lab, subnet: 172.30.117.0/24}}
"""


def test_every_network_is_reported_with_its_driver_and_subnets(make_sim, write_fleet):
    host = make_sim(write_fleet(textwrap.dedent(FLEET))).host("h22")
    networks = {n["name"]: n for n in read_host(host)["networks"]}
    assert set(networks) == {"nat", "none", "lab"}
    assert networks["lab"]["subnets"] == ["172.30.117.0/24"]
    assert networks["lab"]["driver"] == "nat" and networks["none"]["driver"] == "null"
    assert networks["lab"]["id"] and networks["lab"]["id"] != networks["nat"]["id"]


def test_a_seeded_network_overlapping_another_is_refused_as_hns_refuses_it(make_sim, write_fleet):
    overlapping = FLEET + "      - {name: lab2, subnet: 172.30.117.128/25}\n"
    with pytest.raises(Exception, match="The object already exists"):
        make_sim(write_fleet(textwrap.dedent(overlapping)))
