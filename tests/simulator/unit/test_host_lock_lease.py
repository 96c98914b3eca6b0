"""The host lock's lease (HostLock.psm1 -LeaseId/-LeaseSeconds, wcsim/host_lock.py): a
lease keeps other lease ids out across module runs until it ends or runs out; the same id
is admitted and ends it; container_host_info reports the record."""

from __future__ import annotations

import json
import textwrap
import threading

import host_reads
import pytest
from engine_args import ENGINE_HOST

from wcsim import host_lock

STEPS = "trustbound.wincontainers.container_steps"
INFO = "trustbound.wincontainers.container_host_info"
ENGINE = "trustbound.wincontainers.container_engine"
NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
FLEET = f"""
registry:
  images:
    {NANO}: {{os_version: "10.0.20348.2340"}}
hosts:
  h1:
    os_version: "10.0.20348.2340"
    features: [Containers]
    engine: {{version: "27.3.1"}}
    images: [{NANO}]
"""
LEASE = "trustbound.wincontainers.container_updates"
CREATE = {
    "action": "create",
    "name": "app",
    "image": NANO,
    "isolation": "process",
    "user": "ContainerUser",
}


@pytest.fixture
def sim(make_sim, write_fleet):
    return make_sim(write_fleet(textwrap.dedent(FLEET)))


def take_lease(sim, seconds=3600):
    rc, result = sim.steps(
        "h1",
        {
            "steps": [],
            "lease_id": LEASE,
            "lease_seconds": seconds,
            "lock_holder": "patch of h1",
        },
    )
    assert rc == 0, result
    return json.loads(sim.host("h1").files.get(host_lock.LOCK_PATH).content)


def test_a_normal_end_with_lease_seconds_leaves_a_lease_record(sim):
    record = take_lease(sim)
    assert record["lease_id"] == LEASE and record["holder"] == "patch of h1"
    assert record["lease_until"] > record["since"]
    assert sim.host("h1").open_handles == {}  # the handle is closed: only the record stays


def test_another_writer_waits_for_a_lease_then_fails_naming_it(sim):
    take_lease(sim)
    rc, result = sim.steps("h1", {"steps": [CREATE], "lock_timeout": 1})
    assert rc == 1
    assert "is leased to patch of h1 since" in result["msg"]
    assert f"(lease {LEASE})" in result["msg"] and "Nothing was changed" in result["msg"]
    assert result["lock"]["holder"]["lease_id"] == LEASE
    assert sim.host("h1").state.containers == []


def test_the_engine_waits_for_a_lease_too(sim):
    take_lease(sim)
    rc, result = sim.module(
        "h1",
        ENGINE,
        {
            "version": "27.3.1",
            "url": "https://x/docker-27.3.1.zip",
            "checksum": "0" * 64,
            "_engine_host": ENGINE_HOST,
            "_steps": ["restart"],
            "lock_timeout": 0,
        },
    )
    assert rc == 1 and "is leased to patch of h1" in result["msg"]


def test_the_same_lease_id_is_admitted_and_its_normal_end_ends_the_lease(sim):
    take_lease(sim)
    rc, result = sim.steps("h1", {"steps": [CREATE], "lease_id": LEASE})
    assert rc == 0, result
    assert result["lock"]["lease"]["lease_id"] == LEASE
    assert result["lock"]["taken_over"] is None and result["lock"]["contended"] is False
    assert sim.host("h1").files.get(host_lock.LOCK_PATH).content == ""


def test_a_failed_run_ends_the_lease(sim):
    take_lease(sim)
    bad = {"action": "start", "name": "missing"}
    rc, _result = sim.steps("h1", {"steps": [bad], "lease_id": LEASE, "lease_seconds": 3600})
    assert rc == 1
    assert sim.host("h1").files.get(host_lock.LOCK_PATH).content == ""


def test_a_lease_that_ran_out_is_taken_over(sim):
    take_lease(sim, seconds=1)
    host = sim.host("h1")
    host_lock.write_record(host, dict(host_lock.record(host), lease_until="2020-01-01T00:00:00Z"))
    rc, result = sim.steps("h1", {"steps": [CREATE], "lock_timeout": 0})
    assert rc == 0, result
    assert result["lock"]["taken_over"]["lease_id"] == LEASE


def test_container_host_info_reports_the_record(sim):
    rc, result = host_reads.read(sim.fleet, "h1")
    assert rc == 0 and result["host_lock"] is None
    take_lease(sim)
    rc, result = host_reads.read(sim.fleet, "h1")
    assert result["host_lock"]["lease_id"] == LEASE


def test_a_run_let_in_on_its_lease_keeps_the_lease_on_record_while_it_holds_the_lock(sim):
    take_lease(sim)
    host = sim.host("h1")
    token, lock = host_lock.acquire(host, 0, "restore", LEASE)
    held = host_lock.record(host)
    assert held["holder"] == "restore" and held["lease_id"] == LEASE  # a crash leaves it
    assert lock["lease"]["lease_id"] == LEASE
    host_lock.abandon(host, token)  # the process dies
    rc, result = sim.steps("h1", {"steps": [CREATE], "lock_timeout": 0})
    assert rc == 1 and "is leased to restore" in result["msg"]


def test_a_replan_exit_puts_the_own_lease_back(sim):
    record = take_lease(sim)
    host = sim.host("h1")
    other = "someone-else"
    host_lock.open_exclusive(host, other)  # another run of the lease holds the lock a moment
    threading.Timer(0.3, lambda: host_lock.release(host, other, keep=record)).start()
    args = {"steps": [CREATE], "lease_id": LEASE, "lock_timeout": 5, "replan_after_wait": True}
    rc, result = sim.steps("h1", args)
    assert rc == 0 and result["replan"] is True, result
    assert host_lock.record(host)["lease_id"] == LEASE  # the lease still holds the host
    assert host.state.containers == []


def test_the_engine_refused_for_the_lock_reports_no_change(sim):
    take_lease(sim)
    args = {
        "version": "27.3.1",
        "url": "https://x/docker-27.3.1.zip",
        "checksum": "0" * 64,
        "_engine_host": ENGINE_HOST,
        "_steps": ["restart"],
        "lock_timeout": 0,
    }
    rc, result = sim.module("h1", ENGINE, args)
    assert rc == 1 and result["changed"] is False
