"""Input defects of workload entries refused before any change (issue 13, items 10, 11 and
"Smaller input defects")."""

from __future__ import annotations

import json

import pytest

from ansible_collections.trustbound.wincontainers.plugins.plugin_utils import win_paths
from ansible_collections.trustbound.wincontainers.plugins.plugin_utils.workload_spec import (
    WorkloadSpecError,
    normalise_workloads,
)

NANO = "mcr.microsoft.com/windows/nanoserver:ltsc2022"
SECRET = "Pa55-word-4711"


def refused(**fields) -> WorkloadSpecError:
    with pytest.raises(WorkloadSpecError) as info:
        normalise_workloads([{"name": "web", "image": NANO, **fields}], host="h1")
    return info.value


@pytest.mark.parametrize(
    "fields",
    [
        {"env": {"Path": "a", "PATH": "b"}},
        {"secret_env": {"token": "a", "TOKEN": SECRET}},
    ],
)
def test_env_names_that_differ_only_in_case_are_refused(fields):
    err = refused(**fields)
    assert err.rule == "env-name-case-clash"
    assert SECRET not in str(err)


def test_env_and_secret_env_clash_by_case():
    err = refused(env={"Token": "x"}, secret_env={"TOKEN": SECRET})
    assert err.rule == "secret-env-clash" and SECRET not in str(err)


@pytest.mark.parametrize("value", ["a\x00b", "x" * 32768])
@pytest.mark.parametrize("key", ["env", "secret_env"])
def test_env_values_windows_cannot_hold_are_refused(key, value):
    err = refused(**{key: {"V": value}})
    assert err.rule == "env-value"
    assert value not in str(err)


def test_the_longest_windows_value_passes():
    (spec,) = normalise_workloads([{"name": "web", "image": NANO, "env": {"V": "x" * 32767}}])
    assert len(spec.env["V"]) == 32767


@pytest.mark.parametrize(
    "name",
    [
        "DOCKER_HOST",
        "docker_config",
        "DOCKER_CERT_PATH",
        "BUILDKIT_PROGRESS",
        "PATH",
        "SystemRoot",
        "HTTPS_PROXY",
        "no_proxy",
        "GODEBUG",
        "TEMP",
        "ComSpec",
    ],
)
def test_secret_env_names_that_change_the_docker_cli_are_refused(name):
    err = refused(secret_env={name: SECRET})
    assert err.rule == "secret-env-changes-cli"
    assert name in str(err) and SECRET not in str(err)


def test_the_same_names_are_fine_as_plain_env():
    (spec,) = normalise_workloads([{"name": "web", "image": NANO, "env": {"PATH": "C:\\app"}}])
    assert spec.env == {"PATH": "C:\\app"}


def test_label_keys_with_equals_are_refused():
    assert refused(labels={"team=a": "b"}).rule == "bad-label-key"


@pytest.mark.parametrize("value", ["no", "false", "off", 0])
def test_string_false_flags_are_false(value):
    (spec,) = normalise_workloads([{"name": "web", "image": NANO, "privileged": value}])
    assert spec.name == "web"


@pytest.mark.parametrize("value", ["yes", "True"])
def test_string_true_flags_are_refused(value):
    assert refused(privileged=value).rule == "privileged-unsupported"


def test_read_only_mount_flag_reads_text():
    (spec,) = normalise_workloads(
        [
            {
                "name": "web",
                "image": NANO,
                "volumes": [{"source": "C:\\d", "target": "C:\\d", "read_only": "yes"}],
            }
        ]
    )
    assert spec.mounts[0].read_only is True


def test_unparsable_values_are_described_not_quoted():
    err = refused(ports=[f"{SECRET}:80"], command={"x": SECRET}, memory=SECRET)
    assert SECRET not in str(err)
    assert "a string (" in str(err)


def test_a_workload_list_as_json_text_is_parsed():
    specs = normalise_workloads(json.dumps([{"name": "web", "image": NANO}]))
    assert [spec.name for spec in specs] == ["web"]


def test_host_port_conflicts_stay_correct_after_the_linear_rewrite():
    entries = [
        # Windows publishes on every host address only (see test_workload_spec_limits).
        {"name": "a1", "image": NANO, "ports": ["80:80"]},
        {"name": "a2", "image": NANO, "ports": ["82:80"]},
        {"name": "a3", "image": NANO, "ports": ["80:80/udp"]},
        {"name": "a4", "image": NANO, "ports": ["0.0.0.0:80:81"]},
        {"name": "a5", "image": NANO, "ports": ["81:81"]},
        {"name": "a6", "image": NANO, "ports": ["[::]:81:81"]},
    ]
    with pytest.raises(WorkloadSpecError) as info:
        normalise_workloads(entries)
    conflicted = [p.workload for p in info.value.errors]
    assert conflicted == ["'a4'", "'a6'"]


@pytest.mark.parametrize(
    ("path", "kind", "rendered"),
    [
        ("C:/Windows/./System32//", "drive", "C:\\windows\\system32"),
        ("\\\\?\\c:\\a\\..\\b", "drive", "C:\\b"),
        ("\\\\?\\UNC\\srv\\share\\x", "unc", "\\\\srv\\share\\x"),
        ("\\\\.\\pipe\\\\a\\.\\b", "pipe", "\\\\.\\pipe\\a\\b"),
        ("\\\\?\\Volume{1234}\\x", "device", "\\\\volume{1234}\\x"),
    ],
)
def test_win32_normalisation(path, kind, rendered):
    parsed = win_paths.parse(path)
    assert parsed.kind == kind
    assert parsed.render() == rendered


@pytest.mark.parametrize("path", ["data", "relative\\path", "vol_1"])
def test_volume_names_and_relative_paths_are_not_host_paths(path):
    assert win_paths.parse(path) is None
