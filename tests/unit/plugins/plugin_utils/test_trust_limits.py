"""Resource limits per trust level (wincontainers_trust_limits)."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    trust_limits as tl,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    workload_spec as ws,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
GIB = 1024**3


def specs(*entries):
    return ws.normalise_workloads(list(entries), host="h1")


def resolved(entries, limits=None, processors=8):
    return tl.resolve(specs(*entries), tl.read_ceilings(limits, "h1"), "h1", processors)


def test_defaults_limit_untrusted_and_hostile_and_leave_trusted_alone():
    limited, reasons, problems = resolved(
        [
            {"name": "own", "image": NANO},
            {"name": "build", "image": NANO, "trust_level": "untrusted"},
            {"name": "evil", "image": NANO, "trust_level": "hostile"},
        ]
    )
    assert problems == []
    by_name = {s.name: (s.memory_bytes, s.cpus) for s in limited}
    assert by_name == {"own": (0, 0.0), "build": (2 * GIB, 2.0), "evil": (GIB, 1.0)}
    assert any("hostile level's ceiling" in r for r in reasons["evil"])
    assert reasons["own"] == [
        "[trust-limits] the trusted level has no ceiling (wincontainers_trust_limits)"
    ]


def test_a_workload_may_lower_its_limits():
    limited, reasons, problems = resolved(
        [{"name": "evil", "image": NANO, "trust_level": "hostile", "memory": "512m", "cpus": 0.5}]
    )
    assert problems == [] and (limited[0].memory_bytes, limited[0].cpus) == (512 * 1024**2, 0.5)
    assert "[trust-limits] memory 512m: within the hostile level's ceiling 1g" in reasons["evil"]


def test_raising_above_the_ceiling_is_refused_naming_host_workload_limit_and_rule():
    _limited, _reasons, problems = resolved(
        [{"name": "evil", "image": NANO, "trust_level": "hostile", "memory": "4g", "cpus": 4}]
    )
    assert [(p.rule, p.field, p.host, p.workload) for p in problems] == [
        ("trust-limit-exceeded", "memory", "h1", "'evil'"),
        ("trust-limit-exceeded", "cpus", "h1", "'evil'"),
    ]
    assert "wincontainers_trust_limits.hostile.memory" in str(problems[0])


def test_raising_is_allowed_where_the_inventory_allows_it():
    limits = {"hostile": {"memory": "1g", "cpus": 1, "allow_raise": True}}
    limited, reasons, problems = resolved(
        [{"name": "evil", "image": NANO, "trust_level": "hostile", "memory": "4g"}], limits
    )
    assert problems == [] and limited[0].memory_bytes == 4 * GIB
    assert any("allow_raise" in r for r in reasons["evil"])


def test_a_cpu_ceiling_above_the_hosts_processors_is_taken_down_to_them():
    limited, _reasons, problems = resolved(
        [{"name": "build", "image": NANO, "trust_level": "untrusted"}], processors=1
    )
    assert problems == [] and limited[0].cpus == 1.0


def test_the_inventory_can_give_trusted_a_ceiling_and_zero_removes_one():
    limits = {"trusted": {"memory": "8g"}, "untrusted": {"memory": 0, "cpus": 0}}
    limited, _reasons, _problems = resolved(
        [
            {"name": "own", "image": NANO},
            {"name": "build", "image": NANO, "trust_level": "untrusted"},
        ],
        limits,
    )
    assert [(s.memory_bytes, s.cpus) for s in limited] == [(8 * GIB, 0.0), (0, 0.0)]


@pytest.mark.parametrize(
    "limits",
    [
        {"hostile": {"allow_raise": True}},
        {"hostile": {"allow_raise": True, "memory": None}},
        {"hostile": None},
    ],
)
def test_a_level_given_keeps_the_defaults_it_does_not_name(limits):
    # An entry replacing the default whole left hostile code with no ceiling (issue 20 review).
    ceiling = tl.read_ceilings(limits, "h1")["hostile"]
    assert (ceiling.memory_bytes, ceiling.cpus) == (GIB, 1.0)
    limited, _reasons, problems = resolved(
        [{"name": "evil", "image": NANO, "trust_level": "hostile"}], limits
    )
    assert problems == [] and (limited[0].memory_bytes, limited[0].cpus) == (GIB, 1.0)


def test_one_key_overrides_and_an_explicit_zero_removes_only_that_ceiling():
    ceiling = tl.read_ceilings({"hostile": {"memory": "2g", "cpus": 0}}, "h1")["hostile"]
    assert (ceiling.memory_bytes, ceiling.cpus, ceiling.allow_raise) == (2 * GIB, 0.0, False)
    untrusted = tl.read_ceilings({"untrusted": {"cpus": 1}}, "h1")["untrusted"]
    assert (untrusted.memory_bytes, untrusted.cpus) == (2 * GIB, 1.0)


@pytest.mark.parametrize(
    ("limits", "field"),
    [
        ({"friendly": {}}, "wincontainers_trust_limits.friendly"),
        ({"hostile": {"memroy": "1g"}}, "wincontainers_trust_limits.hostile"),
        ({"hostile": {"memory": "10m"}}, "wincontainers_trust_limits.hostile.memory"),
        ({"hostile": {"cpus": -1}}, "wincontainers_trust_limits.hostile.cpus"),
        ({"hostile": "1g"}, "wincontainers_trust_limits.hostile"),
        ("not a mapping", "wincontainers_trust_limits"),
    ],
)
def test_bad_limits_are_refused_naming_the_variable(limits, field):
    with pytest.raises(ws.WorkloadSpecError) as caught:
        tl.read_ceilings(limits, "h1")
    problem = caught.value.errors[0]
    assert (problem.rule, problem.field, problem.host) == ("bad-trust-limits", field, "h1")


def test_absent_workloads_are_not_limited():
    limited, reasons, problems = resolved(
        [
            {
                "name": "gone",
                "image": NANO,
                "trust_level": "hostile",
                "state": "absent",
                "memory": "8g",
            }
        ]
    )
    assert problems == [] and reasons == {} and limited[0].memory_bytes == 8 * GIB
