"""Engine rules of issue 20's corrections: what dockerd and Windows refuse, with their messages.

Sources are cited in wcsim/engine.py and wcsim/versions.py next to each rule.
"""

from __future__ import annotations

import textwrap

import pytest

from wcsim.engine import EngineError

NANO22 = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
CORE19 = "mcr.microsoft.com/windows/servercore:ltsc2019"
CORE19_JAN2020 = "mcr.microsoft.com/windows/servercore:1809-KB4534273"

FLEET = f"""
registry:
  images:
    {NANO22}: {{os_version: 10.0.20348.2340}}
    {CORE19}: {{os_version: 10.0.17763.5458}}
    {CORE19_JAN2020}: {{os_version: 10.0.17763.973}}
hosts:
  h22:
    os_version: 10.0.20348.2340
    features: [Containers, Hyper-V]
    engine: {{version: 27.3.1}}
    images: [{NANO22}]
  h19:
    os_version: 10.0.17763.5458
    features: [Containers, Hyper-V]
    engine: {{version: 27.3.1}}
    images: [{CORE19}, {CORE19_JAN2020}]
"""


@pytest.fixture
def sim(make_sim, write_fleet):
    return make_sim(write_fleet(textwrap.dedent(FLEET)))


def refused(call, *args, **kwargs) -> EngineError:
    with pytest.raises(EngineError) as err:
        call(*args, **kwargs)
    return err.value


@pytest.mark.parametrize("port", ["127.0.0.1:8080:80", "10.1.2.3:8080:80/udp", "[::1]:8443:443"])
def test_a_specific_host_ip_fails_at_start_as_windows_nat_refuses_it(sim, port):
    eng = sim.host("h22").engine
    container = eng.create("web", NANO22, ports=[port])  # accepted at create, as dockerd does
    assert refused(eng.start, "web").message == (
        "failed to create endpoint web on network nat: "
        "Windows does not support host IP addresses in NAT settings"
    )
    assert not container.running


@pytest.mark.parametrize("port", ["0.0.0.0:8080:80", "[::]:8443:443", "8081:80"])
def test_an_unspecified_host_ip_is_published(sim, port):
    eng = sim.host("h22").engine
    assert eng.start(eng.create("web", NANO22, ports=[port]).name).running


def test_on_failure_zero_is_accepted_and_shown_as_docker_inspect_shows_it(sim):
    eng = sim.host("h22").engine
    eng.create("zero", NANO22, restart_policy="on-failure:0")
    eng.create("three", NANO22, restart_policy="on-failure:3")
    assert eng.inspect("zero")["restart_policy"] == "on-failure"
    assert eng.inspect("three")["restart_policy"] == "on-failure:3"


def test_a_negative_retry_count_is_refused_with_mobys_message(sim):
    eng = sim.host("h22").engine
    assert refused(eng.create, "neg", NANO22, restart_policy="on-failure:-1").message == (
        "invalid restart policy: maximum retry count cannot be negative"
    )
    assert eng.find("neg") is None


def test_feb_2020_baseline_process_isolated_container_does_not_work(sim):
    eng = sim.host("h19").engine
    old = eng.start(eng.create("old", CORE19_JAN2020, isolation="process").name)
    assert (old.state, old.exit_code) == ("exited", 1)
    assert eng.start(eng.create("old-hv", CORE19_JAN2020, isolation="hyperv").name).running
    assert eng.start(eng.create("new", CORE19, isolation="process").name).running


def test_a_network_keeps_its_subnet_and_an_overlapping_one_is_refused(sim):
    eng = sim.host("h22").engine
    eng.create_network("tbwc-a", subnet="172.30.5.0/24")
    assert refused(eng.create_network, "tbwc-b", subnet="172.30.5.128/25").message == (
        "HNS failed with error : The object already exists."
    )
    assert "tbwc-b" not in eng.networks()
    eng.create_network("tbwc-c", subnet="172.30.6.0/24")
    state = sim.host("h22").state
    assert state.network_subnets == {"tbwc-a": "172.30.5.0/24", "tbwc-c": "172.30.6.0/24"}


@pytest.mark.parametrize(
    ("host", "image", "differ"),
    [
        ("10.0.17763.5458", "10.0.17763.973", True),
        ("10.0.18362.719", "10.0.18362.592", True),  # the page's 1903 row
        ("10.0.17763.5458", "10.0.17763.1039", False),  # not placed by the page: not failed
        ("10.0.17134.1304", "10.0.17134.1246", False),  # host not placed
    ],
)
def test_feb_2020_sides_follow_the_pages_table(host, image, differ):
    from wcsim.versions import Version, feb_2020_sides_differ

    assert feb_2020_sides_differ(Version.parse(host), Version.parse(image)) is differ


def test_a_second_nat_network_fails_on_server_2016_only(make_sim, write_fleet):
    # Multiple NAT networks need the Creators Update (1703, 15063) or later (Microsoft,
    # network-drivers-topologies.md). Fleets hold LTSC hosts only, so a 2019 host is set to
    # 1803's build (17134) to check the rule's edge.
    fleet = (
        FLEET
        + """
  h2016:
    os_version: 10.0.14393.3506
    features: [Containers, Hyper-V]
    engine: {version: 20.10.9}
"""
    )
    sim = make_sim(write_fleet(textwrap.dedent(fleet)))
    host = sim.host("h19")
    host.state.os.build = 17134
    host.engine.create_network("tbwc-b", subnet="172.30.7.0/24")
    assert "tbwc-b" in host.engine.networks()
    eng = sim.host("h2016").engine
    assert refused(eng.create_network, "tbwc-b", subnet="172.30.7.0/24").message == (
        "HNS failed with error : Unspecified error"
    )
