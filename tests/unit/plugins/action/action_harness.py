"""An action plugin built for a unit test: a mocked task, connection and play context."""

from __future__ import annotations

from typing import Any
from unittest.mock import MagicMock


def make_action(
    cls: type, args: dict[str, Any], check_mode: bool = False, diff: bool = False, templar=None
):
    """``cls`` (an ActionModule) for a task with ``args``; the test replaces
    ``_execute_module`` with its fake host."""
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.diff = diff
    task.async_val = 0
    connection = MagicMock()
    connection._shell.tmpdir = None
    play_context = MagicMock()
    play_context.check_mode = check_mode
    return cls(task, connection, play_context, loader=None, templar=templar, shared_loader_obj=None)


class PassThroughTemplar:
    """For variables that hold no templates: returns them as they are, and records each call."""

    def __init__(self):
        self.templated = []

    def template(self, value):
        self.templated.append(value)
        return value
