"""The public filter trustbound.wincontainers.isolation_decision, through Ansible itself.

The plugin class is called directly; Ansible's own loader and templating are
exercised in a real ``ansible`` process (tests/conftest.py imports the
collection as a plain package, which Ansible's in-process collection loader
does not accept afterwards).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.trustbound.wincontainers.plugins.filter.isolation_decision import (
    FilterModule,
)

REPO_ROOT = Path(__file__).resolve().parents[4]
VENV_BIN = Path(sys.executable).parent
COLLECTIONS_PATH = REPO_ROOT / ".venv" / "collections"
FQCN = "trustbound.wincontainers.isolation_decision"

HOST = {
    "name": "winhost01",
    "trust_boundary": "acme",
    "os_version": "10.0.20348.2340",
    "hyperv_available": True,
}
WORKLOAD = {
    "name": "web",
    "image": "mcr.microsoft.com/windows/nanoserver:ltsc2022",
    "trust_boundary": "partner-a",
    "image_os_version": "10.0.20348.2340",
}


def test_filter_module_exposes_the_filter():
    filters = FilterModule().filters()
    assert set(filters) == {"isolation_decision"}
    result = filters["isolation_decision"](WORKLOAD, HOST)
    assert result["isolation"] == "hyperv"
    assert result["hyperv_required"] is True


def test_filter_module_refusal_is_an_ansible_filter_error():
    workload = {**WORKLOAD, "user": "ContainerAdministrator"}
    with pytest.raises(AnsibleFilterError, match=r"host 'winhost01', workload 'web'.*admin-user"):
        FilterModule().filters()["isolation_decision"](workload, HOST)


def ansible_env(tmp_path):
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS_PATH),
            "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
            "ANSIBLE_STDOUT_CALLBACK": "json",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
            "ANSIBLE_HOME": str(tmp_path / "home"),
            "ANSIBLE_NOCOLOR": "1",
        }
    )
    return env


def run_adhoc(tmp_path, workload, host):
    expression = f"{{{{ {json.dumps(workload)} | {FQCN}({json.dumps(host)}) }}}}"
    completed = subprocess.run(
        [
            str(VENV_BIN / "ansible"),
            "localhost",
            "-e",
            f"ansible_python_interpreter={VENV_BIN / 'python'}",
            "-m",
            "debug",
            "-a",
            f"msg={expression}",
        ],
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(completed.stdout)
    return completed.returncode, report["plays"][0]["tasks"][0]["hosts"]["localhost"]


@pytest.mark.slow
def test_adhoc_ansible_renders_the_decision(tmp_path):
    rc, result = run_adhoc(tmp_path, WORKLOAD, HOST)
    assert rc == 0, result
    assert result["msg"]["isolation"] == "hyperv"
    assert result["msg"]["hyperv_required"] is True
    assert "trust-requires-hyperv" in result["msg"]["rules"]


@pytest.mark.slow
def test_adhoc_ansible_fails_the_task_on_refusal(tmp_path):
    workload = {**WORKLOAD, "trust_boundary": "acme", "image_os_version": "10.0.26100.1"}
    rc, result = run_adhoc(tmp_path, workload, HOST)
    assert rc != 0
    assert result["failed"] is True
    assert "host 'winhost01', workload 'web': refused by rule 'image-too-new'" in result["msg"]


@pytest.mark.slow
def test_ansible_doc_renders_the_filter(tmp_path):
    completed = subprocess.run(
        [str(VENV_BIN / "ansible-doc"), "-t", "filter", "--json", FQCN],
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    doc = json.loads(completed.stdout)[FQCN]
    assert doc["doc"]["name"] == "isolation_decision"
    assert set(doc["doc"]["options"]) == {"_input", "host"}
    assert "trust_level" in doc["doc"]["options"]["_input"]["suboptions"]
    assert "isolation" in doc["return"]["_value"]["contains"]
    assert "isolation_decision" in doc["examples"]

    text = subprocess.run(
        [str(VENV_BIN / "ansible-doc"), "-t", "filter", FQCN],
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert text.returncode == 0, text.stderr
    assert "trust policy" in text.stdout
    assert "RETURN VALUES" in text.stdout
