"""plugin_utils/patch_io.py: a host that does not answer is a failed reply the patch counts."""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import MagicMock

from ansible.errors import AnsibleConnectionFailure

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import patch_io


def action(execute):
    return SimpleNamespace(
        _task=SimpleNamespace(check_mode=False, diff=False),
        _execute_module=execute,
        _display=MagicMock(),
    )


def test_a_connection_failure_is_a_failed_unreachable_reply():
    def refused(**_kwargs):
        raise AnsibleConnectionFailure("connection refused")

    io = patch_io.PatchHostIO(action(refused), {"inventory_hostname": "h1"})
    reply = io.run_module("trustbound.wincontainers.container_host_info", {})
    assert reply["failed"] is True and reply["unreachable"] is True
    assert reply["msg"] == "host 'h1' does not answer: connection refused"


def test_an_answer_passes_through():
    io = patch_io.PatchHostIO(action(lambda **kwargs: {"ok": kwargs["module_name"]}), {})
    assert io.run_module("x.y.z", {}) == {"ok": "x.y.z"}


def test_other_errors_are_not_hidden():
    def broken(**_kwargs):
        raise ValueError("a bug")

    io = patch_io.PatchHostIO(action(broken), {})
    try:
        io.run_module("x.y.z", {})
    except ValueError as exc:
        assert str(exc) == "a bug"
    else:
        raise AssertionError("a ValueError was swallowed")
