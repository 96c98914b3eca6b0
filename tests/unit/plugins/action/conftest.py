"""The fakes of these tests answer container_host_info with facts, as the module did before
it returned raw data (issue 18). The actions map the module's raw result with
``host_read.facts``; here a result that already is facts passes through unchanged, so each
test keeps checking its action's decisions. The mapping itself is tested on raw data in
tests/unit/plugins/plugin_utils/test_host_read.py and, end to end through the real docker
CLI, in tests/simulator/unit/test_host_read_differential.py.
"""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import host_read


@pytest.fixture(autouse=True)
def facts_pass_through(monkeypatch):
    mapping = host_read.facts

    def facts(raw):
        return dict(raw) if "property_values" not in raw else mapping(raw)

    monkeypatch.setattr(host_read, "facts", facts)
