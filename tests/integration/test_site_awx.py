"""The site playbook run the way AWX / Automation Controller runs a job: ansible-runner.

A private data directory holds the project (a playbook importing
trustbound.wincontainers.site, as an AWX project would), the inventory (the
simulated fleet's connection details plus inventories/simulated) and the
environment. The artifacts are checked as AWX reads them: the status, every
job event, stdout, and the set_stats data a workflow branches on. The hosts
are simulated (wcsim): no PowerShell runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FLEET = REPO / "tests" / "simulator" / "fleets" / "demo.yml"
HOSTS = {"ws2016-erp", "ws2019-branch", "ws2022-edge", "ws2025-core"}
# Secrets AWX would pass as extra vars (a vault or a custom credential): the config hash
# key and the engine download proxy's password.
EXTRAVARS = {
    "container_workloads_config_hash_key": "awx-hash-key-Secret7",
    "container_host_engine_proxy_url": "http://proxy.example:3128",
    "container_host_engine_proxy_username": "svc-proxy",
    "container_host_engine_proxy_password": "awx-proxy-Secret9",
}
# What must never reach an artifact: the WinRM password, the registry password and the
# secret env value of the demo inventory, and the secrets above.
SECRETS = (
    "wcsim-demo-Passw0rd!",
    "demo-registry-secret",
    "demo-erp-db-secret",
    "awx-hash-key-Secret7",
    "awx-proxy-Secret9",
)


def _wcsim(*args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "simulator"))
    subprocess.run([sys.executable, "-m", "wcsim", *args], env=env, check=True, timeout=60)


@pytest.fixture(scope="module")
def job(tmp_path_factory):
    """One AWX-style run of the site playbook over a fresh demo fleet."""
    tmp = tmp_path_factory.mktemp("awx")
    state = tmp / "state"
    _wcsim("start", "--fleet", str(FLEET), "--state-dir", str(state), "--reset")
    try:
        data = tmp / "private"
        (data / "project").mkdir(parents=True)
        (data / "env").mkdir()
        (data / "project" / "site.yml").write_text(
            "---\n- name: The collection's site playbook\n"
            "  ansible.builtin.import_playbook: trustbound.wincontainers.site\n"
        )
        shutil.copytree(REPO / "inventories" / "simulated", data / "inventory")
        _wcsim("inventory", "--state-dir", str(state), "--group", "windows",
               "--output", str(data / "inventory" / "connection.yml"))  # fmt: skip
        (data / "env" / "envvars").write_text(
            yaml.safe_dump(
                {
                    "ANSIBLE_COLLECTIONS_PATH": str(REPO / ".venv" / "collections"),
                    "ANSIBLE_NOCOLOR": "1",
                    "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
                }
            )
        )
        (data / "env" / "extravars").write_text(json.dumps(EXTRAVARS))
        runner = ansible_runner.run(
            private_data_dir=str(data), playbook="site.yml", quiet=True, ident="site"
        )
        yield runner, data / "artifacts" / "site"
    finally:
        _wcsim("stop", "--state-dir", str(state))


def test_the_job_succeeds(job):
    runner, _artifacts = job
    assert runner.status == "successful", runner.stdout.read()[-4000:]
    assert runner.rc == 0
    assert set(runner.stats["ok"]) >= HOSTS


def test_set_stats_summarise_the_run_for_a_workflow(job):
    _runner, artifacts = job
    stats_events = [
        json.loads(p.read_text())
        for p in (artifacts / "job_events").glob("*.json")
        if '"playbook_on_stats"' in p.read_text()
    ]
    assert len(stats_events) == 1
    summary = stats_events[0]["event_data"]["artifact_data"]["wincontainers_site"]
    assert summary["hosts"] == 4
    assert set(summary["converged"]) == HOSTS
    assert set(summary["changed"]) == HOSTS  # a first run creates every workload
    assert summary["refused"] == {} and summary["failed"] == []
    assert summary["workloads"]["hyperv"] + summary["workloads"]["process"] >= 4


def test_no_secret_in_any_job_event_or_stdout(job):
    _runner, artifacts = job
    texts = [p.read_text(errors="replace") for p in (artifacts / "job_events").glob("*.json")]
    texts.append((artifacts / "stdout").read_text(errors="replace"))
    assert len(texts) > 20
    for secret in SECRETS:
        leaked = [t[:200] for t in texts if secret in t]
        assert not leaked, f"{secret!r} in {len(leaked)} artifact(s)"
    # The extra vars were used: with the key set, no workload with secret_env warns that
    # the config hash does not cover it.
    assert not any("config_hash_key is not set" in t for t in texts)
