"""The unknown-key refusal offers only keys a workload may use."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_spec as ws

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def test_always_refused_keys_are_not_offered_as_known_keys():
    with pytest.raises(ws.WorkloadSpecError) as error:
        ws.normalise_workloads([{"name": "web", "image": NANO, "colour": "blue"}], host="h")
    message = str(error.value)
    known = message.split("known keys:", 1)[1]
    for key in ("devices", "privileged", "read_only"):
        assert key not in known, known
    assert "image" in known and "secret_env" in known
