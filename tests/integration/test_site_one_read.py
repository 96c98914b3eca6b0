"""One read per host for the whole site run, and never a stale one.

The demo fleet's four bare hosts go through playbooks/site.yml: features are
installed and the hosts restart, the engine is installed, workloads deployed.
Provisioning re-reads the host after those changes and the deployment decides
on that read; had it used the read taken before the restart, it would have
seen no engine and failed (or, in the other direction, recreated containers).
A second run with nothing to change makes exactly one module run per host.
Counts come from the simulator's counters; the hosts are simulated (wcsim).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FLEET = REPO / "tests" / "simulator" / "fleets" / "demo.yml"
INFO = "trustbound.wincontainers.container_host_info"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def wcsim(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator"))
    done = subprocess.run(
        [sys.executable, "-m", "wcsim", *args], env=env, check=True, timeout=60,
        capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout


def run_site(inventory: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".venv" / "collections"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_CONFIG=str(tmp / "none.cfg"),
    )
    command = [str(BIN / "ansible-playbook"), "-i", str(inventory), "-i",
               str(REPO / "inventories" / "simulated"), *extra,
               str(REPO / "playbooks" / "site.yml")]  # fmt: skip
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def site(inventory: Path, tmp: Path) -> dict[str, tuple[int, ...]]:
    done = run_site(inventory, tmp)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    recap = {m[0]: tuple(int(x) for x in m[1:]) for m in RECAP.findall(done.stdout)}
    # The run check (playbooks/preflight.yml) runs once, delegated to localhost: its recap
    # line, when there is one, shows nothing unreachable or failed.
    assert recap.pop("localhost", (0, 0, 0, 0))[2:] == (0, 0)
    return recap


def host_states(state: Path) -> dict[str, dict]:
    """Every simulated host's state, without the simulator's own count of module runs."""
    states = {}
    for path in (state / "hosts").glob("*.json"):
        data = json.loads(path.read_text())
        data.pop("module_runs", None)
        states[path.stem] = data
    return states


def executor_logs(state: Path) -> dict[str, str]:
    """The executor's docker CLI logs (the reader's are <host>.reads.jsonl)."""
    logs = (state / "docker-cli").glob("*.jsonl")
    return {p.name: p.read_text(encoding="utf-8") for p in logs if ".reads." not in p.name}


def counters(state: Path) -> dict[str, dict]:
    return json.loads(wcsim("counters", "--state-dir", str(state)))


@pytest.fixture
def demo_fleet(tmp_path):
    """The demo fleet's bare hosts, started fresh: (state directory, connection inventory)."""
    state = tmp_path / "state"
    inventory = tmp_path / "connection.yml"
    wcsim("start", "--fleet", str(FLEET), "--state-dir", str(state), "--reset")
    try:
        wcsim(
            "inventory", "--state-dir", str(state), "--group", "windows", "--output", str(inventory)
        )
        yield state, inventory
    finally:
        wcsim("stop", "--state-dir", str(state))


def test_site_reads_each_host_once_and_never_decides_on_a_stale_read(demo_fleet, tmp_path):
    state, inventory = demo_fleet

    first = site(inventory, tmp_path)
    for host, runs in counters(state).items():
        by_module = runs["module_runs_by_module"]
        # before the changes, after the restart (the engine action), after the
        # changes (verify): the deployment took the last one and read nothing
        assert by_module[INFO] == 3, (host, by_module)
        assert by_module["ansible.windows.win_feature"] == 1, (host, by_module)
        assert by_module["trustbound.wincontainers.container_steps"] >= 1, (host, by_module)
        host_state = json.loads((state / "hosts" / f"{host}.json").read_text())
        running = [c for c in host_state["containers"] if c.get("state") == "running"]
        assert running, f"{host}: the deployment created nothing"
        # issue 18's measure: a first run on a bare host makes at most 7 module runs
        assert runs["module_runs"] <= 7, (host, by_module)
        # every container the run made was created and started by the real docker CLI
        # (the container_steps model logs each CLI run: wcsim/modules/container_steps.py)
        log = state / "docker-cli" / f"{host}.jsonl"
        cli = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        created = {a[len("--name=") :] for r in cli if r["argv"][0] == "create"
                   for a in r["argv"] if a.startswith("--name=") and r["rc"] == 0}  # fmt: skip
        started = {r["argv"][-1] for r in cli if r["argv"][0] == "start" and r["rc"] == 0}
        names = {c["name"] for c in running}
        assert names <= created, (host, names, cli)
        assert names <= started, (host, names, cli)
    assert all(changed > 0 and failed == 0 for _o, changed, _u, failed in first.values()), first

    wcsim("counters", "--state-dir", str(state), "--reset")
    logged = executor_logs(state)
    second = site(inventory, tmp_path)
    assert all(changed == 0 and failed == 0 for _o, changed, _u, failed in second.values()), second
    for host, runs in counters(state).items():
        assert runs["module_runs"] == 1, (host, runs["module_runs_by_module"])
        assert runs["module_runs_by_module"] == {INFO: 1}, host
    # ... and sent no docker command through the executor's CLI
    assert executor_logs(state) == logged


def test_check_mode_on_a_bare_fleet_shows_each_decision_and_changes_nothing(demo_fleet, tmp_path):
    state, inventory = demo_fleet
    before = host_states(state)
    done = run_site(inventory, tmp_path, "--check")
    assert done.returncode == 0, done.stdout[-4000:]
    # what a person reads at default verbosity: each workload's action and isolation
    assert "decided on trust alone" in done.stdout
    assert "create (hyperv" in done.stdout and "create (process" in done.stdout
    assert host_states(state) == before


def test_a_bad_deployment_input_stops_the_fleet_before_provisioning(demo_fleet, tmp_path):
    state, inventory = demo_fleet
    before = host_states(state)
    wcsim("counters", "--state-dir", str(state), "--reset")
    done = run_site(inventory, tmp_path, "-e", "container_workloads_enforcement=enforcee")
    assert done.returncode != 0, done.stdout[-4000:]
    # the deployment role's input, refused by provisioning's first task before it
    # read the host: no feature install, no restart, no module run at all
    assert "refused by rule 'role-arguments' before any change" in done.stdout
    assert "role container_workloads:" in done.stdout
    assert "container_workloads_enforcement" in done.stdout
    assert host_states(state) == before
    assert all(c["module_runs"] == 0 for c in counters(state).values()), counters(state)
