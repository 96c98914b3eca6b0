"""container_engine.ps1 reads every constant from ``_engine_host``: each key it reads is one
the controller renders (a missing key is $null in PowerShell and fails only on the host), and
the simulator's model requires exactly the keys the controller renders."""

from __future__ import annotations

import re
from pathlib import Path

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import engine_host
from wcsim.modules import container_engine as model

ROOT = Path(__file__).resolve().parents[4]
PS1 = (ROOT / "plugins" / "modules" / "container_engine.ps1").read_text(encoding="utf-8")


def code_lines():
    return [line for line in PS1.splitlines() if not line.lstrip().startswith("#")]


def test_every_key_the_module_reads_is_rendered():
    option = engine_host.module_option(None)
    code = "\n".join(code_lines())
    keys = set(re.findall(r"\$engineHost\.(\w+)", code))
    commands = set(re.findall(r"\$engineHost\.commands\.(\w+)", code))
    assert keys and commands
    assert keys <= set(option), sorted(keys - set(option))
    assert commands <= set(option["commands"]), sorted(commands - set(option["commands"]))
    # ... and nothing is rendered that the module does not read.
    assert set(option) <= keys, sorted(set(option) - keys)
    assert set(option["commands"]) <= commands, sorted(set(option["commands"]) - commands)


def test_the_simulator_model_requires_the_rendered_keys():
    option = engine_host.module_option(None)
    assert set(option) == model.ENGINE_HOST_KEYS
    assert option["commands"] == model.COMMANDS
    assert option["version_pattern"] == model.VERSION_PATTERN
