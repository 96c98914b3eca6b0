"""HostConfig.StorageOpt as the windowsfilter graph driver takes it (issue 20, item 2)."""

from __future__ import annotations

import textwrap

import pytest
from host_reads import facts_of as read_host

from wcsim.engine import EngineError

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"

FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: 10.0.20348.2340}}
hosts:
  h22:
    os_version: 10.0.20348.2340
    features: [Containers, Hyper-V]
    engine: {{version: 27.3.1}}
    images: [{NANO}]
"""


@pytest.fixture
def engine(make_sim, write_fleet):
    return make_sim(write_fleet(textwrap.dedent(FLEET))).host("h22").engine


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ("abc", "failed to parse storage options: invalid size: 'abc'"),
        ("-5", "failed to parse storage options: invalid size: '-5'"),
        ("20gi", "failed to parse storage options: invalid suffix: 'gi'"),
        ("5x1", 'failed to parse storage options: strconv.ParseFloat: parsing "5x1"'),
    ],
)
def test_a_size_go_units_cannot_read_is_refused_with_dockerds_message(engine, size, message):
    with pytest.raises(EngineError) as caught:
        engine.create("wl", NANO, isolation="hyperv", storage_opt={"size": size})
    assert message in str(caught.value)
    assert engine.find("wl") is None


def test_a_size_is_kept_as_given_other_keys_are_ignored_and_the_fact_reports_it(engine):
    engine.create("wl", NANO, isolation="hyperv", storage_opt={"Size": "50GB", "other": "x"})
    engine.create("plain", NANO, isolation="hyperv")
    facts = {c["name"]: c for c in read_host(engine.host)["containers"]}
    assert facts["wl"]["storage_size"] == "50GB"
    assert facts["plain"]["storage_size"] == ""
