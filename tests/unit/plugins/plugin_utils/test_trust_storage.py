"""Storage size (the scratch disk, --storage-opt size) per trust level (issue 20, item 2)."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    container_plan as cp,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    docker_argv as da,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    trust_limits as tl,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    workload_spec as ws,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
GIB = 1024**3


def resolved(entries, limits=None):
    specs = ws.normalise_workloads(list(entries), host="h1")
    return tl.resolve(specs, tl.read_ceilings(limits, "h1"), "h1", 8)


def test_untrusted_and_hostile_get_a_scratch_disk_ceiling_and_trusted_none():
    limited, reasons, problems = resolved(
        [
            {"name": "own", "image": NANO},
            {"name": "build", "image": NANO, "trust_level": "untrusted"},
            {"name": "evil", "image": NANO, "trust_level": "hostile"},
        ]
    )
    assert problems == []
    assert {s.name: s.storage_bytes for s in limited} == {
        "own": 0,
        "build": 50 * GIB,
        "evil": 20 * GIB,
    }
    assert (
        "[trust-limits] storage 20g: the hostile level's ceiling, as the workload sets none"
        " (wincontainers_trust_limits)" in reasons["evil"]
    )


def test_a_larger_scratch_disk_is_refused_unless_the_level_allows_raising():
    greedy = {"name": "evil", "image": NANO, "trust_level": "hostile", "storage": "100g"}
    _limited, _reasons, problems = resolved([greedy])
    assert [(p.rule, p.field, p.workload) for p in problems] == [
        ("trust-limit-exceeded", "storage", "'evil'")
    ]
    assert "wincontainers_trust_limits.hostile.storage" in str(problems[0])
    limited, reasons, problems = resolved([greedy], {"hostile": {"allow_raise": True}})
    assert problems == [] and limited[0].storage_bytes == 100 * GIB
    assert any("allowed by wincontainers_trust_limits.hostile" in r for r in reasons["evil"])


def test_zero_removes_the_storage_ceiling_only():
    limited, _reasons, _problems = resolved(
        [{"name": "evil", "image": NANO, "trust_level": "hostile"}], {"hostile": {"storage": 0}}
    )
    assert (limited[0].memory_bytes, limited[0].cpus, limited[0].storage_bytes) == (GIB, 1.0, 0)


@pytest.mark.parametrize("size", ["10g", 1024, "19g"])
def test_a_size_below_the_platforms_20_gb_is_refused_as_it_would_limit_nothing(size):
    with pytest.raises(ws.WorkloadSpecError) as caught:
        ws.normalise_workloads([{"name": "wl", "image": NANO, "storage": size}], host="h1")
    (problem,) = caught.value.errors
    assert (problem.rule, problem.field) == ("storage-below-floor", "storage")
    assert "ExpandScratchSize" in problem.detail
    with pytest.raises(ws.WorkloadSpecError, match=r"bad-trust-limits.*below 20 GB"):
        tl.read_ceilings({"hostile": {"storage": size}}, "h1")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21474836480", 20 * GIB),
        ("50GB", 50 * GIB),
        ("50 gib", 50 * GIB),
        ("1.5t", int(1.5 * 1024**4)),
        ("", 0),
        ("50gi", 0),
        ("abc", 0),
    ],
)
def test_docker_size_bytes_reads_the_size_as_dockerd_does(text, expected):
    assert ws.docker_size_bytes(text) == expected


def test_the_create_step_and_its_argv_carry_the_size_only_when_set():
    (hostile,) = resolved([{"name": "evil", "image": NANO, "trust_level": "hostile"}])[0]
    step = cp._create_step(cp.Desired(spec=hostile, isolation="hyperv"), "evil", "o")
    assert step["storage_bytes"] == str(20 * GIB)
    (create,) = [list(c.argv) for c in da.render_step(step)]
    assert f"--storage-opt=size={20 * GIB}" in create
    (own,) = ws.normalise_workloads([{"name": "own", "image": NANO}], host="h1")
    plain = cp._create_step(cp.Desired(spec=own, isolation="process"), "own", "o")
    assert "storage_bytes" not in plain
    assert not any("storage-opt" in w for c in da.render_step(plain) for w in c.argv)


def test_the_config_hash_of_a_workload_without_storage_is_unchanged_and_a_size_changes_it():
    (own,) = ws.normalise_workloads([{"name": "own", "image": NANO}], host="h1")
    sized = ws.normalise_workloads([{"name": "own", "image": NANO, "storage": "30g"}], host="h1")
    plain = cp.Desired(spec=own, isolation="process").config_hash()
    assert plain == cp.Desired(spec=own, isolation="process").config_hash()
    assert cp.Desired(spec=sized[0], isolation="process").config_hash() != plain
