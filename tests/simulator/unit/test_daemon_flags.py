"""The simulated dockerd refuses daemon.json keys as its version does (moby)."""

from __future__ import annotations

import pytest

from wcsim.daemon_flags import unknown_directives
from wcsim.engine import EngineError


def test_flattening_names_the_inner_keys_of_an_unknown_object():
    assert unknown_directives({"proxies": {"http-proxy": "x"}}, 20) == ["http-proxy"]
    assert unknown_directives({"proxies": {"http-proxy": "x"}}, 23) == []


def test_flat_options_keep_their_inner_keys():
    assert unknown_directives({"log-opts": {"max-size": "10m"}}, 20) == []
    assert unknown_directives({"default-network-opts": {"nat": {"a": "b"}}}, 24) == []
    assert unknown_directives({"default-network-opts": {"nat": {"a": "b"}}}, 20) == ["nat"]


@pytest.mark.parametrize(
    ("key", "major", "refused"),
    [
        ("default-stop-timeout", 27, True),
        ("log-format", 24, True),
        ("log-format", 25, False),
        ("storage-driver", 20, False),
        ("storage-driver", 23, True),
        ("containerd-plugin-namespace", 27, True),
        ("default-address-pools", 27, True),
        ("label", 27, False),  # a flag name: accepted, not read
        ("features", 20, False),  # skipValidateOptions
    ],
)
def test_keys_per_version(key, major, refused):
    assert bool(unknown_directives({key: "x"}, major)) is refused


FLEET = """
hosts:
  h16:
    os_version: 10.0.14393.6709
    features: [Containers]
    engine: {version: 20.10.24}
"""


def test_engine_start_refuses_with_dockerds_message(make_sim, write_fleet):
    engine = make_sim(write_fleet(FLEET)).host("h16").engine
    engine.stop_service()
    engine.write_daemon_config({"log-format": "json"})
    with pytest.raises(EngineError) as err:
        engine.start_service()
    assert err.value.message == (
        "unable to configure the Docker daemon with file "
        "C:\\ProgramData\\docker\\config\\daemon.json: the following directives don't match "
        "any configuration option: log-format"
    )
    assert engine.record.service_state == "stopped"
