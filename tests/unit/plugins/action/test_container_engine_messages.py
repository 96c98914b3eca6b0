"""container_engine action: a failure names the host and says nothing changed."""

from __future__ import annotations

from unittest.mock import MagicMock

from ansible_collections.trustbound.wincontainers.plugins.action.container_engine import (
    ActionModule,
)


def test_a_failed_host_read_names_the_host():
    task = MagicMock()
    task.args = {"version": "27.3.1", "checksum": "d" * 64}
    task.check_mode = False
    task.async_val = 0
    action = ActionModule(
        task, MagicMock(), MagicMock(), loader=None, templar=None, shared_loader_obj=None
    )
    calls = []

    def broken(module_name, module_args=None, task_vars=None, **_kwargs):
        calls.append(module_name)
        return {"failed": True, "msg": "Access is denied"}

    action._execute_module = broken
    result = action.run(task_vars={"inventory_hostname": "ws1"})
    assert result["failed"] is True and result["changed"] is False
    assert result["msg"].startswith("host 'ws1': container_host_info failed: Access is denied")
    assert "Nothing was changed" in result["msg"]
    assert calls == ["trustbound.wincontainers.container_host_info"]
