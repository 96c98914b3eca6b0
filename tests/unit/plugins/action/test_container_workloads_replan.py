"""container_workloads: a plan made before another run's change is never carried out.

When the apply finds the host lock held by another run, container_steps waits, carries out
nothing and answers ``replan``; the action reads the host again and plans again."""

from __future__ import annotations

from test_container_workloads_action import NANO, FakeHost, host_info, run

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import workload_reconcile


class ContendedHost(FakeHost):
    """The first ``contended`` applies find the lock held: another run changed the host."""

    def __init__(self, info, contended):
        super().__init__(info)
        self.contended = contended

    def _steps(self, args):
        if self.contended and args["replan_after_wait"]:
            self.contended -= 1
            return {
                "changed": False,
                "results": [],
                "failed_step": None,
                "replan": True,
                "lock": {"path": "p", "waited_seconds": 3, "contended": True},
                "msg": "another run held the host lock",
            }
        return super()._steps(args)


def reads(host):
    return [name for name, _args in host.calls if name.endswith("container_host_info")]


def test_a_contended_apply_reads_and_plans_again_then_applies():
    host = ContendedHost(host_info(), contended=1)
    result = run(host, [{"name": "web", "image": NANO}])
    assert not result.get("failed"), result
    assert result["plan_attempts"] == 2
    assert len(reads(host)) == 2 and len(host.step_runs) == 2
    assert host.find("web")["running"] is True
    assert result["module_runs"] == 4


def test_a_host_changed_by_others_every_time_fails_with_nothing_carried_out():
    host = ContendedHost(host_info(), contended=workload_reconcile.MAX_PLAN_ATTEMPTS)
    result = run(host, [{"name": "web", "image": NANO}])
    assert result["failed"] is True
    assert (
        "other runs changed the host while this one waited for the host lock, 3 times"
        in (result["msg"])
    )
    assert "'h1'" in result["msg"]
    assert host.find("web") is None
    assert len(host.step_runs) == workload_reconcile.MAX_PLAN_ATTEMPTS


def test_a_pull_is_never_dropped_for_a_replan():
    host = ContendedHost(host_info(images=()), contended=0)
    result = run(host, [{"name": "web", "image": NANO}])
    assert not result.get("failed"), result
    pull_run, apply_run = host.step_runs
    assert [s["action"] for s in pull_run["steps"]] == ["pull"]
    assert pull_run["replan_after_wait"] is False
    assert apply_run["replan_after_wait"] is True
