"""Invariants of the trust policy over generated workloads and hosts (hypothesis)."""

from __future__ import annotations

import contextlib
import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.trust_policy import (
    PolicyError,
    decide,
    is_admin_user,
    validate_image_reference,
)

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

BUILDS = [14393, 17763, 20348, 26100, 18363, 19042, 25398, 19999]
BOUNDARIES = ["acme", "partner-a", "partner-b", "Acme"]
IMAGES = [
    "mcr.microsoft.com/windows/nanoserver:ltsc2022",
    "mcr.microsoft.com/windows/servercore:ltsc2019",
    "registry.acme.example/team/app:1.2.3",
    "app",
]
ADMIN_ACCOUNTS = ["ContainerAdministrator", "Administrator", "NT AUTHORITY\\SYSTEM", "LocalSystem"]
PREFIXES = ["", ".\\", "CORP\\", "User Manager\\", "WINHOST01\\"]

versions = st.builds(
    lambda build, revision: f"10.0.{build}.{revision}",
    st.sampled_from(BUILDS),
    st.integers(min_value=0, max_value=3000),
)
names = st.from_regex(r"[a-zA-Z0-9][a-zA-Z0-9_.-]{1,20}", fullmatch=True)


@st.composite
def random_case(draw, text):
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if flip else c.lower() for c, flip in zip(text, flips, strict=True))


@st.composite
def admin_users(draw):
    account = draw(random_case(draw(st.sampled_from(ADMIN_ACCOUNTS))))
    return draw(st.sampled_from(PREFIXES)) + account


users = st.one_of(
    st.just("ContainerUser"),
    st.sampled_from(["NT AUTHORITY\\NETWORK SERVICE", "app", "CORP\\svc-web"]),
    admin_users(),
)


def optional(strategy):
    """Either leave the key out (None is dropped below) or give a value."""
    return st.one_of(st.none(), strategy)


@st.composite
def workloads(draw):
    workload = {
        "name": draw(names),
        "image": draw(st.sampled_from(IMAGES)),
        "trust_boundary": draw(optional(st.sampled_from(BOUNDARIES))),
        "trust_level": draw(optional(st.sampled_from(["trusted", "untrusted", "hostile"]))),
        "isolation": draw(optional(st.sampled_from(["auto", "process", "hyperv"]))),
        "user": draw(optional(users)),
        "image_os_version": draw(optional(versions)),
        "ports": ["8080:80"],
    }
    return {key: value for key, value in workload.items() if value is not None}


@st.composite
def hosts(draw):
    host = {
        "name": draw(names),
        "trust_boundary": draw(st.sampled_from(BOUNDARIES)),
        "os_version": draw(versions),
        "hyperv_available": draw(optional(st.booleans())),
        "isolation_preference": draw(optional(st.sampled_from(["process", "hyperv"]))),
        "allow_isolation_downgrade": draw(optional(st.booleans())),
        "allow_container_admin": draw(optional(st.booleans())),
    }
    return {key: value for key, value in host.items() if value is not None}


def outcome(workload, host):
    try:
        return decide(workload, host)
    except PolicyError as err:
        return err


def build_of(version: str) -> int:
    return int(version.split(".")[2])


@SETTINGS
@given(workloads(), hosts())
def test_hostile_never_gets_process(workload, host):
    workload = {**workload, "trust_level": "hostile"}
    result = outcome(workload, host)
    if workload.get("isolation") == "process":
        assert isinstance(result, PolicyError)
    if not isinstance(result, PolicyError):
        assert result.isolation == "hyperv"
        assert result.hyperv_required
        assert not result.downgraded


@SETTINGS
@given(workloads(), hosts(), st.sampled_from(BOUNDARIES))
def test_other_boundary_gets_process_only_by_allowed_downgrade(workload, host, boundary):
    host = {**host, "trust_boundary": boundary}
    workload = {**workload, "trust_boundary": f"not-{boundary}"}
    result = outcome(workload, host)
    if isinstance(result, PolicyError):
        return
    assert result.hyperv_required
    if result.isolation == "process":
        assert host.get("allow_isolation_downgrade") is True
        assert workload.get("isolation") == "process"
        assert workload.get("trust_level") != "hostile"
        assert result.downgraded
        assert any("DOWNGRADED" in reason for reason in result.reasons)


