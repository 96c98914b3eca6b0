"""Image sources per trust level (wincontainers_trust_registries)."""

from __future__ import annotations

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    image_sources as src,
)
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import (
    workload_spec as ws,
)

DIGEST = "sha256:" + "a" * 64
SOURCES = {
    "hostile": {"registries": ["registry.acme.example:5000/tenants"], "require_digest": True},
    "untrusted": {"registries": ["mcr.microsoft.com", "Registry.Acme.Example:5000"]},
}


def checked(image, level="hostile", sources=None):
    specs = ws.normalise_workloads(
        [{"name": "wl", "image": image, "trust_level": level}], host="h1"
    )
    return src.check(specs, src.read_sources(SOURCES if sources is None else sources, "h1"), "h1")


def test_a_pinned_image_from_the_levels_registry_is_accepted_with_its_reasons():
    reasons, problems = checked(f"registry.acme.example:5000/tenants/evil@{DIGEST}")
    assert problems == []
    assert reasons["wl"] == [
        "[image-source] registry registry.acme.example:5000 is in the hostile level's list"
        " (wincontainers_trust_registries)",
        "[image-source] pinned by digest, as the hostile level requires"
        " (wincontainers_trust_registries)",
    ]


def test_hostile_code_by_tag_is_refused_where_a_digest_is_required():
    _reasons, problems = checked("registry.acme.example:5000/tenants/evil:1.0")
    (problem,) = problems
    assert (problem.rule, problem.host, problem.workload) == ("digest-required", "h1", "'wl'")
    assert "registry.acme.example:5000/tenants/evil@sha256:<digest>" in problem.detail


@pytest.mark.parametrize(
    ("image", "registry"),
    [
        ("registry.acme.example:5000/other/evil@" + DIGEST, "registry.acme.example:5000"),
        ("evil@" + DIGEST, "docker.io"),
        ("ghcr.io/x/evil@" + DIGEST, "ghcr.io"),
    ],
)
def test_an_image_outside_the_levels_registries_is_refused_naming_the_registry(image, registry):
    _reasons, problems = checked(image)
    (problem,) = problems
    assert problem.rule == "registry-not-allowed" and f"registry {registry!r}" in problem.detail
    assert "wincontainers_trust_registries.hostile.registries" in problem.detail


def test_registry_names_compare_without_case_and_a_level_not_named_is_free():
    reasons, problems = checked("registry.acme.example:5000/app:1", level="untrusted")
    assert problems == [] and reasons["wl"]
    reasons, problems = checked("anything/at:all", level="trusted")
    assert problems == [] and reasons == {}


@pytest.mark.parametrize(
    "sources",
    [
        {"friendly": {}},
        {"hostile": {"registry": ["x"]}},
        {"hostile": {"registries": "mcr.microsoft.com"}},
        {"hostile": {"registries": [""]}},
        {"hostile": {"require_digest": "maybe"}},
    ],
)
def test_bad_sources_are_refused(sources):
    with pytest.raises(ws.WorkloadSpecError) as caught:
        src.read_sources(sources, "h1")
    assert caught.value.errors[0].rule == "bad-trust-registries"
