"""The trust policy, rule by rule, and every refusal."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.trust_policy import (
    Decision,
    PolicyError,
    decide,
    host_from_inventory,
    is_admin_user,
    validate_container_name,
    validate_image_reference,
)

WS2016 = "10.0.14393.1914"
WS2019 = "10.0.17763.5458"
WS2022 = "10.0.20348.2340"
WS2025 = "10.0.26100.2894"
NANO_2022 = "mcr.microsoft.com/windows/nanoserver:ltsc2022"


def make_host(**overrides):
    host = {
        "name": "winhost01",
        "trust_boundary": "acme",
        "os_version": WS2022,
        "hyperv_available": True,
    }
    host.update(overrides)
    return host


def make_workload(**overrides):
    workload = {"name": "web", "image": NANO_2022}
    workload.update(overrides)
    return workload


def refusal(workload, host) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        decide(workload, host)
    return info.value


def assert_names_host_and_workload(err: PolicyError, host="winhost01", workload="web"):
    message = str(err)
    assert f"host '{host}'" in message
    assert f"workload '{workload}'" in message
    assert f"rule '{err.rule}'" in message
    assert err.host == host


# --- rule 1: trust decides whether a separate kernel is required ----------------------------


class TestTrustRequiresHyperV:
    def test_trusted_same_boundary_gets_host_preference_process(self):
        decision = decide(make_workload(), make_host())
        assert decision.isolation == "process"
        assert not decision.hyperv_required
        assert not decision.downgraded
        assert decision.rules[:2] == ("same-trust-boundary", "host-preference")

    @pytest.mark.parametrize("level", ["untrusted", "hostile"])
    def test_untrusted_and_hostile_require_hyperv(self, level):
        decision = decide(make_workload(trust_level=level), make_host())
        assert decision.isolation == "hyperv"
        assert decision.hyperv_required
        assert "trust-requires-hyperv" in decision.rules
        assert any(level in reason for reason in decision.reasons)

    def test_other_trust_boundary_requires_hyperv(self):
        decision = decide(make_workload(trust_boundary="partner-a"), make_host())
        assert decision.isolation == "hyperv"
        assert decision.hyperv_required
        assert any("'partner-a' differs" in reason for reason in decision.reasons)

    def test_workload_boundary_defaults_to_the_hosts(self):
        assert not decide(make_workload(trust_boundary=None), make_host()).hyperv_required
        assert not decide(make_workload(trust_boundary="acme"), make_host()).hyperv_required

    def test_boundaries_compare_exactly(self):
        """A near miss errs toward a separate kernel."""
        assert decide(make_workload(trust_boundary="Acme"), make_host()).isolation == "hyperv"

    def test_explicit_hyperv_for_trusted_workload(self):
        decision = decide(make_workload(isolation="hyperv"), make_host())
        assert decision.isolation == "hyperv"
        assert not decision.hyperv_required
        assert "explicit-isolation" in decision.rules


# --- rule 2: explicit process where Hyper-V is required --------------------------------------


class TestExplicitProcess:
    @pytest.mark.parametrize(
        "overrides", [{"trust_level": "untrusted"}, {"trust_boundary": "partner-a"}]
    )
    def test_refused_without_downgrade(self, overrides):
        err = refusal(make_workload(isolation="process", **overrides), make_host())
        assert err.rule == "trust-requires-hyperv"
        assert err.field is None
        assert "wincontainers_allow_isolation_downgrade" in str(err)
        assert_names_host_and_workload(err)

    @pytest.mark.parametrize(
        "overrides", [{"trust_level": "untrusted"}, {"trust_boundary": "partner-a"}]
    )
    def test_downgrade_allowed_says_so_loudly(self, overrides):
        decision = decide(
            make_workload(isolation="process", **overrides),
            make_host(allow_isolation_downgrade=True),
        )
        assert decision.isolation == "process"
        assert decision.downgraded
        assert decision.hyperv_required
        assert "isolation-downgrade-allowed" in decision.rules
        loud = [r for r in decision.reasons if "isolation-downgrade-allowed" in r]
        assert "WARNING" in loud[0]
        assert "DOWNGRADED" in loud[0]

    def test_hostile_is_never_downgraded(self):
        err = refusal(
            make_workload(isolation="process", trust_level="hostile"),
            make_host(allow_isolation_downgrade=True),
        )
        assert err.rule == "trust-requires-hyperv"
        assert "never downgraded" in str(err)
        assert_names_host_and_workload(err)

    def test_trusted_process_is_not_a_downgrade(self):
        decision = decide(
            make_workload(isolation="process"), make_host(isolation_preference="hyperv")
        )
        assert decision.isolation == "process"
        assert not decision.downgraded
        assert "explicit-isolation" in decision.rules


# --- rule 3: auto ---------------------------------------------------------------------------


class TestAuto:
    def test_host_preference_hyperv(self):
        decision = decide(make_workload(), make_host(isolation_preference="hyperv"))
        assert decision.isolation == "hyperv"
        assert not decision.hyperv_required
        assert "host-preference" in decision.rules

    def test_older_image_build_moves_to_hyperv(self):
        decision = decide(make_workload(image_os_version=WS2019), make_host())
        assert decision.isolation == "hyperv"
        assert decision.rules.count("compatibility-requires-hyperv") == 1
        assert decision.compatibility == "older-known-build"

    def test_newer_image_revision_prefers_hyperv_when_available(self):
        decision = decide(make_workload(image_os_version="10.0.20348.2402"), make_host())
        assert decision.isolation == "hyperv"
        assert "revision-prefers-hyperv" in decision.rules
        assert decision.compatibility == "same-build"

    def test_newer_image_revision_keeps_process_without_hyperv(self):
        decision = decide(
            make_workload(image_os_version="10.0.20348.2402"),
            make_host(hyperv_available=False),
        )
        assert decision.isolation == "process"
        assert "newer-image-revision-under-process" in decision.rules
        assert decision.compatibility == "same-build-newer-image-revision"

    def test_server_2016_revision_mismatch_moves_to_hyperv(self):
        decision = decide(
            make_workload(image_os_version="10.0.14393.1944"), make_host(os_version=WS2016)
        )
        assert decision.isolation == "hyperv"
        assert "compatibility-requires-hyperv" in decision.rules

    def test_server_2025_host_runs_2022_image_under_process(self):
        decision = decide(make_workload(image_os_version=WS2022), make_host(os_version=WS2025))
        assert decision.isolation == "process"
        assert decision.compatibility == "ltsc2022-on-ltsc2025"

    def test_matching_image_stays_process(self):
        decision = decide(make_workload(image_os_version=WS2022), make_host())
        assert decision.isolation == "process"
        assert decision.compatibility == "same-build"
        assert "image-compatible" in decision.rules


# --- rule 4: version compatibility ----------------------------------------------------------


class TestCompatibility:
    @pytest.mark.parametrize("isolation", ["auto", "process", "hyperv"])
    @pytest.mark.parametrize("level", ["trusted", "untrusted", "hostile"])
    def test_image_newer_than_host_is_refused(self, isolation, level):
        err = refusal(
            make_workload(isolation=isolation, trust_level=level, image_os_version=WS2025),
            make_host(allow_isolation_downgrade=True),
        )
        assert err.rule == "image-too-new"
        assert "26100" in str(err)
        assert_names_host_and_workload(err)

    def test_explicit_process_on_older_build_is_refused(self):
        err = refusal(make_workload(isolation="process", image_os_version=WS2019), make_host())
        assert err.rule == "process-incompatible"
        assert "0xc0370101" in str(err)
        assert_names_host_and_workload(err)

    def test_explicit_process_on_2016_revision_mismatch_is_refused(self):
        err = refusal(
            make_workload(isolation="process", image_os_version="10.0.14393.1770"),
            make_host(os_version=WS2016),
        )
        assert err.rule == "process-incompatible"
        assert "revisions match" in str(err)

    def test_explicit_process_with_newer_revision_runs_with_a_caution(self):
        decision = decide(
            make_workload(isolation="process", image_os_version="10.0.20348.2402"), make_host()
        )
        assert decision.isolation == "process"
        assert decision.compatibility == "same-build-newer-image-revision"
        assert any("0xc0370106" in reason for reason in decision.reasons)

    def test_downgraded_process_still_needs_a_compatible_image(self):
        err = refusal(
            make_workload(isolation="process", trust_level="untrusted", image_os_version=WS2019),
            make_host(allow_isolation_downgrade=True),
        )
        assert err.rule == "process-incompatible"

    def test_hyperv_refuses_an_unknown_older_build(self):
        err = refusal(
            make_workload(isolation="hyperv", image_os_version="10.0.19999.1"), make_host()
        )
        assert err.rule == "hyperv-incompatible"
        assert "19999" in str(err)
        assert_names_host_and_workload(err)

    def test_auto_where_neither_isolation_runs_explains_both(self):
        err = refusal(make_workload(image_os_version="10.0.19999.1"), make_host())
        assert err.rule == "hyperv-incompatible"
        assert "process isolation cannot either" in str(err)

    def test_unknown_image_version_decides_on_trust_alone(self):
        decision = decide(make_workload(), make_host())
        assert decision.compatibility == "unknown-image-version"
        assert "image-version-unknown" in decision.rules
        assert any("trust alone" in reason for reason in decision.reasons)

    def test_older_image_under_hyperv_for_untrusted(self):
        decision = decide(
            make_workload(trust_level="untrusted", image_os_version="10.0.14393.1"),
            make_host(os_version=WS2025),
        )
        assert decision.isolation == "hyperv"
        assert decision.compatibility == "older-known-build"


# --- rule 5: Hyper-V must be available ------------------------------------------------------


class TestHyperVAvailability:
    @pytest.mark.parametrize(
        ("workload", "host", "why"),
        [
            ({"trust_level": "untrusted"}, {}, "trust requires it"),
            ({"isolation": "hyperv"}, {}, "the workload asks for it"),
            ({}, {"isolation_preference": "hyperv"}, "isolation_preference is 'hyperv'"),
            ({"image_os_version": WS2019}, {}, "process isolation cannot run the image"),
        ],
    )
    def test_refused_with_the_way_to_make_it_available(self, workload, host, why):
        err = refusal(make_workload(**workload), make_host(hyperv_available=False, **host))
        assert err.rule == "hyperv-unavailable"
        message = str(err)
        assert why in message
        assert "Install-WindowsFeature -Name Hyper-V" in message
        assert "Set-VMProcessor -VMName <vm> -ExposeVirtualizationExtensions $true" in message
        assert "while the VM is off" in message
        assert_names_host_and_workload(err)

    def test_hyperv_available_defaults_to_false(self):
        host = make_host()
        del host["hyperv_available"]
        assert refusal(make_workload(trust_level="hostile"), host).rule == "hyperv-unavailable"

    def test_process_needs_no_hyperv(self):
        assert decide(make_workload(), make_host(hyperv_available=False)).isolation == "process"

    def test_provisioning_question_needs_hyperv_role(self):
        """The provisioning role asks decide() hypothetically with hyperv_available=True."""
        host = make_host(hyperv_available=True)
        workloads = [make_workload(), make_workload(name="api", trust_level="untrusted")]
        assert any(decide(w, host).isolation == "hyperv" for w in workloads)
        assert all(decide(w, host).isolation == "process" for w in workloads[:1])


# --- rule 6: the user -----------------------------------------------------------------------


ADMIN_NAMES = [
    "ContainerAdministrator",
    "containeradministrator",
    "CONTAINERADMINISTRATOR",
    "Administrator",
    ".\\Administrator",
    "User Manager\\ContainerAdministrator",
    "CORP\\administrator",
    "NT AUTHORITY\\SYSTEM",
    "nt authority\\system",
    "LocalSystem",
    ".\\LocalSystem",
    "SYSTEM",
    " ContainerAdministrator ",
    "Administrator@corp.example",
    "S-1-5-18",
    "S-1-5-21-1004336348-1177238915-682003330-500",
]
NON_ADMIN_NAMES = [
    "ContainerUser",
    "User Manager\\ContainerUser",
    "NT AUTHORITY\\NETWORK SERVICE",
    "NT AUTHORITY\\LOCAL SERVICE",
    "app",
    "Administrators-helper",
    "CORP\\svc-web",
    "S-1-5-21-1004336348-1177238915-682003330-1001",
]


class TestUser:
    def test_default_user_is_container_user(self):
        decision = decide(make_workload(), make_host())
        assert decision.user == "ContainerUser"
        assert "non-admin-user" in decision.rules

    @pytest.mark.parametrize("user", ADMIN_NAMES)
    def test_admin_is_refused(self, user):
        err = refusal(make_workload(user=user), make_host())
        assert err.rule == "admin-user"
        assert "wincontainers_allow_container_admin" in str(err)
        assert_names_host_and_workload(err)

    @pytest.mark.parametrize("user", ADMIN_NAMES)
    def test_admin_allowed_says_so(self, user):
        decision = decide(make_workload(user=user), make_host(allow_container_admin=True))
        assert decision.user == user
        assert "admin-user-allowed" in decision.rules
        assert any("WARNING" in r and "administrator" in r for r in decision.reasons)

    @pytest.mark.parametrize("user", NON_ADMIN_NAMES)
    def test_non_admin_passes(self, user):
        assert decide(make_workload(user=user), make_host()).user == user

    @pytest.mark.parametrize("user", ADMIN_NAMES)
    def test_is_admin_user_true(self, user):
        assert is_admin_user(user)

    @pytest.mark.parametrize("user", NON_ADMIN_NAMES)
    def test_is_admin_user_false(self, user):
        assert not is_admin_user(user)

    def test_is_admin_user_rejects_non_strings(self):
        with pytest.raises(TypeError):
            is_admin_user(None)


# --- bad values -----------------------------------------------------------------------------


BAD_WORKLOADS = [
    ({"image": None}, "workload.image", "is required"),
    ({"image": ""}, "workload.image", "at least one component"),
    ({"image": "Nanoserver"}, "workload.image", "must be lowercase"),
    ({"image": "mcr.microsoft.com/windows/nanoserver:"}, "workload.image", "invalid reference"),
    ({"image": 42}, "workload.image", "must be a string"),
    ({"name": "w"}, "workload.name", "invalid container name"),
    ({"name": "-web"}, "workload.name", "invalid container name"),
    ({"name": "my web"}, "workload.name", "invalid container name"),
    ({"name": "web\n"}, "workload.name", "invalid container name"),
    ({"name": 7}, "workload.name", "must be a string"),
    ({"trust_level": "Hostile"}, "workload.trust_level", "trusted, untrusted, hostile"),
    ({"trust_level": "semi"}, "workload.trust_level", "trusted, untrusted, hostile"),
    ({"isolation": "default"}, "workload.isolation", "auto, process, hyperv"),
    ({"isolation": True}, "workload.isolation", "auto, process, hyperv"),
    ({"trust_boundary": ""}, "workload.trust_boundary", "non-empty string"),
    ({"trust_boundary": ["acme"]}, "workload.trust_boundary", "non-empty string"),
    ({"user": ""}, "workload.user", "non-empty account name"),
    ({"user": 0}, "workload.user", "non-empty account name"),
    ({"image_os_version": "10.0.20348"}, "workload.image_os_version", "malformed"),
    ({"image_os_version": "ltsc2022"}, "workload.image_os_version", "malformed"),
]


@pytest.mark.parametrize(("overrides", "field", "text"), BAD_WORKLOADS)
def test_bad_workload_values_name_the_field(overrides, field, text):
    workload = make_workload(**overrides)
    if overrides.get("image", "x") is None:
        del workload["image"]
    err = refusal(workload, make_host())
    assert err.rule == "bad-field"
    assert err.field == field
    message = str(err)
    assert f"field '{field}'" in message
    assert text in message
    assert "host 'winhost01'" in message
    assert "workload " in message


BAD_HOSTS = [
    ({"trust_boundary": None}, "host.trust_boundary", "wincontainers_trust_boundary"),
    ({"trust_boundary": "  "}, "host.trust_boundary", "non-empty string"),
    ({"trust_boundary": 5}, "host.trust_boundary", "non-empty string"),
    ({"os_version": None}, "host.os_version", "is required"),
    ({"os_version": "2022"}, "host.os_version", "malformed"),
    ({"os_version": "6.3.9600.0"}, "host.os_version", "Windows 10.0"),
    ({"hyperv_available": "maybe"}, "host.hyperv_available", "must be a boolean"),
    ({"hyperv_available": 2}, "host.hyperv_available", "must be a boolean"),
    ({"hyperv_available": [True]}, "host.hyperv_available", "got a list (1 items)"),
    (
        {"allow_isolation_downgrade": "truee"},
        "host.allow_isolation_downgrade",
        "wincontainers_allow_isolation_downgrade",
    ),
    (
        {"allow_container_admin": "enabled"},
        "host.allow_container_admin",
        "wincontainers_allow_container_admin",
    ),
    ({"isolation_preference": "auto"}, "host.isolation_preference", "process, hyperv"),
    ({"name": 3}, "host.name", "non-empty string"),
]


@pytest.mark.parametrize(("overrides", "field", "text"), BAD_HOSTS)
def test_bad_host_values_name_the_field(overrides, field, text):
    host = make_host(**overrides)
    for key, value in overrides.items():
        if value is None:
            del host[key]
    err = refusal(make_workload(), host)
    assert err.rule == "bad-field"
    assert err.field == field
    assert f"field '{field}'" in str(err)
    assert text in str(err)
    assert "workload 'web'" in str(err)


@pytest.mark.parametrize("text", ["true", "True", "YES", "on", "1", " y "])
def test_string_flags_read_as_ansible_reads_them(text):
    """AWX surveys and INI inventories send text: Ansible's own boolean words are accepted."""
    decision = decide(
        make_workload(user="ContainerAdministrator"), make_host(allow_container_admin=text)
    )
    assert "admin-user-allowed" in decision.rules