@SETTINGS
@given(workloads(), hosts())
def test_decision_is_deterministic(workload, host):
    first = outcome(workload, host)
    reordered_workload = dict(reversed(list(copy.deepcopy(workload).items())))
    reordered_host = dict(reversed(list(copy.deepcopy(host).items())))
    second = outcome(reordered_workload, reordered_host)
    if isinstance(first, PolicyError):
        assert isinstance(second, PolicyError)
        assert (str(first), first.rule, first.field) == (str(second), second.rule, second.field)
    else:
        assert first == second


@SETTINGS
@given(workloads(), hosts())
def test_every_refusal_names_workload_host_and_rule(workload, host):
    result = outcome(workload, host)
    if isinstance(result, PolicyError):
        message = str(result)
        assert f"workload '{workload['name']}'" in message
        assert f"host '{host['name']}'" in message
        assert f"rule '{result.rule}'" in message


@SETTINGS
@given(workloads(), hosts(), admin_users())
def test_admin_never_passes_without_allow_container_admin(workload, host, user):
    workload = {**workload, "user": user}
    result = outcome(workload, host)
    assert is_admin_user(user)
    if host.get("allow_container_admin") is not True:
        assert isinstance(result, PolicyError)
    elif not isinstance(result, PolicyError):
        assert "admin-user-allowed" in result.rules


@SETTINGS
@given(workloads(), hosts(), st.integers(min_value=1, max_value=20000), st.integers(0, 3000))
def test_image_newer_than_host_is_always_refused(workload, host, newer_by, revision):
    image_build = build_of(host["os_version"]) + newer_by
    workload = {**workload, "image_os_version": f"10.0.{image_build}.{revision}"}
    result = outcome(workload, host)
    assert isinstance(result, PolicyError)
    assert result.rule == "image-too-new"


@SETTINGS
@given(workloads(), hosts())
def test_hyperv_decisions_only_where_hyperv_is_available(workload, host):
    result = outcome(workload, host)
    if not isinstance(result, PolicyError) and result.isolation == "hyperv":
        assert host.get("hyperv_available") is True


@SETTINGS
@given(workloads(), hosts())
def test_process_decisions_can_run_the_image(workload, host):
    result = outcome(workload, host)
    if isinstance(result, PolicyError) or result.isolation != "process":
        return
    image_version = workload.get("image_os_version")
    if image_version is None:
        assert result.compatibility == "unknown-image-version"
        return
    image_build, host_build = build_of(image_version), build_of(host["os_version"])
    assert image_build == host_build or (host_build, image_build) == (26100, 20348)
    if host_build == 14393:
        assert image_version == host["os_version"]


junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=30),
    st.lists(st.text(max_size=5), max_size=2),
    st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
)
WORKLOAD_KEYS = ["name", "image", "trust_boundary", "trust_level", "isolation", "user"]
HOST_KEYS = ["trust_boundary", "os_version", "hyperv_available", "isolation_preference"]


@SETTINGS
@given(
    workloads(),
    hosts(),
    st.dictionaries(st.sampled_from([*WORKLOAD_KEYS, "image_os_version"]), junk, max_size=3),
    st.dictionaries(
        st.sampled_from([*HOST_KEYS, "allow_isolation_downgrade", "allow_container_admin"]),
        junk,
        max_size=3,
    ),
)
def test_junk_values_give_a_decision_or_a_named_refusal(workload, host, bad_wl, bad_host):
    """Any value in any field: never a crash, only a Decision or a PolicyError naming the host."""
    workload = {**workload, **bad_wl}
    host = {**host, **bad_host}
    result = outcome(workload, host)
    if isinstance(result, PolicyError):
        assert f"host '{host['name']}'" in str(result)
        assert "workload " in str(result)
        if result.rule == "bad-field":
            assert result.field
            assert f"field '{result.field}'" in str(result)


@settings(max_examples=300, deadline=200)
@given(st.text(alphabet="aA0-_.:/@[]", max_size=600))
def test_image_reference_validation_is_fast_on_hostile_strings(text):
    """The grammar's nested repetitions must not backtrack badly (deadline 200 ms)."""
    with contextlib.suppress(ValueError):
        validate_image_reference(text)
