"""container_plan: every failed step and every interrupted run keeps a running workload running."""

from __future__ import annotations

import pytest
from plan_builders import OWNER, deployed, desired

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import container_plan as cp

OLD_ID = "sha256:" + "b" * 64
TEMP = "web" + cp.TEMP_SUFFIX


def plan(desired_list, actual, **kwargs):
    return cp.plan(desired_list, actual, owner=OWNER, **kwargs)


def steps_of(result: cp.Plan) -> list[tuple[str, str]]:
    return [(step["action"], step["name"]) for step in result.steps]


def step(result: cp.Plan, action: str, name: str) -> dict:
    return next(s for s in result.steps if (s["action"], s["name"]) == (action, name))


def undo(entry: dict) -> list[tuple[str, str]]:
    return [(u["action"], u["name"]) for u in entry.get("on_failure") or []]


# --- simulated engine: run the planned steps, fail one, apply its on_failure ----------------


class Engine:
    """Containers by name, with docker's rules that matter to ordering: a name is taken
    once, a host port is bound by one running container."""

    def __init__(self, containers):
        self.containers = {c["name"]: dict(c) for c in containers}

    def run(self, steps, fail=None):
        for index, planned in enumerate(steps):
            if fail is not None and (planned["action"], planned["name"]) == fail:
                for rollback in planned.get("on_failure") or []:
                    self._apply(rollback)
                return index
            self._apply(planned)
        return None

    def _apply(self, s):
        name = s["name"]
        if s["action"] == "create":
            assert name not in self.containers, f"name {name} taken"
            self.containers[name] = {"name": name, "running": False, "new": True}
        elif s["action"] == "start":
            self.containers[name]["running"] = True
        elif s["action"] == "stop":
            self.containers[name]["running"] = False
        elif s["action"] == "remove":
            if name in self.containers:
                assert s.get("force") or not self.containers[name]["running"]
                del self.containers[name]
        elif s["action"] == "rename":
            assert s["new_name"] not in self.containers, f"name {s['new_name']} taken"
            self.containers[s["new_name"]] = dict(self.containers.pop(name), name=s["new_name"])

    def running_as(self, name):
        container = self.containers.get(name)
        return container is not None and container["running"]


REPLACEMENTS = {
    "image": ({}, {"image_id": OLD_ID}),
    "isolation": ({}, {"isolation": "hyperv"}),
    "admin user": ({}, {"user": "ContainerAdministrator"}),
    "host ports": ({"ports": ["8080:80"]}, {"image_id": OLD_ID}),
}


@pytest.mark.parametrize("case", sorted(REPLACEMENTS))
def test_the_workload_runs_whichever_replacement_step_fails(case):
    entry, drift = REPLACEMENTS[case]
    d = desired(**entry)
    old = deployed(d, **drift)
    result = plan([d], [old])
    assert result.workloads[0]["action"] == cp.REPLACE
    # The final rename has nothing left to roll back to: it is covered by the next run
    # (test_a_replacement_left_under_its_temporary_name_is_taken_back_by_renaming).
    for failing in result.steps[:-1]:
        engine = Engine([old])
        engine.run(result.steps, fail=(failing["action"], failing["name"]))
        assert engine.running_as("web"), f"{case}: {failing['action']} {failing['name']}"
        assert TEMP not in engine.containers, f"{case}: {failing['action']} {failing['name']}"


def test_a_failed_stop_of_the_old_container_starts_it_again():
    # docker stop can fail after the container stopped (a Windows HCS timeout): start is a
    # no-op on a running container, so the rollback restarts it either way.
    d = desired()
    result = plan([d], [deployed(d, image_id=OLD_ID)])
    assert undo(step(result, "stop", "web")) == [("remove", TEMP), ("start", "web")]


def test_a_failed_stop_of_a_port_holding_old_container_starts_it_again():
    d = desired(ports=["8080:80"])
    result = plan([d], [deployed(d, image_id=OLD_ID)])
    assert undo(step(result, "stop", "web")) == [("remove", TEMP), ("start", "web")]


def test_a_failed_stop_when_the_workload_goes_to_stopped_starts_the_old_one_again():
    d = desired(state="stopped")
    result = plan([d], [deployed(d, image_id=OLD_ID)])
    assert undo(step(result, "stop", "web")) == [("remove", TEMP), ("start", "web")]


def test_a_replacement_left_under_its_temporary_name_is_taken_back_by_renaming():
    # The last run removed the old container and then failed to rename: the new one runs
    # as web-tbwc-new. Removing it before a new container is proven would stop the workload.
    d = desired()
    leftover = deployed(d, name=TEMP)
    result = plan([d], [leftover])
    assert steps_of(result) == [("rename", TEMP)]
    assert result.steps[0]["new_name"] == "web"
    assert result.workloads[0]["action"] == cp.RECOVER
    engine = Engine([leftover])
    assert engine.run(result.steps) is None
    assert engine.running_as("web") and TEMP not in engine.containers


def test_a_stale_leftover_is_taken_back_then_replaced_keeping_the_workload_up():
    d = desired()
    leftover = deployed(d, name=TEMP, image_id=OLD_ID)
    result = plan([d], [leftover])
    assert steps_of(result) == [
        ("rename", TEMP),
        ("create", TEMP),
        ("start", TEMP),
        ("wait_running", TEMP),
        ("stop", "web"),
        ("remove", "web"),
        ("rename", TEMP),
    ]
    for failing in result.steps[1:-1]:
        engine = Engine([leftover])
        engine.run(result.steps, fail=(failing["action"], failing["name"]))
        assert engine.running_as("web"), failing


def test_a_stopped_leftover_is_taken_back_and_started():
    d = desired()
    leftover = deployed(d, name=TEMP, state="created", running=False)
    result = plan([d], [leftover])
    assert steps_of(result) == [("rename", TEMP), ("start", "web"), ("wait_running", "web")]


def test_a_leftover_is_still_removed_while_the_old_container_exists():
    d = desired()
    result = plan([d], [deployed(d), deployed(d, name=TEMP)])
    assert steps_of(result) == [("remove", TEMP)]


def test_a_container_of_another_workload_is_never_taken_for_a_leftover():
    # Say an older release deployed a workload called "web-tbwc-new": its workload label
    # names it, so it is not web's leftover and is neither removed nor renamed.
    other = desired(name="api")
    theirs = deployed(other, name=TEMP)
    theirs["labels"][cp.LABEL_WORKLOAD] = TEMP
    d = desired()
    fresh = plan([d], [theirs])
    assert steps_of(fresh) == [("create", "web"), ("start", "web"), ("wait_running", "web")]
    replaced = plan([d], [deployed(d, image_id=OLD_ID), theirs])
    assert ("remove", TEMP) not in steps_of(replaced)
    assert steps_of(replaced)[0] == ("create", TEMP)  # docker refuses it: the name is taken


def test_a_leftover_of_another_owner_is_not_taken():
    d = desired()
    theirs = deployed(d, name=TEMP)
    theirs["labels"][cp.LABEL_OWNER] = "someone-else"
    result = plan([d], [deployed(d), theirs])
    assert result.steps == []


def test_absent_workload_stops_with_its_own_stop_timeout():
    d = desired(state="absent", stop_timeout=90)
    result = plan([d], [deployed(d)])
    assert step(result, "stop", "web")["timeout"] == 90


def test_an_absent_workload_leftover_is_removed_not_taken_back():
    d = desired(state="absent")
    result = plan([d], [deployed(desired(), name=TEMP)])
    assert steps_of(result) == [("remove", TEMP)]
    assert result.steps[0]["force"] is True
