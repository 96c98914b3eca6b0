"""The diff's before header says the container's own state, not "running" for all."""

from __future__ import annotations

from plan_builders import OWNER, desired
from plan_builders import deployed as running

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp


def test_a_container_that_does_not_exist_yet_is_absent_in_the_header():
    (diff,) = cp.plan([desired()], [], owner=OWNER).diffs
    assert diff["before_header"] == "container web (absent)"
    assert diff["after_header"] == "container web (inventory)"


def test_an_existing_container_shows_its_state():
    old = desired()
    changed = desired(isolation="hyperv")
    (diff,) = cp.plan([changed], [running(old)], owner=OWNER).diffs
    assert diff["before_header"] == "container web (running)"
    (diff,) = cp.plan([changed], [running(old, state="exited")], owner=OWNER).diffs
    assert diff["before_header"] == "container web (exited)"
