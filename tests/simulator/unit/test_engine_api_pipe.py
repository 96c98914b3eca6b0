"""The docker CLI reaches dockerd only on the default pipe; container_host_info reports it."""

from __future__ import annotations

import textwrap

import host_reads

from wcsim.fleet import Fleet

INFO = "trustbound.wincontainers.container_host_info"

FLEET = """
hosts:
  elsewhere:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {version: "27.3.1", daemon_config: {hosts: ["npipe:////./pipe/other_engine"]}}
  default:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {version: "27.3.1", daemon_config: {hosts: ["npipe:////./pipe/docker_engine"]}}
"""


def info(tmp_path, host):
    path = tmp_path / "fleet.yml"
    path.write_text(textwrap.dedent(FLEET), encoding="utf-8")
    fleet = Fleet.load(path, tmp_path / "state")
    rc, facts = host_reads.read(fleet, host)
    assert rc == 0, facts
    return facts


def test_service_running_without_the_default_pipe_is_a_fact_not_a_failure(tmp_path):
    result = info(tmp_path, "elsewhere")
    engine = result["engine"]
    assert engine["service_state"] == "running"
    assert engine["api_reachable"] is False
    assert engine["server_version"] is None
    assert (
        "open //./pipe/docker_engine: The system cannot find the file specified."
        in (engine["api_error"])
    )
    assert result["containers"] == [] and result["images"] == []


def test_default_pipe_spelled_out_answers(tmp_path):
    engine = info(tmp_path, "default")["engine"]
    assert engine["api_reachable"] is True
    assert engine["server_version"] == "27.3.1"
    assert engine["api_error"] is None