def test_non_mapping_inputs_are_refused():
    assert refusal("web", make_host()).field == "workload"
    err = refusal(make_workload(), ["acme"])
    assert err.field == "host"
    assert "workload 'web'" in str(err)
    assert err.host is None


def test_keys_the_policy_does_not_own_are_ignored():
    workload = make_workload(
        ports=["8080:80"], env={"A": "b"}, mounts=[], restart_policy="always", anything=object()
    )
    assert decide(workload, make_host()).isolation == "process"


def test_none_means_default():
    workload = make_workload(trust_level=None, isolation=None, user=None, image_os_version=None)
    host = make_host(
        isolation_preference=None, allow_isolation_downgrade=None, allow_container_admin=None
    )
    decision = decide(workload, host)
    assert (decision.isolation, decision.user) == ("process", "ContainerUser")


def test_validation_happens_before_policy():
    """A bad value is reported even when a policy rule would also refuse."""
    err = refusal(make_workload(trust_level="hostile", isolation="nope"), make_host())
    assert err.rule == "bad-field"


# --- messages and result shape --------------------------------------------------------------


def test_refusal_without_host_name_still_names_the_workload():
    host = make_host()
    del host["name"]
    err = refusal(make_workload(user="Administrator"), host)
    assert str(err).startswith("workload 'web': refused by rule 'admin-user'")
    assert err.host is None
    assert err.workload == "web"


