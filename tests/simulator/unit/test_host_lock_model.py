"""The host lock container_steps holds (wcsim/host_lock.py): one writer per host, a bounded
wait that names the holder, a stale lock taken over, and two runs really at once."""

from __future__ import annotations

import json
import textwrap
import threading
import time

import pytest

from wcsim import host_lock

STEPS = "trustbound.wincontainers.container_steps"
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
    faults:
      step_seconds: 0.3
"""
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


def test_a_held_lock_fails_after_the_timeout_naming_holder_and_since(sim):
    host = sim.host("h1")
    host_lock.open_exclusive(host, "other-run")
    record = {
        "holder": "deploy from awx-1 pid 77, AWX job 12",
        "since": "2026-12-01T10:00:00Z",
        "pid": 77,
    }
    host_lock.write_record(host, record)
    started = time.monotonic()
    rc, result = sim.steps("h1", {"steps": [CREATE], "lock_timeout": 1})
    assert rc == 1
    assert time.monotonic() - started >= 1
    assert (
        "held by deploy from awx-1 pid 77, AWX job 12 since 2026-12-01T10:00:00Z" in result["msg"]
    )
    assert "Nothing was changed" in result["msg"]
    assert [c.name for c in host.state.containers] == []


def test_a_lock_whose_holder_died_is_taken_over(sim):
    host = sim.host("h1")
    host_lock.open_exclusive(host, "dead-run")
    host_lock.write_record(
        host, {"holder": "a run that was killed", "since": "2026-12-01T09:00:00Z"}
    )
    host_lock.abandon(host, "dead-run")  # its process ended: Windows closed the handle
    rc, result = sim.steps("h1", {"steps": [CREATE], "lock_timeout": 0, "lock_holder": "me"})
    assert rc == 0, result["msg"]
    assert result["lock"]["taken_over"]["holder"] == "a run that was killed"
    assert host.files.get(host_lock.LOCK_PATH).content == ""  # released after the run
    assert host.open_handles == {}


def test_two_runs_at_once_take_turns(sim):
    """The simulator runs container_steps concurrently; the lock orders the two runs."""
    order: list[str] = []
    replies: dict[str, tuple[int, dict]] = {}

    def run(name: str) -> None:
        steps = [dict(CREATE, name=name), {"action": "start", "name": name}]
        replies[name] = sim.steps("h1", {"steps": steps, "lock_timeout": 30, "lock_holder": name})
        order.append(name)

    first = threading.Thread(target=run, args=("one",))
    first.start()
    time.sleep(0.1)
    second = threading.Thread(target=run, args=("two",))
    second.start()
    time.sleep(0.2)
    # While the first run holds the lock, the second waits and the file names the first.
    record = json.loads(sim.host("h1").files.get(host_lock.LOCK_PATH).content)
    assert record["holder"] == "one"
    first.join()
    second.join()
    assert order == ["one", "two"]
    assert replies["one"][0] == 0 and replies["two"][0] == 0
    assert replies["two"][1]["lock"]["waited_seconds"] >= 0
    created = {c.name: c.created_at for c in sim.host("h1").state.containers}
    assert set(created) == {"one", "two"}


def test_check_mode_takes_no_lock(sim):
    host = sim.host("h1")
    host_lock.open_exclusive(host, "other-run")
    rc, result = sim.steps("h1", {"steps": [CREATE], "lock_timeout": 0}, check_mode=True)
    assert rc == 0 and "lock" not in result