def test_unnamed_workload_is_named_by_its_image():
    workload = make_workload(user="Administrator")
    del workload["name"]
    err = refusal(workload, make_host())
    assert f"workload (unnamed, image '{NANO_2022}')" in str(err)
    assert err.workload == f"(unnamed, image '{NANO_2022}')"


def test_workload_label_survives_a_bad_name():
    err = refusal(make_workload(name="(web)"), make_host())
    assert err.field == "workload.name"
    assert f"workload (unnamed, image '{NANO_2022}')" in str(err)


def test_long_names_are_shortened_in_messages_only():
    name = "w" * 300
    err = refusal(make_workload(name=name, user="Administrator"), make_host())
    assert err.workload == name
    assert len(str(err)) < 600


def test_policy_error_attributes():
    err = refusal(make_workload(trust_level="bad"), make_host())
    assert (err.host, err.workload, err.rule, err.field) == (
        "winhost01",
        "web",
        "bad-field",
        "workload.trust_level",
    )
    assert isinstance(err, Exception)


def test_decision_is_frozen_and_serialises():
    decision = decide(make_workload(trust_level="untrusted"), make_host())
    assert isinstance(decision, Decision)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decision.isolation = "process"
    data = decision.to_dict()
    assert set(data) == {
        "isolation",
        "user",
        "reasons",
        "rules",
        "hyperv_required",
        "downgraded",
        "compatibility",
    }
    assert isinstance(data["reasons"], list)
    assert isinstance(data["rules"], list)
    assert data["isolation"] == "hyperv"


def test_every_reason_names_a_listed_rule():
    decision = decide(
        make_workload(trust_boundary="partner-a", image_os_version=WS2019, user="Administrator"),
        make_host(os_version=WS2025, allow_container_admin=True),
    )
    for reason in decision.reasons:
        assert reason.startswith("[")
        assert reason[1 : reason.index("]")] in decision.rules
    assert len(set(decision.rules)) == len(decision.rules)


# --- shared validators ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["web", "w1", "/web", "a.b-c_d", "0x", "Web-01"])
def test_valid_container_names(name):
    validate_container_name(name)


@pytest.mark.parametrize("name", ["w", "/w", "_web", ".web", "web/api", "wéb", "", "web:1"])
def test_invalid_container_names(name):
    with pytest.raises(ValueError, match="invalid container name"):
        validate_container_name(name)


@pytest.mark.parametrize(
    "ref",
    [
        "ubuntu",
        "library/ubuntu:22.04",
        NANO_2022,
        "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022",
        "localhost:5000/team/app:1.0",
        "registry.example.com:443/a__b/c--d:v1.2_3",
        "[::1]:5000/app",
        "Registry.Example.com/app",
        "app@sha256:" + "a" * 64,
        "app:1.0@sha512:" + "0" * 128,
    ],
)
def test_valid_image_references(ref):
    validate_image_reference(ref)


@pytest.mark.parametrize(
    ("ref", "text"),
    [
        ("", "at least one component"),
        ("Ubuntu", "must be lowercase"),
        ("team/App", "must be lowercase"),
        ("app:", "invalid reference format"),
        ("app:-1", "invalid reference format"),
        ("a//b", "invalid reference format"),
        ("app:" + "t" * 129, "invalid reference format"),
        ("app name", "invalid reference format"),
        ("a" * 64, "64-byte hexadecimal"),
        ("x/" + "a" * 256, "not be more than 255"),
        ("app@sha256:" + "a" * 63, "invalid checksum digest length"),
        ("app@sha256:" + "A" * 64, "invalid checksum digest format"),
        ("app@md5:" + "a" * 32, "unsupported digest algorithm"),
        ("x" * 2000, "longer than 1024"),
    ],
)
def test_invalid_image_references(ref, text):
    with pytest.raises(ValueError, match=text):
        validate_image_reference(ref)


# --- inventory mapping ----------------------------------------------------------------------


def test_host_from_inventory_maps_every_variable():
    hostvars = {
        "inventory_hostname": "winhost01",
        "wincontainers_trust_boundary": "acme",
        "wincontainers_isolation_preference": "hyperv",
        "wincontainers_allow_isolation_downgrade": True,
        "wincontainers_allow_container_admin": True,
        "wincontainers_workloads": [],
        "ansible_host": "10.0.0.5",
    }
    host = host_from_inventory(hostvars, WS2022, True, None)
    assert host == {
        "name": "winhost01",
        "trust_boundary": "acme",
        "os_version": WS2022,
        "hyperv_available": True,
        "isolation_preference": "hyperv",
        "allow_isolation_downgrade": True,
        "allow_container_admin": True,
    }


def test_host_from_inventory_leaves_defaults_to_decide():
    host = host_from_inventory({"wincontainers_trust_boundary": "acme"}, WS2022, False, "h2")
    assert host == {
        "name": "h2",
        "trust_boundary": "acme",
        "os_version": WS2022,
        "hyperv_available": False,
    }
    decision = decide(make_workload(), host)
    assert decision.isolation == "process"


def test_host_from_inventory_missing_boundary_is_refused_naming_the_variable():
    host = host_from_inventory({}, WS2022, True, "h3")
    err = refusal(make_workload(), host)
    assert err.field == "host.trust_boundary"
    assert "wincontainers_trust_boundary" in str(err)
    assert "host 'h3'" in str(err)
